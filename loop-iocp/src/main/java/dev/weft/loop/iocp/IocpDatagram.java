package dev.weft.loop.iocp;

import dev.weft.loop.DatagramEndpoint;
import dev.weft.loop.DatagramOptions;
import dev.weft.loop.DatagramProtocol;
import dev.weft.loop.DatagramTruncatedException;
import dev.weft.loop.LoopFuture;
import dev.weft.loop.NativeIOException;
import dev.weft.loop.TimerHandle;
import dev.weft.loop.transport.DatagramCore;
import dev.weft.loop.transport.DatagramIo;
import java.io.IOException;
import java.net.ConnectException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.StandardProtocolFamily;
import java.util.Enumeration;
import java.util.function.Supplier;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import static dev.weft.loop.iocp.WinConstants.*;

/**
 * The IOCP backend's half of a UDP endpoint ({@link DatagramCore} holds the protocol, the write
 * queue, flow control and the life cycle).
 *
 * <p><b>Receiving.</b> At most one overlapped WSARecvFrom is in flight, into this endpoint's own
 * {@value #READ_SIZE}-byte buffer (larger than any UDP datagram, IPv4 or IPv6, so nothing is cut
 * short in practice). When it completes, the datagram is delivered, then up to
 * {@value #READS_PER_COMPLETION} more are taken with plain non-blocking {@code recvfrom} (no packet,
 * no copy) before the next WSARecvFrom is posted, so the kernel's order is kept and a busy endpoint
 * cannot starve the loop. While reading is paused no receive is posted; a datagram whose receive
 * completed after the pause is held and delivered on resume. A datagram longer than the buffer is
 * delivered cut short, then {@link DatagramTruncatedException} reaches {@code errorReceived}
 * (WSAEMSGSIZE; an overlapped receive finishes with STATUS_BUFFER_OVERFLOW).
 *
 * <p><b>ICMP errors.</b> SIO_UDP_CONNRESET is left at its default (on): an ICMP port unreachable
 * answering an earlier send fails the next receive with WSAECONNRESET (Wine reports ECONNREFUSED
 * as WSAECONNREFUSED). It reaches {@code errorReceived} as a {@link ConnectException} and the next
 * receive is posted at once: the endpoint stays open and keeps reading (CPython gh-127057 is a
 * proactor loop that went deaf there). Other receive errors reach {@code errorReceived} too; the
 * receive after one of those is posted {@value #RETRY_MS} ms later, so an error that persists
 * cannot spin the loop.
 *
 * <p><b>Sending.</b> A datagram is first sent with plain non-blocking {@code sendto} from the
 * caller's memory. If the kernel would block, it is copied into this endpoint's send buffer and
 * sent with an overlapped WSASendTo; until that completes every further datagram waits in the
 * core's queue, in order, counted in the write buffer size; its completion drains the queue (and
 * finishes a {@code close()} waiting for it). An error of that send reaches {@code errorReceived}.
 *
 * <p><b>Memory.</b> Each OVERLAPPED, its WSABUF, the buffers, the flags and the sender's sockaddr
 * and its length live in one native block owned by this endpoint (an {@link IoBlock}); the kernel
 * owns the parts of an operation until its completion is dequeued, so the block is freed, and the
 * completion key released, only when the socket is closed and both operations have completed.
 * {@code close()} and {@code abort()} close the socket at once unless an overlapped send is in
 * flight: then the receive is cancelled and the socket is closed when that send completes, so the
 * datagram the kernel already took is not cancelled with it.
 *
 * <p><b>Completion packets.</b> The socket is associated with the port without
 * FILE_SKIP_COMPLETION_PORT_ON_SUCCESS: a receive finishing at once with a warning status
 * (STATUS_BUFFER_OVERFLOW, WSAEMSGSIZE) is neither a success nor a failure for that mode, and
 * Windows and Wine disagree on whether it still posts a packet. Without the mode every operation
 * that did not fail at once posts exactly one packet, on both. The overlapped calls are made only
 * after a plain call would have blocked, so they rarely finish at once and the extra packet costs
 * nothing on the busy path.
 *
 * <p><b>Options.</b> {@code reusePort} is refused: Windows has no SO_REUSEPORT, and its
 * SO_REUSEADDR lets another process take the port's datagrams without spreading them. An INET6
 * endpoint is dual-stack (IPV6_V6ONLY off, Windows' default being on): IPv4 peers are sent to as
 * IPv4-mapped addresses and reported as plain IPv4 ones.
 *
 * <p><b>Threads.</b> Loop thread only. Allocates nothing per datagram after warm-up: the sender is
 * decoded through a small cache keyed by its sockaddr bytes, and a target equal to the previous one
 * is not encoded again.
 */
final class IocpDatagram implements DatagramIo, Completion {
    /** The receive buffer: 64 KiB, above the largest UDP payload (65,507 bytes on IPv4, 65,527 on IPv6). */
    static final int READ_SIZE = 64 * 1024;
    /** Datagrams delivered per receive completion: the completed one and those taken with recvfrom. */
    static final int READS_PER_COMPLETION = 64;
    /** Delay before a receive is posted again after an error other than ICMP or truncation. */
    static final long RETRY_MS = 100;
    /** How {@code reusePort} is refused. */
    static final String REUSE_PORT_REFUSED = "unsupported on iocp: DatagramOptions.withReusePort (Windows has no"
            + " SO_REUSEPORT; its SO_REUSEADDR lets another process take the port's datagrams and does not"
            + " spread them)";

    // ---- UDP values of ws2def.h, ws2ipdef.h, mstcpip.h and winerror.h ----------------------------
    static final int SOCK_DGRAM = 2;
    static final int IPPROTO_UDP = 17;
    static final int IPPROTO_IP = 0;
    static final int SO_BROADCAST = 0x0020;
    static final int IP_MULTICAST_TTL = 10;
    static final int IP_MULTICAST_LOOP = 11;
    static final int IP_ADD_MEMBERSHIP = 12;
    static final int IP_DROP_MEMBERSHIP = 13;
    static final int IPV6_MULTICAST_HOPS = 10;
    static final int IPV6_MULTICAST_LOOP = 11;
    static final int IPV6_ADD_MEMBERSHIP = 12;
    static final int IPV6_DROP_MEMBERSHIP = 13;
    /** {@code struct ip_mreq}: group, then the interface's IPv4 address. */
    static final int IP_MREQ_SIZE = 8;
    /** {@code struct ipv6_mreq}: group (16 bytes), then the interface index (ULONG). */
    static final int IPV6_MREQ_SIZE = 20;
    static final int ERROR_MORE_DATA = 234;
    static final int ERROR_NETWORK_UNREACHABLE = 1231;
    static final int ERROR_HOST_UNREACHABLE = 1232;
    static final int WSAEMSGSIZE = 10040;
    static final int WSAENETRESET = 10052;

    // ---- the native block ------------------------------------------------------------------------
    // The two OVERLAPPED slots of the IoBlock, then this endpoint's fields.
    private static final int RECV = 0;
    private static final int SEND = 1;
    private static final int RECV_WSABUF = IoBlock.after(2);
    private static final int SEND_WSABUF = RECV_WSABUF + WSABUF_SIZE;
    private static final int RECV_FLAGS = SEND_WSABUF + WSABUF_SIZE;
    private static final int RECV_FROM_LEN = RECV_FLAGS + 4;
    private static final int OPT = RECV_FROM_LEN + 4;
    private static final int RECV_FROM = OPT + 24;
    private static final int TARGET = RECV_FROM + SOCKADDR_STORAGE_SIZE;
    private static final int SEND_DATA = TARGET + SOCKADDR_STORAGE_SIZE;
    private static final int RECV_DATA = SEND_DATA + READ_SIZE;

    private static final int SENDER_CACHE = 64;

    private final IocpDriver driver;
    private final long socket;
    private final boolean inet6;
    private final InetSocketAddress remote;
    private final int readSize;
    private final IoBlock ops;
    private final long block;
    private final UnsafeBuffer mem;
    private InetSocketAddress local;
    private int key = -1;
    private DatagramCore core;

    private boolean recvCancelled;
    private boolean closeAfterSend;
    private boolean retryScheduled;
    private TimerHandle retry;

    /** A datagram received while reading was paused: its length, in RECV_DATA, sender in RECV_FROM. */
    private int held = -1;
    private boolean heldTruncated;
    private boolean heldScheduled;

    private InetSocketAddress lastTarget;
    private int lastTargetLength;
    private final UnsafeBuffer senderKeys = new UnsafeBuffer(new byte[SENDER_CACHE * 32]);
    private final int[] senderLengths = new int[SENDER_CACHE];
    private final InetSocketAddress[] senders = new InetSocketAddress[SENDER_CACHE];

    /** For tests: every send takes the overlapped path, as when the kernel would block. */
    boolean overlappedSendsOnly;

    private final Runnable deliverHeld = this::deliverHeld;
    private final Runnable retryRead = this::retryRead;

    private IocpDatagram(IocpDriver driver, long socket, boolean inet6, InetSocketAddress remote, int readSize) {
        this.driver = driver;
        this.socket = socket;
        this.inet6 = inet6;
        this.remote = remote;
        this.readSize = readSize;
        this.ops = new IoBlock(2, RECV_DATA - RECV_WSABUF + readSize);
        this.block = ops.address;
        this.mem = new UnsafeBuffer(block, RECV_DATA + readSize);
    }

    /**
     * Opens an endpoint as {@link IocpDriver#openDatagram} promises, receiving into a buffer of
     * {@code readSize} bytes (at most {@link #READ_SIZE}; tests pass less to see truncation).
     * Returns the endpoint's I/O half, or null when it failed (and {@code result} says why).
     */
    static <P extends DatagramProtocol> IocpDatagram open(IocpDriver driver, Supplier<P> factory,
                                                          InetSocketAddress local, InetSocketAddress remote,
                                                          DatagramOptions options,
                                                          LoopFuture<DatagramEndpoint<P>> result, int readSize) {
        if (readSize < 1 || readSize > READ_SIZE) {
            throw new IllegalArgumentException("readSize out of range 1.." + READ_SIZE + ": " + readSize);
        }
        if (options.reusePort()) {
            result.setException(new UnsupportedOperationException(REUSE_PORT_REFUSED));
            return null;
        }
        StandardProtocolFamily family = options.family();
        if (family == null) {
            boolean six = (local != null && local.getAddress() instanceof Inet6Address)
                    || (remote != null && remote.getAddress() instanceof Inet6Address);
            family = six ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET;
        }
        boolean six = family == StandardProtocolFamily.INET6;
        if (!six) {
            for (InetSocketAddress a : new InetSocketAddress[] {local, remote}) {
                if (a != null && a.getAddress() instanceof Inet6Address) {
                    result.setException(new IllegalArgumentException("address " + a + " is IPv6 but family is INET"));
                    return null;
                }
            }
        }
        long s;
        try {
            WinSock.startup();
            s = Ws2.WSASocketW(six ? AF_INET6 : AF_INET, SOCK_DGRAM, IPPROTO_UDP, 0L, 0,
                    WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
            if (s == INVALID_SOCKET) {
                throw WinError.exception("WSASocketW(" + (six ? "AF_INET6" : "AF_INET") + ", SOCK_DGRAM)",
                        WinError.last());
            }
        } catch (IOException | RuntimeException e) {
            result.setException(e);
            return null;
        }
        IocpDatagram io = null;
        P protocol;
        try {
            io = new IocpDatagram(driver, s, six, remote, readSize);
            if (six) {
                WinSock.setInt(s, IPPROTO_IPV6, IPV6_V6ONLY, 0, "IPV6_V6ONLY");
            }
            if (options.allowBroadcast()) {
                WinSock.setInt(s, SOL_SOCKET, SO_BROADCAST, 1, "SO_BROADCAST");
            }
            // A dual-stack socket sends IPv4 multicast too: it gets the IPv4 option as well.
            if (options.multicastTtl() >= 0) {
                if (six) {
                    WinSock.setInt(s, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, options.multicastTtl(), "IPV6_MULTICAST_HOPS");
                }
                WinSock.setInt(s, IPPROTO_IP, IP_MULTICAST_TTL, options.multicastTtl(), "IP_MULTICAST_TTL");
            }
            if (options.multicastLoop() != null) {
                int on = options.multicastLoop() ? 1 : 0;
                if (six) {
                    WinSock.setInt(s, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, on, "IPV6_MULTICAST_LOOP");
                }
                WinSock.setInt(s, IPPROTO_IP, IP_MULTICAST_LOOP, on, "IP_MULTICAST_LOOP");
            }
            // Windows refuses a receive on an unbound socket: bind the wildcard when no address is given.
            InetSocketAddress bindTo = local != null ? local
                    : new InetSocketAddress(InetAddress.getByAddress(new byte[six ? 16 : 4]), 0);
            int length = io.encode(bindTo, io.block + TARGET);
            if (Ws2.bind(s, io.block + TARGET, length) != 0) {
                throw WinError.exception("bind(" + bindTo + ")", WinError.last());
            }
            if (remote != null) {
                length = io.encode(remote, io.block + TARGET);
                if (Ws2.connect(s, io.block + TARGET, length) != 0) {
                    throw WinError.exception("connect(" + remote + ")", WinError.last());
                }
            }
            io.local = WinSock.localAddress(s);
            protocol = factory.get();
            if (protocol == null) {
                throw new NullPointerException("protocol factory returned null");
            }
            io.key = driver.register(s, io, false);
        } catch (IOException | RuntimeException e) {
            WinSock.close(s);
            if (io != null) {
                // Nothing was started: no operation can still use the block.
                io.ops.close();
                io.maybeFree();
            }
            result.setException(e);
            return null;
        }
        DatagramCore core = new DatagramCore(driver.loop, io, protocol, remote);
        io.core = core;
        driver.opened(core);
        driver.loop.callSoon(() -> {
            if (result.isDone()) {
                core.closeNow();
                driver.closed(core);
                return;
            }
            core.start();
            result.setResult(new DatagramEndpoint<>(core, protocol));
        });
        return io;
    }

    // ------------------------------------------------------------------ completions

    @Override
    public void complete(long overlapped, int error, int bytes) {
        switch (ops.complete(overlapped)) {
            case RECV -> {
                if (!ops.isClosed()) {
                    received(error, bytes);
                }
            }
            case SEND -> sent(error);
            default -> { }
        }
        maybeFree();
    }

    private void received(int error, int bytes) {
        if (core.isLost()) {
            return;
        }
        boolean truncated = false;
        if (error != 0) {
            if (!isTruncation(error)) {
                core.errorReceived(failure("WSARecvFrom", error));
                if (isUnreachable(error)) {
                    startRead();
                } else {
                    scheduleRetry();
                }
                return;
            }
            truncated = true;
        }
        if (!core.wantsRead()) {
            held = bytes;
            heldTruncated = truncated;
            return;
        }
        deliver(bytes, truncated);
        drain(READS_PER_COMPLETION - 1);
        startRead();
    }

    /** Takes up to {@code max} datagrams the kernel already holds, with plain recvfrom. */
    private void drain(int max) {
        for (int i = 0; i < max && core.wantsRead() && !ops.isClosed(); i++) {
            Mem.putShort(block + RECV_FROM + SA_FAMILY, (short) 0);
            Mem.putInt(block + RECV_FROM_LEN, SOCKADDR_STORAGE_SIZE);
            int n = Ws2.recvfrom(socket, block + RECV_DATA, readSize, 0, block + RECV_FROM, block + RECV_FROM_LEN);
            if (n >= 0) {
                deliver(n, false);
                continue;
            }
            int error = WinError.last();
            if (error == WSAEWOULDBLOCK) {
                return;
            }
            if (error == WSAEMSGSIZE) {
                deliver(readSize, true);
                continue;
            }
            core.errorReceived(failure("recvfrom", error));
            if (!isUnreachable(error)) {
                return;
            }
        }
    }

    private void deliver(int bytes, boolean truncated) {
        UnsafeBuffer view = driver.readView;
        view.wrap(block + RECV_DATA, bytes);
        InetSocketAddress from = source();
        core.datagramReceived(view, from);
        if (truncated && !core.isLost()) {
            core.errorReceived(new DatagramTruncatedException("datagram from " + from + " was longer than the "
                    + readSize + "-byte receive buffer; " + bytes + " bytes delivered", bytes));
        }
    }

    /** Posts the next WSARecvFrom unless one is in flight, a datagram is held or reading is off. */
    private void startRead() {
        if (ops.inFlight(RECV) || held >= 0 || retryScheduled || ops.isClosed() || !core.wantsRead()) {
            return;
        }
        long wsabuf = block + RECV_WSABUF;
        Mem.putInt(wsabuf + WSABUF_LEN, readSize);
        Mem.putLong(wsabuf + WSABUF_BUF, block + RECV_DATA);
        Mem.putInt(block + RECV_FLAGS, 0);
        // A connected socket may leave the sender unwritten (Wine does): family 0 then means the peer.
        Mem.putShort(block + RECV_FROM + SA_FAMILY, (short) 0);
        Mem.putInt(block + RECV_FROM_LEN, SOCKADDR_STORAGE_SIZE);
        long ov = ops.start(RECV);
        recvCancelled = false;
        int rc = Ws2.WSARecvFrom(socket, wsabuf, 1, 0L, block + RECV_FLAGS, block + RECV_FROM,
                block + RECV_FROM_LEN, ov, 0L);
        if (rc != 0) {
            int error = WinError.last();
            // Pending, or finished at once with a warning status: a packet comes either way. A
            // failure at once posts none.
            if (error != WSA_IO_PENDING && error != WSAEMSGSIZE) {
                driver.defer(this, ov, error, 0);
            }
        }
    }

    private void scheduleRetry() {
        retryScheduled = true;
        retry = driver.loop.callLater(RETRY_MS, java.util.concurrent.TimeUnit.MILLISECONDS, retryRead);
    }

    private void retryRead() {
        retryScheduled = false;
        retry = null;
        if (!ops.isClosed() && !core.isLost()) {
            startRead();
        }
    }

    private void deliverHeld() {
        heldScheduled = false;
        if (held < 0 || ops.isClosed() || !core.wantsRead()) {
            return;
        }
        int n = held;
        held = -1;
        deliver(n, heldTruncated);
        drain(READS_PER_COMPLETION - 1);
        startRead();
    }

    private void sent(int error) {
        if (closeAfterSend) {
            // release() waited for this send before closing the socket.
            closeAfterSend = false;
            closeSocket();
            return;
        }
        if (ops.isClosed() || core.isLost()) {
            return;
        }
        if (error != 0) {
            core.errorReceived(failure("WSASendTo", error));
            if (core.isLost()) {
                return;
            }
        }
        // Sends the datagrams queued behind this one, resumes a paused protocol, ends a close().
        core.flush();
    }

    // ------------------------------------------------------------------ DatagramIo

    @Override
    public String backendName() {
        return driver.name;
    }

    @Override
    public boolean inet6() {
        return inet6;
    }

    @Override
    public boolean sendNow(long address, int length, java.net.SocketAddress target) throws IOException {
        if (ops.inFlight(SEND) || ops.isClosed()) {
            return false;
        }
        int toLength = 0;
        if (target != null) {
            if (target != lastTarget) {
                // DatagramCore lets only InetSocketAddress targets reach a UDP endpoint.
                lastTarget = (InetSocketAddress) target;
                lastTargetLength = encode(lastTarget, block + TARGET);
            }
            toLength = lastTargetLength;
        }
        long to = target != null ? block + TARGET : 0L;
        if (!overlappedSendsOnly) {
            int n = Ws2.sendto(socket, address, length, 0, to, toLength);
            if (n >= 0) {
                return true;
            }
            int error = WinError.last();
            if (error != WSAEWOULDBLOCK) {
                throw failure("sendto", error);
            }
        }
        // The kernel would block: hand it a copy with an overlapped send; later datagrams queue behind it.
        Mem.copy(address, block + SEND_DATA, length);
        long wsabuf = block + SEND_WSABUF;
        Mem.putInt(wsabuf + WSABUF_LEN, length);
        Mem.putLong(wsabuf + WSABUF_BUF, block + SEND_DATA);
        long ov = ops.start(SEND);
        int rc = Ws2.WSASendTo(socket, wsabuf, 1, 0L, 0, to, toLength, ov, 0L);
        if (rc != 0) {
            int e = WinError.last();
            if (e != WSA_IO_PENDING) {
                driver.defer(this, ov, e, 0);
            }
        }
        return true;
    }

    @Override
    public MutableDirectBuffer scratch() {
        return driver.scratch;
    }

    @Override
    public void interestChanged() {
        if (ops.isClosed() || core == null || core.isLost()) {
            return;
        }
        if (core.wantsRead()) {
            if (held >= 0) {
                if (!heldScheduled) {
                    heldScheduled = true;
                    driver.loop.callSoon(deliverHeld);
                }
            } else {
                startRead();
            }
        }
        // The core's queue grows only behind an overlapped send, whose completion drains it.
    }

    @Override
    public void release() {
        if (retry != null) {
            retry.cancel();
            retry = null;
            retryScheduled = false;
        }
        if (ops.inFlight(SEND) && !ops.isClosed()) {
            // Keep the socket until the kernel has sent the datagram it took; stop receiving now.
            closeAfterSend = true;
            if (ops.inFlight(RECV) && !recvCancelled) {
                recvCancelled = true;
                Kernel32.CancelIoEx(socket, ops.overlapped(RECV));
            }
            return;
        }
        closeSocket();
        maybeFree();
    }

    @Override
    public void forget() {
        driver.closed(core);
    }

    /** Loop closing: drop the socket at once, without callbacks. */
    @Override
    public void closeNow() {
        if (core != null) {
            core.closeNow();
            driver.closed(core);
        }
        closeAfterSend = false;
        closeSocket();
        maybeFree();
    }

    private void closeSocket() {
        if (ops.close()) {
            // Closing cancels whatever is in flight: each operation still completes, aborted.
            Ws2.closesocket(socket);
        }
    }

    /** Frees the block once the socket is closed and nothing is in flight; then forgets the key. */
    private void maybeFree() {
        if (ops.freeIfDone() && key >= 0) {
            driver.release(key);
        }
    }

    /** The peer ({@code peername}) is the core's to report. */
    @Override
    public Object info(String name) {
        return WinSock.info(name, socket, local, null);
    }

    @Override
    public void joinGroup(InetAddress group, NetworkInterface nif, boolean join) throws IOException {
        if (ops.isClosed()) {
            throw new IOException("endpoint is closed");
        }
        long opt = block + OPT;
        Mem.zero(opt, 24);
        int rc;
        String call;
        if (group instanceof Inet6Address) {
            if (!inet6) {
                throw new IllegalArgumentException("group " + group + " is IPv6 but the endpoint is IPv4");
            }
            Mem.copy(group.getAddress(), 0, opt, 16);
            Mem.putInt(opt + 16, nif != null ? nif.getIndex() : 0);
            call = join ? "setsockopt(IPV6_ADD_MEMBERSHIP, " : "setsockopt(IPV6_DROP_MEMBERSHIP, ";
            rc = Ws2.setsockopt(socket, IPPROTO_IPV6, join ? IPV6_ADD_MEMBERSHIP : IPV6_DROP_MEMBERSHIP, opt,
                    IPV6_MREQ_SIZE);
        } else {
            Mem.copy(group.getAddress(), 0, opt, 4);
            Inet4Address at = nif != null ? ipv4Of(nif) : null;
            if (nif != null && at == null) {
                throw new IllegalArgumentException("interface " + nif.getName() + " has no IPv4 address to join "
                        + group + " on");
            }
            if (at != null) {
                Mem.copy(at.getAddress(), 0, opt + 4, 4);
            }
            call = join ? "setsockopt(IP_ADD_MEMBERSHIP, " : "setsockopt(IP_DROP_MEMBERSHIP, ";
            rc = Ws2.setsockopt(socket, IPPROTO_IP, join ? IP_ADD_MEMBERSHIP : IP_DROP_MEMBERSHIP, opt, IP_MREQ_SIZE);
        }
        if (rc != 0) {
            throw WinError.exception(call + group.getHostAddress() + ")", WinError.last());
        }
    }

    private static Inet4Address ipv4Of(NetworkInterface nif) {
        for (Enumeration<InetAddress> e = nif.getInetAddresses(); e.hasMoreElements(); ) {
            InetAddress a = e.nextElement();
            if (a instanceof Inet4Address v4) {
                return v4;
            }
        }
        return null;
    }

    // ------------------------------------------------------------------ addresses and errors

    /**
     * Writes {@code a} at {@code to} as this socket's family takes it (an IPv4 address on a
     * dual-stack socket as ::ffff:a.b.c.d); returns the sockaddr's length.
     */
    private int encode(InetSocketAddress a, long to) {
        InetAddress ip = a.getAddress();
        if (inet6 && ip instanceof Inet4Address) {
            Mem.zero(to, SOCKADDR_IN6_SIZE);
            Mem.putShort(to + SA_FAMILY, AF_INET6);
            Mem.putShort(to + SA_PORT, Short.reverseBytes((short) a.getPort()));
            Mem.putShort(to + SIN6_ADDR + 10, (short) 0xffff);
            Mem.copy(ip.getAddress(), 0, to + SIN6_ADDR + 12, 4);
            return SOCKADDR_IN6_SIZE;
        }
        return WinSock.writeAddress(a, to);
    }

    /**
     * The sender of the datagram in RECV_DATA: the connected peer when the kernel wrote no address,
     * else the cached object for the same sockaddr bytes, else a new one, then cached.
     */
    private InetSocketAddress source() {
        int family = Mem.getShort(block + RECV_FROM + SA_FAMILY);
        if (family != AF_INET && family != AF_INET6) {
            return remote;
        }
        int offset = RECV_FROM;
        int len = family == AF_INET6 ? SOCKADDR_IN6_SIZE : 8;
        int h = len;
        for (int i = 0; i < len; i += 4) {
            h = h * 0x9E3779B1 + mem.getInt(offset + i);
        }
        int slot = (h ^ (h >>> 16)) & (SENDER_CACHE - 1);
        InetSocketAddress cached = senders[slot];
        if (cached != null && senderLengths[slot] == len) {
            int k = slot * 32;
            boolean same = true;
            for (int i = 0; i < len && same; i += 4) {
                same = senderKeys.getInt(k + i) == mem.getInt(offset + i);
            }
            if (same) {
                return cached;
            }
        }
        InetSocketAddress a = WinSock.readAddress(block + offset);
        senderKeys.putBytes(slot * 32, mem, offset, len);
        senderLengths[slot] = len;
        senders[slot] = a;
        return a;
    }

    /** A receive that finished cutting the datagram short (STATUS_BUFFER_OVERFLOW from the port, or WSAEMSGSIZE). */
    static boolean isTruncation(int error) {
        return error == ERROR_MORE_DATA || error == WSAEMSGSIZE;
    }

    /** The errors an ICMP unreachable (port, host or network) or time exceeded turns into. */
    static boolean isUnreachable(int error) {
        switch (error) {
            case WSAECONNRESET:
            case WSAECONNREFUSED:
            case WSAENETRESET:
            case WSAEHOSTUNREACH:
            case WSAENETUNREACH:
            case ERROR_CONNECTION_REFUSED:
            case ERROR_PORT_UNREACHABLE:
            case ERROR_HOST_UNREACHABLE:
            case ERROR_NETWORK_UNREACHABLE:
                return true;
            default:
                return false;
        }
    }

    /** The exception for {@code error} of {@code call}: ICMP unreachables as {@link ConnectException}. */
    IOException failure(String call, int error) {
        NativeIOException e = exception(call, error);
        if (!isUnreachable(error)) {
            return e;
        }
        ConnectException c = new ConnectException(call + ": ICMP unreachable" + (remote != null ? " from " + remote : "")
                + " (" + e.errorName() + ")");
        c.initCause(e);
        return c;
    }

    private static NativeIOException exception(String call, int error) {
        switch (error) {
            case WSAEMSGSIZE:
                return new NativeIOException(call, error, "WSAEMSGSIZE", "Message too long");
            case WSAENETRESET:
                return new NativeIOException(call, error, "WSAENETRESET", "Network dropped connection on reset");
            case ERROR_HOST_UNREACHABLE:
                return new NativeIOException(call, error, "ERROR_HOST_UNREACHABLE", "The remote host is unreachable");
            case ERROR_NETWORK_UNREACHABLE:
                return new NativeIOException(call, error, "ERROR_NETWORK_UNREACHABLE",
                        "The remote network is unreachable");
            default:
                return WinError.exception(call, error);
        }
    }

    @Override
    public String toString() {
        return "IocpDatagram[" + local + (remote != null ? " -> " + remote : "") + (ops.isClosed() ? ", closed" : "")
                + "]";
    }
}
