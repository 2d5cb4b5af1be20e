package dev.weft.loop.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.loop.EventLoop;
import dev.weft.loop.ExceptionContext;
import dev.weft.loop.Handle;
import dev.weft.loop.LoopFuture;
import dev.weft.loop.TimerHandle;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * Loop, timer and future semantics every backend must show (the I/O-free half of the suite). The
 * suite's methods run in a random order whose seed is printed ({@link SeededRandomOrder}).
 */
@Timeout(60)
@TestMethodOrder(SeededRandomOrder.class)
public abstract class CoreLoopTests extends LoopTestSupport {

    @Test
    void shouldRunCallSoonCallbacksInFifoOrder() {
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            int n = i;
            loop.callSoon(() -> order.add(n));
        }
        loop.callSoon(loop::stop);
        loop.runForever();
        List<Integer> expected = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            expected.add(i);
        }
        assertEquals(expected, order);
    }

    @Test
    void shouldRunCallbacksScheduledByACallbackInTheNextIteration() {
        List<String> seen = new ArrayList<>();
        loop.callSoon(() -> {
            seen.add("a");
            loop.callSoon(() -> seen.add("c"));
        });
        loop.callSoon(() -> seen.add("b"));
        int work = loop.runOnce();
        assertEquals(List.of("a", "b"), seen, "only callbacks queued when the phase began run");
        assertTrue(work >= 2, "runOnce reports the callbacks it ran");
        loop.runOnce();
        assertEquals(List.of("a", "b", "c"), seen);
    }

    @Test
    void shouldNotRunCancelledHandle() {
        AtomicInteger ran = new AtomicInteger();
        Handle h = loop.callSoon(ran::incrementAndGet);
        h.cancel();
        assertTrue(h.isCancelled());
        loop.runOnce();
        assertEquals(0, ran.get());
    }

    @Test
    void shouldFireTimersWithEqualDeadlinesInScheduleOrder() {
        AtomicLong now = new AtomicLong(1_000_000_000L);
        loop.close();
        loop = EventLoop.builder().backend(backend()).clock(now::get).build();
        List<Integer> order = new ArrayList<>();
        long deadline = now.get() + 5_000_000;
        for (int i = 0; i < 50; i++) {
            int n = i;
            loop.callAt(deadline, () -> order.add(n));
        }
        now.set(deadline);
        loop.runOnce();
        List<Integer> expected = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            expected.add(i);
        }
        assertEquals(expected, order);
    }

    @Test
    void shouldFireTimersInDeadlineOrderWithAFakeClock() {
        AtomicLong now = new AtomicLong(0);
        loop.close();
        loop = EventLoop.builder().backend(backend()).clock(now::get).build();
        List<Integer> order = new ArrayList<>();
        loop.callAt(30_000_000, () -> order.add(3));
        loop.callAt(10_000_000, () -> order.add(1));
        loop.callAt(20_000_000, () -> order.add(2));
        loop.callAt(90_000_000, () -> order.add(9));
        now.set(29_999_999);
        loop.runOnce();
        assertEquals(List.of(1, 2), order, "a timer due later than the clock must not fire");
        now.set(30_000_000);
        loop.runOnce();
        assertEquals(List.of(1, 2, 3), order);
        assertEquals(1, loop.pendingTimers());
    }

    @Test
    void shouldNeverFireTimerEarly() {
        List<long[]> fired = new ArrayList<>();
        for (int delay : new int[] {1, 5, 17, 30, 2, 0}) {
            long scheduled = loop.time();
            TimerHandle[] h = new TimerHandle[1];
            h[0] = loop.callLater(delay, TimeUnit.MILLISECONDS, () -> fired.add(new long[] {h[0].when(), loop.time()}));
            assertTrue(h[0].when() >= scheduled + TimeUnit.MILLISECONDS.toNanos(delay));
        }
        runFor(60);
        assertEquals(6, fired.size());
        for (long[] f : fired) {
            assertTrue(f[1] >= f[0], "fired at " + f[1] + " before its deadline " + f[0]);
        }
    }

    @Test
    void shouldRunZeroAndNegativeDelayTimersInTheNextIteration() {
        List<String> seen = new ArrayList<>();
        loop.callLater(0, TimeUnit.MILLISECONDS, () -> seen.add("zero"));
        loop.callLater(-5, TimeUnit.SECONDS, () -> seen.add("negative"));
        loop.callLater(Long.MAX_VALUE, TimeUnit.DAYS, () -> seen.add("never"));
        loop.runOnce();
        assertEquals(List.of("negative", "zero"), seen, "due timers run in deadline order");
        assertEquals(1, loop.pendingTimers(), "the far-future timer stays scheduled");
    }

    @Test
    void shouldRunNegativeDelayTimersInDeadlineOrderAndEqualOnesInScheduleOrder() {
        AtomicLong now = new AtomicLong(5_000_000_000L);
        loop.close();
        loop = EventLoop.builder().backend(backend()).clock(now::get).build();
        List<String> seen = new ArrayList<>();
        TimerHandle minusOne = loop.callLater(-1, TimeUnit.SECONDS, () -> seen.add("-1s"));
        loop.callLater(Duration.ofSeconds(-2), () -> seen.add("-2s first"));
        loop.callLater(0, TimeUnit.SECONDS, () -> seen.add("0s"));
        loop.callLater(-2, TimeUnit.SECONDS, () -> seen.add("-2s second"));
        TimerHandle later = loop.callLater(1, TimeUnit.NANOSECONDS, () -> seen.add("+1ns"));
        assertEquals(now.get() - 1_000_000_000L, minusOne.when(), "a negative delay is not clamped to now");
        loop.runOnce();
        assertEquals(List.of("-2s first", "-2s second", "-1s", "0s"), seen, "deadline order, FIFO among equals");
        assertEquals(1, loop.pendingTimers(), "a timer due after the clock does not run early");
        now.set(later.when());
        loop.runOnce();
        assertEquals("+1ns", seen.get(4));
    }

    @Test
    void shouldFireATimerOnTimeBesideDeadlinesThatOverflowedIntoThePast() {
        List<String> seen = new ArrayList<>();
        loop.callAt(Long.MIN_VALUE, () -> seen.add("min"));
        loop.callAt(loop.time() + Long.MAX_VALUE + 1, () -> seen.add("overflowed never"));
        LoopFuture<Void> tenMillis = loop.createFuture();
        loop.callLater(10, TimeUnit.MILLISECONDS, () -> tenMillis.setResult(null));
        // A frozen poll would only end when this wakes it.
        java.util.concurrent.atomic.AtomicBoolean guardSent = new java.util.concurrent.atomic.AtomicBoolean();
        clients.submit(() -> {
            Thread.sleep(5_000);
            guardSent.set(true);
            loop.callSoonThreadsafe(() -> { });
            return null;
        });
        await(tenMillis);
        assertFalse(guardSent.get(), "the 10 ms timer waited for a wake-up from outside: the poll timeout overflowed");
        assertEquals(List.of("min", "overflowed never"), seen, "deadlines in the past run at once, in deadline order");
    }

    @Test
    void shouldSaturateEveryTimerEntryPointAtTheEndsOfTheClock() {
        AtomicLong now = new AtomicLong(Long.MAX_VALUE - 1_000);
        loop.close();
        loop = EventLoop.builder().backend(backend()).clock(now::get).build();
        List<String> seen = new ArrayList<>();
        TimerHandle[] late = {
            loop.callLater(Duration.ofSeconds(Long.MAX_VALUE, 999_999_999), () -> seen.add("max duration")),
            loop.callLater(Duration.ofDays(365L * 300), () -> seen.add("300 years")),
            loop.callLater(Long.MAX_VALUE, TimeUnit.DAYS, () -> seen.add("max days")),
            loop.callLater(1, TimeUnit.HOURS, () -> seen.add("an hour")),
            loop.callAt(Long.MAX_VALUE, () -> seen.add("callAt max")),
        };
        for (TimerHandle h : late) {
            assertEquals(Long.MAX_VALUE, h.when(), "saturated at the end of the clock: " + h);
        }
        TimerHandle soon = loop.callLater(Duration.ofNanos(500), () -> seen.add("500 ns"));
        assertEquals(Long.MAX_VALUE - 500, soon.when());
        loop.runOnce();
        assertEquals(List.of(), seen, "nothing is due yet");
        now.set(Long.MAX_VALUE);
        loop.runOnce();
        assertEquals(List.of("500 ns", "max duration", "300 years", "max days", "an hour", "callAt max"), seen);
        loop.close();

        now.set(Long.MIN_VALUE + 1_000);
        loop = EventLoop.builder().backend(backend()).clock(now::get).build();
        seen.clear();
        TimerHandle[] early = {
            loop.callLater(Duration.ofSeconds(Long.MIN_VALUE), () -> seen.add("min duration")),
            loop.callLater(Duration.ofDays(-365L * 300), () -> seen.add("-300 years")),
            loop.callLater(Long.MIN_VALUE, TimeUnit.NANOSECONDS, () -> seen.add("min nanos")),
            loop.callLater(-1, TimeUnit.HOURS, () -> seen.add("-1 hour")),
            loop.callAt(Long.MIN_VALUE, () -> seen.add("callAt min")),
        };
        for (TimerHandle h : early) {
            assertEquals(Long.MIN_VALUE, h.when(), "saturated at the start of the clock, not wrapped: " + h);
        }
        loop.callLater(1, TimeUnit.MICROSECONDS, () -> seen.add("1 µs"));
        loop.runOnce();
        assertEquals(List.of("min duration", "-300 years", "min nanos", "-1 hour", "callAt min"), seen);
        now.addAndGet(1_000);
        loop.runOnce();
        assertEquals("1 µs", seen.get(5));
    }

    @Test
    void shouldRunOneIterationWhenStoppedBeforeRunForever() throws Exception {
        List<String> seen = new ArrayList<>();
        loop.callSoon(() -> {
            seen.add("first iteration");
            loop.callSoon(() -> seen.add("second iteration"));
        });
        // Ends the test if the stop is lost.
        TimerHandle guard = loop.callLater(2, TimeUnit.SECONDS, () -> {
            seen.add("guard");
            loop.stop();
        });
        loop.stop();
        loop.runForever();
        assertEquals(List.of("first iteration"), seen, "a stop before runForever runs one iteration");
        assertFalse(loop.isRunning());
        guard.cancel();
        loop.callSoon(loop::stop);
        loop.runForever();
        assertEquals(List.of("first iteration", "second iteration"), seen, "the stop was spent: the loop runs again");

        clients.submit(loop::stop).get();
        LoopFuture<String> never = loop.createFuture();
        assertThrows(IllegalStateException.class, () -> loop.runUntilComplete(never),
                "a stop from another thread before runUntilComplete is kept too");
    }

    @Test
    void shouldKeepRunningWhenTheExceptionHandlerAndTheLoggerThrowErrors() {
        java.util.logging.Logger jul = java.util.logging.Logger.getLogger("dev.weft.loop");
        java.util.logging.Handler failing = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord record) {
                throw new InternalError("no descriptor left for the time-zone data");
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        java.io.PrintStream stderr = System.err;
        java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
        jul.addHandler(failing);
        System.setErr(new java.io.PrintStream(captured, true, java.nio.charset.StandardCharsets.UTF_8));
        List<String> seen = new ArrayList<>();
        try {
            loop.setExceptionHandler((l, ctx) -> {
                throw new AssertionError("the handler itself fails");
            });
            loop.callSoon(() -> {
                throw new IllegalStateException("callback failed");
            });
            loop.callSoon(() -> seen.add("same batch"));
            loop.callSoon(() -> loop.callSoon(() -> {
                seen.add("next iteration");
                loop.stop();
            }));
            loop.runForever();
            loop.setExceptionHandler(null);
            loop.callExceptionHandler(new ExceptionContext("direct call", new RuntimeException("x"), null));
        } finally {
            System.setErr(stderr);
            jul.removeHandler(failing);
        }
        assertEquals(List.of("same batch", "next iteration"), seen, "the loop went on");
        String lines = captured.toString(java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(lines.contains("weft: exception in callback: java.lang.IllegalStateException: callback failed"), lines);
        assertTrue(lines.contains("weft: exception in the exception handler: java.lang.AssertionError"), lines);
        assertTrue(lines.contains("weft: direct call: java.lang.RuntimeException: x (logging failed: java.lang.InternalError)"), lines);
    }

    @Test
    void shouldNotFireCancelledTimer() {
        AtomicInteger ran = new AtomicInteger();
        TimerHandle h = loop.callLater(5, TimeUnit.MILLISECONDS, ran::incrementAndGet);
        h.cancel();
        assertTrue(h.isCancelled());
        runFor(30);
        assertEquals(0, ran.get());
        assertEquals(0, loop.pendingTimers());
    }

    @Test
    void shouldTakeACancelledTimerOutOfTheWheelAtOnceWhileTheLoopIsNotRunning() {
        for (int i = 0; i < 1000; i++) {
            loop.callLater(1, TimeUnit.HOURS, () -> { }).cancel();
        }
        assertEquals(0, loop.pendingTimers(), "cancels must not queue up until the loop runs");
        loop.callSoon(() -> { });
        assertEquals(1, loop.runOnce(), "one callback ran and nothing was left in the inbox");
    }

    @Test
    void shouldCancelTimerFromAnotherThread() throws Exception {
        AtomicInteger ran = new AtomicInteger();
        TimerHandle h = loop.callLater(200, TimeUnit.MILLISECONDS, ran::incrementAndGet);
        whileLoopRuns(() -> {
            h.cancel();
            return null;
        });
        runFor(300);
        assertEquals(0, ran.get());
        assertEquals(0, loop.pendingTimers());
    }

    @Test
    void shouldScheduleTimerFromAnotherThread() {
        AtomicReference<Thread> ranOn = new AtomicReference<>();
        LoopFuture<Void> done = loop.createFuture();
        Thread me = Thread.currentThread();
        whileLoopRuns(() -> {
            loop.callLater(20, TimeUnit.MILLISECONDS, () -> {
                ranOn.set(Thread.currentThread());
                done.setResult(null);
            });
            return null;
        });
        await(done);
        assertSame(me, ranOn.get(), "timers run on the loop thread");
    }

    @Test
    void shouldRunEveryThreadsafeCallbackFromEightThreadsInPerThreadOrder() throws Exception {
        int threads = 8;
        int perThread = 10_000;
        int[] lastSeen = new int[threads];
        java.util.Arrays.fill(lastSeen, -1);
        AtomicInteger outOfOrder = new AtomicInteger();
        int[] total = new int[1];
        LoopFuture<Void> all = loop.createFuture();
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> ts = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int id = t;
            Thread th = new Thread(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < perThread; i++) {
                    int n = i;
                    loop.callSoonThreadsafe(() -> {
                        if (lastSeen[id] != n - 1) {
                            outOfOrder.incrementAndGet();
                        }
                        lastSeen[id] = n;
                        if (++total[0] == threads * perThread) {
                            all.setResult(null);
                        }
                    });
                }
            });
            th.start();
            ts.add(th);
        }
        loop.callSoon(start::countDown);
        await(all);
        for (Thread th : ts) {
            th.join();
        }
        assertEquals(threads * perThread, total[0], "no callback lost");
        assertEquals(0, outOfOrder.get(), "each thread's callbacks run in the order it scheduled them");
    }

    /** Runs {@code body} on a new thread and waits for it: "another thread", synchronously. */
    private static void onAnotherThread(Runnable body) {
        Thread t = new Thread(body, "other");
        t.start();
        try {
            t.join(10_000);
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
        assertFalse(t.isAlive(), "the other thread finished");
    }

    @Test
    void shouldRunThreadsafeCallbacksThatArrivedDuringTheRunPhaseInTheSameIteration() {
        List<String> seen = new ArrayList<>();
        loop.callSoon(() -> {
            seen.add("a");
            onAnotherThread(() -> loop.execute(() -> seen.add("b")));
        });
        loop.runOnce();
        assertEquals(List.of("a", "b"), seen,
                "nothing the loop queued itself waited, so the inbox was caught up without another poll");
    }

    @Test
    void shouldNotLetAThreadsafeCallbackOvertakeOneTheLoopQueuedBeforeIt() {
        List<String> seen = new ArrayList<>();
        loop.callSoon(() -> {
            loop.callSoon(() -> seen.add("queued by the loop first"));
            onAnotherThread(() -> loop.callSoonThreadsafe(() -> seen.add("queued by another thread after")));
        });
        loop.runOnce();
        assertEquals(List.of(), seen, "both wait for the next iteration");
        loop.runOnce();
        assertEquals(List.of("queued by the loop first", "queued by another thread after"), seen);
    }

    @Test
    void shouldLeaveAFloodFromAnotherThreadToLaterIterations() {
        int flood = 3000;
        int[] ran = new int[1];
        loop.callSoon(() -> onAnotherThread(() -> {
            for (int i = 0; i < flood; i++) {
                loop.execute(() -> ran[0]++);
            }
        }));
        loop.runOnce();
        assertTrue(ran[0] > 0 && ran[0] < flood,
                "one iteration ran part of the flood, leaving the rest for the next poll: " + ran[0]);
        for (int i = 0; i < 10 && ran[0] < flood; i++) {
            loop.runOnce();
        }
        assertEquals(flood, ran[0], "none lost");
    }

    /** Caught a lost wake-up in epoll's coalesced eventfd: the loop slept with work queued. */
    @Test
    void shouldNeverSleepWithWorkQueuedFromAnotherThread() throws Exception {
        long[] count = new long[1];
        java.util.concurrent.atomic.AtomicLong seen = new java.util.concurrent.atomic.AtomicLong();
        Runnable task = () -> seen.set(++count[0]);
        Thread runner = new Thread(loop::runForever, "loop-under-test");
        runner.start();
        try {
            long target = 0;
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
            while (System.nanoTime() < end) {
                for (int i = 0; i < 256; i++) {
                    loop.callSoonThreadsafe(task);
                }
                target += 256;
                long stallLimit = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                while (seen.get() != target) {
                    Thread.onSpinWait();
                    assertTrue(System.nanoTime() < stallLimit,
                            "the loop slept with " + (target - seen.get()) + " callbacks queued (a lost wake-up)");
                }
            }
        } finally {
            loop.stop();
            runner.join(10_000);
        }
        assertFalse(runner.isAlive());
    }

    @Test
    void shouldRejectLoopConfinedCallFromAnotherThreadWhileRunning() {
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        whileLoopRuns(() -> {
            while (!loop.isRunning()) {
                Thread.onSpinWait();
            }
            try {
                loop.callSoon(() -> { });
            } catch (Throwable t) {
                thrown.set(t);
            }
            return null;
        });
        assertInstanceOf(IllegalStateException.class, thrown.get());
        assertTrue(thrown.get().getMessage().contains("loop thread"), thrown.get().getMessage());
    }

    @Test
    void shouldFinishTheCurrentBatchWhenStopped() {
        List<String> seen = new ArrayList<>();
        loop.callSoon(() -> {
            seen.add("first");
            loop.stop();
            loop.callSoon(() -> seen.add("next-iteration"));
        });
        loop.callSoon(() -> seen.add("same-batch"));
        loop.runForever();
        assertEquals(List.of("first", "same-batch"), seen);
        assertFalse(loop.isRunning());
        loop.callSoon(loop::stop);
        loop.runForever();
        assertEquals(List.of("first", "same-batch", "next-iteration"), seen, "a stopped loop can run again");
    }

    @Test
    void shouldStopFromAnotherThreadAndWakeAnIdleLoop() {
        clients.submit(() -> {
            Thread.sleep(50);
            loop.stop();
            return null;
        });
        long start = System.nanoTime();
        loop.runForever();
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(20), "the idle loop was woken");
        assertFalse(loop.isRunning());
    }

    @Test
    void shouldRefuseCloseWhileRunningAndBeIdempotent() {
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        loop.callSoon(() -> {
            try {
                loop.close();
            } catch (Throwable t) {
                thrown.set(t);
            }
            loop.stop();
        });
        loop.runForever();
        assertInstanceOf(IllegalStateException.class, thrown.get());
        loop.close();
        loop.close();
        assertTrue(loop.isClosed());
        assertThrows(IllegalStateException.class, () -> loop.callSoon(() -> { }));
        assertThrows(IllegalStateException.class, loop::runForever);
    }

    @Test
    void shouldPassCallbackExceptionsToTheHandlerAndGoOn() {
        List<ExceptionContext> seen = new ArrayList<>();
        loop.setExceptionHandler((l, ctx) -> seen.add(ctx));
        RuntimeException boom = new RuntimeException("boom");
        AtomicInteger after = new AtomicInteger();
        loop.callSoon(() -> {
            throw boom;
        });
        loop.callSoon(after::incrementAndGet);
        loop.callSoon(loop::stop);
        loop.runForever();
        assertEquals(1, seen.size());
        assertSame(boom, seen.get(0).exception());
        assertInstanceOf(Handle.class, seen.get(0).source());
        assertEquals(1, after.get(), "the loop goes on after a failing callback");
    }

    @Test
    void shouldReportSlowCallbacksInDebugMode() {
        List<String> warnings = new ArrayList<>();
        loop.setWarningHandler(warnings::add);
        loop.setDebug(true);
        loop.setSlowCallbackThreshold(Duration.ofMillis(20));
        loop.callSoon(() -> sleep(40));
        loop.callSoon(() -> { });
        loop.callSoon(loop::stop);
        loop.runForever();
        assertEquals(1, warnings.size(), String.valueOf(warnings));
        assertTrue(warnings.get(0).contains("took"), warnings.get(0));
        assertEquals(Duration.ofMillis(20), loop.getSlowCallbackThreshold());
    }

    @Test
    void shouldUseNoCpuWhileIdle() {
        org.junit.jupiter.api.Assumptions.assumeTrue(ModuleLayer.boot().findModule("java.management").isPresent(),
                "needs java.management to read thread CPU time (the Windows JRE of the Wine run has none)");
        java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        org.junit.jupiter.api.Assumptions.assumeTrue(mx.isCurrentThreadCpuTimeSupported());
        runFor(20);
        long cpuBefore = mx.getCurrentThreadCpuTime();
        runFor(500);
        long cpu = mx.getCurrentThreadCpuTime() - cpuBefore;
        // A spinning loop burns ~500 ms of CPU here; a blocked one a few hundred microseconds.
        assertTrue(cpu < TimeUnit.MILLISECONDS.toNanos(50), "idle loop used " + cpu / 1000 + " us of CPU in 500 ms");
    }

    // ------------------------------------------------------------------ futures

    @Test
    void shouldFailResultOfPendingFuture() {
        LoopFuture<String> f = loop.createFuture();
        IllegalStateException e = assertThrows(IllegalStateException.class, f::result);
        assertTrue(e.getMessage().contains("pending"));
        assertThrows(IllegalStateException.class, f::exception);
    }

    @Test
    void shouldRejectSecondCompletionAndKeepTheFirst() {
        LoopFuture<String> f = loop.createFuture();
        f.setResult("one");
        assertThrows(IllegalStateException.class, () -> f.setResult("two"));
        assertThrows(IllegalStateException.class, () -> f.setException(new RuntimeException()));
        assertFalse(f.cancel("late"));
        assertEquals("one", f.result());
    }

    @Test
    void shouldRunDoneCallbacksThroughTheLoopNeverInline() {
        LoopFuture<String> f = loop.createFuture();
        List<String> seen = new ArrayList<>();
        f.addDoneCallback(x -> seen.add("cb1:" + x.result()));
        f.addDoneCallback(x -> seen.add("cb2"));
        f.setResult("v");
        assertTrue(seen.isEmpty(), "callbacks must not run inside setResult");
        f.addDoneCallback(x -> seen.add("cb3"));
        assertTrue(seen.isEmpty(), "a callback added to a done future is scheduled, not run");
        loop.runOnce();
        assertEquals(List.of("cb1:v", "cb2", "cb3"), seen);
    }

    @Test
    void shouldRemoveDoneCallback() {
        LoopFuture<String> f = loop.createFuture();
        List<String> seen = new ArrayList<>();
        java.util.function.Consumer<LoopFuture<String>> cb = x -> seen.add("removed");
        f.addDoneCallback(cb);
        f.addDoneCallback(x -> seen.add("kept"));
        f.addDoneCallback(cb);
        assertEquals(2, f.removeDoneCallback(cb));
        f.setResult("v");
        loop.runOnce();
        assertEquals(List.of("kept"), seen);
    }

    @Test
    void shouldCancelWithMessage() {
        LoopFuture<String> f = loop.createFuture();
        AtomicInteger called = new AtomicInteger();
        f.addDoneCallback(x -> called.incrementAndGet());
        assertTrue(f.cancel("because"));
        assertTrue(f.isCancelled());
        assertTrue(f.isDone());
        CancellationException e = assertThrows(CancellationException.class, f::result);
        assertEquals("because", e.getMessage());
        assertFalse(f.cancel("again"));
        loop.runOnce();
        assertEquals(1, called.get());
    }

    @Test
    void shouldRethrowFailureFromResult() {
        LoopFuture<String> f = loop.createFuture();
        IllegalArgumentException boom = new IllegalArgumentException("x");
        f.setException(boom);
        assertSame(boom, assertThrows(IllegalArgumentException.class, f::result));
        assertSame(boom, f.exception());
        LoopFuture<String> g = loop.createFuture();
        java.io.IOException io = new java.io.IOException("io");
        g.setException(io);
        CompletionException wrapped = assertThrows(CompletionException.class, g::result);
        assertSame(io, wrapped.getCause());
    }

    @Test
    void shouldBlockGetFromOtherThreadsAndFailOnTheLoopThread() throws Exception {
        LoopFuture<String> f = loop.createFuture();
        CompletableFuture<String> got = CompletableFuture.supplyAsync(() -> {
            try {
                return f.get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new CompletionException(e);
            }
        }, clients);
        AtomicReference<Throwable> onLoop = new AtomicReference<>();
        loop.callLater(30, TimeUnit.MILLISECONDS, () -> {
            try {
                f.get();
            } catch (Throwable t) {
                onLoop.set(t);
            }
            f.setResult("ok");
        });
        await(f);
        assertEquals("ok", got.get(10, TimeUnit.SECONDS));
        assertInstanceOf(IllegalStateException.class, onLoop.get());
        assertTrue(onLoop.get().getMessage().contains("deadlock"));
        LoopFuture<String> failed = loop.createFuture();
        failed.setException(new IllegalStateException("bad"));
        ExecutionException ee = assertThrows(ExecutionException.class, failed::get);
        assertEquals("bad", ee.getCause().getMessage());
    }

    @Test
    void shouldBridgeToAndFromCompletionStage() throws Exception {
        CompletableFuture<Integer> external = new CompletableFuture<>();
        LoopFuture<Integer> in = LoopFuture.fromStage(loop, external);
        clients.submit(() -> external.complete(41));
        assertEquals(41, await(in));

        LoopFuture<Integer> out = loop.createFuture();
        CompletableFuture<Integer> cf = out.toCompletableFuture();
        loop.callSoon(() -> out.setResult(42));
        loop.callLater(20, TimeUnit.MILLISECONDS, loop::stop);
        loop.runForever();
        assertEquals(42, cf.get(5, TimeUnit.SECONDS));

        CompletableFuture<Integer> failing = new CompletableFuture<>();
        LoopFuture<Integer> failedIn = LoopFuture.fromStage(loop, failing);
        failing.completeExceptionally(new IllegalStateException("no"));
        assertThrows(IllegalStateException.class, () -> await(failedIn));

        LoopFuture<Integer> cancelled = loop.createFuture();
        CompletableFuture<Integer> ccf = cancelled.toCompletableFuture();
        cancelled.cancel("stop");
        loop.runOnce();
        assertTrue(ccf.isCompletedExceptionally());
    }

    @Test
    void shouldReturnResultFromRunUntilComplete() {
        LoopFuture<String> f = loop.createFuture();
        loop.callLater(10, TimeUnit.MILLISECONDS, () -> f.setResult("done"));
        assertEquals("done", loop.runUntilComplete(f));
        assertFalse(loop.isRunning());
    }

    @Test
    void shouldRunExecutorWorkOffTheLoopThread() {
        Thread loopThread = Thread.currentThread();
        LoopFuture<Thread> f = loop.runInExecutor(null, Thread::currentThread);
        Thread worker = await(f);
        assertNotNull(worker);
        assertFalse(worker == loopThread);
        LoopFuture<Object> failing = loop.runInExecutor(null, () -> {
            throw new java.io.IOException("disk");
        });
        CompletionException e = assertThrows(CompletionException.class, () -> await(failing));
        assertEquals("disk", e.getCause().getMessage());
        assertNull(loop.runUntilComplete(loop.runInExecutor(null, () -> null)));
    }

    protected static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void shouldRunExecuteAndCallSoonInOneFifoOrderOnTheLoopThread() {
        List<Integer> order = new ArrayList<>();
        loop.callSoon(() -> {
            for (int i = 0; i < 10; i++) {
                int n = i;
                if (i % 2 == 0) {
                    loop.execute(() -> order.add(n));
                } else {
                    loop.callSoon(() -> order.add(n));
                }
            }
            loop.callSoon(loop::stop);
        });
        loop.runForever();
        assertEquals(List.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9), order);
    }

    @Test
    void shouldKeepEveryCrossThreadCallbackInOrderWhenTheInboxRingOverflows() throws Exception {
        int count = 20_000;
        List<Integer> order = new ArrayList<>();
        Thread producer = new Thread(() -> {
            for (int i = 0; i < count; i++) {
                int n = i;
                if (i % 3 == 0) {
                    loop.callSoonThreadsafe(() -> order.add(n));
                } else {
                    loop.execute(() -> order.add(n));
                }
            }
        });
        // The loop is not running: the producer fills the ring, then the overflow list.
        producer.start();
        producer.join();
        loop.runOnce();
        assertEquals(count, order.size(), "nothing lost");
        for (int i = 0; i < count; i++) {
            assertEquals(i, order.get(i), "order at " + i);
        }
    }

    @Test
    void shouldRunATimerOfScheduleTimerAtItsDeadlineAndNotOnceCancelled() {
        AtomicLong now = new AtomicLong(0);
        loop.close();
        loop = EventLoop.builder().backend(backend()).clock(now::get).build();
        List<String> fired = new ArrayList<>();
        long a = loop.scheduleTimer(10_000_000, () -> fired.add("a"));
        long b = loop.scheduleTimer(10_000_000, () -> fired.add("b"));
        assertTrue(loop.cancelTimer(b));
        assertFalse(loop.cancelTimer(b), "a second cancel finds nothing");
        now.set(9_999_999);
        loop.runOnce();
        assertEquals(List.of(), fired, "never early");
        now.set(10_000_000);
        loop.runOnce();
        assertEquals(List.of("a"), fired);
        assertFalse(loop.cancelTimer(a), "a fired timer cannot be cancelled");
        assertEquals(0, loop.pendingTimers());
    }

    @Test
    void shouldNotCancelAReusedTimerSlotWithAStaleId() {
        List<String> fired = new ArrayList<>();
        long stale = loop.scheduleTimer(loop.time(), () -> fired.add("first"));
        loop.runOnce();
        assertEquals(List.of("first"), fired);
        // The wheel reuses the freed slot for the next timer; the old id carries the old generation.
        long fresh = loop.scheduleTimer(loop.time(), () -> fired.add("second"));
        assertFalse(loop.cancelTimer(stale));
        assertFalse(loop.cancelTimer(dev.weft.loop.core.TimerWheel.NULL_TIMER));
        loop.runOnce();
        assertEquals(List.of("first", "second"), fired);
        assertFalse(loop.cancelTimer(fresh));
    }

    @Test
    void shouldRunEveryDoneCallbackInOrderWhenOneThrowsAndKeepTheirPlaceAmongCallSoon() {
        List<String> seen = new ArrayList<>();
        List<Throwable> errors = new ArrayList<>();
        loop.setExceptionHandler((l, ctx) -> errors.add(ctx.exception()));
        LoopFuture<String> f = loop.createFuture();
        f.addDoneCallback(x -> seen.add("1:" + x.result()));
        f.addDoneCallback(x -> {
            throw new IllegalStateException("boom");
        });
        f.addDoneCallback(x -> seen.add("3:" + x.result()));
        loop.callSoon(() -> seen.add("before"));
        f.setResult("v");
        loop.callSoon(() -> seen.add("after"));
        // Removed after completion: asyncio has already scheduled it, so it still runs.
        assertEquals(0, f.removeDoneCallback(x -> { }));
        loop.runOnce();
        assertEquals(List.of("before", "1:v", "3:v", "after"), seen);
        assertEquals(1, errors.size());
        assertEquals("boom", errors.get(0).getMessage());
        f.addDoneCallback(x -> seen.add("late"));
        loop.runOnce();
        assertEquals("late", seen.get(seen.size() - 1));
    }

    @Test
    void shouldRunALoopFutureGivenToExecuteAsATask() {
        AtomicInteger ran = new AtomicInteger();
        class RunnableFuture extends LoopFuture<Void> implements Runnable {
            RunnableFuture() {
                super(loop);
            }

            @Override
            public void run() {
                ran.incrementAndGet();
            }
        }
        RunnableFuture rf = new RunnableFuture();
        loop.execute(rf);
        loop.scheduleTimer(loop.time(), rf);
        loop.runOnce();
        assertEquals(2, ran.get(), "both run in one iteration: one ready, one due timer");
        assertFalse(rf.isDone());
    }

    @Test
    void shouldTakeCrossThreadWorkTimersAndStopWhenSpinningBeforeSleep() throws Exception {
        loop.close();
        System.setProperty("weft.loop.spinNanos", "1000000");
        try {
            loop = newLoop();
        } finally {
            System.clearProperty("weft.loop.spinNanos");
        }
        int rounds = 300;
        AtomicInteger ran = new AtomicInteger();
        AtomicInteger ticks = new AtomicInteger();
        AtomicReference<String> watchdog = new AtomicReference<>();
        Runnable[] tick = new Runnable[1];
        tick[0] = () -> {
            ticks.incrementAndGet();
            loop.callLater(Duration.ofMillis(3), tick[0]);
        };
        loop.callSoon(tick[0]);
        Thread producer = new Thread(() -> {
            java.util.Random random = new java.util.Random(7);
            try {
                for (int i = 0; i < rounds; i++) {
                    loop.execute(ran::incrementAndGet);
                    // Sometimes inside the spin window, sometimes after the loop went to sleep.
                    java.util.concurrent.locks.LockSupport.parkNanos(random.nextInt(3) * 900_000L);
                }
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (ran.get() < rounds && System.nanoTime() < deadline) {
                    Thread.sleep(1);
                }
                if (ran.get() < rounds) {
                    watchdog.set("only " + ran.get() + " of " + rounds + " cross-thread callbacks ran in 30 s");
                }
            } catch (Throwable t) {
                watchdog.set("the producer failed: " + t);
            } finally {
                loop.stop();
            }
        });
        producer.start();
        loop.runForever();
        producer.join();
        assertNull(watchdog.get());
        assertEquals(rounds, ran.get());
        assertTrue(ticks.get() > 1, "the timer fired while the loop spun: " + ticks.get());
    }

    /** A loop whose hand-off spin ({@code weft.loop.handoffSpinNanos}) lasts {@code seconds}. */
    private EventLoop loopWatchingItsInboxFor(long seconds) {
        System.setProperty("weft.loop.handoffSpinNanos", String.valueOf(TimeUnit.SECONDS.toNanos(seconds)));
        try {
            return newLoop();
        } finally {
            System.clearProperty("weft.loop.handoffSpinNanos");
        }
    }

    @Test
    void shouldRunATimerAtItsDeadlineWhileWatchingTheInboxAfterCrossThreadWork() {
        loop.close();
        loop = loopWatchingItsInboxFor(30);
        List<String> seen = new ArrayList<>();
        onAnotherThread(() -> loop.execute(() -> seen.add("handed off")));
        loop.runOnce();
        assertEquals(List.of("handed off"), seen);
        // The next iteration sleeps only after watching its inbox, and must not watch past this.
        long start = System.nanoTime();
        loop.callLater(Duration.ofMillis(50), () -> seen.add("timer"));
        for (int i = 0; i < 10 && seen.size() < 2; i++) {
            loop.runOnce();
        }
        long took = System.nanoTime() - start;
        assertEquals(List.of("handed off", "timer"), seen);
        assertTrue(took < TimeUnit.SECONDS.toNanos(20),
                "the watch ended when the timer was due, not after its 30 s: " + took / 1_000_000 + " ms");
    }

    @Test
    void shouldStopWhileWatchingTheInboxAfterCrossThreadWork() throws Exception {
        loop.close();
        loop = loopWatchingItsInboxFor(30);
        CountDownLatch ran = new CountDownLatch(1);
        Thread runner = new Thread(loop::runForever, "loop-under-test");
        runner.start();
        loop.execute(ran::countDown);
        assertTrue(ran.await(10, TimeUnit.SECONDS), "the cross-thread callback ran");
        long start = System.nanoTime();
        loop.stop();
        runner.join(TimeUnit.SECONDS.toMillis(20));
        assertFalse(runner.isAlive(), "runForever returned on stop(), not after the 30 s watch");
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(20));
    }

    @Test
    void shouldRunCrossThreadWorkThatArrivesWhileTheLoopWatchesItsInbox() throws Exception {
        loop.close();
        loop = loopWatchingItsInboxFor(30);
        int rounds = 200;
        AtomicInteger ran = new AtomicInteger();
        Thread runner = new Thread(loop::runForever, "loop-under-test");
        runner.start();
        try {
            for (int i = 1; i <= rounds; i++) {
                loop.execute(ran::incrementAndGet);
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (ran.get() < i && System.nanoTime() < deadline) {
                    Thread.onSpinWait();
                }
                assertEquals(i, ran.get(), "callback " + i + " ran while the loop watched its inbox");
            }
        } finally {
            loop.stop();
            runner.join(TimeUnit.SECONDS.toMillis(20));
        }
        assertFalse(runner.isAlive());
    }
}
