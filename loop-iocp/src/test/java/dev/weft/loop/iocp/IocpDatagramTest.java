package dev.weft.loop.iocp;

import static dev.weft.loop.iocp.IocpTestLoops.driver;
import static dev.weft.loop.iocp.IocpTestLoops.runFor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import com.sun.jna.Function;
import com.sun.jna.Memory;
import com.sun.jna.NativeLibrary;
import dev.weft.loop.DatagramEndpoint;
import dev.weft.loop.DatagramOptions;
import dev.weft.loop.DatagramProtocol;
import dev.weft.loop.DatagramTransport;
import dev.weft.loop.DatagramTruncatedException;
import dev.weft.loop.EventLoop;
import dev.weft.loop.ExceptionContext;
import dev.weft.loop.LoopFuture;
import dev.weft.loop.Transport;
import java.net.ConnectException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.agrona.DirectBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * What is particular to UDP on completions: the memory of an operation in flight stays the
 * kernel's until its completion is dequeued (through close, abort and the loop's own close), the
 * overlapped send that takes a datagram the kernel would not take at once, truncation, and no
 * handle left behind.
 */
@EnabledOnOs(OS.WINDOWS)
@Timeout(60)
class IocpDatagramTest {
    private static final InetSocketAddress LOCAL = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);

    private EventLoop loop;
    private final List<ExceptionContext> loopErrors = new ArrayList<>();

    /** Records datagrams, errors and flow-control calls. */
    static final class Recorder implements DatagramProtocol {
        final List<String> data = new ArrayList<>();
        final List<Exception> errors = new ArrayList<>();
        final List<String> events = new ArrayList<>();
        DatagramTransport transport;
        LoopFuture<Throwable> lost;

        @Override
        public void connectionMade(DatagramTransport t) {
            transport = t;
            lost = t.loop().createFuture();
        }

        @Override
        public void datagramReceived(DirectBuffer d, java.net.SocketAddress from) {
            data.add(d.getStringWithoutLengthAscii(0, d.capacity()));
            events.add("data");
        }

        @Override
        public void errorReceived(Exception error) {
            errors.add(error);
            events.add("error");
        }

        @Override
        public void pauseWriting() {
            events.add("pause");
        }

        @Override
        public void resumeWriting() {
            events.add("resume");
        }

        @Override
        public void connectionLost(Throwable cause) {
            events.add("lost");
            lost.setResult(cause);
        }
    }

    @BeforeEach
    void openLoop() {
        loop = EventLoop.builder().backend("iocp").build();
        loop.setExceptionHandler((l, ctx) -> loopErrors.add(ctx));
    }

    @AfterEach
    void closeLoop() {
        if (!loop.isClosed()) {
            loop.close();
        }
        assertEquals(List.of(), loopErrors, "nothing reached the loop's exception handler");
    }

    private void runUntil(BooleanSupplier done) {
        for (int i = 0; i < 500 && !done.getAsBoolean(); i++) {
            runFor(loop, 10);
        }
        assertTrue(done.getAsBoolean(), "condition not reached in 5 s of loop time");
    }

    private Recorder open(InetSocketAddress local, InetSocketAddress remote) {
        Recorder r = new Recorder();
        loop.runUntilComplete(loop.createDatagramEndpoint(() -> r, local, remote, DatagramOptions.DEFAULTS));
        return r;
    }

    /** Opens through {@link IocpDatagram#open} directly, to reach its test settings. */
    private IocpDatagram openDirect(Recorder r, int readSize) throws ReflectiveOperationException {
        LoopFuture<DatagramEndpoint<Recorder>> f = loop.createFuture();
        IocpDatagram io = IocpDatagram.open(driver(loop), () -> r, LOCAL, null, DatagramOptions.DEFAULTS, f, readSize);
        assertNotNull(io, () -> "open failed: " + f.exception());
        loop.runUntilComplete(f);
        return io;
    }

    private static InetSocketAddress localOf(Recorder r) {
        return (InetSocketAddress) r.transport.extraInfo(Transport.SOCK_NAME);
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private void closeAll(Recorder... rs) {
        for (Recorder r : rs) {
            r.transport.close();
        }
        for (Recorder r : rs) {
            assertNull(loop.runUntilComplete(r.lost));
        }
    }

    @Test
    void shouldRefuseReusePortNamingWhy() {
        LoopFuture<DatagramEndpoint<Recorder>> f = loop.createDatagramEndpoint(Recorder::new, LOCAL, null,
                DatagramOptions.DEFAULTS.withReusePort(true));
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                () -> loop.runUntilComplete(f));
        assertTrue(e.getMessage().startsWith("unsupported on iocp:"), e.getMessage());
        assertTrue(e.getMessage().contains("SO_REUSEPORT"), e.getMessage());
        assertEquals(0, loop.liveHandles());
    }

    @Test
    void shouldDeliverALongDatagramCutShortThenReportItAndKeepReceiving() throws Exception {
        Recorder small = new Recorder();
        openDirect(small, 16);
        Recorder sender = open(LOCAL, null);
        InetSocketAddress to = localOf(small);
        String big = "0123456789abcdefTHE-REST-IS-CUT";
        // Sent in one go, some arrive through the overlapped receive and some through recvfrom.
        for (int i = 0; i < 4; i++) {
            sender.transport.sendto(ascii(big), to);
            sender.transport.sendto(ascii("ok" + i), to);
        }
        runUntil(() -> small.data.size() == 8);
        for (int i = 0; i < 4; i++) {
            assertEquals("0123456789abcdef", small.data.get(2 * i), "the first 16 bytes");
            assertEquals("ok" + i, small.data.get(2 * i + 1), "the next datagram is whole");
        }
        assertEquals(List.of("data", "error", "data", "data", "error", "data", "data", "error", "data", "data",
                "error", "data"), small.events, "each cut datagram is reported right after it");
        for (Exception e : small.errors) {
            DatagramTruncatedException t = assertInstanceOf(DatagramTruncatedException.class, e);
            assertEquals(16, t.delivered());
            assertTrue(t.getMessage().contains("16-byte receive buffer"), t.getMessage());
        }
        assertFalse(small.transport.isClosing());
        closeAll(small, sender);
    }

    @Test
    void shouldQueueBehindAnOverlappedSendInOrderWithTheMarksAndFlushOnClose() throws Exception {
        Recorder receiver = open(LOCAL, null);
        Recorder sender = new Recorder();
        IocpDatagram io = openDirect(sender, IocpDatagram.READ_SIZE);
        io.overlappedSendsOnly = true;
        InetSocketAddress to = localOf(receiver);
        sender.transport.setWriteBufferLimits(4 * DatagramTransport.DATAGRAM_OVERHEAD, DatagramTransport.DATAGRAM_OVERHEAD);
        for (int i = 0; i < 40; i++) {
            sender.transport.sendto(ascii("d" + i), to);
        }
        // The first went to an overlapped WSASendTo; the others wait for its completion, counted.
        assertTrue(sender.transport.getWriteBufferSize() >= 39 * DatagramTransport.DATAGRAM_OVERHEAD,
                "queued behind the send in flight: " + sender.transport.getWriteBufferSize());
        assertEquals(List.of("pause"), sender.events);
        runUntil(() -> receiver.data.size() == 40);
        List<String> expect = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            expect.add("d" + i);
        }
        assertEquals(expect, receiver.data, "in the order sent");
        assertEquals(0, sender.transport.getWriteBufferSize());
        assertEquals(List.of("pause", "resume"), sender.events);

        // close() sends what is queued and in flight, then reports the loss.
        for (int i = 0; i < 10; i++) {
            sender.transport.sendto(ascii("last" + i), to);
        }
        sender.transport.close();
        assertNull(loop.runUntilComplete(sender.lost));
        runUntil(() -> receiver.data.size() == 50);
        assertEquals("last9", receiver.data.get(49));
        assertTrue(sender.errors.isEmpty(), sender.errors.toString());
        closeAll(receiver);
    }

    /** CPython gh-156698: a proactor datagram transport never resumed a paused protocol after a send error. */
    @Test
    void shouldReportAFailedOverlappedSendThenResumeAndSendTheRest() throws Exception {
        Recorder receiver = open(LOCAL, null);
        Recorder sender = new Recorder();
        openDirect(sender, IocpDatagram.READ_SIZE).overlappedSendsOnly = true;
        sender.transport.setWriteBufferLimits(2 * DatagramTransport.DATAGRAM_OVERHEAD, 0);
        // Broadcast without SO_BROADCAST: WSASendTo fails (WSAEACCES).
        sender.transport.sendto(ascii("refused"), new InetSocketAddress(InetAddress.getByName("255.255.255.255"), 9));
        for (int i = 0; i < 5; i++) {
            sender.transport.sendto(ascii("after" + i), localOf(receiver));
        }
        assertEquals(List.of("pause"), sender.events);
        runUntil(() -> receiver.data.size() == 5);
        assertEquals(List.of("after0", "after1", "after2", "after3", "after4"), receiver.data);
        assertEquals(List.of("pause", "error", "resume"), sender.events, "the error, then writing resumes");
        assertTrue(sender.errors.get(0).getMessage().contains("WSASendTo"), sender.errors.get(0).getMessage());
        assertFalse(sender.transport.isClosing());
        closeAll(sender, receiver);
    }

    @Test
    void shouldKeepTheBlockAndKeyUntilTheCancelledReceiveHasCompleted() throws Exception {
        IocpDriver d = driver(loop);
        int owners = d.registeredOwners();
        long blocks = Mem.liveAllocations();
        Recorder r = open(LOCAL, null);
        assertEquals(owners + 1, d.registeredOwners());
        assertEquals(blocks + 1, Mem.liveAllocations(), "one native block per endpoint");
        r.transport.abort();
        // The socket is closed and its WSARecvFrom cancelled: until that completion is dequeued the
        // OVERLAPPED, the buffer and the sender's sockaddr stay allocated and the key registered.
        assertEquals(owners + 1, d.registeredOwners(), "still registered while the receive is in flight");
        assertEquals(blocks + 1, Mem.liveAllocations(), "nothing freed while the kernel owns it");
        assertNull(loop.runUntilComplete(r.lost), "abort reports no error");
        for (int i = 0; i < 100 && d.registeredOwners() > owners; i++) {
            runFor(loop, 10);
        }
        assertEquals(owners, d.registeredOwners(), "released once the completion came back");
        assertEquals(blocks, Mem.liveAllocations(), "and its memory freed");
        assertEquals(0, loop.liveHandles());
    }

    @Test
    void shouldFreeEverythingWhenTheLoopClosesWithOperationsInFlight() throws Exception {
        loop.close();
        long before = Mem.liveAllocations();
        loop = EventLoop.builder().backend("iocp").build();
        loop.setExceptionHandler((l, ctx) -> loopErrors.add(ctx));
        Recorder a = open(LOCAL, null);
        Recorder b = open(LOCAL, null);
        Recorder c = new Recorder();
        openDirect(c, IocpDatagram.READ_SIZE).overlappedSendsOnly = true;
        c.transport.sendto(ascii("x"), localOf(a));
        c.transport.sendto(ascii("y"), localOf(b));
        assertTrue(driver(loop).registeredOwners() >= 3);
        loop.close();
        assertEquals(before, Mem.liveAllocations(), "every block (and the loop's own memory) was freed");
    }

    @Test
    void shouldKeepReceivingAfterAnIcmpPortUnreachable() throws Exception {
        int closedPort;
        try (DatagramSocket s = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        InetSocketAddress nobody = new InetSocketAddress(InetAddress.getLoopbackAddress(), closedPort);
        Recorder client = open(null, nobody);
        for (int i = 0; i < 50 && client.errors.isEmpty(); i++) {
            client.transport.send(ascii("ping"));
            runFor(loop, 20);
        }
        assertFalse(client.errors.isEmpty(), "ICMP port unreachable reported");
        assertInstanceOf(ConnectException.class, client.errors.get(0));
        assumeFalse(IocpConformanceTest.underWine(), "Wine 8 stops polling a UDP socket after an ICMP error (its"
                + " server/sock.c marks the socket aborted on POLLERR), so a receive posted afterwards never"
                + " completes although the datagram is in the kernel (a plain recvfrom takes it)");
        // The peer appears and answers: the endpoint still has a receive posted and gets it.
        try (DatagramSocket peer = new DatagramSocket(nobody)) {
            byte[] hello = ascii("hello");
            peer.send(new DatagramPacket(hello, hello.length, localOf(client)));
            for (int i = 0; i < 200 && client.data.isEmpty(); i++) {
                runFor(loop, 10);
            }
        }
        assertEquals(List.of("hello"), client.data, "the endpoint kept receiving after the error");
        closeAll(client);
    }

    @Test
    void shouldLeaveNoHandleOpenAfterManyEndpoints() {
        Recorder target = open(LOCAL, null);
        Function count = handleCount();
        int warm = handles(count);
        List<Recorder> all = new ArrayList<>();
        List<Long> sockets = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            Recorder r = i % 2 == 0 ? open(LOCAL, null) : open(null, localOf(target));
            all.add(r);
            sockets.add((Long) r.transport.extraInfo(Transport.SOCKET));
            if (i % 2 == 0) {
                r.transport.sendto(ascii("x"), localOf(target));
            } else {
                r.transport.send(ascii("y"));
            }
        }
        runUntil(() -> target.data.size() == 20);
        for (long s : sockets) {
            assertEquals(SOCK_DGRAM_TYPE, soType(s), "an open UDP socket");
        }
        for (int i = 0; i < all.size(); i++) {
            if (i % 3 == 0) {
                all.get(i).transport.abort();
            } else {
                all.get(i).transport.close();
            }
        }
        for (Recorder r : all) {
            loop.runUntilComplete(r.lost);
        }
        runFor(loop, 50);
        for (long s : sockets) {
            assertEquals(-WinConstants.WSAENOTSOCK, soType(s), "socket " + s + " was closed");
        }
        // Where the system counts handles (Windows; Wine 8 reports 0), none is left either.
        if (warm > 0) {
            assertEquals(warm, handles(count), "every socket handle was closed");
        }
        closeAll(target);
    }

    private static final int SOCK_DGRAM_TYPE = 2;

    /** getsockopt(SO_TYPE) of {@code socket}, or minus the error (WSAENOTSOCK once it is closed). */
    private static int soType(long socket) {
        long v = Mem.allocate(8);
        try {
            Mem.putInt(v + 4, 4);
            if (Ws2.getsockopt(socket, WinConstants.SOL_SOCKET, SO_TYPE, v, v + 4) != 0) {
                return -WinError.last();
            }
            return Mem.getInt(v);
        } finally {
            Mem.free(v);
        }
    }

    private static final int SO_TYPE = 0x1008;

    private static Function handleCount() {
        return NativeLibrary.getInstance("kernel32").getFunction("GetProcessHandleCount");
    }

    private static int handles(Function getProcessHandleCount) {
        try (Memory out = new Memory(4)) {
            // GetCurrentProcess() is the pseudo-handle -1.
            int ok = getProcessHandleCount.invokeInt(new Object[] {-1L, out});
            assertTrue(ok != 0, "GetProcessHandleCount failed: " + com.sun.jna.Native.getLastError());
            return out.getInt(0);
        }
    }
}
