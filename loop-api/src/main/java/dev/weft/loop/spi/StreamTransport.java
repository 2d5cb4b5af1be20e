package dev.weft.loop.spi;

import dev.weft.loop.BaseProtocol;
import dev.weft.loop.BufferedProtocol;
import dev.weft.loop.EventLoop;
import dev.weft.loop.ExceptionContext;
import dev.weft.loop.Protocol;
import dev.weft.loop.Transport;
import java.io.IOException;
import java.net.SocketOption;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.util.Objects;
import org.agrona.BufferUtil;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The TCP transport of readiness backends.
 *
 * <p><b>Reads</b> land in the driver's read buffer (or a {@link BufferedProtocol}'s off-heap buffer)
 * and reach the protocol as a re-wrapped view: no copy, no allocation. <b>Writes</b> go straight from
 * the caller's off-heap memory when nothing is queued; heap bytes are staged through the driver's
 * scratch area; whatever the kernel leaves is copied into the {@link ByteRing} and drained on
 * {@link Poller#WRITABLE}, with {@code writev} when it wraps.
 *
 * <p><b>Closing.</b> {@code connectionLost} always runs through {@code callSoon}, never inside
 * another protocol callback, exactly once.
 *
 * <p><b>Threads.</b> Every public method but {@link #loop()} and {@link #toString()} first checks
 * that it runs on the loop thread, then its arguments, and only then touches state: the staging
 * buffers ({@code driver.writeView}, {@code driver.scratch}) are shared by every transport of the
 * loop, so a call from another thread must fail before it re-points or fills them.
 */
final class StreamTransport implements Transport, Poller.ReadyHandler {
    private final ReadinessDriver driver;
    private final EventLoop loop;
    private final NetSocket socket;
    private final ListenerServer server;
    private BaseProtocol protocol;
    private Protocol streamProtocol;
    private BufferedProtocol bufferedProtocol;

    private final ByteRing pending = new ByteRing();
    private final WriteFlowControl flow = new WriteFlowControl();

    private boolean started;
    private boolean reading = true;
    private boolean eofReceived;
    private boolean closing;
    private boolean eofRequested;
    private boolean eofSent;
    private boolean lost;
    private boolean registered;
    private int interest = -1;

    StreamTransport(ReadinessDriver driver, NetSocket socket, BaseProtocol protocol, ListenerServer server) {
        this.driver = driver;
        this.loop = driver.loop;
        this.socket = socket;
        this.server = server;
        bindProtocol(protocol);
    }

    /** Registers with the poller (no interest yet). */
    void register() throws IOException {
        driver.poller.register(socket, 0, this);
        registered = true;
        interest = 0;
        driver.opened(this);
    }

    /**
     * Takes over a registration made by a connect in progress (whose handler forwards here), so
     * the socket is not deregistered and registered again.
     */
    void adoptRegistration(int currentInterest) {
        registered = true;
        interest = currentInterest;
        driver.opened(this);
    }

    /** Calls connectionMade, then starts reading. Runs on the loop thread. */
    void start() {
        started = true;
        try {
            protocol.connectionMade(this);
        } catch (Throwable t) {
            fatal("protocol.connectionMade() failed", t);
            return;
        }
        updateInterest();
    }

    private void bindProtocol(BaseProtocol p) {
        Objects.requireNonNull(p, "protocol");
        if (!(p instanceof Protocol) && !(p instanceof BufferedProtocol)) {
            throw new IllegalArgumentException("a stream protocol must implement Protocol or BufferedProtocol: "
                    + p.getClass().getName());
        }
        protocol = p;
        streamProtocol = p instanceof Protocol sp ? sp : null;
        bufferedProtocol = p instanceof BufferedProtocol bp ? bp : null;
    }

    // ------------------------------------------------------------------ readiness

    @Override
    public void onReady(int readyOps) {
        if (lost) {
            return;
        }
        if ((readyOps & Poller.WRITABLE) != 0 && !pending.isEmpty()) {
            flush();
        }
        if ((readyOps & Poller.READABLE) != 0 && reading && !closing && !eofReceived && !lost) {
            if (streamProtocol != null) {
                readInto();
            } else {
                readBuffered();
            }
        }
    }

    private void readInto() {
        int n;
        try {
            n = socket.read(driver.readAddress, ReadinessDriver.READ_BUFFER_SIZE);
        } catch (IOException e) {
            lose(e);
            return;
        }
        if (n > 0) {
            UnsafeBuffer view = driver.readView;
            view.wrap(driver.readAddress, n);
            try {
                streamProtocol.dataReceived(view);
            } catch (Throwable t) {
                fatal("protocol.dataReceived() failed", t);
            }
        } else if (n < 0) {
            onEof();
        }
    }

    private void readBuffered() {
        MutableDirectBuffer buf;
        try {
            buf = bufferedProtocol.getBuffer(ReadinessDriver.READ_BUFFER_SIZE);
            if (buf == null || buf.capacity() == 0) {
                throw new IllegalStateException("getBuffer() returned " + (buf == null ? "null" : "an empty buffer"));
            }
        } catch (Throwable t) {
            fatal("protocol.getBuffer() failed", t);
            return;
        }
        int n;
        try {
            if (buf.byteArray() == null) {
                n = socket.read(buf.addressOffset(), buf.capacity());
            } else {
                n = socket.read(driver.readAddress, Math.min(buf.capacity(), ReadinessDriver.READ_BUFFER_SIZE));
                if (n > 0) {
                    driver.readView.wrap(driver.readAddress, n);
                    buf.putBytes(0, driver.readView, 0, n);
                }
            }
        } catch (IOException e) {
            lose(e);
            return;
        }
        if (n > 0) {
            try {
                bufferedProtocol.bufferUpdated(n);
            } catch (Throwable t) {
                fatal("protocol.bufferUpdated() failed", t);
            }
        } else if (n < 0) {
            onEof();
        }
    }

    private void onEof() {
        eofReceived = true;
        boolean keepOpen;
        try {
            keepOpen = streamProtocol != null ? streamProtocol.eofReceived() : bufferedProtocol.eofReceived();
        } catch (Throwable t) {
            fatal("protocol.eofReceived() failed", t);
            return;
        }
        if (keepOpen && !eofSent && !eofRequested) {
            updateInterest();
        } else {
            close();
        }
    }

    // ------------------------------------------------------------------ writing

    @Override
    public void write(DirectBuffer data, int offset, int length) {
        loop.assertInLoop("Transport.write");
        Objects.requireNonNull(data, "data");
        checkBounds(offset, length, data.capacity());
        checkWritable();
        if (length == 0) {
            return;
        }
        int done = 0;
        if (pending.isEmpty()) {
            try {
                if (data.byteArray() == null) {
                    done = socket.write(data.addressOffset() + offset, length);
                } else {
                    int n = Math.min(length, ReadinessDriver.SCRATCH_SIZE);
                    driver.scratch.putBytes(0, data, offset, n);
                    done = socket.write(driver.scratchAddress, n);
                }
            } catch (IOException e) {
                lose(e);
                return;
            }
        }
        if (done < length) {
            pending.append(data, offset + done, length - done);
            afterQueued();
        }
    }

    @Override
    public void write(byte[] data, int offset, int length) {
        loop.assertInLoop("Transport.write");
        Objects.requireNonNull(data, "data");
        checkBounds(offset, length, data.length);
        UnsafeBuffer view = driver.writeView;
        view.wrap(data);
        try {
            write(view, offset, length);
        } finally {
            view.wrap(0, 0);
        }
    }

    @Override
    public void write(ByteBuffer data) {
        loop.assertInLoop("Transport.write");
        Objects.requireNonNull(data, "data");
        if (data.isReadOnly() && !data.isDirect()) {
            // A read-only heap buffer hides its array: copy (rare path).
            byte[] copy = new byte[data.remaining()];
            data.duplicate().get(copy);
            write(copy, 0, copy.length);
            return;
        }
        UnsafeBuffer view = driver.writeView;
        view.wrap(data);
        try {
            write(view, data.position(), data.remaining());
        } finally {
            view.wrap(0, 0);
        }
    }

    @Override
    public void writeLines(Iterable<?> parts) {
        loop.assertInLoop("Transport.writeLines");
        Objects.requireNonNull(parts, "parts");
        for (Object p : parts) {
            if (!(p instanceof DirectBuffer) && !(p instanceof byte[]) && !(p instanceof ByteBuffer)) {
                throw new IllegalArgumentException("writeLines takes DirectBuffer, byte[] or ByteBuffer parts, not "
                        + (p == null ? "null" : p.getClass().getName()));
            }
        }
        checkWritable();
        boolean any = false;
        UnsafeBuffer view = driver.writeView;
        for (Object p : parts) {
            if (p instanceof DirectBuffer d) {
                pending.append(d, 0, d.capacity());
                any |= d.capacity() > 0;
            } else if (p instanceof byte[] b) {
                view.wrap(b);
                pending.append(view, 0, b.length);
                any |= b.length > 0;
            } else {
                ByteBuffer bb = (ByteBuffer) p;
                if (bb.isReadOnly() && !bb.isDirect()) {
                    byte[] copy = new byte[bb.remaining()];
                    bb.duplicate().get(copy);
                    view.wrap(copy);
                    pending.append(view, 0, copy.length);
                } else {
                    view.wrap(bb);
                    pending.append(view, bb.position(), bb.remaining());
                }
                any |= bb.hasRemaining();
            }
        }
        view.wrap(0, 0);
        if (any) {
            flush();
            if (!lost && !pending.isEmpty()) {
                afterQueued();
            }
        }
    }

    private void afterQueued() {
        updateInterest();
        if (flow.pauseNeeded(pending.size())) {
            try {
                protocol.pauseWriting();
            } catch (Throwable t) {
                fatal("protocol.pauseWriting() failed", t);
            }
        }
    }

    private void flush() {
        while (!pending.isEmpty()) {
            long n;
            try {
                if (pending.wraps()) {
                    UnsafeBuffer iov = driver.iov;
                    int first = pending.headSegment();
                    iov.putLong(0, pending.headAddress());
                    iov.putLong(8, first);
                    iov.putLong(16, pending.baseAddress());
                    iov.putLong(24, pending.size() - first);
                    n = socket.writev(driver.iovAddress, 2);
                } else {
                    n = socket.write(pending.headAddress(), pending.headSegment());
                }
            } catch (IOException e) {
                lose(e);
                return;
            }
            if (n <= 0) {
                break;
            }
            pending.consume(n);
        }
        if (flow.resumeNeeded(pending.size())) {
            try {
                protocol.resumeWriting();
            } catch (Throwable t) {
                fatal("protocol.resumeWriting() failed", t);
                return;
            }
        }
        if (pending.isEmpty()) {
            if (eofRequested && !eofSent) {
                sendEof();
            }
            if (closing && !lost) {
                finish(null, false);
                return;
            }
        }
        if (!lost) {
            updateInterest();
        }
    }

    private void sendEof() {
        eofSent = true;
        try {
            socket.shutdownOutput();
        } catch (IOException e) {
            lose(e);
            return;
        }
        if (eofReceived) {
            close();
        }
    }

    @Override
    public void writeEof() {
        loop.assertInLoop("Transport.writeEof");
        if (closing || eofRequested) {
            return;
        }
        eofRequested = true;
        if (pending.isEmpty()) {
            sendEof();
        }
    }

    @Override
    public boolean canWriteEof() {
        loop.assertInLoop("Transport.canWriteEof");
        return true;
    }

    private void checkWritable() {
        if (closing || lost) {
            throw new IllegalStateException("cannot write: the transport is closing");
        }
        if (eofRequested) {
            throw new IllegalStateException("cannot write after writeEof()");
        }
    }

    private static void checkBounds(int offset, int length, int capacity) {
        if (offset < 0 || length < 0 || offset > capacity - length) {
            throw new IndexOutOfBoundsException("offset " + offset + " length " + length + " outside [0, " + capacity + ")");
        }
    }

    // ------------------------------------------------------------------ closing

    @Override
    public void close() {
        loop.assertInLoop("Transport.close");
        if (closing || lost) {
            return;
        }
        closing = true;
        if (pending.isEmpty()) {
            finish(null, false);
        } else {
            updateInterest();
        }
    }

    @Override
    public void abort() {
        loop.assertInLoop("Transport.abort");
        if (lost) {
            return;
        }
        closing = true;
        finish(null, true);
    }

    /** An I/O error: the connection is gone; report it to the protocol. */
    private void lose(IOException cause) {
        if (lost) {
            return;
        }
        closing = true;
        finish(cause, false);
    }

    /** A protocol callback threw: report it to the loop and drop the connection. */
    private void fatal(String message, Throwable t) {
        loop.callExceptionHandler(new ExceptionContext(message, t, this));
        if (!lost) {
            closing = true;
            finish(t, true);
        }
    }

    private void finish(Throwable cause, boolean reset) {
        lost = true;
        pending.release();
        if (reset) {
            try {
                socket.setOption(StandardSocketOptions.SO_LINGER, 0);
            } catch (IOException | RuntimeException e) {
                // Best effort: without linger 0 the peer sees FIN instead of RST.
            }
        }
        driver.closeSocket(socket, registered);
        registered = false;
        boolean notify = started;
        loop.callSoon(() -> {
            driver.closed(this);
            if (notify) {
                try {
                    protocol.connectionLost(cause);
                } catch (Throwable t) {
                    loop.callExceptionHandler(new ExceptionContext("protocol.connectionLost() failed", t, this));
                }
            }
            if (server != null) {
                server.detach(this);
            }
        });
    }

    /** Loop closing: drop the socket without callbacks. */
    void closeNow() {
        if (!lost) {
            lost = true;
            closing = true;
            pending.release();
            driver.closeSocket(socket, registered);
            registered = false;
        }
    }

    @Override
    public boolean isClosing() {
        loop.assertInLoop("Transport.isClosing");
        return closing || lost;
    }

    // ------------------------------------------------------------------ reading control

    @Override
    public void pauseReading() {
        loop.assertInLoop("Transport.pauseReading");
        if (reading) {
            reading = false;
            updateInterest();
        }
    }

    @Override
    public void resumeReading() {
        loop.assertInLoop("Transport.resumeReading");
        if (!reading) {
            reading = true;
            updateInterest();
        }
    }

    @Override
    public boolean isReading() {
        loop.assertInLoop("Transport.isReading");
        return reading && !closing && !lost;
    }

    private void updateInterest() {
        if (!registered || lost || !started) {
            return;
        }
        int want = 0;
        if (reading && !closing && !eofReceived) {
            want |= Poller.READABLE;
        }
        if (!pending.isEmpty()) {
            want |= Poller.WRITABLE;
        }
        if (want != interest) {
            try {
                driver.poller.reregister(socket, want);
                interest = want;
            } catch (IOException e) {
                lose(e);
            }
        }
    }

    // ------------------------------------------------------------------ flow control, info

    @Override
    public void setWriteBufferLimits(int high, int low) {
        loop.assertInLoop("Transport.setWriteBufferLimits");
        flow.setLimits(high, low);
        if (flow.pauseNeeded(pending.size())) {
            protocol.pauseWriting();
        } else if (flow.resumeNeeded(pending.size())) {
            protocol.resumeWriting();
        }
    }

    @Override
    public int getWriteBufferLimitHigh() {
        loop.assertInLoop("Transport.getWriteBufferLimitHigh");
        return flow.high();
    }

    @Override
    public int getWriteBufferLimitLow() {
        loop.assertInLoop("Transport.getWriteBufferLimitLow");
        return flow.low();
    }

    @Override
    public int getWriteBufferSize() {
        loop.assertInLoop("Transport.getWriteBufferSize");
        return pending.size();
    }

    @Override
    public Object extraInfo(String name) {
        loop.assertInLoop("Transport.extraInfo");
        Objects.requireNonNull(name, "name");
        return info(name);
    }

    /** {@link #extraInfo} without the thread check, for {@link #toString()}. */
    private Object info(String name) {
        try {
            switch (name) {
                case PEER_NAME:
                    return socket.remoteAddress();
                case SOCK_NAME:
                    return socket.localAddress();
                case SOCKET:
                    return socket.handle();
                case BACKEND:
                    return driver.name;
                default:
                    return null;
            }
        } catch (IOException e) {
            return null;
        }
    }

    <T> void option(SocketOption<T> option, T value) throws IOException {
        socket.setOption(option, value);
    }

    @Override
    public EventLoop loop() {
        return loop;
    }

    @Override
    public BaseProtocol protocol() {
        loop.assertInLoop("Transport.protocol");
        return protocol;
    }

    @Override
    public void setProtocol(BaseProtocol protocol) {
        loop.assertInLoop("Transport.setProtocol");
        bindProtocol(protocol);
    }

    @Override
    public String toString() {
        Object peer = lost ? "closed" : info(PEER_NAME);
        return "StreamTransport[" + driver.name + ", " + peer + "]";
    }
}
