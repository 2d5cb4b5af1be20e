package dev.weft.loop.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.loop.LoopFuture;
import dev.weft.loop.Task;
import dev.weft.loop.TaskTestBase;
import dev.weft.loop.Tasks;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import org.junit.jupiter.api.Test;

class QueueTest extends TaskTestBase {
    private void settle(int n) {
        run(() -> {
            for (int i = 0; i < n; i++) {
                Tasks.yieldNow();
            }
            return null;
        });
    }

    @Test
    void shouldHandOutItemsInFifoLifoAndPriorityOrder() {
        Queue<Integer> fifo = new Queue<>();
        LifoQueue<Integer> lifo = new LifoQueue<>();
        PriorityQueue<Integer> prio = new PriorityQueue<>();
        for (int v : new int[] {3, 1, 2}) {
            fifo.putNowait(v);
            lifo.putNowait(v);
            prio.putNowait(v);
        }
        List<Integer> out = new ArrayList<>();
        for (Queue<Integer> q : List.of(fifo, lifo, prio)) {
            while (!q.isEmpty()) {
                out.add(q.getNowait());
            }
        }
        assertEquals(List.of(3, 1, 2, 2, 1, 3, 1, 2, 3), out);
        assertThrows(QueueEmpty.class, fifo::getNowait);
    }

    @Test
    void shouldApplyBackPressureToPut() {
        Queue<Integer> q = new Queue<>(2);
        List<String> log = new ArrayList<>();
        Task<Void> producer = loop.createTask(() -> {
            for (int i = 0; i < 5; i++) {
                q.put(i);
                log.add("put " + i);
            }
            return null;
        });
        settle(3);
        assertEquals(List.of("put 0", "put 1"), log);
        assertTrue(q.isFull());
        assertThrows(QueueFull.class, () -> q.putNowait(99));
        List<Integer> got = run(() -> {
            List<Integer> r = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                r.add(q.get());
            }
            return r;
        });
        loop.runUntilComplete(producer);
        assertEquals(List.of(0, 1, 2, 3, 4), got);
    }

    @Test
    void shouldServeGettersInOrderAndNotLoseAnItemToACancelledGetter() {
        Queue<String> q = new Queue<>();
        List<String> log = new ArrayList<>();
        Task<String> a = loop.createTask(q::get, "a");
        Task<String> b = loop.createTask(q::get, "b");
        settle(2);
        run(() -> {
            q.putNowait("x");   // wakes a
            a.cancel();         // a is cancelled before it takes the item
            return null;
        });
        loop.runUntilComplete(Tasks.gather(true, List.of(a, b)));
        assertTrue(a.isCancelled());
        assertEquals("x", b.result());
        log.add("ok");
        assertEquals(0, q.size());
    }

    @Test
    void shouldNotLoseAFreeSlotToACancelledPutter() {
        Queue<Integer> q = new Queue<>(1);
        q.putNowait(0);
        Task<Void> a = loop.createTask(() -> { q.put(1); return null; });
        Task<Void> b = loop.createTask(() -> { q.put(2); return null; });
        settle(2);
        run(() -> {
            assertEquals(0, q.getNowait()); // wakes a
            a.cancel();
            return null;
        });
        loop.runUntilComplete(Tasks.gather(true, List.of(a, b)));
        assertTrue(a.isCancelled());
        assertEquals(List.of(2), List.of(q.getNowait()));
    }

    @Test
    void shouldJoinUntilEveryItemIsDone() {
        Queue<Integer> q = new Queue<>();
        int[] processed = {0};
        List<LoopFuture<?>> workers = new ArrayList<>();
        for (int w = 0; w < 3; w++) {
            workers.add(loop.createTask(() -> {
                while (true) {
                    q.get();
                    Tasks.sleep(1);
                    processed[0]++;
                    q.taskDone();
                }
            }));
        }
        run(() -> {
            for (int i = 0; i < 10; i++) {
                q.put(i);
            }
            q.join();
            assertEquals(10, processed[0]);
            return null;
        });
        run(() -> {
            for (LoopFuture<?> w : workers) {
                w.cancel();
            }
            return null;
        });
        loop.runUntilComplete(Tasks.gather(true, workers));
        assertThrows(IllegalStateException.class, q::taskDone);
    }

    @Test
    void shouldFailPutsAndDrainThenFailGetsAfterShutdown() {
        Queue<Integer> q = new Queue<>(1);
        q.putNowait(1);
        Task<Void> putter = loop.createTask(() -> { q.put(2); return null; });
        settle(2);
        run(() -> { q.shutdown(); return null; });
        assertThrows(QueueShutDown.class, () -> loop.runUntilComplete(putter));
        assertThrows(QueueShutDown.class, () -> q.putNowait(3));
        assertEquals(1, run(q::get));
        assertThrows(QueueShutDown.class, () -> run(q::get));
    }

    @Test
    void shouldDropItemsAndReleaseJoinOnImmediateShutdown() {
        Queue<Integer> q = new Queue<>();
        q.putNowait(1);
        q.putNowait(2);
        Task<Void> joiner = loop.createTask(() -> { q.join(); return null; });
        // The getter is suspended across the shutdown and asks only after it. (A 5 ms sleep here
        // raced the two task runs before the shutdown: when they took longer, as on a loaded
        // machine in a fresh JVM, the getter took item 1 first and join waited forever for its
        // taskDone.)
        LoopFuture<Void> afterShutdown = loop.createFuture();
        Task<Integer> getter = loop.createTask(() -> {
            Tasks.await(afterShutdown);
            return q.get();
        });
        settle(2);
        run(() -> { q.shutdown(true); return null; });
        afterShutdown.setResult(null);
        loop.runUntilComplete(joiner);
        assertThrows(QueueShutDown.class, () -> loop.runUntilComplete(getter));
        assertEquals(0, q.size());
    }

    @Test
    void shouldKeepTheJoinForOthersWhenOneJoinerIsCancelled() {
        Queue<Integer> q = new Queue<>();
        q.putNowait(1);
        Task<Void> j1 = loop.createTask(() -> { q.join(); return null; });
        Task<Void> j2 = loop.createTask(() -> { q.join(); return null; });
        settle(2);
        run(() -> { j1.cancel(); return null; });
        assertThrows(CancellationException.class, () -> loop.runUntilComplete(j1));
        run(() -> { q.getNowait(); q.taskDone(); return null; });
        loop.runUntilComplete(j2);
        assertTrue(j2.isDone() && !j2.isCancelled());
    }
}
