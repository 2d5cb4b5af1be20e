package dev.weft.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.weft.bench.EchoHarness.Fault;
import dev.weft.bench.weft.TlsSetup;
import dev.weft.loop.tls.PemFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The native TLS load generator ({@code tls_load.c}, built by gcc at package time, else at run time)
 * against a JDK {@code SSLServerSocket} echo server in this JVM ({@link EchoHarness#tls}): it
 * negotiates TLS 1.3 AES-128-GCM, moves and checks data in each shape of the report's TLS part,
 * makes full handshakes only, prints the Java generator's JSON fields, and fails a run on a
 * corrupted byte, a hang-up or an untrusted certificate. Skipped, with the reason, where the generator is unavailable.
 */
class NativeTlsLoadTest {
    private static Path[] pem;
    private NativeLoadGen.Found gen;
    private EchoHarness server;

    @BeforeAll
    static void certificate() throws Exception {
        pem = TlsSetup.selfSigned();
    }

    @BeforeEach
    void find() {
        gen = NativeLoadGen.findTls();
        assumeTrue(gen.available(), () -> "native TLS load generator unavailable: " + gen.unavailable());
    }

    @AfterEach
    void stop() throws IOException {
        if (server != null) {
            server.close();
        }
    }

    private int startServer(Fault fault, long after) throws Exception {
        server = EchoHarness.tls(PemFiles.serverContext(pem[0], pem[1]), fault, after);
        return server.port();
    }

    private Map<String, Object> run(int port, int exitWanted, String... args) {
        List<String> cmd = new ArrayList<>(List.of(gen.binary().toString(), "--port", String.valueOf(port),
                "--ca", pem[0].toString(), "--warmup", "0", "--duration", "1", "--pid", String.valueOf(ProcessHandle.current().pid())));
        cmd.addAll(List.of(args));
        return EchoHarness.runJson(cmd, 120, exitWanted);
    }

    @Test
    void shouldEchoAndCheckEveryShapeOfTheTlsPartWithTls13Aes128Gcm() throws Exception {
        int port = startServer(Fault.NONE, 0);
        for (List<String> shape : List.of(List.of("--connections", "100", "--size", "1024"),
                List.of("--connections", "10", "--size", "102400"),
                List.of("--connections", "3", "--size", "1024", "--pipeline", "8"))) {
            Map<String, Object> out = run(port, 0, shape.toArray(new String[0]));
            assertNull(out.get("error"), shape + ": " + out.get("error"));
            assertEquals("c", out.get("generator"));
            assertEquals(TlsLoadGen.SCHEMA, out.get("schema"));
            assertEquals("echo", out.get("mode"));
            assertEquals(TlsLoadGen.PROTOCOL + " " + TlsLoadGen.SUITE, out.get("negotiated"), shape.toString());
            assertTrue(((Number) out.get("messages")).longValue() > 0, shape + ": " + out);
            assertTrue(Report.num(out, "latency_us", "p99") >= Report.num(out, "latency_us", "p50"), out.toString());
            assertTrue(Report.num(out, "server_cpu", "user_us_per_msg") != null, "--pid gives the server's CPU: " + out);
        }
    }

    @Test
    void shouldMakeAFullHandshakePerRequestAndResumeNone() throws Exception {
        int port = startServer(Fault.NONE, 0);
        Map<String, Object> out = run(port, 0, "--handshakes", "--connections", "4", "--size", "64");
        assertNull(out.get("error"), String.valueOf(out.get("error")));
        assertEquals("handshakes", out.get("mode"));
        long messages = ((Number) out.get("messages")).longValue();
        long handshakes = ((Number) out.get("handshakes")).longValue();
        assertTrue(messages > 0 && handshakes >= messages, out.toString());
        assertEquals(0L, ((Number) out.get("resumed")).longValue(), out.toString());
    }

    @Test
    void shouldPrintEveryFieldTheJavaGeneratorPrints() throws Exception {
        int port = startServer(Fault.NONE, 0);
        Map<String, Object> java = new TlsLoadGen(new TlsLoadGen.Config("127.0.0.1", port, 2, 256, 1, 0,
                ProcessHandle.current().pid(), false, pem[0], false)).measure();
        assertNull(java.get("error"), String.valueOf(java.get("error")));
        Map<String, Object> c = run(port, 0, "--connections", "2", "--size", "256");
        assertTrue(c.keySet().containsAll(java.keySet()), "C " + c.keySet() + " lacks some of Java's " + java.keySet());
        for (String nested : List.of("latency_us", "server_cpu", "client_cpu")) {
            Set<String> want = ReportWriter.map(java.get(nested)).keySet();
            assertTrue(ReportWriter.map(c.get(nested)).keySet().containsAll(want), nested + ": " + c.get(nested) + " vs " + want);
        }
        assertEquals(java.get("negotiated"), c.get("negotiated"));
    }

    @Test
    void shouldFailTheRunOnACorruptedByteAndNameItsOffset() throws Exception {
        long at = 300_001;
        int port = startServer(Fault.FLIP_BYTE, at);
        String err = String.valueOf(run(port, 1, "--connections", "1", "--size", "1024").get("error"));
        assertEquals("echoed bytes differ from those sent at stream offset " + at, err);
    }

    @Test
    void shouldFailTheRunWhenTheServerHangsUp() throws Exception {
        int port = startServer(Fault.CLOSE, 100_000);
        String err = String.valueOf(run(port, 1, "--connections", "2", "--size", "1024").get("error"));
        assertTrue(err.contains("the server sent close_notify after ") || err.contains("without close_notify")
                || err.contains("failed: "), err);
    }

    @Test
    void shouldFailTheHandshakeOnAnUntrustedCertificateNamingTheCheck() throws Exception {
        Path[] other = TlsSetup.selfSigned();
        int port = startServer(Fault.NONE, 0);
        List<String> cmd = List.of(gen.binary().toString(), "--port", String.valueOf(port), "--ca", other[0].toString(),
                "--warmup", "0", "--duration", "1");
        Proc.Result r = Proc.run(cmd, 60);
        assertEquals(1, r.exit(), r.out());
        assertTrue(r.out().contains("TLS handshake failed: certificate check: "), r.out());
    }

    @Test
    void shouldRejectBadArgumentsNamingThem() {
        Proc.Result r = Proc.run(List.of(gen.binary().toString(), "--port", "1", "--ca", pem[0].toString(), "--size", "0"), 10);
        assertEquals(2, r.exit(), r.out());
        assertTrue(r.out().contains("--size") && r.out().contains("'0'"), r.out());
        r = Proc.run(List.of(gen.binary().toString(), "--port", "1"), 10);
        assertEquals(2, r.exit(), r.out());
        assertTrue(r.out().contains("--ca"), r.out());
    }

    @Test
    void shouldDriveTheTlsPartWithTheNativeGeneratorByDefault() {
        TlsCell.Generator auto = TlsCell.generator("auto");
        assertEquals(gen.binary(), auto.binary());
        assertTrue(auto.description().startsWith("tls_load.c"), auto.description());
        TlsCell.Generator java = TlsCell.generator("java");
        assertNull(java.binary());
        assertTrue(java.description().startsWith(TlsCell.JAVA_GENERATOR), java.description());
        List<String> cmd = TlsCell.command(auto, 4433, TlsCell.LOADS.get(2), pem[0], 1, 2, 42);
        assertEquals(gen.binary().toString(), cmd.get(0));
        assertTrue(cmd.contains("--handshakes") && cmd.contains("--ca"), cmd.toString());
        assertFalse(TlsCell.command(java, 4433, TlsCell.LOADS.get(0), pem[0], 1, 2, 42).contains("--handshakes"));
    }
}
