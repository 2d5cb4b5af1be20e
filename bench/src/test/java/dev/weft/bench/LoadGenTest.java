package dev.weft.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.weft.bench.EchoHarness.Fault;
import java.io.IOException;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The load generator against small echo servers in this JVM ({@link EchoHarness}): a faithful one,
 * one that corrupts a byte, one that hangs up. Shows both modes move and check data, including
 * messages larger than the socket buffers (partial writes), and that a bad echo fails the run with
 * the offset.
 */
class LoadGenTest {
    private EchoHarness server;

    @AfterEach
    void stop() throws IOException {
        if (server != null) {
            server.close();
        }
    }

    /** Starts a test echo server doing {@code fault}; returns its port. */
    private int startServer(Fault fault, long after) throws IOException {
        return startServer(fault, after, 0);
    }

    /** {@link #startServer(Fault, long)} with socket buffers of {@code socketBuffer} bytes (see {@link EchoHarness#plain(Fault, long, int)}). */
    private int startServer(Fault fault, long after, int socketBuffer) throws IOException {
        server = EchoHarness.plain(fault, after, socketBuffer);
        return server.port();
    }

    private static final String[] MODES = {"blocking", "nio"};

    private static Map<String, Object> run(int port, int conns, int size, int depth, String mode) throws Exception {
        return run(port, conns, size, depth, mode, "all");
    }

    private static Map<String, Object> run(int port, int conns, int size, int depth, String mode, String check) throws Exception {
        return run(port, conns, size, depth, mode, check, 0);
    }

    private static Map<String, Object> run(int port, int conns, int size, int depth, String mode, String check, int socketBuffer)
            throws Exception {
        LoadGen.Config cfg = new LoadGen.Config("127.0.0.1", port, conns, size, depth, 1, 0, -1, 2, mode, check, false, socketBuffer);
        Map<String, Object> out = new LoadGen(cfg).measure();
        assertEquals(mode, out.get("mode"));
        return out;
    }

    /** Mode and check pairs that can run here: sampling only where {@link Discard} works. */
    private static java.util.List<String[]> checkedWays() {
        java.util.List<String[]> ways = new java.util.ArrayList<>();
        ways.add(new String[] {"blocking", "all"});
        ways.add(new String[] {"nio", "all"});
        if (Discard.UNAVAILABLE == null) {
            ways.add(new String[] {"nio", "sample"});
        }
        return ways;
    }

    private static LoadGen gen(int conns, int size, String mode, String check) {
        return new LoadGen(new LoadGen.Config("127.0.0.1", 1, conns, size, 1, 1, 0, -1, 1, mode, check, false));
    }

    private static long messages(Map<String, Object> out) {
        return ((Number) out.get("messages")).longValue();
    }

    @Test
    void shouldEchoAndCheckSmallMessagesInBothModes() throws Exception {
        int port = startServer(Fault.NONE, 0);
        for (String mode : MODES) {
            Map<String, Object> out = run(port, 2, 64, 4, mode);
            assertFalse(out.containsKey("error"), mode + ": " + out.get("error"));
            assertTrue(messages(out) > 100, mode + ": only " + messages(out) + " messages");
        }
    }

    @Test
    void shouldCarryMessagesLargerThanOneRead() throws Exception {
        int port = startServer(Fault.NONE, 0);
        for (String mode : MODES) {
            Map<String, Object> out = run(port, 3, 200 * 1024, 1, mode);
            assertFalse(out.containsKey("error"), mode + ": " + out.get("error"));
            assertTrue(messages(out) > 10, mode + ": only " + messages(out) + " messages");
        }
    }

    @Test
    void shouldResumeWritesTheSocketBufferCouldNotTake() throws Exception {
        // 16 × 256 KiB (4 MiB) in flight per connection, through socket buffers fixed at 32 KiB at both
        // ends (the kernel doubles the size and autotunes no more): the generator's and the server's
        // buffers and the server's 64 KiB read hold a few hundred KiB, so writes fall short and the
        // rest waits for OP_WRITE, however large the kernel would have grown its buffers.
        int buffer = 32 * 1024;
        int port = startServer(Fault.NONE, 0, buffer);
        Map<String, Object> out = run(port, 2, 256 * 1024, 16, "nio", "all", buffer);
        assertFalse(out.containsKey("error"), String.valueOf(out.get("error")));
        assertTrue(((Number) out.get("short_writes")).longValue() > 0, "no write was short: " + out);
        assertTrue(messages(out) > 10, "only " + messages(out) + " messages");
        assertEquals(1.0, ((Number) out.get("compared_fraction")).doubleValue(), "every echoed byte is checked: " + out);
    }

    @Test
    void shouldRefuseANegativeSocketBufferNamingIt() {
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> new LoadGen.Config("127.0.0.1", 1, 1, 64, 1, 1, 0, -1, 1, "nio", "all", false, -1));
        assertEquals("socketBuffer must be 0 (the kernel's) or a size in bytes, got -1", e.getMessage());
    }

    @Test
    void shouldFailTheRunWhenALossStallsAConnection() throws Exception {
        for (String[] way : checkedWays()) {
            // One message in flight: after the loss the connection waits for bytes that never come.
            int port = startServer(Fault.DROP_BYTES, 0);
            Map<String, Object> out = run(port, 1, 1024, 1, way[0], way[1]);
            String err = String.valueOf(out.get("error"));
            assertEquals("1 of 1 connections (the first: connection 0) completed no message in the 1 s measured window; "
                    + "a server that loses bytes stalls a connection", err, String.join("/", way));
            server.close();
        }
    }

    @Test
    void shouldFailTheRunOnACorruptedByteAndNameItsOffset() throws Exception {
        long at = 300_001;
        for (String mode : MODES) {
            int port = startServer(Fault.FLIP_BYTE, at);
            Map<String, Object> out = run(port, 1, 1024, 2, mode);
            String err = String.valueOf(out.get("error"));
            assertTrue(err.startsWith("echoed bytes differ from those sent at stream offset "), mode + ": " + err);
            long reported = Long.parseLong(err.substring(err.lastIndexOf(' ') + 1));
            // The offset is where the failing read began: at most one read before the bad byte.
            assertTrue(reported <= at && at - reported < LoadGen.MAX_SIZE, mode + ": " + err);
            server.close();
        }
    }

    @Test
    void shouldFailTheRunWhenTheServerHangsUp() throws Exception {
        for (String[] way : checkedWays()) {
            String mode = String.join("/", way);
            int port = startServer(Fault.CLOSE, 500_000);
            Map<String, Object> out = run(port, 1, way[1].equals("sample") ? 20 * 1024 : 1024, 1, way[0], way[1]);
            String err = String.valueOf(out.get("error"));
            assertTrue(err.startsWith("server closed the connection after ") || err.startsWith("connection failed: "),
                    mode + ": " + err);
            server.close();
        }
    }

    @Test
    void shouldCompareOnlySomeReadsWhenSampling() throws Exception {
        assumeTrue(Discard.UNAVAILABLE == null, Discard.UNAVAILABLE);
        int port = startServer(Fault.NONE, 0);
        Map<String, Object> out = run(port, 3, 200 * 1024, 1, "nio", "sample");
        assertFalse(out.containsKey("error"), String.valueOf(out.get("error")));
        assertEquals("sample", out.get("check"));
        assertTrue(messages(out) > 10, "only " + messages(out) + " messages");
        double f = ((Number) out.get("compared_fraction")).doubleValue();
        assertTrue(f > 0 && f < 0.5, "compared fraction " + f);
        Map<String, Object> all = run(port, 1, 1024, 1, "nio", "all");
        assertEquals(1.0, ((Number) all.get("compared_fraction")).doubleValue());
    }

    @Test
    void shouldFailASampledRunWhenBytesAreLostOrAllCorrupted() throws Exception {
        assumeTrue(Discard.UNAVAILABLE == null, Discard.UNAVAILABLE);
        for (Fault f : new Fault[] {Fault.DROP_BYTES, Fault.FLIP_ALL}) {
            int port = startServer(f, 1_000_000);
            // Two in flight, so that after a loss the stream goes on (shifted) instead of stalling.
            Map<String, Object> out = run(port, 1, 100 * 1024, 2, "nio", "sample");
            String err = String.valueOf(out.get("error"));
            assertTrue(err.startsWith("echoed bytes differ from those sent at stream offset "), f + ": " + err);
            server.close();
        }
    }

    @Test
    void shouldPickTheCheckFromSizeAndModeAndRefuseSampleWhereItCannotRun() {
        assertEquals("all", gen(10, 64, "nio", "auto").resolvedCheck());
        assertEquals("all", gen(10, 100 * 1024, "nio", "all").resolvedCheck());
        assertEquals(Discard.UNAVAILABLE == null ? "sample" : "all", gen(10, 100 * 1024, "nio", "auto").resolvedCheck());
        assertEquals("all", gen(1, 100 * 1024, "blocking", "auto").resolvedCheck());
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> gen(1, 100 * 1024, "blocking", "sample").resolvedCheck());
        assertEquals("--check sample needs --mode nio (this run is blocking)", e.getMessage());
    }

    @Test
    void shouldMatchOnlyTheSameWindowOfThePattern() {
        java.nio.ByteBuffer p = LoadGen.patternView();
        java.nio.ByteBuffer got = java.nio.ByteBuffer.allocateDirect(4096);
        p.position(LoadGen.PAT_LEN - 100).limit(LoadGen.PAT_LEN - 100 + 4096);
        got.put(p).flip();
        assertTrue(LoadGen.matches(got.duplicate(), LoadGen.patternView(), LoadGen.PAT_LEN - 100));
        assertTrue(LoadGen.matches(got.duplicate(), LoadGen.patternView(), 2L * LoadGen.PAT_LEN - 100));
        assertFalse(LoadGen.matches(got.duplicate(), LoadGen.patternView(), LoadGen.PAT_LEN - 99));
    }
}
