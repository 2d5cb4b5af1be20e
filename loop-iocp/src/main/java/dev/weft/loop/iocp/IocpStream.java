package dev.weft.loop.iocp;

import dev.weft.loop.BaseProtocol;
import dev.weft.loop.NativeIOException;
import dev.weft.loop.Transport;
import dev.weft.loop.transport.ServerClients;
import dev.weft.loop.transport.StreamCore;
import dev.weft.loop.transport.StreamIo;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import static dev.weft.loop.iocp.WinConstants.*;

/**
 * The IOCP backend's half of a stream transport: at most one overlapped WSARecv and one overlapped
 * WSASend in flight, each with its own OVERLAPPED in this object's native block. The protocol, the
 * life cycle and flow control are {@link StreamCore}'s.
 *
 * <p><b>Reads</b> land in this transport's own 64 KiB native buffer (an operation in flight owns its
 * memory, so the loop cannot share one read buffer between connections as readiness backends do)
 * and reach the protocol through {@link StreamCore#deliver}. While reading is paused no read is
 * posted; bytes of a read that completed after the pause are held and delivered on resume.
 *
 * <p><b>Writes</b> the kernel did not take at once are copied into the filling {@link SendBuffer}.
 * One WSASend at a time sends the frozen buffer; when it completes the buffers swap. The frozen
 * buffer is never appended to while the kernel reads it.
 *
 * <p><b>sendfile</b> is {@code TransmitFile}, overlapped on the completion port with its own
 * OVERLAPPED (the file offset in Offset/OffsetHigh), on a duplicate of the channel's file handle
 * that is closed only when the completion is dequeued, so the caller closing the channel cannot pull
 * the handle from under the kernel. One TransmitFile at a time: {@link #sendFile} starts it and
 * returns 0, and its completion reports {@link StreamCore#writable()}; the next call returns the
 * bytes it sent. Writes queue meanwhile and go after it. A TransmitFile still in flight
 * when its transfer ends (cancelled) is not stopped: under Wine 8.0 one cancelled with CancelIoEx
 * went on to send its whole range yet completed reporting none of it. When it completes, the
 * file's position is set past the bytes it sent, and the queued writes follow.
 *
 * <p><b>Closing</b> the socket cancels what is in flight; the native block and the frozen buffer are
 * freed only when the last completion has come back.
 */
final class IocpStream implements StreamIo, Completion {
    static final int READ_SIZE = 64 * 1024;

    private static final int READ_OV = 0;
    private static final int WRITE_OV = OVERLAPPED_SIZE;
    private static final int READ_WSABUF = 2 * OVERLAPPED_SIZE;
    private static final int WRITE_WSABUF = READ_WSABUF + WSABUF_SIZE;
    private static final int FLAGS = WRITE_WSABUF + WSABUF_SIZE;
    private static final int LINGER = FLAGS + 8;
    private static final int FILE_OV = LINGER + 8;
    private static final int FILE_HANDLE = FILE_OV + OVERLAPPED_SIZE;
    private static final int READ_DATA = FILE_HANDLE + 8;
    private static final int BLOCK_SIZE = READ_DATA + READ_SIZE;

    private final IocpDriver driver;
    private final long socket;
    private final int key;
    private final long block;
    private final InetSocketAddress local;
    private final InetSocketAddress remote;
    private final StreamCore core;

    private SendBuffer frozen = new SendBuffer();
    private SendBuffer filling = new SendBuffer();

    private boolean readPending;
    private boolean readCancelled;
    private boolean writePending;
    private boolean filePending;
    private boolean fileAwaited;
    private boolean fileOrphaned;
    private FileChannel fileInFlight;
    private long filePosition;
    private long fileResult = -1;
    private int fileError;
    private int held;
    private boolean socketClosed;
    private boolean freed;

    /** Takes over {@code socket}, already registered with the driver under {@code key}. */
    IocpStream(IocpDriver driver, long socket, int key, BaseProtocol protocol, ServerClients server)
            throws NativeIOException {
        this.driver = driver;
        this.socket = socket;
        this.key = key;
        this.core = new StreamCore(driver.loop, this, protocol, server);
        this.local = WinSock.localAddress(socket);
        this.remote = WinSock.remoteAddress(socket);
        this.block = Mem.allocate(BLOCK_SIZE);
        driver.transfer(key, this);
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
            onRead(error, bytes);
        } else if (overlapped == block + WRITE_OV) {
            writePending = false;
            onWrite(error, bytes);
        } else if (overlapped == block + FILE_OV) {
            filePending = false;
            onFileSent(error, bytes);
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
            core.lost(WinError.exception("WSARecv", error));
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

    private void startRead() {
        if (readPending || held > 0 || !core.wantsRead()) {
            return;
        }
        long wsabuf = block + READ_WSABUF;
        Mem.putInt(wsabuf + WSABUF_LEN, READ_SIZE);
        Mem.putLong(wsabuf + WSABUF_BUF, block + READ_DATA);
        Mem.putInt(block + FLAGS, 0);
        long ov = block + READ_OV;
        Mem.zero(ov, OVERLAPPED_SIZE);
        readPending = true;
        readCancelled = false;
        int rc = Ws2.WSARecv(socket, wsabuf, 1, 0L, block + FLAGS, ov, 0L);
        driver.started(this, ov, rc, rc == 0 ? 0 : WinError.last());
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
            core.lost(WinError.exception("WSASend", error));
            return;
        }
        frozen.consume(bytes);
        postSend();
        core.drained();
    }

    private void onFileSent(int error, int bytes) {
        Kernel32.CloseHandle(Mem.getLong(block + FILE_HANDLE));
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
                postSend();
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

    /** Starts the next WSASend if none is in flight and bytes wait (never beside a TransmitFile). */
    private void postSend() {
        if (filePending) {
            return;
        }
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
    }

    // ------------------------------------------------------------------ StreamIo

    @Override
    public String backendName() {
        return driver.name;
    }

    @Override
    public boolean idle() {
        return !writePending && !filePending && frozen.isEmpty() && filling.isEmpty();
    }

    /** Null for a JDK file channel (its handle is what TransmitFile reads). */
    @Override
    public String sendFileUnsupported(FileChannel file) {
        return FileHandles.unsupported(file);
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
        if (filePending) {
            return 0;
        }
        long handle = FileHandles.of(file);
        if (handle == -1) {
            throw new ClosedChannelException();
        }
        long copy = block + FILE_HANDLE;
        if (Kernel32.DuplicateHandle(Kernel32.CURRENT_PROCESS, handle, Kernel32.CURRENT_PROCESS, copy, 0, 0,
                Kernel32.DUPLICATE_SAME_ACCESS) == 0) {
            throw WinError.exception("DuplicateHandle", WinError.last());
        }
        int n = (int) Math.min(count, Mswsock.TRANSMIT_MAX);
        long ov = block + FILE_OV;
        Mem.zero(ov, OVERLAPPED_SIZE);
        Mem.putInt(ov + OVERLAPPED_OFFSET, (int) position);
        Mem.putInt(ov + OVERLAPPED_OFFSET_HIGH, (int) (position >>> 32));
        filePending = true;
        fileInFlight = file;
        filePosition = position;
        int ok = Mswsock.TransmitFile(socket, Mem.getLong(copy), n, 0, ov, 0L, 0);
        driver.started(this, ov, ok != 0 ? 0 : -1, ok != 0 ? 0 : WinError.last());
        return 0;
    }

    /** The running TransmitFile's completion reports {@link StreamCore#writable()}. */
    @Override
    public void awaitWritable() {
        fileAwaited = true;
    }

    @Override
    public int sendNow(long address, int length) throws IOException {
        int n = Ws2.send(socket, address, length, 0);
        if (n >= 0) {
            return n;
        }
        int error = WinError.last();
        if (error == WSAEWOULDBLOCK) {
            return 0;
        }
        throw WinError.exception("send", error);
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
        postSend();
    }

    @Override
    public void shutdownOutput() throws IOException {
        if (Ws2.shutdown(socket, SD_SEND) != 0) {
            throw WinError.exception("shutdown(SD_SEND)", WinError.last());
        }
    }

    @Override
    public void readingChanged() {
        if (filePending && fileAwaited && !core.wantsWritable()) {
            // The transfer ended (cancelled) with a TransmitFile in flight. It runs to its end (a
            // cancelled TransmitFile may have sent bytes it does not report), and its completion
            // moves the file's position past what it sent.
            fileOrphaned = true;
        }
        if (core.wantsRead()) {
            if (held > 0) {
                driver.loop.callSoon(this::deliverHeld);
            } else {
                startRead();
            }
        } else if (core.isClosing() && readPending && !readCancelled) {
            // Stop reading now; the cancelled read completes with ERROR_OPERATION_ABORTED.
            readCancelled = true;
            Kernel32.CancelIoEx(socket, block + READ_OV);
        }
    }

    @Override
    public void release(boolean reset) {
        closeSocket(reset);
        maybeFree();
    }

    @Override
    public void forget() {
        driver.closed(core);
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
        core.closeNow();
        driver.closed(core);
        closeSocket(true);
        maybeFree();
    }

    /** Frees native memory once closed and nothing is in flight; then forgets the key. */
    private void maybeFree() {
        if (freed || !socketClosed || readPending || writePending || filePending) {
            return;
        }
        freed = true;
        frozen.release();
        filling.release();
        Mem.free(block);
        driver.release(key);
    }

    @Override
    public Object info(String name) {
        switch (name) {
            case Transport.PEER_NAME:
                return remote;
            case Transport.SOCK_NAME:
                return local;
            case Transport.SOCKET:
                return socket;
            default:
                return null;
        }
    }

    @Override
    public String toString() {
        return "IocpStream[" + local + " -> " + remote + (core.isLost() ? ", closed" : "") + "]";
    }
}
