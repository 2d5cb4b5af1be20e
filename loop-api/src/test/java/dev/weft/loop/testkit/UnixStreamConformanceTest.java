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

import dev.weft.loop.Capability;
import dev.weft.loop.Connection;
import dev.weft.loop.ExceptionContext;
import dev.weft.loop.LoopFuture;
import dev.weft.loop.PeerCredentials;
import dev.weft.loop.Server;
import dev.weft.loop.task.Task;
import dev.weft.loop.task.Tasks;
import dev.weft.loop.Transport;
import dev.weft.loop.UnixServerOptions;
import dev.weft.loop.UnixSocketAddress;
import dev.weft.loop.UnsupportedCapabilityException;
import dev.weft.loop.stream.Streams;
import java.io.File;
import java.io.IOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The Unix domain stream socket suite (asyncio's {@code create_unix_server} /
 * {@code create_unix_connection}, and its {@code UnixServerCleanupTests}). A backend runs it through a
 * subclass that only names the backend; where the backend lacks {@link Capability#UNIX_STREAM}
 * every test is skipped with the backend's reason. Sockets live in a fresh short directory under
 * /tmp (sun_path is short); each test ends, as the whole suite does, by checking that the loop closes
 * with no live handle and no leaked descriptor.
 */
@Timeout(120)
public abstract class UnixStreamConformanceTest extends LoopTestSupport {
    private Path dir;

    /** The longest file system path the backend takes: the OS's, unless the backend takes less. */
    protected int maxPathBytes() {
        return UnixSocketAddress.maxPathBytes();
    }

    /** Whether the backend reads {@code SO_PEERCRED} (Linux epoll); elsewhere "peercred" is null. */
    protected boolean readsPeerCredentials() {
        return false;
    }

    /**
     * The blocking clients here are java.nio channels, and java.nio opens one descriptor for the
     * whole JVM the first time a socket channel is made (the pre-close socket its dispatcher keeps);
     * made here, before the descriptors are counted, it is not taken for a leak.
     */
    @BeforeAll
    static void openJavaNioOnce() {
        try {
            SocketChannel.open(StandardProtocolFamily.UNIX).close();
        } catch (IOException | UnsupportedOperationException e) {
            // No Unix sockets in this JVM (an old Windows): the capability check skips every test.
        }
    }

    @BeforeEach
    void requireUnixSockets() throws IOException {
        assumeTrue(loop.supports(Capability.UNIX_STREAM), () -> unsupportedReason(Capability.UNIX_STREAM));
        Path tmp = Path.of("/tmp");
        dir = Files.isDirectory(tmp) ? Files.createTempDirectory(tmp, "weft-uds") : Files.createTempDirectory("weft-uds");
    }

    @AfterEach
    void removeDirectory() throws IOException {
        if (dir == null) {
            return;
        }
        try (var files = Files.walk(dir)) {
            files.sorted((a, b) -> b.compareTo(a)).forEach(p -> p.toFile().delete());
        }
    }

    private String unsupportedReason(Capability c) {
        try {
            loop.requireCapability(c);
            return "supported";
        } catch (UnsupportedCapabilityException e) {
            return e.getMessage();
        }
    }

    protected String path(String name) {
        return dir.resolve(name).toString();
    }

    protected Server echoServer(String path) {
        return await(loop.createUnixServer(() -> new TestProtocols.Echo(loop), path, null));
    }

    private <T extends dev.weft.loop.BaseProtocol> Connection<T> connect(Supplier<T> f, String path) {
        return await(loop.createUnixConnection(f, path));
    }

    private static SocketChannel blockingClient(String path) throws IOException {
        return SocketChannel.open(UnixDomainSocketAddress.of(path));
    }

    private static byte[] readFully(SocketChannel ch, int n) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(n);
        while (b.hasRemaining()) {
            if (ch.read(b) < 0) {
                throw new IOException("EOF after " + b.position() + " of " + n + " bytes");
            }
        }
        return b.array();
    }

    private static void writeFully(SocketChannel ch, byte[] data) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(data);
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    /** A socket file nobody listens on, as a crashed server leaves it. */
    private static void staleSocket(String path) throws IOException {
        try (ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            s.bind(UnixDomainSocketAddress.of(path));
        }
        assertTrue(Files.exists(Path.of(path), LinkOption.NOFOLLOW_LINKS), "java.nio leaves the file on close");
    }

    private void closeServer(Server server) {
        server.close();
        server.closeClients();
        await(server.waitClosed());
    }

    // ------------------------------------------------------------------ echo, flow control, half-close

    @Test
    void shouldEchoToABlockingClientAndReportTheBoundPath() {
        String path = path("echo.sock");
        Server server = echoServer(path);
        assertTrue(server.isServing());
        assertEquals(List.of(UnixSocketAddress.of(path)), server.boundAddresses());
        assertTrue(server.addresses().isEmpty(), "no TCP address");
        byte[] reply = whileLoopRuns(() -> {
            try (SocketChannel c = blockingClient(path)) {
                writeFully(c, "hello".getBytes(StandardCharsets.US_ASCII));
                return readFully(c, 5);
            }
        });
        assertEquals("hello", new String(reply, StandardCharsets.US_ASCII));
        closeServer(server);
    }

    @Test
    void shouldEchoSixteenMebibytesHonouringFlowControl() {
        String path = path("big.sock");
        int total = 16 << 20;
        List<TestProtocols.Echo> serverSide = new ArrayList<>();
        Server server = await(loop.createUnixServer(() -> {
            TestProtocols.Echo e = new TestProtocols.Echo(loop);
            serverSide.add(e);
            return e;
        }, path, null));
        byte[] data = LoopConformanceTest.pattern(total, 16);
        LoopConformanceTest.Sender sender = new LoopConformanceTest.Sender(data, loop);
        Connection<LoopConformanceTest.Sender> c = connect(() -> sender, path);
        await(sender.done);
        assertArrayEquals(data, sender.received.toByteArray(), "16 MiB echoed byte for byte");
        assertTrue(sender.maxWriteBuffer <= Transport.DEFAULT_HIGH_WATER + LoopConformanceTest.Sender.CHUNK,
                "sender buffer " + sender.maxWriteBuffer + " exceeded high-water mark + one write");
        assertTrue(serverSide.get(0).maxWriteBuffer <= Transport.DEFAULT_HIGH_WATER + 256 * 1024,
                "echo buffer " + serverSide.get(0).maxWriteBuffer + " exceeded high-water mark + one read");
        assertTrue(sender.pauses > 0 || serverSide.get(0).pauses > 0, "flow control was exercised");
        c.transport().close();
        closeServer(server);
    }

    @Test
    void shouldDeliverEofToServerAndKeepItWritingWhenHalfClosedByClient() {
        String path = path("half.sock");
        List<TestProtocols.Collector> side = new ArrayList<>();
        Server server = await(loop.createUnixServer(() -> {
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
        }, path, null));
        String reply = whileLoopRuns(() -> {
            try (SocketChannel s = blockingClient(path)) {
                writeFully(s, new byte[1000]);
                s.shutdownOutput();
                return new String(Channels.newInputStream(s).readAllBytes(), StandardCharsets.US_ASCII);
            }
        });
        assertEquals("got 1000", reply);
        assertNull(await(side.get(0).lost));
        closeServer(server);
    }

    @Test
    void shouldWriteEofAndKeepReadingWhenHalfClosedByServer() {
        String path = path("eof.sock");
        List<TestProtocols.Collector> side = new ArrayList<>();
        Server server = await(loop.createUnixServer(() -> {
            TestProtocols.Collector c = new TestProtocols.Collector(loop) {
                @Override
                public void connectionMade(Transport t) {
                    super.connectionMade(t);
                    assertTrue(t.canWriteEof());
                    t.write("bye".getBytes(StandardCharsets.US_ASCII));
                    t.writeEof();
                }
            };
            side.add(c);
            return c;
        }, path, null));
        TestProtocols.Collector client = new TestProtocols.Collector(loop);
        client.keepOpenOnEof = true;
        connect(() -> client, path);
        await(client.eof);
        assertEquals("bye", client.bytes.toString(StandardCharsets.US_ASCII));
        client.transport.write("still here".getBytes(StandardCharsets.US_ASCII));
        client.transport.writeEof();
        TestProtocols.Collector s = side.get(0);
        await(s.eof);
        assertEquals("still here", s.bytes.toString(StandardCharsets.US_ASCII));
        assertNull(await(s.lost));
        assertNull(await(client.lost));
        closeServer(server);
    }

    @Test
    void shouldServeTwoHundredConcurrentConnections() {
        String path = path("many.sock");
        int n = 200;
        Server server = await(loop.createUnixServer(() -> new TestProtocols.Echo(loop), path,
                UnixServerOptions.DEFAULTS.withBacklog(256)));
        List<LoopFuture<Connection<TestProtocols.Collector>>> connects = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            connects.add(loop.createUnixConnection(() -> new TestProtocols.Collector(loop), path));
        }
        List<TestProtocols.Collector> cs = new ArrayList<>();
        for (LoopFuture<Connection<TestProtocols.Collector>> f : connects) {
            cs.add(await(f).protocol());
        }
        for (int i = 0; i < n; i++) {
            cs.get(i).transport.write(("msg-" + i).getBytes(StandardCharsets.US_ASCII));
        }
        for (int i = 0; i < n; i++) {
            String expect = "msg-" + i;
            await(cs.get(i).atLeast(expect.length()));
            assertEquals(expect, cs.get(i).bytes.toString(StandardCharsets.US_ASCII));
        }
        assertEquals(n, server.connectionCount());
        for (TestProtocols.Collector c : cs) {
            c.transport.close();
        }
        for (TestProtocols.Collector c : cs) {
            assertNull(await(c.lost));
        }
        closeServer(server);
    }

    // ------------------------------------------------------------------ the socket file (UnixServerCleanupTests)

    @Test
    void shouldReplaceAStaleSocketFile() throws IOException {
        String path = path("stale.sock");
        staleSocket(path);
        Server server = echoServer(path);
        byte[] reply = whileLoopRuns(() -> {
            try (SocketChannel c = blockingClient(path)) {
                writeFully(c, "fresh".getBytes(StandardCharsets.US_ASCII));
                return readFully(c, 5);
            }
        });
        assertEquals("fresh", new String(reply, StandardCharsets.US_ASCII));
        closeServer(server);
        assertFalse(Files.exists(Path.of(path), LinkOption.NOFOLLOW_LINKS));
    }

    @Test
    void shouldRefuseThePathOfAServerThatListensAndLeaveItServing() throws Exception {
        String path = path("live.sock");
        try (ServerSocketChannel other = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            other.bind(UnixDomainSocketAddress.of(path));
            CompletionException e = assertThrows(CompletionException.class, () -> echoServer(path));
            assertInstanceOf(BindException.class, e.getCause());
            assertTrue(e.getCause().getMessage().contains("Address already in use"), e.getCause().getMessage());
            assertTrue(e.getCause().getMessage().contains(path), e.getCause().getMessage());
            assertTrue(Files.exists(Path.of(path), LinkOption.NOFOLLOW_LINKS), "the live server's file is kept");
            try (SocketChannel c = blockingClient(path)) {
                assertTrue(c.isConnected(), "the other server still listens");
            }
        }
        assertEquals(0, loop.liveHandles());
    }

    @Test
    void shouldRefuseThePathOfALiveWeftServerAndKeepThatOneServing() {
        String path = path("twice.sock");
        Server first = echoServer(path);
        CompletionException e = assertThrows(CompletionException.class, () -> echoServer(path));
        assertInstanceOf(BindException.class, e.getCause());
        assertTrue(e.getCause().getMessage().contains(path), e.getCause().getMessage());
        runFor(20); // the probe's connection reaches the first server and goes away
        TestProtocols.Collector c = connect(() -> new TestProtocols.Collector(loop), path).protocol();
        c.transport.write("still".getBytes(StandardCharsets.US_ASCII));
        await(c.atLeast(5));
        assertEquals("still", c.bytes.toString(StandardCharsets.US_ASCII));
        c.transport.close();
        await(c.lost);
        closeServer(first);
    }

    @Test
    void shouldRefuseAFileThatIsNotASocketAndLeaveItAsItWas() throws IOException {
        String path = path("plain.txt");
        Files.writeString(Path.of(path), "keep me");
        CompletionException e = assertThrows(CompletionException.class, () -> echoServer(path));
        assertInstanceOf(BindException.class, e.getCause());
        assertTrue(e.getCause().getMessage().contains("Address already in use"), e.getCause().getMessage());
        assertTrue(e.getCause().getMessage().contains(path), e.getCause().getMessage());
        assertEquals("keep me", Files.readString(Path.of(path)));
        assertEquals(0, loop.liveHandles());
    }

    @Test
    void shouldRemoveThePathOnClose() {
        String path = path("cleanup.sock");
        Server server = echoServer(path);
        assertTrue(Files.exists(Path.of(path), LinkOption.NOFOLLOW_LINKS));
        server.close();
        assertFalse(Files.exists(Path.of(path), LinkOption.NOFOLLOW_LINKS), "removed when the server closes");
        await(server.waitClosed());
    }

    @Test
    void shouldCloseQuietlyWhenThePathIsAlreadyGone() throws IOException {
        List<ExceptionContext> errors = new ArrayList<>();
        loop.setExceptionHandler((l, ctx) -> errors.add(ctx));
        String path = path("gone.sock");
        Server server = echoServer(path);
        Files.delete(Path.of(path));
        server.close();
        await(server.waitClosed());
        assertTrue(errors.isEmpty(), "nothing to report: " + errors);
    }

    @Test
    void shouldLeaveAReplacementSocketAloneOnClose() throws IOException {
        String path = path("replaced.sock");
        Server server = echoServer(path);
        Files.delete(Path.of(path));
        try (ServerSocketChannel other = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            other.bind(UnixDomainSocketAddress.of(path));
            server.close();
            await(server.waitClosed());
            assertTrue(Files.exists(Path.of(path), LinkOption.NOFOLLOW_LINKS), "another server's file is kept");
            try (SocketChannel c = blockingClient(path)) {
                assertTrue(c.isConnected());
            }
        }
    }

    @Test
    void shouldKeepThePathWhenCleanupIsOff() {
        String path = path("kept.sock");
        Server server = await(loop.createUnixServer(() -> new TestProtocols.Echo(loop), path,
                UnixServerOptions.DEFAULTS.withCleanupSocket(false)));
        server.close();
        await(server.waitClosed());
        assertTrue(Files.exists(Path.of(path), LinkOption.NOFOLLOW_LINKS), "cleanupSocket=false keeps the file");
        // A later server replaces it: nobody listens there.
        Server again = echoServer(path);
        closeServer(again);
    }

    @Test
    void shouldAcceptAJavaNioPath() {
        Path p = dir.resolve("nio-path.sock");
        Server server = await(loop.createUnixServer(() -> new TestProtocols.Echo(loop), p, null));
        TestProtocols.Collector c = await(loop.createUnixConnection(() -> new TestProtocols.Collector(loop), p)).protocol();
        c.transport.write("pathlike".getBytes(StandardCharsets.US_ASCII));
        await(c.atLeast(8));
        assertEquals("pathlike", c.bytes.toString(StandardCharsets.US_ASCII));
        c.transport.close();
        await(c.lost);
        closeServer(server);
        assertFalse(Files.exists(p, LinkOption.NOFOLLOW_LINKS));
    }

    // ------------------------------------------------------------------ extra info

    @Test
    void shouldReportPathsInExtraInfo() {
        String path = path("info.sock");
        List<TestProtocols.Collector> side = new ArrayList<>();
        Server server = await(loop.createUnixServer(() -> {
            TestProtocols.Collector c = new TestProtocols.Collector(loop);
            side.add(c);
            return c;
        }, path, null));
        TestProtocols.Collector c = connect(() -> new TestProtocols.Collector(loop), path).protocol();
        assertEquals(path, c.transport.extraInfo(Transport.PEER_NAME));
        assertEquals("", c.transport.extraInfo(Transport.SOCK_NAME), "the client is bound to no path");
        assertNotNull(c.transport.extraInfo(Transport.SOCKET));
        assertEquals(backend(), c.transport.extraInfo(Transport.BACKEND));
        c.transport.write("x".getBytes(StandardCharsets.US_ASCII));
        for (int i = 0; i < 100 && side.isEmpty(); i++) {
            runFor(5);
        }
        TestProtocols.Collector s = side.get(0);
        await(s.made);
        assertEquals(path, s.transport.extraInfo(Transport.SOCK_NAME));
        assertEquals("", s.transport.extraInfo(Transport.PEER_NAME));
        c.transport.close();
        await(c.lost);
        closeServer(server);
    }

    @Test
    void shouldReportPeerCredentialsWhereTheBackendReadsThem() throws IOException {
        String path = path("cred.sock");
        Server server = echoServer(path);
        TestProtocols.Collector c = connect(() -> new TestProtocols.Collector(loop), path).protocol();
        Object cred = c.transport.extraInfo(Transport.PEER_CRED);
        if (!readsPeerCredentials()) {
            assertNull(cred, "no peercred on " + backend());
        } else {
            PeerCredentials pc = assertInstanceOf(PeerCredentials.class, cred);
            assertEquals(ProcessHandle.current().pid(), pc.pid(), "the server runs in this process");
            // The directory was made by this process: its owner is our effective uid and gid.
            assertEquals(Files.getAttribute(dir, "unix:uid"), pc.uid());
            assertEquals(Files.getAttribute(dir, "unix:gid"), pc.gid());
        }
        c.transport.close();
        await(c.lost);
        closeServer(server);
    }

    // ------------------------------------------------------------------ names

    @Test
    void shouldEchoOverAnAbstractNameWhereTheBackendHasThem() {
        String name = "\0weft-test-" + Long.toHexString(new Random().nextLong());
        if (!loop.supports(Capability.UNIX_ABSTRACT)) {
            UnsupportedCapabilityException e = assertThrows(UnsupportedCapabilityException.class,
                    () -> loop.createUnixServer(() -> new TestProtocols.Echo(loop), name, null));
            assertTrue(e.getMessage().startsWith("unsupported on " + backend() + ": abstract names"), e.getMessage());
            assertThrows(UnsupportedCapabilityException.class,
                    () -> loop.createUnixConnection(() -> new TestProtocols.Collector(loop), name));
            assertEquals(0, loop.liveHandles());
            return;
        }
        Server server = echoServer(name);
        assertEquals(List.of(UnixSocketAddress.of(name)), server.boundAddresses());
        TestProtocols.Collector c = connect(() -> new TestProtocols.Collector(loop), name).protocol();
        assertEquals(name, c.transport.extraInfo(Transport.PEER_NAME), "the whole name, leading NUL included");
        c.transport.write("abstract".getBytes(StandardCharsets.US_ASCII));
        await(c.atLeast(8));
        assertEquals("abstract", c.bytes.toString(StandardCharsets.US_ASCII));
        // The name is exactly its bytes: a longer name with it as prefix is another socket.
        CompletionException e = assertThrows(CompletionException.class,
                () -> connect(() -> new TestProtocols.Collector(loop), name + "x"));
        assertInstanceOf(ConnectException.class, e.getCause());
        c.transport.close();
        await(c.lost);
        closeServer(server);
    }

    @Test
    void shouldListenOnAPathOfTheOsLimitAndRejectOneByteMoreBeforeCreatingAnything() throws IOException {
        int max = maxPathBytes();
        String prefix = dir + File.separator;
        assumeTrue(prefix.length() < max - 1, "the temporary directory's path is too long: " + prefix);
        String longest = prefix + "a".repeat(max - prefix.length());
        String tooLong = prefix + "b".repeat(max + 1 - prefix.length());
        assertEquals(max, longest.getBytes(StandardCharsets.UTF_8).length);

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> loop.createUnixServer(() -> new TestProtocols.Echo(loop), tooLong, null));
        assertTrue(e.getMessage().contains("too long") && e.getMessage().contains((max + 1) + " bytes"), e.getMessage());
        assertTrue(e.getMessage().contains(tooLong), "names the path: " + e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> loop.createUnixConnection(() -> new TestProtocols.Collector(loop), tooLong));
        assertFalse(Files.exists(Path.of(tooLong), LinkOption.NOFOLLOW_LINKS), "nothing created");
        assertEquals(0, loop.liveHandles());

        Server server = echoServer(longest);
        TestProtocols.Collector c = connect(() -> new TestProtocols.Collector(loop), longest).protocol();
        assertEquals(longest, c.transport.extraInfo(Transport.PEER_NAME));
        c.transport.write("max".getBytes(StandardCharsets.US_ASCII));
        await(c.atLeast(3));
        c.transport.close();
        await(c.lost);
        closeServer(server);
    }

    // ------------------------------------------------------------------ bad input, failures

    @Test
    void shouldRejectBadPathsNamingTheArgumentBeforeDoingAnything() throws IOException {
        Supplier<TestProtocols.Echo> echo = () -> new TestProtocols.Echo(loop);
        Supplier<TestProtocols.Collector> collector = () -> new TestProtocols.Collector(loop);
        List<IllegalArgumentException> errors = new ArrayList<>();
        errors.add(assertThrows(IllegalArgumentException.class, () -> loop.createUnixServer(echo, (String) null, null)));
        errors.add(assertThrows(IllegalArgumentException.class, () -> loop.createUnixServer(echo, (Path) null, null)));
        errors.add(assertThrows(IllegalArgumentException.class, () -> loop.createUnixServer(echo, "", null)));
        errors.add(assertThrows(IllegalArgumentException.class, () -> loop.createUnixServer(echo, "a\0b", null)));
        errors.add(assertThrows(IllegalArgumentException.class, () -> loop.createUnixConnection(collector, (String) null)));
        errors.add(assertThrows(IllegalArgumentException.class, () -> loop.createUnixConnection(collector, "")));
        for (IllegalArgumentException e : errors) {
            assertTrue(e.getMessage().startsWith("path "), "names the argument: " + e.getMessage());
        }
        assertTrue(errors.get(0).getMessage().contains("null"), errors.get(0).getMessage());
        assertTrue(errors.get(3).getMessage().contains("'a\\0b'"), errors.get(3).getMessage());

        Path sub = Files.createDirectory(dir.resolve("a-directory"));
        IllegalArgumentException d = assertThrows(IllegalArgumentException.class,
                () -> loop.createUnixServer(echo, sub.toString(), null));
        assertTrue(d.getMessage().contains("directory") && d.getMessage().contains(sub.toString()), d.getMessage());
        assertThrows(IllegalArgumentException.class, () -> loop.createUnixConnection(collector, sub));
        assertTrue(Files.isDirectory(sub), "the directory is left as it was");
        try (var entries = Files.list(sub)) {
            assertEquals(0, entries.count());
        }
        assertThrows(IllegalArgumentException.class, () -> UnixServerOptions.DEFAULTS.withBacklog(0));
        assertThrows(NullPointerException.class, () -> loop.createUnixServer(null, path("x.sock"), null));
        assertFalse(Files.exists(Path.of(path("x.sock"))));
        assertEquals(0, loop.liveHandles());
    }

    @Test
    void shouldFailConnectNamingThePathWhenNobodyListens() throws IOException {
        String missing = path("missing.sock");
        CompletionException e = assertThrows(CompletionException.class,
                () -> connect(() -> new TestProtocols.Collector(loop), missing));
        assertInstanceOf(ConnectException.class, e.getCause());
        assertTrue(e.getCause().getMessage().contains(missing), e.getCause().getMessage());

        String stale = path("stale-connect.sock");
        staleSocket(stale);
        e = assertThrows(CompletionException.class, () -> connect(() -> new TestProtocols.Collector(loop), stale));
        assertInstanceOf(ConnectException.class, e.getCause());
        assertTrue(e.getCause().getMessage().contains(stale), e.getCause().getMessage());
        assertEquals(0, loop.liveHandles());
    }

    // ------------------------------------------------------------------ streams, outside clients

    @Test
    void shouldStreamLinesOverAUnixSocket() {
        String path = path("streams.sock");
        Task<List<String>> t = loop.createTask(() -> {
            Server server = Streams.startUnixServer((r, w) -> {
                byte[] line;
                while ((line = r.readLine()).length > 0) {
                    w.write(line);
                    w.drain();
                }
                w.close();
            }, path);
            Streams.StreamPair c = Streams.openUnixConnection(path);
            assertEquals(path, c.writer().extraInfo(Transport.PEER_NAME));
            for (int i = 0; i < 50; i++) {
                c.writer().write("line " + i + "\n");
            }
            c.writer().drain();
            c.writer().writeEof();
            List<String> lines = new ArrayList<>();
            byte[] line;
            while ((line = c.reader().readLine()).length > 0) {
                lines.add(new String(line, StandardCharsets.US_ASCII));
            }
            c.writer().close();
            c.writer().waitClosed();
            server.close();
            Tasks.await(server.waitClosed());
            return lines;
        });
        List<String> lines = await(t);
        assertEquals(50, lines.size());
        assertEquals("line 49\n", lines.get(49));
    }

    @Test
    void shouldEchoToPythonAsyncioOpenUnixConnection() throws Exception {
        assumeTrue(onPath("python3"), "python3 is not installed");
        String path = path("python.sock");
        Server server = echoServer(path);
        String script = String.join("\n",
                "import asyncio, sys",
                "async def main(path):",
                "    r, w = await asyncio.open_unix_connection(path)",
                "    sent = bytes(range(256)) * 4096",
                "    reading = asyncio.ensure_future(r.readexactly(len(sent)))",
                "    w.write(sent)",
                "    await w.drain()",
                "    got = await reading",
                "    w.close()",
                "    await w.wait_closed()",
                "    print('ok' if got == sent else 'mismatch', len(got))",
                "asyncio.run(main(sys.argv[1]))");
        String out = whileLoopRuns(() -> runProcess(List.of("python3", "-c", script, path), null));
        assertEquals("ok 1048576", out.trim());
        closeServer(server);
    }

    @Test
    void shouldEchoToSocat() throws Exception {
        assumeTrue(onPath("socat"), "socat is not installed");
        String path = path("socat.sock");
        Server server = echoServer(path);
        String out = whileLoopRuns(() -> runProcess(List.of("socat", "-t", "2", "-", "UNIX-CONNECT:" + path),
                "through socat\n"));
        assertEquals("through socat\n", out);
        closeServer(server);
    }

    private static boolean onPath(String program) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (new File(d, program).canExecute()) {
                return true;
            }
        }
        return false;
    }

    private static String runProcess(List<String> cmd, String stdin) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        if (stdin != null) {
            p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
        }
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "timed out: " + cmd);
        assertEquals(0, p.exitValue(), cmd + " failed: " + new String(out, StandardCharsets.UTF_8));
        return new String(out, StandardCharsets.UTF_8);
    }
}
