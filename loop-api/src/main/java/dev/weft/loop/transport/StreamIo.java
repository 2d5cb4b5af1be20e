package dev.weft.loop.transport;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * The backend's half of a stream transport: how bytes reach the kernel and come back. The other
 * half, {@link StreamCore}, is the same for every backend and owns the protocol, the EOF / close /
 * abort state machine and flow control; it calls these methods on the loop thread only, after its
 * own thread and argument checks.
 *
 * <p>A readiness backend implements this over a non-blocking socket and its poller (reads happen on
 * READABLE, the queue drains on WRITABLE); a completion backend over operations in flight (one
 * overlapped receive, one overlapped send). Either way the backend reports back to the core:
 * data through {@link StreamCore#dataReceived}, EOF through {@link StreamCore#eofReceived},
 * progress of the queue through {@link StreamCore#drained}, failures through
 * {@link StreamCore#lost}.
 */
public interface StreamIo {
    /** The backend's name, for {@code extraInfo("backend")} and messages. */
    String backendName();

    /**
     * Whether nothing is queued or in flight, so a write may try the kernel at once from the
     * caller's memory without overtaking earlier bytes.
     */
    boolean idle();

    /**
     * Sends from off-heap memory without blocking: the number of bytes the kernel took, 0 if it
     * would block. Called only when {@link #idle()}.
     */
    int sendNow(long address, int length) throws IOException;

    /** Off-heap staging area for sending heap bytes without queueing them; owned by the loop. */
    MutableDirectBuffer scratch();

    /** Copies bytes into the write queue, behind everything queued. */
    void queue(DirectBuffer src, int offset, int length);

    void queue(byte[] src, int offset, int length);

    void queue(ByteBuffer src, int index, int length);

    /** Bytes accepted for writing and not yet taken by the kernel. */
    int queued();

    /**
     * The queue grew: start draining it (arm writability or post a send). {@code tryNow}: nothing
     * was offered to the kernel yet (a gathered write), so a readiness backend tries it at once.
     * Progress is reported through {@link StreamCore#drained()}, possibly from inside this call.
     */
    void kick(boolean tryNow);

    /** Half-closes the write side (TCP FIN). Called once, when the queue is empty. */
    void shutdownOutput() throws IOException;

    /**
     * Whether the core wants data changed ({@link StreamCore#wantsRead()}): register or drop
     * read interest, post or hold a receive.
     */
    void readingChanged();

    /**
     * The transport is finished: close the descriptor ({@code reset}: so the peer sees a reset) and
     * free what the kernel no longer uses. Called once.
     */
    void release(boolean reset);

    /** Called once from the loop, just before the protocol hears {@code connectionLost}. */
    void forget();

    /** Backend-specific extra info ({@code peername}, {@code sockname}, {@code socket}, ...), or null. */
    Object info(String name);

    // ------------------------------------------------------------------ sendfile (optional)

    /**
     * Why {@link #sendFile} cannot send {@code file} through the kernel on this I/O, or null when
     * it can. The core then copies the file through {@link #queue} instead (or fails, when the
     * caller refused the fallback).
     */
    default String sendFileUnsupported(FileChannel file) {
        return "this transport has no kernel file path";
    }

    /**
     * Sends up to {@code count} bytes of {@code file} starting at {@code position} straight from the
     * file to the socket, without blocking and without moving the file's position: the bytes the
     * kernel took, 0 if the socket would block (or the file ended before {@code position}; the
     * core checks the size before each call). Called only when nothing is queued or in flight and
     * {@link #sendFileUnsupported} said yes. Throws {@link dev.weft.loop.SendfileNotAvailableException}
     * when the kernel refuses this file (not a regular file, say), or the I/O error.
     */
    default long sendFile(FileChannel file, long position, long count) throws IOException {
        throw new UnsupportedOperationException("sendFile on " + backendName());
    }

    /**
     * Report {@link StreamCore#writable()} once the socket can take more bytes (a readiness
     * backend arms WRITABLE while {@link StreamCore#wantsWritable()} is true). Called after
     * {@link #sendFile} returned 0.
     */
    default void awaitWritable() {
        throw new UnsupportedOperationException("awaitWritable on " + backendName());
    }
}
