package dev.weft.loop.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.loop.EventLoop;
import dev.weft.loop.ExceptionContext;
import dev.weft.loop.Handle;
import dev.weft.loop.LoopFuture;
import dev.weft.loop.LoopStats;
import dev.weft.loop.Protocol;
import dev.weft.loop.Server;
import dev.weft.loop.ServerOptions;
import dev.weft.loop.Transport;
import dev.weft.loop.task.Task;
import java.io.InputStream;
import java.lang.ref.WeakReference;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import jdk.jfr.consumer.RecordingStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * What a running loop tells the people who operate it: {@link EventLoop#stats()}, the JFR events
 * (category "Weft") and debug mode's reports. GC-based checks call {@link System#gc()} in a loop
 * with a bounded wait.
 */
@Timeout(120)
@TestMethodOrder(SeededRandomOrder.class)
public abstract class ObservabilityTests extends LoopTestSupport {

    // ------------------------------------------------------------------ stats

    @Test
    void shouldCountIterationsCallbacksAndTimersInStats() {
        LoopStats before = loop.stats();
        for (int i = 0; i < 10; i++) {
            loop.callSoon(() -> { });
        }
        loop.callLater(Duration.ofHours(1), () -> { });
        loop.runOnce();
        LoopStats after = loop.stats();
        assertEquals(before.iterations() + 1, after.iterations(), after.toString());
        assertEquals(before.callbacksRun() + 10, after.callbacksRun(), after.toString());
        assertEquals(1, after.pendingTimers(), after.toString());
        assertEquals(0, after.inboxDepth(), after.toString());
    }

    @Test
    void shouldCountTheInboxOtherThreadsFilled() throws Exception {
        Thread other = new Thread(() -> {
            for (int i = 0; i < 3; i++) {
                loop.callSoonThreadsafe(() -> { });
            }
        });
        other.start();
        other.join();
        assertEquals(3, loop.stats().inboxDepth());
        loop.runOnce();
        assertEquals(0, loop.stats().inboxDepth());
    }

    @Test
    void shouldCountLiveHandlesAndIoEventsOfAConnection() throws Exception {
        Server server = loop.runUntilComplete(loop.createServer(() -> new TestProtocols.Echo(loop), "127.0.0.1", 0,
                ServerOptions.DEFAULTS));
        int port = server.addresses().get(0).getPort();
        LoopStats before = loop.stats();
        whileLoopRuns(() -> {
            try (Socket s = new Socket("127.0.0.1", port)) {
                s.getOutputStream().write(new byte[] {1, 2, 3});
                InputStream in = s.getInputStream();
                for (int got = 0; got < 3; got++) {
                    assertTrue(in.read() >= 0);
                }
                // The server's live connection, seen from this thread while the loop runs.
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (loop.stats().liveHandles() < 2 && System.nanoTime() < deadline) {
                    Thread.sleep(1);
                }
                assertTrue(loop.stats().liveHandles() >= 2, "server and connection: " + loop.stats());
            }
            return null;
        });
        LoopStats after = loop.stats();
        assertTrue(after.ioEvents() >= before.ioEvents() + 2, "an accept and a read at least: " + before + " -> " + after);
        server.close();
        loop.runUntilComplete(server.waitClosed());
    }

    @Test
    void shouldReportTheLagOfATimerDelayedByASlowCallback() {
        loop.runUntilComplete(timerBehindASlowCallback());
        LoopStats s = loop.stats();
        assertTrue(s.lagLastNanos() >= TimeUnit.MILLISECONDS.toNanos(100), "lag of the last timer phase: " + s);
        assertTrue(s.lagMaxNanos() >= s.lagLastNanos(), s.toString());
        assertTrue(s.lagAvgNanos() > 0, s.toString());
        assertEquals(0, loop.stats().lagMaxNanos(), "the largest lag is since the previous read");
    }

    @Test
    void shouldNotCountATimerScheduledPastDueAsLate() {
        LoopFuture<Void> fired = loop.createFuture();
        loop.callSoon(() -> { });
        loop.runOnce();
        loop.callAt(loop.time() - TimeUnit.SECONDS.toNanos(10), () -> fired.setResult(null));
        loop.runUntilComplete(fired);
        LoopStats s = loop.stats();
        assertTrue(s.lagMaxNanos() < TimeUnit.SECONDS.toNanos(5), "a deadline 10 s in the past is not 10 s of lag: " + s);
    }

    @Test
    void shouldReadStatsFromAnotherThreadWhileTheLoopRuns() throws Exception {
        AtomicBoolean done = new AtomicBoolean();
        AtomicReference<String> problem = new AtomicReference<>();
        Thread reader = new Thread(() -> {
            long lastIterations = 0;
            long lastCallbacks = 0;
            while (!done.get()) {
                LoopStats s = loop.stats();
                if (s.iterations() < lastIterations || s.callbacksRun() < lastCallbacks) {
                    problem.set("counters went back: " + s);
                }
                lastIterations = s.iterations();
                lastCallbacks = s.callbacksRun();
            }
        });
        reader.start();
        int[] left = {20_000};
        Runnable again = new Runnable() {
            @Override
            public void run() {
                if (--left[0] > 0) {
                    loop.callSoon(this);
                } else {
                    loop.stop();
                }
            }
        };
        loop.callSoon(again);
        loop.runForever();
        done.set(true);
        reader.join();
        assertEquals(null, problem.get());
        assertTrue(loop.stats().callbacksRun() >= 20_000, loop.stats().toString());
    }

    // ------------------------------------------------------------------ JFR

    @Test
    void shouldStreamASlowCallbackEventWithTheCallbacksIdentity() throws Exception {
        List<RecordedEvent> seen = new CopyOnWriteArrayList<>();
        try (RecordingStream rs = new RecordingStream()) {
            rs.enable("dev.weft.SlowCallback").withThreshold(Duration.ofMillis(30));
            rs.enable("dev.weft.LoopLag").with("lagThreshold", "30 ms");
            rs.onEvent("dev.weft.SlowCallback", seen::add);
            rs.onEvent("dev.weft.LoopLag", seen::add);
            rs.startAsync();
            loop.callSoon(() -> { });
            loop.runUntilComplete(timerBehindASlowCallback());
            waitFor(() -> seen.stream().filter(e -> e.getEventType().getName().equals("dev.weft.SlowCallback")).count() >= 1
                    && seen.stream().anyMatch(e -> e.getEventType().getName().equals("dev.weft.LoopLag")), seen);
        }
        List<RecordedEvent> slow = seen.stream().filter(e -> e.getEventType().getName().equals("dev.weft.SlowCallback")).toList();
        assertEquals(1, slow.size(), "only the slow callback: " + slow);
        RecordedEvent e = slow.get(0);
        assertEquals(DeliberatelySlow.class.getName(), e.getString("callbackClass"));
        assertTrue(e.getString("handle").contains("deliberately slow"), e.getString("handle"));
        assertTrue(e.getDuration().toMillis() >= 100, "duration " + e.getDuration());
        RecordedEvent lag = seen.stream().filter(x -> x.getEventType().getName().equals("dev.weft.LoopLag")).findFirst().get();
        assertTrue(lag.getDuration("lag").toMillis() >= 50, "lag " + lag.getDuration("lag"));
        assertEquals(loop.backendName(), lag.getString("backend"));
    }

    @Test
    void shouldStreamASlowDataReceivedAsASlowCallbackNamingTheProtocol() throws Exception {
        Server server = loop.runUntilComplete(loop.createServer(SlowReader::new, "127.0.0.1", 0, ServerOptions.DEFAULTS));
        int port = server.addresses().get(0).getPort();
        List<RecordedEvent> seen = new CopyOnWriteArrayList<>();
        try (RecordingStream rs = new RecordingStream()) {
            rs.enable("dev.weft.SlowCallback").withThreshold(Duration.ofMillis(30));
            rs.onEvent("dev.weft.SlowCallback", seen::add);
            rs.startAsync();
            whileLoopRuns(() -> {
                try (Socket s = new Socket("127.0.0.1", port)) {
                    s.getOutputStream().write(new byte[] {1, 2, 3});
                    assertTrue(s.getInputStream().read() >= 0, "the server answers after its slow read");
                }
                return null;
            });
            waitFor(() -> seen.stream().anyMatch(e -> SlowReader.class.getName().equals(e.getString("callbackClass"))), seen);
        }
        RecordedEvent e = seen.stream().filter(x -> SlowReader.class.getName().equals(x.getString("callbackClass")))
                .findFirst().orElseThrow();
        assertTrue(e.getDuration().toMillis() >= 50, "duration " + e.getDuration());
        server.close();
        loop.runUntilComplete(server.waitClosed());
    }

    /** A protocol whose dataReceived blocks the loop thread for 60 ms, then answers one byte. */
    public static final class SlowReader implements Protocol {
        private Transport transport;

        @Override
        public void connectionMade(Transport transport) {
            this.transport = transport;
        }

        @Override
        public void dataReceived(org.agrona.DirectBuffer data) {
            try {
                Thread.sleep(60);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            transport.write(new byte[] {9});
        }
    }

    @Test
    void shouldWriteSlowCallbackStepLagAndTransportErrorEventsToARecordingFile() throws Exception {
        Path file = Files.createTempFile("weft-loop", ".jfr");
        try (Recording r = new Recording()) {
            r.enable("dev.weft.SlowCallback").withThreshold(Duration.ofMillis(30));
            r.enable("dev.weft.SlowTaskStep").withThreshold(Duration.ofMillis(30));
            r.enable("dev.weft.LoopLag").with("lagThreshold", "30 ms");
            r.enable("dev.weft.TransportError");
            r.start();

            loop.runUntilComplete(timerBehindASlowCallback());

            Task<Object> task = loop.createTask(() -> {
                sleep(120);
                return null;
            }, "slow-task");
            loop.runUntilComplete(task);

            resetByPeer();
            r.stop();
            r.dump(file);
        }
        try {
            List<RecordedEvent> events = RecordingFile.readAllEvents(file);
            List<String> names = new ArrayList<>();
            for (RecordedEvent e : events) {
                names.add(e.getEventType().getName());
            }
            // The task's step is a slow callback too (its class is the task's step runner).
            long slowOnes = events.stream().filter(e -> e.getEventType().getName().equals("dev.weft.SlowCallback")
                    && DeliberatelySlow.class.getName().equals(e.getString("callbackClass"))).count();
            assertEquals(1, slowOnes, names.toString());
            RecordedEvent step = only(events, "dev.weft.SlowTaskStep", names);
            assertEquals("slow-task", step.getString("task"));
            assertTrue(step.getDuration().toMillis() >= 100, "step duration " + step.getDuration());
            assertTrue(names.contains("dev.weft.LoopLag"), names.toString());
            RecordedEvent error = only(events, "dev.weft.TransportError", names);
            assertTrue(error.getString("errorClass").contains("Exception"), error.getString("errorClass"));
            assertNotNull(error.getString("transport"));
        } finally {
            Files.deleteIfExists(file);
        }
    }

    /** A client resets its connection to a server of the loop: the server's transport fails with it. */
    private void resetByPeer() throws Exception {
        AtomicReference<TestProtocols.Echo> accepted = new AtomicReference<>();
        Server server = loop.runUntilComplete(loop.createServer(() -> {
            TestProtocols.Echo e = new TestProtocols.Echo(loop);
            accepted.set(e);
            return e;
        }, "127.0.0.1", 0, ServerOptions.DEFAULTS));
        int port = server.addresses().get(0).getPort();
        CompletableFuture<Void> client = CompletableFuture.runAsync(() -> {
            try {
                Socket s = new Socket("127.0.0.1", port);
                s.getOutputStream().write(1);
                s.getInputStream().read();
                s.setSoLinger(true, 0);
                s.close();
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }, clients);
        loop.runUntilComplete(LoopFuture.fromStage(loop, client));
        Throwable cause = loop.runUntilComplete(accepted.get().lost);
        assertNotNull(cause, "the reset reaches connectionLost as an error");
        server.close();
        loop.runUntilComplete(server.waitClosed());
    }

    // ------------------------------------------------------------------ debug mode

    @Test
    void shouldReportASlowCallbackWithWhereItsHandleWasMadeInDebugMode() {
        List<String> warnings = new ArrayList<>();
        loop.setWarningHandler(warnings::add);
        loop.setDebug(true);
        loop.setSlowCallbackThreshold(Duration.ofMillis(20));
        scheduleTheSlowOne();
        loop.callSoon(loop::stop);
        loop.runForever();
        assertEquals(1, warnings.size(), warnings.toString());
        String w = warnings.get(0);
        assertTrue(w.contains("deliberately slow") && w.contains("took"), w);
        assertTrue(w.contains("handle created at:") && w.contains("scheduleTheSlowOne"), w);
    }

    private void scheduleTheSlowOne() {
        loop.callSoon(new DeliberatelySlow());
    }

    @Test
    void shouldRecordWhereAHandleHandedOverFromAnotherThreadWasMadeInDebugMode() throws Exception {
        loop.setDebug(true);
        AtomicReference<Handle> made = new AtomicReference<>();
        Thread other = new Thread(() -> handOverFromAnotherThread(made), "hand-over");
        other.start();
        other.join(10_000);
        StackTraceElement[] site = made.get().creationSite();
        assertNotNull(site, "a handle made in debug mode records its site");
        assertTrue(Arrays.stream(site).anyMatch(f -> f.getMethodName().equals("handOverFromAnotherThread")),
                Arrays.toString(site));
        loop.runOnce();
    }

    private void handOverFromAnotherThread(AtomicReference<Handle> made) {
        made.set(loop.callSoonThreadsafe(() -> { }));
    }

    @Test
    void shouldNotKeepAHandleOrAFutureAliveForItsCreationSiteInDebugMode() throws Exception {
        loop.setDebug(true);
        Handle h = loop.callSoon(() -> { });
        LoopFuture<String> f = loop.createFuture();
        WeakReference<Handle> handle = new WeakReference<>(h);
        WeakReference<LoopFuture<String>> future = new WeakReference<>(f);
        assertNotNull(h.creationSite());
        assertNotNull(f.creationSite());
        f.setResult("done");
        h = null;
        f = null;
        loop.runOnce();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while ((handle.get() != null || future.get() != null) && System.nanoTime() < deadline) {
            System.gc();
            Thread.sleep(10);
        }
        assertEquals(null, handle.get(), "the loop holds a handle that ran only weakly, for its creation site");
        assertEquals(null, future.get(), "the loop holds a done future only weakly, for its creation site");
    }

    @Test
    void shouldTurnDebugModeOnFromTheSystemProperty() {
        String old = System.getProperty("weft.loop.debug");
        System.setProperty("weft.loop.debug", "true");
        EventLoop debugLoop;
        try {
            debugLoop = newLoop();
        } finally {
            if (old == null) {
                System.clearProperty("weft.loop.debug");
            } else {
                System.setProperty("weft.loop.debug", old);
            }
        }
        try {
            assertTrue(debugLoop.isDebug());
            assertNotNull(debugLoop.callSoon(() -> { }).creationSite(), "handles record where they were made");
        } finally {
            debugLoop.close();
        }
        assertFalse(loop.isDebug(), "off by default");
        assertEquals(null, loop.callSoon(() -> { }).creationSite());
    }

    @Test
    void shouldReportAFutureFailureNobodyRetrievedWithWhereTheFutureWasMade() throws Exception {
        List<ExceptionContext> handled = Collections.synchronizedList(new ArrayList<>());
        loop.setExceptionHandler((l, ctx) -> handled.add(ctx));
        loop.setDebug(true);
        failAFutureAndForgetIt();
        loop.setDebug(false);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (handled.isEmpty() && System.nanoTime() < deadline) {
            System.gc();
            runFor(10);
        }
        assertEquals(1, handled.size(), "one report: " + handled);
        ExceptionContext ctx = handled.get(0);
        assertEquals("forgotten", ctx.exception().getMessage());
        assertTrue(ctx.message().contains("Future exception was never retrieved"), ctx.message());
        assertTrue(ctx.message().contains("future created at:") && ctx.message().contains("failAFutureAndForgetIt"),
                ctx.message());
    }

    private void failAFutureAndForgetIt() {
        LoopFuture<Void> f = loop.createFuture();
        f.setException(new IllegalStateException("forgotten"));
    }

    // ------------------------------------------------------------------ helpers

    /**
     * A timer due in 10 ms, scheduled by a callback that then blocks the loop for 150 ms
     * ({@link DeliberatelySlow}): the timer fires at least 140 ms late.
     */
    private LoopFuture<Void> timerBehindASlowCallback() {
        LoopFuture<Void> fired = loop.createFuture();
        loop.callSoon(new DeliberatelySlow(() -> loop.callLater(Duration.ofMillis(10), () -> fired.setResult(null))));
        return fired;
    }

    /** A callback that blocks its loop for 150 ms, named in reports. */
    static final class DeliberatelySlow implements Runnable {
        private final Runnable first;

        DeliberatelySlow() {
            this(() -> { });
        }

        /** Runs {@code first}, then blocks. */
        DeliberatelySlow(Runnable first) {
            this.first = first;
        }

        @Override
        public void run() {
            first.run();
            sleep(150);
        }

        @Override
        public String toString() {
            return "deliberately slow";
        }
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static RecordedEvent only(List<RecordedEvent> events, String name, List<String> names) {
        List<RecordedEvent> found = events.stream().filter(e -> e.getEventType().getName().equals(name)).toList();
        assertEquals(1, found.size(), "one " + name + " among " + names);
        return found.get(0);
    }

    private static void waitFor(java.util.function.BooleanSupplier condition, Object state) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertTrue(condition.getAsBoolean(), "not seen within 30 s: " + state);
    }
}
