package dev.weft.loop.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.loop.EventLoop;
import dev.weft.loop.ExceptionContext;
import dev.weft.loop.LoopFuture;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * Signal handlers on the loop, checked with real signals: the test sends them to its own JVM with
 * {@code kill(1)} run as another process. Each test installs the loop's handler before it sends a
 * signal whose default action would end the JVM.
 */
@Timeout(60)
public abstract class SignalTests extends LoopTestSupport {

    /** Sends {@code signal} to this JVM from another process and waits for {@code kill} to exit. */
    protected static void kill(String signal) {
        ProcessBuilder pb = new ProcessBuilder("kill", "-s", signal, Long.toString(ProcessHandle.current().pid()))
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.DISCARD);
        try {
            int code = pb.start().waitFor();
            if (code != 0) {
                throw new AssertionError("kill -s " + signal + " exited with " + code);
            }
        } catch (IOException e) {
            throw new AssertionError("cannot run kill: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** Adds a handler for {@code signal}, sends it while the loop sleeps, and returns the thread the callback ran on. */
    private Thread handleOnce(String signal) {
        LoopFuture<Thread> ran = loop.createFuture();
        loop.addSignalHandler(signal, () -> {
            if (!ran.isDone()) {
                ran.setResult(Thread.currentThread());
            }
        });
        Thread loopThread = Thread.currentThread();
        // The loop has no timer and no ready callback: it blocks in the poll until the signal wakes it.
        clients.execute(() -> kill(signal));
        Thread seen = await(ran);
        assertSame(loopThread, seen, "the callback runs on the loop thread");
        assertTrue(loop.removeSignalHandler(signal));
        assertFalse(loop.removeSignalHandler(signal), "a second removal finds nothing");
        return seen;
    }

    @Test
    void shouldRunTheHandlerOnTheLoopThreadWhenSigusr1ArrivesWhileTheLoopSleeps() {
        handleOnce("USR1");
    }

    @Test
    void shouldRunTheHandlerWhenSighupArrivesOrRefuseItWhenTheProcessIgnoresSighup() throws IOException {
        if (!ignoredByThisProcess(1)) {
            handleOnce("SIGHUP");
            return;
        }
        // Started under nohup (or with SIGHUP set to SIG_IGN): the JVM would install no handler.
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> loop.addSignalHandler("SIGHUP", () -> { }));
        assertTrue(e.getMessage().contains("SIGHUP is ignored by this process"), e.getMessage());
        assertFalse(loop.removeSignalHandler("SIGHUP"), "nothing was left installed");
        assertTrue(ignoredByThisProcess(1), "the disposition is unchanged");
    }

    /** Whether this process ignores signal {@code number} now (Linux: the SigIgn mask of /proc/self/status). */
    private static boolean ignoredByThisProcess(int number) throws IOException {
        java.nio.file.Path status = java.nio.file.Path.of("/proc/self/status");
        if (!java.nio.file.Files.exists(status)) {
            return false;
        }
        for (String line : java.nio.file.Files.readAllLines(status)) {
            if (line.startsWith("SigIgn:")) {
                long mask = Long.parseUnsignedLong(line.substring("SigIgn:".length()).trim(), 16);
                return (mask & (1L << (number - 1))) != 0;
            }
        }
        return false;
    }

    @Test
    void shouldRunTheHandlerWhenSigtermIsSentFromOutside() {
        handleOnce("TERM");
    }

    @Test
    void shouldAcceptSignalNumbers() {
        int usr1 = new Signal("USR1").getNumber();
        AtomicInteger calls = new AtomicInteger();
        LoopFuture<Void> ran = loop.createFuture();
        loop.addSignalHandler(usr1, () -> {
            calls.incrementAndGet();
            if (!ran.isDone()) {
                ran.setResult(null);
            }
        });
        clients.execute(() -> kill("USR1"));
        await(ran);
        assertTrue(loop.removeSignalHandler("usr1"), "a name and a number are the same signal");
    }

    @Test
    void shouldCoalesceABurstIntoOneCallWhenTheLoopIsBusy() {
        AtomicInteger calls = new AtomicInteger();
        loop.addSignalHandler("USR1", calls::incrementAndGet);
        loop.callSoon(() -> {
            // The loop is busy in this callback while the burst arrives and is dispatched by the JVM.
            for (int i = 0; i < 3; i++) {
                kill("USR1");
            }
            sleep(1000);
        });
        runFor(300);
        assertEquals(1, calls.get(), "three signals raised while the loop was busy make one call");
        clients.execute(() -> kill("USR1"));
        LoopFuture<Void> more = loop.createFuture();
        loop.addSignalHandler("USR1", () -> {
            calls.incrementAndGet();
            more.setResult(null);
        });
        await(more);
        assertEquals(2, calls.get(), "a signal after the burst is not lost");
        assertTrue(loop.removeSignalHandler("USR1"));
    }

    @Test
    void shouldRestoreThePreviousHandlerOnRemoval() throws Exception {
        CountDownLatch previousSaw = new CountDownLatch(1);
        SignalHandler original = Signal.handle(new Signal("USR1"), s -> previousSaw.countDown());
        try {
            LoopFuture<Void> ran = loop.createFuture();
            loop.addSignalHandler("USR1", () -> ran.setResult(null));
            clients.execute(() -> kill("USR1"));
            await(ran);
            assertEquals(1, previousSaw.getCount(), "the displaced handler does not see the signal");
            assertTrue(loop.removeSignalHandler("USR1"));
            kill("USR1");
            assertTrue(previousSaw.await(20, TimeUnit.SECONDS), "the handler installed before sees the next signal");
        } finally {
            Signal.handle(new Signal("USR1"), original);
        }
    }

    @Test
    void shouldRestoreThePreviousHandlersWhenTheLoopCloses() throws Exception {
        CountDownLatch previousSaw = new CountDownLatch(1);
        SignalHandler original = Signal.handle(new Signal("USR1"), s -> previousSaw.countDown());
        try {
            loop.addSignalHandler("USR1", () -> {
            });
            loop.addSignalHandler("WINCH", () -> {
            });
            loop.close();
            kill("USR1");
            assertTrue(previousSaw.await(20, TimeUnit.SECONDS), "close puts the displaced handler back");
            EventLoop other = newLoop();
            try {
                LoopFuture<Void> ran = other.createFuture();
                other.addSignalHandler("WINCH", () -> ran.setResult(null));
                assertTrue(other.removeSignalHandler("WINCH"), "a closed loop no longer owns SIGWINCH");
            } finally {
                other.close();
            }
        } finally {
            Signal.handle(new Signal("USR1"), original);
        }
    }

    @Test
    void shouldRefuseSignalsTheJvmOrTheKernelReserveNamingWhy() {
        for (String name : List.of("SEGV", "BUS", "FPE", "ILL", "QUIT", "USR2", "KILL", "STOP", "CHLD")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> loop.addSignalHandler(name, () -> {
                    }), name);
            assertTrue(e.getMessage().contains("SIG" + name) && e.getMessage().contains("cannot be handled"),
                    e.getMessage());
        }
        int kill = new Signal("KILL").getNumber();
        IllegalArgumentException byNumber = assertThrows(IllegalArgumentException.class,
                () -> loop.addSignalHandler(kill, () -> {
                }));
        assertTrue(byNumber.getMessage().contains("SIGKILL"), byNumber.getMessage());
    }

    @Test
    void shouldRejectUnknownNamesAndNumbersOutOfRange() {
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                () -> loop.addSignalHandler("NOSUCH", () -> {
                }));
        assertTrue(unknown.getMessage().contains("NOSUCH"), unknown.getMessage());
        assertThrows(IllegalArgumentException.class, () -> loop.addSignalHandler("SIG", () -> {
        }));
        for (int n : new int[] {0, -1, 65}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> loop.addSignalHandler(n, () -> {
                    }));
            assertTrue(e.getMessage().contains(Integer.toString(n)), e.getMessage());
        }
        assertThrows(NullPointerException.class, () -> loop.addSignalHandler("USR1", null));
        assertThrows(NullPointerException.class, () -> loop.addSignalHandler((String) null, () -> {
        }));
        assertFalse(loop.removeSignalHandler("USR1"), "nothing was installed");
    }

    @Test
    void shouldRefuseASignalAnotherLoopHandles() {
        loop.addSignalHandler("USR1", () -> {
        });
        EventLoop other = newLoop();
        try {
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> other.addSignalHandler("USR1", () -> {
                    }));
            assertTrue(e.getMessage().contains("SIGUSR1"), e.getMessage());
        } finally {
            other.close();
        }
        assertTrue(loop.removeSignalHandler("USR1"));
    }

    @Test
    void shouldReportWhatAHandlerThrowsAndKeepRunningOtherHandlers() {
        List<ExceptionContext> reported = new ArrayList<>();
        loop.setExceptionHandler((l, c) -> reported.add(c));
        LoopFuture<Void> ran = loop.createFuture();
        loop.addSignalHandler("USR1", () -> {
            throw new IllegalStateException("boom");
        });
        loop.addSignalHandler("WINCH", () -> ran.setResult(null));
        loop.callSoon(() -> {
            kill("USR1");
            kill("WINCH");
            sleep(500);
        });
        await(ran);
        runFor(100);
        assertEquals(1, reported.size(), reported.toString());
        assertEquals("boom", reported.get(0).exception().getMessage());
        assertTrue(reported.get(0).message().contains("SIGUSR1"), reported.get(0).message());
        assertTrue(loop.removeSignalHandler("USR1"));
        assertTrue(loop.removeSignalHandler("WINCH"));
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
