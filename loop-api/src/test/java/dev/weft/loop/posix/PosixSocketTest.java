package dev.weft.loop.posix;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.weft.loop.NativeIOException;
import java.io.IOException;
import java.io.InputStream;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The POSIX socket layer against the running kernel: every struct layout Java writes or reads is
 * checked by a call whose result is visible from java.net (addresses, linger, iovec, msghdr).
 */
@Timeout(30)
class PosixSocketTest {
    private static PosixAbi abi;
    private final List<AutoCloseable> open = new ArrayList<>();
    private final ByteBuffer memory = ByteBuffer.allocateDirect(64 * 1024);
    private final long address = BufferUtil.address(memory);
    private final UnsafeBuffer mem = new UnsafeBuffer(memory);

    @BeforeAll
    static void available() {
        Throwable cause = Posix.unavailabilityCause();
        assumeTrue(cause == null, () -> "POSIX layer unavailable: " + cause);
        abi = PosixAbi.current();
    }

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : open) {
            c.close();
        }
    }

    private <T extends AutoCloseable> T track(T c) {
        open.add(c);
        return c;
    }

    private PosixSocket track(PosixSocket s) {
        open.add(s::close);
        return s;
    }

    private PosixSocket listener(PosixSocketFactory f, InetSocketAddress at) throws IOException {
        PosixSocket l = track(f.openListener(at.getAddress() instanceof Inet6Address
                ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET));
        l.bind(at);
        l.listen(16);
        return l;
    }

    private PosixSocket acceptWithin(PosixSocket l) throws Exception {
        long until = System.nanoTime() + 5_000_000_000L;
        while (System.nanoTime() < until) {
            PosixSocket c = l.accept();
            if (c != null) {
                return track(c);
            }
            Thread.sleep(1);
        }
        throw new AssertionError("nothing to accept");
    }

    @Test
    void shouldDecodeTheSockaddrInThatGetsocknameFills() throws Exception {
        PosixSocket l = listener(new PosixSocketFactory(), new InetSocketAddress("127.0.0.1", 0));
        InetSocketAddress local = (InetSocketAddress) l.localAddress();
        assertEquals(InetAddress.getByName("127.0.0.1"), local.getAddress());
        assertTrue(local.getPort() > 0);
        // The decoded port is the one the kernel listens on: java.net can connect to it.
        Socket peer = track(new Socket(local.getAddress(), local.getPort()));
        PosixSocket c = acceptWithin(l);
        assertEquals(peer.getLocalSocketAddress(), c.remoteAddress(), "getpeername decoded");
        assertEquals(peer.getRemoteSocketAddress(), c.localAddress(), "getsockname decoded");
    }

    @Test
    void shouldDecodeTheSockaddrIn6ThatGetsocknameFills() throws Exception {
        InetAddress loop6 = InetAddress.getByName("::1");
        PosixSocket l;
        try {
            l = listener(new PosixSocketFactory(), new InetSocketAddress(loop6, 0));
        } catch (NativeIOException e) {
            assumeTrue(false, "no IPv6 loopback here: " + e.getMessage());
            return;
        }
        InetSocketAddress local = (InetSocketAddress) l.localAddress();
        assertInstanceOf(Inet6Address.class, local.getAddress());
        assertEquals(loop6, local.getAddress());
        Socket peer = track(new Socket(loop6, local.getPort()));
        PosixSocket c = acceptWithin(l);
        assertEquals(peer.getLocalSocketAddress(), c.remoteAddress());
        // Connecting out of an AF_INET6 socket to an IPv6 address: sin6_addr and sin6_port encoded.
        PosixSocket out = track(new PosixSocketFactory().openStream(StandardProtocolFamily.INET6));
        connect(out, local);
        PosixSocket c2 = acceptWithin(l);
        assertEquals(out.localAddress(), c2.remoteAddress());
        assertEquals(local, out.remoteAddress());
    }

    @Test
    void shouldAcceptIpv4ClientsOnADualStackListener() throws Exception {
        PosixSocket l;
        try {
            l = listener(new PosixSocketFactory(), new InetSocketAddress(InetAddress.getByName("::"), 0));
        } catch (NativeIOException e) {
            assumeTrue(false, "no IPv6 here: " + e.getMessage());
            return;
        }
        int port = ((InetSocketAddress) l.localAddress()).getPort();
        Socket peer = track(new Socket("127.0.0.1", port));
        PosixSocket c = acceptWithin(l);
        // ::ffff:127.0.0.1 decodes as IPv4, as java.net reports it.
        assertInstanceOf(Inet4Address.class, ((InetSocketAddress) c.remoteAddress()).getAddress());
        assertEquals(peer.getLocalPort(), ((InetSocketAddress) c.remoteAddress()).getPort());
        assertEquals(Boolean.FALSE, readV6Only(l));
    }

    private static Boolean readV6Only(PosixSocket s) throws IOException {
        Scratch sc = Scratch.get();
        sc.buffer.putInt(Scratch.OPT, -1);
        sc.buffer.putInt(Scratch.OPT_LEN, 4);
        assertEquals(0, LibC.getsockopt(s.fd(), abi.IPPROTO_IPV6, abi.IPV6_V6ONLY, sc.opt(), sc.optLen()));
        return sc.buffer.getInt(Scratch.OPT) != 0;
    }

    private void connect(PosixSocket s, InetSocketAddress to) throws Exception {
        if (!s.connect(to)) {
            long until = System.nanoTime() + 5_000_000_000L;
            while (true) {
                try {
                    s.finishConnect();
                    return;
                } catch (NativeIOException e) {
                    throw e;
                } catch (IOException inProgress) {
                    if (System.nanoTime() > until) {
                        throw inProgress;
                    }
                    Thread.sleep(1);
                }
            }
        }
    }

    @ParameterizedTest(name = "fcntl path: {0}")
    @ValueSource(booleans = {false, true})
    void shouldEchoThroughReadAndSendWithoutBlocking(boolean fcntlPath) throws Exception {
        PosixSocketFactory f = new PosixSocketFactory(fcntlPath);
        ServerSocket server = track(new ServerSocket(0, 16, InetAddress.getByName("127.0.0.1")));
        PosixSocket s = track(f.openStream(StandardProtocolFamily.INET));
        connect(s, (InetSocketAddress) server.getLocalSocketAddress());
        Socket peer = track(server.accept());
        assertEquals(0, s.read(address, 100), "nothing to read: would block, reported as 0");
        byte[] hello = "hello".getBytes(StandardCharsets.US_ASCII);
        mem.putBytes(0, hello);
        assertEquals(5, s.write(address, 5));
        assertArrayEquals(hello, peer.getInputStream().readNBytes(5));
        peer.getOutputStream().write("world".getBytes(StandardCharsets.US_ASCII));
        int n = readSome(s, 100, 100);
        assertEquals("world", mem.getStringWithoutLengthAscii(100, n));
        peer.shutdownOutput();
        long until = System.nanoTime() + 5_000_000_000L;
        int r;
        while ((r = s.read(address, 100)) == 0 && System.nanoTime() < until) {
            Thread.sleep(1);
        }
        assertEquals(-1, r, "EOF");
        assertDescriptorFlags(s.fd());
    }

    @Test
    void shouldAcceptNonBlockingCloseOnExecSocketsOnBothPaths() throws Exception {
        for (boolean fcntlPath : new boolean[] {false, true}) {
            PosixSocket l = listener(new PosixSocketFactory(fcntlPath), new InetSocketAddress("127.0.0.1", 0));
            assertNull(l.accept(), "no pending connection: null, not an exception");
            assertDescriptorFlags(l.fd());
            track(new Socket("127.0.0.1", ((InetSocketAddress) l.localAddress()).getPort()));
            PosixSocket c = acceptWithin(l);
            assertDescriptorFlags(c.fd());
            assertEquals(0, c.read(address, 10));
        }
    }

    /** O_NONBLOCK (04000) and O_CLOEXEC (02000000) in the kernel's own view of the descriptor. */
    private static void assertDescriptorFlags(int fd) throws IOException {
        Path info = Path.of("/proc/self/fdinfo/" + fd);
        assumeTrue(Files.exists(info), "no /proc/self/fdinfo");
        String flagsLine = Files.readAllLines(info).stream().filter(l -> l.startsWith("flags:")).findFirst().orElseThrow();
        int flags = Integer.parseInt(flagsLine.substring(6).trim(), 8);
        assertTrue((flags & 04000) != 0, "O_NONBLOCK set: " + flagsLine);
        assertTrue((flags & 02000000) != 0, "O_CLOEXEC set: " + flagsLine);
    }

    private int readSome(PosixSocket s, int offset, int length) throws Exception {
        long until = System.nanoTime() + 5_000_000_000L;
        while (System.nanoTime() < until) {
            int n = s.read(address + offset, length);
            if (n != 0) {
                return n;
            }
            Thread.sleep(1);
        }
        throw new AssertionError("nothing arrived");
    }

    @Test
    void shouldGatherIovecsInOrderThroughWritev() throws Exception {
        ServerSocket server = track(new ServerSocket(0, 16, InetAddress.getByName("127.0.0.1")));
        PosixSocket s = track(new PosixSocketFactory().openStream(StandardProtocolFamily.INET));
        connect(s, (InetSocketAddress) server.getLocalSocketAddress());
        Socket peer = track(server.accept());
        String[] parts = {"alpha-", "", "beta-", "gamma"};
        int iov = 0;
        int data = 4096;
        for (int i = 0; i < parts.length; i++) {
            byte[] b = parts[i].getBytes(StandardCharsets.US_ASCII);
            mem.putBytes(data, b);
            mem.putLong(iov + i * abi.IOVEC_SIZE + abi.IOV_BASE, address + data);
            mem.putLong(iov + i * abi.IOVEC_SIZE + abi.IOV_LEN, b.length);
            data += 100;
        }
        // NetSocket's contract hard-codes 16-byte iovecs: base, then length.
        assertEquals(16, abi.IOVEC_SIZE);
        assertEquals(0, abi.IOV_BASE);
        assertEquals(8, abi.IOV_LEN);
        assertEquals(16, s.writev(address + iov, parts.length));
        assertEquals("alpha-beta-gamma", new String(peer.getInputStream().readNBytes(16), StandardCharsets.US_ASCII));
    }

    @Test
    void shouldRoundTripSoLingerAndResetThePeerWithLingerZero() throws Exception {
        ServerSocket server = track(new ServerSocket(0, 16, InetAddress.getByName("127.0.0.1")));
        PosixSocket s = track(new PosixSocketFactory().openStream(StandardProtocolFamily.INET));
        assertEquals(-1, s.getOption(StandardSocketOptions.SO_LINGER), "off by default");
        s.setOption(StandardSocketOptions.SO_LINGER, 7);
        assertEquals(7, s.getOption(StandardSocketOptions.SO_LINGER));
        s.setOption(StandardSocketOptions.SO_LINGER, -1);
        assertEquals(-1, s.getOption(StandardSocketOptions.SO_LINGER));
        connect(s, (InetSocketAddress) server.getLocalSocketAddress());
        Socket peer = track(server.accept());
        s.setOption(StandardSocketOptions.SO_LINGER, 0);
        s.close();
        // l_onoff = 1, l_linger = 0 at the offsets the kernel reads: close sends RST, not FIN.
        InputStream in = peer.getInputStream();
        SocketException reset = assertThrows(SocketException.class, in::read);
        assertTrue(reset.getMessage().contains("reset"), reset.getMessage());
    }

    @Test
    void shouldRoundTripTheIntegerAndBooleanOptions() throws Exception {
        PosixSocket s = track(new PosixSocketFactory().openStream(StandardProtocolFamily.INET));
        for (var o : List.of(StandardSocketOptions.TCP_NODELAY, StandardSocketOptions.SO_REUSEADDR,
                StandardSocketOptions.SO_REUSEPORT, StandardSocketOptions.SO_KEEPALIVE)) {
            s.setOption(o, true);
            assertEquals(Boolean.TRUE, s.getOption(o), o.name());
            s.setOption(o, false);
            assertEquals(Boolean.FALSE, s.getOption(o), o.name());
        }
        s.setOption(StandardSocketOptions.SO_RCVBUF, 64 * 1024);
        assertTrue(s.getOption(StandardSocketOptions.SO_RCVBUF) >= 64 * 1024);
        s.setOption(StandardSocketOptions.SO_SNDBUF, 32 * 1024);
        assertTrue(s.getOption(StandardSocketOptions.SO_SNDBUF) >= 32 * 1024);
        assertThrows(UnsupportedOperationException.class, () -> s.setOption(StandardSocketOptions.IP_TOS, 4));
        assertThrows(IllegalArgumentException.class, () -> s.setOption(StandardSocketOptions.SO_RCVBUF, -1));
    }

    @Test
    void shouldReportARefusedConnectWithTheAddressAndErrno() throws Exception {
        int port;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            port = probe.getLocalPort();
        }
        InetSocketAddress closed = new InetSocketAddress("127.0.0.1", port);
        PosixSocket s = track(new PosixSocketFactory().openStream(StandardProtocolFamily.INET));
        NativeIOException e = assertThrows(NativeIOException.class, () -> connect(s, closed));
        assertEquals(abi.ECONNREFUSED, e.errorNumber());
        assertTrue(e.getMessage().startsWith("connect(" + closed + ") failed: ECONNREFUSED"), e.getMessage());
    }

    @Test
    void shouldGiveEpipeOrEconnresetNotSigpipeWhenThePeerIsGone() throws Exception {
        ServerSocket server = track(new ServerSocket(0, 16, InetAddress.getByName("127.0.0.1")));
        PosixSocket s = track(new PosixSocketFactory().openStream(StandardProtocolFamily.INET));
        connect(s, (InetSocketAddress) server.getLocalSocketAddress());
        Socket peer = server.accept();
        peer.setSoLinger(true, 0);
        peer.close();
        NativeIOException e = null;
        long until = System.nanoTime() + 5_000_000_000L;
        while (e == null && System.nanoTime() < until) {
            try {
                s.write(address, 1000);
                Thread.sleep(1);
            } catch (NativeIOException x) {
                e = x;
            }
        }
        assertNotNull(e, "writing to a reset connection fails");
        assertTrue(e.errorNumber() == abi.EPIPE || e.errorNumber() == abi.ECONNRESET, e.getMessage());
        // Through sendmsg (writev) too: the msghdr carried MSG_NOSIGNAL, the JVM is still here.
        mem.putLong(0, address + 4096);
        mem.putLong(8, 10);
        NativeIOException v = assertThrows(NativeIOException.class, () -> s.writev(address, 1));
        assertEquals(abi.EPIPE, v.errorNumber(), v.getMessage());
        assertTrue(v.getMessage().startsWith("sendmsg(fd "), v.getMessage());
    }

    @Test
    void shouldFailCallsAfterCloseWithEbadfNotOnAReusedDescriptor() throws Exception {
        PosixSocket s = new PosixSocketFactory().openStream(StandardProtocolFamily.INET);
        int fd = s.fd();
        s.close();
        s.close();
        assertEquals(-1, s.fd());
        assertTrue(fd >= 0);
        NativeIOException e = assertThrows(NativeIOException.class, () -> s.read(address, 10));
        assertEquals(abi.EBADF, e.errorNumber());
        assertFalse(e.getMessage().isEmpty());
    }

    @Test
    void shouldReadErrnoWithoutAnExceptionAfterADirectMappedCall() {
        // The mechanism every hot path relies on: a failing direct-mapped call, then getLastError.
        assertEquals(-1L, LibC.read(-1, address, 1));
        assertEquals(abi.EBADF, Posix.errno());
        assertTrue(LibC.getpid() > 0);
    }
}
