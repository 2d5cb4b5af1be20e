package dev.weft.loop.iocp;

import dev.weft.loop.NativeIOException;
import java.io.IOException;
import java.nio.channels.FileChannel;

/**
 * What differs between the handles an {@link IocpStream} drives: a socket ({@link IocpSocket}) or
 * the server end of an overlapped named pipe ({@link IocpPipe}). The stream owns the OVERLAPPEDs,
 * the buffers and the handling of every completion; a kind makes the kernel calls and says what
 * their errors mean, as the readiness backends' {@code StreamChannel} does for their stream.
 *
 * <p><b>Memory.</b> Each stream reserves {@link #AREA_SIZE} bytes of its native block for its kind
 * (a socket keeps its WSABUFs, receive flags and SO_LINGER value there) and passes their address as
 * {@code area}; the kernel may read them until the operation that uses them completes.
 *
 * <p><b>Starting.</b> {@link #read}, {@link #write} and {@link #transmit} start one overlapped
 * operation with the zeroed OVERLAPPED given. One that finishes without a completion packet (at once
 * on a skip-on-success socket, or failing to start) is handed to the driver for the next poll, so
 * {@code owner} always hears of it through {@link Completion#complete}, never from inside the call.
 *
 * <p><b>Threads.</b> Loop thread only.
 */
interface StreamHandle {
    /** Bytes of each stream's native block reserved for its kind. */
    int AREA_SIZE = 48;

    /**
     * Makes {@code owner} the handle's completion owner and returns its key. On failure the handle
     * is closed.
     */
    int register(Completion owner) throws NativeIOException;

    /** Starts an overlapped read of up to {@code length} bytes into {@code buffer}. */
    void read(Completion owner, long overlapped, long buffer, int length, long area);

    /** Starts an overlapped write of {@code length} bytes from {@code buffer}. */
    void write(Completion owner, long overlapped, long buffer, int length, long area);

    /**
     * Whether a read that completed with no byte means the other end finished (a socket's FIN), as
     * opposed to an empty write of the other end (a pipe), after which reading goes on.
     */
    boolean emptyReadIsEof();

    /** Whether a read's {@code error} means the other end is closed, which ends the stream as EOF. */
    boolean isEnd(int error);

    /** The exception for a read that failed with {@code error} (not an end). */
    IOException readFailure(int error);

    /** The exception for a write that failed with {@code error}. */
    IOException writeFailure(int error);

    /** As {@link dev.weft.loop.transport.StreamIo#sendNow}: the bytes taken at once without blocking. */
    int sendNow(long address, int length) throws IOException;

    /** Half-closes the write side, or throws when the kind has none. */
    void shutdownOutput() throws IOException;

    /** Cancels the operation of {@code overlapped}; it still completes, with ERROR_OPERATION_ABORTED. */
    void cancel(long overlapped);

    /**
     * Closes the handle ({@code reset}: so the peer sees a reset, where the kind has one); what is
     * in flight ({@code inFlight}) completes, aborted. Called once.
     */
    void close(boolean reset, boolean inFlight, long area);

    /** As {@link dev.weft.loop.transport.StreamIo#sendFileUnsupported}; by default, no kernel path. */
    default String sendFileUnsupported(FileChannel file) {
        return "this transport has no kernel file path";
    }

    /**
     * Starts an overlapped TransmitFile of {@code count} bytes of {@code file} (a handle), at the
     * offset set in the OVERLAPPED. Called only when {@link #sendFileUnsupported} said yes.
     */
    default void transmit(Completion owner, long overlapped, long file, int count) {
        throw new UnsupportedOperationException("TransmitFile on " + this);
    }

    /** As {@link dev.weft.loop.transport.StreamIo#info}. */
    Object info(String name);
}
