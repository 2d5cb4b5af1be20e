package dev.weft.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The TLS part's statements about its client: the method and every cell name the one that ran. */
class TlsCellTest {
    private static final TlsCell.Generator NATIVE = new TlsCell.Generator(Path.of("/cache/tls_load"),
            "tls_load.c, OpenSSL 3.0.19 27 Jan 2026, gcc 12 -O2 (built at package time), one thread, non-blocking OpenSSL over epoll");
    private static final TlsCell.Generator JAVA = new TlsCell.Generator(null,
            TlsCell.JAVA_GENERATOR + "; the native one (tls_load.c) is unavailable: no gcc on PATH to build tls_load.c");

    @Test
    void shouldNameTheNativeClientInTheMethodWhenItDrivesThePart() {
        String m = TlsCell.method(TlsCell.Plan.of(false), NATIVE);
        assertTrue(m.contains("the load generator on CPU 1: tls_load.c, OpenSSL 3.0.19"), m);
        assertTrue(m.contains("the client caches and offers no session"), m);
        assertFalse(m.contains("SSLSocket"), m);
    }

    @Test
    void shouldNameTheJavaClientAndWhyWhenItDrivesThePart() {
        String m = TlsCell.method(TlsCell.Plan.of(true), JAVA);
        assertTrue(m.contains("the load generator on CPU 1: tls-loadgen (JDK SSLSocket, one thread per connection); "
                + "the native one (tls_load.c) is unavailable: no gcc"), m);
        assertTrue(m.contains("the client invalidates each session"), m);
    }

    @Test
    void shouldPlanTwoRoundsInAtMost280SecondsByDefaultAndSixteenQuickKeepingEveryLoad() {
        TlsCell.Plan full = TlsCell.Plan.of(false);
        assertTrue(full.loads().containsAll(TlsCell.LOADS), String.valueOf(full.loads()));
        assertTrue(full.reps() >= 2, "a cell needs two runs to show its spread: " + full.reps());
        assertTrue(full.estimate(6, 4) <= 280, "default: " + full.estimate(6, 4) + " s");
        assertTrue(full.jitWarmupS() > 0, "JVM servers get a JIT warm-up on every load by default");
        assertTrue(TlsCell.Plan.of(true).estimate(4) <= 16, "quick: " + TlsCell.Plan.of(true).estimate(4) + " s");
        // The handshakes load warms each server up: it runs first, with the longer warm-up.
        assertTrue(full.loads().get(0).handshakes());
        assertTrue(full.warmupBefore(0, 0) > full.warmupBefore(0, 1));
        String m = TlsCell.method(full, NATIVE);
        assertTrue(m.contains(full.describe()) && m.contains("about " + Math.round(full.estimate(6, 4)) + " s"), m);
    }

    @Test
    void shouldCarryTheGeneratorOfItsRunsIntoEachCell() {
        Map<String, Map<String, List<Map<String, Object>>>> runs = new LinkedHashMap<>();
        for (String[] s : new String[][] {{"netty-jdk", "c"}, {"weft-epoll", "java"}}) {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("generator", s[1]);
            r.put("msgs_per_s", 1000.0);
            runs.computeIfAbsent("100x1KiB", k -> new LinkedHashMap<>()).put(s[0], new ArrayList<>(List.of(r)));
        }
        List<Object> cells = TlsCell.cells(runs);
        assertEquals("c", ReportWriter.map(cells.get(0)).get("generator"));
        assertEquals("java", ReportWriter.map(cells.get(1)).get("generator"));
    }

    @Test
    void shouldFallBackToTheJavaClientOnlyWhenAskedOrUnbuilt() {
        TlsCell.Generator asked = TlsCell.generator("java");
        assertEquals(null, asked.binary());
        assertEquals(TlsCell.JAVA_GENERATOR + ", as asked (--loadgen java)", asked.description());
        NativeLoadGen.Found f = NativeLoadGen.findTls();
        TlsCell.Generator auto = TlsCell.generator("auto");
        if (f.available()) {
            assertEquals(f.binary(), auto.binary());
        } else {
            assertEquals(null, auto.binary());
            assertTrue(auto.description().contains("unavailable: " + f.unavailable()), auto.description());
        }
    }
}
