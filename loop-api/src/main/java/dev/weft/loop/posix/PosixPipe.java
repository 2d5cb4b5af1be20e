package dev.weft.loop.posix;

import com.sun.jna.Native;
import dev.weft.loop.spi.PipeChannel;
import java.io.IOException;

/**
 * One end of a pipe, FIFO, socket or character device that a pipe transport owns: non-blocking,
 * read with {@code read(2)} (through the JNI {@link FastPath} when it is loaded), written with
 * {@code write(2)} and {@code writev(2)}. A write to a pipe whose reader is gone fails with EPIPE:
 * the JVM ignores SIGPIPE (HotSpot installs a handler that drops it). Made by
 * {@link PosixUserHandles}. Loop thread only; after {@link #close()} calls fail with EBADF on
 * descriptor -1, never on a reused number.
 */
final class PosixPipe implements PipeChannel {
    private static final PosixAbi ABI = PosixAbi.current();
    private static final boolean FAST = FastPath.AVAILABLE;

    private final int number;
    private final FileKind kind;
    private int fd;

    PosixPipe(int fd, FileKind kind) {
        this.number = fd;
        this.fd = fd;
        this.kind = kind;
    }

    @Override
    public int fd() {
        return fd;
    }

    @Override
    public boolean readerCloseVisible() {
        return kind == FileKind.FIFO || kind == FileKind.SOCKET;
    }

    @Override
    public Object handle() {
        return number;
    }

    @Override
    public int read(long address, int length) throws IOException {
        for (;;) {
            long n = FAST ? FastPath.read(fd, address, length) : LibC.read(fd, address, length);
            if (n > 0) {
                return (int) n;
            }
            if (n == 0) {
                return length == 0 ? 0 : -1;
            }
            int e = FAST ? (int) -n : Native.getLastError();
            if (e == ABI.EAGAIN || e == ABI.EWOULDBLOCK) {
                return 0;
            }
            if (e != ABI.EINTR) {
                throw Posix.error("read(pipe fd " + number + ")", e);
            }
        }
    }

    @Override
    public int write(long address, int length) throws IOException {
        for (;;) {
            long n = FdCalls.write(fd, address, length);
            if (n >= 0) {
                return (int) n;
            }
            int e = Native.getLastError();
            if (e == ABI.EAGAIN || e == ABI.EWOULDBLOCK) {
                return 0;
            }
            if (e != ABI.EINTR) {
                throw Posix.error("write(pipe fd " + number + ")", e);
            }
        }
    }

    @Override
    public long writev(long iovAddress, int count) throws IOException {
        for (;;) {
            long n = LibC.writev(fd, iovAddress, count);
            if (n >= 0) {
                return n;
            }
            int e = Native.getLastError();
            if (e == ABI.EAGAIN || e == ABI.EWOULDBLOCK) {
                return 0;
            }
            if (e != ABI.EINTR) {
                throw Posix.error("writev(pipe fd " + number + ")", e);
            }
        }
    }

    @Override
    public void close() throws IOException {
        int f = fd;
        if (f >= 0) {
            fd = -1;
            Posix.close(f, "pipe fd " + f);
        }
    }

    @Override
    public String toString() {
        return "PosixPipe[fd " + number + ", " + kind.description() + (fd < 0 ? ", closed" : "") + "]";
    }
}
