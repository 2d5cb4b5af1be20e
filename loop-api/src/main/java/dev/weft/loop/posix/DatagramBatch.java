package dev.weft.loop.posix;

import java.net.InetSocketAddress;
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
    private final ByteBuffer memory;
    final long base;
    final UnsafeBuffer mem;

    /** Datagrams the last receive returned. */
    int received;
    /** Datagrams staged, and the bytes of {@link #SEND_AREA} they use. */
    int staged;
    private int sendUsed;
    final InetSocketAddress[] targets = new InetSocketAddress[SIZE];
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
            int sh = sendHdrs + i * mmsg;
            mem.putLong(sh + abi.MSG_IOV, base + sendIovs + (long) i * abi.IOVEC_SIZE);
            putIovLen(abi, sh, 1);
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

    /** The receive {@code mmsghdr} array, its value-result fields reset for a new call. */
    long receiveVector(PosixAbi abi) {
        for (int i = 0; i < received; i++) {
            int h = hdrs + i * mmsg;
            mem.putInt(h + abi.MSG_NAMELEN, NAME);
            mem.putInt(h + abi.MSG_FLAGS, 0);
        }
        received = 0;
        return base + hdrs;
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
    int stage(PosixAbi abi, int length, UnsafeBuffer from, int nameOffset, int nameLen, InetSocketAddress target) {
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
