package dev.weft.loop.task;

import static dev.weft.loop.task.Tasks.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.loop.LoopFuture;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/** The task toolkit's timer entry points at the ends of the clock: they saturate, never throw. */
class TaskTimeLimitsTest extends TaskTestBase {
    private static final Duration LONGEST = Duration.ofSeconds(Long.MAX_VALUE, 999_999_999);
    private static final Duration MOST_NEGATIVE = Duration.ofSeconds(Long.MIN_VALUE);

    @Test
    void shouldSleepForTheLongestDurationUntilCancelled() {
        Task<String> sleeper = loop.createTask(() -> {
            Tasks.sleep(LONGEST);
            return "woke";
        });
        loop.callSoon(() -> loop.callSoon(() -> sleeper.cancel("enough")));
        assertThrows(CancellationException.class, () -> loop.runUntilComplete(sleeper));
        assertEquals(0, loop.pendingTimers(), "the sleep's timer is gone");
    }

    @Test
    void shouldYieldForTheMostNegativeSleep() {
        assertEquals("done", run(() -> {
            Tasks.sleep(MOST_NEGATIVE);
            return "done";
        }));
    }

    @Test
    void shouldRunTheBodyOfAScopeWithTheLongestTimeout() throws Exception {
        LoopFuture<String> f = loop.createFuture();
        loop.callLater(Duration.ofMillis(1), () -> f.setResult("in time"));
        assertEquals("in time", run(() -> Tasks.waitFor(f, LONGEST)));
        Long when = run(() -> Tasks.timeout(LONGEST, scope -> scope.when()));
        assertEquals(Long.MAX_VALUE, when, "the deadline saturates");
    }

    @Test
    void shouldExpireAScopeWithTheMostNegativeTimeoutAtOnce() {
        Object r = run(() -> {
            try {
                return Tasks.timeout(MOST_NEGATIVE, scope -> {
                    assertTrue(scope.when() < loop.time() - 1_000_000_000L * 3600 * 24 * 365 * 200,
                            "far in the past, not wrapped into the future: " + scope.when());
                    Tasks.sleep(10_000);
                    return "slept";
                });
            } catch (TimeoutException e) {
                return e;
            }
        });
        assertTrue(r instanceof TimeoutException, String.valueOf(r));
    }

    @Test
    void shouldWaitAndIterateWithTheLongestTimeout() {
        Task<Integer> one = loop.createTask(() -> 1);
        Tasks.Done<Integer> d = run(() -> Tasks.wait(List.of(one), LONGEST, Tasks.ReturnWhen.ALL_COMPLETED));
        assertEquals(java.util.Set.of(one), d.done());
        Task<Integer> two = loop.createTask(() -> 2);
        int sum = run(() -> {
            int s = 0;
            for (LoopFuture<Integer> f : Tasks.asCompleted(List.of(two), LONGEST)) {
                s += await(f);
            }
            return s;
        });
        assertEquals(2, sum);
    }
}
