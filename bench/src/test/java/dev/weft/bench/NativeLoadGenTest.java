package dev.weft.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.weft.bench.EchoHarness.Fault;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The native load generator (built by gcc at package time, else at run time) against the small
 * echo servers of {@link EchoHarness}: it moves and checks data in each workload shape of the
 * report, prints the Java generator's JSON fields, and fails a run on a corrupted byte, a hang-up
 * or a stalled connection. Skipped, with the reason, where the generator is unavailable.
 */
class NativeLoadGenTest {
    private EchoHarness server;
    private NativeLoadGen.Found gen;

    @BeforeEach
    void find() {
        gen = NativeLoadGen.find();
        assumeTrue(gen.available(), () -> "native load generator unavailable: " + gen.unavailable());
    }

    @AfterEach
    void stop() throws IOException {
        if (server != null) {
            server.close();
        }
    }

    private int startServer(Fault fault, long after) throws IOException {
        server = EchoHarness.plain(fault, after);
        return server.port();
    }

    private Map<String, Object> run(int port, Workload w, int exitWanted) {
        return EchoHarness.runJson(NativeLoadGen.command(gen.binary(), port, w, 0, 1, ProcessHandle.current().pid()), 60, exitWanted);
    }

    @Test
    void shouldEchoAndCheckEveryWorkloadShapeOfTheReport() throws Exception {
        int port = startServer(Fault.NONE, 0);
        for (Workload w : List.of(new Workload("a", "one connection", 1, 64, 1), new Workload("b", "pipelined", 3, 64, 8),
                new Workload("c", "large", 2, 100 * 1024, 1), new Workload("d", "one connection, 1.6 MB in flight", 1, 100 * 1024, 16))) {
            Map<String, Object> out = run(port, w, 0);
            assertFalse(out.containsKey("error"), w + ": " + out.get("error"));
            assertEquals("c", out.get("generator"));
            assertEquals(LoadGen.SCHEMA, out.get("schema"));
            assertTrue(((Number) out.get("messages")).longValue() > 10, w + ": " + out);
            assertEquals(w.size() >= LoadGen.SAMPLE_FROM ? "sample" : "all", out.get("check"), w.toString());
            assertTrue(Report.num(out, "latency_us", "p99") >= Report.num(out, "latency_us", "p50"), out.toString());
            assertTrue(Report.num(out, "server_cpu", "user_us_per_msg") != null, "--pid gives the server's CPU: " + out);
            assertTrue(Report.num(out, "server_cpu", "sleeps_per_msg") != null, "--pid gives the server's sleeps: " + out);
            assertTrue(Report.num(out, "client_cpu", "util") != null && out.get("client_cpu") instanceof Map, out.toString());
        }
    }

    @Test
    void shouldFailTheRunOnACorruptedByteAndNameItsOffset() throws Exception {
        long at = 300_001;
        for (int conns : new int[] {1, 2}) {
            int port = startServer(Fault.FLIP_BYTE, at);
            Map<String, Object> out = run(port, new Workload("x", "x", conns, 1024, 2), 1);
            String err = String.valueOf(out.get("error"));
            assertTrue(err.startsWith("echoed bytes differ from those sent at stream offset "), conns + ": " + err);
            long reported = Long.parseLong(err.substring(err.lastIndexOf(' ') + 1));
            assertTrue(reported <= at && at - reported < LoadGen.MAX_SIZE, conns + ": " + err);
            server.close();
        }
    }

    @Test
    void shouldFailTheRunWhenTheServerHangsUpOrALossStallsAConnection() throws Exception {
        int port = startServer(Fault.CLOSE, 500_000);
        String err = String.valueOf(run(port, new Workload("x", "x", 2, 1024, 1), 1).get("error"));
        assertTrue(err.startsWith("server closed the connection after ") || err.startsWith("connection failed: "), err);
        server.close();
        port = startServer(Fault.DROP_BYTES, 0);
        err = String.valueOf(run(port, new Workload("x", "x", 1, 1024, 1), 1).get("error"));
        assertEquals("1 of 1 connections (the first: connection 0) completed no message in the 1 s measured window; "
                + "a server that loses bytes stalls a connection", err);
    }

    @Test
    void shouldRejectBadArgumentsNamingThem() {
        Proc.Result r = Proc.run(List.of(gen.binary().toString(), "--port", "1", "--size", "0"), 10);
        assertEquals(2, r.exit(), r.out());
        assertTrue(r.out().contains("--size") && r.out().contains("'0'"), r.out());
    }
}
