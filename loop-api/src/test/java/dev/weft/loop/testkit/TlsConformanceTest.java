package dev.weft.loop.testkit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.loop.BaseProtocol;
import dev.weft.loop.ConnectOptions;
import dev.weft.loop.Connection;
import dev.weft.loop.EventLoop;
import dev.weft.loop.LoopFuture;
import dev.weft.loop.Protocol;
import dev.weft.loop.Server;
import dev.weft.loop.ServerOptions;
import dev.weft.loop.Transport;
import dev.weft.loop.tls.Tls;
import dev.weft.loop.tls.TlsInfo;
import dev.weft.loop.tls.TlsOptions;
import dev.weft.loop.tls.TlsTruncatedException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import org.agrona.DirectBuffer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The TLS conformance suite (asyncio's {@code test_sslproto.py} / {@code test_ssl.py} are the
 * reference): every backend runs it through a subclass that only names the backend. Certificates are
 * made at test time ({@link TestCerts}); each test ends, in {@link LoopTestSupport}, by checking that
 * the loop closes with no live handle and no leaked descriptor.
 */
@Timeout(120)
public abstract class TlsConformanceTest extends LoopTestSupport {
    protected static final String HOST = "127.0.0.1";

    /** Certificates are made before the first test counts its descriptors (keytool runs as a process). */
    @BeforeAll
    static void makeCertificates() {
        TestCerts.get();
    }

    protected static TestCerts certs() {
        return TestCerts.get();
    }

    protected static TlsOptions serverTls() {
        return TlsOptions.server(certs().serverContext());
    }

    protected static TlsOptions clientTls() {
        return TlsOptions.client(certs().clientContext());
    }

    protected static int port(Server s) {
        return s.addresses().get(0).getPort();
    }

    protected Server tlsEchoServer(TlsOptions tls) {
        return await(loop.createServer(() -> new TestProtocols.Echo(loop), HOST, 0, ServerOptions.DEFAULTS, tls));
    }

    protected <P extends BaseProtocol> Connection<P> connect(Supplier<P> p, int port, TlsOptions tls, String name) {
        return await(loop.createConnection(p, HOST, port, ConnectOptions.DEFAULTS, tls, name));
    }

    /** The failure of {@code f} once done, unwrapped. */
    protected Throwable failureOf(LoopFuture<?> f) {
        try {
            await(f);
        } catch (CompletionException e) {
            return e.getCause();
        } catch (RuntimeException e) {
            return e;
        }
        throw new AssertionError("expected a failure, got " + f);
    }

    /** A protocol counting the calls the TLS layer must not make twice or out of order. */
    protected static class Counting extends TestProtocols.Collector {
        int madeCalls;
        int lostCalls;

        public Counting(EventLoop loop) {
            super(loop);
        }

        @Override
        public void connectionMade(Transport t) {
            madeCalls++;
            if (!made.isDone()) {
                super.connectionMade(t);
            } else {
                transport = t;
            }
        }

        @Override
        public void connectionLost(Throwable cause) {
            lostCalls++;
            assertEquals(1, madeCalls, "connectionLost without a prior connectionMade");
            super.connectionLost(cause);
        }
    }

    private static SSLSocket jdkClient(int port) throws Exception {
        SSLSocket s = (SSLSocket) certs().clientContext().getSocketFactory().createSocket(HOST, port);
        var p = s.getSSLParameters();
        p.setEndpointIdentificationAlgorithm("HTTPS");
        s.setSSLParameters(p);
        return s;
    }

    // ------------------------------------------------------------------ options

    @Test
    void shouldRejectNonPositiveTimeoutsNamingTheValue() {
        TlsOptions o = clientTls();
        assertEquals(Duration.ofSeconds(60), o.handshakeTimeout());
        assertEquals(Duration.ofSeconds(30), o.shutdownTimeout());
        assertEquals(List.of("TLSv1.3", "TLSv1.2"), o.protocols());
        assertTrue(o.hostnameVerification());
        IllegalArgumentException zero = assertThrows(IllegalArgumentException.class,
                () -> o.withHandshakeTimeout(Duration.ZERO));
        assertTrue(zero.getMessage().contains("handshakeTimeout") && zero.getMessage().contains("PT0S"), zero.getMessage());
        IllegalArgumentException neg = assertThrows(IllegalArgumentException.class,
                () -> o.withShutdownTimeout(Duration.ofSeconds(-1)));
        assertTrue(neg.getMessage().contains("shutdownTimeout") && neg.getMessage().contains("PT-1S"), neg.getMessage());
        IllegalArgumentException old = assertThrows(IllegalArgumentException.class, () -> o.withProtocols("TLSv1.1"));
        assertTrue(old.getMessage().contains("TLSv1.1"), old.getMessage());
        assertThrows(IllegalArgumentException.class, () -> loop.createServer(() -> new TestProtocols.Echo(loop),
                HOST, 0, ServerOptions.DEFAULTS, clientTls()));
    }

    // ------------------------------------------------------------------ echo, info, outside JDK peer

    @Test
    void shouldEchoToAJdkTlsClientAndSendCloseNotifyOnClose() {
        Server server = tlsEchoServer(serverTls());
        String reply = whileLoopRuns(() -> {
            try (SSLSocket s = jdkClient(port(server))) {
                s.getOutputStream().write("hello tls".getBytes(StandardCharsets.US_ASCII));
                return new String(s.getInputStream().readNBytes(9), StandardCharsets.US_ASCII)
                        + "/" + s.getSession().getProtocol();
            }
        });
        assertEquals("hello tls/TLSv1.3", reply);
        server.close();
        await(server.waitClosed());
    }

    @Test
    void shouldNegotiateAlpnAndSniAndReportExtraInfoOnBothSides() {
        List<TestProtocols.Echo> accepted = new ArrayList<>();
        Server server = await(loop.createServer(() -> {
            TestProtocols.Echo e = new TestProtocols.Echo(loop);
            accepted.add(e);
            return e;
        }, HOST, 0, ServerOptions.DEFAULTS, serverTls().withApplicationProtocols("h2", "http/1.1")));
        Connection<TestProtocols.Collector> c = connect(() -> new TestProtocols.Collector(loop), port(server),
                clientTls().withApplicationProtocols("http/1.1"), "localhost");
        Transport t = c.transport();
        assertEquals("http/1.1", t.extraInfo(TlsInfo.ALPN));
        assertEquals("TLSv1.3", t.extraInfo(TlsInfo.PROTOCOL));
        assertNotNull(t.extraInfo(TlsInfo.CIPHER));
        assertNotNull(t.extraInfo(TlsInfo.SSL_OBJECT));
        assertNotNull(t.extraInfo(TlsInfo.SSL_SESSION));
        assertNotNull(t.extraInfo(Transport.PEER_NAME), "keys of the transport below pass through");
        Certificate[] chain = (Certificate[]) t.extraInfo(TlsInfo.PEER_CERT);
        assertTrue(((X509Certificate) chain[0]).getSubjectX500Principal().getName().contains("CN=localhost"));
        assertEquals("localhost", t.extraInfo(TlsInfo.SERVER_HOSTNAME));
        t.write("ping".getBytes(StandardCharsets.US_ASCII));
        await(c.protocol().atLeast(4));
        Transport s = accepted.get(0).transport;
        assertEquals("localhost", s.extraInfo(TlsInfo.SERVER_HOSTNAME), "the server sees the client's SNI");
        assertEquals("http/1.1", s.extraInfo(TlsInfo.ALPN));
        assertNull(s.extraInfo(TlsInfo.PEER_CERT), "no client certificate was asked for");
        t.close();
        assertNull(await(c.protocol().lost), "a clean close_notify exchange");
        server.close();
        await(server.waitClosed());
    }

    @Test
    void shouldEchoSixteenMebibytesOverTlsHonouringFlowControl() {
        int total = 16 << 20;
        List<TestProtocols.Echo> serverSide = new ArrayList<>();
        Server server = await(loop.createServer(() -> {
            TestProtocols.Echo e = new TestProtocols.Echo(loop);
            serverSide.add(e);
            return e;
        }, HOST, 0, ServerOptions.DEFAULTS, serverTls()));
        byte[] data = LoopConformanceTest.pattern(total, 17);
        LoopConformanceTest.Sender sender = new LoopConformanceTest.Sender(data, loop);
        Connection<LoopConformanceTest.Sender> c = connect(() -> sender, port(server), clientTls(), "localhost");
        await(sender.done);
        assertArrayEquals(data, sender.received.toByteArray(), "16 MiB echoed byte for byte over TLS");
        assertTrue(sender.pauses > 0 || serverSide.get(0).pauses > 0, "flow control was exercised");
        int slack = LoopConformanceTest.Sender.CHUNK + 64 * 1024;
        assertTrue(sender.maxWriteBuffer <= Transport.DEFAULT_HIGH_WATER + slack,
                "sender buffer " + sender.maxWriteBuffer + " exceeded high-water mark + one write");
        assertTrue(serverSide.get(0).maxWriteBuffer <= Transport.DEFAULT_HIGH_WATER + 512 * 1024,
                "echo buffer " + serverSide.get(0).maxWriteBuffer + " exceeded high-water mark + one read");
        c.transport().close();
        assertNull(await(sender.lost));
        server.close();
        await(server.waitClosed());
    }

    // ------------------------------------------------------------------ verification failures

    @Test
    void shouldFailWithHandshakeExceptionNamingTheReasonWhenTheCertificateIsUntrusted() {
        Server server = tlsEchoServer(TlsOptions.server(certs().untrustedServerContext()));
        List<Counting> made = new ArrayList<>();
        Throwable e = failureOf(loop.createConnection(() -> {
            Counting c = new Counting(loop);
            made.add(c);
            return c;
        }, HOST, port(server), ConnectOptions.DEFAULTS, clientTls(), "other.example"));
        assertInstanceOf(SSLHandshakeException.class, e);
        assertTrue(e.getMessage().contains("PKIX") || e.getMessage().contains("certification path"), e.getMessage());
        assertEquals(0, made.get(0).madeCalls, "no connectionMade after a failed handshake");
        assertEquals(0, made.get(0).lostCalls);
        server.close();
        await(server.waitClosed());
    }

    @Test
    void shouldFailWithHandshakeExceptionNamingExpiryWhenTheServerCertificateHasExpired() {
        Server server = tlsEchoServer(TlsOptions.server(certs().expiredServerContext()));
        List<Counting> made = new ArrayList<>();
        Throwable e = failureOf(loop.createConnection(() -> {
            Counting c = new Counting(loop);
            made.add(c);
            return c;
        }, HOST, port(server), ConnectOptions.DEFAULTS, TlsOptions.client(certs().clientContextTrustingTheCa()),
                "localhost"));
        assertInstanceOf(SSLHandshakeException.class, e);
        String reasons = "";
        for (Throwable t = e; t != null; t = t.getCause()) {
            reasons += t + " / ";
        }
        assertTrue(reasons.contains("CertificateExpiredException") || reasons.contains("validity check failed"),
                "the reason names the expiry: " + reasons);
        assertEquals(0, made.get(0).madeCalls, "no connectionMade after a failed handshake");
        // The same CA's valid certificate is accepted: the failure was the date, not the chain.
        server.close();
        await(server.waitClosed());
        Server good = tlsEchoServer(TlsOptions.server(certs().caSignedServerContext()));
        Connection<TestProtocols.Collector> ok = connect(() -> new TestProtocols.Collector(loop), port(good),
                TlsOptions.client(certs().clientContextTrustingTheCa()), "localhost");
        ok.transport().close();
        await(ok.protocol().lost);
        good.close();
        await(good.waitClosed());
    }

    /** The bad-input list's last item: many handshakes at once, each finishing and echoing. */
    @Test
    @Timeout(300)
    void shouldFinishAThousandConcurrentHandshakesAndEchoOnEach() {
        int n = 1000;
        Server server = await(loop.createServer(() -> new TestProtocols.Echo(loop), HOST, 0,
                ServerOptions.DEFAULTS.withBacklog(n), serverTls()));
        TlsOptions tls = clientTls();
        List<LoopFuture<Connection<TestProtocols.Collector>>> pending = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            pending.add(loop.createConnection(() -> new TestProtocols.Collector(loop), HOST, port(server),
                    ConnectOptions.DEFAULTS, tls, "localhost"));
        }
        List<Connection<TestProtocols.Collector>> conns = new ArrayList<>();
        for (LoopFuture<Connection<TestProtocols.Collector>> f : pending) {
            conns.add(await(f));
        }
        for (int i = 0; i < n; i++) {
            conns.get(i).transport().write(("client " + i).getBytes(StandardCharsets.US_ASCII));
        }
        for (int i = 0; i < n; i++) {
            byte[] want = ("client " + i).getBytes(StandardCharsets.US_ASCII);
            TestProtocols.Collector c = conns.get(i).protocol();
            await(c.atLeast(want.length));
            assertArrayEquals(want, c.bytes.toByteArray(), "connection " + i + " got its own bytes back");
        }
        assertEquals(n, server.connectionCount());
        for (Connection<TestProtocols.Collector> c : conns) {
            c.transport().close();
        }
        for (Connection<TestProtocols.Collector> c : conns) {
            assertNull(await(c.protocol().lost), "a clean close_notify exchange");
        }
        server.close();
        await(server.waitClosed());
    }

    @Test
    void shouldFailWhenTheHostnameDoesNotMatchTheCertificate() {
        Server server = tlsEchoServer(serverTls());
        Throwable e = failureOf(loop.createConnection(() -> new Counting(loop), HOST, port(server),
                ConnectOptions.DEFAULTS, clientTls(), "wrong.example"));
        assertInstanceOf(SSLHandshakeException.class, e);
        assertTrue(e.getMessage().contains("wrong.example"), e.getMessage());
        // With verification turned off explicitly, the same certificate is accepted.
        Connection<TestProtocols.Collector> ok = connect(() -> new TestProtocols.Collector(loop), port(server),
                clientTls().withHostnameVerification(false), "wrong.example");
        ok.transport().close();
        assertNull(await(ok.protocol().lost));
        server.close();
        await(server.waitClosed());
    }

    // ------------------------------------------------------------------ client certificates

    /** A plain server whose connections start TLS at once, so the test sees each server handshake. */
    private Server upgradingServer(TlsOptions tls, List<LoopFuture<Transport>> handshakes, Supplier<Protocol> app) {
        return await(loop.createServer(() -> new Protocol() {
            @Override
            public void connectionMade(Transport t) {
                Protocol p = app.get();
                LoopFuture<Transport> f = Tls.startTls(t, p, tls, true, null);
                if (p instanceof TestProtocols.Echo e) {
                    // startTls does not call connectionMade: the transport comes with the future.
                    f.addDoneCallback(h -> {
                        if (!h.isCancelled() && h.exception() == null) {
                            e.transport = h.result();
                        }
                    });
                }
                handshakes.add(f);
            }

            @Override
            public void dataReceived(DirectBuffer data) {
                throw new AssertionError("the TLS layer receives the data");
            }
        }, HOST, 0, ServerOptions.DEFAULTS));
    }

    @Test
    void shouldRequireAClientCertificateWhenAskedToNeedOne() {
        List<LoopFuture<Transport>> hs = new ArrayList<>();
        TlsOptions need = serverTls().withClientAuth(TlsOptions.ClientAuth.NEED);
        Server server = upgradingServer(need, hs, () -> new TestProtocols.Echo(loop));
        Connection<TestProtocols.Collector> c = connect(() -> new TestProtocols.Collector(loop), port(server),
                TlsOptions.client(certs().clientContextWithKey()), "localhost");
        Transport st = await(hs.get(0));
        Certificate[] chain = (Certificate[]) st.extraInfo(TlsInfo.PEER_CERT);
        assertTrue(((X509Certificate) chain[0]).getSubjectX500Principal().getName().contains("CN=weft-client"));
        c.transport().close();
        await(c.protocol().lost);

        // Without a certificate the server's handshake fails and names why.
        LoopFuture<Connection<TestProtocols.Collector>> bad = loop.createConnection(
                () -> new TestProtocols.Collector(loop), HOST, port(server), ConnectOptions.DEFAULTS, clientTls(), "localhost");
        Throwable e = failureOf(hs.size() > 1 ? hs.get(1) : awaitSecond(hs));
        assertInstanceOf(SSLHandshakeException.class, e);
        assertTrue(e.getMessage().toLowerCase().contains("certificate"), e.getMessage());
        // TLS 1.3: the client may finish before the server rejects; it then sees the alert.
        try {
            Connection<TestProtocols.Collector> cc = await(bad);
            assertInstanceOf(SSLException.class, await(cc.protocol().lost));
        } catch (CompletionException expected) {
            assertInstanceOf(SSLException.class, expected.getCause());
        }
        server.close();
        await(server.waitClosed());
    }

    private LoopFuture<Transport> awaitSecond(List<LoopFuture<Transport>> hs) {
        for (int i = 0; i < 500 && hs.size() < 2; i++) {
            runFor(10);
        }
        return hs.get(1);
    }

    @Test
    void shouldGoOnWithoutAClientCertificateWhenOnlyWantingOne() {
        List<LoopFuture<Transport>> hs = new ArrayList<>();
        Server server = upgradingServer(serverTls().withClientAuth(TlsOptions.ClientAuth.WANT), hs,
                () -> new TestProtocols.Echo(loop));
        Connection<TestProtocols.Collector> c = connect(() -> new TestProtocols.Collector(loop), port(server),
                clientTls(), "localhost");
        c.transport().write("x".getBytes(StandardCharsets.US_ASCII));
        await(c.protocol().atLeast(1));
        assertNull(await(hs.get(0)).extraInfo(TlsInfo.PEER_CERT));
        c.transport().close();
        assertNull(await(c.protocol().lost));
        server.close();
        await(server.waitClosed());
    }

    // ------------------------------------------------------------------ bad input, timeouts

    @Test
    void shouldFailTheHandshakeOnGarbageCloseTheConnectionAndKeepServing() {
        List<LoopFuture<Transport>> hs = new ArrayList<>();
        Server server = upgradingServer(serverTls(), hs, () -> new TestProtocols.Echo(loop));
        byte[] answer = whileLoopRuns(() -> {
            try (Socket s = new Socket(HOST, port(server))) {
                s.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                s.setSoTimeout(20_000);
                return s.getInputStream().readAllBytes();
            } catch (SocketException reset) {
                return new byte[0];
            }
        });
        assertTrue(answer.length < 64, "at most an alert came back, then the connection closed");
        Throwable e = failureOf(hs.get(0));
        assertInstanceOf(SSLHandshakeException.class, e);
        assertNotNull(e.getMessage());
        // The server goes on serving everyone else.
        Connection<TestProtocols.Collector> ok = connect(() -> new TestProtocols.Collector(loop), port(server),
                clientTls(), "localhost");
        ok.transport().write("still here".getBytes(StandardCharsets.US_ASCII));
        await(ok.protocol().atLeast(10));
        ok.transport().close();
        await(ok.protocol().lost);
        server.close();
        await(server.waitClosed());
    }

    @Test
    void shouldAbortWhenTheHandshakeTimesOut() throws Exception {
        try (ServerSocket silent = new ServerSocket(0, 8, java.net.InetAddress.getByName(HOST))) {
            // Accepted before the abort: Windows fails an accept() of a connection reset in the
            // backlog (WSAECONNRESET, see accept() in the Winsock reference) instead of returning it.
            java.util.concurrent.CompletableFuture<Socket> acceptedF = new java.util.concurrent.CompletableFuture<>();
            Thread acceptor = new Thread(() -> {
                try {
                    acceptedF.complete(silent.accept());
                } catch (IOException x) {
                    acceptedF.completeExceptionally(x);
                }
            }, "silent-acceptor");
            acceptor.setDaemon(true);
            acceptor.start();
            List<Counting> made = new ArrayList<>();
            Throwable e = failureOf(loop.createConnection(() -> {
                Counting c = new Counting(loop);
                made.add(c);
                return c;
            }, HOST, silent.getLocalPort(), ConnectOptions.DEFAULTS,
                    clientTls().withHandshakeTimeout(Duration.ofMillis(200)), "localhost"));
            assertInstanceOf(SSLHandshakeException.class, e);
            assertTrue(e.getMessage().contains("did not complete within 200 ms"), e.getMessage());
            assertEquals(0, made.get(0).madeCalls);
            try (Socket accepted = acceptedF.get(20, java.util.concurrent.TimeUnit.SECONDS)) {
                accepted.setSoTimeout(20_000);
                InputStream in = accepted.getInputStream();
                byte[] hello = in.readNBytes(5);
                assertEquals(0x16, hello[0], "a ClientHello record was sent");
                int rest;
                try {
                    while ((rest = in.read(new byte[4096])) > 0) {
                        // Drains the ClientHello, then sees the abort.
                    }
                } catch (SocketException reset) {
                    rest = -1;
                }
                assertEquals(-1, rest, "the client aborted the connection");
            }
        }
        for (int i = 0; i < 20 && loop.liveHandles() > 0; i++) {
            runFor(10);
        }
    }

    @Test
    void shouldAbortTheServerSideHandshakeOfAClientThatSendsNothing() {
        Server server = tlsEchoServer(serverTls().withHandshakeTimeout(Duration.ofMillis(200)));
        int read = whileLoopRuns(() -> {
            try (Socket s = new Socket(HOST, port(server))) {
                s.setSoTimeout(20_000);
                return s.getInputStream().read();
            } catch (SocketException reset) {
                return -1;
            }
        });
        assertEquals(-1, read, "the server aborted the silent connection");
        server.close();
        await(server.waitClosed());
    }

    @Test
    void shouldNotCallConnectionLostWithoutConnectionMadeWhenThePeerLeavesMidHandshake() throws Exception {
        List<Counting> apps = new ArrayList<>();
        Server server = await(loop.createServer(() -> {
            Counting c = new Counting(loop);
            apps.add(c);
            return c;
        }, HOST, 0, ServerOptions.DEFAULTS, serverTls()));
        whileLoopRuns(() -> {
            try (Socket s = new Socket(HOST, port(server))) {
                // The first bytes of a TLS record header, then EOF.
                s.getOutputStream().write(new byte[] {0x16, 0x03, 0x01, 0x00});
                s.shutdownOutput();
                s.setSoTimeout(20_000);
                return s.getInputStream().readAllBytes();
            } catch (SocketException reset) {
                return null;
            }
        });
        for (int i = 0; i < 50 && server.connectionCount() > 0; i++) {
            runFor(10);
        }
        assertEquals(1, apps.size());
        assertEquals(0, apps.get(0).madeCalls);
        assertEquals(0, apps.get(0).lostCalls);

        // The client side: the waiter fails with a reset-like IOException.
        try (ServerSocket rude = new ServerSocket(0, 8, java.net.InetAddress.getByName(HOST))) {
            clients.submit(() -> {
                try (Socket a = rude.accept()) {
                    a.getInputStream().read(new byte[100]);
                }
                return null;
            });
            List<Counting> made = new ArrayList<>();
            Throwable e = failureOf(loop.createConnection(() -> {
                Counting c = new Counting(loop);
                made.add(c);
                return c;
            }, HOST, rude.getLocalPort(), ConnectOptions.DEFAULTS, clientTls(), "localhost"));
            assertInstanceOf(SocketException.class, e);
            assertEquals(0, made.get(0).madeCalls);
            assertEquals(0, made.get(0).lostCalls);
        }
        server.close();
        await(server.waitClosed());
    }

    @Test
    void shouldAbortWhenTheConnectFutureIsCancelledDuringTheHandshake() throws Exception {
        try (ServerSocket silent = new ServerSocket(0, 8, java.net.InetAddress.getByName(HOST))) {
            LoopFuture<Connection<Counting>> f = loop.createConnection(() -> new Counting(loop), HOST,
                    silent.getLocalPort(), ConnectOptions.DEFAULTS, clientTls(), "localhost");
            try (Socket accepted = whileLoopRuns(silent::accept)) {
                accepted.setSoTimeout(20_000);
                // The ClientHello goes out only when the loop sees the connect complete, which can
                // be after accept() returns here: read it while the loop runs.
                assertEquals(0x16, (int) whileLoopRuns(() -> accepted.getInputStream().read()),
                        "the handshake started");
                f.cancel();
                int n = whileLoopRuns(() -> {
                    try {
                        while (accepted.getInputStream().read(new byte[4096]) > 0) {
                            // Drains the ClientHello.
                        }
                        return -1;
                    } catch (SocketException reset) {
                        return -1;
                    }
                });
                assertEquals(-1, n);
            }
        }
        for (int i = 0; i < 20 && loop.liveHandles() > 0; i++) {
            runFor(10);
        }
    }

    // ------------------------------------------------------------------ closing

    @Test
    void shouldFlushBufferedDataBeforeCloseNotify() {
        int size = 1 << 20;
        byte[] data = LoopConformanceTest.pattern(size, 5);
        List<Counting> apps = new ArrayList<>();
        Server server = await(loop.createServer(() -> {
            Counting c = new Counting(loop) {
                @Override
                public void connectionMade(Transport t) {
                    super.connectionMade(t);
                    t.write(data);
                    t.close();
                    assertThrows(IllegalStateException.class, () -> t.write(new byte[1]), "write after close fails");
                }
            };
            apps.add(c);
            return c;
        }, HOST, 0, ServerOptions.DEFAULTS, serverTls()));
        byte[] got = whileLoopRuns(() -> {
            try (SSLSocket s = jdkClient(port(server))) {
                s.startHandshake();
                // readAllBytes ends at the server's close_notify (a truncation would throw).
                return s.getInputStream().readAllBytes();
            }
        });
        assertArrayEquals(data, got);
        assertNull(await(apps.get(0).lost), "the server's close completed cleanly");
        server.close();
        await(server.waitClosed());
    }

    @Test
    void shouldReportTruncationWhenThePeerClosesTcpWithoutCloseNotify() {
        List<Counting> apps = new ArrayList<>();
        Server server = await(loop.createServer(() -> {
            Counting c = new Counting(loop);
            apps.add(c);
            return c;
        }, HOST, 0, ServerOptions.DEFAULTS, serverTls()));
        whileLoopRuns(() -> {
            Socket plain = new Socket(HOST, port(server));
            SSLSocket s = (SSLSocket) certs().clientContext().getSocketFactory().createSocket(plain, "localhost",
                    port(server), false);
            s.getOutputStream().write("abc".getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            Thread.sleep(100);
            plain.close();
            return null;
        });
        Throwable cause = await(apps.get(0).lost);
        assertEquals("abc", apps.get(0).bytes.toString(StandardCharsets.US_ASCII), "bytes before the EOF delivered");
        assertInstanceOf(TlsTruncatedException.class, cause, () -> "lost with " + cause);
        assertInstanceOf(SSLException.class, cause);
        server.close();
        await(server.waitClosed());
    }

    @Test
    void shouldDeliverDataHeldWhilePausedThenEndCleanlyAfterThePeersCloseNotify() {
        int size = 100_000;
        Server server = await(loop.createServer(() -> new Protocol() {
            @Override
            public void connectionMade(Transport t) {
                t.write(new byte[size]);
                t.close();
            }

            @Override
            public void dataReceived(DirectBuffer data) {
            }
        }, HOST, 0, ServerOptions.DEFAULTS, serverTls()));
        TestProtocols.Collector client = new TestProtocols.Collector(loop) {
            @Override
            public void dataReceived(DirectBuffer data) {
                super.dataReceived(data);
                if (dataCalls == 1) {
                    transport.pauseReading();
                }
            }
        };
        Connection<TestProtocols.Collector> c = connect(() -> client, port(server), clientTls(), "localhost");
        await(client.atLeast(1));
        runFor(300);
        assertFalse(c.transport().isReading());
        assertFalse(client.lost.isDone(), "nothing ends while the application has paused reading");
        int before = client.bytes.size();
        c.transport().resumeReading();
        assertNull(await(client.lost), "a clean end: the server sent close_notify");
        assertTrue(client.eof.isDone(), "eofReceived ran for the close_notify");
        assertEquals(size, client.bytes.size(), "every byte, including those held while paused (" + before + " before)");
        server.close();
        await(server.waitClosed());
    }

    @Test
    void shouldAbortWhenThePeerNeverAnswersCloseNotifyWithinTheShutdownTimeout() throws Exception {
        SSLContext sctx = certs().serverContext();
        try (SSLServerSocket ss = (SSLServerSocket) sctx.getServerSocketFactory().createServerSocket(0, 8,
                java.net.InetAddress.getByName(HOST))) {
            clients.submit(() -> {
                try (SSLSocket a = (SSLSocket) ss.accept()) {
                    a.startHandshake();
                    a.getOutputStream().write(1);
                    a.getOutputStream().flush();
                    Thread.sleep(30_000);
                }
                return null;
            });
            Connection<TestProtocols.Collector> c = connect(() -> new TestProtocols.Collector(loop),
                    ss.getLocalPort(), clientTls().withShutdownTimeout(Duration.ofMillis(300)), "localhost");
            await(c.protocol().atLeast(1));
            c.transport().close();
            assertTrue(c.transport().isClosing());
            assertInstanceOf(SocketTimeoutException.class, await(c.protocol().lost));

            // abort() does not wait for anything.
            clients.submit(() -> {
                try (SSLSocket a = (SSLSocket) ss.accept()) {
                    a.startHandshake();
                    a.getOutputStream().write(1);
                    a.getOutputStream().flush();
                    Thread.sleep(30_000);
                }
                return null;
            });
            Connection<TestProtocols.Collector> d = connect(() -> new TestProtocols.Collector(loop),
                    ss.getLocalPort(), clientTls(), "localhost");
            await(d.protocol().atLeast(1));
            d.transport().abort();
            assertNull(await(d.protocol().lost));
        }
    }

    // ------------------------------------------------------------------ start_tls, TLS over TLS

    /** Sends "STARTTLS\n" in the same write as the first bytes of the ClientHello. */
    private static final class Prefixing extends ForwardingTransport {
        private boolean first = true;

        Prefixing(Transport t) {
            super(t);
        }

        @Override
        public void write(byte[] data, int offset, int length) {
            if (first) {
                first = false;
                byte[] p = "STARTTLS\n".getBytes(StandardCharsets.US_ASCII);
                byte[] all = new byte[p.length + length];
                System.arraycopy(p, 0, all, 0, p.length);
                System.arraycopy(data, offset, all, p.length, length);
                super.write(all, 0, all.length);
            } else {
                super.write(data, offset, length);
            }
        }
    }

    @Test
    void shouldStartTlsKeepingBytesAlreadyReceivedAndCallConnectionMadeOnce() {
        List<Counting> serverApps = new ArrayList<>();
        int[] carried = {-1};
        List<LoopFuture<Transport>> serverHs = new ArrayList<>();
        Server server = await(loop.createServer(() -> {
            Counting c = new Counting(loop) {
                boolean upgraded;

                @Override
                public void dataReceived(DirectBuffer data) {
                    if (upgraded) {
                        super.dataReceived(data);
                        transport.write(data);
                        return;
                    }
                    int nl = 0;
                    while (data.getByte(nl) != '\n') {
                        nl++;
                    }
                    upgraded = true;
                    carried[0] = data.capacity() - nl - 1;
                    LoopFuture<Transport> f = Tls.startTls(transport, this, serverTls(), true, null,
                            data, nl + 1, data.capacity() - nl - 1);
                    serverHs.add(f);
                    f.addDoneCallback(h -> transport = h.result());
                }
            };
            serverApps.add(c);
            return c;
        }, HOST, 0, ServerOptions.DEFAULTS));
        Counting client = new Counting(loop);
        Connection<Counting> plain = await(loop.createConnection(() -> client, HOST, port(server), ConnectOptions.DEFAULTS));
        Transport tls = await(loop.startTls(new Prefixing(plain.transport()), client, clientTls(), false, "localhost"));
        assertTrue(carried[0] > 0, "the server's first read held TLS bytes after the command: " + carried[0]);
        tls.write("upgraded".getBytes(StandardCharsets.US_ASCII));
        await(client.atLeast(8));
        assertEquals("upgraded", client.bytes.toString(StandardCharsets.US_ASCII));
        assertEquals(1, client.madeCalls, "connectionMade is not called again by startTls");
        assertEquals(1, serverApps.get(0).madeCalls);
        assertNotNull(await(serverHs.get(0)));
        tls.close();
        assertNull(await(client.lost));
        assertEquals(1, client.lostCalls);
        server.close();
        await(server.waitClosed());
    }

    @Test
    void shouldStartTlsOnAStreamKeepingTheHandshakeBytesItsReaderHeld() {
        int[] held = {-1};
        Server server = await(loop.createTask(() -> dev.weft.loop.stream.Streams.startServer((r, w) -> {
            byte[] command = r.readLine();
            assertEquals("STARTTLS\n", new String(command, StandardCharsets.US_ASCII));
            held[0] = r.buffered();
            w.startTls(serverTls(), null);
            byte[] line = r.readLine();
            w.write(new String(line, StandardCharsets.US_ASCII).toUpperCase(java.util.Locale.ROOT));
            w.write("via " + w.extraInfo(TlsInfo.PROTOCOL) + "\n");
            w.drain();
            w.close();
        }, HOST, 0)));
        Counting client = new Counting(loop);
        Connection<Counting> plain = await(loop.createConnection(() -> client, HOST, port(server), ConnectOptions.DEFAULTS));
        Transport tls = await(loop.startTls(new Prefixing(plain.transport()), client, clientTls(), false, "localhost"));
        tls.write("over tls\n".getBytes(StandardCharsets.US_ASCII));
        assertNull(await(client.lost));
        assertEquals("OVER TLS\nvia TLSv1.3\n", client.bytes.toString(StandardCharsets.US_ASCII));
        assertTrue(held[0] > 0, "the reader held the start of the ClientHello behind the command: " + held[0]);
        server.close();
        await(server.waitClosed());
    }

    @Test
    void shouldStartTlsOnBothStreamsAfterAPlaintextExchange() {
        String reply = await(loop.createTask(() -> {
            Server server = dev.weft.loop.stream.Streams.startServer((r, w) -> {
                r.readLine();
                w.write("OK\n");
                w.startTls(serverTls(), null);
                byte[] line = r.readLine();
                w.write(new String(line, StandardCharsets.US_ASCII).toUpperCase(java.util.Locale.ROOT));
                w.drain();
                w.close();
            }, HOST, 0);
            dev.weft.loop.stream.Streams.StreamPair c = dev.weft.loop.stream.Streams.openConnection(HOST, port(server));
            c.writer().write("STARTTLS\n");
            String ok = new String(c.reader().readLine(), StandardCharsets.US_ASCII);
            Transport before = c.writer().transport();
            c.writer().startTls(clientTls(), "localhost");
            assertNotSame(before, c.writer().transport(), "the writer writes through the TLS transport");
            c.writer().write("secret\n");
            String secret = new String(c.reader().readLine(), StandardCharsets.US_ASCII);
            Object protocol = c.writer().extraInfo(TlsInfo.PROTOCOL);
            byte[] rest = c.reader().read(-1);
            c.writer().close();
            c.writer().waitClosed();
            server.close();
            dev.weft.loop.task.Tasks.await(server.waitClosed());
            return ok + secret + protocol + " " + rest.length;
        }));
        assertEquals("OK\nSECRET\nTLSv1.3 0", reply);
    }

    @Test
    void shouldFailStreamStartTlsWithTheHandshakeReasonWhenTheCertificateIsUntrusted() {
        Throwable e = failureOf(loop.createTask(() -> {
            Server server = dev.weft.loop.stream.Streams.startServer((r, w) -> {
                r.readLine();
                w.write("OK\n");
                try {
                    w.startTls(TlsOptions.server(certs().untrustedServerContext()), null);
                } catch (IOException expected) {
                    // the client refuses the certificate
                }
            }, HOST, 0);
            try {
                dev.weft.loop.stream.Streams.StreamPair c = dev.weft.loop.stream.Streams.openConnection(HOST, port(server));
                c.writer().write("STARTTLS\n");
                c.reader().readLine();
                c.writer().startTls(clientTls(), "localhost");
                return null;
            } finally {
                server.close();
                dev.weft.loop.task.Tasks.await(server.waitClosed());
            }
        }));
        assertInstanceOf(SSLHandshakeException.class, e);
    }

    @Test
    void shouldRunTlsOverTls() {
        // The server: TLS, and inside it a second TLS session started at once.
        List<LoopFuture<Transport>> inner = new ArrayList<>();
        Server server = await(loop.createServer(() -> new Protocol() {
            @Override
            public void connectionMade(Transport t) {
                TestProtocols.Echo echo = new TestProtocols.Echo(loop);
                LoopFuture<Transport> f = Tls.startTls(t, echo, serverTls(), true, null);
                f.addDoneCallback(h -> echo.transport = h.result());
                inner.add(f);
            }

            @Override
            public void dataReceived(DirectBuffer data) {
                throw new AssertionError("the inner TLS layer receives the data");
            }
        }, HOST, 0, ServerOptions.DEFAULTS, serverTls()));
        Connection<TestProtocols.Collector> outer = connect(() -> new TestProtocols.Collector(loop), port(server),
                clientTls(), "localhost");
        TestProtocols.Collector app = new TestProtocols.Collector(loop);
        Transport t = await(loop.startTls(outer.transport(), app, clientTls(), false, "localhost"));
        byte[] data = LoopConformanceTest.pattern(300_000, 9);
        t.write(data);
        await(app.atLeast(data.length));
        assertArrayEquals(data, app.bytes.toByteArray());
        assertEquals("TLSv1.3", t.extraInfo(TlsInfo.PROTOCOL));
        assertTrue(t.extraInfo(TlsInfo.SSL_OBJECT) != outer.transport().extraInfo(TlsInfo.SSL_OBJECT));
        await(inner.get(0));
        t.close();
        assertNull(await(app.lost));
        server.close();
        await(server.waitClosed());
    }

    // ------------------------------------------------------------------ outside peers

    /** Whether {@code command} runs here (exit status 0); false when the tool is missing. */
    protected static boolean toolRuns(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            p.getOutputStream().close();
            p.getInputStream().readAllBytes();
            return p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (java.io.IOException | InterruptedException e) {
            return false;
        }
    }

    /** Runs {@code command} with {@code input} on stdin; returns exit status and output (stdout + stderr). */
    protected static String[] runTool(byte[] input, String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        try (OutputStream in = p.getOutputStream()) {
            in.write(input);
        }
        String out;
        try (InputStream o = p.getInputStream()) {
            out = new String(o.readAllBytes(), StandardCharsets.UTF_8);
        }
        if (!p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(command[0] + " did not finish: " + out);
        }
        return new String[] {Integer.toString(p.exitValue()), out};
    }

    @Test
    void shouldServeOpensslSClient() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(toolRuns("openssl", "version"),
                "openssl is not installed here");
        List<Counting> apps = new ArrayList<>();
        Server server = await(loop.createServer(() -> {
            Counting c = new Counting(loop) {
                @Override
                public void dataReceived(DirectBuffer data) {
                    super.dataReceived(data);
                    if (bytes.toString(StandardCharsets.US_ASCII).endsWith("\n")) {
                        transport.write(("echo:" + bytes.toString(StandardCharsets.US_ASCII)).getBytes(StandardCharsets.US_ASCII));
                        transport.close();
                    }
                }
            };
            apps.add(c);
            return c;
        }, HOST, 0, ServerOptions.DEFAULTS, serverTls()));
        String ca = certs().serverCertPem().toString();
        String[] r = whileLoopRuns(() -> runTool("hello from openssl\n".getBytes(StandardCharsets.US_ASCII),
                "openssl", "s_client", "-connect", HOST + ":" + port(server), "-servername", "localhost",
                "-verify_hostname", "localhost", "-CAfile", ca, "-verify_return_error", "-quiet"));
        assertEquals("0", r[0], r[1]);
        assertTrue(r[1].contains("echo:hello from openssl"), r[1]);
        assertNull(await(apps.get(0).lost));
        server.close();
        await(server.waitClosed());
    }

    private static final String PY_CLIENT = String.join("\n",
            "import socket, ssl, sys",
            "ctx = ssl.create_default_context(cafile=sys.argv[1])",
            "data = bytes(range(256)) * 400",
            "with socket.create_connection(('127.0.0.1', int(sys.argv[2]))) as raw:",
            "    s = ctx.wrap_socket(raw, server_hostname='localhost')",
            "    s.sendall(data)",
            "    got = b''",
            "    while len(got) < len(data):",
            "        chunk = s.recv(65536)",
            "        if not chunk: break",
            "        got += chunk",
            "    print('python-client', s.version(), s.cipher()[0], len(got), got == data)",
            "    s.unwrap()",
            "    print('unwrapped')",
            "");

    private static final String PY_SERVER = String.join("\n",
            "import socket, ssl, sys",
            "ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)",
            "ctx.load_cert_chain(sys.argv[1], sys.argv[2])",
            "ls = socket.create_server(('127.0.0.1', 0))",
            "print(ls.getsockname()[1], flush=True)",
            "raw, _ = ls.accept()",
            "s = ctx.wrap_socket(raw, server_side=True)",
            "n = 0",
            "v = s.version()",
            "while True:",
            "    chunk = s.recv(65536)",
            "    if not chunk: break",
            "    n += len(chunk)",
            "    s.sendall(chunk)",
            "s.unwrap()",
            "print('python-server', v, n, flush=True)",
            "");

    @Test
    void shouldEchoToPythonSslClientAndAnswerItsCloseNotify() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(toolRuns("python3", "-c", "import ssl"),
                "python3 with the ssl module is not installed here");
        List<TestProtocols.Echo> apps = new ArrayList<>();
        Server server = await(loop.createServer(() -> {
            TestProtocols.Echo e = new TestProtocols.Echo(loop);
            apps.add(e);
            return e;
        }, HOST, 0, ServerOptions.DEFAULTS, serverTls()));
        String ca = certs().serverCertPem().toString();
        String[] r = whileLoopRuns(() -> runTool(new byte[0], "python3", "-c", PY_CLIENT, ca,
                Integer.toString(port(server))));
        assertEquals("0", r[0], r[1]);
        assertTrue(r[1].contains("python-client TLSv1.3") && r[1].contains("102400 True") && r[1].contains("unwrapped"),
                r[1]);
        assertNull(await(apps.get(0).lost), "python's close_notify ends the connection cleanly");
        server.close();
        await(server.waitClosed());
    }

    @Test
    void shouldConnectToPythonSslServer() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(toolRuns("python3", "-c", "import ssl"),
                "python3 with the ssl module is not installed here");
        Process py = new ProcessBuilder("python3", "-c", PY_SERVER, certs().serverCertPem().toString(),
                certs().serverKeyPem().toString()).redirectErrorStream(true).start();
        try {
            py.getOutputStream().close();
            java.io.BufferedReader out = new java.io.BufferedReader(
                    new java.io.InputStreamReader(py.getInputStream(), StandardCharsets.US_ASCII));
            int pyPort = Integer.parseInt(whileLoopRuns(out::readLine).trim());
            Connection<TestProtocols.Collector> c = connect(() -> new TestProtocols.Collector(loop), pyPort,
                    clientTls(), "localhost");
            byte[] data = LoopConformanceTest.pattern(200_000, 3);
            c.transport().write(data);
            await(c.protocol().atLeast(data.length));
            assertArrayEquals(data, c.protocol().bytes.toByteArray());
            assertEquals("TLSv1.3", c.transport().extraInfo(TlsInfo.PROTOCOL));
            c.transport().close();
            assertNull(await(c.protocol().lost), "python answered close_notify");
            String last = whileLoopRuns(out::readLine);
            assertEquals("python-server TLSv1.3 200000", last);
            assertTrue(whileLoopRuns(() -> py.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)));
            assertEquals(0, py.exitValue());
            out.close();
        } finally {
            py.destroyForcibly();
            py.getInputStream().close();
        }
    }

    // ------------------------------------------------------------------ streams

    @Test
    void shouldServeAndReadLinesWithStreamsOverTls() {
        String reply = await(loop.createTask(() -> {
            Server server = dev.weft.loop.stream.Streams.startServer((r, w) -> {
                byte[] line = r.readLine();
                w.write(new String(line, StandardCharsets.US_ASCII).toUpperCase(java.util.Locale.ROOT));
                w.write("via " + w.extraInfo(TlsInfo.PROTOCOL) + "\n");
                w.drain();
                w.close();
            }, HOST, 0, dev.weft.loop.stream.StreamReader.DEFAULT_LIMIT, ServerOptions.DEFAULTS, serverTls());
            dev.weft.loop.stream.Streams.StreamPair c = dev.weft.loop.stream.Streams.openConnection(HOST, port(server),
                    dev.weft.loop.stream.StreamReader.DEFAULT_LIMIT, clientTls(), "localhost");
            c.writer().write("hello streams\n");
            String first = new String(c.reader().readLine(), StandardCharsets.US_ASCII);
            String second = new String(c.reader().readLine(), StandardCharsets.US_ASCII);
            byte[] rest = c.reader().read(-1);
            c.writer().close();
            c.writer().waitClosed();
            server.close();
            dev.weft.loop.task.Tasks.await(server.waitClosed());
            return first + second + rest.length;
        }));
        assertEquals("HELLO STREAMS\nvia TLSv1.3\n0", reply);
    }

    // ------------------------------------------------------------------ TLS 1.2, BufferedProtocol

    @Test
    void shouldEchoAndCloseCleanlyOverTls12() {
        Server server = tlsEchoServer(serverTls().withProtocols("TLSv1.2"));
        Connection<TestProtocols.Collector> c = connect(() -> new TestProtocols.Collector(loop), port(server),
                clientTls(), "localhost");
        assertEquals("TLSv1.2", c.transport().extraInfo(TlsInfo.PROTOCOL));
        byte[] data = LoopConformanceTest.pattern(100_000, 12);
        c.transport().write(data);
        await(c.protocol().atLeast(data.length));
        assertArrayEquals(data, c.protocol().bytes.toByteArray());
        c.transport().close();
        assertNull(await(c.protocol().lost));
        server.close();
        await(server.waitClosed());
    }

    /** Receives into a one-byte buffer (asyncio's test_start_tls_client_buf_proto_1). */
    private static final class OneByteReceiver implements dev.weft.loop.BufferedProtocol {
        final java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        final org.agrona.concurrent.UnsafeBuffer buf = new org.agrona.concurrent.UnsafeBuffer(new byte[1]);
        final LoopFuture<Throwable> lost;
        Transport transport;

        OneByteReceiver(EventLoop loop) {
            lost = loop.createFuture();
        }

        @Override
        public void connectionMade(Transport t) {
            transport = t;
        }

        @Override
        public org.agrona.MutableDirectBuffer getBuffer(int sizeHint) {
            return buf;
        }

        @Override
        public void bufferUpdated(int nbytes) {
            bytes.write(buf.getByte(0));
            if (bytes.size() == 5000) {
                transport.close();
            }
        }

        @Override
        public void connectionLost(Throwable cause) {
            lost.setResult(cause);
        }
    }

    @Test
    void shouldDeliverToABufferedProtocolWithAOneByteBuffer() {
        Server server = tlsEchoServer(serverTls());
        OneByteReceiver r = new OneByteReceiver(loop);
        Connection<OneByteReceiver> c = connect(() -> r, port(server), clientTls(), "localhost");
        byte[] data = LoopConformanceTest.pattern(5000, 4);
        c.transport().write(data);
        assertNull(await(r.lost));
        assertArrayEquals(data, r.bytes.toByteArray());
        server.close();
        await(server.waitClosed());
    }

    @Test
    void shouldTimeOutTheHandshakeWhenADelegatedTaskNeverRuns() {
        Server server = tlsEchoServer(serverTls());
        java.util.concurrent.atomic.AtomicInteger handedOver = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.Executor blackHole = task -> handedOver.incrementAndGet();
        List<Counting> made = new ArrayList<>();
        Throwable e = failureOf(loop.createConnection(() -> {
            Counting c = new Counting(loop);
            made.add(c);
            return c;
        }, HOST, port(server), ConnectOptions.DEFAULTS,
                clientTls().withTaskExecutor(blackHole).withHandshakeTimeout(Duration.ofMillis(300)), "localhost"));
        assertTrue(handedOver.get() > 0, "the engine's delegated tasks went to the executor, not the loop");
        assertInstanceOf(SSLHandshakeException.class, e);
        assertTrue(e.getMessage().contains("did not complete within 300 ms"), e.getMessage());
        assertEquals(0, made.get(0).madeCalls);
        server.close();
        await(server.waitClosed());
    }
}
