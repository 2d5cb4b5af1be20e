package dev.weft.loop.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.loop.EventLoop;
import dev.weft.loop.LoopFuture;
import dev.weft.loop.Server;
import dev.weft.loop.ServerOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Debug mode reports a server or transport garbage-collected without {@code close()}, once. A loop
 * holds what it has open, so the test drops a whole loop unclosed; its descriptors stay open for
 * the rest of the JVM, which is why this is not part of the conformance suite and its per-test
 * descriptor count.
 */
@Timeout(120)
public abstract class UnclosedResourceTests {
    protected abstract String backend();

    @Test
    void shouldReportAServerAndTransportsCollectedWithoutCloseOnce() throws Exception {
        List<String> warnings = Collections.synchronizedList(new ArrayList<>());
        openThingsAndDropTheLoop(warnings);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (count(warnings, "unclosed server") == 0 || count(warnings, "unclosed transport") < 2) {
            if (System.nanoTime() > deadline) {
                break;
            }
            System.gc();
            Thread.sleep(20);
        }
        for (int i = 0; i < 10; i++) {
            System.gc();
            Thread.sleep(20);
        }
        List<String> seen = unclosed(warnings);
        assertEquals(1, count(seen, "unclosed server"), seen.toString());
        assertEquals(2, count(seen, "unclosed transport"), "the client's and the server's side: " + seen);
        for (String w : seen) {
            assertTrue(w.contains("garbage-collected without close()") && w.contains("opened at:")
                    && w.contains("openThingsAndDropTheLoop"), w);
        }
    }

    @Test
    void shouldNotReportWhatWasClosed() throws Exception {
        List<String> warnings = Collections.synchronizedList(new ArrayList<>());
        openThingsAndCloseTheLoop(warnings);
        for (int i = 0; i < 50; i++) {
            System.gc();
            Thread.sleep(20);
        }
        assertEquals(List.of(), unclosed(warnings));
    }

    private void openThingsAndDropTheLoop(List<String> warnings) {
        EventLoop loop = open(warnings);
        assertEquals(3, loop.liveHandles(), "a server and both ends of a connection, left open");
    }

    private void openThingsAndCloseTheLoop(List<String> warnings) {
        EventLoop loop = open(warnings);
        loop.close();
    }

    private EventLoop open(List<String> warnings) {
        EventLoop loop = EventLoop.builder().backend(backend()).build();
        loop.setDebug(true);
        loop.setWarningHandler(warnings::add);
        Server server = loop.runUntilComplete(loop.createServer(() -> new TestProtocols.Echo(loop), "127.0.0.1", 0,
                ServerOptions.DEFAULTS));
        int port = server.addresses().get(0).getPort();
        loop.runUntilComplete(loop.createConnection(() -> new TestProtocols.Collector(loop), "127.0.0.1", port, null));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (server.connectionCount() == 0 && System.nanoTime() < deadline) {
            LoopFuture<Void> tick = loop.createFuture();
            loop.callLater(Duration.ofMillis(5), () -> tick.setResult(null));
            loop.runUntilComplete(tick);
        }
        return loop;
    }

    private static List<String> snapshot(List<String> warnings) {
        synchronized (warnings) {
            return new ArrayList<>(warnings);
        }
    }

    /** The reports of unclosed resources (debug mode may warn of slow callbacks on a busy machine too). */
    private static List<String> unclosed(List<String> warnings) {
        return snapshot(warnings).stream().filter(w -> w.startsWith("unclosed ")).toList();
    }

    private static long count(List<String> warnings, String prefix) {
        return snapshot(warnings).stream().filter(w -> w.startsWith(prefix)).count();
    }
}
