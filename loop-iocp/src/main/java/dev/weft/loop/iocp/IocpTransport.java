package dev.weft.loop.iocp;

import dev.weft.loop.BaseProtocol;
import dev.weft.loop.BufferedProtocol;
import dev.weft.loop.EventLoop;
import dev.weft.loop.ExceptionContext;
import dev.weft.loop.NativeIOException;
import dev.weft.loop.Protocol;
import dev.weft.loop.Transport;
import dev.weft.loop.spi.WriteFlowControl;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.Objects;
import org.agrona.BufferUtil;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import static dev.weft.loop.iocp.WinConstants.*;

/**
 * The TCP transport of the IOCP backend: at most one overlapped WSARecv and one overlapped WSASend
 * in flight, each with its own OVERLAPPED in this transport's native block.
 *
 * <p><b>Reads</b> land in the transport's own 64 KiB native buffer (an operation in flight owns its
 * memory, so the loop cannot share one read buffer between connections as readiness backends do)
 * and reach a {@link Protocol} as a re-wrapped view of it, valid during the call; a
 * {@link BufferedProtocol} gets them copied into its buffer. While reading is paused no read is
 * posted; bytes of a read that completed after the pause are kept and delivered on resume.
 *
 * <p><b>Writes</b> try a non-blocking {@code send} from the caller's memory first when nothing is
 * queued; the rest is copied into the filling {@link SendBuffer}. One WSASend at a time sends the
 * frozen buffer; when it completes the buffers swap. The frozen buffer is never appended to while the
 * kernel reads it.
 *
 * <p><b>Closing.</b> {@code close} cancels the pending read, lets queued bytes go out, then closes the
 * socket; {@code abort} sets SO_LINGER 0 and closes at once (the peer sees RST). Closing the socket
 * cancels what is in flight; the native block and the frozen buffer are freed only when the last
 * completion has come back. {@code connectionLost} runs once, through {@code callSoon}.
 *
 * <p><b>Threads.</b> Every public method of {@link Transport} but {@link #loop()} and
 * {@link #toString()} first checks that it runs on the loop thread, then its arguments, and only then
 * touches state (the driver's scratch area is shared by every transport of the loop).
 */
final class IocpTransport implements Transport, Completion {
    static final int READ_SIZE = 64 * 1024;

    private static final int READ_OV = 0;
    private static final int WRITE_OV = OVERLAPPED_SIZE;
    private static final int READ_WSABUF = 2 * OVERLAPPED_SIZE;
    private static final int WRITE_WSABUF = READ_WSABUF + WSABUF_SIZE;
    private static final int FLAGS = WRITE_WSABUF + WSABUF_SIZE;
    private static final int LINGER = FLAGS + 8;
    private static final int READ_DATA = LINGER + 8;
    private static final int BLOCK_SIZE = READ_DATA + READ_SIZE;

    private final IocpDriver driver;
    private final EventLoop loop;
    private final long socket;
    private final int key;
    private final IocpServer server;
    private final long block;
    private final InetSocketAddress local;
    private final InetSocketAddress remote;

    private BaseProtocol protocol;
    private Protocol streamProtocol;
    private BufferedProtocol bufferedProtocol;

    private SendBuffer frozen = new SendBuffer();
    private SendBuffer filling = new SendBuffer();
    private final WriteFlowControl flow = new WriteFlowControl();

    private boolean started;
    private boolean reading = true;
    private boolean readPending;
    private boolean writePending;
    private int held;
    private boolean eofReceived;
    private boolean closing;
    private boolean eofRequested;
    private boolean eofSent;
    private boolean lost;
    private boolean socketClosed;
    private boolean freed;

    /** Takes over {@code socket}, already registered with the driver under {@code key}. */
    IocpTransport(IocpDriver driver, long socket, int key, BaseProtocol protocol, IocpServer server)
            throws NativeIOException {
        this.driver = driver;
        this.loop = driver.loop;
        this.socket = socket;
        this.key = key;
        this.server = server;
        bindProtocol(protocol);
        this.local = WinSock.localAddress(socket);
        this.remote = WinSock.remoteAddress(socket);
        this.block = Mem.allocate(BLOCK_SIZE);
        driver.transfer(key, this);
        driver.opened(this);
    }

    /** Calls connectionMade, then starts reading. Runs on the loop thread. */
    void start() {
        if (lost) {
            return;
        }
        started = true;
        try {
            protocol.connectionMade(this);
        } catch (Throwable t) {
            fatal("protocol.connectionMade() failed", t);
            return;
        }
        startRead();
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

    // ------------------------------------------------------------------ completions

    @Override
    public void complete(long overlapped, int error, int bytes) {
        if (overlapped == block + READ_OV) {
            readPending = false;
            onRead(error, bytes);
        } else if (overlapped == block + WRITE_OV) {
            writePending = false;
            onWrite(error, bytes);
        }
        maybeFree();
    }

    private void onRead(int error, int bytes) {
        if (lost) {
            return;
        }
        if (error != 0) {
            if (error == ERROR_OPERATION_ABORTED && closing) {
                return;
            }
            lose(WinError.exception("WSARecv", error));
            return;
        }
        if (bytes == 0) {
            onEof();
            return;
        }
        if (!reading || closing) {
            held = bytes;
            return;
        }
        deliver(bytes);
        startRead();
    }

    private void deliver(int n) {
        long data = block + READ_DATA;
        if (streamProtocol != null) {
            driver.readView.wrap(data, n);
            try {
                streamProtocol.dataReceived(driver.readView);
            } catch (Throwable t) {
                fatal("protocol.dataReceived() failed", t);
            }
            return;
        }
        int done = 0;
        while (done < n && !lost) {
            MutableDirectBuffer buf;
            try {
                buf = bufferedProtocol.getBuffer(n - done);
                if (buf == null || buf.capacity() == 0) {
                    throw new IllegalStateException("getBuffer() returned "
                            + (buf == null ? "null" : "an empty buffer"));
                }
            } catch (Throwable t) {
                fatal("protocol.getBuffer() failed", t);
                return;
            }
            int k = Math.min(buf.capacity(), n - done);
            driver.readView.wrap(data + done, k);
            buf.putBytes(0, driver.readView, 0, k);
            done += k;
            try {
                bufferedProtocol.bufferUpdated(k);
            } catch (Throwable t) {
                fatal("protocol.bufferUpdated() failed", t);
                return;
            }
        }
    }

    private void startRead() {
        if (readPending || lost || closing || eofReceived || !reading || held > 0 || !started) {
            return;
        }
        long wsabuf = block + READ_WSABUF;
        Mem.putInt(wsabuf + WSABUF_LEN, READ_SIZE);
        Mem.putLong(wsabuf + WSABUF_BUF, block + READ_DATA);
        Mem.putInt(block + FLAGS, 0);
        long ov = block + READ_OV;
        Mem.zero(ov, OVERLAPPED_SIZE);
        readPending = true;
        int rc = Ws2.WSARecv(socket, wsabuf, 1, 0L, block + FLAGS, ov, 0L);
        driver.started(this, ov, rc, rc == 0 ? 0 : WinError.last());
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
        if (lost) {
            return;
        }
        if (!keepOpen || eofSent) {
            close();
        }
    }

    private void onWrite(int error, int bytes) {
        if (lost) {
            return;
        }
        if (error != 0) {
            lose(WinError.exception("WSASend", error));
            return;
        }
        frozen.consume(bytes);
        afterSent();
    }

    /** Starts the next WSASend if one is due, then handles flow control, EOF and close. */
    private void afterSent() {
        if (!writePending && frozen.isEmpty() && !filling.isEmpty()) {
            SendBuffer b = frozen;
            frozen = filling;
            filling = b;
        }
        if (!writePending && !frozen.isEmpty()) {
            long wsabuf = block + WRITE_WSABUF;
            Mem.putInt(wsabuf + WSABUF_LEN, frozen.size());
            Mem.putLong(wsabuf + WSABUF_BUF, frozen.headAddress());
            long ov = block + WRITE_OV;
            Mem.zero(ov, OVERLAPPED_SIZE);
            writePending = true;
            int rc = Ws2.WSASend(socket, wsabuf, 1, 0L, 0, ov, 0L);
            driver.started(this, ov, rc, rc == 0 ? 0 : WinError.last());
        }
        int size = buffered();
        if (flow.resumeNeeded(size)) {
            try {
                protocol.resumeWriting();
            } catch (Throwable t) {
                fatal("protocol.resumeWriting() failed", t);
                return;
            }
        }
        if (size == 0 && !lost) {
            if (eofRequested && !eofSent) {
                sendEof();
            }
            if (closing && !lost) {
                finish(null, false);
            }
        }
    }

    private void sendEof() {
        eofSent = true;
        if (Ws2.shutdown(socket, SD_SEND) != 0) {
            lose(WinError.exception("shutdown(SD_SEND)", WinError.last()));
            return;
        }
        if (eofReceived) {
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
        if (idle()) {
            if (data.byteArray() == null) {
                done = sendNow(data.addressOffset() + offset, length);
            } else {
                int n = Math.min(length, IocpDriver.SCRATCH_SIZE);
                driver.scratch.putBytes(0, data, offset, n);
                done = sendNow(driver.scratchAddress, n);
            }
            if (done < 0) {
                return;
            }
        }
        if (done < length) {
            filling.append(data, offset + done, length - done);
            afterQueued();
        }
    }

    @Override
    public void write(byte[] data, int offset, int length) {
        loop.assertInLoop("Transport.write");
        Objects.requireNonNull(data, "data");
        checkBounds(offset, length, data.length);
        checkWritable();
        if (length == 0) {
            return;
        }
        int done = 0;
        if (idle()) {
            int n = Math.min(length, IocpDriver.SCRATCH_SIZE);
            driver.scratch.putBytes(0, data, offset, n);
            done = sendNow(driver.scratchAddress, n);
            if (done < 0) {
                return;
            }
        }
        if (done < length) {
            filling.append(data, offset + done, length - done);
            afterQueued();
        }
    }

    @Override
    public void write(ByteBuffer data) {
        loop.assertInLoop("Transport.write");
        Objects.requireNonNull(data, "data");
        checkWritable();
        int pos = data.position();
        int length = data.remaining();
        if (length == 0) {
            return;
        }
        int done = 0;
        if (idle()) {
            if (data.isDirect()) {
                done = sendNow(BufferUtil.address(data) + pos, length);
            } else {
                int n = Math.min(length, IocpDriver.SCRATCH_SIZE);
                driver.scratch.putBytes(0, data, pos, n);
                done = sendNow(driver.scratchAddress, n);
            }
            if (done < 0) {
                return;
            }
        }
        if (done < length) {
            filling.append(data, pos + done, length - done);
            afterQueued();
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
        for (Object p : parts) {
            if (p instanceof DirectBuffer d) {
                any |= d.capacity() > 0;
                filling.append(d, 0, d.capacity());
            } else if (p instanceof byte[] b) {
                any |= b.length > 0;
                filling.append(b, 0, b.length);
            } else {
                ByteBuffer bb = (ByteBuffer) p;
                any |= bb.hasRemaining();
                filling.append(bb, bb.position(), bb.remaining());
            }
        }
        if (any) {
            afterQueued();
        }
    }

    private boolean idle() {
        return !writePending && frozen.isEmpty() && filling.isEmpty();
    }

    /** Non-blocking send from {@code address}: bytes taken (0 if it would block), -1 if the connection is lost. */
    private int sendNow(long address, int length) {
        int n = Ws2.send(socket, address, length, 0);
        if (n >= 0) {
            return n;
        }
        int error = WinError.last();
        if (error == WSAEWOULDBLOCK) {
            return 0;
        }
        lose(WinError.exception("send", error));
        return -1;
    }

    private void afterQueued() {
        afterSent();
        if (!lost && flow.pauseNeeded(buffered())) {
            try {
                protocol.pauseWriting();
            } catch (Throwable t) {
                fatal("protocol.pauseWriting() failed", t);
            }
        }
    }

    @Override
    public void writeEof() {
        loop.assertInLoop("Transport.writeEof");
        if (closing || lost || eofRequested) {
            return;
        }
        eofRequested = true;
        if (buffered() == 0) {
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
            throw new IndexOutOfBoundsException("offset " + offset + " length " + length + " outside [0, "
                    + capacity + ")");
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
        if (readPending) {
            // Stop reading now; the cancelled read completes with ERROR_OPERATION_ABORTED.
            Kernel32.CancelIoEx(socket, block + READ_OV);
        }
        if (buffered() == 0) {
            finish(null, false);
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

    private void lose(Throwable cause) {
        if (lost) {
            return;
        }
        closing = true;
        finish(cause, false);
    }

    private void fatal(String message, Throwable t) {
        loop.callExceptionHandler(new ExceptionContext(message, t, this));
        if (!lost) {
            closing = true;
            finish(t, true);
        }
    }

    private void finish(Throwable cause, boolean reset) {
        lost = true;
        closeSocket(reset);
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
        maybeFree();
    }

    private void closeSocket(boolean reset) {
        if (socketClosed) {
            return;
        }
        socketClosed = true;
        if (reset) {
            // SO_LINGER {l_onoff=1, l_linger=0}: closesocket sends RST and drops unsent data.
            long linger = block + LINGER;
            Mem.putShort(linger, (short) 1);
            Mem.putShort(linger + 2, (short) 0);
            Ws2.setsockopt(socket, SOL_SOCKET, SO_LINGER, linger, 4);
        }
        // Closing cancels whatever is in flight: each operation still completes, aborted.
        Ws2.closesocket(socket);
    }

    /** Loop closing: drop the socket without callbacks. */
    @Override
    public void closeNow() {
        if (!lost) {
            lost = true;
            closing = true;
            driver.closed(this);
        }
        closeSocket(true);
        maybeFree();
    }

    /** Frees native memory once closed and nothing is in flight; then forgets the key. */
    private void maybeFree() {
        if (freed || !socketClosed || readPending || writePending) {
            return;
        }
        freed = true;
        frozen.release();
        filling.release();
        Mem.free(block);
        driver.release(key);
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
        reading = false;
    }

    @Override
    public void resumeReading() {
        loop.assertInLoop("Transport.resumeReading");
        if (reading) {
            return;
        }
        reading = true;
        if (held > 0) {
            loop.callSoon(this::deliverHeld);
        } else {
            startRead();
        }
    }

    private void deliverHeld() {
        if (held == 0 || !reading || lost || closing) {
            return;
        }
        int n = held;
        held = 0;
        deliver(n);
        startRead();
    }

    @Override
    public boolean isReading() {
        loop.assertInLoop("Transport.isReading");
        return reading && !closing && !lost;
    }

    // ------------------------------------------------------------------ flow control, info

    @Override
    public void setWriteBufferLimits(int high, int low) {
        loop.assertInLoop("Transport.setWriteBufferLimits");
        flow.setLimits(high, low);
        int size = buffered();
        if (flow.pauseNeeded(size)) {
            protocol.pauseWriting();
        } else if (flow.resumeNeeded(size)) {
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
        return buffered();
    }

    /** Bytes queued and not yet taken by the kernel. */
    private int buffered() {
        return frozen.size() + filling.size();
    }

    @Override
    public Object extraInfo(String name) {
        loop.assertInLoop("Transport.extraInfo");
        Objects.requireNonNull(name, "name");
        switch (name) {
            case PEER_NAME:
                return remote;
            case SOCK_NAME:
                return local;
            case SOCKET:
                return socket;
            case BACKEND:
                return driver.name;
            default:
                return null;
        }
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
        return "IocpTransport[" + local + " -> " + remote + (lost ? ", closed" : "") + "]";
    }
}
