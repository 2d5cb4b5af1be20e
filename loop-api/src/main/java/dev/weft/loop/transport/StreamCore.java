package dev.weft.loop.transport;

import dev.weft.loop.BaseProtocol;
import dev.weft.loop.BufferedProtocol;
import dev.weft.loop.EventLoop;
import dev.weft.loop.ExceptionContext;
import dev.weft.loop.LoopFuture;
import dev.weft.loop.Protocol;
import dev.weft.loop.Transport;
import dev.weft.loop.core.LoopProbe;
import dev.weft.loop.core.ResourceWatch;
import dev.weft.loop.core.StreamProtocols;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.Objects;
import org.agrona.BufferUtil;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The stream transport of every backend: one state machine over a backend's {@link StreamIo}.
 *
 * <p><b>What it owns.</b> The protocol binding ({@link Protocol} or {@link BufferedProtocol}), the
 * write-side rules (try the kernel from the caller's memory first, queue only what it left, pause and
 * resume the protocol at the water marks), and the life cycle below. The backend owns the descriptor,
 * the queue's memory and the way bytes move.
 *
 * <p><b>States.</b> open → (writeEof: EOF requested → EOF sent once the queue drains) →
 * closing (close: the queue drains, then released) → lost (released; {@code connectionLost} is
 * scheduled exactly once, through {@code callSoon}, never inside another protocol callback).
 * {@code abort}, an I/O error, or a protocol callback that throws go straight to lost; abort and a
 * throwing callback reset the connection. An EOF from the peer stops reading; the transport closes
 * unless the protocol's {@code eofReceived} asks to keep it open and our own EOF is not yet sent.
 *
 * <p><b>Direction.</b> A socket is {@link Direction#BOTH}. A pipe end is one-way, as asyncio's pipe
 * transports: a {@link Direction#READ_ONLY} transport refuses every write ({@code canWriteEof()} is
 * false) and closes at the pipe's EOF whatever {@code eofReceived} answers (there is nothing left to
 * do); a {@link Direction#WRITE_ONLY} one never reads, and its {@code writeEof()} is
 * {@code close()} (a pipe has no half-close: the reader sees EOF once the descriptor is closed). The
 * backend tells a write-only transport that its reader went away through {@link #readerClosed()}.
 *
 * <p><b>sendfile.</b> While a {@link #sendfile} runs, the transport does not read, and
 * {@code write}, {@code writeLines} and {@code writeEof} fail with "sendfile is in progress", so
 * bytes written before and after keep their order around the file's bytes.
 *
 * <p><b>Threads.</b> Loop thread only. Every public method checks its thread first, then its
 * arguments, and only then touches state, so a call from the wrong thread changes nothing.
 */
public final class StreamCore implements Transport {
    /** Which way bytes move through the transport. */
    public enum Direction {
        /** A socket: reads and writes. */
        BOTH,
        /** The read end of a pipe: reads only. */
        READ_ONLY,
        /** The write end of a pipe: writes only. */
        WRITE_ONLY
    }

    private final EventLoop loop;
    private final StreamIo io;
    private final ServerClients server;
    private final WriteFlowControl flow = new WriteFlowControl();
    private final Direction direction;

    private BaseProtocol protocol;
    private Protocol streamProtocol;
    private BufferedProtocol bufferedProtocol;

    private boolean started;
    private boolean reading = true;
    private boolean eofReceived;
    private boolean closing;
    private boolean eofRequested;
    private boolean eofSent;
    private boolean lost;
    /** Debug mode: reports this transport if it is garbage-collected unclosed; else null. */
    private ResourceWatch watch;
    /** The sendfile in progress, or null. */
    private FileSend fileSend;

    /**
     * A transport over {@code io} for {@code protocol}; {@code server} is the accepting server's
     * bookkeeping, or null for a client connection. Nothing is called until {@link #start()}.
     */
    public StreamCore(EventLoop loop, StreamIo io, BaseProtocol protocol, ServerClients server) {
        this(loop, io, protocol, server, Direction.BOTH);
    }

    /** As the four-argument constructor, for a transport moving bytes one way only (a pipe end). */
    public StreamCore(EventLoop loop, StreamIo io, BaseProtocol protocol, ServerClients server, Direction direction) {
        this.loop = Objects.requireNonNull(loop, "loop");
        this.io = Objects.requireNonNull(io, "io");
        this.server = server;
        this.direction = Objects.requireNonNull(direction, "direction");
        bindProtocol(protocol);
    }

    /** Which way this transport moves bytes. */
    public Direction direction() {
        return direction;
    }

    /** Calls {@code connectionMade}, then starts reading. Loop thread. */
    public void start() {
        if (lost) {
            return;
        }
        started = true;
        watch = ResourceWatch.open(loop, this, "transport " + this);
        try {
            protocol.connectionMade(this);
        } catch (Throwable t) {
            fatal("protocol.connectionMade() failed", t);
            return;
        }
        if (!lost) {
            io.readingChanged();
        }
    }

    private void bindProtocol(BaseProtocol p) {
        protocol = StreamProtocols.requireStream(p);
        streamProtocol = p instanceof Protocol sp ? sp : null;
        bufferedProtocol = p instanceof BufferedProtocol bp ? bp : null;
    }

    // ------------------------------------------------------------------ for the backend: reading

    /** Whether the backend should read now: started, reading, not closing, no EOF yet. */
    public boolean wantsRead() {
        return started && reading && !closing && !eofReceived && !lost && direction != Direction.WRITE_ONLY && fileSend == null;
    }

    /** Whether a sendfile waits for the socket to take bytes again (the backend then reports {@link #writable()}). */
    public boolean wantsWritable() {
        return fileSend != null && fileSend.wantsWritable();
    }

    /** The socket can take bytes again, after {@link StreamIo#awaitWritable()}. */
    public void writable() {
        if (!lost && fileSend != null) {
            fileSend.writable();
        }
    }

    /** True once the transport is released; the backend then ignores readiness and completions. */
    public boolean isLost() {
        return lost;
    }

    /** The protocol, when it takes data as views ({@link Protocol}); else null. */
    public Protocol streamProtocol() {
        return streamProtocol;
    }

    /**
     * The protocol's next buffer for a read of up to {@code sizeHint} bytes, when it owns its memory
     * ({@link BufferedProtocol}); null if it does not, or if it failed (the transport is then lost).
     */
    public MutableDirectBuffer protocolBuffer(int sizeHint) {
        BufferedProtocol bp = bufferedProtocol;
        if (bp == null) {
            return null;
        }
        try {
            MutableDirectBuffer buf = bp.getBuffer(sizeHint);
            if (buf == null || buf.capacity() == 0) {
                throw new IllegalStateException("getBuffer() returned " + (buf == null ? "null" : "an empty buffer"));
            }
            return buf;
        } catch (Throwable t) {
            fatal("protocol.getBuffer() failed", t);
            return null;
        }
    }

    /** Hands a read to a {@link Protocol}; {@code view} is valid during the call only. */
    public void dataReceived(DirectBuffer view) {
        try {
            streamProtocol.dataReceived(view);
        } catch (Throwable t) {
            fatal("protocol.dataReceived() failed", t);
        }
    }

    /** {@code n} bytes landed at index 0 of the buffer {@link #protocolBuffer} returned last. */
    public void bufferUpdated(int n) {
        try {
            bufferedProtocol.bufferUpdated(n);
        } catch (Throwable t) {
            fatal("protocol.bufferUpdated() failed", t);
        }
    }

    /**
     * Delivers {@code n} bytes at {@code address} to whichever protocol is bound: as a view
     * (re-pointing {@code view}), or copied into the buffers a {@link BufferedProtocol} hands out.
     */
    public void deliver(long address, int n, UnsafeBuffer view) {
        if (streamProtocol != null) {
            view.wrap(address, n);
            dataReceived(view);
            return;
        }
        int done = 0;
        while (done < n && !lost) {
            MutableDirectBuffer buf = protocolBuffer(n - done);
            if (buf == null) {
                return;
            }
            int k = Math.min(buf.capacity(), n - done);
            view.wrap(address + done, k);
            buf.putBytes(0, view, 0, k);
            done += k;
            bufferUpdated(k);
        }
    }

    /** The peer sent EOF. */
    public void eofReceived() {
        if (lost) {
            return;
        }
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
        if (!keepOpen || eofSent || direction == Direction.READ_ONLY) {
            close();
        } else {
            // Kept open: stop reading; a writeEof still pending closes once it is sent.
            io.readingChanged();
        }
    }

    /** The connection failed under the backend (reset, broken pipe, ...): report it, release. */
    public void lost(IOException cause) {
        if (lost) {
            return;
        }
        closing = true;
        finish(cause, false);
    }

    /**
     * The reading end of a write-only transport went away (the backend saw read readiness on the
     * write end). As asyncio's write pipe transport: with bytes still queued they cannot be
     * delivered, so the protocol hears a broken pipe; with nothing queued nothing was lost, so it
     * hears {@code connectionLost(null)}.
     */
    public void readerClosed() {
        if (lost) {
            return;
        }
        int unsent = io.queued();
        lost(unsent == 0 ? null : new IOException("broken pipe: the reading end closed with " + unsent
                + " bytes unsent (" + io.info(PIPE) + ")"));
    }

    // ------------------------------------------------------------------ for the backend: writing

    /**
     * The queue shrank: resume the protocol at the low-water mark; once empty, send a requested EOF
     * and finish a close.
     */
    public void drained() {
        if (lost) {
            return;
        }
        int size = io.queued();
        if (flow.resumeNeeded(size)) {
            try {
                protocol.resumeWriting();
            } catch (Throwable t) {
                fatal("protocol.resumeWriting() failed", t);
                return;
            }
            if (lost) {
                return;
            }
            // resumeWriting may have written (and closed or sent writeEof): those bytes are queued.
            size = io.queued();
        }
        if (fileSend != null) {
            fileSend.drained(size, flow.low());
            if (lost) {
                return;
            }
        }
        if (size == 0) {
            if (eofRequested && !eofSent) {
                sendEof();
            }
            if (closing && !lost) {
                finish(null, false);
            }
        }
    }

    // ------------------------------------------------------------------ Transport: writing

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
        if (io.idle()) {
            try {
                if (data.byteArray() == null) {
                    done = io.sendNow(data.addressOffset() + offset, length);
                } else {
                    MutableDirectBuffer scratch = io.scratch();
                    int n = Math.min(length, scratch.capacity());
                    scratch.putBytes(0, data, offset, n);
                    done = io.sendNow(scratch.addressOffset(), n);
                }
            } catch (IOException e) {
                lost(e);
                return;
            }
        }
        if (done < length) {
            io.queue(data, offset + done, length - done);
            afterQueued(false);
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
        if (io.idle()) {
            MutableDirectBuffer scratch = io.scratch();
            int n = Math.min(length, scratch.capacity());
            scratch.putBytes(0, data, offset, n);
            try {
                done = io.sendNow(scratch.addressOffset(), n);
            } catch (IOException e) {
                lost(e);
                return;
            }
        }
        if (done < length) {
            io.queue(data, offset + done, length - done);
            afterQueued(false);
        }
    }

    @Override
    public void write(ByteBuffer data) {
        loop.assertInLoop("Transport.write");
        Objects.requireNonNull(data, "data");
        checkWritable();
        writeBuffer(data);
    }

    private void writeBuffer(ByteBuffer data) {
        int pos = data.position();
        int length = data.remaining();
        if (length == 0) {
            return;
        }
        int done = 0;
        if (io.idle()) {
            try {
                if (data.isDirect()) {
                    done = io.sendNow(BufferUtil.address(data) + pos, length);
                } else {
                    MutableDirectBuffer scratch = io.scratch();
                    int n = Math.min(length, scratch.capacity());
                    scratch.putBytes(0, data, pos, n);
                    done = io.sendNow(scratch.addressOffset(), n);
                }
            } catch (IOException e) {
                lost(e);
                return;
            }
        }
        if (done < length) {
            io.queue(data, pos + done, length - done);
            afterQueued(false);
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
                io.queue(d, 0, d.capacity());
            } else if (p instanceof byte[] b) {
                any |= b.length > 0;
                io.queue(b, 0, b.length);
            } else {
                ByteBuffer bb = (ByteBuffer) p;
                any |= bb.hasRemaining();
                io.queue(bb, bb.position(), bb.remaining());
            }
        }
        if (any) {
            afterQueued(true);
        }
    }

    private void afterQueued(boolean tryNow) {
        io.kick(tryNow);
        if (!lost && flow.pauseNeeded(io.queued())) {
            try {
                protocol.pauseWriting();
            } catch (Throwable t) {
                fatal("protocol.pauseWriting() failed", t);
            }
        }
    }

    private void sendEof() {
        eofSent = true;
        try {
            io.shutdownOutput();
        } catch (IOException e) {
            lost(e);
            return;
        }
        if (eofReceived) {
            close();
        }
    }

    @Override
    public void writeEof() {
        loop.assertInLoop("Transport.writeEof");
        if (direction == Direction.READ_ONLY) {
            throw new IllegalStateException(READ_PIPE);
        }
        if (direction == Direction.WRITE_ONLY) {
            close();
            return;
        }
        if (closing || lost || eofRequested) {
            return;
        }
        if (fileSend != null) {
            throw new IllegalStateException("cannot writeEof: sendfile is in progress");
        }
        eofRequested = true;
        if (io.queued() == 0) {
            sendEof();
        }
    }

    @Override
    public boolean canWriteEof() {
        loop.assertInLoop("Transport.canWriteEof");
        return direction != Direction.READ_ONLY;
    }

    private static final String READ_PIPE = "cannot write to a read pipe transport";

    private void checkWritable() {
        if (direction == Direction.READ_ONLY) {
            throw new IllegalStateException(READ_PIPE);
        }
        if (closing || lost) {
            throw new IllegalStateException("cannot write: the transport is closing");
        }
        if (eofRequested) {
            throw new IllegalStateException("cannot write after writeEof()");
        }
        if (fileSend != null) {
            throw new IllegalStateException("cannot write: sendfile is in progress");
        }
    }

    // ------------------------------------------------------------------ sendfile

    /**
     * Sends {@code count} bytes of {@code file} from {@code offset} ({@code count} 0: to the end of
     * the file) after everything written before, and completes with the number of bytes sent; see
     * {@link dev.weft.loop.EventLoop#sendfile}, which checks the arguments and calls this.
     * {@code kernelUnsupported}: why the backend has no kernel path (null when it has one); the
     * copying path is then used, or, with {@code fallback} false, this fails with
     * {@link dev.weft.loop.SendfileNotAvailableException} and changes nothing.
     *
     * @throws IllegalStateException when the transport is closing, after {@code writeEof}, or while
     *         another sendfile runs
     */
    public LoopFuture<Long> sendfile(FileChannel file, long offset, long count, boolean fallback,
                                     String kernelUnsupported) {
        loop.assertInLoop("sendfile");
        Objects.requireNonNull(file, "file");
        if (closing || lost) {
            throw new IllegalStateException("cannot sendfile: the transport is closing");
        }
        if (eofRequested) {
            throw new IllegalStateException("cannot sendfile after writeEof()");
        }
        if (fileSend != null) {
            throw new IllegalStateException("cannot sendfile: sendfile is in progress");
        }
        String reason = kernelUnsupported != null ? kernelUnsupported : io.sendFileUnsupported(file);
        if (reason != null && !fallback) {
            throw new dev.weft.loop.SendfileNotAvailableException(reason);
        }
        FileSend op = new FileSend(this, io, loop, file, offset, count, reason != null, fallback);
        fileSend = op;
        io.readingChanged();
        op.start();
        return op.result;
    }

    /** The sendfile's bytes, through the queue like any write (the refusal is for users only). */
    void writeForSendfile(ByteBuffer data) {
        writeBuffer(data);
    }

    int writeHighWater() {
        return flow.high();
    }

    /** The sendfile {@code op} is over: writes are allowed again and reading resumes. */
    void fileSendEnded(FileSend op) {
        if (fileSend == op) {
            fileSend = null;
            if (!lost) {
                io.readingChanged();
            }
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
        if (fileSend != null) {
            fileSend.transportLost(null);
        }
        if (io.queued() == 0) {
            finish(null, false);
        } else {
            io.readingChanged();
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

    /** A protocol callback threw: report it to the loop and reset the connection. */
    private void fatal(String message, Throwable t) {
        loop.callExceptionHandler(new ExceptionContext(message, t, this));
        if (!lost) {
            closing = true;
            finish(t, true);
        }
    }

    private void finish(Throwable cause, boolean reset) {
        if (cause != null) {
            LoopProbe.INSTANCE.transportError(this, cause);
        }
        lost = true;
        ResourceWatch.closed(watch);
        if (fileSend != null) {
            fileSend.transportLost(cause);
        }
        io.release(reset);
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
            if (server != null) {
                server.remove(this);
            }
        });
    }

    /** The loop is closing: release without callbacks. Loop thread. */
    public void closeNow() {
        if (!lost) {
            lost = true;
            ResourceWatch.closed(watch);
            closing = true;
            if (fileSend != null) {
                fileSend.transportLost(new IOException("the loop closed"));
            }
            io.release(true);
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
            if (!lost) {
                io.readingChanged();
            }
        }
    }

    @Override
    public void resumeReading() {
        loop.assertInLoop("Transport.resumeReading");
        if (!reading) {
            reading = true;
            if (!lost) {
                io.readingChanged();
            }
        }
    }

    @Override
    public boolean isReading() {
        loop.assertInLoop("Transport.isReading");
        return reading && !closing && !lost && direction != Direction.WRITE_ONLY && fileSend == null;
    }

    // ------------------------------------------------------------------ flow control, info

    @Override
    public void setWriteBufferLimits(int high, int low) {
        loop.assertInLoop("Transport.setWriteBufferLimits");
        flow.setLimits(high, low);
        int size = io.queued();
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
        return io.queued();
    }

    @Override
    public Object extraInfo(String name) {
        loop.assertInLoop("Transport.extraInfo");
        Objects.requireNonNull(name, "name");
        if (BACKEND.equals(name)) {
            return io.backendName();
        }
        return io.info(name);
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
        Object peer = lost ? "closed" : io.info(direction == Direction.BOTH ? PEER_NAME : PIPE);
        return "Transport[" + io.backendName() + ", " + peer + "]";
    }
}
