package dev.weft.loop.task;

import dev.weft.loop.ExceptionContext;
import dev.weft.loop.LoopFuture;
import static dev.weft.loop.task.Tasks.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

class TasksToolkitTest extends TaskTestBase {

    private Task<Integer> after(long ms, int value) {
        return loop.createTask(() -> {
            Tasks.sleep(ms);
            return value;
        });
    }

    @Test
    void shouldGatherResultsInOrder() {
        List<Integer> r = loop.runUntilComplete(Tasks.gather(after(20, 1), after(1, 2), after(10, 3)));
        assertEquals(List.of(1, 2, 3), r);
    }

    @Test
    void shouldGatherFailuresWhenAskedToReturnThem() {
        Task<Integer> bad = loop.createTask(() -> {
            throw new IllegalStateException("bad");
        });
        List<Object> r = loop.runUntilComplete(Tasks.gather(true, List.of(after(1, 1), bad)));
        assertEquals(1, r.get(0));
        assertTrue(r.get(1) instanceof IllegalStateException);
    }

    @Test
    void shouldCancelTheChildrenWhenTheGatherIsCancelled() {
        Task<Integer> a = after(10_000, 1);
        LoopFuture<List<Integer>> g = Tasks.gather(a);
        loop.callLater(Duration.ofMillis(2), () -> g.cancel("enough"));
        assertThrows(CancellationException.class, () -> loop.runUntilComplete(g));
        assertTrue(a.isCancelled());
    }

    @Test
    void shouldWaitForTheFirstCompleted() {
        Task<Integer> fast = after(1, 1);
        Task<Integer> slow = after(10_000, 2);
        Tasks.Done<Integer> d = run(() -> Tasks.wait(List.of(fast, slow), null, Tasks.ReturnWhen.FIRST_COMPLETED));
        assertEquals(java.util.Set.of(fast), d.done());
        assertEquals(java.util.Set.of(slow), d.pending());
    }

    @Test
    void shouldWaitForTheFirstExceptionOrAll() {
        Task<Integer> bad = loop.createTask(() -> {
            Tasks.sleep(2);
            throw new IllegalArgumentException("x");
        });
        Task<Integer> slow = after(10_000, 2);
        Tasks.Done<Integer> d = run(() -> Tasks.wait(List.of(bad, slow), null, Tasks.ReturnWhen.FIRST_EXCEPTION));
        assertTrue(d.done().contains(bad));
        assertTrue(d.pending().contains(slow));
        bad.exception();
        Tasks.Done<Integer> t = run(() -> Tasks.wait(List.of(slow), Duration.ofMillis(5), Tasks.ReturnWhen.ALL_COMPLETED));
        assertTrue(t.done().isEmpty());
        assertFalse(slow.isCancelled(), "wait() cancels nothing");
    }

    @Test
    void shouldCancelTheInnerTaskAndThrowTimeoutFromWaitFor() {
        Task<Integer> slow = after(10_000, 1);
        Object r = run(() -> {
            try {
                return Tasks.waitFor(slow, Duration.ofMillis(5));
            } catch (TimeoutException e) {
                return e;
            }
        });
        assertTrue(r instanceof TimeoutException);
        assertTrue(slow.isCancelled());
        assertEquals(5, run(() -> Tasks.waitFor(after(1, 5), Duration.ofSeconds(10))));
    }

    @Test
    void shouldRescheduleATimeoutScopeAndTellOutsideCancellationApart() {
        String r = run(() -> Tasks.timeout(Duration.ofMillis(5), scope -> {
            scope.reschedule(Task.current().loop().time() + TimeUnit.MILLISECONDS.toNanos(200));
            Tasks.sleep(20);
            assertFalse(scope.expired());
            return "in time";
        }));
        assertEquals("in time", r);
        LoopFuture<Void> never = loop.createFuture();
        Task<Object> outer = loop.createTask(() -> Tasks.timeout(Duration.ofSeconds(10), scope -> await(never)));
        loop.callLater(Duration.ofMillis(2), () -> outer.cancel("from outside"));
        assertThrows(CancellationException.class, () -> loop.runUntilComplete(outer));
    }

    @Test
    void shouldExpireATimeoutAtAPastDeadline() {
        Object r = run(() -> {
            try {
                return Tasks.timeoutAt(Task.current().loop().time() - 1, scope -> {
                    Tasks.sleep(10_000);
                    return "late";
                });
            } catch (TimeoutException e) {
                return Task.current().cancelling();
            }
        });
        assertEquals(0, r, "the scope took its cancellation back");
    }

    @Test
    void shouldShieldTheInnerWorkFromCancellation() {
        Task<Integer> inner = after(10, 9);
        Task<Integer> outer = loop.createTask(() -> await(Tasks.shield(inner)));
        loop.callLater(Duration.ofMillis(1), () -> outer.cancel());
        assertThrows(CancellationException.class, () -> loop.runUntilComplete(outer));
        assertEquals(9, loop.runUntilComplete(inner));
    }

    @Test
    void shouldYieldResultsInCompletionOrder() {
        // completed in the order b, c, a, one loop iteration apart, so no timer race decides it
        LoopFuture<Integer> a = loop.createFuture();
        LoopFuture<Integer> b = loop.createFuture();
        LoopFuture<Integer> c = loop.createFuture();
        loop.callLater(Duration.ofMillis(1), () -> {
            b.setResult(1);
            loop.callSoon(() -> {
                c.setResult(2);
                loop.callSoon(() -> a.setResult(3));
            });
        });
        List<Integer> order = run(() -> {
            List<Integer> out = new ArrayList<>();
            for (LoopFuture<Integer> f : Tasks.asCompleted(List.of(a, b, c))) {
                out.add(await(f));
            }
            return out;
        });
        assertEquals(List.of(1, 2, 3), order);
    }

    @Test
    void shouldCancelTheRestAndReportAllFailuresFromATaskGroup() {
        List<String> log = new ArrayList<>();
        // Both failing tasks wake on one future, so both fail in the same iteration, before the
        // group (whose reaction goes through the loop) can cancel either.
        LoopFuture<Void> go = loop.createFuture();
        TaskGroupException e = assertThrows(TaskGroupException.class, () -> run(() -> TaskGroup.run(g -> {
            loop.callLater(2, java.util.concurrent.TimeUnit.MILLISECONDS, () -> go.setResult(null));
            g.createTask(() -> {
                try {
                    Tasks.sleep(10_000);
                } catch (CancellationException c) {
                    log.add("sleeper cancelled");
                    throw c;
                }
                return null;
            });
            g.createTask(() -> {
                Tasks.await(go);
                throw new IllegalStateException("one");
            });
            g.createTask(() -> {
                Tasks.await(go);
                throw new IllegalArgumentException("two");
            });
            Tasks.sleep(10_000);  // the body is interrupted too
            return null;
        })));
        assertEquals(2, e.exceptions().size());
        assertEquals(List.of("sleeper cancelled"), log);
        assertEquals(0, loop.allTasks().size());
    }

    @Test
    void shouldReturnTheBodyValueOfATaskGroupWhenAllSucceed() {
        int sum = run(() -> TaskGroup.run(g -> {
            Task<Integer> a = g.createTask(() -> { Tasks.sleep(2); return 1; });
            Task<Integer> b = g.createTask(() -> 2);
            return 0;
        }));
        assertEquals(0, sum);
        int cancelling = run(() -> {
            TaskGroup.run(g -> g.createTask(() -> 1));
            return Task.current().cancelling();
        });
        assertEquals(0, cancelling);
    }

    @Test
    void shouldRunACoroutineFromAnotherThread() throws Exception {
        CompletableFuture<CompletableFuture<Integer>> holder = new CompletableFuture<>();
        Thread other = new Thread(() -> holder.complete(Tasks.runCoroutineThreadsafe(loop, () -> {
            Tasks.sleep(1);
            return 11;
        })));
        LoopFuture<Void> done = loop.createFuture();
        other.start();
        other.join();
        CompletableFuture<Integer> cf = holder.get();
        cf.whenComplete((v, e) -> loop.callSoonThreadsafe(() -> done.setResult(null)));
        loop.runUntilComplete(done);
        assertEquals(11, cf.get());
    }

    @Test
    void shouldRunBlockingWorkOffTheLoop() {
        String name = run(() -> Tasks.toThread(() -> Thread.currentThread().getName()));
        assertTrue(name.startsWith("weft-executor-"), name);
    }

    @Test
    void shouldKeepAnOutsideCancellationWhenATaskGroupChildFails() {
        List<String> log = new ArrayList<>();
        Task<String> t = loop.createTask(() -> {
            try {
                TaskGroup.run(g -> {
                    g.createTask(() -> {
                        try {
                            Tasks.sleep(10_000);
                        } catch (CancellationException c) {
                            throw new IllegalStateException("child failed while cancelled");
                        }
                        return null;
                    });
                    Tasks.sleep(10_000);
                    return null;
                });
            } catch (TaskGroupException e) {
                log.add("group error: " + e.exceptions().get(0).getMessage());
            }
            try {
                Tasks.sleep(50);
                return "not cancelled";
            } catch (CancellationException e) {
                return "cancelled at the next await";
            }
        });
        loop.callLater(Duration.ofMillis(2), () -> t.cancel("from outside"));
        assertEquals("cancelled at the next await", loop.runUntilComplete(t));
        assertEquals(List.of("group error: child failed while cancelled"), log);
        assertEquals(1, t.cancelling());
    }

    @Test
    void shouldLetATimeoutExceptionPassThroughAnOuterTimeoutScope() {
        Object r = run(() -> {
            try {
                return Tasks.timeout(Duration.ofSeconds(10), outer -> Tasks.timeout(Duration.ofMillis(2), inner -> {
                    Tasks.sleep(10_000);
                    return "late";
                }));
            } catch (TimeoutException e) {
                return e;
            }
        });
        assertInstanceOf(TimeoutException.class, r);
        Task<Integer> slow = after(10_000, 1);
        Object w = run(() -> {
            try {
                return Tasks.timeout(Duration.ofSeconds(10), outer -> Tasks.waitFor(slow, Duration.ofMillis(2)));
            } catch (TimeoutException e) {
                return e;
            }
        });
        assertInstanceOf(TimeoutException.class, w);
        assertTrue(slow.isCancelled());
    }

    @Test
    void shouldTreatAGatherChildFailingAfterTheGatherFailedAsRetrieved() {
        WeakReference<Task<Integer>> late = gatherTwoFailuresAndDropThem();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (late.get() != null && System.nanoTime() < deadline) {
            System.gc();
            spin(5);
        }
        assertTrue(late.get() == null, "the late child was collected");
        for (int i = 0; i < 10; i++) {
            System.gc();
            spin(5);
        }
        assertTrue(handled.isEmpty(), "nothing reported: " + handled);
    }

    private WeakReference<Task<Integer>> gatherTwoFailuresAndDropThem() {
        Task<Integer> first = loop.createTask(() -> {
            Tasks.sleep(1);
            throw new IllegalStateException("first");
        });
        Task<Integer> second = loop.createTask(() -> {
            Tasks.sleep(20);
            throw new IllegalStateException("second");
        });
        LoopFuture<List<Integer>> g = Tasks.gather(first, second);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> loop.runUntilComplete(g));
        assertEquals("first", e.getMessage());
        while (!second.isDone()) {
            spin(5);
        }
        spin(1);
        return new WeakReference<>(second);
    }

    @Test
    void shouldSetACancelledChildAsTheGatherExceptionWithoutCancellingTheGather() {
        LoopFuture<Integer> a = loop.createFuture();
        LoopFuture<Integer> b = loop.createFuture();
        LoopFuture<List<Integer>> g = Tasks.gather(a, b);
        a.setResult(1);
        b.cancel("child cancelled");
        while (!g.isDone()) {
            spin(1);
        }
        assertFalse(g.isCancelled(), "the gather itself is not cancelled");
        Throwable e = g.exception();
        assertInstanceOf(CancellationException.class, e);
        assertEquals("child cancelled", e.getMessage());
        assertThrows(CancellationException.class, g::result);
    }

    @Test
    void shouldCancelATaskNotStartedAndTimeOutOnWaitForZero() {
        boolean[] ran = {false};
        Object r = run(() -> {
            Task<Integer> inner = loop.createTask(() -> {
                ran[0] = true;
                return 1;
            });
            try {
                return Tasks.waitFor(inner, Duration.ZERO);
            } catch (TimeoutException e) {
                return inner.isCancelled() ? "timed out, inner cancelled" : "timed out";
            }
        });
        assertEquals("timed out, inner cancelled", r);
        assertFalse(ran[0], "the body of the task never ran");
        LoopFuture<Integer> done = loop.createFuture();
        done.setResult(3);
        assertEquals(3, run(() -> Tasks.waitFor(done, Duration.ZERO)));
    }

    @Test
    void shouldGiveTheFirstCompletionToWhicheverAsCompletedItemIsAwaitedFirst() {
        LoopFuture<Integer> fast = after(1, 1);
        LoopFuture<Integer> slow = after(30, 2);
        List<Integer> got = run(() -> {
            Iterator<LoopFuture<Integer>> it = Tasks.asCompleted(List.of(slow, fast)).iterator();
            LoopFuture<Integer> firstHandedOut = it.next();
            LoopFuture<Integer> secondHandedOut = it.next();
            List<Integer> out = new ArrayList<>();
            out.add(await(secondHandedOut));
            out.add(await(firstHandedOut));
            return out;
        });
        assertEquals(List.of(1, 2), got);
    }

    @Test
    void shouldReportAPlainFutureFailureNobodyRetrieved() {
        failAFutureAndForgetIt();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (handled.isEmpty() && System.nanoTime() < deadline) {
            System.gc();
            spin(10);
        }
        assertEquals(1, handled.size(), "one report: " + handled);
        ExceptionContext ctx = handled.get(0);
        assertTrue(ctx.message().contains("Future exception was never retrieved"), ctx.message());
        assertEquals("lost plain failure", ctx.exception().getMessage());
    }

    private void failAFutureAndForgetIt() {
        LoopFuture<Void> f = loop.createFuture();
        f.setException(new IllegalStateException("lost plain failure"));
        LoopFuture<Void> seen = loop.createFuture();
        seen.setException(new IllegalStateException("seen"));
        assertEquals("seen", seen.exception().getMessage());
    }
}
