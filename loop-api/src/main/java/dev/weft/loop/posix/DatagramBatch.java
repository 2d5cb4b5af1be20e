package dev.weft.loop.posix;

import java.net.SocketAddress;
import java.nio.ByteBuffer;
import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * One thread's off-heap memory for batched datagram calls ({@code recvmmsg}, {@code sendmmsg}):
 * {@value #SIZE} {@code struct mmsghdr}s, iovecs and {@code sockaddr_storage}s each way, {@value #SIZE}
 * receive slots of {@value #SLOT} bytes (so no UDP datagram is ever cut short by a slot; libuv's
 * GHSA advisory on smaller ones), and a packed {@value #SEND_AREA}-byte area for datagrams staged to
 * send.
 *
 * <p><b>GRO and GSO.</b> Each receive header has a control buffer ({@value #RECV_CONTROL} bytes),
 * given to the kernel when the socket has {@code UDP_GRO} on: a coalesced message is then split
 * into its datagrams ({@code split}). A separate send vector holds runs of staged datagrams that
 * leave as one {@code UDP_SEGMENT} message ({@code gsoVector}).
 *
 * <p><b>Ownership.</b> A receive batch is valid until the next receive on the same thread; staged
 * sends belong to the one socket that staged them until they are sent or cleared, always within
 * one readiness event. A loop thread handles one socket's event at a time, so one area per thread
 * serves all its sockets: it is made on first use ({@link #forThisThread}) and never freed before
 * the thread ends (about 1.2 MiB). Not thread-safe: its thread's only.
 */
public final class DatagramBatch {
    /** Datagrams per call: daeuniverse/honk#80 measured +25% at 8 and +1.8% more at 16. */
    public static final int SIZE = 16;
    /** Bytes per receive slot: more than any UDP payload (65,507 over IPv4, 65,527 over IPv6). */
    public static final int SLOT = 64 * 1024;
    /** Bytes for staged payloads. */
    public static final int SEND_AREA = 128 * 1024;
    static final int NAME = 128;
    /** {@code <netinet/udp.h>} (Linux): the UDP socket level, GSO's and GRO's options. */
    static final int SOL_UDP = 17;
    static final int UDP_SEGMENT = 103;
    static final int UDP_GRO = 104;
    /** Control bytes per received message: the UDP_GRO message (24) and room for ones an adopted socket has on. */
    static final int RECV_CONTROL = 128;
    /** Control bytes per GSO message: one {@code CMSG_SPACE(sizeof(uint16_t))}. */
    static final int SEND_CONTROL = 32;
    /** Datagrams split out of coalesced messages, before the tables grow (UDP_MAX_SEGMENTS is 128 since 6.10). */
    private static final int SEGMENTS = SIZE * 128;

    private static final ThreadLocal<DatagramBatch> PER_THREAD = ThreadLocal.withInitial(DatagramBatch::new);

    final int mmsg;
    private final int hdrs;
    private final int iovs;
    private final int names;
    private final int data;
    private final int sendHdrs;
    private final int sendIovs;
    private final int sendNames;
    private final int sendData;
    private final int recvControl;
    private final int gsoHdrs;
    private final int gsoIovs;
    private final int gsoControl;
    /** The control length every receive header was last given (0: none; {@link #RECV_CONTROL}: GRO). */
    private int recvControlLen = -1;
    private final ByteBuffer memory;
    final long base;
    final UnsafeBuffer mem;

    /** Messages the last receive returned. */
    int received;
    /**
     * Datagrams the last receive delivers, split out of its messages; -1 when no message was
     * coalesced and datagram {@code i} is message {@code i}.
     */
    int segments = -1;
    /** For datagram {@code i} of a split receive: its message, its offset in that message's slot, its length. */
    int[] segMessage = new int[SEGMENTS];
    int[] segOffset = new int[SEGMENTS];
    int[] segLength = new int[SEGMENTS];
    /** For GSO message {@code k} of the last {@code gsoVector}: the staged index after its last datagram. */
    final int[] gsoEnd = new int[SIZE];
    /** Datagrams staged, and the bytes of {@link #SEND_AREA} they use. */
    int staged;
    private int sendUsed;
    final SocketAddress[] targets = new SocketAddress[SIZE];
    /** The socket whose datagrams are staged, or null. */
    Object stagedBy;

    private DatagramBatch() {
        PosixAbi abi = PosixAbi.current();
        mmsg = abi.MSGHDR_SIZE + 8; // struct mmsghdr: the msghdr, then unsigned msg_len, 8-aligned
        int p = 0;
        hdrs = p;
        p += SIZE * mmsg;
        iovs = p;
        p += SIZE * abi.IOVEC_SIZE;
        names = p;
        p += SIZE * NAME;
        sendHdrs = p;
        p += SIZE * mmsg;
        sendIovs = p;
        p += SIZE * abi.IOVEC_SIZE;
        sendNames = p;
        p += SIZE * NAME;
        recvControl = p;
        p += SIZE * RECV_CONTROL;
        gsoHdrs = p;
        p += SIZE * mmsg;
        gsoIovs = p;
        p += SIZE * abi.IOVEC_SIZE;
        gsoControl = p;
        p += SIZE * SEND_CONTROL;
        p = (p + 63) & ~63;
        data = p;
        p += SIZE * SLOT;
        sendData = p;
        p += SEND_AREA;
        memory = ByteBuffer.allocateDirect(p);
        base = BufferUtil.address(memory);
        mem = new UnsafeBuffer(memory);
        for (int i = 0; i < SIZE; i++) {
            int h = hdrs + i * mmsg;
            int iov = iovs + i * abi.IOVEC_SIZE;
            mem.putLong(h + abi.MSG_NAME, base + names + (long) i * NAME);
            mem.putInt(h + abi.MSG_NAMELEN, NAME);
            mem.putLong(h + abi.MSG_IOV, base + iov);
            putIovLen(abi, h, 1);
            mem.putLong(iov + abi.IOV_BASE, base + data + (long) i * SLOT);
            mem.putLong(iov + abi.IOV_LEN, SLOT);
            mem.putLong(h + abi.MSG_CONTROL, base + recvControl + (long) i * RECV_CONTROL);
            int sh = sendHdrs + i * mmsg;
            mem.putLong(sh + abi.MSG_IOV, base + sendIovs + (long) i * abi.IOVEC_SIZE);
            putIovLen(abi, sh, 1);
            int gh = gsoHdrs + i * mmsg;
            mem.putLong(gh + abi.MSG_IOV, base + gsoIovs + (long) i * abi.IOVEC_SIZE);
            putIovLen(abi, gh, 1);
            // struct cmsghdr {size_t cmsg_len; int cmsg_level; int cmsg_type;} then a uint16_t: CMSG_LEN(2) = 18.
            int gc = gsoControl + i * SEND_CONTROL;
            mem.putLong(gc, 18);
            mem.putInt(gc + 8, SOL_UDP);
            mem.putInt(gc + 12, UDP_SEGMENT);
        }
    }

    private void putIovLen(PosixAbi abi, int hdr, int n) {
        if (abi.MSG_IOVLEN_SIZE == 8) {
            mem.putLong(hdr + abi.MSG_IOVLEN, n);
        } else {
            mem.putInt(hdr + abi.MSG_IOVLEN, n);
        }
    }

    /** This thread's batch memory, made on first use. */
    public static DatagramBatch forThisThread() {
        return PER_THREAD.get();
    }

    // ------------------------------------------------------------------ receiving

    /**
     * The receive {@code mmsghdr} array, its value-result fields reset for a new call; with
     * {@code control} (a socket with UDP_GRO on) each message gets its control buffer, else none.
     */
    long receiveVector(PosixAbi abi, boolean control) {
        int controlLen = control ? RECV_CONTROL : 0;
        int reset = received;
        if (controlLen != recvControlLen) {
            recvControlLen = controlLen;
            reset = SIZE;
        }
        for (int i = 0; i < reset; i++) {
            int h = hdrs + i * mmsg;
            mem.putInt(h + abi.MSG_NAMELEN, NAME);
            mem.putInt(h + abi.MSG_FLAGS, 0);
            mem.putLong(h + abi.MSG_CONTROLLEN, controlLen);
        }
        received = 0;
        segments = -1;
        return base + hdrs;
    }

    /**
     * After a receive of {@code n} messages on a socket with UDP_GRO on: splits every message that
     * carries a {@code UDP_GRO} segment size into datagrams of that size (the last one may be
     * shorter), as the sender sent them, in order. Leaves {@link #segments} at -1 when no message
     * was coalesced. Returns the number of datagrams.
     */
    int split(PosixAbi abi, int n) {
        int total = 0;
        boolean any = false;
        for (int i = 0; i < n; i++) {
            int gso = groSize(abi, i);
            int len = length(i);
            int count = gso > 0 && len > gso ? (len + gso - 1) / gso : 1;
            if (count > 1 && !any) {
                any = true;
                for (int j = 0; j < i; j++) {
                    segMessage[j] = j;
                    segOffset[j] = 0;
                    segLength[j] = length(j);
                }
            }
            if (any) {
                ensureSegments(total + count);
                for (int k = 0; k < count; k++) {
                    int at = total + k;
                    segMessage[at] = i;
                    segOffset[at] = k * gso;
                    segLength[at] = count == 1 ? len : Math.min(gso, len - k * gso);
                }
            }
            total += count;
        }
        segments = any ? total : -1;
        return total;
    }

    private void ensureSegments(int need) {
        if (need > segMessage.length) {
            int cap = Math.max(need, segMessage.length * 2);
            segMessage = java.util.Arrays.copyOf(segMessage, cap);
            segOffset = java.util.Arrays.copyOf(segOffset, cap);
            segLength = java.util.Arrays.copyOf(segLength, cap);
        }
    }

    /** The UDP_GRO segment size in message {@code i}'s control data, or 0 when it has none. */
    private int groSize(PosixAbi abi, int i) {
        int h = hdrs + i * mmsg;
        long controlLen = mem.getLong(h + abi.MSG_CONTROLLEN);
        int c = recvControl + i * RECV_CONTROL;
        int off = 0;
        while (off + 16 <= controlLen) {
            long len = mem.getLong(c + off);
            if (len < 16 || off + len > controlLen) {
                break;
            }
            if (mem.getInt(c + off + 8) == SOL_UDP && mem.getInt(c + off + 12) == UDP_GRO && len >= 20) {
                return mem.getInt(c + off + 16);
            }
            off += (int) ((len + 7) & ~7L);
        }
        return 0;
    }

    /** Address of received datagram {@code i}'s payload. */
    public long address(int i) {
        return base + data + (long) i * SLOT;
    }

    /** Length of received datagram {@code i} (at most {@link #SLOT}). */
    public int length(int i) {
        return mem.getInt(hdrs + i * mmsg + mmsg - 8);
    }

    int flags(PosixAbi abi, int i) {
        return mem.getInt(hdrs + i * mmsg + abi.MSG_FLAGS);
    }

    int nameOffset(int i) {
        return names + i * NAME;
    }

    int nameLength(PosixAbi abi, int i) {
        return mem.getInt(hdrs + i * mmsg + abi.MSG_NAMELEN);
    }

    // ------------------------------------------------------------------ sending

    /** Room for one more datagram of {@code length} bytes. */
    boolean fits(int length) {
        return staged < SIZE && sendUsed + length <= SEND_AREA;
    }

    /**
     * Appends a datagram whose payload is copied by the caller to {@link #stagedAddress} and whose
     * sockaddr ({@code nameLen} bytes, 0: none) is at {@code nameOffset} of {@code from}.
     */
    int stage(PosixAbi abi, int length, UnsafeBuffer from, int nameOffset, int nameLen, SocketAddress target) {
        int i = staged++;
        int h = sendHdrs + i * mmsg;
        int iov = sendIovs + i * abi.IOVEC_SIZE;
        mem.putLong(iov + abi.IOV_BASE, base + sendData + sendUsed);
        mem.putLong(iov + abi.IOV_LEN, length);
        if (nameLen > 0) {
            mem.putBytes(sendNames + i * NAME, from, nameOffset, nameLen);
            mem.putLong(h + abi.MSG_NAME, base + sendNames + (long) i * NAME);
        } else {
            mem.putLong(h + abi.MSG_NAME, 0);
        }
        mem.putInt(h + abi.MSG_NAMELEN, nameLen);
        targets[i] = target;
        sendUsed += length;
        return sendData + sendUsed - length;
    }

    long sendVector(int from) {
        return base + sendHdrs + (long) from * mmsg;
    }

    /**
     * Builds the send vector of staged datagrams {@code from..staged-1} with runs joined into
     * {@code UDP_SEGMENT} messages: a run is two or more non-empty datagrams in a row to the same
     * target, all of one length but the last, which may be shorter, at most {@code maxSegment}
     * bytes each and {@code maxBytes} in all (their payloads are contiguous in the send area). Other
     * datagrams are messages of their own. Returns the number of messages, or 0 when no run was
     * found (the plain {@code sendVector} does the same job). {@code gsoEnd} maps messages back.
     */
    int gsoVector(PosixAbi abi, int from, int maxSegment, int maxBytes) {
        if (!hasRun(abi, from, maxSegment, maxBytes)) {
            return 0;
        }
        int messages = 0;
        boolean anyRun = false;
        int i = from;
        while (i < staged) {
            int seg = stagedLength(abi, i);
            int j = i + 1;
            if (seg > 0 && seg <= maxSegment) {
                int total = seg;
                SocketAddress t = targets[i];
                while (j < staged) {
                    int len = stagedLength(abi, j);
                    SocketAddress u = targets[j];
                    if (len == 0 || len > seg || total + len > maxBytes || !(t == u || (t != null && t.equals(u)))) {
                        break;
                    }
                    total += len;
                    j++;
                    if (len < seg) {
                        break;
                    }
                }
            }
            int sh = sendHdrs + i * mmsg;
            int gh = gsoHdrs + messages * mmsg;
            int giov = gsoIovs + messages * abi.IOVEC_SIZE;
            mem.putLong(gh + abi.MSG_NAME, mem.getLong(sh + abi.MSG_NAME));
            mem.putInt(gh + abi.MSG_NAMELEN, mem.getInt(sh + abi.MSG_NAMELEN));
            mem.putLong(giov + abi.IOV_BASE, stagedAddress(abi, i));
            long bytes = 0;
            for (int k = i; k < j; k++) {
                bytes += stagedLength(abi, k);
            }
            mem.putLong(giov + abi.IOV_LEN, bytes);
            if (j - i > 1) {
                anyRun = true;
                int gc = gsoControl + messages * SEND_CONTROL;
                mem.putShort(gc + 16, (short) seg);
                mem.putLong(gh + abi.MSG_CONTROL, base + gc);
                mem.putLong(gh + abi.MSG_CONTROLLEN, 24);
            } else {
                mem.putLong(gh + abi.MSG_CONTROL, 0);
                mem.putLong(gh + abi.MSG_CONTROLLEN, 0);
            }
            gsoEnd[messages++] = j;
            i = j;
        }
        return anyRun ? messages : 0;
    }

    /** Whether two datagrams in a row from {@code from} on could join one GSO message. */
    private boolean hasRun(PosixAbi abi, int from, int maxSegment, int maxBytes) {
        int next = from < staged ? stagedLength(abi, from) : 0;
        for (int k = from; k + 1 < staged; k++) {
            int len = next;
            next = stagedLength(abi, k + 1);
            if (len > 0 && len <= maxSegment && next > 0 && next <= len && len + next <= maxBytes) {
                SocketAddress t = targets[k];
                SocketAddress u = targets[k + 1];
                if (t == u || (t != null && t.equals(u))) {
                    return true;
                }
            }
        }
        return false;
    }

    long gsoVectorAddress() {
        return base + gsoHdrs;
    }

    /** Whether GSO message {@code k} of the last {@code gsoVector} joins several datagrams. */
    boolean gsoJoined(PosixAbi abi, int k) {
        return mem.getLong(gsoHdrs + k * mmsg + abi.MSG_CONTROLLEN) != 0;
    }

    /** The segment size of GSO message {@code k}. */
    int gsoSegment(int k) {
        return mem.getShort(gsoControl + k * SEND_CONTROL + 16) & 0xFFFF;
    }

    /** Address of staged datagram {@code i}'s payload. */
    long stagedAddress(PosixAbi abi, int i) {
        return mem.getLong(sendIovs + i * abi.IOVEC_SIZE + abi.IOV_BASE);
    }

    int stagedLength(PosixAbi abi, int i) {
        return (int) mem.getLong(sendIovs + i * abi.IOVEC_SIZE + abi.IOV_LEN);
    }

    void clearStaged() {
        for (int i = 0; i < staged; i++) {
            targets[i] = null;
        }
        staged = 0;
        sendUsed = 0;
        stagedBy = null;
    }
}
