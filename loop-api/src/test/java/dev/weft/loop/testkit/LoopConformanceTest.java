package dev.weft.loop.testkit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.weft.loop.BufferedProtocol;
import dev.weft.loop.Capability;
import dev.weft.loop.Connection;
import dev.weft.loop.ConnectOptions;
import dev.weft.loop.ExceptionContext;
import dev.weft.loop.LoopFuture;
import dev.weft.loop.Protocol;
import dev.weft.loop.Server;
import dev.weft.loop.ServerOptions;
import dev.weft.loop.Transport;
import dev.weft.loop.UnsupportedCapabilityException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The conformance suite: every backend runs it through a subclass that only names the backend.
 * Each test uses real sockets on loopback and ends (in {@link LoopTestSupport}) by checking that the
 * loop closes with no live handle and no leaked descriptor.
 */
@Timeout(120)
public abstract class LoopConformanceTest extends CoreLoopTests {

    protected Server echoServer() {
        return await(loop.createServer(() -> new TestProtocols.Echo(loop), "127.0.0.1", 0, ServerOptions.DEFAULTS));
    }

    protected static int port(Server s) {
        return s.addresses().get(0).getPort();
    }

    protected static byte[] pattern(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    protected static byte[] readFully(InputStream in, int n) throws IOException {
        byte[] b = in.readNBytes(n);
        if (b.length != n) {
            throw new IOException("EOF after " + b.length + " of " + n + " bytes");
        }
        return b;
    }

    @Test
    void shouldEchoSmallMessagesToABlockingClient() {
        Server server = echoServer();
        assertTrue(server.isServing());
        byte[] reply = whileLoopRuns(() -> {
            try (Socket s = new Socket("127.0.0.1", port(server))) {
                s.getOutputStream().write("hello".getBytes(StandardCharsets.US_ASCII));
                return readFully(s.getInputStream(), 5);
            }
        });
        assertEquals("hello", new String(reply, StandardCharsets.US_ASCII));
        server.close();
        assertFalse(server.isServing());
        await(server.waitClosed());
    }

    @Test
    void shouldEchoSixteenMebibytesHonouringFlowControl() {
        int total = 16 << 20;
        List<TestProtocols.Echo> serverSide = new ArrayList<>();
        Server server = await(loop.createServer(() -> {
            TestProtocols.Echo e = new TestProtocols.Echo(loop);
            serverSide.add(e);
            return e;
        }, "127.0.0.1", 0, ServerOptions.DEFAULTS));
        byte[] data = pattern(total, 16);
        Sender sender = new Sender(data, loop);
        Connection<Sender> c = await(loop.createConnection(() -> sender, "127.0.0.1", port(server), ConnectOptions.DEFAULTS));
        assertNotNull(c.transport());
        await(sender.done);
        assertArrayEquals(data, sender.received.toByteArray(), "16 MiB echoed byte for byte");
        int limit = Transport.DEFAULT_HIGH_WATER + 256 * 1024;
        assertTrue(sender.maxWriteBuffer <= Transport.DEFAULT_HIGH_WATER + Sender.CHUNK,
                "sender buffer " + sender.maxWriteBuffer + " exceeded high-water mark + one write");
        assertTrue(serverSide.get(0).maxWriteBuffer <= limit,
                "echo buffer " + serverSide.get(0).maxWriteBuffer + " exceeded high-water mark + one read");
        assertTrue(sender.pauses > 0 || serverSide.get(0).pauses > 0, "flow control was exercised");
        c.transport().close();
        server.close();
        await(server.waitClosed());
    }

    /** Writes its data in chunks while not paused, collects the echo. */
    static final class Sender extends TestProtocols.Collector {
        static final int CHUNK = 64 * 1024;
        final byte[] data;
        final ByteArrayOutputStream received = bytes;
        final LoopFuture<Void> done;
        int sent;
        int pauses;
        int maxWriteBuffer;
        boolean paused;

        Sender(byte[] data, dev.weft.loop.EventLoop loop) {
            super(loop);
            this.data = data;
            this.done = loop.createFuture();
        }

        @Override
        public void connectionMade(Transport t) {
            super.connectionMade(t);
            pump();
        }

        private void pump() {
            while (!paused && sent < data.length) {
                int n = Math.min(CHUNK, data.length - sent);
                transport.write(data, sent, n);
                sent += n;
                maxWriteBuffer = Math.max(maxWriteBuffer, transport.getWriteBufferSize());
            }
        }

        @Override
        public void pauseWriting() {
            paused = true;
            pauses++;
        }

        @Override
        public void resumeWriting() {
            paused = false;
            pump();
        }

        @Override
        public void dataReceived(DirectBuffer d) {
            super.dataReceived(d);
            if (bytes.size() == data.length && !done.isDone()) {
                done.setResult(null);
            }
        }
    }

    @Test
    void shouldDeliverEofToServerAndKeepItWritingWhenHalfClosedByClient() {
        List<TestProtocols.Collector> side = new ArrayList<>();
        Server server = await(loop.createServer(() -> {
            TestProtocols.Collector c = new TestProtocols.Collector(loop) {
                @Override
                public boolean eofReceived() {
                    super.eofReceived();
                    transport.write(("got " + bytes.size()).getBytes(StandardCharsets.US_ASCII));
                    transport.close();
                    return true;
                }
            };
            c.keepOpenOnEof = true;
            side.add(c);
            return c;
        }, "127.0.0.1", 0, ServerOptions.DEFAULTS));
        String reply = whileLoopRuns(() -> {
            try (Socket s = new Socket("127.0.0.1", port(server))) {
                s.getOutputStream().write(new byte[1000]);
                s.shutdownOutput();
                return new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            }
        });
        assertEquals("got 1000", reply);
        assertNull(await(side.get(0).lost));
        server.close();
    }

    @Test
    void shouldWriteEofAndKeepReadingWhenHalfClosedByServer() {
        List<TestProtocols.Collector> side = new ArrayList<>();
        Server server = await(loop.createServer(() -> {
            TestProtocols.Collector c = new TestProtocols.Collector(loop) {
                @Override
                public void connectionMade(Transport t) {
                    super.connectionMade(t);
                    assertTrue(t.canWriteEof());
                    t.write("bye".getBytes(StandardCharsets.US_ASCII));
                    t.writeEof();
                    assertThrows(IllegalStateException.class, () -> t.write(new byte[1]));
                }
            };
            side.add(c);
            return c;
        }, "127.0.0.1", 0, ServerOptions.DEFAULTS));
        String got = whileLoopRuns(() -> {
            try (Socket s = new Socket("127.0.0.1", port(server))) {
                String first = new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
                s.getOutputStream().write("still here".getBytes(StandardCharsets.US_ASCII));
                s.shutdownOutput();
                return first;
            }
        });
        assertEquals("bye", got);
        TestProtocols.Collector c = side.get(0);
        await(c.eof);
        assertEquals("still here", c.bytes.toString(StandardCharsets.US_ASCII));
        assertNull(await(c.lost));
        server.close();
    }

    @Test
    void shouldResetThePeerOnAbort() {
        assumeTrue(peerSeesResetAfterData(), "this platform reports a reset that follows data as EOF to the peer");
        Server server = await(loop.createServer(() -> new TestProtocols.Collector(loop) {
            @Override
            public void dataReceived(DirectBuffer d) {
                super.dataReceived(d);
                transport.write(new byte[100_000]);
                transport.abort();
                assertTrue(transport.isClosing());
            }
        }, "127.0.0.1", 0, ServerOptions.DEFAULTS));
        Throwable seen = whileLoopRuns(() -> {
            try (Socket s = new Socket("127.0.0.1", port(server))) {
                s.getOutputStream().write(1);
                try {
                    InputStream in = s.getInputStream();
                    while (in.read() >= 0) {
                        // drain whatever came before the reset
                    }
                    return null;
                } catch (SocketException e) {
                    return e;
                }
            }
        });
        assertNotNull(seen, "the peer must see a reset, not an orderly EOF");
        assertTrue(String.valueOf(seen.getMessage()).toLowerCase().contains("reset"), seen.toString());
        server.close();
    }

    @Test
    void shouldFailConnectToAClosedPortNamingTheAddress() throws Exception {
        int port;
        try (ServerSocket ss = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = ss.getLocalPort();
        }
        LoopFuture<Connection<TestProtocols.Collector>> f =
                loop.createConnection(() -> new TestProtocols.Collector(loop), "127.0.0.1", port, null);
        CompletionException e = assertThrows(CompletionException.class, () -> await(f));
        assertInstanceOf(ConnectException.class, e.getCause());
        assertTrue(e.getCause().getMessage().contains("127.0.0.1:" + port), e.getCause().getMessage());
    }

    @Test
    void shouldFailBadArgumentsBeforeDoingAnything() {
        assertThrows(IllegalArgumentException.class,
                () -> loop.createConnection(() -> new TestProtocols.Collector(loop), "127.0.0.1", 0, null));
        assertThrows(IllegalArgumentException.class,
                () -> loop.createServer(() -> new TestProtocols.Collector(loop), "127.0.0.1", 70000, null));
        assertThrows(IllegalArgumentException.class, () -> ServerOptions.DEFAULTS.withBacklog(0));
        LoopFuture<Server> bad = loop.createServer(() -> new TestProtocols.Collector(loop), "host.invalid", 0, null);
        CompletionException e = assertThrows(CompletionException.class, () -> await(bad));
        assertTrue(e.getCause().getMessage().contains("host.invalid"), e.getCause().getMessage());
    }

    @Test
    void shouldFlushPendingWritesOnClose() {
        int size = 8 << 20;
        byte[] data = pattern(size, 8);
        Server server = await(loop.createServer(() -> new TestProtocols.Collector(loop) {
            @Override
            public void connectionMade(Transport t) {
                super.connectionMade(t);
                t.write(data);
                assertTrue(t.getWriteBufferSize() > 0, "the kernel cannot take 8 MiB at once");
                t.close();
                assertTrue(t.isClosing());
                assertThrows(IllegalStateException.class, () -> t.write(new byte[1]));
            }
        }, "127.0.0.1", 0, ServerOptions.DEFAULTS));
        byte[] got = whileLoopRuns(() -> {
            try (Socket s = new Socket("127.0.0.1", port(server))) {
                Thread.sleep(100);
                return s.getInputStream().readAllBytes();
            }
        });
        assertArrayEquals(data, got);
        server.close();
    }

    @Test
    void shouldStopDeliveringWhilePausedAndResume() {
        List<TestProtocols.Collector> side = new ArrayList<>();
        Server server = await(loop.createServer(() -> {
            TestProtocols.Collector c = new TestProtocols.Collector(loop) {
                @Override
                public void connectionMade(Transport t) {
                    super.connectionMade(t);
                    t.pauseReading();
                    assertFalse(t.isReading());
                }
            };
            side.add(c);
            return c;
        }, "127.0.0.1", 0, ServerOptions.DEFAULTS));
        Socket client = whileLoopRuns(() -> {
            Socket s = new Socket("127.0.0.1", port(server));
            s.getOutputStream().write("paused".getBytes(StandardCharsets.US_ASCII));
            return s;
        });
        try (client) {
            runFor(100);
            TestProtocols.Collector c = side.get(0);
            assertEquals(0, c.dataCalls, "no data while reading is paused");
            c.transport.resumeReading();
            assertTrue(c.transport.isReading());
            await(c.atLeast(6));
            assertEquals("paused", c.bytes.toString(StandardCharsets.US_ASCII));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        server.close();
        server.closeClients();
        await(server.waitClosed());
    }

    @Test
    void shouldServeAThousandConcurrentConnections() {
        int n = 1000;
        Server server = await(loop.createServer(() -> new TestProtocols.Echo(loop), "127.0.0.1", 0,
                ServerOptions.DEFAULTS.withBacklog(1024)));
        List<TestProtocols.Collector> clientsSide = new ArrayList<>();
        List<LoopFuture<Connection<TestProtocols.Collector>>> connects = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            connects.add(loop.createConnection(() -> new TestProtocols.Collector(loop), "127.0.0.1", port(server), null));
        }
        for (LoopFuture<Connection<TestProtocols.Collector>> f : connects) {
            clientsSide.add(await(f).protocol());
        }
        for (int i = 0; i < n; i++) {
            clientsSide.get(i).transport.write(("msg-" + i).getBytes(StandardCharsets.US_ASCII));
        }
        for (int i = 0; i < n; i++) {
            String expect = "msg-" + i;
            await(clientsSide.get(i).atLeast(expect.length()));
            assertEquals(expect, clientsSide.get(i).bytes.toString(StandardCharsets.US_ASCII));
        }
        assertEquals(n, server.connectionCount());
        for (TestProtocols.Collector c : clientsSide) {
            c.transport.close();
        }
        for (TestProtocols.Collector c : clientsSide) {
            assertNull(await(c.lost));
        }
        server.close();
        await(server.waitClosed());
        assertEquals(0, server.connectionCount());
    }

    @Test
    void shouldReportResetByPeerToConnectionLostAndGoOn() {
        List<TestProtocols.Collector> side = new ArrayList<>();
        Server server = await(loop.createServer(() -> {
            TestProtocols.Collector c = new TestProtocols.Collector(loop) {
                @Override
                public void dataReceived(DirectBuffer d) {
                    super.dataReceived(d);
                    // Keep writing until the reset shows up.
                    loop.callLater(5, TimeUnit.MILLISECONDS, this::spray);
                }

                void spray() {
                    if (!transport.isClosing()) {
                        transport.write(new byte[32 * 1024]);
                        loop.callLater(5, TimeUnit.MILLISECONDS, this::spray);
                    }
                }
            };
            side.add(c);
            return c;
        }, "127.0.0.1", 0, ServerOptions.DEFAULTS));
        whileLoopRuns(() -> {
            Socket s = new Socket("127.0.0.1", port(server));
            s.setSoLinger(true, 0);
            s.getOutputStream().write(1);
            Thread.sleep(50);
            s.close();
            return null;
        });
        Throwable cause = await(side.get(0).lost);
        assertNotNull(cause, "a reset must reach connectionLost as an error");
        assertInstanceOf(IOException.class, cause);
        // The loop goes on: a new connection still echoes.
        TestProtocols.Collector again = await(loop.createConnection(() -> new TestProtocols.Collector(loop),
                "127.0.0.1", port(server), null)).protocol();
        assertNotNull(again.transport);
        again.transport.close();
        await(again.lost);
        server.close();
        await(server.waitClosed());
    }

    @Test
    void shouldCloseOnEofByDefault() {
        List<TestProtocols.Collector> side = new ArrayList<>();
        Server server = await(loop.createServer(() -> {
            TestProtocols.Collector c = new TestProtocols.Collector(loop);
            side.add(c);
            return c;
        }, "127.0.0.1", 0, ServerOptions.DEFAULTS));
        whileLoopRuns(() -> {
            try (Socket s = new Socket("127.0.0.1", port(server))) {
                s.getOutputStream().write("x".getBytes(StandardCharsets.US_ASCII));
            }
            return null;
        });
        assertNull(await(side.get(0).lost));
        assertEquals("x", side.get(0).bytes.toString(StandardCharsets.US_ASCII));
        assertTrue(side.get(0).eof.isDone());
        server.close();
    }

    @Test
    void shouldValidateWriteBufferLimitsWithoutChangingThem() {
        Server server = echoServer();
        TestProtocols.Collector c = await(loop.createConnection(() -> new TestProtocols.Collector(loop),
                "127.0.0.1", port(server), null)).protocol();
        Transport t = c.transport;
        assertEquals(Transport.DEFAULT_HIGH_WATER, t.getWriteBufferLimitHigh());
        assertEquals(Transport.DEFAULT_LOW_WATER, t.getWriteBufferLimitLow());
        assertThrows(IllegalArgumentException.class, () -> t.setWriteBufferLimits(100, 200));
        assertEquals(Transport.DEFAULT_HIGH_WATER, t.getWriteBufferLimitHigh());
        t.setWriteBufferLimits(1000, -1);
        assertEquals(250, t.getWriteBufferLimitLow());
        assertThrows(IndexOutOfBoundsException.class, () -> t.write(new byte[4], 2, 3));
        assertEquals(0, t.getWriteBufferSize());
        t.close();
        await(c.lost);
        server.close();
        await(server.waitClosed());
    }

    @Test
    void shouldReportAddressesInExtraInfo() {
        Server server = echoServer();
        TestProtocols.Collector c = await(loop.createConnection(() -> new TestProtocols.Collector(loop),
                "127.0.0.1", port(server), null)).protocol();
        InetSocketAddress peer = (InetSocketAddress) c.transport.extraInfo(Transport.PEER_NAME);
        InetSocketAddress local = (InetSocketAddress) c.transport.extraInfo(Transport.SOCK_NAME);
        assertEquals(port(server), peer.getPort());
        assertEquals("127.0.0.1", peer.getAddress().getHostAddress());
        assertTrue(local.getPort() > 0);
        assertNotNull(c.transport.extraInfo(Transport.SOCKET));
        assertEquals(backend(), c.transport.extraInfo(Transport.BACKEND));
        assertNull(c.transport.extraInfo("no-such-key"));
        c.transport.close();
        await(c.lost);
        server.close();
        await(server.waitClosed());
    }

    @Test
    void shouldGatherWriteLinesAndRejectBadPartsBeforeWriting() {
        Server server = echoServer();
        TestProtocols.Collector c = await(loop.createConnection(() -> new TestProtocols.Collector(loop),
                "127.0.0.1", port(server), null)).protocol();
        Transport t = c.transport;
        assertThrows(IllegalArgumentException.class, () -> t.writeLines(List.of("a".getBytes(), "not bytes")));
        assertEquals(0, t.getWriteBufferSize());
        ByteBuffer direct = ByteBuffer.allocateDirect(3).put("ccc".getBytes());
        direct.flip();
        t.writeLines(List.of("aa".getBytes(), new UnsafeBuffer("b".getBytes()), direct,
                ByteBuffer.wrap("dd".getBytes())));
        assertEquals(0, direct.position(), "a ByteBuffer's position is left unchanged");
        await(c.atLeast(8));
        assertEquals("aabcccdd", c.bytes.toString(StandardCharsets.US_ASCII));
        t.close();
        await(c.lost);
        server.close();
        await(server.waitClosed());
    }

    @Test
    void shouldReadIntoABufferedProtocolsOwnMemory() {
        Server server = echoServer();
        UnsafeBuffer own = new UnsafeBuffer(ByteBuffer.allocateDirect(7));
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        LoopFuture<Void> done = loop.createFuture();
        BufferedProtocol p = new BufferedProtocol() {
            @Override
            public MutableDirectBuffer getBuffer(int sizeHint) {
                return own;
            }

            @Override
            public void bufferUpdated(int n) {
                byte[] b = new byte[n];
                own.getBytes(0, b);
                got.write(b, 0, n);
                if (got.size() == 20 && !done.isDone()) {
                    done.setResult(null);
                }
            }
        };
        Connection<BufferedProtocol> c = await(loop.createConnection(() -> p, "127.0.0.1", port(server), null));
        c.transport().write("0123456789abcdefghij".getBytes(StandardCharsets.US_ASCII));
        await(done);
        assertEquals("0123456789abcdefghij", got.toString(StandardCharsets.US_ASCII));
        c.transport().close();
        server.close();
        server.closeClients();
        await(server.waitClosed());
    }

    @Test
    void shouldReportProtocolFailureAndDropOnlyThatConnection() {
        List<ExceptionContext> errors = new ArrayList<>();
        loop.setExceptionHandler((l, ctx) -> errors.add(ctx));
        Server server = await(loop.createServer(() -> (Protocol) data -> {
            throw new IllegalStateException("protocol bug");
        }, "127.0.0.1", 0, ServerOptions.DEFAULTS));
        int eofOrReset = whileLoopRuns(() -> {
            try (Socket s = new Socket("127.0.0.1", port(server))) {
                s.getOutputStream().write(1);
                try {
                    return s.getInputStream().read();
                } catch (SocketException e) {
                    return -2;
                }
            }
        });
        assertTrue(eofOrReset < 0);
        assertEquals(1, errors.size());
        assertEquals("protocol bug", errors.get(0).exception().getMessage());
        assertTrue(server.isServing(), "the server goes on");
        server.close();
        await(server.waitClosed());
    }

    @Test
    void shouldCloseAndAbortClientsOfAServer() {
        Server server = echoServer();
        TestProtocols.Collector a = await(loop.createConnection(() -> new TestProtocols.Collector(loop),
                "127.0.0.1", port(server), null)).protocol();
        TestProtocols.Collector b = await(loop.createConnection(() -> new TestProtocols.Collector(loop),
                "127.0.0.1", port(server), null)).protocol();
        runFor(20);
        assertEquals(2, server.connectionCount());
        server.close();
        LoopFuture<Void> closed = server.waitClosed();
        runFor(20);
        assertFalse(closed.isDone(), "waitClosed waits for the accepted connections");
        server.abortClients();
        await(closed);
        assertNotNull(await(a.lost), "an aborted peer sees a reset");
        await(b.lost);
    }

    @Test
    void shouldEchoOverIpv6Loopback() {
        boolean v6;
        try (ServerSocket probe = new ServerSocket()) {
            probe.bind(new InetSocketAddress("::1", 0));
            v6 = true;
        } catch (IOException e) {
            v6 = false;
        }
        assumeTrue(v6, "no IPv6 loopback on this machine");
        Server server = await(loop.createServer(() -> new TestProtocols.Echo(loop), "::1", 0, null));
        TestProtocols.Collector c = await(loop.createConnection(() -> new TestProtocols.Collector(loop),
                "::1", port(server), null)).protocol();
        c.transport.write("six".getBytes(StandardCharsets.US_ASCII));
        await(c.atLeast(3));
        assertEquals("six", c.bytes.toString(StandardCharsets.US_ASCII));
        InetSocketAddress peer = (InetSocketAddress) c.transport.extraInfo(Transport.PEER_NAME);
        assertTrue(peer.getAddress() instanceof java.net.Inet6Address);
        c.transport.close();
        await(c.lost);
        server.close();
        await(server.waitClosed());
    }

    @Test
    void shouldKeepServingWithoutSpinningWhenAcceptRunsOutOfDescriptors() throws Exception {
        assumeTrue(openDescriptors() >= 0, "needs /proc/self/fd to count descriptors");
        List<ExceptionContext> errors = new ArrayList<>();
        loop.setExceptionHandler((l, ctx) -> errors.add(ctx));
        Server server = echoServer();
        List<Socket> waiting = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            waiting.add(new Socket("127.0.0.1", port(server)));
        }
        List<FileChannel> filler = new ArrayList<>();
        try {
            try {
                while (true) {
                    filler.add(FileChannel.open(Path.of("/dev/null"), StandardOpenOption.READ));
                }
            } catch (IOException exhausted) {
                // Every descriptor is taken: the pending accepts must fail with EMFILE.
            }
            int iterations = 0;
            long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(300);
            while (System.nanoTime() < end) {
                LoopFuture<Void> tick = loop.createFuture();
                loop.callLater(1, TimeUnit.MILLISECONDS, () -> tick.setResult(null));
                loop.runUntilComplete(tick);
                iterations++;
            }
            assertEquals(0, server.connectionCount(), "nothing can be accepted without descriptors");
            assertFalse(errors.isEmpty(), "running out of descriptors is reported");
            assertTrue(errors.size() <= 10, "reported once per pause, not per spin: " + errors.size());
            assertTrue(iterations < 1000, "sanity: " + iterations);
        } finally {
            for (FileChannel f : filler) {
                f.close();
            }
        }
        // With descriptors back, the waiting clients are served.
        byte[] reply = whileLoopRuns(() -> {
            Socket s = waiting.get(0);
            s.getOutputStream().write("back".getBytes(StandardCharsets.US_ASCII));
            return readFully(s.getInputStream(), 4);
        });
        assertEquals("back", new String(reply, StandardCharsets.US_ASCII));
        for (Socket s : waiting) {
            s.close();
        }
        runFor(50);
        server.close();
        server.closeClients();
        await(server.waitClosed());
    }

    @Test
    void shouldWriteFromEveryBufferKind() {
        Server server = echoServer();
        TestProtocols.Collector c = await(loop.createConnection(() -> new TestProtocols.Collector(loop),
                "127.0.0.1", port(server), null)).protocol();
        Transport t = c.transport;
        byte[] heap = "heap".getBytes(StandardCharsets.US_ASCII);
        t.write(heap);
        heap[0] = 'X'; // the caller may reuse its memory once write returns
        t.write(new UnsafeBuffer(ByteBuffer.allocateDirect(3).put("dir".getBytes())), 0, 3);
        ByteBuffer hb = ByteBuffer.wrap("--bb--".getBytes());
        hb.position(2).limit(4);
        t.write(hb);
        assertEquals(2, hb.position());
        t.write("0123".getBytes(), 1, 2);
        await(c.atLeast(11));
        assertEquals("heapdirbb12", c.bytes.toString(StandardCharsets.US_ASCII));
        t.close();
        await(c.lost);
        server.close();
        await(server.waitClosed());
    }

    @Test
    void shouldBindAnyFreePortAndReportIt() {
        Server server = await(loop.createServer(() -> new TestProtocols.Echo(loop), "localhost", 0, null));
        assertFalse(server.addresses().isEmpty());
        for (InetSocketAddress a : server.addresses()) {
            assertTrue(a.getPort() > 0);
        }
        server.close();
        server.close();
        await(server.waitClosed());
    }

    @Test
    void shouldStopListeningAsSoonAsTheServerCloses() {
        Server server = echoServer();
        int p = port(server);
        server.close();
        // No loop iteration in between: the listening socket must already be closed.
        assertThrows(ConnectException.class, () -> new Socket("127.0.0.1", p).close());
        await(server.waitClosed());
    }

    @Test
    void shouldFailUnixCallsAtOnceWithTheReasonWhereTheBackendLacksThem() {
        assumeTrue(!loop.supports(Capability.UNIX_STREAM), "this backend has Unix sockets (their own suite runs)");
        UnsupportedCapabilityException e = assertThrows(UnsupportedCapabilityException.class,
                () -> loop.createUnixServer(() -> new TestProtocols.Echo(loop), "/tmp/weft-never.sock", null));
        assertTrue(e.getMessage().startsWith("unsupported on " + loop.backendName() + ": "), e.getMessage());
        assertThrows(UnsupportedCapabilityException.class,
                () -> loop.createUnixConnection(() -> new TestProtocols.Collector(loop), "/tmp/weft-never.sock"));
        assertEquals(0, loop.liveHandles());
    }

    @Test
    void shouldOfferTcpAndNameTheBackendForEveryCapabilityItLacks() {
        assertTrue(loop.supports(Capability.TCP));
        for (Capability c : Capability.values()) {
            if (loop.supports(c)) {
                loop.requireCapability(c);
                continue;
            }
            UnsupportedCapabilityException e = assertThrows(UnsupportedCapabilityException.class,
                    () -> loop.requireCapability(c));
            assertTrue(e.getMessage().startsWith("unsupported on " + loop.backendName() + ": "), e.getMessage());
            assertEquals(c, e.capability());
        }
    }
}
