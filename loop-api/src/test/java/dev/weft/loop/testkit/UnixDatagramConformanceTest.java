package dev.weft.loop.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.weft.loop.Capability;
import dev.weft.loop.DatagramEndpoint;
import dev.weft.loop.DatagramOptions;
import dev.weft.loop.DatagramProtocol;
import dev.weft.loop.DatagramTransport;
import dev.weft.loop.DatagramTruncatedException;
import dev.weft.loop.ExceptionContext;
import dev.weft.loop.LoopFuture;
import dev.weft.loop.Transport;
import dev.weft.loop.UnixSocketAddress;
import dev.weft.loop.UnsupportedCapabilityException;
import dev.weft.loop.posix.PosixDatagramSocket;
import dev.weft.loop.posix.PosixSocketFactory;
import java.io.IOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionException;
import org.agrona.BufferUtil;
import org.agrona.DirectBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Unix domain datagram endpoints ({@code createDatagramEndpoint} with {@link UnixSocketAddress}es;
 * asyncio's {@code create_datagram_endpoint(family=AF_UNIX)} and {@code test_create_datagram_endpoint_sock_unix}).
 * A backend runs it through a subclass that only names the backend. Where the backend lacks
 * {@link Capability#UNIX_DATAGRAM} each test is skipped with the backend's reason, except the one
 * that checks the refusal. Paths live in a fresh short directory under /tmp; the peer that is not
 * a Weft endpoint (an unbound sender, a stale socket, a datagram too long for the receive buffer)
 * is a bare socket of the POSIX layer. Each test ends with the suite's check: no live handle, no
 * leaked descriptor.
 */
@Timeout(120)
public abstract class UnixDatagramConformanceTest extends LoopTestSupport {
    private Path dir;
    private final List<PosixDatagramSocket> raw = new ArrayList<>();

    /** Records the datagrams with their senders, the errors and the end. */
    static class Recorder implements DatagramProtocol {
        final List<String> data = new ArrayList<>();
        final List<Integer> lengths = new ArrayList<>();
        final List<SocketAddress> from = new ArrayList<>();
        final List<Exception> errors = new ArrayList<>();
        DatagramTransport transport;
        LoopFuture<Void> lost;
        Throwable lostCause;

        @Override
        public void connectionMade(DatagramTransport t) {
            transport = t;
            lost = t.loop().createFuture();
        }

        @Override
        public void datagramReceived(DirectBuffer d, SocketAddress sender) {
            lengths.add(d.capacity());
            data.add(d.capacity() <= 64 ? d.getStringWithoutLengthAscii(0, d.capacity()) : "#" + d.capacity());
            from.add(sender);
        }

        @Override
        public void errorReceived(Exception error) {
            errors.add(error);
        }

        @Override
        public void connectionLost(Throwable cause) {
            lostCause = cause;
            lost.setResult(null);
        }
    }

    /** Sends every datagram back to its sender. */
    static final class Echo extends Recorder {
        @Override
        public void datagramReceived(DirectBuffer d, SocketAddress sender) {
            super.datagramReceived(d, sender);
            transport.sendto(d, 0, d.capacity(), sender);
        }
    }

    @BeforeEach
    void makeDirectory() throws IOException {
        Path tmp = Path.of("/tmp");
        dir = Files.isDirectory(tmp) ? Files.createTempDirectory(tmp, "weft-udg") : Files.createTempDirectory("weft-udg");
    }

    @AfterEach
    void removeDirectory() throws IOException {
        for (PosixDatagramSocket s : raw) {
            s.close();
        }
        raw.clear();
        if (dir == null) {
            return;
        }
        try (var files = Files.walk(dir)) {
            files.sorted((a, b) -> b.compareTo(a)).forEach(p -> p.toFile().delete());
        }
    }

    private void requireUnixDatagrams() {
        assumeTrue(loop.supports(Capability.UNIX_DATAGRAM), () -> unsupportedReason(Capability.UNIX_DATAGRAM));
    }

    private String unsupportedReason(Capability c) {
        try {
            loop.requireCapability(c);
            return "supported";
        } catch (UnsupportedCapabilityException e) {
            return e.getMessage();
        }
    }

    private UnixSocketAddress at(String name) {
        return UnixSocketAddress.of(dir.resolve(name).toString());
    }

    private <P extends DatagramProtocol> P open(P protocol, SocketAddress local, SocketAddress remote) {
        return await(loop.createDatagramEndpoint(() -> protocol, local, remote, null)).protocol();
    }

    private void runUntil(java.util.function.BooleanSupplier done) {
        for (int i = 0; i < 500 && !done.getAsBoolean(); i++) {
            runFor(10);
        }
        assertTrue(done.getAsBoolean(), "condition not reached in 5 s of loop time");
    }

    private void closeAll(Recorder... rs) {
        for (Recorder r : rs) {
            r.transport.close();
        }
        for (Recorder r : rs) {
            await(r.lost);
            assertNull(r.lostCause);
        }
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static boolean exists(UnixSocketAddress a) {
        return Files.exists(a.toPath(), LinkOption.NOFOLLOW_LINKS);
    }

    /** A bare Unix datagram socket of the POSIX layer, closed after the test. */
    private PosixDatagramSocket rawSocket() throws IOException {
        PosixDatagramSocket s = new PosixSocketFactory().openDatagram(StandardProtocolFamily.UNIX);
        raw.add(s);
        return s;
    }

    /** Leaves a socket file nobody is bound to, as a crashed process does. */
    private void staleSocket(UnixSocketAddress a) throws IOException {
        PosixDatagramSocket s = rawSocket();
        s.bind(a);
        s.close();
        assertTrue(exists(a), "the stale file stays after close");
    }

    private static void rawSend(PosixDatagramSocket s, byte[] data, SocketAddress to) throws IOException {
        ByteBuffer b = ByteBuffer.allocateDirect(Math.max(1, data.length));
        b.put(data).flip();
        assertEquals(data.length, s.send(BufferUtil.address(b), data.length, to));
    }

    // ------------------------------------------------------------------ capability

    @Test
    void shouldRefuseUnixDatagramsWithTheBackendsReasonWhereTheCapabilityIsMissing() {
        assumeFalse(loop.supports(Capability.UNIX_DATAGRAM), "the backend has Unix datagram sockets");
        UnixSocketAddress a = at("refused.sock");
        UnsupportedCapabilityException e = assertThrows(UnsupportedCapabilityException.class,
                () -> loop.createDatagramEndpoint(Recorder::new, a, null, null));
        assertEquals(Capability.UNIX_DATAGRAM, e.capability());
        assertTrue(e.getMessage().startsWith("unsupported on " + backend() + ": "), e.getMessage());
        assertFalse(exists(a), "nothing was made");
        assertEquals(0, loop.liveHandles());
    }

    // ------------------------------------------------------------------ datagrams

    @Test
    void shouldEchoDatagramsOfSeveralSizesIncludingEmptyWithTheSendersPath() {
        requireUnixDatagrams();
        UnixSocketAddress serverPath = at("server.sock");
        UnixSocketAddress clientPath = at("client.sock");
        Echo server = open(new Echo(), serverPath, null);
        Recorder client = open(new Recorder(), clientPath, null);
        int[] sizes = {0, 1, 64, 1400, 9000, DatagramTransport.MAX_DATAGRAM};
        for (int n : sizes) {
            byte[] d = new byte[n];
            for (int i = 0; i < n; i++) {
                d[i] = (byte) ('a' + (i + n) % 26);
            }
            client.transport.sendto(d, serverPath);
        }
        runUntil(() -> client.lengths.size() == sizes.length);
        List<Integer> expect = new ArrayList<>();
        for (int n : sizes) {
            expect.add(n);
        }
        assertEquals(expect, server.lengths, "every size arrived, in order, the empty one too");
        assertEquals(expect, client.lengths, "and came back");
        assertEquals("", client.data.get(0));
        assertEquals("b", client.data.get(1));
        for (SocketAddress f : server.from) {
            assertEquals(clientPath, f, "the sender is the client's path");
        }
        assertSame(server.from.get(0), server.from.get(sizes.length - 1), "the sender's address object is reused");
        assertEquals(serverPath, client.from.get(0));
        assertEquals(serverPath.path(), server.transport.extraInfo(Transport.SOCK_NAME), "names are path strings");
        assertNull(server.transport.remoteAddress());
        assertTrue(server.errors.isEmpty() && client.errors.isEmpty(), server.errors + " " + client.errors);
        closeAll(client, server);
    }

    @Test
    void shouldQueueABurstInOrderWhenTheReceiversQueueIsFull() {
        requireUnixDatagrams();
        UnixSocketAddress serverPath = at("burst.sock");
        Echo server = open(new Echo(), serverPath, null);
        Recorder client = open(new Recorder(), at("burst-client.sock"), null);
        int n = 200; // far more than net.unix.max_dgram_qlen (10 by default): sends wait in the queue
        for (int i = 0; i < n; i++) {
            client.transport.sendto(ascii("m" + i), serverPath);
        }
        runUntil(() -> client.data.size() == n);
        List<String> expect = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            expect.add("m" + i);
        }
        assertEquals(expect, server.data);
        assertEquals(expect, client.data);
        assertEquals(0, client.transport.getWriteBufferSize());
        closeAll(client, server);
    }

    @Test
    void shouldDeliverAnUnboundSenderAsUnnamedAndRefuseToAnswerIt() throws IOException {
        requireUnixDatagrams();
        UnixSocketAddress serverPath = at("unnamed.sock");
        Recorder server = open(new Recorder(), serverPath, null);
        rawSend(rawSocket(), ascii("from nowhere"), serverPath);
        Recorder unbound = open(new Recorder(), null, serverPath);
        unbound.transport.send(ascii("connected, unbound"));
        runUntil(() -> server.data.size() == 2);
        assertEquals(List.of("from nowhere", "connected, unbound"), server.data);
        assertSame(UnixSocketAddress.UNNAMED, server.from.get(0));
        assertSame(UnixSocketAddress.UNNAMED, server.from.get(1));
        assertEquals("", server.from.get(0).toString());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> server.transport.sendto(ascii("reply"), server.from.get(0)));
        assertTrue(e.getMessage().contains("unnamed"), e.getMessage());
        assertEquals("", unbound.transport.extraInfo(Transport.SOCK_NAME), "an unbound socket's name is empty");
        closeAll(unbound, server);
    }

    @Test
    void shouldSendToTheConnectedPeerOnlyAndReceiveItsReplies() {
        requireUnixDatagrams();
        UnixSocketAddress serverPath = at("peer.sock");
        UnixSocketAddress clientPath = at("peer-client.sock");
        Echo server = open(new Echo(), serverPath, null);
        Recorder client = open(new Recorder(), clientPath, serverPath);
        assertEquals(serverPath, client.transport.remoteAddress());
        assertEquals(serverPath.path(), client.transport.extraInfo(Transport.PEER_NAME));
        client.transport.send(ascii("hi"));
        client.transport.sendto(new byte[0], serverPath);
        client.transport.send(ascii("bye"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> client.transport.sendto(ascii("x"), at("other.sock")));
        assertTrue(e.getMessage().contains("connected to"), e.getMessage());
        runUntil(() -> client.data.size() == 3);
        assertEquals(List.of("hi", "", "bye"), server.data);
        assertEquals(List.of(clientPath, clientPath, clientPath), server.from);
        assertEquals(List.of("hi", "", "bye"), client.data);
        closeAll(client, server);
    }

    @Test
    void shouldReportTruncationOfADatagramLongerThanTheReceiveBufferAndKeepReceiving() throws IOException {
        requireUnixDatagrams();
        UnixSocketAddress serverPath = at("trunc.sock");
        Recorder server = open(new Recorder(), serverPath, null);
        PosixDatagramSocket sender = rawSocket();
        sender.setOption(StandardSocketOptions.SO_SNDBUF, 1 << 20);
        int big = 300_000; // longer than a batch slot (64 KiB) and the one-at-a-time buffer (256 KiB)
        rawSend(sender, new byte[big], serverPath);
        rawSend(sender, ascii("after"), serverPath);
        runUntil(() -> server.data.size() == 2);
        assertEquals(1, server.errors.size(), "one error: " + server.errors);
        DatagramTruncatedException t = assertInstanceOf(DatagramTruncatedException.class, server.errors.get(0));
        assertTrue(server.lengths.get(0) < big, "a cut-short datagram: " + server.lengths.get(0));
        assertEquals((int) server.lengths.get(0), t.delivered());
        assertEquals("after", server.data.get(1), "the endpoint keeps receiving");
        assertFalse(server.transport.isClosing());
        closeAll(server);
    }

    @Test
    void shouldReportAClearErrorWhenSendingToAPathNobodyBindsAndStayOpen() throws IOException {
        requireUnixDatagrams();
        UnixSocketAddress selfPath = at("sender.sock");
        Recorder self = open(new Recorder(), selfPath, null);
        UnixSocketAddress nobody = at("nobody.sock");
        self.transport.sendto(ascii("lost"), nobody);
        UnixSocketAddress stale = at("stale-target.sock");
        staleSocket(stale);
        self.transport.sendto(ascii("lost too"), stale);
        runUntil(() -> self.errors.size() == 2);
        ConnectException noFile = assertInstanceOf(ConnectException.class, self.errors.get(0));
        assertTrue(noFile.getMessage().contains(nobody.path()), noFile.getMessage());
        assertTrue(noFile.getMessage().contains("no socket file"), noFile.getMessage());
        ConnectException noSocket = assertInstanceOf(ConnectException.class, self.errors.get(1));
        assertTrue(noSocket.getMessage().contains(stale.path()), noSocket.getMessage());
        assertTrue(noSocket.getMessage().contains("no socket is bound"), noSocket.getMessage());
        self.transport.sendto(ascii("to myself"), selfPath);
        runUntil(() -> self.data.size() == 1);
        assertEquals("to myself", self.data.get(0), "the endpoint still works");
        closeAll(self);
    }

    @Test
    void shouldFailToConnectToAPathNobodyBindsNamingItAndLeaveNothingOpen() {
        requireUnixDatagrams();
        UnixSocketAddress nobody = at("no-peer.sock");
        UnixSocketAddress local = at("would-be-client.sock");
        CompletionException e = assertThrows(CompletionException.class, () -> open(new Recorder(), local, nobody));
        assertInstanceOf(ConnectException.class, e.getCause());
        assertTrue(e.getCause().getMessage().contains(nobody.path()), e.getCause().getMessage());
        assertFalse(exists(local), "the local path bound before the connect is removed again");
        assertEquals(0, loop.liveHandles());
    }

    // ------------------------------------------------------------------ the socket file

    @Test
    void shouldReplaceAStaleSocketFile() throws IOException {
        requireUnixDatagrams();
        UnixSocketAddress path = at("stale.sock");
        staleSocket(path);
        Recorder r = open(new Recorder(), path, null);
        r.transport.sendto(ascii("fresh"), path);
        runUntil(() -> r.data.size() == 1);
        assertEquals("fresh", r.data.get(0));
        closeAll(r);
        assertFalse(exists(path));
    }

    @Test
    void shouldRefuseThePathOfALiveEndpointAndKeepThatOneReceiving() {
        requireUnixDatagrams();
        UnixSocketAddress path = at("live.sock");
        Recorder first = open(new Recorder(), path, null);
        CompletionException e = assertThrows(CompletionException.class, () -> open(new Recorder(), path, null));
        assertInstanceOf(BindException.class, e.getCause());
        assertTrue(e.getCause().getMessage().contains("Address already in use"), e.getCause().getMessage());
        assertTrue(e.getCause().getMessage().contains(path.path()), e.getCause().getMessage());
        assertTrue(exists(path), "the live endpoint's file is kept");
        first.transport.sendto(ascii("still"), path);
        runUntil(() -> first.data.size() == 1);
        assertEquals("still", first.data.get(0));
        closeAll(first);
    }

    @Test
    void shouldRefuseAFileThatIsNotASocketAndLeaveItAsItWas() throws IOException {
        requireUnixDatagrams();
        UnixSocketAddress path = at("plain.txt");
        Files.writeString(path.toPath(), "keep me");
        CompletionException e = assertThrows(CompletionException.class, () -> open(new Recorder(), path, null));
        assertInstanceOf(BindException.class, e.getCause());
        assertTrue(e.getCause().getMessage().contains("Address already in use"), e.getCause().getMessage());
        assertTrue(e.getCause().getMessage().contains(path.path()), e.getCause().getMessage());
        assertEquals("keep me", Files.readString(path.toPath()));
        assertEquals(0, loop.liveHandles());
    }

    @Test
    void shouldRemoveThePathOnCloseAndAbort() {
        requireUnixDatagrams();
        UnixSocketAddress closed = at("closed.sock");
        UnixSocketAddress aborted = at("aborted.sock");
        Recorder a = open(new Recorder(), closed, null);
        Recorder b = open(new Recorder(), aborted, null);
        assertTrue(exists(closed) && exists(aborted));
        a.transport.close();
        b.transport.abort();
        await(a.lost);
        await(b.lost);
        assertFalse(exists(closed), "removed on close");
        assertFalse(exists(aborted), "removed on abort");
    }

    @Test
    void shouldLeaveAReplacementSocketAloneOnCloseAndCloseQuietlyWhenThePathIsGone() throws IOException {
        requireUnixDatagrams();
        List<ExceptionContext> errors = new ArrayList<>();
        loop.setExceptionHandler((l, ctx) -> errors.add(ctx));
        UnixSocketAddress replaced = at("replaced.sock");
        UnixSocketAddress gone = at("gone.sock");
        Recorder a = open(new Recorder(), replaced, null);
        Recorder b = open(new Recorder(), gone, null);
        Files.delete(replaced.toPath());
        rawSocket().bind(replaced);
        Files.delete(gone.toPath());
        closeAll(a, b);
        assertTrue(exists(replaced), "another socket's file is kept");
        assertTrue(errors.isEmpty(), "nothing to report: " + errors);
    }

    @Test
    void shouldCheckThePathBeforeAnythingIsMade() throws IOException {
        requireUnixDatagrams();
        String tooLong = dir.resolve("x".repeat(UnixSocketAddress.maxPathBytes())).toString();
        int fds = openDescriptors();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> loop.createDatagramEndpoint(Recorder::new, UnixDomainSocketAddress.of(tooLong), null, null));
        assertTrue(e.getMessage().contains("too long"), e.getMessage());
        Path sub = Files.createDirectory(dir.resolve("a-directory"));
        e = assertThrows(IllegalArgumentException.class,
                () -> loop.createDatagramEndpoint(Recorder::new, UnixSocketAddress.of(sub), null, null));
        assertTrue(e.getMessage().contains("directory"), e.getMessage());
        try (var files = Files.list(dir)) {
            assertEquals(List.of(sub), files.toList(), "no file was made");
        }
        // At most as many: a descriptor another part of the process closes meanwhile (libkqueue
        // closes a finished kqueue's descriptors on its own thread) only lowers the count.
        int now = openDescriptors();
        assertTrue(now <= fds, "no socket was made: " + fds + " sockets, pipes and event descriptors before, " + now + " after");
        assertEquals(0, loop.liveHandles());
    }

    // ------------------------------------------------------------------ abstract names

    @Test
    void shouldEchoBetweenAbstractNamesWhereTheBackendHasThem() {
        requireUnixDatagrams();
        String tag = Long.toHexString(System.nanoTime());
        UnixSocketAddress serverName = UnixSocketAddress.of("\0weft-udg-s-" + tag);
        UnixSocketAddress clientName = UnixSocketAddress.of("\0weft-udg-c-" + tag);
        if (!loop.supports(Capability.UNIX_ABSTRACT)) {
            UnsupportedCapabilityException e = assertThrows(UnsupportedCapabilityException.class,
                    () -> loop.createDatagramEndpoint(Recorder::new, serverName, null, null));
            assertEquals(Capability.UNIX_ABSTRACT, e.capability());
            return;
        }
        Echo server = open(new Echo(), serverName, null);
        Recorder client = open(new Recorder(), clientName, null);
        client.transport.sendto(ascii("abstract"), serverName);
        runUntil(() -> client.data.size() == 1);
        assertEquals(clientName, server.from.get(0));
        assertEquals(serverName, client.from.get(0));
        assertEquals("abstract", client.data.get(0));
        CompletionException e = assertThrows(CompletionException.class, () -> open(new Recorder(), serverName, null));
        assertInstanceOf(BindException.class, e.getCause());
        assertTrue(e.getCause().getMessage().contains("Address already in use"), e.getCause().getMessage());
        assertTrue(e.getCause().getMessage().contains(serverName.toString()), e.getCause().getMessage());
        closeAll(client, server);
    }

    // ------------------------------------------------------------------ bad input

    @Test
    void shouldRefuseAddressesOfTheOtherFamilyAndOptionsOfUdpAlone() throws IOException {
        requireUnixDatagrams();
        UnixSocketAddress path = at("bad.sock");
        InetSocketAddress inet = new InetSocketAddress(InetAddress.getLoopbackAddress(), 9);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> loop.createDatagramEndpoint(Recorder::new, path, inet, null));
        assertTrue(e.getMessage().contains("UnixSocketAddress"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> loop.createDatagramEndpoint(Recorder::new, path, null, DatagramOptions.DEFAULTS.withReusePort(true)));
        assertTrue(e.getMessage().contains("reusePort"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> loop.createDatagramEndpoint(Recorder::new,
                path, null, DatagramOptions.DEFAULTS.withFamily(StandardProtocolFamily.INET)));
        assertTrue(e.getMessage().contains("INET"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> loop.createDatagramEndpoint(Recorder::new, UnixSocketAddress.UNNAMED, null, null));
        assertTrue(e.getMessage().contains("unnamed"), e.getMessage());
        assertFalse(exists(path));
        Recorder r = open(new Recorder(), path, null);
        e = assertThrows(IllegalArgumentException.class, () -> r.transport.sendto(ascii("x"), inet));
        assertTrue(e.getMessage().contains("UnixSocketAddress"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> r.transport.sendto(new byte[DatagramTransport.MAX_DATAGRAM + 1], path));
        assertTrue(e.getMessage().contains(String.valueOf(DatagramTransport.MAX_DATAGRAM)), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> r.transport.joinGroup(InetAddress.getByName("239.1.2.3"), null));
        r.transport.sendto(ascii("fine"), path);
        runUntil(() -> r.data.size() == 1);
        assertEquals(List.of("fine"), r.data, "nothing was sent by the refused calls");
        closeAll(r);
    }

    @Test
    void shouldOpenAnUnboundUnconnectedEndpointWithTheUnixFamily() {
        requireUnixDatagrams();
        UnixSocketAddress serverPath = at("family.sock");
        Recorder server = open(new Recorder(), serverPath, null);
        DatagramEndpoint<Recorder> ep = await(loop.createDatagramEndpoint(Recorder::new, null, null,
                DatagramOptions.DEFAULTS.withFamily(StandardProtocolFamily.UNIX)));
        ep.transport().sendto(ascii("anonymous"), serverPath);
        runUntil(() -> server.data.size() == 1);
        assertSame(UnixSocketAddress.UNNAMED, server.from.get(0));
        closeAll(ep.protocol(), server);
    }
}
