package dev.weft.loop.transport;

import dev.weft.loop.EventLoop;
import dev.weft.loop.LoopFuture;
import dev.weft.loop.SendfileNotAvailableException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import org.agrona.BufferUtil;

/**
 * One {@code sendfile} in progress on a {@link StreamCore}: asyncio's {@code loop.sendfile}.
 *
 * <p><b>Kernel path.</b> Waits until the transport's queue is empty (bytes written before go first),
 * then hands the file to {@link StreamIo#sendFile} in chunks of at most {@link #KERNEL_CHUNK}
 * bytes (Linux {@code sendfile(2)} moves at most 0x7ffff000 bytes per call, JDK 17's
 * {@code transferTo} at most {@code Integer.MAX_VALUE}), waiting for writability whenever the
 * socket is full. <b>Copying path</b> (no kernel path, or the kernel refused this file before
 * any byte went): reads the file in {@link #COPY_CHUNK} pieces on the loop thread and writes them
 * through the transport's queue, reading on only while the queue is at or under the high-water
 * mark (it waits for the low-water mark once above).
 *
 * <p>Before each chunk the file's size is read, so a file shorter than {@code offset + count}
 * ends the transfer with the bytes it had, never a spin on zero-byte sends. At most
 * {@link #STEP_BUDGET} bytes move per loop iteration; then the rest waits for the next iteration,
 * so other callbacks run. When the operation ends, however it ends, the file's position is set to
 * {@code offset + sent} if anything was sent (asyncio's {@code file.seek(offset + total_sent)}),
 * and the transport reads again.
 *
 * <p>Loop thread only. The file must stay open until the result completes.
 */
final class FileSend {
    static final long KERNEL_CHUNK = 0x7ffff000L;
    static final int COPY_CHUNK = 64 * 1024;
    static final long STEP_BUDGET = 64L << 20;

    private final StreamCore core;
    private final StreamIo io;
    private final EventLoop loop;
    private final FileChannel file;
    private final long offset;
    private final long count;
    private final boolean fallback;
    final LoopFuture<Long> result;
    private final Runnable stepTask = this::step;

    private boolean copying;
    private long sent;
    private boolean waitingWritable;
    private boolean waitingDrain;
    private boolean ended;
    private boolean stepping;
    private boolean again;
    private ByteBuffer chunk;

    /** {@code count} 0 means to the end of the file; {@code copying}: no kernel path here. */
    FileSend(StreamCore core, StreamIo io, EventLoop loop, FileChannel file, long offset, long count,
             boolean copying, boolean fallback) {
        this.core = core;
        this.io = io;
        this.loop = loop;
        this.file = file;
        this.offset = offset;
        this.count = count;
        this.copying = copying;
        this.fallback = fallback;
        this.result = loop.createFuture();
        result.addDoneCallback(f -> {
            if (f.isCancelled() && !ended) {
                end();
            }
        });
    }

    /** Begins: the kernel path first waits for the queue to drain. */
    void start() {
        if (!copying && io.queued() > 0) {
            waitingDrain = true;
            return;
        }
        step();
    }

    /** Whether the transfer waits for the socket to become writable. */
    boolean wantsWritable() {
        return waitingWritable;
    }

    /** The socket can take bytes again. */
    void writable() {
        if (waitingWritable) {
            waitingWritable = false;
            step();
        }
    }

    /** The transport's queue now holds {@code size} bytes, {@code low} being its low-water mark. */
    void drained(int size, int low) {
        if (waitingDrain && (copying ? size <= low : size == 0)) {
            waitingDrain = false;
            step();
        }
    }

    /** The transport is gone ({@code cause} null: closed or aborted by its user). */
    void transportLost(Throwable cause) {
        if (ended) {
            return;
        }
        String what = cause == null ? "the transport was closed" : "the connection was lost";
        IOException e = new IOException("sendfile: " + what + " after " + sent + " bytes"
                + (cause == null ? "" : ": " + cause.getMessage()), cause);
        fail(e);
    }

    private void step() {
        if (ended) {
            return;
        }
        if (stepping) {
            again = true;
            return;
        }
        stepping = true;
        try {
            do {
                again = false;
                if (copying) {
                    copyChunks();
                } else {
                    sendChunks();
                }
            } while (again && !ended && !waitingDrain && !waitingWritable);
        } finally {
            stepping = false;
        }
    }

    private long remaining() {
        return count == 0 ? Long.MAX_VALUE : count - sent;
    }

    /** Bytes to move next, at most {@code cap}; 0 when the count is reached or the file ended. */
    private long nextLength(long cap) throws IOException {
        long want = remaining();
        if (want <= 0) {
            return 0;
        }
        long left = file.size() - (offset + sent);
        return left <= 0 ? 0 : Math.min(Math.min(want, left), cap);
    }

    private void sendChunks() {
        long budget = STEP_BUDGET;
        while (!ended) {
            if (result.isDone()) {
                end();
                return;
            }
            long n;
            try {
                n = nextLength(KERNEL_CHUNK);
            } catch (IOException e) {
                fail(e);
                return;
            }
            if (n == 0) {
                complete();
                return;
            }
            long k;
            try {
                k = io.sendFile(file, offset + sent, n);
            } catch (SendfileNotAvailableException e) {
                if (sent == 0 && fallback) {
                    copying = true;
                    copyChunks();
                } else {
                    fail(e);
                }
                return;
            } catch (IOException e) {
                core.lost(e);
                return;
            }
            if (k == 0) {
                waitingWritable = true;
                io.awaitWritable();
                return;
            }
            sent += k;
            budget -= k;
            if (budget <= 0) {
                loop.callSoon(stepTask);
                return;
            }
        }
    }

    private void copyChunks() {
        long budget = STEP_BUDGET;
        while (!ended) {
            if (result.isDone()) {
                end();
                return;
            }
            if (io.queued() > core.writeHighWater()) {
                waitingDrain = true;
                return;
            }
            int r;
            try {
                int n = (int) nextLength(COPY_CHUNK);
                if (n == 0) {
                    complete();
                    return;
                }
                if (chunk == null) {
                    chunk = ByteBuffer.allocateDirect(COPY_CHUNK);
                }
                chunk.clear().limit(n);
                r = file.read(chunk, offset + sent);
            } catch (IOException e) {
                fail(e);
                return;
            }
            if (r <= 0) {
                complete();
                return;
            }
            chunk.flip();
            core.writeForSendfile(chunk);
            if (core.isLost()) {
                return;
            }
            sent += r;
            budget -= r;
            if (budget <= 0) {
                loop.callSoon(stepTask);
                return;
            }
        }
    }

    private void complete() {
        end();
        if (!result.isDone()) {
            result.setResult(sent);
        }
    }

    private void fail(Throwable e) {
        end();
        if (!result.isDone()) {
            result.setException(e);
        }
    }

    /** Releases the transport (writes allowed, reading resumed) and sets the file's position. */
    private void end() {
        if (ended) {
            return;
        }
        ended = true;
        waitingWritable = false;
        waitingDrain = false;
        core.fileSendEnded(this);
        if (sent > 0) {
            try {
                file.position(offset + sent);
            } catch (IOException e) {
                // The file was closed meanwhile: it has no position left to keep consistent.
            }
        }
        if (chunk != null) {
            BufferUtil.free(chunk);
            chunk = null;
        }
    }
}
