package dev.weft.loop.stream;

import dev.weft.loop.LoopFuture;
import dev.weft.loop.task.Task;
import dev.weft.loop.task.Tasks;
import dev.weft.loop.Transport;
import java.util.Arrays;
import java.util.concurrent.CompletionException;
import org.agrona.DirectBuffer;

/**
 * The reading side of a stream connection (asyncio's {@code StreamReader}), fed by its protocol.
 *
 * <ul>
 *   <li><b>Cancellation-safe.</b> A read consumes bytes only when it returns them: a read cancelled
 *       (or timed out) while waiting for data leaves every byte in the buffer for the next read.</li>
 *   <li><b>Limit.</b> {@link #readLine()} and {@link #readUntil} fail with
 *       {@link LimitOverrunException} when the bytes before the separator are more than the limit
 *       (64 KiB by default). {@link #readUntil} leaves the bytes readable; {@link #readLine()}
 *       drops the long line (through its separator, or the whole buffer when none came), as
 *       asyncio's {@code readline} does, so a caller that catches the error can read on. Reading
 *       from the transport pauses while more than twice the limit is buffered.</li>
 *   <li><b>One reader at a time:</b> a second task waiting on the same reader fails.</li>
 * </ul>
 * Loop thread (task steps) only; the reads inside a task.
 */
public final class StreamReader {
    /** The default limit: 64 KiB. */
    public static final int DEFAULT_LIMIT = 64 * 1024;

    private final int limit;
    private byte[] buf = new byte[1024];
    private int start;
    private int end;
    private boolean eof;
    private Throwable exception;
    private LoopFuture<Void> waiter;
    private Transport transport;
    private boolean paused;

    public StreamReader() {
        this(DEFAULT_LIMIT);
    }

    public StreamReader(int limit) {
        if (limit <= 0) {
            throw new IllegalArgumentException("limit must be positive: " + limit);
        }
        this.limit = limit;
    }

    public int limit() {
        return limit;
    }

    // ------------------------------------------------------------ feeding (protocol side)

    void setTransport(Transport t) {
        this.transport = t;
    }

    /**
     * Takes the bytes buffered and not read yet, leaving the buffer empty (a paused transport is
     * resumed). {@link StreamWriter#startTls} hands them to the TLS layer.
     */
    byte[] takeBuffered() {
        byte[] out = Arrays.copyOfRange(buf, start, end);
        start = 0;
        end = 0;
        resumeIfPaused();
        return out;
    }

    /** Appends bytes; wakes a waiting read. */
    public void feedData(byte[] data, int off, int len) {
        if (eof) {
            throw new IllegalStateException("feedData after feedEof");
        }
        if (len == 0) {
            return;
        }
        ensure(len);
        System.arraycopy(data, off, buf, end, len);
        end += len;
        afterFeed();
    }

    void feedData(DirectBuffer data) {
        int len = data.capacity();
        if (len == 0) {
            return;
        }
        ensure(len);
        data.getBytes(0, buf, end, len);
        end += len;
        afterFeed();
    }

    private void afterFeed() {
        wakeWaiter();
        if (transport != null && !paused && buffered() > 2 * limit) {
            try {
                transport.pauseReading();
                paused = true;
            } catch (UnsupportedOperationException e) {
                transport = null;
            }
        }
    }

    public void feedEof() {
        eof = true;
        wakeWaiter();
    }

    public void setException(Throwable failure) {
        exception = failure;
        LoopFuture<Void> w = waiter;
        if (w != null) {
            waiter = null;
            if (!w.isDone()) {
                w.setException(failure);
            }
        }
    }

    /** The failure the connection ended with, or null. */
    public Throwable exception() {
        return exception;
    }

    /** True once EOF was fed and every byte was read. */
    public boolean atEof() {
        return eof && buffered() == 0;
    }

    /** Bytes buffered now. */
    public int buffered() {
        return end - start;
    }

    // ------------------------------------------------------------ reading (task side)

    /**
     * Up to {@code n} bytes ({@code n < 0}: everything until EOF); waits for at least one byte unless
     * at EOF, where it returns an empty array.
     */
    public byte[] read(int n) {
        throwIfFailed();
        if (n == 0) {
            return new byte[0];
        }
        if (n < 0) {
            while (!eof) {
                waitForData("read");
            }
            return consume(buffered());
        }
        while (buffered() == 0 && !eof) {
            waitForData("read");
        }
        return consume(Math.min(n, buffered()));
    }

    /** Exactly {@code n} bytes; {@link IncompleteReadException} (checked) if EOF comes first. */
    public byte[] readExactly(int n) throws IncompleteReadException {
        if (n < 0) {
            throw new IllegalArgumentException("readExactly size must not be negative: " + n);
        }
        throwIfFailed();
        while (buffered() < n) {
            if (eof) {
                byte[] partial = consume(buffered());
                throw new IncompleteReadException(partial, n);
            }
            waitForData("readExactly");
        }
        return consume(n);
    }

    /**
     * A line including its {@code \n}; at EOF the last partial line (empty at the very end).
     * {@link LimitOverrunException} when the line (without its {@code \n}) is longer than the limit:
     * the line is dropped with its {@code \n} when that is buffered, else every buffered byte is
     * dropped (asyncio's {@code readline}; it raises {@code ValueError} where this throws
     * {@link LimitOverrunException}). The next read goes on after what was dropped.
     */
    public byte[] readLine() {
        try {
            return readUntil(new byte[] {'\n'});
        } catch (IncompleteReadException e) {
            return e.partial();
        } catch (LimitOverrunException e) {
            int at = e.consumed();
            if (at < buffered() && buf[start + at] == '\n') {
                discard(at + 1);
            } else {
                discard(buffered());
            }
            throw e;
        }
    }

    /**
     * Bytes up to and including the first of {@code separators} to appear (where two match, the one
     * that ends first). {@link IncompleteReadException} if EOF comes first (what was buffered is
     * consumed into it); {@link LimitOverrunException} if the chunk before the separator is longer
     * than the limit (nothing consumed). The limit counts the bytes before the separator: with a
     * limit of 3, {@code xyAA} waits for more when the separator is {@code AAA}.
     */
    public byte[] readUntil(byte[]... separators) throws IncompleteReadException {
        if (separators.length == 0) {
            throw new IllegalArgumentException("at least one separator is needed");
        }
        int maxSep = 0;
        for (byte[] s : separators) {
            if (s.length == 0) {
                throw new IllegalArgumentException("a separator must not be empty");
            }
            maxSep = Math.max(maxSep, s.length);
        }
        throwIfFailed();
        int searchFrom = 0;
        while (true) {
            int[] found = find(separators, searchFrom);
            if (found != null) {
                int sepStart = found[0];
                if (sepStart > limit) {
                    throw new LimitOverrunException("separator found, but the chunk is longer than the limit "
                            + limit, sepStart);
                }
                return consume(sepStart + found[1]);
            }
            // a separator may still end in bytes to come: only those before where it could start count
            int before = buffered() + 1 - maxSep;
            if (before > limit) {
                throw new LimitOverrunException("separator not found, and the chunk exceeds the limit " + limit,
                        before);
            }
            if (eof) {
                byte[] partial = consume(buffered());
                throw new IncompleteReadException(partial, -1);
            }
            searchFrom = Math.max(0, buffered() - maxSep + 1);
            waitForData("readUntil");
        }
    }

    /** {start offset relative to the buffer start, separator length} of the earliest-ending match. */
    private int[] find(byte[][] seps, int from) {
        int bestEnd = Integer.MAX_VALUE;
        int[] best = null;
        for (byte[] sep : seps) {
            int at = indexOf(sep, from);
            if (at >= 0 && at + sep.length < bestEnd) {
                bestEnd = at + sep.length;
                best = new int[] {at, sep.length};
            }
        }
        return best;
    }

    private int indexOf(byte[] sep, int from) {
        int last = end - sep.length;
        outer:
        for (int i = start + from; i <= last; i++) {
            for (int j = 0; j < sep.length; j++) {
                if (buf[i + j] != sep[j]) {
                    continue outer;
                }
            }
            return i - start;
        }
        return -1;
    }

    private void waitForData(String what) {
        if (waiter != null) {
            throw new IllegalStateException(what + "() called while another task is already waiting for incoming data");
        }
        if (eof) {
            throw new IllegalStateException(what + "() waits for data after EOF");
        }
        Task<?> t = Task.current();
        if (t == null) {
            throw new IllegalStateException(what + "() must be called inside a task");
        }
        resumeIfPaused();
        LoopFuture<Void> w = t.loop().createFuture();
        waiter = w;
        try {
            Tasks.await(w);
        } finally {
            if (waiter == w) {
                waiter = null;
            }
        }
    }

    private void wakeWaiter() {
        LoopFuture<Void> w = waiter;
        if (w != null) {
            waiter = null;
            if (!w.isDone()) {
                w.setResult(null);
            }
        }
    }

    private void throwIfFailed() {
        Throwable e = exception;
        if (e != null) {
            if (e instanceof RuntimeException re) {
                throw re;
            }
            throw new CompletionException(e);
        }
    }

    private byte[] consume(int n) {
        byte[] out = Arrays.copyOfRange(buf, start, start + n);
        start += n;
        if (start == end) {
            start = 0;
            end = 0;
        }
        resumeIfPaused();
        return out;
    }

    private void discard(int n) {
        start += n;
        if (start == end) {
            start = 0;
            end = 0;
        }
        resumeIfPaused();
    }

    private void resumeIfPaused() {
        if (paused && buffered() <= limit && transport != null) {
            paused = false;
            transport.resumeReading();
        }
    }

    private void ensure(int more) {
        if (end + more <= buf.length) {
            return;
        }
        int live = end - start;
        if (live + more <= buf.length && start > 0) {
            System.arraycopy(buf, start, buf, 0, live);
        } else {
            byte[] bigger = new byte[Math.max(buf.length * 2, live + more)];
            System.arraycopy(buf, start, bigger, 0, live);
            buf = bigger;
        }
        start = 0;
        end = live;
    }

    @Override
    public String toString() {
        return "StreamReader[" + buffered() + " bytes" + (eof ? ", eof" : "") + (waiter != null ? ", waiting" : "")
                + (paused ? ", paused" : "") + (exception != null ? ", exception=" + exception : "") + "]";
    }
}
