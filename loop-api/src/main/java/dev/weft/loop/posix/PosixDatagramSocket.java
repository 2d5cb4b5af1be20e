package dev.weft.loop.posix;

import com.sun.jna.Native;
import dev.weft.loop.NativeIOException;
import dev.weft.loop.UnixSocketAddress;
import dev.weft.loop.spi.DatagramSocket;
import java.io.IOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketAddress;
import java.net.SocketOption;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * A non-blocking, close-on-exec datagram socket on a file descriptor ({@code recvfrom}/{@code sendto}
 * through JNA direct mapping): UDP, or a Unix datagram socket ({@code AF_UNIX}, {@code SOCK_DGRAM};
 * see below). Linux only: the constants below are Linux's ({@code <bits/socket.h>},
 * {@code <linux/in.h>}, {@code <linux/in6.h>}); the factory refuses other ABIs.
 *
 * <p><b>Unix datagram sockets</b> take and give {@link UnixSocketAddress}es ({@code sockaddr_un},
 * abstract names by their length); a sender that bound no name is {@link UnixSocketAddress#UNNAMED}.
 * They use the same batches (the names fit the 128-byte slots), and no GSO or GRO (UDP options).
 * A send or connect to a path nobody binds fails with a {@link ConnectException} naming the path
 * (ECONNREFUSED: a stale file; ENOENT: no file); an abstract name in use fails bind with
 * {@link BindException} "Address already in use".
 *
 * <p><b>No allocation per datagram.</b> Each socket owns a small off-heap area for the sockaddr of
 * the last sender and of the last target. A sender whose sockaddr bytes equal the previous one's
 * is returned as the same address object; a target equal to the previous one is not
 * encoded again ({@code InetAddress.getAddress()} copies an array).
 *
 * <p><b>Batches.</b> Unless {@code -D}{@value #BATCH_PROPERTY}{@code =false}, or the factory was
 * made {@link PosixSocketFactory#withoutDatagramBatches() without them}, the socket also moves up
 * to {@link DatagramBatch#SIZE} datagrams per call with {@code recvmmsg} and {@code sendmmsg}
 * ({@link #receiveBatch}, {@link #stage}, {@link #sendStaged}), through the JNI fast path when its
 * library has them ({@link FastPath#MMSG}), else through JNA, in the thread's {@link DatagramBatch}.
 * The kernel's order is kept and each datagram keeps its own sender. Senders are decoded through a
 * small cache keyed by the sockaddr bytes (64 entries), so up to that many peers taking turns cost
 * no allocation.
 *
 * <p><b>GSO and GRO.</b> With batches on, unless {@code -D}{@value #GSO_PROPERTY}{@code =false},
 * a socket probes the kernel when it is opened or adopted: {@code UDP_SEGMENT} (Linux 4.18) lets a
 * run of staged datagrams to one target, all of one length but a shorter last one, leave as one
 * message that the kernel cuts into those datagrams again ({@code DatagramBatch.gsoVector}); only
 * such runs use it, so each datagram keeps its boundary, its order and its target, and other
 * datagrams go out as before. A run the kernel refuses (EINVAL, EMSGSIZE: a segment above the path
 * MTU; EIO: no checksum offload on the route) is sent again datagram by datagram; the socket then
 * stops joining segments that large, and after four refusals stops joining at
 * all. {@code UDP_GRO} (Linux 5.0) lets the kernel hand over a run that arrived coalesced as one
 * message with its segment size, which {@code DatagramBatch.split} cuts into the original
 * datagrams, all from the one sender, in order. Where the kernel has neither, the socket works as
 * without them.
 *
 * <p><b>Truncation</b> is detected with {@code MSG_TRUNC} in {@code recvfrom}'s flags (Linux returns
 * the datagram's real length). ECONNREFUSED (an ICMP port unreachable queued on the socket) is thrown
 * as {@link ConnectException}, also when a readiness backend read it first ({@link #socketErrorSeen}).
 * Loop thread only; after {@link #close()} calls fail on descriptor -1.
 */
public final class PosixDatagramSocket implements DatagramSocket {
    private static final PosixAbi ABI = PosixAbi.current();
    /** The system property that turns batched receive and send off when {@code false}. */
    public static final String BATCH_PROPERTY = "weft.datagram.batch";
    private static final boolean BATCH = !"false".equalsIgnoreCase(System.getProperty(BATCH_PROPERTY, "true").trim());
    /** The system property that turns UDP GSO and GRO off when {@code false} (they need batches too). */
    public static final String GSO_PROPERTY = "weft.datagram.gso";
    private static final boolean GSO = BATCH
            && !"false".equalsIgnoreCase(System.getProperty(GSO_PROPERTY, "true").trim());
    /** Refused GSO sends after which a socket stops using GSO. */
    static final int GSO_REFUSALS = 4;
    /** Payload bytes of one GSO message: the IPv4 UDP maximum (IPv6 allows 20 more). */
    static final int GSO_MAX_BYTES = 65_507;
    /**
     * Slots of the sender cache: two-way sets, so that any two senders taking turns stay cached
     * together whatever their hashes (a direct-mapped cache let two whose hashes met in one slot
     * evict each other on every datagram).
     */
    private static final int SENDER_CACHE = 64;
    /** Bytes of a cached sender's sockaddr: the whole of sockaddr_in, sockaddr_in6 and sockaddr_un (110). */
    private static final int SENDER_KEY = 112;
    static final int SOCK_DGRAM = 2;
    static final int SO_TYPE = 3;
    static final int SO_PROTOCOL = 38;
    static final int SO_DOMAIN = 39;
    static final int IPPROTO_UDP = 17;
    static final int MSG_TRUNC = 0x20;
    static final int SO_BROADCAST = 6;
    static final int IPPROTO_IP = 0;
    static final int IP_MULTICAST_TTL = 33;
    static final int IP_MULTICAST_LOOP = 34;
    static final int IP_ADD_MEMBERSHIP = 35;
    static final int IP_DROP_MEMBERSHIP = 36;
    static final int IPV6_MULTICAST_HOPS = 18;
    static final int IPV6_MULTICAST_LOOP = 19;
    static final int IPV6_ADD_MEMBERSHIP = 20;
    static final int IPV6_DROP_MEMBERSHIP = 21;

    private static final int RECV_ADDR = 0;
    private static final int RECV_LEN = 128;
    private static final int SEND_ADDR = 272;
    private static final int OPT = 400;
    private static final int SIZE = 448;

    private int fd;
    private final boolean inet6;
    private final boolean unix;
    private final ByteBuffer memory = ByteBuffer.allocateDirect(SIZE);
    private final long base = BufferUtil.address(memory);
    private final UnsafeBuffer mem = new UnsafeBuffer(memory);
    private SocketAddress source;
    private boolean truncated;
    private SocketAddress lastTarget;
    private int lastTargetLen;
    private SocketAddress remote;
    private DatagramBatch batch;
    private final boolean batches;
    /** An error a readiness backend took from SO_ERROR, reported by the next receive or send (0: none). */
    private int errorSeen;
    private final UnsafeBuffer senderKeys = new UnsafeBuffer(new byte[SENDER_CACHE * SENDER_KEY]);
    private final int[] senderLengths = new int[SENDER_CACHE];
    private final SocketAddress[] senders = new SocketAddress[SENDER_CACHE];
    /** Per set of the sender cache, the way (0 or 1) that answered or was filled last. */
    private final byte[] senderRecent = new byte[SENDER_CACHE / 2];
    /** UDP_GRO is on: received messages may be coalesced runs, split by their control data. */
    private boolean gro;
    /** Largest segment joined with UDP_SEGMENT; 0 when GSO is not used. */
    private int gsoMaxSegment;
    private int gsoRefusals;
    /** Whether the last batch received filled every message slot. */
    private boolean batchFull;

    PosixDatagramSocket(int fd, boolean inet6, boolean batches) {
        this(fd, inet6, false, batches);
    }

    private PosixDatagramSocket(int fd, boolean inet6, boolean unix, boolean batches) {
        this.fd = fd;
        this.inet6 = inet6;
        this.unix = unix;
        this.batches = batches && BATCH;
    }

    @Override
    public int fd() {
        return fd;
    }

    @Override
    public StandardProtocolFamily family() {
        return unix ? StandardProtocolFamily.UNIX : inet6 ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET;
    }

    @Override
    public int receive(long address, int length) throws IOException {
        if (errorSeen != 0) {
            throw failure("recvfrom(fd " + fd + ")", takeErrorSeen());
        }
        for (;;) {
            mem.putInt(RECV_LEN, ABI.SOCKADDR_STORAGE_SIZE);
            long n = LibC.recvfrom(fd, address, length, MSG_TRUNC, base + RECV_ADDR, base + RECV_LEN);
            if (n >= 0) {
                truncated = n > length;
                source = decodeSource();
                return (int) Math.min(n, length);
            }
            int e = Native.getLastError();
            if (e == ABI.EAGAIN || e == ABI.EWOULDBLOCK) {
                return WOULD_BLOCK;
            }
            if (e != ABI.EINTR) {
                throw failure("recvfrom(fd " + fd + ")", e);
            }
        }
    }

    private SocketAddress decodeSource() {
        return sender(mem, RECV_ADDR, mem.getInt(RECV_LEN));
    }

    /**
     * The sender whose sockaddr ({@code len} bytes) is at {@code offset} of {@code buf}: the cached
     * object when the same bytes were seen recently, else a new one, then cached. The bytes are
     * compared exactly (all of them, a Unix path's last bytes included).
     */
    private SocketAddress sender(UnsafeBuffer buf, int offset, int len) {
        if (unix && len <= ABI.SUN_PATH) {
            return UnixSocketAddress.UNNAMED;
        }
        len = Math.max(0, Math.min(len, SENDER_KEY));
        int words = len & ~3;
        int h = len;
        for (int i = 0; i < words; i += 4) {
            h = h * 0x9E3779B1 + buf.getInt(offset + i);
        }
        for (int i = words; i < len; i++) {
            h = h * 31 + buf.getByte(offset + i);
        }
        // Murmur3's finalizer: senders that differ in the port alone (bits 16..31 of the first word)
        // spread over the sets instead of sharing their low bits.
        h ^= h >>> 16;
        h *= 0x85EBCA6B;
        h ^= h >>> 13;
        h *= 0xC2B2AE35;
        h ^= h >>> 16;
        int set = h & (SENDER_CACHE / 2 - 1);
        for (int way = 0; way < 2; way++) {
            int slot = 2 * set + way;
            if (senders[slot] != null && senderLengths[slot] == len && sameKey(slot, buf, offset, len)) {
                senderRecent[set] = (byte) way;
                return senders[slot];
            }
        }
        SocketAddress a = unix ? SockAddr.decodeUnix(ABI, buf, offset, len) : SockAddr.decode(ABI, buf, offset);
        if (a == null) {
            return remote;
        }
        int way = 1 - senderRecent[set];
        int slot = 2 * set + way;
        senderKeys.putBytes(slot * SENDER_KEY, buf, offset, len);
        senderLengths[slot] = len;
        senders[slot] = a;
        senderRecent[set] = (byte) way;
        return a;
    }

    /** Whether cache slot {@code slot} holds exactly the {@code len} sockaddr bytes at {@code offset}. */
    private boolean sameKey(int slot, UnsafeBuffer buf, int offset, int len) {
        int k = slot * SENDER_KEY;
        int words = len & ~3;
        for (int i = 0; i < words; i += 4) {
            if (senderKeys.getInt(k + i) != buf.getInt(offset + i)) {
                return false;
            }
        }
        for (int i = words; i < len; i++) {
            if (senderKeys.getByte(k + i) != buf.getByte(offset + i)) {
                return false;
            }
        }
        return true;
    }

    private IOException failure(String call, int errno) {
        if (unix) {
            return unixFailure(call, errno);
        }
        if (errno == ABI.ECONNREFUSED) {
            ConnectException c = new ConnectException(call + ": ICMP port unreachable"
                    + (remote != null ? " from " + remote : "") + " (ECONNREFUSED)");
            c.initCause(Posix.error(call, errno));
            return c;
        }
        return Posix.error(call, errno);
    }

    /**
     * A Unix socket's failure: a path nobody binds (ECONNREFUSED: a file no socket is bound to;
     * ENOENT: no file) as {@link ConnectException}, the rest as the call's error.
     */
    private IOException unixFailure(String call, int errno) {
        String name = ABI.errnoName(errno);
        String why = errno == ABI.ECONNREFUSED ? "no socket is bound to the path (a stale socket file)"
                : "ENOENT".equals(name) ? "no socket file at the path"
                : "EPROTOTYPE".equals(name) ? "the socket at the path is not a datagram socket" : null;
        if (why == null) {
            return Posix.error(call, errno);
        }
        ConnectException c = new ConnectException(call + ": " + why + " (" + name + ")");
        c.initCause(Posix.error(call, errno));
        return c;
    }

    @Override
    public SocketAddress source() {
        return source;
    }

    @Override
    public boolean truncated() {
        return truncated;
    }

    @Override
    public int send(long address, int length, SocketAddress target) throws IOException {
        long addr = 0;
        int addrLen = 0;
        if (target != null) {
            if (target != lastTarget && !target.equals(lastTarget)) {
                lastTargetLen = encode(target);
                lastTarget = target;
            }
            addr = base + SEND_ADDR;
            addrLen = lastTargetLen;
        }
        if (errorSeen != 0) {
            throw failure("sendto(" + name(target != null ? target : remote) + ")", takeErrorSeen());
        }
        for (;;) {
            long n = LibC.sendto(fd, address, length, ABI.MSG_NOSIGNAL, addr, addrLen);
            if (n >= 0) {
                return (int) n;
            }
            int e = Native.getLastError();
            if (e == ABI.EAGAIN || e == ABI.EWOULDBLOCK) {
                return WOULD_BLOCK;
            }
            if (e != ABI.EINTR) {
                throw failure("sendto(" + name(target != null ? target : remote) + ")", e);
            }
        }
    }

    /**
     * Hands over a socket error that a readiness backend found in an event for this socket: the
     * next {@link #receive} or {@link #send} throws it, as the kernel would have reported it had it
     * not been read. For event sources that read {@code SO_ERROR} and so clear it: libkqueue takes
     * an ICMP port unreachable (ECONNREFUSED) that way and puts it in the event's {@code fflags}.
     * An errno of 0 is ignored. Loop thread only.
     */
    public void socketErrorSeen(int errno) {
        if (errno != 0) {
            errorSeen = errno;
        }
    }

    private int takeErrorSeen() {
        int e = errorSeen;
        errorSeen = 0;
        return e;
    }

    // ------------------------------------------------------------------ batches

    @Override
    public int batchSize() {
        return batches ? DatagramBatch.SIZE : 0;
    }

    private DatagramBatch batch() {
        DatagramBatch b = batch;
        if (b == null) {
            b = DatagramBatch.forThisThread();
            batch = b;
        }
        return b;
    }

    /**
     * Probes and turns on UDP GSO and GRO (see the class comment), unless switched off. A kernel
     * without them refuses the options (ENOPROTOOPT); the socket then works without them.
     */
    void configure(boolean adopted) {
        if (unix) {
            return;
        }
        Scratch sc = Scratch.get();
        if (!GSO) {
            if (adopted) {
                // The caller may have turned UDP_GRO on; coalesced messages are only split with it.
                sc.buffer.putInt(Scratch.OPT, 0);
                LibC.setsockopt(fd, DatagramBatch.SOL_UDP, DatagramBatch.UDP_GRO, sc.opt(), 4);
            }
            return;
        }
        sc.buffer.putInt(Scratch.OPT, 0);
        sc.buffer.putInt(Scratch.OPT_LEN, 4);
        if (LibC.getsockopt(fd, DatagramBatch.SOL_UDP, DatagramBatch.UDP_SEGMENT, sc.opt(), sc.optLen()) == 0) {
            gsoMaxSegment = GSO_MAX_BYTES;
        }
        sc.buffer.putInt(Scratch.OPT, 1);
        gro = LibC.setsockopt(fd, DatagramBatch.SOL_UDP, DatagramBatch.UDP_GRO, sc.opt(), 4) == 0;
    }

    /** Whether staged runs are sent with UDP_SEGMENT (GSO) now. */
    public boolean segmentsSends() {
        return gsoMaxSegment > 0;
    }

    /** Whether UDP_GRO is on: coalesced runs are received and split. */
    public boolean coalescesReceives() {
        return gro;
    }

    /** Whether the last {@link #receiveBatch} filled every message slot, so more may be waiting. */
    @Override
    public boolean batchFilled() {
        return batchFull;
    }

    /** Messages the last {@link #receiveBatch} took from the kernel (fewer than its datagrams when runs came coalesced). */
    public int batchMessages() {
        DatagramBatch b = batch;
        return b == null ? 0 : b.received;
    }

    @Override
    public int receiveBatch() throws IOException {
        DatagramBatch b = batch();
        long vector = b.receiveVector(ABI, gro);
        for (;;) {
            int n;
            int e;
            if (FastPath.MMSG) {
                n = FastPath.recvmmsg(fd, vector, DatagramBatch.SIZE, 0);
                e = n < 0 ? -n : 0;
            } else {
                n = DatagramCalls.recvmmsg(fd, vector, DatagramBatch.SIZE, 0, 0);
                e = n < 0 ? Native.getLastError() : 0;
            }
            if (n > 0) {
                b.received = n;
                batchFull = n == DatagramBatch.SIZE;
                return gro ? b.split(ABI, n) : n;
            }
            if (n == 0 || e == ABI.EAGAIN || e == ABI.EWOULDBLOCK) {
                batchFull = false;
                return WOULD_BLOCK;
            }
            if (e != ABI.EINTR) {
                batchFull = false;
                throw failure("recvmmsg(fd " + fd + ")", e);
            }
        }
    }

    @Override
    public long batchAddress(int i) {
        DatagramBatch b = batch;
        return b.segments < 0 ? b.address(i) : b.address(b.segMessage[i]) + b.segOffset[i];
    }

    @Override
    public int batchLength(int i) {
        DatagramBatch b = batch;
        return b.segments < 0 ? b.length(i) : b.segLength[i];
    }

    /** A cut-short coalesced message marks its last datagram. */
    @Override
    public boolean batchTruncated(int i) {
        DatagramBatch b = batch;
        if (b.segments < 0) {
            return (b.flags(ABI, i) & MSG_TRUNC) != 0;
        }
        int m = b.segMessage[i];
        boolean last = i + 1 == b.segments || b.segMessage[i + 1] != m;
        return last && (b.flags(ABI, m) & MSG_TRUNC) != 0;
    }

    @Override
    public SocketAddress batchSource(int i) {
        DatagramBatch b = batch;
        int m = b.segments < 0 ? i : b.segMessage[i];
        return sender(b.mem, b.nameOffset(m), b.nameLength(ABI, m));
    }

    @Override
    public boolean stage(org.agrona.DirectBuffer data, int length, SocketAddress target) throws IOException {
        if (!BATCH) {
            return false;
        }
        DatagramBatch b = batch();
        if (b.stagedBy != null && b.stagedBy != this) {
            throw new IllegalStateException("another socket's datagrams are staged on this thread");
        }
        if (!b.fits(length)) {
            return false;
        }
        int nameLen = 0;
        if (target != null) {
            if (target != lastTarget && !target.equals(lastTarget)) {
                lastTargetLen = encode(target);
                lastTarget = target;
            }
            nameLen = lastTargetLen;
        }
        int at = b.stage(ABI, length, mem, SEND_ADDR, nameLen, target);
        b.mem.putBytes(at, data, 0, length);
        b.stagedBy = this;
        return true;
    }

    @Override
    public int staged() {
        DatagramBatch b = batch;
        return b != null && b.stagedBy == this ? b.staged : 0;
    }

    @Override
    public int sendStaged(int from) throws IOException {
        DatagramBatch b = batch;
        if (gsoMaxSegment > 0) {
            int messages = b.gsoVector(ABI, from, gsoMaxSegment, GSO_MAX_BYTES);
            if (messages > 0) {
                int sent = sendSegmented(b, from, messages);
                if (sent != 0) {
                    return sent;
                }
                // Refused: the same datagrams go out one message each below.
            }
        }
        long vector = b.sendVector(from);
        int count = b.staged - from;
        for (;;) {
            int n;
            int e;
            if (FastPath.MMSG) {
                n = FastPath.sendmmsg(fd, vector, count, ABI.MSG_NOSIGNAL);
                e = n < 0 ? -n : 0;
            } else {
                n = DatagramCalls.sendmmsg(fd, vector, count, ABI.MSG_NOSIGNAL);
                e = n < 0 ? Native.getLastError() : 0;
            }
            if (n > 0) {
                return n;
            }
            if (n == 0 || e == ABI.EAGAIN || e == ABI.EWOULDBLOCK) {
                return WOULD_BLOCK;
            }
            if (e != ABI.EINTR) {
                SocketAddress t = b.targets[from];
                throw failure("sendmmsg(" + name(t != null ? t : remote) + ")", e);
            }
        }
    }

    /**
     * Sends the {@code messages} of {@code DatagramBatch.gsoVector}: the datagrams the kernel took,
     * {@link #WOULD_BLOCK}, or 0 when it refused the first message's segmentation (then the caller
     * sends them plainly).
     */
    private int sendSegmented(DatagramBatch b, int from, int messages) throws IOException {
        long vector = b.gsoVectorAddress();
        for (;;) {
            int n;
            int e;
            if (FastPath.MMSG) {
                n = FastPath.sendmmsg(fd, vector, messages, ABI.MSG_NOSIGNAL);
                e = n < 0 ? -n : 0;
            } else {
                n = DatagramCalls.sendmmsg(fd, vector, messages, ABI.MSG_NOSIGNAL);
                e = n < 0 ? Native.getLastError() : 0;
            }
            if (n > 0) {
                return b.gsoEnd[n - 1] - from;
            }
            if (n == 0 || e == ABI.EAGAIN || e == ABI.EWOULDBLOCK) {
                return WOULD_BLOCK;
            }
            if (e == ABI.EINTR) {
                continue;
            }
            if (b.gsoJoined(ABI, 0) && (e == ABI.EINVAL || e == ABI.EMSGSIZE || e == ABI.EIO)) {
                gsoRefused(b.gsoSegment(0), e);
                return 0;
            }
            SocketAddress t = b.targets[from];
            throw failure("sendmmsg(" + name(t != null ? t : remote) + ")", e);
        }
    }

    /** The kernel refused to segment {@code segment}-byte datagrams: join smaller ones only, or none. */
    private void gsoRefused(int segment, int errno) {
        gsoRefusals++;
        if (errno == ABI.EIO || gsoRefusals >= GSO_REFUSALS || segment <= 1) {
            gsoMaxSegment = 0;
        } else {
            gsoMaxSegment = Math.min(gsoMaxSegment, segment - 1);
        }
    }

    @Override
    public long stagedAddress(int i) {
        return batch.stagedAddress(ABI, i);
    }

    @Override
    public int stagedLength(int i) {
        return batch.stagedLength(ABI, i);
    }

    @Override
    public SocketAddress stagedTarget(int i) {
        return batch.targets[i];
    }

    @Override
    public void clearStaged() {
        DatagramBatch b = batch;
        if (b != null && b.stagedBy == this) {
            b.clearStaged();
        }
    }

    @Override
    public void bind(SocketAddress local) throws IOException {
        lastTarget = null;
        int len = encode(local);
        if (LibC.bind(fd, base + SEND_ADDR, len) != 0) {
            int e = Native.getLastError();
            if (unix && "EADDRINUSE".equals(ABI.errnoName(e))) {
                BindException b = new BindException("Address already in use: " + name(local));
                b.initCause(Posix.error("bind(" + name(local) + ")", e));
                throw b;
            }
            throw Posix.error("bind(" + name(local) + ")", e);
        }
    }

    @Override
    public void connect(SocketAddress remote) throws IOException {
        lastTarget = null;
        int len = encode(remote);
        if (LibC.connect(fd, base + SEND_ADDR, len) != 0) {
            int e = Native.getLastError();
            throw unix ? unixFailure("connect(" + name(remote) + ")", e) : Posix.error("connect(" + remote + ")", e);
        }
        this.remote = remote;
    }

    /**
     * Writes {@code a} as this socket's sockaddr at {@code SEND_ADDR}; its length. An address of the
     * other kind fails with {@link IllegalArgumentException}.
     */
    private int encode(SocketAddress a) throws IOException {
        if (unix) {
            if (!(a instanceof UnixSocketAddress u)) {
                throw new IllegalArgumentException("a Unix datagram socket needs a UnixSocketAddress, got " + a);
            }
            return SockAddr.encodeUnix(ABI, mem, SEND_ADDR, u);
        }
        if (!(a instanceof InetSocketAddress i)) {
            throw new IllegalArgumentException("a UDP socket needs an InetSocketAddress, got " + a);
        }
        return inet6 ? SockAddr.encodeAs6(ABI, mem, SEND_ADDR, i) : SockAddr.encode(ABI, mem, SEND_ADDR, i);
    }

    /** An address as errors name it: a Unix path in quotes (an abstract name as {@code @name}). */
    private String name(SocketAddress a) {
        return unix && a != null ? "'" + a + "'" : String.valueOf(a);
    }

    @Override
    public <T> void setOption(SocketOption<T> option, T value) throws IOException {
        if (value == null) {
            throw new IllegalArgumentException("null value for socket option " + option.name());
        }
        int v = value instanceof Boolean b ? (b ? 1 : 0) : (Integer) value;
        int[] ln = levelName(option);
        mem.putInt(OPT, v);
        if (LibC.setsockopt(fd, ln[0], ln[1], base + OPT, 4) != 0) {
            throw Posix.error("setsockopt(fd " + fd + ", " + option.name() + ")", Native.getLastError());
        }
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T> T getOption(SocketOption<T> option) throws IOException {
        int[] ln = levelName(option);
        mem.putInt(OPT, 0);
        mem.putInt(OPT + 8, 4);
        if (LibC.getsockopt(fd, ln[0], ln[1], base + OPT, base + OPT + 8) != 0) {
            throw Posix.error("getsockopt(fd " + fd + ", " + option.name() + ")", Native.getLastError());
        }
        int v = mem.getInt(OPT);
        return option.type() == Boolean.class ? (T) Boolean.valueOf(v != 0) : (T) Integer.valueOf(v);
    }

    private int[] levelName(SocketOption<?> o) {
        int sol = ABI.SOL_SOCKET;
        if (o == StandardSocketOptions.SO_REUSEPORT) {
            return new int[] {sol, ABI.SO_REUSEPORT};
        } else if (o == StandardSocketOptions.SO_BROADCAST) {
            return new int[] {sol, SO_BROADCAST};
        } else if (o == StandardSocketOptions.SO_RCVBUF) {
            return new int[] {sol, ABI.SO_RCVBUF};
        } else if (o == StandardSocketOptions.SO_SNDBUF) {
            return new int[] {sol, ABI.SO_SNDBUF};
        } else if (o == StandardSocketOptions.SO_REUSEADDR) {
            return new int[] {sol, ABI.SO_REUSEADDR};
        } else if (o == StandardSocketOptions.IP_MULTICAST_TTL) {
            return inet6 ? new int[] {ABI.IPPROTO_IPV6, IPV6_MULTICAST_HOPS} : new int[] {IPPROTO_IP, IP_MULTICAST_TTL};
        } else if (o == StandardSocketOptions.IP_MULTICAST_LOOP) {
            return inet6 ? new int[] {ABI.IPPROTO_IPV6, IPV6_MULTICAST_LOOP} : new int[] {IPPROTO_IP, IP_MULTICAST_LOOP};
        }
        throw new UnsupportedOperationException("socket option " + o.name() + " is not supported on UDP sockets here");
    }

    @Override
    public void joinGroup(InetAddress group, NetworkInterface networkInterface) throws IOException {
        membership(group, networkInterface, true);
    }

    @Override
    public void leaveGroup(InetAddress group, NetworkInterface networkInterface) throws IOException {
        membership(group, networkInterface, false);
    }

    /** struct ip_mreqn {multiaddr, address, ifindex} (12 bytes); struct ipv6_mreq {addr[16], ifindex} (20). */
    private void membership(InetAddress group, NetworkInterface nif, boolean join) throws IOException {
        int index = nif == null ? 0 : nif.getIndex();
        mem.setMemory(OPT, 24, (byte) 0);
        int level;
        int name;
        int len;
        if (group instanceof Inet4Address) {
            mem.putBytes(OPT, group.getAddress());
            mem.putInt(OPT + 8, index);
            level = IPPROTO_IP;
            name = join ? IP_ADD_MEMBERSHIP : IP_DROP_MEMBERSHIP;
            len = 12;
        } else if (inet6 && group instanceof Inet6Address) {
            mem.putBytes(OPT, group.getAddress());
            mem.putInt(OPT + 16, index);
            level = ABI.IPPROTO_IPV6;
            name = join ? IPV6_ADD_MEMBERSHIP : IPV6_DROP_MEMBERSHIP;
            len = 20;
        } else {
            throw new IllegalArgumentException("IPv6 group " + group + " on an IPv4 endpoint");
        }
        if (LibC.setsockopt(fd, level, name, base + OPT, len) != 0) {
            throw Posix.error("setsockopt(fd " + fd + ", " + (join ? "join " : "leave ") + group + ")",
                    Native.getLastError());
        }
    }

    @Override
    public SocketAddress localAddress() throws IOException {
        Scratch s = Scratch.get();
        s.buffer.putInt(Scratch.ADDR_LEN, ABI.SOCKADDR_STORAGE_SIZE);
        if (LibC.getsockname(fd, s.addr(), s.addrLen()) != 0) {
            throw Posix.error("getsockname(fd " + fd + ")", Native.getLastError());
        }
        if (unix) {
            return SockAddr.decodeUnix(ABI, s.buffer, Scratch.ADDR, s.buffer.getInt(Scratch.ADDR_LEN));
        }
        return SockAddr.decode(ABI, s.buffer, Scratch.ADDR);
    }

    @Override
    public Object handle() {
        return fd;
    }

    @Override
    public void close() throws IOException {
        int f = fd;
        if (f >= 0) {
            clearStaged();
            fd = -1;
            BufferUtil.free(memory);
            Posix.close(f, "fd " + f);
        }
    }

    @Override
    public String toString() {
        return "PosixDatagramSocket[fd " + fd + (unix ? ", unix" : "") + "]";
    }

    /**
     * The caller's UDP socket {@code fd}, checked before anything changes: it must be an open
     * {@code AF_INET} or {@code AF_INET6} socket of type {@code SOCK_DGRAM} and protocol UDP, else
     * {@link IllegalArgumentException} naming it. It is then set {@code O_NONBLOCK} (its other
     * flags, {@code FD_CLOEXEC} and {@code IPV6_V6ONLY} included, are left as they are) and, if
     * connected, keeps its peer as {@link #remoteAddress()}. The result owns it.
     */
    static PosixDatagramSocket adopt(int fd, boolean batches) throws IOException {
        if (!"Linux".equals(ABI.os)) {
            throw new UnsupportedOperationException("UDP sockets of the POSIX layer are implemented for Linux only, not "
                    + ABI.os);
        }
        FileKind kind;
        try {
            kind = FileKind.of(fd);
        } catch (NativeIOException e) {
            throw new IllegalArgumentException("socket: fd " + fd + " is not an open descriptor: " + e.getMessage(), e);
        }
        if (kind != FileKind.SOCKET) {
            throw new IllegalArgumentException("socket: fd " + fd + " is " + kind.description() + ", not a UDP socket");
        }
        int type = intOption(fd, ABI.SOL_SOCKET, SO_TYPE, "SO_TYPE");
        int domain = intOption(fd, ABI.SOL_SOCKET, SO_DOMAIN, "SO_DOMAIN");
        String family = domain == ABI.AF_INET ? "AF_INET" : domain == ABI.AF_INET6 ? "AF_INET6"
                : domain == ABI.AF_UNIX ? "AF_UNIX" : "address family " + domain;
        if (type != SOCK_DGRAM) {
            throw new IllegalArgumentException("socket: fd " + fd + " is an " + family + " "
                    + (type == ABI.SOCK_STREAM ? "SOCK_STREAM" : "type " + type) + " socket, not a UDP (SOCK_DGRAM) socket");
        }
        if (domain != ABI.AF_INET && domain != ABI.AF_INET6) {
            throw new IllegalArgumentException("socket: fd " + fd + " is an " + family
                    + " datagram socket, not a UDP (AF_INET or AF_INET6) socket");
        }
        int protocol = intOption(fd, ABI.SOL_SOCKET, SO_PROTOCOL, "SO_PROTOCOL");
        if (protocol != IPPROTO_UDP) {
            throw new IllegalArgumentException("socket: fd " + fd + " is an " + family + " SOCK_DGRAM socket of protocol "
                    + protocol + ", not UDP (" + IPPROTO_UDP + ")");
        }
        PosixDatagramSocket s = new PosixDatagramSocket(fd, domain == ABI.AF_INET6, batches);
        Scratch sc = Scratch.get();
        sc.buffer.putInt(Scratch.ADDR_LEN, ABI.SOCKADDR_STORAGE_SIZE);
        if (LibC.getpeername(fd, sc.addr(), sc.addrLen()) == 0) {
            s.remote = SockAddr.decode(ABI, sc.buffer, Scratch.ADDR);
        } else if (Native.getLastError() != ABI.ENOTCONN) {
            throw Posix.error("getpeername(fd " + fd + ")", Native.getLastError());
        }
        LibCVarargs c = LibCVarargs.INSTANCE;
        int flags = c.fcntl(fd, ABI.F_GETFL);
        if (flags == -1) {
            throw Posix.error("fcntl(fd " + fd + ", F_GETFL)", Native.getLastError());
        }
        if ((flags & ABI.O_NONBLOCK) == 0 && c.fcntl(fd, ABI.F_SETFL, flags | ABI.O_NONBLOCK) == -1) {
            throw Posix.error("fcntl(fd " + fd + ", F_SETFL, O_NONBLOCK)", Native.getLastError());
        }
        s.configure(true);
        return s;
    }

    private static int intOption(int fd, int level, int name, String what) throws NativeIOException {
        Scratch sc = Scratch.get();
        sc.buffer.putInt(Scratch.OPT, 0);
        sc.buffer.putInt(Scratch.OPT_LEN, 4);
        if (LibC.getsockopt(fd, level, name, sc.opt(), sc.optLen()) != 0) {
            throw Posix.error("getsockopt(fd " + fd + ", " + what + ")", Native.getLastError());
        }
        return sc.buffer.getInt(Scratch.OPT);
    }

    @Override
    public SocketAddress remoteAddress() {
        return remote;
    }

    /**
     * Opens a Unix datagram socket ({@code AF_UNIX}, {@code SOCK_DGRAM}), unbound; called by
     * {@link PosixSocketFactory}.
     */
    static PosixDatagramSocket openUnix(boolean fcntlFlags, boolean batches) throws IOException {
        if (!"Linux".equals(ABI.os)) {
            throw new UnsupportedOperationException("datagram sockets of the POSIX layer are implemented for Linux only,"
                    + " not " + ABI.os);
        }
        int type = SOCK_DGRAM | (fcntlFlags ? 0 : ABI.SOCK_NONBLOCK | ABI.SOCK_CLOEXEC);
        int fd = LibC.socket(ABI.AF_UNIX, type, 0);
        if (fd < 0) {
            throw Posix.error("socket(AF_UNIX, SOCK_DGRAM)", Native.getLastError());
        }
        PosixDatagramSocket s = new PosixDatagramSocket(fd, false, true, batches);
        try {
            if (fcntlFlags) {
                PosixSocketFactory.configureByFcntl(fd);
            }
        } catch (NativeIOException | RuntimeException e) {
            s.close();
            throw e;
        }
        return s;
    }

    /** Opens one; called by {@link PosixSocketFactory}. */
    static PosixDatagramSocket open(boolean inet6, boolean fcntlFlags, boolean batches) throws IOException {
        if (!"Linux".equals(ABI.os)) {
            throw new UnsupportedOperationException("UDP sockets of the POSIX layer are implemented for Linux only, not "
                    + ABI.os);
        }
        int type = SOCK_DGRAM | (fcntlFlags ? 0 : ABI.SOCK_NONBLOCK | ABI.SOCK_CLOEXEC);
        int fd = LibC.socket(inet6 ? ABI.AF_INET6 : ABI.AF_INET, type, 0);
        if (fd < 0) {
            throw Posix.error("socket(" + (inet6 ? "AF_INET6" : "AF_INET") + ", SOCK_DGRAM)", Native.getLastError());
        }
        PosixDatagramSocket s = new PosixDatagramSocket(fd, inet6, batches);
        try {
            if (fcntlFlags) {
                PosixSocketFactory.configureByFcntl(fd);
            }
            if (inet6) {
                s.mem.putInt(OPT, 0);
                if (LibC.setsockopt(fd, ABI.IPPROTO_IPV6, ABI.IPV6_V6ONLY, s.base + OPT, 4) != 0) {
                    throw Posix.error("setsockopt(fd " + fd + ", IPV6_V6ONLY)", Native.getLastError());
                }
            }
            s.configure(false);
        } catch (NativeIOException | RuntimeException e) {
            s.close();
            throw e;
        }
        return s;
    }
}
