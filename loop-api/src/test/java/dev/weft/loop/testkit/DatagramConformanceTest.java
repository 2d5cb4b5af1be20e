package dev.weft.loop.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.weft.loop.Capability;
import dev.weft.loop.DatagramEndpoint;
import dev.weft.loop.DatagramOptions;
import dev.weft.loop.DatagramProtocol;
import dev.weft.loop.DatagramTransport;
import dev.weft.loop.LoopFuture;
import dev.weft.loop.Transport;
import dev.weft.loop.transport.DatagramCore;
import dev.weft.loop.transport.DatagramIo;
import java.io.IOException;
import java.net.ConnectException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

/**
 * UDP endpoints ({@code createDatagramEndpoint}) as every backend with {@link Capability#DATAGRAM}
 * must show them; CPython's {@code DatagramTransportTests} and {@code test_create_datagram_endpoint*}
 * are the reference. Each test ends with the suite's check: no live handle, no leaked descriptor.
 */
public abstract class DatagramConformanceTest extends CoreLoopTests {
    static final InetSocketAddress LOCAL = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);

    /** Records what the transport calls, as strings, and the datagrams with their senders. */
    static class Recorder implements DatagramProtocol {
        final List<String> events = new ArrayList<>();
        final List<String> data = new ArrayList<>();
        final List<InetSocketAddress> from = new ArrayList<>();
        final List<Exception> errors = new ArrayList<>();
        DatagramTransport transport;
        LoopFuture<Void> lost;
        Throwable lostCause;

        @Override
        public void connectionMade(DatagramTransport t) {
            transport = t;
            lost = t.loop().createFuture();
            events.add("made");
        }

        @Override
        public void datagramReceived(DirectBuffer d, java.net.SocketAddress sender) {
            data.add(d.getStringWithoutLengthAscii(0, d.capacity()));
            from.add((InetSocketAddress) sender); // a UDP suite: senders are IP addresses
        }

        @Override
        public void errorReceived(Exception error) {
            errors.add(error);
            events.add("error");
        }

        @Override
        public void connectionLost(Throwable cause) {
            lostCause = cause;
            events.add("lost");
            lost.setResult(null);
        }

        @Override
        public void pauseWriting() {
            events.add("pause");
        }

        @Override
        public void resumeWriting() {
            events.add("resume");
        }
    }

    /** Sends every datagram back to its sender. */
    static final class Echo extends Recorder {
        @Override
        public void datagramReceived(DirectBuffer d, java.net.SocketAddress sender) {
            super.datagramReceived(d, sender);
            transport.sendto(d, 0, d.capacity(), sender);
        }
    }

    /** False where the platform cannot send an empty datagram on a connected socket (java.nio). */
    protected boolean sendsEmptyDatagramsWhenConnected() {
        return true;
    }

    /**
     * Null where endpoints of one user can share a port with {@code withReusePort(true)}; else why
     * the backend refuses it (the backend's own tests check the refusal).
     */
    protected String reusePortUnsupportedReason() {
        return null;
    }

    private <P extends DatagramProtocol> DatagramEndpoint<P> open(P protocol, InetSocketAddress local,
                                                                  InetSocketAddress remote, DatagramOptions o) {
        return await(loop.createDatagramEndpoint(() -> protocol, local, remote, o));
    }

    private InetSocketAddress localOf(DatagramTransport t) {
        return (InetSocketAddress) t.extraInfo(Transport.SOCK_NAME);
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
        }
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void shouldDeclareTheDatagramCapability() {
        assertTrue(loop.supports(Capability.DATAGRAM));
    }

    @Test
    void shouldEchoDatagramsInOrderIncludingEmptyOnesWithTheirSender() {
        Echo server = open(new Echo(), LOCAL, null, null).protocol();
        Recorder client = open(new Recorder(), LOCAL, null, null).protocol();
        InetSocketAddress to = localOf(server.transport);
        client.transport.sendto(ascii("one"), to);
        client.transport.sendto(new byte[0], to);
        client.transport.sendto(new UnsafeBuffer(ascii("xthreex")), 1, 5, to);
        client.transport.sendto(ByteBuffer.wrap(ascii("four")), to);
        ByteBuffer direct = ByteBuffer.allocateDirect(4).put(ascii("five")).flip();
        client.transport.sendto(direct, to);
        assertEquals(0, direct.position(), "position unchanged");
        runUntil(() -> client.data.size() == 5);
        assertEquals(List.of("one", "", "three", "four", "five"), client.data);
        assertEquals(List.of("one", "", "three", "four", "five"), server.data);
        assertEquals(localOf(client.transport), server.from.get(0));
        assertEquals(to, client.from.get(4));
        assertSame(server.from.get(0), server.from.get(4), "the sender's address object is reused");
        closeAll(client, server);
        assertEquals(List.of("made", "lost"), client.events);
        assertNull(client.lostCause);
    }

    @Test
    void shouldEchoABurstFromTwoSendersInOrderEachToItsOwnSender() {
        Echo server = open(new Echo(), LOCAL, null, null).protocol();
        Recorder b = open(new Recorder(), LOCAL, null, null).protocol();
        Recorder c = open(new Recorder(), LOCAL, null, null).protocol();
        InetSocketAddress to = localOf(server.transport);
        int each = 100;
        for (int i = 0; i < each; i++) {
            b.transport.sendto(ascii("b" + i), to);
            c.transport.sendto(ascii("c" + i), to);
        }
        runUntil(() -> b.data.size() == each && c.data.size() == each);
        InetSocketAddress fromB = localOf(b.transport);
        InetSocketAddress fromC = localOf(c.transport);
        List<String> seenB = new ArrayList<>();
        for (int i = 0; i < server.data.size(); i++) {
            String d = server.data.get(i);
            assertEquals(d.startsWith("b") ? fromB : fromC, server.from.get(i), "sender of " + d);
            if (d.startsWith("b")) {
                seenB.add(d);
            }
        }
        List<String> expectB = new ArrayList<>();
        List<String> expectC = new ArrayList<>();
        for (int i = 0; i < each; i++) {
            expectB.add("b" + i);
            expectC.add("c" + i);
        }
        assertEquals(expectB, seenB, "the server saw b's datagrams in order");
        assertEquals(expectB, b.data, "each reply went back to its sender, in order");
        assertEquals(expectC, c.data);
        assertTrue(server.errors.isEmpty() && b.errors.isEmpty() && c.errors.isEmpty(), server.errors.toString());
        closeAll(b, c, server);
    }

    @Test
    void shouldSendAReplyMadeJustBeforeCloseInTheSameCallback() {
        Recorder server = open(new Recorder() {
            @Override
            public void datagramReceived(DirectBuffer d, java.net.SocketAddress sender) {
                super.datagramReceived(d, sender);
                transport.sendto(d, 0, d.capacity(), sender);
                transport.close();
            }
        }, LOCAL, null, null).protocol();
        Recorder client = open(new Recorder(), LOCAL, null, null).protocol();
        client.transport.sendto(ascii("last words"), localOf(server.transport));
        runUntil(() -> client.data.size() == 1);
        assertEquals(List.of("last words"), client.data);
        await(server.lost);
        assertNull(server.lostCause);
        assertEquals(List.of("last words"), server.data);
        closeAll(client);
    }

    @Test
    void shouldSendToTheConnectedPeerAndRefuseAnotherTarget() {
        Echo server = open(new Echo(), LOCAL, null, null).protocol();
        InetSocketAddress to = localOf(server.transport);
        Recorder client = open(new Recorder(), null, to, null).protocol();
        assertEquals(to, client.transport.remoteAddress());
        assertEquals(to, client.transport.extraInfo(Transport.PEER_NAME));
        client.transport.send(ascii("hi"));
        client.transport.sendto(new byte[0], to);
        client.transport.send(ascii("bye"));
        InetSocketAddress other = new InetSocketAddress(to.getAddress(), to.getPort() == 9 ? 10 : 9);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> client.transport.sendto(ascii("x"), other));
        assertTrue(e.getMessage().contains(other.toString()), e.getMessage());
        if (sendsEmptyDatagramsWhenConnected()) {
            runUntil(() -> client.data.size() == 3);
            assertEquals(List.of("hi", "", "bye"), client.data);
            assertTrue(client.errors.isEmpty(), client.errors.toString());
        } else {
            runUntil(() -> client.data.size() == 2);
            assertEquals(List.of("hi", "bye"), client.data);
            assertEquals(1, client.errors.size(), "the empty datagram is reported, not lost silently");
            assertTrue(client.errors.get(0).getMessage().contains("empty datagram"), client.errors.toString());
        }
        assertFalse(client.transport.isClosing());
        closeAll(client, server);
    }

    @Test
    void shouldReportPortUnreachableAsErrorReceivedAndStayOpen() throws Exception {
        int closedPort;
        try (DatagramSocket s = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        InetSocketAddress nobody = new InetSocketAddress(InetAddress.getLoopbackAddress(), closedPort);
        Recorder client = open(new Recorder(), null, nobody, null).protocol();
        for (int i = 0; i < 50 && client.errors.isEmpty(); i++) {
            client.transport.send(ascii("ping"));
            runFor(20);
        }
        assertFalse(client.errors.isEmpty(), "ICMP port unreachable reported");
        assertInstanceOf(ConnectException.class, client.errors.get(0));
        assertFalse(client.transport.isClosing(), "the endpoint stays open");
        assertEquals("made", client.events.get(0));
        assertFalse(client.events.contains("lost"));
        // It keeps working once the peer exists.
        try (DatagramSocket peer = new DatagramSocket(nobody)) {
            peer.setSoTimeout(5000);
            client.transport.send(ascii("later"));
            DatagramPacket p = whileLoopRuns(() -> {
                DatagramPacket got = new DatagramPacket(new byte[16], 16);
                peer.receive(got);
                return got;
            });
            assertEquals("later", new String(p.getData(), 0, p.getLength(), StandardCharsets.US_ASCII));
        }
        closeAll(client);
    }

    @Test
    void shouldFailBadSendsWithoutChangingAnything() {
        Recorder client = open(new Recorder(), LOCAL, null, null).protocol();
        DatagramTransport t = client.transport;
        InetSocketAddress self = localOf(t);
        IllegalArgumentException big = assertThrows(IllegalArgumentException.class,
                () -> t.sendto(new byte[DatagramTransport.MAX_DATAGRAM + 1], self));
        assertTrue(big.getMessage().contains("65508"), big.getMessage());
        IllegalArgumentException unresolved = assertThrows(IllegalArgumentException.class,
                () -> t.sendto(new byte[1], InetSocketAddress.createUnresolved("nowhere.invalid", 53)));
        assertTrue(unresolved.getMessage().contains("unresolved"), unresolved.getMessage());
        IllegalArgumentException family = assertThrows(IllegalArgumentException.class,
                () -> t.sendto(new byte[1], new InetSocketAddress("::1", 53)));
        assertTrue(family.getMessage().contains("IPv6"), family.getMessage());
        IllegalArgumentException noTarget = assertThrows(IllegalArgumentException.class, () -> t.send(new byte[1]));
        assertTrue(noTarget.getMessage().contains("not connected"), noTarget.getMessage());
        assertEquals(0, t.getWriteBufferSize());
        t.sendto(new byte[DatagramTransport.MAX_DATAGRAM], self);
        runUntil(() -> client.data.size() == 1);
        assertEquals(DatagramTransport.MAX_DATAGRAM, client.data.get(0).length());
        assertTrue(client.errors.isEmpty(), client.errors.toString());
        closeAll(client);
    }

    @Test
    void shouldRefuseReuseAddressNamingTheRisk() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DatagramOptions.DEFAULTS.withReuseAddress(true));
        assertTrue(e.getMessage().contains("bpo-37228"), e.getMessage());
        assertSame(DatagramOptions.DEFAULTS, DatagramOptions.DEFAULTS.withReuseAddress(false));
    }

    @Test
    void shouldShareAPortWithReusePort() {
        assumeTrue(reusePortUnsupportedReason() == null, reusePortUnsupportedReason());
        Recorder a = open(new Recorder(), LOCAL, null, DatagramOptions.DEFAULTS.withReusePort(true)).protocol();
        InetSocketAddress at = localOf(a.transport);
        Recorder b = open(new Recorder(), at, null, DatagramOptions.DEFAULTS.withReusePort(true)).protocol();
        assertEquals(at, localOf(b.transport));
        closeAll(a, b);
    }

    @Test
    void shouldFailAnUnresolvableLocalHostNamingIt() {
        LoopFuture<DatagramEndpoint<Recorder>> f = loop.createDatagramEndpoint(Recorder::new,
                InetSocketAddress.createUnresolved("no-such-host.invalid", 0), null, null);
        CompletionException e = assertThrows(CompletionException.class, () -> await(f));
        assertInstanceOf(UnknownHostException.class, e.getCause());
        assertTrue(e.getCause().getMessage().contains("no-such-host.invalid"), e.getCause().getMessage());
    }

    @Test
    void shouldFailABindConflictAndLeaveNothingOpen() {
        Recorder a = open(new Recorder(), LOCAL, null, null).protocol();
        LoopFuture<DatagramEndpoint<Recorder>> f = loop.createDatagramEndpoint(Recorder::new,
                localOf(a.transport), null, null);
        CompletionException e = assertThrows(CompletionException.class, () -> await(f));
        assertInstanceOf(IOException.class, e.getCause());
        closeAll(a);
    }

    @Test
    void shouldDropSendsAfterCloseWithOneWarningAfterFive() {
        List<String> warnings = new ArrayList<>();
        loop.setWarningHandler(warnings::add);
        Recorder client = open(new Recorder(), LOCAL, null, null).protocol();
        InetSocketAddress self = localOf(client.transport);
        client.transport.close();
        for (int i = 0; i < 4; i++) {
            client.transport.sendto(new byte[1], self);
        }
        assertTrue(warnings.isEmpty(), warnings.toString());
        for (int i = 0; i < 10; i++) {
            client.transport.sendto(new byte[1], self);
        }
        assertEquals(1, warnings.size(), warnings.toString());
        await(client.lost);
        assertEquals(List.of("made", "lost"), client.events);
        assertTrue(client.data.isEmpty());
    }

    @Test
    void shouldEchoOverIpv6() {
        InetSocketAddress v6 = new InetSocketAddress("::1", 0);
        Echo server;
        try {
            server = open(new Echo(), v6, null, null).protocol();
        } catch (CompletionException e) {
            assumeTrue(false, "no IPv6 loopback here: " + e.getCause());
            return;
        }
        Recorder client = open(new Recorder(), v6, null, null).protocol();
        client.transport.sendto(ascii("six"), localOf(server.transport));
        runUntil(() -> client.data.size() == 1);
        assertEquals("six", client.data.get(0));
        closeAll(client, server);
    }

    @Test
    void shouldJoinAndLeaveAMulticastGroup() throws Exception {
        NetworkInterface lo = null;
        for (NetworkInterface n : java.util.Collections.list(NetworkInterface.getNetworkInterfaces())) {
            if (n.isUp() && n.supportsMulticast() && n.inetAddresses().anyMatch(a -> a instanceof java.net.Inet4Address)) {
                lo = n;
                break;
            }
        }
        assumeTrue(lo != null, "no interface with IPv4 multicast");
        InetAddress group = InetAddress.getByName("239.255.77.77");
        Recorder r = open(new Recorder(), new InetSocketAddress(0), null,
                DatagramOptions.DEFAULTS.withMulticastTtl(0).withMulticastLoop(true)).protocol();
        NetworkInterface nif = lo;
        r.transport.joinGroup(group, nif);
        r.transport.leaveGroup(group, nif);
        assertThrows(IllegalArgumentException.class, () -> r.transport.joinGroup(InetAddress.getLoopbackAddress(), nif));
        closeAll(r);
    }

    @Test
    void shouldRefuseCallsFromAnotherThread() {
        Recorder r = open(new Recorder(), LOCAL, null, null).protocol();
        InetSocketAddress self = localOf(r.transport);
        // The other thread calls once the loop runs (before that, no thread owns it yet).
        java.util.concurrent.CompletableFuture<Void> running = new java.util.concurrent.CompletableFuture<>();
        loop.callSoon(() -> running.complete(null));
        IllegalStateException e = whileLoopRuns(() -> {
            running.join();
            try {
                r.transport.sendto(new byte[1], self);
                return null;
            } catch (IllegalStateException x) {
                return x;
            }
        });
        assertTrue(e != null && e.getMessage().contains("sendto"), String.valueOf(e));
        closeAll(r);
    }

    @Test
    void shouldEchoARunOfEqualDatagramsFromOneSenderKeepingEveryBoundary() {
        // On epoll the replies of one batch leave as UDP_SEGMENT runs and reach the client coalesced
        // (UDP_GRO): each datagram must still arrive on its own, in order, whole.
        Echo server = open(new Echo(), LOCAL, null, null).protocol();
        Recorder client = open(new Recorder(), LOCAL, null, null).protocol();
        InetSocketAddress to = localOf(server.transport);
        List<String> sent = new ArrayList<>();
        for (int i = 0; i < 48; i++) {
            String d = i % 16 == 15 ? "" : i % 8 == 7 ? String.format("short%02d", i) : String.format("%04d", i).repeat(300);
            sent.add(d);
            client.transport.sendto(ascii(d), to);
        }
        runUntil(() -> client.data.size() == sent.size());
        assertEquals(sent, server.data, "the server saw each datagram whole, in order");
        assertEquals(sent, client.data, "each echo came back whole, in order");
        for (InetSocketAddress f : client.from) {
            assertEquals(to, f);
        }
        assertTrue(server.errors.isEmpty() && client.errors.isEmpty(), server.errors + " " + client.errors);
        closeAll(client, server);
    }

    // ------------------------------------------------------------------ an existing socket

    /** True where the backend takes POSIX descriptors (epoll); false where it takes channels (nio). */
    protected boolean takesRawDescriptors() {
        return false;
    }

    /** The test's sockets: closed after the test unless an endpoint took them. */
    private final List<AutoCloseable> owned = new ArrayList<>();

    @org.junit.jupiter.api.AfterEach
    void closeOwnedSockets() throws Exception {
        for (AutoCloseable c : owned) {
            c.close();
        }
    }

    /** A UDP socket of the kind the backend takes, bound to loopback, connected to {@code remote} unless null. */
    /** Why this backend takes no existing UDP socket at all, or null when it takes one. */
    protected String existingSocketUnsupportedReason() {
        return null;
    }

    private Object existingSocket(InetSocketAddress remote) throws IOException {
        String unsupported = existingSocketUnsupportedReason();
        assumeTrue(unsupported == null, unsupported);
        InetSocketAddress lo = new InetSocketAddress("127.0.0.1", 0);
        if (takesRawDescriptors()) {
            int fd = PosixTestCalls.udpSocket(lo, remote);
            owned.add(() -> {
                if (PosixTestCalls.isOpen(fd)) {
                    PosixTestCalls.close(fd);
                }
            });
            return fd;
        }
        java.nio.channels.DatagramChannel ch = java.nio.channels.DatagramChannel.open(java.net.StandardProtocolFamily.INET);
        owned.add(ch);
        ch.bind(lo);
        if (remote != null) {
            ch.connect(remote);
        }
        return ch;
    }

    private static DatagramOptions with(Object socket) {
        return socket instanceof Integer fd ? DatagramOptions.DEFAULTS.withSocket(fd)
                : DatagramOptions.DEFAULTS.withSocket((java.nio.channels.DatagramChannel) socket);
    }

    private static boolean isOpen(Object socket) {
        return socket instanceof Integer fd ? PosixTestCalls.isOpen(fd)
                : ((java.nio.channels.DatagramChannel) socket).isOpen();
    }

    @Test
    void shouldServeAnExistingSocketAndCloseItWithTheEndpoint() throws IOException {
        Object socket = existingSocket(null);
        Echo server = open(new Echo(), null, null, with(socket)).protocol();
        assertEquals(socket, server.transport.extraInfo(Transport.SOCKET));
        assertNull(server.transport.remoteAddress(), "an unconnected socket makes an unconnected endpoint");
        Recorder client = open(new Recorder(), LOCAL, null, null).protocol();
        InetSocketAddress to = localOf(server.transport);
        assertEquals("127.0.0.1", to.getAddress().getHostAddress(), "the socket's own binding is kept");
        client.transport.sendto(ascii("one"), to);
        client.transport.sendto(new byte[0], to);
        client.transport.sendto(ascii("two"), to);
        runUntil(() -> client.data.size() == 3);
        assertEquals(List.of("one", "", "two"), client.data);
        assertEquals(localOf(client.transport), server.from.get(0));
        assertTrue(isOpen(socket));
        closeAll(client, server);
        assertFalse(isOpen(socket), "the endpoint owned the socket and closed it");
    }

    @Test
    void shouldTakeThePeerOfAConnectedExistingSocket() throws IOException {
        String unsupported = existingSocketUnsupportedReason();
        assumeTrue(unsupported == null, unsupported);
        Echo server = open(new Echo(), LOCAL, null, null).protocol();
        InetSocketAddress to = localOf(server.transport);
        Recorder client = open(new Recorder(), null, null, with(existingSocket(to))).protocol();
        assertEquals(to, client.transport.remoteAddress());
        client.transport.send(ascii("hi"));
        InetSocketAddress other = new InetSocketAddress(to.getAddress(), to.getPort() == 9 ? 10 : 9);
        assertThrows(IllegalArgumentException.class, () -> client.transport.sendto(ascii("x"), other));
        runUntil(() -> client.data.size() == 1);
        assertEquals(List.of("hi"), client.data);
        closeAll(client, server);
    }

    @Test
    void shouldRefuseAnExistingSocketWithAddressesOrNewSocketOptionsLeavingItTheCallers() throws IOException {
        Object socket = existingSocket(null);
        DatagramOptions o = with(socket);
        IllegalArgumentException local = assertThrows(IllegalArgumentException.class,
                () -> loop.createDatagramEndpoint(Recorder::new, LOCAL, null, o));
        assertTrue(local.getMessage().contains("local=" + LOCAL), local.getMessage());
        InetSocketAddress somewhere = new InetSocketAddress("127.0.0.1", 9);
        IllegalArgumentException remote = assertThrows(IllegalArgumentException.class,
                () -> loop.createDatagramEndpoint(Recorder::new, null, somewhere, o));
        assertTrue(remote.getMessage().contains("remote=" + somewhere), remote.getMessage());
        IllegalArgumentException reuse = assertThrows(IllegalArgumentException.class,
                () -> loop.createDatagramEndpoint(Recorder::new, null, null, o.withReusePort(true).withMulticastTtl(3)));
        assertTrue(reuse.getMessage().contains("reusePort=true, multicastTtl=3"), reuse.getMessage());
        assertEquals(0, loop.liveHandles(), "nothing was made");
        assertTrue(isOpen(socket), "the caller still owns the socket");
        // Nothing changed: the same socket still makes an endpoint.
        Recorder r = open(new Recorder(), null, null, o).protocol();
        closeAll(r);
    }

    @Test
    void shouldRefuseAClosedExistingSocketNamingIt() throws Exception {
        Object socket = existingSocket(null);
        if (socket instanceof Integer fd) {
            PosixTestCalls.close(fd);
        } else {
            ((java.nio.channels.DatagramChannel) socket).close();
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> loop.createDatagramEndpoint(Recorder::new, null, null, with(socket)));
        String name = socket instanceof Integer fd ? "fd " + fd : "closed";
        assertTrue(e.getMessage().contains(name), e.getMessage());
        assertEquals(0, loop.liveHandles());
    }

    @Test
    void shouldRefuseTheKindOfExistingSocketTheBackendCannotUse() throws IOException {
        DatagramOptions other;
        if (takesRawDescriptors()) {
            java.nio.channels.DatagramChannel ch = java.nio.channels.DatagramChannel.open();
            owned.add(ch);
            other = DatagramOptions.DEFAULTS.withSocket(ch);
        } else {
            other = DatagramOptions.DEFAULTS.withSocket(0);
        }
        dev.weft.loop.UnsupportedCapabilityException e = assertThrows(dev.weft.loop.UnsupportedCapabilityException.class,
                () -> loop.createDatagramEndpoint(Recorder::new, null, null, other));
        assertTrue(e.getMessage().contains("unsupported on " + loop.backendName()), e.getMessage());
        assertEquals(0, loop.liveHandles());
        IllegalArgumentException negative = assertThrows(IllegalArgumentException.class,
                () -> DatagramOptions.DEFAULTS.withSocket(-1));
        assertTrue(negative.getMessage().contains("-1"), negative.getMessage());
    }

    @Test
    void shouldRefuseADescriptorThatIsNotAUdpSocketNamingItAndLeaveItOpen() throws IOException {
        assumeTrue(takesRawDescriptors(), "the " + loop.backendName() + " backend takes DatagramChannels only");
        int tcp = PosixTestCalls.openSocket(PosixTestCalls.AF_INET, PosixTestCalls.SOCK_STREAM);
        int[] pipe = PosixTestCalls.pipe();
        owned.add(() -> PosixTestCalls.close(tcp));
        owned.add(() -> PosixTestCalls.close(pipe[0]));
        owned.add(() -> PosixTestCalls.close(pipe[1]));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> loop.createDatagramEndpoint(Recorder::new, null, null, DatagramOptions.DEFAULTS.withSocket(tcp)));
        assertTrue(e.getMessage().contains("fd " + tcp) && e.getMessage().contains("SOCK_STREAM"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> loop.createDatagramEndpoint(Recorder::new, null, null, DatagramOptions.DEFAULTS.withSocket(pipe[0])));
        assertTrue(e.getMessage().contains("fd " + pipe[0]) && e.getMessage().contains("pipe"), e.getMessage());
        assertTrue(PosixTestCalls.isOpen(tcp) && PosixTestCalls.isOpen(pipe[0]), "the caller keeps them");
        assertEquals(0, loop.liveHandles());
    }

    // ------------------------------------------------------------------ the shared core's queue

    /** A backend half whose kernel takes datagrams only when {@link #open} is true. */
    static final class GatedIo implements DatagramIo {
        boolean open;
        final List<String> sent = new ArrayList<>();
        final UnsafeBuffer view = new UnsafeBuffer(0, 0);
        int interestChanges;
        boolean released;

        @Override
        public String backendName() {
            return "gated";
        }

        @Override
        public boolean inet6() {
            return false;
        }

        @Override
        public boolean sendNow(long address, int length, java.net.SocketAddress target) {
            if (!open) {
                return false;
            }
            view.wrap(address, length);
            sent.add(view.getStringWithoutLengthAscii(0, length) + "@" + ((InetSocketAddress) target).getPort());
            return true;
        }

        @Override
        public org.agrona.MutableDirectBuffer scratch() {
            return scratch;
        }

        final UnsafeBuffer scratch = new UnsafeBuffer(ByteBuffer.allocateDirect(DatagramTransport.MAX_DATAGRAM));

        @Override
        public void interestChanged() {
            interestChanges++;
        }

        @Override
        public void release() {
            released = true;
        }

        @Override
        public void forget() {
        }

        @Override
        public Object info(String name) {
            return null;
        }

        @Override
        public void joinGroup(InetAddress group, NetworkInterface nif, boolean join) {
        }
    }

    @Test
    void shouldQueueWhenBlockedCountOverheadPauseAndResumeAtTheMarksAndDrainInOrder() {
        GatedIo io = new GatedIo();
        Recorder r = new Recorder();
        DatagramCore core = new DatagramCore(loop, io, r, null);
        core.start();
        core.setWriteBufferLimits(3 * DatagramTransport.DATAGRAM_OVERHEAD + 2, DatagramTransport.DATAGRAM_OVERHEAD);
        InetSocketAddress a = new InetSocketAddress(InetAddress.getLoopbackAddress(), 1001);
        InetSocketAddress b = new InetSocketAddress(InetAddress.getLoopbackAddress(), 1002);
        core.sendto(new byte[0], a);
        assertEquals(DatagramTransport.DATAGRAM_OVERHEAD, core.getWriteBufferSize(), "an empty datagram costs the overhead");
        core.sendto(ascii("xy"), b);
        core.sendto(new byte[0], a);
        assertEquals(List.of("made"), r.events, "not above the high-water mark yet");
        core.sendto(ascii("z"), b);
        assertEquals(4 * DatagramTransport.DATAGRAM_OVERHEAD + 3, core.getWriteBufferSize());
        assertEquals(List.of("made", "pause"), r.events, "four empty-ish datagrams cross the mark");
        for (int i = 0; i < 200; i++) {
            core.sendto(ascii("n" + i), a); // grows the queue past its first arrays
        }
        io.open = true;
        core.flush();
        assertEquals(0, core.getWriteBufferSize(), "the overhead is subtracted as it was added");
        assertEquals(List.of("made", "pause", "resume"), r.events);
        assertEquals(List.of("@1001", "xy@1002", "@1001", "z@1002", "n0@1001"), io.sent.subList(0, 5));
        assertEquals("n199@1001", io.sent.get(io.sent.size() - 1));
        assertEquals(204, io.sent.size());
        core.abort();
        runFor(1);
    }

    @Test
    void shouldFlushTheQueueOnCloseThenReportLostAndDropItOnAbort() {
        GatedIo io = new GatedIo();
        Recorder r = new Recorder();
        DatagramCore core = new DatagramCore(loop, io, r, null);
        core.start();
        InetSocketAddress a = new InetSocketAddress(InetAddress.getLoopbackAddress(), 1001);
        core.sendto(ascii("last"), a);
        core.close();
        assertFalse(io.released, "close waits for the queue");
        assertTrue(core.isClosing());
        io.open = true;
        core.flush();
        assertEquals(List.of("last@1001"), io.sent);
        assertTrue(io.released);
        await(r.lost);
        assertNull(r.lostCause);

        GatedIo io2 = new GatedIo();
        Recorder r2 = new Recorder();
        DatagramCore core2 = new DatagramCore(loop, io2, r2, null);
        core2.start();
        core2.sendto(ascii("dropped"), a);
        core2.abort();
        assertTrue(io2.released);
        assertEquals(0, core2.getWriteBufferSize());
        io2.open = true;
        core2.flush();
        assertTrue(io2.sent.isEmpty());
        await(r2.lost);
    }

    // ------------------------------------------------------------------ an outside peer

    @Test
    void shouldAnswerDnsStyleQueriesFromPythonAsyncio() throws Exception {
        assumeTrue(python3() != null, "python3 not found");
        DatagramProtocol resolver = new Recorder() {
            private final UnsafeBuffer reply = new UnsafeBuffer(new byte[512]);

            @Override
            public void datagramReceived(DirectBuffer q, java.net.SocketAddress sender) {
                // Reply: the query's 2-byte id, then "A " and the name asked for.
                int n = q.capacity();
                reply.putBytes(0, q, 0, 2);
                reply.putByte(2, (byte) 'A');
                reply.putByte(3, (byte) ' ');
                reply.putBytes(4, q, 2, n - 2);
                transport.sendto(reply, 0, n + 2, sender);
            }
        };
        DatagramEndpoint<DatagramProtocol> ep = open(resolver, LOCAL, null, null);
        int port = localOf(ep.transport()).getPort();
        Path script = Files.createTempFile("weft-dns", ".py");
        Files.writeString(script, String.join("\n",
                "import asyncio, struct, sys",
                "class Q(asyncio.DatagramProtocol):",
                "    def __init__(s): s.got = {}; s.done = asyncio.get_running_loop().create_future()",
                "    def datagram_received(s, data, addr):",
                "        (qid,) = struct.unpack('!H', data[:2]); s.got[qid] = data[2:].decode()",
                "        if len(s.got) == 20 and not s.done.done(): s.done.set_result(None)",
                "async def main():",
                "    loop = asyncio.get_running_loop()",
                "    t, p = await loop.create_datagram_endpoint(Q, remote_addr=('127.0.0.1', int(sys.argv[1])))",
                "    for i in range(20): t.sendto(struct.pack('!H', i) + ('host%d.example' % i).encode())",
                "    await asyncio.wait_for(p.done, 10)",
                "    t.close()",
                "    for i in range(20): assert p.got[i] == 'A host%d.example' % i, p.got",
                "    print('ok', len(p.got))",
                "asyncio.run(main())", ""));
        try {
            String out = whileLoopRuns(() -> {
                Process p = new ProcessBuilder(python3(), script.toString(), Integer.toString(port))
                        .redirectErrorStream(true).start();
                String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertTrue(p.waitFor(30, TimeUnit.SECONDS), "python3 finished");
                return p.exitValue() + ": " + text.trim();
            });
            assertEquals("0: ok 20", out);
        } finally {
            Files.deleteIfExists(script);
        }
        ep.transport().close();
        await(((Recorder) resolver).lost);
    }

    private static String python3() {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            Path p = Path.of(dir, "python3");
            if (Files.isExecutable(p)) {
                return p.toString();
            }
        }
        return null;
    }
}
