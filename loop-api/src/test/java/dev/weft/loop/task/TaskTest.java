package dev.weft.loop.task;

import dev.weft.loop.ExceptionContext;
import dev.weft.loop.LoopFuture;
import static dev.weft.loop.task.Tasks.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.reflect.Field;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

class TaskTest extends TaskTestBase {
    private int counter;
    private long sum;

    @Test
    void shouldReportTheModeInUse() {
        TaskMode expected = switch (System.getProperty("weft.tasks.mode", "auto")) {
            case "virtual" -> TaskMode.VIRTUAL;
            case "handoff" -> TaskMode.HANDOFF;
            default -> Runtime.version().feature() >= 21 ? TaskMode.VIRTUAL : TaskMode.HANDOFF;
        };
        assertEquals(expected, Tasks.mode());
        if (Runtime.version().feature() < 21) {
            assertTrue(Tasks.virtualUnavailabilityCause().getMessage().contains("JDK 21"));
        }
    }

    @Test
    void shouldReturnTheBodyResult() {
        assertEquals(42, run(() -> 42));
    }

    @Test
    void shouldAwaitAPendingFutureAndResumeWithItsResult() {
        LoopFuture<String> f = loop.createFuture();
        loop.callLater(Duration.ofMillis(5), () -> f.setResult("hello"));
        assertEquals("hello!", run(() -> await(f) + "!"));
    }

    @Test
    void shouldRethrowTheAwaitedFailureUnchanged() {
        LoopFuture<String> f = loop.createFuture();
        IllegalArgumentException boom = new IllegalArgumentException("boom");
        loop.callSoon(() -> f.setException(boom));
        Object caught = run(() -> {
            try {
                return await(f);
            } catch (IllegalArgumentException e) {
                return e;
            }
        });
        assertSame(boom, caught);
    }

    @Test
    void shouldWrapACheckedFailureInCompletionException() {
        LoopFuture<String> f = loop.createFuture();
        IOException io = new IOException("io");
        loop.callSoon(() -> f.setException(io));
        CompletionException ce = assertThrows(CompletionException.class, () -> run(() -> await(f)));
        assertSame(io, ce.getCause());
    }

    @Test
    void shouldFailTheTaskWithWhatTheBodyThrows() {
        Task<Object> t = loop.createTask(() -> {
            throw new IOException("nope");
        });
        CompletionException ce = assertThrows(CompletionException.class, () -> loop.runUntilComplete(t));
        assertEquals("nope", ce.getCause().getMessage());
        assertTrue(t.isDone());
        assertFalse(t.isCancelled());
    }

    @Test
    void shouldRunStepsOnlyThroughTheLoopAndCountAsTheLoopThread() {
        List<String> log = new ArrayList<>();
        Task<Void> t = loop.createTask(() -> {
            log.add("body");
            assertTrue(loop.inLoopThread());
            loop.callSoon(() -> log.add("callback"));
            Tasks.yieldNow();
            log.add("after yield");
            return null;
        });
        assertTrue(log.isEmpty(), "a task must not start inline");
        loop.runUntilComplete(t);
        assertEquals(List.of("body", "callback", "after yield"), log);
    }

    @Test
    void shouldKnowTheCurrentTask() {
        assertNull(Task.current());
        Task<?>[] seen = new Task<?>[2];
        Task<Void> t = loop.createTask(() -> {
            seen[0] = Task.current();
            Tasks.sleep(1);
            seen[1] = Task.current();
            return null;
        }, "named");
        loop.runUntilComplete(t);
        assertSame(t, seen[0]);
        assertSame(t, seen[1]);
        assertEquals("named", t.getName());
        assertNull(Task.current());
    }

    @Test
    void shouldListTheTasksNotDone() {
        LoopFuture<Void> gate = loop.createFuture();
        Task<Void> a = loop.createTask(() -> await(gate));
        Task<Integer> b = loop.createTask(() -> 1);
        assertEquals(List.of(a, b), new ArrayList<>(loop.allTasks()));
        loop.runUntilComplete(b);
        assertEquals(List.of(a), new ArrayList<>(loop.allTasks()));
        gate.setResult(null);
        loop.runUntilComplete(a);
        assertTrue(loop.allTasks().isEmpty());
    }

    @Test
    void shouldRefuseAwaitOutsideATask() {
        LoopFuture<Void> f = loop.createFuture();
        assertThrows(IllegalStateException.class, () -> await(f));
    }

    @Test
    void shouldThrowCancellationAtThePendingAwaitWithTheMessage() {
        LoopFuture<Void> never = loop.createFuture();
        String[] seen = new String[1];
        Task<String> t = loop.createTask(() -> {
            try {
                await(never);
                return "not cancelled";
            } catch (CancellationException e) {
                seen[0] = e.getMessage();
                return "caught";
            }
        });
        loop.callLater(Duration.ofMillis(2), () -> assertTrue(t.cancel("stop it")));
        assertEquals("caught", loop.runUntilComplete(t));
        assertEquals("stop it", seen[0]);
        assertTrue(never.isCancelled());
        assertEquals(1, t.cancelling());
    }

    @Test
    void shouldEndCancelledWhenTheCancellationEscapes() {
        LoopFuture<Void> never = loop.createFuture();
        Task<Void> t = loop.createTask(() -> await(never));
        loop.callSoon(() -> loop.callSoon(() -> t.cancel("bye")));
        CancellationException e = assertThrows(CancellationException.class, () -> loop.runUntilComplete(t));
        assertTrue(t.isCancelled());
        assertEquals("bye", t.cancelMessage());
        assertEquals("bye", e.getMessage());
    }

    @Test
    void shouldNeverRunTheBodyOfATaskCancelledBeforeItStarted() {
        boolean[] ran = {false};
        Task<Void> t = loop.createTask(() -> {
            ran[0] = true;
            return null;
        });
        assertTrue(t.cancel());
        assertThrows(CancellationException.class, () -> loop.runUntilComplete(t));
        assertFalse(ran[0]);
        assertFalse(t.cancel(), "cancelling a done task returns false");
    }

    @Test
    void shouldDeliverASelfCancellationAtTheNextSuspension() {
        List<String> log = new ArrayList<>();
        Task<Void> t = loop.createTask(() -> {
            Task.current().cancel("self");
            log.add("still running");
            try {
                Tasks.sleep(10_000);
            } catch (CancellationException e) {
                log.add("cancelled: " + e.getMessage());
                throw e;
            }
            return null;
        });
        assertThrows(CancellationException.class, () -> loop.runUntilComplete(t));
        assertEquals(List.of("still running", "cancelled: self"), log);
        assertEquals(0, loop.pendingTimers(), "the sleep's timer is cancelled");
    }

    @Test
    void shouldDropAPendingCancellationWhenUncancelledToZero() {
        Task<String> t = loop.createTask(() -> {
            Task<?> me = Task.current();
            me.cancel();
            me.cancel();
            assertEquals(2, me.cancelling());
            assertEquals(1, me.uncancel());
            assertEquals(0, me.uncancel());
            assertEquals(0, me.uncancel());
            Tasks.sleep(1);
            return "survived";
        });
        assertEquals("survived", loop.runUntilComplete(t));
    }

    @Test
    void shouldCancelTheAwaitedTaskWhenTheAwaiterIsCancelled() {
        LoopFuture<Void> never = loop.createFuture();
        Task<Void> inner = loop.createTask(() -> await(never));
        Task<Void> outer = loop.createTask(() -> await(inner));
        loop.callLater(Duration.ofMillis(2), () -> outer.cancel("outer"));
        assertThrows(CancellationException.class, () -> loop.runUntilComplete(outer));
        assertTrue(inner.isCancelled());
    }

    @Test
    void shouldRefuseResultSettersOnATask() {
        Task<Integer> t = loop.createTask(() -> 1);
        assertThrows(UnsupportedOperationException.class, () -> t.setResult(2));
        assertThrows(UnsupportedOperationException.class, () -> t.setException(new RuntimeException()));
        assertEquals(1, loop.runUntilComplete(t));
    }

    /**
     * In hand-off mode this starts 10,000 platform threads: about 20 s on a quiet 2-core machine, and
     * several minutes when other JVMs load it, so its hang guard is wider than the class's.
     */
    @Test
    @org.junit.jupiter.api.Timeout(value = 600, unit = java.util.concurrent.TimeUnit.SECONDS)
    void shouldGiveExactTotalsWhenTenThousandTasksShareAPlainField() {
        int n = 10_000;
        int rounds = 3;
        List<LoopFuture<?>> all = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            final int k = i;
            all.add(loop.createTask(() -> {
                for (int r = 0; r < rounds; r++) {
                    int c = counter;
                    long s = sum;
                    Tasks.yieldNow();
                    // no other step ran between our read and this write only if nobody else ran:
                    // so read again after the suspension and update in one go
                    counter = counter + 1;
                    sum = sum + k;
                    assertTrue(counter > c || counter == c + 1 || s <= sum);
                }
                return null;
            }));
        }
        loop.runUntilComplete(Tasks.gather(false, all));
        assertEquals(n * rounds, counter);
        assertEquals((long) rounds * n * (n - 1) / 2, sum);
    }

    @Test
    void shouldNeverInterleaveTwoStepsBetweenSuspensions() {
        int[] inside = {0};
        int[] maxInside = {0};
        List<LoopFuture<?>> all = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            all.add(loop.createTask(() -> {
                for (int r = 0; r < 5; r++) {
                    inside[0]++;
                    maxInside[0] = Math.max(maxInside[0], inside[0]);
                    for (int spin = 0; spin < 1000; spin++) {
                        counter++;
                    }
                    inside[0]--;
                    Tasks.yieldNow();
                }
                return null;
            }));
        }
        loop.runUntilComplete(Tasks.gather(false, all));
        assertEquals(1, maxInside[0]);
        assertEquals(200 * 5 * 1000, counter);
    }

    @Test
    void shouldRunEveryVirtualStepOnTheLoopThreadAsCarrier() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Tasks.mode() == TaskMode.VIRTUAL, "virtual-thread mode only");
        Thread loopThread = Thread.currentThread();
        Field carrier = Class.forName("java.lang.VirtualThread").getDeclaredField("carrierThread");
        carrier.setAccessible(true);
        List<Object> carriers = new ArrayList<>();
        List<LoopFuture<?>> all = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            all.add(loop.createTask(() -> {
                for (int r = 0; r < 5; r++) {
                    carriers.add(carrier.get(Thread.currentThread()));
                    if (r % 2 == 0) {
                        Tasks.yieldNow();
                    } else {
                        Tasks.sleep(1);
                    }
                }
                return null;
            }));
        }
        loop.runUntilComplete(Tasks.gather(false, all));
        assertEquals(100, carriers.size());
        for (Object c : carriers) {
            assertSame(loopThread, c);
        }
    }

    @Test
    void shouldRunEachHandoffStepOnItsOwnThreadWhileTheLoopWaits() {
        org.junit.jupiter.api.Assumptions.assumeTrue(Tasks.mode() == TaskMode.HANDOFF, "hand-off mode only");
        Thread loopThread = Thread.currentThread();
        Thread[] seen = new Thread[2];
        run(() -> {
            seen[0] = Thread.currentThread();
            Tasks.yieldNow();
            seen[1] = Thread.currentThread();
            // the loop thread parks right after handing over the turn; give it a moment to get there
            long until = System.nanoTime() + 2_000_000_000L;
            while (loopThread.getState() != Thread.State.WAITING && System.nanoTime() < until) {
                Thread.onSpinWait();
            }
            assertEquals(Thread.State.WAITING, loopThread.getState());
            return null;
        });
        assertSame(seen[0], seen[1]);
        assertFalse(seen[0] == loopThread);
    }

    @Test
    void shouldReportAFailureNobodyRetrieved() throws Exception {
        createFailingTaskAndForgetIt();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (handled.isEmpty() && System.nanoTime() < deadline) {
            System.gc();
            spin(10);
        }
        assertEquals(1, handled.size(), "one report");
        ExceptionContext ctx = handled.get(0);
        assertTrue(ctx.message().contains("never retrieved"), ctx.message());
        assertEquals("lost failure", ctx.exception().getMessage());
        assertTrue(ctx.message().contains("createFailingTaskAndForgetIt"), "creation site in debug mode: " + ctx.message());
    }

    private void createFailingTaskAndForgetIt() {
        loop.setDebug(true);
        loop.createTask(() -> {
            throw new IllegalStateException("lost failure");
        });
        for (int i = 0; i < 5; i++) {
            spin(1);
        }
        loop.setDebug(false);
    }

    @Test
    void shouldNotReportAFailureThatWasRetrieved() throws Exception {
        Task<Object> t = loop.createTask(() -> {
            throw new IllegalStateException("seen");
        });
        assertThrows(IllegalStateException.class, () -> loop.runUntilComplete(t));
        t.exception();
        for (int i = 0; i < 20; i++) {
            System.gc();
            spin(5);
        }
        assertTrue(handled.isEmpty(), "no report: " + handled);
    }

    @Test
    void shouldWarnAboutASlowStepInDebugMode() {
        List<String> warnings = new ArrayList<>();
        loop.setWarningHandler(warnings::add);
        loop.setDebug(true);
        loop.setSlowCallbackThreshold(Duration.ofMillis(20));
        run(() -> {
            long until = System.nanoTime() + 40_000_000L;
            while (System.nanoTime() < until) {
                Thread.onSpinWait();
            }
            return null;
        });
        assertTrue(warnings.stream().anyMatch(w -> w.contains("step of task Task-")), warnings.toString());
    }

    @Test
    void shouldRunTheEntryPointAndCancelLeftovers() {
        boolean[] leftoverCancelled = {false};
        int v = Tasks.run(TaskTestBase::newLoop, () -> {
            Task.current().loop().createTask(() -> {
                try {
                    Tasks.sleep(60_000);
                } catch (CancellationException e) {
                    leftoverCancelled[0] = true;
                    throw e;
                }
                return null;
            });
            Tasks.sleep(1);
            return 7;
        });
        assertEquals(7, v);
        assertTrue(leftoverCancelled[0]);
    }

    @Test
    void shouldResumeAfterExactlyOneIterationOnYieldAndSleepZero() {
        List<String> log = new ArrayList<>();
        Task<Void> t = loop.createTask(() -> {
            log.add("before");
            Tasks.yieldNow();
            log.add("after yield");
            Tasks.sleep(Duration.ZERO);
            log.add("after sleep(0)");
            return null;
        });
        loop.runOnce();
        assertEquals(List.of("before"), log);
        loop.runOnce();
        assertEquals(List.of("before", "after yield"), log);
        loop.runOnce();
        assertEquals(List.of("before", "after yield", "after sleep(0)"), log);
        assertTrue(t.isDone());
    }

    @Test
    void shouldDeliverACancellationRequestedDuringAYield() {
        Task<String> t = loop.createTask(() -> {
            try {
                Tasks.yieldNow();
                return "not cancelled";
            } catch (CancellationException e) {
                return "cancelled: " + e.getMessage();
            }
        });
        loop.runOnce();
        assertTrue(t.cancel("while yielded"));
        assertEquals("cancelled: while yielded", loop.runUntilComplete(t));
    }

    @Test
    void shouldRunTheFirstStepInsideCreateTaskWhenStartedEagerly() {
        List<String> log = new ArrayList<>();
        Task<Integer> t = loop.createTask(() -> {
            log.add("first step");
            Tasks.yieldNow();
            log.add("second step");
            return 5;
        }, "eager", true);
        assertEquals(List.of("first step"), log, "the first step ran inside createTask");
        assertFalse(t.isDone());
        assertEquals(5, loop.runUntilComplete(t));
        Task<Integer> done = loop.createTask(() -> 7, null, true);
        assertTrue(done.isDone(), "a body that never suspends is done when createTask returns");
        assertEquals(7, done.result());
        assertTrue(loop.allTasks().isEmpty());
    }

    @Test
    void shouldStartAChildEagerlyFromInsideATask() {
        List<String> log = new ArrayList<>();
        String r = run(() -> {
            Task<?> me = Task.current();
            Task<String> child = loop.createTask(() -> {
                log.add(Task.current() != me ? "child step on its own task" : "child step as the parent");
                Tasks.yieldNow();
                log.add("child second step");
                return "child";
            }, "child", true);
            log.add("parent goes on");
            assertSame(me, Task.current());
            assertTrue(loop.inLoopThread());
            return await(child);
        });
        assertEquals("child", r);
        assertEquals(List.of("child step on its own task", "parent goes on", "child second step"), log);
    }

    @Test
    void shouldCancelASuspendedTaskAndEndItsThreadWhenTheLoopCloses() throws Exception {
        List<String> log = new ArrayList<>();
        Thread[] thread = new Thread[1];
        LoopFuture<Void> never = loop.createFuture();
        String name = "closing-" + System.nanoTime();
        Task<Void> t = loop.createTask(() -> {
            thread[0] = Thread.currentThread();
            try {
                await(never);
            } catch (CancellationException e) {
                log.add("cancelled");
                throw e;
            } finally {
                log.add("finally");
            }
            return null;
        }, name);
        boolean[] ran = {false};
        loop.runOnce();
        assertTrue(thread[0] != null);
        Task<Void> later = loop.createTask(() -> {
            ran[0] = true;
            return null;
        });
        loop.close();
        assertTrue(t.isCancelled());
        assertTrue(later.isCancelled());
        assertFalse(ran[0], "a task not started never runs its body");
        assertEquals(List.of("cancelled", "finally"), log);
        thread[0].join(5_000);
        assertFalse(thread[0].isAlive(), "the task's thread ended");
        long left = Thread.getAllStackTraces().keySet().stream()
                .filter(th -> th.getName().equals("weft-task-" + name)).count();
        assertEquals(0, left, "no thread of the task left");
    }

    @Test
    void shouldReportASlowStepOnce() {
        List<String> warnings = new ArrayList<>();
        loop.setWarningHandler(warnings::add);
        loop.setDebug(true);
        loop.setSlowCallbackThreshold(Duration.ofMillis(20));
        run(() -> {
            long until = System.nanoTime() + 40_000_000L;
            while (System.nanoTime() < until) {
                Thread.onSpinWait();
            }
            return null;
        });
        assertEquals(1, warnings.size(), warnings.toString());
        assertTrue(warnings.get(0).contains("step of task Task-"), warnings.toString());
    }
}
