package dev.weft.loop.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.loop.LoopFuture;
import dev.weft.loop.task.Task;
import dev.weft.loop.task.TaskTestBase;
import dev.weft.loop.task.Tasks;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CancellationException;
import org.junit.jupiter.api.Test;

class SyncTest extends TaskTestBase {

    private Task<Void> task(List<String> log, String name, Runnable body) {
        return loop.createTask(() -> {
            try {
                body.run();
            } catch (CancellationException e) {
                log.add(name + " cancelled");
                throw e;
            }
            return null;
        }, name);
    }

    private void settle(int n) {
        run(() -> {
            for (int i = 0; i < n; i++) {
                Tasks.yieldNow();
            }
            return null;
        });
    }

    @Test
    void shouldGrantTheLockInFifoOrder() {
        Lock lock = new Lock();
        List<String> log = new ArrayList<>();
        List<LoopFuture<?>> all = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            String n = "t" + i;
            all.add(task(log, n, () -> {
                lock.acquire();
                log.add(n);
                Tasks.yieldNow();
                lock.release();
            }));
        }
        loop.runUntilComplete(Tasks.gather(false, all));
        assertEquals(List.of("t0", "t1", "t2", "t3", "t4"), log);
        assertFalse(lock.locked());
    }

    @Test
    void shouldPassTheLockOnWhenTheChosenWaiterIsCancelled() {
        Lock lock = new Lock();
        List<String> log = new ArrayList<>();
        run(() -> {
            lock.acquire();
            return null;
        });
        Task<Void> a = task(log, "a", () -> { lock.acquire(); log.add("a got it"); lock.release(); });
        Task<Void> b = task(log, "b", () -> { lock.acquire(); log.add("b got it"); lock.release(); });
        settle(2);
        assertEquals(2, lock.waiting());
        run(() -> {
            lock.release();   // a's waiter is woken
            a.cancel();       // ... and a is cancelled before it resumes
            return null;
        });
        loop.runUntilComplete(Tasks.gather(true, List.of(a, b)));
        assertEquals(List.of("a cancelled", "b got it"), log);
        assertFalse(lock.locked(), "the wake-up was not lost and the lock is free again");
    }

    @Test
    void shouldNotLetANewcomerOvertakeALockWaiter() {
        Lock lock = new Lock();
        List<String> log = new ArrayList<>();
        run(() -> { lock.acquire(); return null; });
        Task<Void> waiter = task(log, "waiter", () -> { lock.acquire(); log.add("waiter"); lock.release(); });
        settle(1);
        run(() -> {
            lock.release();
            assertFalse(lock.tryAcquire(), "a waiter is queued");
            return null;
        });
        loop.runUntilComplete(waiter);
        assertEquals(List.of("waiter"), log);
    }

    @Test
    void shouldWakeEveryEventWaiter() {
        Event ev = new Event();
        int[] woken = {0};
        List<LoopFuture<?>> all = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            all.add(loop.createTask(() -> { ev.await(); woken[0]++; return null; }));
        }
        settle(2);
        assertEquals(0, woken[0]);
        run(() -> { ev.set(); return null; });
        loop.runUntilComplete(Tasks.gather(false, all));
        assertEquals(3, woken[0]);
        assertTrue(ev.isSet());
    }

    @Test
    void shouldNotifyConditionWaitersOneAtATimeAndReacquire() {
        Condition cond = new Condition();
        List<String> log = new ArrayList<>();
        int[] items = {0};
        List<LoopFuture<?>> all = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            String n = "c" + i;
            all.add(loop.createTask(() -> {
                cond.acquire();
                try {
                    cond.waitFor(() -> items[0] > 0);
                    assertTrue(cond.locked());
                    items[0]--;
                    log.add(n);
                } finally {
                    cond.release();
                }
                return null;
            }));
        }
        settle(3);
        for (int i = 0; i < 3; i++) {
            run(() -> {
                cond.acquire();
                items[0]++;
                cond.notify(1);
                cond.release();
                return null;
            });
            settle(3);
        }
        loop.runUntilComplete(Tasks.gather(false, all));
        assertEquals(List.of("c0", "c1", "c2"), log);
    }

    @Test
    void shouldPassANotificationOnWhenTheNotifiedWaiterIsCancelled() {
        Condition cond = new Condition();
        List<String> log = new ArrayList<>();
        Task<Void> a = task(log, "a", () -> { cond.acquire(); try { cond.await(); log.add("a woke"); } finally { cond.release(); } });
        Task<Void> b = task(log, "b", () -> { cond.acquire(); try { cond.await(); log.add("b woke"); } finally { cond.release(); } });
        settle(3);
        run(() -> {
            cond.acquire();
            cond.notify(1);   // wakes a
            a.cancel();       // a is cancelled before it gets the lock back
            cond.release();
            return null;
        });
        loop.runUntilComplete(Tasks.gather(true, List.of(a, b)));
        assertTrue(a.isCancelled());
        assertEquals(List.of("a cancelled", "b woke"), log);
    }

    @Test
    void shouldNeverSwallowASemaphorePermitOnCancellation() {
        Semaphore sem = new Semaphore(1);
        List<String> log = new ArrayList<>();
        run(() -> { sem.acquire(); return null; });
        Task<Void> a = task(log, "a", () -> { sem.acquire(); log.add("a"); sem.release(); });
        Task<Void> b = task(log, "b", () -> { sem.acquire(); log.add("b"); sem.release(); });
        settle(2);
        run(() -> {
            sem.release();    // a is woken with the permit
            a.cancel();       // then cancelled: the permit must reach b
            return null;
        });
        loop.runUntilComplete(Tasks.gather(true, List.of(a, b)));
        assertEquals(List.of("a cancelled", "b"), log);
        assertEquals(1, sem.available());
    }

    @Test
    void shouldLimitConcurrencyWithASemaphore() {
        Semaphore sem = new Semaphore(3);
        int[] inside = {0, 0};
        List<LoopFuture<?>> all = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            all.add(loop.createTask(() -> {
                sem.acquire();
                try {
                    inside[0]++;
                    inside[1] = Math.max(inside[1], inside[0]);
                    Tasks.sleep(1);
                    inside[0]--;
                } finally {
                    sem.release();
                }
                return null;
            }));
        }
        loop.runUntilComplete(Tasks.gather(false, all));
        assertEquals(3, inside[1]);
        assertEquals(3, sem.available());
    }

    @Test
    void shouldRefuseReleasingABoundedSemaphoreTooOften() {
        BoundedSemaphore sem = new BoundedSemaphore(2);
        run(() -> {
            sem.acquire();
            sem.release();
            assertThrows(IllegalStateException.class, sem::release);
            return null;
        });
        assertEquals(2, sem.available());
    }

    @Test
    void shouldReleaseAllBarrierPartiesTogetherAndRefill() {
        Barrier barrier = new Barrier(3);
        List<Integer> indexes = new ArrayList<>();
        for (int round = 0; round < 2; round++) {
            List<LoopFuture<?>> all = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                all.add(loop.createTask(() -> { indexes.add(barrier.await()); return null; }));
            }
            loop.runUntilComplete(Tasks.gather(false, all));
        }
        indexes.sort(null);
        assertEquals(List.of(0, 0, 1, 1, 2, 2), indexes);
        assertFalse(barrier.broken());
    }

    @Test
    void shouldFailBarrierWaitersOnAbortAndRecoverOnReset() {
        Barrier barrier = new Barrier(3);
        List<String> log = new ArrayList<>();
        List<Task<Object>> waiters = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            waiters.add(loop.createTask(() -> {
                try {
                    return barrier.await();
                } catch (BrokenBarrierException e) {
                    log.add("broken");
                    return -1;
                }
            }));
        }
        settle(3);
        assertEquals(2, barrier.nWaiting());
        run(() -> { barrier.abort(); return null; });
        loop.runUntilComplete(Tasks.gather(false, new ArrayList<LoopFuture<?>>(waiters)));
        assertEquals(List.of("broken", "broken"), log);
        assertTrue(barrier.broken());
        java.util.concurrent.CompletionException late = assertThrows(java.util.concurrent.CompletionException.class,
                () -> run(barrier::await));
        assertTrue(late.getCause() instanceof BrokenBarrierException);
        run(() -> { barrier.reset(); return null; });
        assertFalse(barrier.broken());
    }

    @Test
    void shouldLeaveTheBarrierFillingWhenAWaiterIsCancelled() {
        Barrier barrier = new Barrier(2);
        Task<Integer> a = loop.createTask(barrier::await);
        settle(2);
        assertEquals(1, barrier.nWaiting());
        run(() -> { a.cancel(); return null; });
        assertThrows(CancellationException.class, () -> loop.runUntilComplete(a));
        assertEquals(0, barrier.nWaiting());
        Task<Integer> b = loop.createTask(barrier::await);
        Task<Integer> c = loop.createTask(barrier::await);
        loop.runUntilComplete(Tasks.gather(false, List.of(b, c)));
        assertEquals(1, b.result() + c.result());
    }
}
