package dev.weft.loop.transport;

import dev.weft.loop.Capability;
import dev.weft.loop.DatagramProtocol;
import dev.weft.loop.DatagramTransport;
import dev.weft.loop.EventLoop;
import dev.weft.loop.ExceptionContext;
import dev.weft.loop.Transport;
import dev.weft.loop.UnixSocketAddress;
import dev.weft.loop.core.LoopInternals;
import dev.weft.loop.core.LoopProbe;
import dev.weft.loop.core.ResourceWatch;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.util.Objects;
import org.agrona.BufferUtil;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The datagram transport every backend shares: argument checks, the write queue, flow control and
 * the life cycle. The backend ({@link DatagramIo}) moves single datagrams and watches readiness.
 *
 * <p><b>Write queue.</b> Datagrams the kernel would not take at once are copied, in order, into one
 * growable off-heap FIFO (a 4-byte length, then the payload) with their targets in a parallel
 * circular array; both are reused, so queueing allocates nothing once they have grown. The counted
 * size is payload plus {@link DatagramTransport#DATAGRAM_OVERHEAD} per datagram, added when queued
 * and subtracted when sent (CPython gh-135444 leaked the header on one path and wedged).
 *
 * <p><b>Batches.</b> A backend that receives several datagrams per call brackets their delivery
 * with {@link #beginBatch()} and {@link #endBatch()}. In between, a datagram sent while the queue is
 * empty is copied into the backend's staging area instead of sent at once ({@link DatagramIo#stage}),
 * and all staged datagrams leave together at {@link #endBatch()} (or when the area is full, or at
 * {@code close()}), in the order they were sent; what the kernel would not take then joins the
 * queue, in order. The write buffer size does not count staged datagrams, and a send's error
 * reaches {@code errorReceived} when the batch is sent.
 *
 * <p><b>States.</b> open → closing ({@code close}: reading stops, the queue drains) → lost (socket
 * released; {@code connectionLost} scheduled once through {@code callSoon}). {@code abort}, a
 * throwing protocol callback and a failure to register go straight to lost. I/O errors of single
 * datagrams reach {@code errorReceived} and change no state.
 *
 * <p><b>Threads.</b> Loop thread only; every public method checks the thread first.
 */
public final class DatagramCore implements DatagramTransport {
    /** sendto calls after close before one warning is logged (asyncio's LOG_THRESHOLD_FOR_CONNLOST_WRITES). */
    static final int DROPPED_SENDS_WARNING = 5;
    private static final int INITIAL_QUEUE = 64 * 1024;

    private final EventLoop loop;
    private final DatagramIo io;
    private final DatagramProtocol protocol;
    private final SocketAddress remote;
    private final WriteFlowControl flow = new WriteFlowControl();

    private ByteBuffer queueMemory;
    private final UnsafeBuffer queue = new UnsafeBuffer(0, 0);
    private final UnsafeBuffer source = new UnsafeBuffer(0, 0);
    private final UnsafeBuffer stagedView = new UnsafeBuffer(0, 0);
    private boolean batching;
    private int head;
    private int tail;
    private SocketAddress[] targets = new SocketAddress[64];
    private int targetHead;
    private int queuedCount;
    private int size;

    private boolean started;
    private boolean reading = true;
    private boolean closing;
    private boolean lost;
    /** Debug mode: reports this transport if it is garbage-collected unclosed; else null. */
    private ResourceWatch watch;
    private int droppedSends;

    public DatagramCore(EventLoop loop, DatagramIo io, DatagramProtocol protocol, SocketAddress remote) {
        this.loop = Objects.requireNonNull(loop, "loop");
        this.io = Objects.requireNonNull(io, "io");
        this.protocol = Objects.requireNonNull(protocol, "protocol");
        this.remote = remote;
    }

    /** Calls {@code connectionMade}, then starts reading. */
    public void start() {
        if (lost) {
            return;
        }
        started = true;
        watch = ResourceWatch.open(loop, this, "datagram transport " + this);
        try {
            protocol.connectionMade(this);
        } catch (Throwable t) {
            fatal("protocol.connectionMade() failed", t);
            return;
        }
        if (!lost) {
            io.interestChanged();
        }
    }

    // ------------------------------------------------------------------ from the backend

    public boolean isLost() {
        return lost;
    }

    /** Whether the backend should read now. */
    public boolean wantsRead() {
        return reading && !closing && !lost;
    }

    /** Whether {@code close()} or {@code abort()} was called (the rest of a received batch is dropped). */
    public boolean isClosingNow() {
        return closing || lost;
    }

    public boolean hasQueued() {
        return queuedCount > 0;
    }

    /** Datagrams of one receive batch follow: sends made meanwhile are staged. */
    public void beginBatch() {
        batching = !lost;
    }

    /** The batch is delivered: the staged datagrams are sent. */
    public void endBatch() {
        if (batching) {
            flushStaged();
            batching = false;
        }
    }

    /**
     * Sends what is staged, in order: a datagram the kernel refuses is dropped and reported, the
     * rest go on; what would block is queued.
     */
    private void flushStaged() {
        int n = io.staged();
        int i = 0;
        while (i < n && !lost) {
            int sent;
            try {
                sent = io.sendStaged(i);
            } catch (IOException e) {
                i++;
                errorReceived(e);
                continue;
            }
            if (sent < 0) {
                break;
            }
            i += sent;
        }
        if (lost) {
            return;
        }
        int before = queuedCount;
        for (; i < n; i++) {
            int len = io.stagedLength(i);
            stagedView.wrap(io.stagedAddress(i), len);
            enqueue(stagedView, len, io.stagedTarget(i));
        }
        io.clearStaged();
        if (queuedCount > before) {
            queuedGrew(before == 0);
        }
    }

    /** One datagram arrived; {@code data} is valid during the call. */
    public void datagramReceived(DirectBuffer data, SocketAddress from) {
        try {
            protocol.datagramReceived(data, from);
        } catch (Throwable t) {
            fatal("protocol.datagramReceived() failed", t);
        }
    }

    /** A send or receive failed; the endpoint stays open. */
    public void errorReceived(Exception error) {
        if (lost) {
            return;
        }
        try {
            protocol.errorReceived(error);
        } catch (Throwable t) {
            fatal("protocol.errorReceived() failed", t);
        }
    }

    /** Writable: sends queued datagrams in order until the kernel would block or the queue is empty. */
    public void flush() {
        while (queuedCount > 0 && !lost) {
            int len = queue.getInt(head);
            SocketAddress target = targets[targetHead];
            boolean sent;
            try {
                sent = io.sendNow(queue.addressOffset() + head + 4, len, target);
            } catch (IOException e) {
                // The kernel refused this datagram: it is dropped, the error reported, the rest sent.
                dequeue(len);
                errorReceived(e);
                continue;
            }
            if (!sent) {
                break;
            }
            dequeue(len);
        }
        if (lost) {
            return;
        }
        if (flow.resumeNeeded(size)) {
            try {
                protocol.resumeWriting();
            } catch (Throwable t) {
                fatal("protocol.resumeWriting() failed", t);
                return;
            }
        }
        if (queuedCount == 0 && closing) {
            finish(null);
            return;
        }
        io.interestChanged();
    }

    private void dequeue(int len) {
        head += 4 + len;
        targets[targetHead] = null;
        targetHead = (targetHead + 1) % targets.length;
        queuedCount--;
        size -= len + DATAGRAM_OVERHEAD;
        if (queuedCount == 0) {
            head = 0;
            tail = 0;
            targetHead = 0;
        }
    }

    // ------------------------------------------------------------------ sending

    @Override
    public EventLoop loop() {
        return loop;
    }

    @Override
    public void sendto(DirectBuffer data, int offset, int length, SocketAddress target) {
        loop.assertInLoop("DatagramTransport.sendto");
        Objects.requireNonNull(data, "data");
        if (offset < 0 || length < 0 || (long) offset + length > data.capacity()) {
            throw new IndexOutOfBoundsException("offset " + offset + ", length " + length + " outside capacity "
                    + data.capacity());
        }
        SocketAddress to = checkSend(length, target);
        if (to == DROP) {
            return;
        }
        if (data.byteArray() != null) {
            sendto(data.byteArray(), (int) (data.addressOffset() - BufferUtil.ARRAY_BASE_OFFSET) + offset, length, to);
            return;
        }
        source.wrap(data.addressOffset() + offset, length);
        sendChecked(source, length, to);
    }

    @Override
    public void sendto(byte[] data, int offset, int length, SocketAddress target) {
        loop.assertInLoop("DatagramTransport.sendto");
        Objects.requireNonNull(data, "data");
        if (offset < 0 || length < 0 || (long) offset + length > data.length) {
            throw new IndexOutOfBoundsException("offset " + offset + ", length " + length + " outside array of "
                    + data.length);
        }
        SocketAddress to = checkSend(length, target);
        if (to == DROP) {
            return;
        }
        source.wrap(data, offset, length);
        sendChecked(source, length, to);
    }

    @Override
    public void sendto(ByteBuffer data, SocketAddress target) {
        loop.assertInLoop("DatagramTransport.sendto");
        Objects.requireNonNull(data, "data");
        int length = data.remaining();
        SocketAddress to = checkSend(length, target);
        if (to == DROP) {
            return;
        }
        if (data.isDirect()) {
            source.wrap(BufferUtil.address(data) + data.position(), length);
        } else {
            source.wrap(data.array(), data.arrayOffset() + data.position(), length);
        }
        sendChecked(source, length, to);
    }

    /** A marker: the endpoint is closed, drop the datagram. */
    private static final SocketAddress DROP = InetSocketAddress.createUnresolved("dropped", 0);

    /** Checks a send's arguments; returns the target to use (null: the connected peer) or {@link #DROP}. */
    private SocketAddress checkSend(int length, SocketAddress target) {
        if (length > MAX_DATAGRAM) {
            throw new IllegalArgumentException("datagram of " + length + " bytes is larger than the "
                    + (io.unix() ? "maximum " : "UDP maximum ") + MAX_DATAGRAM);
        }
        if (target != null) {
            if (io.unix()) {
                checkUnixTarget(target);
            } else {
                checkInetTarget(target);
            }
        }
        if (remote != null) {
            if (target != null && !target.equals(remote)) {
                throw new IllegalArgumentException("endpoint is connected to " + remote + "; cannot send to " + target);
            }
            target = null;
        } else if (target == null) {
            throw new IllegalArgumentException("target is null and the endpoint is not connected");
        }
        if (closing || lost) {
            if (++droppedSends == DROPPED_SENDS_WARNING) {
                LoopInternals.loop().warn(loop, "DatagramTransport.sendto() called " + DROPPED_SENDS_WARNING
                        + " times after close; the datagrams were dropped");
            }
            return DROP;
        }
        return target;
    }

    private void checkInetTarget(SocketAddress target) {
        if (!(target instanceof InetSocketAddress t)) {
            throw new IllegalArgumentException("target of a UDP endpoint must be an InetSocketAddress, got "
                    + target.getClass().getSimpleName() + " " + target);
        }
        if (t.isUnresolved()) {
            throw new IllegalArgumentException("target address is unresolved: " + t);
        }
        if (t.getAddress() instanceof Inet6Address && !io.inet6()) {
            throw new IllegalArgumentException("target " + t + " is IPv6 but the endpoint is IPv4");
        }
        if (t.getPort() == 0) {
            throw new IllegalArgumentException("target port 0 is not a destination: " + t);
        }
    }

    private void checkUnixTarget(SocketAddress target) {
        if (!(target instanceof UnixSocketAddress t)) {
            throw new IllegalArgumentException("target of a Unix datagram endpoint must be a UnixSocketAddress, got "
                    + target.getClass().getSimpleName() + " " + target);
        }
        if (t.path().isEmpty()) {
            throw new IllegalArgumentException("target is the unnamed Unix address: its sender bound no path or name,"
                    + " so nothing can reach it (bind the sender to answer it)");
        }
        if (t.isAbstract()) {
            loop.requireCapability(Capability.UNIX_ABSTRACT);
        }
    }

    private void sendChecked(UnsafeBuffer data, int length, SocketAddress target) {
        if (batching && queuedCount == 0) {
            try {
                if (io.stage(data, length, target)) {
                    return;
                }
                flushStaged();
                if (lost) {
                    return;
                }
                if (queuedCount == 0 && io.stage(data, length, target)) {
                    return;
                }
            } catch (IOException e) {
                errorReceived(e);
                return;
            }
        }
        if (queuedCount == 0) {
            long address;
            if (data.byteArray() != null) {
                // Heap memory has no stable address: stage it off-heap (the loop's scratch, 64 KiB).
                MutableDirectBuffer scratch = io.scratch();
                scratch.putBytes(0, data, 0, length);
                address = scratch.addressOffset();
            } else {
                address = data.addressOffset();
            }
            try {
                if (io.sendNow(address, length, target)) {
                    return;
                }
            } catch (IOException e) {
                errorReceived(e);
                return;
            }
        }
        enqueue(data, length, target);
        queuedGrew(queuedCount == 1);
    }

    /** After datagrams were queued: pause the protocol at the mark, ask for writability if the queue was empty. */
    private void queuedGrew(boolean wasEmpty) {
        if (flow.pauseNeeded(size)) {
            try {
                protocol.pauseWriting();
            } catch (Throwable t) {
                fatal("protocol.pauseWriting() failed", t);
                return;
            }
        }
        if (wasEmpty) {
            io.interestChanged();
        }
    }

    private void enqueue(DirectBuffer data, int length, SocketAddress target) {
        int need = 4 + length;
        if (queueMemory == null || tail + need > queue.capacity()) {
            int live = tail - head;
            int capacity = queueMemory == null ? INITIAL_QUEUE : queue.capacity();
            while (capacity < live + need) {
                capacity *= 2;
            }
            if (queueMemory == null || capacity > queue.capacity()) {
                ByteBuffer grown = ByteBuffer.allocateDirect(capacity);
                UnsafeBuffer g = new UnsafeBuffer(grown);
                if (live > 0) {
                    g.putBytes(0, queue, head, live);
                }
                if (queueMemory != null) {
                    BufferUtil.free(queueMemory);
                }
                queueMemory = grown;
                queue.wrap(grown);
            } else if (live > 0) {
                queue.putBytes(0, queue, head, live);
            }
            tail = live;
            head = 0;
        }
        queue.putInt(tail, length);
        queue.putBytes(tail + 4, data, 0, length);
        tail += need;
        if (queuedCount == targets.length) {
            SocketAddress[] grown = new SocketAddress[targets.length * 2];
            for (int i = 0; i < queuedCount; i++) {
                grown[i] = targets[(targetHead + i) % targets.length];
            }
            targets = grown;
            targetHead = 0;
        }
        targets[(targetHead + queuedCount) % targets.length] = target;
        queuedCount++;
        size += length + DATAGRAM_OVERHEAD;
    }

    // ------------------------------------------------------------------ life cycle

    @Override
    public void close() {
        loop.assertInLoop("DatagramTransport.close");
        if (closing || lost) {
            return;
        }
        if (batching) {
            flushStaged();
            batching = false;
            if (lost) {
                return;
            }
        }
        closing = true;
        if (queuedCount == 0) {
            finish(null);
        } else {
            io.interestChanged();
        }
    }

    @Override
    public void abort() {
        loop.assertInLoop("DatagramTransport.abort");
        if (lost) {
            return;
        }
        closing = true;
        finish(null);
    }

    private void fatal(String message, Throwable t) {
        loop.callExceptionHandler(new ExceptionContext(message, t, this));
        if (!lost) {
            closing = true;
            finish(t);
        }
    }

    private void finish(Throwable cause) {
        if (cause != null) {
            LoopProbe.INSTANCE.transportError(this, cause);
        }
        lost = true;
        ResourceWatch.closed(watch);
        dropQueue();
        io.release();
        boolean notify = started;
        loop.callSoon(() -> {
            io.forget();
            if (notify) {
                try {
                    protocol.connectionLost(cause);
                } catch (Throwable t) {
                    loop.callExceptionHandler(new ExceptionContext("protocol.connectionLost() failed", t, this));
                }
            }
        });
    }

    private void dropQueue() {
        if (batching) {
            io.clearStaged();
            batching = false;
        }
        for (int i = 0; i < targets.length; i++) {
            targets[i] = null;
        }
        queuedCount = 0;
        size = 0;
        head = 0;
        tail = 0;
        if (queueMemory != null) {
            BufferUtil.free(queueMemory);
            queueMemory = null;
            queue.wrap(0, 0);
        }
    }

    /** The loop is closing: release without callbacks. */
    public void closeNow() {
        if (!lost) {
            lost = true;
            ResourceWatch.closed(watch);
            closing = true;
            dropQueue();
            io.release();
        }
    }

    @Override
    public boolean isClosing() {
        loop.assertInLoop("DatagramTransport.isClosing");
        return closing || lost;
    }

    @Override
    public void pauseReading() {
        loop.assertInLoop("DatagramTransport.pauseReading");
        if (reading) {
            reading = false;
            if (!lost) {
                io.interestChanged();
            }
        }
    }

    @Override
    public void resumeReading() {
        loop.assertInLoop("DatagramTransport.resumeReading");
        if (!reading) {
            reading = true;
            if (!lost) {
                io.interestChanged();
            }
        }
    }

    @Override
    public boolean isReading() {
        loop.assertInLoop("DatagramTransport.isReading");
        return reading && !closing && !lost;
    }

    @Override
    public void setWriteBufferLimits(int high, int low) {
        loop.assertInLoop("DatagramTransport.setWriteBufferLimits");
        flow.setLimits(high, low);
        if (!lost && flow.pauseNeeded(size)) {
            try {
                protocol.pauseWriting();
            } catch (Throwable t) {
                fatal("protocol.pauseWriting() failed", t);
            }
        }
    }

    @Override
    public int getWriteBufferLimitHigh() {
        loop.assertInLoop("DatagramTransport.getWriteBufferLimitHigh");
        return flow.high();
    }

    @Override
    public int getWriteBufferLimitLow() {
        loop.assertInLoop("DatagramTransport.getWriteBufferLimitLow");
        return flow.low();
    }

    @Override
    public int getWriteBufferSize() {
        loop.assertInLoop("DatagramTransport.getWriteBufferSize");
        return size;
    }

    @Override
    public SocketAddress remoteAddress() {
        loop.assertInLoop("DatagramTransport.remoteAddress");
        return remote;
    }

    @Override
    public void joinGroup(InetAddress group, NetworkInterface networkInterface) throws IOException {
        loop.assertInLoop("DatagramTransport.joinGroup");
        checkGroup(group);
        io.joinGroup(group, networkInterface, true);
    }

    @Override
    public void leaveGroup(InetAddress group, NetworkInterface networkInterface) throws IOException {
        loop.assertInLoop("DatagramTransport.leaveGroup");
        checkGroup(group);
        io.joinGroup(group, networkInterface, false);
    }

    private void checkGroup(InetAddress group) throws IOException {
        Objects.requireNonNull(group, "group");
        if (io.unix()) {
            throw new IllegalArgumentException("a Unix datagram endpoint has no multicast groups: " + group);
        }
        if (!group.isMulticastAddress()) {
            throw new IllegalArgumentException("group is not a multicast address: " + group);
        }
        if (lost) {
            throw new IOException("endpoint is closed");
        }
    }

    @Override
    public Object extraInfo(String name) {
        loop.assertInLoop("DatagramTransport.extraInfo");
        if (Transport.BACKEND.equals(name)) {
            return io.backendName();
        }
        if (Transport.PEER_NAME.equals(name)) {
            // A Unix socket's names are path strings, as on Unix streams and in asyncio.
            return remote instanceof UnixSocketAddress u ? u.path() : remote;
        }
        return lost ? null : io.info(name);
    }

    @Override
    public DatagramProtocol protocol() {
        return protocol;
    }

    @Override
    public String toString() {
        return "DatagramTransport[" + io.backendName() + (remote != null ? ", connected to " + remote : "")
                + (lost ? ", closed" : closing ? ", closing" : "") + "]";
    }
}
