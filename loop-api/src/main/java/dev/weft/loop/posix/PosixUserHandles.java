package dev.weft.loop.posix;

import com.sun.jna.Native;
import dev.weft.loop.Capability;
import dev.weft.loop.NativeIOException;
import dev.weft.loop.PipeEnd;
import dev.weft.loop.UnsupportedCapabilityException;
import dev.weft.loop.spi.DatagramSocket;
import dev.weft.loop.spi.PipeChannel;
import dev.weft.loop.spi.Pollable;
import dev.weft.loop.spi.UserHandles;
import java.io.IOException;
import java.nio.channels.SelectableChannel;

/**
 * Pipe ends and watched descriptors for the backends on this POSIX layer (epoll, kqueue): file
 * descriptors only, since java.nio does not expose a channel's descriptor. A pipe end must be a
 * pipe, FIFO, socket or character device (as asyncio checks with {@code fstat}), open in the
 * direction the transport moves bytes; it is then set {@code O_NONBLOCK} (the flag belongs to the
 * open file description, so another process sharing it sees it too, as with asyncio). Stateless and
 * thread-safe.
 */
public final class PosixUserHandles implements UserHandles {
    private static final int O_ACCMODE = 3;
    private static final int O_RDONLY = 0;
    private static final int O_WRONLY = 1;

    private final String backend;

    /** {@code backend}: the name used in "unsupported on &lt;backend&gt;" messages. */
    public PosixUserHandles(String backend) {
        this.backend = backend;
    }

    @Override
    public PipeChannel openPipe(PipeEnd end, boolean write) throws IOException {
        if (end.channel() != null) {
            throw new UnsupportedCapabilityException(backend, Capability.PIPES, "java.nio does not expose the"
                    + " descriptor of " + end.channel() + "; pass the pipe's file descriptor (PipeEnd.ofFd)");
        }
        int fd = end.fd();
        FileKind kind;
        try {
            kind = FileKind.of(fd);
        } catch (NativeIOException e) {
            throw new IllegalArgumentException("pipe: fd " + fd + " is not an open descriptor: " + e.getMessage(), e);
        }
        if (kind != FileKind.FIFO && kind != FileKind.SOCKET && kind != FileKind.CHARACTER_DEVICE) {
            throw new IllegalArgumentException("pipe: fd " + fd + " is " + kind.description()
                    + ": not a pipe, FIFO, socket or character device");
        }
        PosixAbi abi = PosixAbi.current();
        LibCVarargs c = LibCVarargs.INSTANCE;
        int flags = c.fcntl(fd, abi.F_GETFL);
        if (flags == -1) {
            throw Posix.error("fcntl(fd " + fd + ", F_GETFL)", Native.getLastError());
        }
        int mode = flags & O_ACCMODE;
        if (write && mode == O_RDONLY) {
            throw new IllegalArgumentException("pipe: fd " + fd + " is open for reading only; a write pipe needs"
                    + " a writable descriptor");
        }
        if (!write && mode == O_WRONLY) {
            throw new IllegalArgumentException("pipe: fd " + fd + " is open for writing only; a read pipe needs"
                    + " a readable descriptor");
        }
        if ((flags & abi.O_NONBLOCK) == 0 && c.fcntl(fd, abi.F_SETFL, flags | abi.O_NONBLOCK) == -1) {
            throw Posix.error("fcntl(fd " + fd + ", F_SETFL, O_NONBLOCK)", Native.getLastError());
        }
        return new PosixPipe(fd, kind);
    }

    /** A UDP socket's descriptor (see {@link PosixDatagramSocket#adopt}); a java.nio channel is refused. */
    @Override
    public DatagramSocket adoptDatagram(Object socket) throws IOException {
        return adoptDatagram(socket, true);
    }

    /** As {@link #adoptDatagram(Object)}; {@code batches} false: one recvfrom/sendto per datagram. */
    public DatagramSocket adoptDatagram(Object socket, boolean batches) throws IOException {
        if (!(socket instanceof Integer fd)) {
            throw new UnsupportedCapabilityException(backend, Capability.DATAGRAM, "java.nio does not expose the"
                    + " descriptor of " + socket + "; pass the socket's file descriptor (DatagramOptions.withSocket(int))");
        }
        return PosixDatagramSocket.adopt(fd, batches);
    }

    @Override
    public Pollable watchable(int fd) {
        return Pollable.ofFd(fd);
    }

    @Override
    public Pollable watchable(SelectableChannel channel) {
        throw new UnsupportedCapabilityException(backend, Capability.WATCH_FD, "java.nio does not expose the"
                + " descriptor of " + channel + "; watch its file descriptor");
    }
}
