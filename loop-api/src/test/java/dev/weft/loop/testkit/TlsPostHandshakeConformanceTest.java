package dev.weft.loop.testkit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.loop.Connection;
import dev.weft.loop.ConnectOptions;
import dev.weft.loop.Server;
import dev.weft.loop.ServerOptions;
import dev.weft.loop.tls.PemFiles;
import dev.weft.loop.tls.TlsOptions;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.agrona.DirectBuffer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * TLS 1.3 after the handshake (netty/netty#10041, apache/kafka#14445): session tickets, many at once
 * or one larger than a record; key updates either side asks for; application writes across the
 * 16 KiB record boundary; an engine that wants larger buffers than it announced. Real outside peers
 * (the {@code openssl} CLI, Python's {@code ssl}) send what the JDK does not; a test whose peer is
 * missing is skipped with the reason. Every backend runs it through a subclass that only names the
 * backend.
 */
@Timeout(120)
public abstract class TlsPostHandshakeConformanceTest extends LoopTestSupport {
    private static final String HOST = TlsConformanceTest.HOST;
    /** openssl's {@code -msg} line for a KeyUpdate it received. */
    private static final String KEY_UPDATE_IN = "<<< TLS 1.3, Handshake [length 0005], KeyUpdate";
    /** openssl's {@code -msg} line for a KeyUpdate it sent. */
    private static final String KEY_UPDATE_OUT = ">>> TLS 1.3, Handshake [length 0005], KeyUpdate";

    @BeforeAll
    static void makeCertificates() {
        TestCerts.get();
    }

    private static TestCerts certs() {
        return TestCerts.get();
    }

    private static int port(Server s) {
        return s.addresses().get(0).getPort();
    }

    private static void assumeOpenssl() {
        Assumptions.assumeTrue(TlsConformanceTest.toolRuns("openssl", "version"), "openssl is not installed here");
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** A running tool whose stdout and stderr are collected as they come; stdin stays open. */
    private static final class Tool implements AutoCloseable {
        final Process process;
        private final StringBuffer out = new StringBuffer();
        private final Thread reader;

        Tool(String... command) throws IOException {
            process = new ProcessBuilder(command).redirectErrorStream(true).start();
            reader = new Thread(() -> {
                try (InputStream in = process.getInputStream()) {
                    byte[] b = new byte[8192];
                    int n;
                    while ((n = in.read(b)) > 0) {
                        out.append(new String(b, 0, n, StandardCharsets.ISO_8859_1));
                    }
                } catch (IOException ignored) {
                    // the tool ended
                }
            }, "tool-output");
            reader.setDaemon(true);
            reader.start();
        }

        /** Writes {@code line} and a newline to the tool's stdin. */
        void send(String line) throws IOException {
            OutputStream in = process.getOutputStream();
            in.write((line + "\n").getBytes(StandardCharsets.US_ASCII));
            in.flush();
        }

        /** Waits up to 30 s until the output holds {@code text}; fails with the output otherwise. */
        void await(String text) throws InterruptedException {
            await(text, 1);
        }

        /** Waits up to 30 s until the output holds {@code text} {@code times} times. */
        void await(String text, int times) throws InterruptedException {
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (count(out.toString(), text) < times) {
                if (System.nanoTime() > end || (!process.isAlive() && !reader.isAlive())) {
                    throw new AssertionError("not " + times + " times '" + text + "' in the output of "
                            + process.info().command().orElse("the tool") + ":\n" + tail());
                }
                Thread.sleep(20);
            }
        }

        /** Closes stdin and waits for the tool to end and its output to be read; returns the output. */
        String finish() throws Exception {
            process.getOutputStream().close();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                throw new AssertionError("the tool did not end: " + tail());
            }
            reader.join(10_000);
            return out.toString();
        }

        String tail() {
            String s = out.toString();
            return s.length() > 6000 ? s.substring(s.length() - 6000) : s;
        }

        /** Ends the tool and closes the pipes to it (the suite counts descriptors after each test). */
        @Override
        public void close() throws Exception {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
            reader.join(10_000);
            process.getOutputStream().close();
            process.getInputStream().close();
        }
    }

    /** Occurrences of {@code text} in {@code out}. */
    private static int count(String out, String text) {
        int n = 0;
        for (int i = out.indexOf(text); i >= 0; i = out.indexOf(text, i + 1)) {
            n++;
        }
        return n;
    }

    // ------------------------------------------------------------------ key updates

    @Test
    void shouldAnswerKeyUpdatesFromOpensslSClientAndKeepEchoing() throws Exception {
        assumeOpenssl();
        List<TestProtocols.Echo> apps = new ArrayList<>();
        Server server = await(loop.createServer(() -> {
            TestProtocols.Echo e = new TestProtocols.Echo(loop);
            apps.add(e);
            return e;
        }, HOST, 0, ServerOptions.DEFAULTS, TlsOptions.server(certs().serverContext())));
        String ca = certs().serverCertPem().toString();
        String out = whileLoopRuns(() -> {
            try (Tool c = new Tool("openssl", "s_client", "-connect", HOST + ":" + port(server), "-servername",
                    "localhost", "-CAfile", ca, "-verify_return_error", "-msg")) {
                c.await("Verify return code: 0");
                c.send("alpha-before");
                c.await("alpha-before\n");
                // K: a KeyUpdate asking for ours; k: one that does not. Each command is a read of
                // its own for s_client, so the next line waits until the KeyUpdate went out.
                c.send("K");
                c.await(KEY_UPDATE_OUT);
                c.send("beta-after-K");
                c.await("beta-after-K\n");
                c.await(KEY_UPDATE_IN);
                c.send("k");
                c.await(KEY_UPDATE_OUT, 2);
                c.send("gamma-after-k");
                c.await("gamma-after-k\n");
                return c.finish();
            }
        });
        assertEquals(2, count(out, KEY_UPDATE_OUT), out);
        assertEquals(1, count(out, KEY_UPDATE_IN), "one answer, to K only: " + out);
        assertNull(await(apps.get(0).lost), "s_client's close_notify ends the connection cleanly");
        server.close();
        await(server.waitClosed());
    }

    @Test
    void shouldAnswerAKeyUpdateRequestedByAJdkClientAndKeepEchoing() {
        Server server = await(loop.createServer(() -> new TestProtocols.Echo(loop), HOST, 0, ServerOptions.DEFAULTS,
                TlsOptions.server(certs().serverContext())));
        byte[] first = LoopConformanceTest.pattern(20_000, 1);
        byte[] second = LoopConformanceTest.pattern(50_000, 2);
        byte[][] got = whileLoopRuns(() -> {
            try (SSLSocket s = (SSLSocket) certs().clientContext().getSocketFactory().createSocket(HOST, port(server))) {
                s.getOutputStream().write(first);
                byte[] a = s.getInputStream().readNBytes(first.length);
                // On a TLS 1.3 session this sends a KeyUpdate with update_requested.
                s.startHandshake();
                s.getOutputStream().write(second);
                byte[] b = s.getInputStream().readNBytes(second.length);
                return new byte[][] {a, b, s.getSession().getProtocol().getBytes(StandardCharsets.US_ASCII)};
            }
        });
        assertEquals("TLSv1.3", new String(got[2], StandardCharsets.US_ASCII));
        assertArrayEquals(first, got[0]);
        assertArrayEquals(second, got[1]);
        server.close();
        await(server.waitClosed());
    }

    // ------------------------------------------------------------------ session tickets

    @Test
    void shouldTakeManyTicketsAndAKeyUpdateFromOpensslSServer() throws Exception {
        assumeOpenssl();
        int tickets = 100;
        int p = freePort();
        try (Tool s = new Tool("openssl", "s_server", "-accept", HOST + ":" + p, "-cert",
                certs().serverCertPem().toString(), "-key", certs().serverKeyPem().toString(), "-num_tickets",
                Integer.toString(tickets), "-naccept", "1", "-msg")) {
            whileLoopRuns(() -> {
                s.await("ACCEPT");
                return null;
            });
            Connection<TestProtocols.Collector> c = await(loop.createConnection(() -> new TestProtocols.Collector(loop),
                    HOST, p, ConnectOptions.DEFAULTS, TlsOptions.client(certs().clientContext()), "localhost"));
            c.transport().write("client-one\n".getBytes(StandardCharsets.US_ASCII));
            whileLoopRuns(() -> {
                s.await("client-one\n");
                s.send("K");
                s.await(KEY_UPDATE_IN);
                s.send("server-two");
                return null;
            });
            await(c.protocol().atLeast("server-two\n".length()));
            assertEquals("server-two\n", c.protocol().bytes.toString(StandardCharsets.US_ASCII));
            c.transport().write("client-three\n".getBytes(StandardCharsets.US_ASCII));
            whileLoopRuns(() -> {
                s.await("client-three\n");
                return null;
            });
            c.transport().close();
            assertNull(await(c.protocol().lost), "s_server answered close_notify");
            String out = whileLoopRuns(s::finish);
            assertEquals(tickets, count(out, "], NewSessionTicket"), out);
            assertEquals(1, count(out, KEY_UPDATE_IN), out);
        }
    }

    /**
     * A self-signed EC certificate for CN=big whose subjectAltName makes it about 18 KiB, and its key:
     * more than a record holds, less than the JDK's 32 KiB limit for a handshake message.
     */
    private static Path[] bigCertificate() throws Exception {
        Path dir = Files.createTempDirectory("weft-bigcert");
        dir.toFile().deleteOnExit();
        StringBuilder san = new StringBuilder("subjectAltName=");
        for (int i = 0; i < 950; i++) {
            san.append(i == 0 ? "" : ",").append("DNS:n").append(i).append(".example.test");
        }
        Path cert = dir.resolve("big.crt");
        Path key = dir.resolve("big.key");
        String[] r = TlsConformanceTest.runTool(new byte[0], "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=big", "-days", "2", "-addext", san.toString(),
                "-keyout", key.toString(), "-out", cert.toString());
        assertEquals("0", r[0], r[1]);
        cert.toFile().deleteOnExit();
        key.toFile().deleteOnExit();
        return new Path[] {cert, key};
    }

    /** A client context presenting {@code cert}/{@code key} and trusting the test server certificate. */
    private static SSLContext clientWith(Path cert, Path key) throws Exception {
        Certificate c;
        try (InputStream in = Files.newInputStream(cert)) {
            c = CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        char[] pw = new char[0];
        ks.setKeyEntry("big", PemFiles.readKey(key), pw, new Certificate[] {c});
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, pw);
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        try (InputStream in = Files.newInputStream(certs().serverCertPem())) {
            trust.setCertificateEntry("server", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        return ctx;
    }

    @Test
    void shouldTakeASessionTicketLargerThanARecordFromOpensslSServer() throws Exception {
        assumeOpenssl();
        Path[] big = bigCertificate();
        int p = freePort();
        // OpenSSL's ticket holds the client's certificate, so this one spans two records at least.
        try (Tool s = new Tool("openssl", "s_server", "-accept", HOST + ":" + p, "-cert",
                certs().serverCertPem().toString(), "-key", certs().serverKeyPem().toString(), "-Verify", "1",
                "-CAfile", big[0].toString(), "-num_tickets", "2", "-naccept", "1", "-msg")) {
            whileLoopRuns(() -> {
                s.await("ACCEPT");
                return null;
            });
            Connection<TestProtocols.Collector> c = await(loop.createConnection(() -> new TestProtocols.Collector(loop),
                    HOST, p, ConnectOptions.DEFAULTS, TlsOptions.client(clientWith(big[0], big[1])), "localhost"));
            c.transport().write("client-done\n".getBytes(StandardCharsets.US_ASCII));
            whileLoopRuns(() -> {
                s.await("client-done\n");
                s.send("server-reply");
                return null;
            });
            await(c.protocol().atLeast("server-reply\n".length()));
            assertEquals("server-reply\n", c.protocol().bytes.toString(StandardCharsets.US_ASCII));
            c.transport().close();
            assertNull(await(c.protocol().lost), "s_server answered close_notify");
            String out = whileLoopRuns(s::finish);
            Matcher m = Pattern.compile(">>> TLS 1.3, Handshake \\[length ([0-9a-f]+)\\], NewSessionTicket").matcher(out);
            int largest = 0;
            while (m.find()) {
                largest = Math.max(largest, Integer.parseInt(m.group(1), 16));
            }
            assertTrue(largest > 16_384, "a ticket larger than one record's 16 KiB was sent: " + largest);
        }
    }

    private static final String PY_ECHO_SERVER = String.join("\n",
            "import socket, ssl, sys",
            "ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)",
            "ctx.load_cert_chain(sys.argv[1], sys.argv[2])",
            "ctx.num_tickets = int(sys.argv[3])",
            "ls = socket.create_server(('127.0.0.1', 0))",
            "print(ls.getsockname()[1], flush=True)",
            "raw, _ = ls.accept()",
            "s = ctx.wrap_socket(raw, server_side=True)",
            "n = 0",
            "while True:",
            "    chunk = s.recv(1 << 20)",
            "    if not chunk: break",
            "    n += len(chunk)",
            "    s.sendall(chunk)",
            "s.unwrap()",
            "print('python-server', n, flush=True)",
            "");

    @Test
    void shouldEchoWritesAcrossTheRecordBoundaryWithAPythonServerSendingManyTickets() throws Exception {
        Assumptions.assumeTrue(TlsConformanceTest.toolRuns("python3", "-c",
                "import ssl; ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER).num_tickets"),
                "python3 with ssl.SSLContext.num_tickets (3.8+) is not installed here");
        Process py = new ProcessBuilder("python3", "-c", PY_ECHO_SERVER, certs().serverCertPem().toString(),
                certs().serverKeyPem().toString(), "100").redirectErrorStream(true).start();
        try {
            py.getOutputStream().close();
            BufferedReader out = new BufferedReader(new InputStreamReader(py.getInputStream(), StandardCharsets.US_ASCII));
            int pyPort = Integer.parseInt(whileLoopRuns(out::readLine).trim());
            Connection<TestProtocols.Collector> c = await(loop.createConnection(() -> new TestProtocols.Collector(loop),
                    HOST, pyPort, ConnectOptions.DEFAULTS, TlsOptions.client(certs().clientContext()), "localhost"));
            ByteArrayOutputStream sent = new ByteArrayOutputStream();
            int seed = 0;
            for (int size : new int[] {1, 16_383, 16_384, 16_385, 32_768, 32_769, 65_536 + 7, 16_384 * 5 - 1}) {
                byte[] b = LoopConformanceTest.pattern(size, seed++);
                c.transport().write(b);
                sent.write(b);
                await(c.protocol().atLeast(sent.size()));
            }
            assertArrayEquals(sent.toByteArray(), c.protocol().bytes.toByteArray());
            c.transport().close();
            assertNull(await(c.protocol().lost), "python answered close_notify");
            assertEquals("python-server " + sent.size(), whileLoopRuns(out::readLine));
            out.close();
        } finally {
            py.destroyForcibly();
            py.getInputStream().close();
        }
    }

    // ------------------------------------------------------------------ buffers the engine asks for

    /** A server protocol that echoes and keeps why its connection ended. */
    private static final class EchoKeepingCause extends TestProtocols.Collector {
        EchoKeepingCause(dev.weft.loop.EventLoop loop) {
            super(loop);
        }

        @Override
        public void dataReceived(DirectBuffer data) {
            super.dataReceived(data);
            transport.write(data);
        }
    }

    private void growsWithinTheBound(OverflowingEngines.Op op, int needs, boolean mustFail) {
        List<EchoKeepingCause> apps = new ArrayList<>();
        SSLContext ctx = OverflowingEngines.context(certs().serverContext(), op, needs);
        Server server = await(loop.createServer(() -> {
            EchoKeepingCause e = new EchoKeepingCause(loop);
            apps.add(e);
            return e;
        }, HOST, 0, ServerOptions.DEFAULTS, TlsOptions.server(ctx)));
        Connection<TestProtocols.Collector> c = await(loop.createConnection(() -> new TestProtocols.Collector(loop),
                HOST, port(server), ConnectOptions.DEFAULTS, TlsOptions.client(certs().clientContext()), "localhost"));
        byte[] data = LoopConformanceTest.pattern(3000, 7);
        c.transport().write(data);
        await(c.protocol().atLeast(data.length));
        if (mustFail) {
            assertTrue(c.protocol().lost.isDone(), "the connection failed; instead the client got "
                    + c.protocol().bytes.size() + " bytes back");
            Throwable cause = await(apps.get(0).lost);
            assertInstanceOf(SSLException.class, cause, String.valueOf(cause));
            assertTrue(cause.getMessage().contains("BUFFER_OVERFLOW") && cause.getMessage().contains("at most"),
                    cause.getMessage());
            await(c.protocol().lost);
        } else {
            assertArrayEquals(data, c.protocol().bytes.toByteArray());
            c.transport().close();
            assertNull(await(c.protocol().lost));
            assertNull(await(apps.get(0).lost));
        }
        server.close();
        await(server.waitClosed());
    }

    @Test
    void shouldGrowThePlaintextBufferWhenUnwrapNeedsMoreThanTheSessionAnnounced() {
        growsWithinTheBound(OverflowingEngines.Op.UNWRAP, 100_000, false);
    }

    @Test
    void shouldGrowTheRecordBufferWhenWrapNeedsMoreThanTheSessionAnnounced() {
        growsWithinTheBound(OverflowingEngines.Op.WRAP, 100_000, false);
    }

    @Test
    void shouldFailRatherThanGrowWithoutBoundWhenUnwrapKeepsOverflowing() {
        growsWithinTheBound(OverflowingEngines.Op.UNWRAP, 8 << 20, true);
    }

    @Test
    void shouldFailRatherThanGrowWithoutBoundWhenWrapKeepsOverflowing() {
        growsWithinTheBound(OverflowingEngines.Op.WRAP, 8 << 20, true);
    }
}
