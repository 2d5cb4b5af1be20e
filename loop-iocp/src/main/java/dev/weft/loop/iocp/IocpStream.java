package dev.weft.loop.iocp;

import dev.weft.loop.BaseProtocol;
import dev.weft.loop.NativeIOException;
import dev.weft.loop.transport.ServerClients;
import dev.weft.loop.transport.StreamCore;
import dev.weft.loop.transport.StreamIo;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import static dev.weft.loop.iocp.WinConstants.*;

/**
 * The IOCP backend's half of a stream transport, over a socket ({@link IocpSocket}) or one end of a
 * named pipe ({@link IocpPipe}): at most one overlapped read and one overlapped write in flight,
 * each with its own OVERLAPPED in this object's {@link IoBlock}. The protocol, the life cycle and
 * flow control are {@link StreamCore}'s; the kernel calls and the meaning of their errors are the
 * {@link StreamHandle}'s.
 *
 * <p><b>Reads</b> land in this transport's own native buffer (64 KiB; an operation in flight owns its
 * memory, so the loop cannot share one read buffer between connections as readiness backends do)
 * and reach the protocol through {@link StreamCore#deliver}. While reading is paused no read is
 * posted; bytes of a read that completed after the pause are held and delivered on resume. The
 * write end of a pipe ({@link StreamCore.Direction#WRITE_ONLY}) instead keeps a small read posted
 * that only its reader going away completes: {@link StreamCore#readerClosed()}.
 *
 * <p><b>Writes</b> the kernel did not take at once are copied into the filling {@link SendBuffer}.
 * One overlapped write at a time sends the frozen buffer; when it completes the buffers swap. The
 * frozen buffer is never appended to while the kernel reads it.
 *
 * <p><b>sendfile</b> (sockets) is {@code TransmitFile}, overlapped on the completion port with its
 * own OVERLAPPED (the file offset in Offset/OffsetHigh), on a duplicate of the channel's file handle
 * that is closed only when the completion is dequeued, so the caller closing the channel cannot pull
 * the handle from under the kernel. One TransmitFile at a time: {@link #sendFile} starts it and
 * returns 0, and its completion reports {@link StreamCore#writable()}; the next call returns the
 * bytes it sent. Writes queue meanwhile and go after it. A TransmitFile still in flight
 * when its transfer ends (cancelled) is not stopped: under Wine 8.0 one cancelled with CancelIoEx
 * went on to send its whole range yet completed reporting none of it. When it completes, the
 * file's position is set past the bytes it sent, and the queued writes follow. A read posted before
 * the transfer began that fails while a TransmitFile runs (the peer reset the connection: both fail)
 * is held until the TransmitFile has completed, so its bytes are counted before the connection is
 * reported lost, whichever of the two completions the port delivers first; the sendfile then fails
 * with the bytes sent and the file's position past them, as on the readiness backends, where the
 * failing send reports the reset after the sends before it reported their bytes.
 *
 * <p><b>Closing</b> the handle cancels what is in flight; the native block and the frozen buffer are
 * freed only when the last completion has come back. Loop thread only.
 */
final class IocpStream implements StreamIo, Completion {
    static final int READ_SIZE = 64 * 1024;

    // The block's OVERLAPPED slots, then the handle's area, the TransmitFile's file handle, the read data.
    private static final int READ = 0;
    private static final int WRITE = 1;
    private static final int FILE = 2;
    private static final int AREA = IoBlock.after(3);
    private static final int FILE_HANDLE = AREA + StreamHandle.AREA_SIZE;
    private static final int READ_DATA = FILE_HANDLE + 8;

    private final IocpDriver driver;
    private final StreamHandle handle;
    private final int key;
    private final IoBlock ops;
    private final long block;
    private final int readSize;
    /** A pipe's write end: its read only waits for the reader to go away. */
    private final boolean watchReader;
    private final StreamCore core;

    private SendBuffer frozen = new SendBuffer();
    private SendBuffer filling = new SendBuffer();

    private boolean readCancelled;
    private boolean fileAwaited;
    private boolean fileOrphaned;
    private FileChannel fileInFlight;
    private long filePosition;
    private long fileResult = -1;
    private int fileError;
    private int held;
    /** The error of a read that failed while a TransmitFile ran, not yet reported (0: none). */
    private int heldReadError;

    /** Takes over {@code socket}, already registered with the driver under {@code key}. */
    IocpStream(IocpDriver driver, long socket, int key, BaseProtocol protocol, ServerClients server)
            throws NativeIOException {
        this(driver, new IocpSocket(driver, socket, key), protocol, server, StreamCore.Direction.BOTH, READ_SIZE);
    }

    /**
     * Takes over {@code handle}: makes this stream its completion owner, with reads of at most
     * {@code readSize} bytes. On failure nothing stays registered.
     */
    IocpStream(IocpDriver driver, StreamHandle handle, BaseProtocol protocol, ServerClients server,
               StreamCore.Direction direction, int readSize) throws NativeIOException {
        this.driver = driver;
        this.handle = handle;
        this.readSize = readSize;
        this.watchReader = direction == StreamCore.Direction.WRITE_ONLY;
        this.core = new StreamCore(driver.loop, this, protocol, server, direction);
        this.key = handle.register(this);
        this.ops = new IoBlock(3, READ_DATA - AREA + readSize);
        this.block = ops.address;
        driver.opened(core);
    }

    StreamCore transport() {
        return core;
    }

    // ------------------------------------------------------------------ completions

    @Override
    public void complete(long overlapped, int error, int bytes) {
        switch (ops.complete(overlapped)) {
            case READ -> onRead(error, bytes);
            case WRITE -> onWrite(error, bytes);
            case FILE -> onFileSent(error, bytes);
            default -> { }
        }
        maybeFree();
    }

    private void onRead(int error, int bytes) {
        if (core.isLost()) {
            return;
        }
        if (error != 0) {
            if (error == ERROR_OPERATION_ABORTED && core.isClosing()) {
                return;
            }
            if (watchReader) {
                core.readerClosed();
            } else if (handle.isEnd(error)) {
                core.eofReceived();
            } else if (ops.inFlight(FILE)) {
                // Reported once the TransmitFile's completion has counted its bytes. The connection
                // is gone, so the TransmitFile cannot go on; it is cancelled, as Wine 8.0 may
                // otherwise never complete it: after a reset that reached the read first, one
                // stayed pending with no completion, in whole runs of the suite. A cancelled
                // TransmitFile reports the bytes it sent; one already completed is not affected.
                heldReadError = error;
                handle.cancel(ops.overlapped(FILE));
            } else {
                core.lost(handle.readFailure(error));
            }
            return;
        }
        if (watchReader || (bytes == 0 && !handle.emptyReadIsEof())) {
            // The watch read, or an empty write of a pipe's other end: nothing to deliver.
            startRead();
            return;
        }
        if (bytes == 0) {
            core.eofReceived();
            return;
        }
        if (!core.wantsRead()) {
            held = bytes;
            return;
        }
        core.deliver(block + READ_DATA, bytes, driver.readView);
        startRead();
    }

    /** Posts a read unless one is in flight, bytes are held, or nothing is to be read (or watched). */
    private void startRead() {
        if (ops.inFlight(READ) || held > 0 || ops.isClosed()
                || (watchReader ? core.isClosing() : !core.wantsRead())) {
            return;
        }
        long ov = ops.start(READ);
        readCancelled = false;
        handle.read(this, ov, block + READ_DATA, readSize, block + AREA);
    }

    /** The connection failed under a read while a TransmitFile ran: it is lost now. */
    private void reportHeldReadError() {
        int error = heldReadError;
        heldReadError = 0;
        if (error != 0 && !core.isLost()) {
            core.lost(handle.readFailure(error));
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
            core.lost(handle.writeFailure(error));
            return;
        }
        frozen.consume(bytes);
        postWrite();
        core.drained();
    }

    private void onFileSent(int error, int bytes) {
        Kernel32.CloseHandle(Mem.getLong(block + FILE_HANDLE));
        if (error == ERROR_OPERATION_ABORTED && heldReadError != 0) {
            // Cancelled because the read failed first: the read's error is the reason.
            error = heldReadError;
        }
        FileChannel file = fileInFlight;
        fileInFlight = null;
        fileAwaited = false;
        if (fileOrphaned || !core.wantsWritable()) {
            // The transfer ended while this send ran: the file's position must count its bytes too.
            fileOrphaned = false;
            fileResult = -1;
            fileError = 0;
            if (bytes > 0 && file.isOpen()) {
                try {
                    file.position(filePosition + bytes);
                } catch (IOException e) {
                    // Closed meanwhile: no position left to keep.
                }
            }
            if (!core.isLost()) {
                if (heldReadError != 0) {
                    reportHeldReadError();
                    return;
                }
                postWrite();
                core.drained();
            }
            return;
        }
        if (core.isLost()) {
            return;
        }
        if (error != 0 && bytes <= 0) {
            core.lost(WinError.exception("TransmitFile", error));
            return;
        }
        // A failed send that moved some bytes reports them first; the next call throws the error.
        fileResult = bytes;
        fileError = error;
        core.writable();
    }

    /** Starts the next write if none is in flight and bytes wait (never beside a TransmitFile). */
    private void postWrite() {
        if (ops.inFlight(FILE) || ops.isClosed()) {
            return;
        }
        boolean writing = ops.inFlight(WRITE);
        if (!writing && frozen.isEmpty() && !filling.isEmpty()) {
            SendBuffer b = frozen;
            frozen = filling;
            filling = b;
        }
        if (!writing && !frozen.isEmpty()) {
            long ov = ops.start(WRITE);
            handle.write(this, ov, frozen.headAddress(), frozen.size(), block + AREA);
        }
    }

    // ------------------------------------------------------------------ StreamIo

    @Override
    public String backendName() {
        return driver.name;
    }

    @Override
    public boolean idle() {
        return !ops.inFlight(WRITE) && !ops.inFlight(FILE) && frozen.isEmpty() && filling.isEmpty();
    }

    @Override
    public String sendFileUnsupported(FileChannel file) {
        return handle.sendFileUnsupported(file);
    }

    /**
     * The bytes the last TransmitFile sent, if it completed since the last call; else starts one
     * for at most {@link Mswsock#TRANSMIT_MAX} bytes from {@code position} (when none runs) and
     * returns 0.
     */
    @Override
    public long sendFile(FileChannel file, long position, long count) throws IOException {
        if (fileResult >= 0) {
            long k = fileResult;
            fileResult = -1;
            if (k == 0) {
                throw new IOException("TransmitFile sent no byte of a non-empty range at " + position);
            }
            return k;
        }
        if (fileError != 0) {
            int error = fileError;
            fileError = 0;
            throw WinError.exception("TransmitFile", error);
        }
        if (ops.inFlight(FILE)) {
            return 0;
        }
        if (heldReadError != 0) {
            // A read failed while the last TransmitFile ran, which completed without error.
            int error = heldReadError;
            heldReadError = 0;
            throw handle.readFailure(error);
        }
        long source = FileHandles.of(file);
        if (source == -1) {
            throw new ClosedChannelException();
        }
        long copy = block + FILE_HANDLE;
        if (Kernel32.DuplicateHandle(Kernel32.CURRENT_PROCESS, source, Kernel32.CURRENT_PROCESS, copy, 0, 0,
                Kernel32.DUPLICATE_SAME_ACCESS) == 0) {
            throw WinError.exception("DuplicateHandle", WinError.last());
        }
        int n = (int) Math.min(count, Mswsock.TRANSMIT_MAX);
        long ov = ops.start(FILE);
        Mem.putInt(ov + OVERLAPPED_OFFSET, (int) position);
        Mem.putInt(ov + OVERLAPPED_OFFSET_HIGH, (int) (position >>> 32));
        fileInFlight = file;
        filePosition = position;
        handle.transmit(this, ov, Mem.getLong(copy), n);
        return 0;
    }

    /** The running TransmitFile's completion reports {@link StreamCore#writable()}. */
    @Override
    public void awaitWritable() {
        fileAwaited = true;
    }

    @Override
    public int sendNow(long address, int length) throws IOException {
        return handle.sendNow(address, length);
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
        return frozen.size() + filling.size();
    }

    @Override
    public void kick(boolean tryNow) {
        postWrite();
    }

    @Override
    public void shutdownOutput() throws IOException {
        handle.shutdownOutput();
    }

    @Override
    public void readingChanged() {
        if (ops.inFlight(FILE) && fileAwaited && !core.wantsWritable()) {
            // The transfer ended (cancelled) with a TransmitFile in flight. It runs to its end (a
            // cancelled TransmitFile may have sent bytes it does not report), and its completion
            // moves the file's position past what it sent.
            fileOrphaned = true;
        }
        if (heldReadError != 0 && !ops.inFlight(FILE) && !core.wantsWritable()) {
            // The sendfile ended without asking for more: the held failure ends the connection.
            driver.loop.callSoon(this::reportHeldReadError);
            return;
        }
        if (watchReader) {
            startRead();
        } else if (core.wantsRead()) {
            if (held > 0) {
                driver.loop.callSoon(this::deliverHeld);
            } else {
                startRead();
            }
        } else if (core.isClosing() && ops.inFlight(READ) && !readCancelled) {
            // Stop reading now; the cancelled read completes with ERROR_OPERATION_ABORTED.
            readCancelled = true;
            handle.cancel(ops.overlapped(READ));
        }
    }

    @Override
    public void release(boolean reset) {
        closeHandle(reset);
        maybeFree();
    }

    @Override
    public void forget() {
        driver.closed(core);
    }

    private void closeHandle(boolean reset) {
        if (ops.close()) {
            handle.close(reset, !ops.idle(), block + AREA);
        }
    }

    /** Loop closing: drop the handle without callbacks. */
    @Override
    public void closeNow() {
        core.closeNow();
        driver.closed(core);
        closeHandle(true);
        maybeFree();
    }

    /** Frees native memory once closed and nothing is in flight; then forgets the key. */
    private void maybeFree() {
        if (ops.freeIfDone()) {
            frozen.release();
            filling.release();
            driver.release(key);
        }
    }

    @Override
    public Object info(String name) {
        return handle.info(name);
    }

    @Override
    public String toString() {
        return "IocpStream[" + handle + (core.isLost() ? ", closed" : "")
                + (ops.inFlight(READ) ? ", read" : "") + (ops.inFlight(WRITE) ? ", write" : "")
                + (ops.inFlight(FILE) ? ", TransmitFile" : "") + (ops.idle() ? "" : " in flight") + "]";
    }
}
