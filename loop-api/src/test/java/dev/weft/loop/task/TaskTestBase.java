package dev.weft.loop.task;

import dev.weft.loop.EventLoop;
import dev.weft.loop.ExceptionContext;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Timeout;

/**
 * Base of the task suite: a fresh loop per test on the backend named by {@code -Dweft.test.backend}
 * (default nio), exceptions sent to the handler collected in {@link #handled}, and at the end every
 * task finished, no live handle, the loop closed. Tagged "tasks": it runs in backend modules (loop-nio
 * scans loop-api's test-jar), in both task modes.
 */
@Tag("tasks")
@Timeout(value = 60, unit = TimeUnit.SECONDS)
public abstract class TaskTestBase {
    protected EventLoop loop;
    protected final List<ExceptionContext> handled = new ArrayList<>();

    public static EventLoop newLoop() {
        return EventLoop.builder().backend(System.getProperty("weft.test.backend", "nio")).build();
    }

    @BeforeEach
    void openLoop() {
        loop = newLoop();
        loop.setExceptionHandler((l, ctx) -> handled.add(ctx));
    }

    @AfterEach
    void closeLoop() {
        if (!loop.isClosed()) {
            List<Task<?>> left = new ArrayList<>(loop.allTasks());
            for (Task<?> t : left) {
                t.cancel("test over");
            }
            if (!left.isEmpty()) {
                loop.runUntilComplete(Tasks.gather(true, left));
            }
            assertTrue(loop.allTasks().isEmpty(), "tasks left: " + loop.allTasks());
            for (int i = 0; i < 100 && loop.liveHandles() != 0; i++) {
                spin(1);
            }
            assertEquals(0, loop.liveHandles(), "live handles at the end of the test");
            loop.close();
        }
        assertTrue(loop.isClosed());
    }

    /** Runs one loop iteration that waits at most {@code millis}. */
    protected void spin(long millis) {
        loop.callLater(java.time.Duration.ofMillis(millis), () -> { });
        loop.runOnce();
    }

    /** Runs {@code body} as a task until it is done and returns its result. */
    protected <T> T run(Coroutine<T> body) {
        return loop.runUntilComplete(loop.createTask(body));
    }
}
