package dev.weft.loop.process;

import dev.weft.loop.BaseProtocol;
import dev.weft.loop.EventLoop;
import dev.weft.loop.Protocol;
import dev.weft.loop.Transport;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * One standard stream of a child started with {@link java.lang.Process}, as a {@link Transport}:
 * fd 0 is written, fd 1 and 2 are read. A {@code java.lang.Process} stream only blocks, so a small
 * daemon thread per pipe moves the bytes and hands each step to the loop with
 * {@link EventLoop#callSoonThreadsafe}.
 *
 * <h2>Reading</h2>
 * The reader thread reads at most one chunk ahead: it reads the next chunk only after the loop
 * delivered the last one and reading is not paused. {@link #pauseReading()} therefore stops the
 * thread within one chunk, and the chunk's memory is reused.
 *
 * <h2>Writing</h2>
 * {@code write} copies the bytes and queues them for the writer thread; the buffer size counts
 * bytes not yet taken by the pipe, and the protocol's pause/resume writing follow the water marks.
 * A failed write (the child closed its stdin or exited: broken pipe) loses the pipe with that
 * error; later writes are dropped, as asyncio's pipe transports do.
 *
 * <p>The pipe reports to the protocol it is made with (a {@link SubprocessCore}'s pipe protocol),
 * whose {@code connectionMade} its maker calls. The threads own the {@code java.lang.Process}
 * streams and close them when they end. Loop thread only, as every transport.
 */
final class ProcessPipe implements Transport {
    private static final int CHUNK = 64 * 1024;
    private static final Object EOF = new Object();

    private final EventLoop loop;
    private final long pid;
    private final int fd;
    private final Protocol protocol;

    // reading
    private final InputStream in;
    private final Semaphore readPermit = new Semaphore(1);
    private final byte[] chunk;
    private final UnsafeBuffer view = new UnsafeBuffer(new byte[0]);
    private boolean reading = true;
    private boolean permitHeld;

    // writing
    private final OutputStream out;
    private final LinkedBlockingQueue<Object> outbox = new LinkedBlockingQueue<>();
    private int bufferSize;
    private int high = DEFAULT_HIGH_WATER;
    private int low = DEFAULT_LOW_WATER;
    private boolean writePaused;
    private boolean eofQueued;

    private boolean closing;
    private boolean lost;

    private ProcessPipe(EventLoop loop, long pid, int fd, InputStream in, OutputStream out, Protocol protocol) {
        this.loop = loop;
        this.pid = pid;
        this.fd = fd;
        this.protocol = protocol;
        this.in = in;
        this.out = out;
        this.chunk = in != null ? new byte[CHUNK] : null;
    }

    /** The pipe from the child's {@code fd} (1 or 2), read from {@code in}, reporting to {@code protocol}. */
    static ProcessPipe reading(EventLoop loop, long pid, int fd, InputStream in, Protocol protocol) {
        return new ProcessPipe(loop, pid, fd, in, null, protocol);
    }

    /** The pipe to the child's stdin, written to {@code out}, reporting to {@code protocol}. */
    static ProcessPipe writing(EventLoop loop, long pid, OutputStream out, Protocol protocol) {
        return new ProcessPipe(loop, pid, 0, null, out, protocol);
    }

    /** Starts the pipe's thread; called once, after the protocol's connectionMade. */
    void start() {
        Thread t = new Thread(in != null ? this::readLoop : this::writeLoop,
                "weft-subprocess-" + pid + (fd == 0 ? "-stdin" : fd == 1 ? "-stdout" : "-stderr"));
        t.setDaemon(true);
        t.start();
    }

    // ------------------------------------------------------------ threads

    private void readLoop() {
        try (InputStream stream = in) {
            while (true) {
                readPermit.acquireUninterruptibly();
                int n;
                try {
                    n = stream.read(chunk);
                } catch (IOException e) {
                    post(() -> lose(e));
                    return;
                }
                if (n < 0) {
                    post(() -> lose(null));
                    return;
                }
                if (n > 0) {
                    post(() -> deliver(n));
                } else {
                    readPermit.release();
                }
            }
        } catch (IOException closeFailed) {
            // The stream is gone either way.
        }
    }

    private void writeLoop() {
        try (OutputStream stream = out) {
            while (true) {
                Object o = outbox.take();
                if (o == EOF) {
                    stream.flush();
                    break;
                }
                byte[] b = (byte[]) o;
                try {
                    stream.write(b);
                    stream.flush();
                } catch (IOException e) {
                    // The JDK swaps in a stream failing with "Stream closed" once the child exited.
                    IOException broken = new IOException("broken pipe: the child's stdin is closed ("
                            + e.getMessage() + ")", e);
                    post(() -> lose(broken));
                    return;
                }
                post(() -> written(b.length));
            }
        } catch (IOException e) {
            post(() -> lose(e));
            return;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        post(() -> lose(null));
    }

    private void post(Runnable r) {
        try {
            loop.callSoonThreadsafe(r);
        } catch (IllegalStateException closed) {
            // The loop is closed: nobody is left to tell.
        }
    }

    // ------------------------------------------------------------ loop side

    private void deliver(int n) {
        if (!lost) {
            view.wrap(chunk, 0, n);
            try {
                protocol.dataReceived(view);
            } finally {
                view.wrap(chunk, 0, 0);
            }
        }
        if (reading || lost) {
            readPermit.release();
        } else {
            permitHeld = true;
        }
    }

    private void written(int n) {
        bufferSize -= n;
        if (writePaused && bufferSize <= low) {
            writePaused = false;
            if (!lost) {
                protocol.resumeWriting();
            }
        }
    }

    /** The pipe ended: EOF or a closed stdin ({@code cause} null), or an error. Reported once. */
    private void lose(Throwable cause) {
        if (lost) {
            return;
        }
        lost = true;
        closing = true;
        outbox.clear();
        if (out != null) {
            outbox.offer(EOF);
        }
        if (permitHeld) {
            permitHeld = false;
            readPermit.release();
        }
        protocol.connectionLost(cause);
    }

    /** The loop is closing: forget the pipe; its thread ends when the child's side closes. */
    void abandon() {
        lost = true;
        closing = true;
        outbox.clear();
        if (out != null) {
            outbox.offer(EOF);
        }
        readPermit.release();
    }

    // ------------------------------------------------------------ Transport

    @Override
    public EventLoop loop() {
        return loop;
    }

    private void checkWritable(String method) {
        loop.assertInLoop(method);
        if (out == null) {
            throw new UnsupportedOperationException(method + ": the child's fd " + fd + " is a read pipe");
        }
        if (eofQueued || (closing && !lost)) {
            throw new IllegalStateException(method + " after close or writeEof of the child's stdin");
        }
    }

    private void enqueue(byte[] copy) {
        if (lost || copy.length == 0) {
            return;
        }
        bufferSize += copy.length;
        outbox.offer(copy);
        if (!writePaused && bufferSize > high) {
            writePaused = true;
            protocol.pauseWriting();
        }
    }

    @Override
    public void write(DirectBuffer data, int offset, int length) {
        checkWritable("write");
        if (offset < 0 || length < 0 || offset + length > data.capacity()) {
            throw new IndexOutOfBoundsException("offset " + offset + ", length " + length + ", capacity " + data.capacity());
        }
        byte[] copy = new byte[length];
        data.getBytes(offset, copy);
        enqueue(copy);
    }

    @Override
    public void write(byte[] data, int offset, int length) {
        checkWritable("write");
        java.util.Objects.checkFromIndexSize(offset, length, data.length);
        enqueue(java.util.Arrays.copyOfRange(data, offset, offset + length));
    }

    @Override
    public void write(ByteBuffer data) {
        checkWritable("write");
        byte[] copy = new byte[data.remaining()];
        data.duplicate().get(copy);
        enqueue(copy);
    }

    @Override
    public void writeLines(Iterable<?> parts) {
        checkWritable("writeLines");
        java.util.List<byte[]> copies = new java.util.ArrayList<>();
        for (Object p : parts) {
            if (p instanceof byte[] b) {
                copies.add(b.clone());
            } else if (p instanceof DirectBuffer d) {
                byte[] c = new byte[d.capacity()];
                d.getBytes(0, c);
                copies.add(c);
            } else if (p instanceof ByteBuffer bb) {
                byte[] c = new byte[bb.remaining()];
                bb.duplicate().get(c);
                copies.add(c);
            } else {
                throw new IllegalArgumentException("parts: unsupported part type " + (p == null ? "null" : p.getClass().getName()));
            }
        }
        for (byte[] c : copies) {
            enqueue(c);
        }
    }

    @Override
    public void writeEof() {
        checkWritable("writeEof");
        eofQueued = true;
        closing = true;
        outbox.offer(EOF);
    }

    @Override
    public boolean canWriteEof() {
        return out != null;
    }

    @Override
    public void close() {
        loop.assertInLoop("close");
        if (closing) {
            return;
        }
        closing = true;
        if (out != null) {
            eofQueued = true;
            outbox.offer(EOF);
        } else {
            // The reader thread ends at the child's EOF; the pipe is lost for the protocol now.
            lose(null);
        }
    }

    @Override
    public void abort() {
        loop.assertInLoop("abort");
        if (lost) {
            return;
        }
        lose(null);
    }

    @Override
    public boolean isClosing() {
        return closing;
    }

    @Override
    public void pauseReading() {
        loop.assertInLoop("pauseReading");
        if (in == null) {
            throw new UnsupportedOperationException("pauseReading: the child's stdin is a write pipe");
        }
        reading = false;
    }

    @Override
    public void resumeReading() {
        loop.assertInLoop("resumeReading");
        if (in == null) {
            throw new UnsupportedOperationException("resumeReading: the child's stdin is a write pipe");
        }
        reading = true;
        if (permitHeld) {
            permitHeld = false;
            readPermit.release();
        }
    }

    @Override
    public boolean isReading() {
        return in != null && reading && !lost;
    }

    @Override
    public void setWriteBufferLimits(int high, int low) {
        loop.assertInLoop("setWriteBufferLimits");
        int h = high < 0 ? DEFAULT_HIGH_WATER : high;
        int l = low < 0 ? h / 4 : low;
        if (l > h) {
            throw new IllegalArgumentException("low water mark " + l + " above high water mark " + h);
        }
        this.high = h;
        this.low = l;
    }

    @Override
    public int getWriteBufferLimitHigh() {
        return high;
    }

    @Override
    public int getWriteBufferLimitLow() {
        return low;
    }

    @Override
    public int getWriteBufferSize() {
        return bufferSize;
    }

    @Override
    public Object extraInfo(String name) {
        return BACKEND.equals(name) ? loop.backendName() : null;
    }

    /** Null: a subprocess pipe reports to its {@link dev.weft.loop.SubprocessProtocol}. */
    @Override
    public BaseProtocol protocol() {
        return null;
    }

    @Override
    public void setProtocol(BaseProtocol protocol) {
        throw new UnsupportedOperationException("the pipes of a subprocess report to its SubprocessProtocol");
    }

    @Override
    public String toString() {
        return "ProcessPipe[pid " + pid + ", fd " + fd + (lost ? ", lost" : closing ? ", closing" : "") + "]";
    }
}
