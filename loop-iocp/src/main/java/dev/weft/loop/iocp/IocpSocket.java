package dev.weft.loop.iocp;

import dev.weft.loop.NativeIOException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.FileChannel;
import static dev.weft.loop.iocp.WinConstants.*;

/**
 * A connected socket under an {@link IocpStream}: overlapped WSARecv and WSASend, a plain
 * non-blocking {@code send} first for writes, half-close with {@code shutdown(SD_SEND)}, reset by
 * SO_LINGER zero, and TransmitFile for sendfile. The socket is already associated with the port
 * with FILE_SKIP_COMPLETION_PORT_ON_SUCCESS (by the connect or the accepting server): an operation
 * that finishes at once posts no packet, and the driver dispatches it on the next poll. A zero-byte
 * read is the peer's FIN. Loop thread only.
 */
final class IocpSocket implements StreamHandle {
    // Offsets in the stream's area (48 bytes, AREA_SIZE): the two WSABUFs, WSARecv's flags, SO_LINGER.
    private static final int READ_WSABUF = 0;
    private static final int WRITE_WSABUF = READ_WSABUF + WSABUF_SIZE;
    private static final int FLAGS = WRITE_WSABUF + WSABUF_SIZE;
    private static final int LINGER = FLAGS + 8;

    private final IocpDriver driver;
    private final long socket;
    private final int key;
    private final InetSocketAddress local;
    private final InetSocketAddress remote;

    /** Takes over {@code socket}, registered with {@code driver} under {@code key}. */
    IocpSocket(IocpDriver driver, long socket, int key) throws NativeIOException {
        this.driver = driver;
        this.socket = socket;
        this.key = key;
        this.local = WinSock.localAddress(socket);
        this.remote = WinSock.remoteAddress(socket);
    }

    /** The key is already the socket's: it only changes owner. */
    @Override
    public int register(Completion owner) {
        driver.transfer(key, owner);
        return key;
    }

    @Override
    public void read(Completion owner, long overlapped, long buffer, int length, long area) {
        long wsabuf = area + READ_WSABUF;
        Mem.putInt(wsabuf + WSABUF_LEN, length);
        Mem.putLong(wsabuf + WSABUF_BUF, buffer);
        Mem.putInt(area + FLAGS, 0);
        int rc = Ws2.WSARecv(socket, wsabuf, 1, 0L, area + FLAGS, overlapped, 0L);
        driver.started(owner, overlapped, rc, rc == 0 ? 0 : WinError.last());
    }

    @Override
    public void write(Completion owner, long overlapped, long buffer, int length, long area) {
        long wsabuf = area + WRITE_WSABUF;
        Mem.putInt(wsabuf + WSABUF_LEN, length);
        Mem.putLong(wsabuf + WSABUF_BUF, buffer);
        int rc = Ws2.WSASend(socket, wsabuf, 1, 0L, 0, overlapped, 0L);
        driver.started(owner, overlapped, rc, rc == 0 ? 0 : WinError.last());
    }

    @Override
    public boolean emptyReadIsEof() {
        return true;
    }

    /** A socket's end is the zero-byte read; every read error is a failure. */
    @Override
    public boolean isEnd(int error) {
        return false;
    }

    @Override
    public IOException readFailure(int error) {
        return WinError.exception("WSARecv", error);
    }

    @Override
    public IOException writeFailure(int error) {
        return WinError.exception("WSASend", error);
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
    public void shutdownOutput() throws IOException {
        if (Ws2.shutdown(socket, SD_SEND) != 0) {
            throw WinError.exception("shutdown(SD_SEND)", WinError.last());
        }
    }

    @Override
    public void cancel(long overlapped) {
        Kernel32.CancelIoEx(socket, overlapped);
    }

    /**
     * Closing the socket cancels whatever is in flight: on Windows closesocket does (its
     * documentation), and CancelIoEx before it makes sure of it where closesocket alone may not.
     * Under Wine 8.0 a WSARecv and a WSASend in flight on a socket whose peer had stopped reading
     * stayed pending after closesocket, never completing, in 10 of 20 runs on a loaded machine;
     * after CancelIoEx both complete aborted. On Windows the call cancels what closesocket would.
     */
    @Override
    public void close(boolean reset, boolean inFlight, long area) {
        if (inFlight) {
            Kernel32.CancelIoEx(socket, 0L);
        }
        if (reset) {
            // SO_LINGER {l_onoff=1, l_linger=0}: closesocket sends RST and drops unsent data.
            long linger = area + LINGER;
            Mem.putShort(linger, (short) 1);
            Mem.putShort(linger + 2, (short) 0);
            Ws2.setsockopt(socket, SOL_SOCKET, SO_LINGER, linger, 4);
        }
        Ws2.closesocket(socket);
    }

    /** Null for a JDK file channel (its handle is what TransmitFile reads). */
    @Override
    public String sendFileUnsupported(FileChannel file) {
        return FileHandles.unsupported(file);
    }

    @Override
    public void transmit(Completion owner, long overlapped, long file, int count) {
        int ok = Mswsock.TransmitFile(socket, file, count, 0, overlapped, 0L, 0);
        driver.started(owner, overlapped, ok != 0 ? 0 : -1, ok != 0 ? 0 : WinError.last());
    }

    @Override
    public Object info(String name) {
        return WinSock.info(name, socket, local, remote);
    }

    @Override
    public String toString() {
        return local + " -> " + remote;
    }
}
