package dev.weft.loop.iocp;

import dev.weft.loop.BaseProtocol;
import dev.weft.loop.NativeIOException;
import dev.weft.loop.Transport;
import dev.weft.loop.transport.StreamCore;
import dev.weft.loop.transport.StreamIo;
import java.io.IOException;
import java.nio.ByteBuffer;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import static dev.weft.loop.iocp.WinConstants.*;

/**
 * The IOCP backend's half of a one-way pipe transport over the server end of an overlapped named
 * pipe (as asyncio's proactor pipe transports): ReadFile and WriteFile completions on the loop's
 * port, each operation with its own OVERLAPPED in this object's native block. The protocol, the life
 * cycle and flow control are {@link StreamCore}'s, in {@link StreamCore.Direction#READ_ONLY} or
 * {@link StreamCore.Direction#WRITE_ONLY}.
 *
 * <p><b>Reads</b> (read end) land in this transport's own 64 KiB native buffer and reach the
 * protocol through {@link StreamCore#deliver}; the writer closing its end ends the pipe
 * (ERROR_BROKEN_PIPE is EOF). While reading is paused no read is posted; the bytes of a read that
 * completed after the pause are held and delivered on resume.
 *
 * <p><b>Writes</b> (write end) are always queued: an overlapped handle has no non-blocking write, so
 * one WriteFile at a time sends the frozen {@link SendBuffer} while the other fills. The write end is
 * created duplex so that a read can wait on it: the reader (who was given a read-only handle) never
 * writes, so that read completes only with ERROR_BROKEN_PIPE when the reader closes its end, which
 * the core hears as {@link StreamCore#readerClosed()} (what epoll learns from EPOLLERR).
 *
 * <p>The handle is associated with the port without FILE_SKIP_COMPLETION_PORT_ON_SUCCESS: every
 * operation that started completes through the port; one that failed to start is deferred by the
 * driver. Closing cancels what is in flight (CancelIoEx, then CloseHandle); the native block is freed
 * when the last completion has come back. Loop thread only.
 */
final class IocpPipe implements StreamIo, Completion {
    static final int READ_SIZE = 64 * 1024;
    /** The write end's watch read: the reader never writes, so a few bytes of room are enough. */
    private static final int WATCH_SIZE = 16;

    private static final int READ_OV = 0;
    private static final int WRITE_OV = OVERLAPPED_SIZE;
    private static final int READ_DATA = 2 * OVERLAPPED_SIZE;

    private final IocpDriver driver;
    private final long handle;
    private final int key;
    private final long block;
    private final boolean write;
    private final String name;
    private final StreamCore core;

    private SendBuffer frozen;
    private SendBuffer filling;

    private boolean readPending;
    private boolean writePending;
    private int held;
    private boolean handleClosed;
    private boolean freed;

    /**
     * Takes over {@code handle}, the server end of an overlapped named pipe called {@code name}:
     * associates it with the driver's port and binds {@code protocol}. On failure the handle is
     * closed and nothing stays registered.
     */
    IocpPipe(IocpDriver driver, long handle, String name, boolean write, BaseProtocol protocol)
            throws NativeIOException {
        this.driver = driver;
        this.handle = handle;
        this.name = name;
        this.write = write;
        try {
            this.key = driver.registerHandle(handle, this);
        } catch (NativeIOException e) {
            Kernel32.CloseHandle(handle);
            throw e;
        }
        this.block = Mem.allocate(READ_DATA + (write ? WATCH_SIZE : READ_SIZE));
        this.frozen = write ? new SendBuffer() : null;
        this.filling = write ? new SendBuffer() : null;
        this.core = new StreamCore(driver.loop, this, protocol, null,
                write ? StreamCore.Direction.WRITE_ONLY : StreamCore.Direction.READ_ONLY);
        driver.opened(core);
    }

    StreamCore transport() {
        return core;
    }

    // ------------------------------------------------------------------ completions

    @Override
    public void complete(long overlapped, int error, int bytes) {
        if (overlapped == block + READ_OV) {
            readPending = false;
            if (write) {
                onWatch(error);
            } else {
                onRead(error, bytes);
            }
        } else if (overlapped == block + WRITE_OV) {
            writePending = false;
            onWrite(error, bytes);
        }
        maybeFree();
    }

    /** Whether {@code error} means the other end of the pipe is closed. */
    static boolean isPipeEnd(int error) {
        return error == ProcessCalls.ERROR_BROKEN_PIPE || error == ProcessCalls.ERROR_HANDLE_EOF
                || error == ProcessCalls.ERROR_PIPE_NOT_CONNECTED || error == ProcessCalls.ERROR_NO_DATA;
    }

    private void onRead(int error, int bytes) {
        if (core.isLost()) {
            return;
        }
        if (error != 0) {
            if (error == ERROR_OPERATION_ABORTED && core.isClosing()) {
                return;
            }
            if (isPipeEnd(error)) {
                core.eofReceived();
            } else {
                core.lost(WinError.exception("ReadFile", error));
            }
            return;
        }
        if (bytes == 0) {
            // A zero-byte write of the other end: nothing to deliver.
            startRead();
            return;
        }
        if (!core.wantsRead()) {
            held = bytes;
            return;
        }
        core.deliver(block + READ_DATA, bytes, driver.readView);
        startRead();
    }

    private void onWatch(int error) {
        if (core.isLost()) {
            return;
        }
        if (error == 0) {
            startWatch();
        } else if (error == ERROR_OPERATION_ABORTED && core.isClosing()) {
            return;
        } else {
            core.readerClosed();
        }
    }

    private void startRead() {
        if (readPending || held > 0 || !core.wantsRead() || handleClosed) {
            return;
        }
        long ov = block + READ_OV;
        Mem.zero(ov, OVERLAPPED_SIZE);
        readPending = true;
        int ok = ProcessCalls.ReadFile(handle, block + READ_DATA, READ_SIZE, 0L, ov);
        started(ov, ok);
    }

    private void startWatch() {
        if (readPending || core.isClosing() || handleClosed) {
            return;
        }
        long ov = block + READ_OV;
        Mem.zero(ov, OVERLAPPED_SIZE);
        readPending = true;
        int ok = ProcessCalls.ReadFile(handle, block + READ_DATA, WATCH_SIZE, 0L, ov);
        started(ov, ok);
    }

    /** A ReadFile or WriteFile that succeeded or is pending completes through the port; else now, deferred. */
    private void started(long ov, int ok) {
        if (ok == 0) {
            int error = WinError.last();
            if (error != ERROR_IO_PENDING) {
                driver.defer(this, ov, error, 0);
            }
        }
    }

    private void deliverHeld() {
        if (held == 0 || !core.wantsRead()) {
            return;
        }
        int n = held;
        held = 0;
        core.deliver(block + READ_DATA, n, driver.readView);
        startRead();
    }

    private void onWrite(int error, int bytes) {
        if (core.isLost()) {
            return;
        }
        if (error != 0) {
            if (isPipeEnd(error)) {
                core.lost(new NativeIOException("WriteFile", error, WinError.name(error),
                        "broken pipe: the reading end of " + name + " is closed"));
            } else {
                core.lost(WinError.exception("WriteFile", error));
            }
            return;
        }
        frozen.consume(bytes);
        postWrite();
        core.drained();
    }

    /** Starts the next WriteFile if none is in flight and bytes wait. */
    private void postWrite() {
        if (handleClosed) {
            return;
        }
        if (!writePending && frozen.isEmpty() && !filling.isEmpty()) {
            SendBuffer b = frozen;
            frozen = filling;
            filling = b;
        }
        if (!writePending && !frozen.isEmpty()) {
            long ov = block + WRITE_OV;
            Mem.zero(ov, OVERLAPPED_SIZE);
            writePending = true;
            int ok = ProcessCalls.WriteFile(handle, frozen.headAddress(), frozen.size(), 0L, ov);
            started(ov, ok);
        }
    }

    // ------------------------------------------------------------------ StreamIo

    @Override
    public String backendName() {
        return driver.name;
    }

    @Override
    public boolean idle() {
        return !write || (!writePending && frozen.isEmpty() && filling.isEmpty());
    }

    /** Nothing is taken at once: every write goes through the queue and one overlapped WriteFile. */
    @Override
    public int sendNow(long address, int length) {
        return 0;
    }

    @Override
    public MutableDirectBuffer scratch() {
        return driver.scratch;
    }

    @Override
    public void queue(DirectBuffer src, int offset, int length) {
        filling.append(src, offset, length);
    }

    @Override
    public void queue(byte[] src, int offset, int length) {
        filling.append(src, offset, length);
    }

    @Override
    public void queue(ByteBuffer src, int index, int length) {
        filling.append(src, index, length);
    }

    @Override
    public int queued() {
        return write ? frozen.size() + filling.size() : 0;
    }

    @Override
    public void kick(boolean tryNow) {
        postWrite();
    }

    /** A pipe has no half-close; the core makes {@code writeEof} a close on a write-only transport. */
    @Override
    public void shutdownOutput() throws IOException {
        throw new IOException("a pipe has no half-close: " + name);
    }

    @Override
    public void readingChanged() {
        if (write) {
            startWatch();
        } else if (core.wantsRead()) {
            if (held > 0) {
                driver.loop.callSoon(this::deliverHeld);
            } else {
                startRead();
            }
        }
    }

    @Override
    public void release(boolean reset) {
        closeHandle();
        maybeFree();
    }

    @Override
    public void forget() {
        driver.closed(core);
    }

    private void closeHandle() {
        if (handleClosed) {
            return;
        }
        handleClosed = true;
        // Cancelled operations still complete (ERROR_OPERATION_ABORTED) through the port.
        if (readPending || writePending) {
            Kernel32.CancelIoEx(handle, 0L);
        }
        Kernel32.CloseHandle(handle);
    }

    /** Loop closing: drop the pipe without callbacks. */
    @Override
    public void closeNow() {
        core.closeNow();
        driver.closed(core);
        closeHandle();
        maybeFree();
    }

    /** Frees native memory once closed and nothing is in flight; then forgets the key. */
    private void maybeFree() {
        if (freed || !handleClosed || readPending || writePending) {
            return;
        }
        freed = true;
        if (write) {
            frozen.release();
            filling.release();
        }
        Mem.free(block);
        driver.release(key);
    }

    @Override
    public Object info(String name) {
        return Transport.PIPE.equals(name) ? this.name : null;
    }

    @Override
    public String toString() {
        return "IocpPipe[" + name + (write ? ", write" : ", read") + (core.isLost() ? ", closed" : "") + "]";
    }
}
