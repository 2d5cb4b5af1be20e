package dev.weft.loop.iocp;

import dev.weft.loop.BaseProtocol;
import dev.weft.loop.NativeIOException;
import dev.weft.loop.Transport;
import dev.weft.loop.transport.StreamCore;
import java.io.IOException;
import static dev.weft.loop.iocp.WinConstants.*;

/**
 * The server end of an overlapped named pipe under an {@link IocpStream} (as asyncio's proactor pipe
 * transports): ReadFile and WriteFile, one way, {@link StreamCore.Direction#READ_ONLY} or
 * {@link StreamCore.Direction#WRITE_ONLY}.
 *
 * <p>The read end's reads end at the pipe's end (ERROR_BROKEN_PIPE and its kin are EOF); a
 * zero-byte read is an empty write of the other end and reading goes on. The write end has no
 * non-blocking write ({@link #sendNow} takes nothing, every write is queued), no half-close and no
 * kernel file path (sendfile copies through the queue). It is created duplex so that a read can
 * wait on it: the reader (given a read-only handle) never writes, so that read completes only with
 * an error when the reader closes its end, which the stream reports as
 * {@link StreamCore#readerClosed()} (what epoll learns from EPOLLERR).
 *
 * <p>The handle is associated with the port without FILE_SKIP_COMPLETION_PORT_ON_SUCCESS: every
 * operation that started completes through the port; one that failed to start is deferred by the
 * driver. Closing cancels what is in flight (CancelIoEx, then CloseHandle). Loop thread only.
 */
final class IocpPipe implements StreamHandle {
    /** The write end's watch read: the reader never writes, so a few bytes of room are enough. */
    static final int WATCH_SIZE = 16;

    private final IocpDriver driver;
    private final long handle;
    private final String name;
    private final boolean write;

    private IocpPipe(IocpDriver driver, long handle, String name, boolean write) {
        this.driver = driver;
        this.handle = handle;
        this.name = name;
        this.write = write;
    }

    /**
     * A one-way transport over {@code handle}, the server end of an overlapped named pipe called
     * {@code name}, taken over: associates it with the driver's port and binds {@code protocol}. On
     * failure the handle is closed and nothing stays registered.
     */
    static IocpStream open(IocpDriver driver, long handle, String name, boolean write, BaseProtocol protocol)
            throws NativeIOException {
        return new IocpStream(driver, new IocpPipe(driver, handle, name, write), protocol, null,
                write ? StreamCore.Direction.WRITE_ONLY : StreamCore.Direction.READ_ONLY,
                write ? WATCH_SIZE : IocpStream.READ_SIZE);
    }

    @Override
    public int register(Completion owner) throws NativeIOException {
        try {
            return driver.registerHandle(handle, owner);
        } catch (NativeIOException e) {
            Kernel32.CloseHandle(handle);
            throw e;
        }
    }

    @Override
    public void read(Completion owner, long overlapped, long buffer, int length, long area) {
        started(owner, overlapped, ProcessCalls.ReadFile(handle, buffer, length, 0L, overlapped));
    }

    @Override
    public void write(Completion owner, long overlapped, long buffer, int length, long area) {
        started(owner, overlapped, ProcessCalls.WriteFile(handle, buffer, length, 0L, overlapped));
    }

    /** A ReadFile or WriteFile that succeeded or is pending completes through the port; else now, deferred. */
    private void started(Completion owner, long overlapped, int ok) {
        if (ok == 0) {
            int error = WinError.last();
            if (error != ERROR_IO_PENDING) {
                driver.defer(owner, overlapped, error, 0);
            }
        }
    }

    @Override
    public boolean emptyReadIsEof() {
        return false;
    }

    @Override
    public boolean isEnd(int error) {
        return isPipeEnd(error);
    }

    /** Whether {@code error} means the other end of the pipe is closed. */
    static boolean isPipeEnd(int error) {
        return error == ProcessCalls.ERROR_BROKEN_PIPE || error == ProcessCalls.ERROR_HANDLE_EOF
                || error == ProcessCalls.ERROR_PIPE_NOT_CONNECTED || error == ProcessCalls.ERROR_NO_DATA;
    }

    @Override
    public IOException readFailure(int error) {
        return WinError.exception("ReadFile", error);
    }

    @Override
    public IOException writeFailure(int error) {
        if (isPipeEnd(error)) {
            return new NativeIOException("WriteFile", error, WinError.name(error),
                    "broken pipe: the reading end of " + name + " is closed");
        }
        return WinError.exception("WriteFile", error);
    }

    /** Nothing is taken at once: every write goes through the queue and one overlapped WriteFile. */
    @Override
    public int sendNow(long address, int length) {
        return 0;
    }

    /** A pipe has no half-close; the core makes {@code writeEof} a close on a write-only transport. */
    @Override
    public void shutdownOutput() throws IOException {
        throw new IOException("a pipe has no half-close: " + name);
    }

    @Override
    public void cancel(long overlapped) {
        Kernel32.CancelIoEx(handle, overlapped);
    }

    /** Cancelled operations still complete (ERROR_OPERATION_ABORTED) through the port. */
    @Override
    public void close(boolean reset, boolean inFlight, long area) {
        if (inFlight) {
            Kernel32.CancelIoEx(handle, 0L);
        }
        Kernel32.CloseHandle(handle);
    }

    @Override
    public Object info(String name) {
        return Transport.PIPE.equals(name) ? this.name : null;
    }

    @Override
    public String toString() {
        return name + (write ? ", write" : ", read");
    }
}
