package dev.weft.loop.kqueue;

import dev.weft.loop.NativeIOException;
import dev.weft.loop.PipeEnd;
import dev.weft.loop.posix.FileKind;
import dev.weft.loop.posix.PosixUserHandles;
import dev.weft.loop.spi.PipeChannel;
import dev.weft.loop.spi.Pollable;
import dev.weft.loop.spi.UserHandles;
import java.io.IOException;
import java.nio.channels.SelectableChannel;

/**
 * Pipe ends and watched descriptors on kqueue: the POSIX layer's ({@link PosixUserHandles}), with
 * what a watch takes checked first, since kqueue takes more than epoll does:
 * <ul>
 *   <li>a regular file or a directory is refused, as on epoll (where {@code epoll_ctl} fails with
 *       EPERM): kqueue accepts it, and its {@code EVFILT_READ} then reports it readable at every
 *       poll until the end of the file, which a loop would spin on;</li>
 *   <li>under libkqueue 2.3.1 a descriptor of no file type ({@code fstat} gives none: an eventfd, a
 *       pidfd, another anonymous inode) is refused with that reason: the library polls only files,
 *       pipes, sockets and devices, and fails the others with EBADF.</li>
 * </ul>
 * A closed descriptor is refused naming {@code fstat}'s EBADF. Stateless and thread-safe.
 */
final class KqueueUserHandles implements UserHandles {
    private final PosixUserHandles posix;
    private final boolean libkqueue;

    KqueueUserHandles(String backend, boolean libkqueue) {
        this.posix = new PosixUserHandles(backend);
        this.libkqueue = libkqueue;
    }

    @Override
    public PipeChannel openPipe(PipeEnd end, boolean write) throws IOException {
        return posix.openPipe(end, write);
    }

    /** A UDP socket's descriptor, as on epoll but without recvmmsg/sendmmsg batches (kqueue has none). */
    @Override
    public dev.weft.loop.spi.DatagramSocket adoptDatagram(Object socket) throws IOException {
        return posix.adoptDatagram(socket, false);
    }

    @Override
    public Pollable watchable(int fd) {
        if (fd < 0) {
            return posix.watchable(fd);
        }
        FileKind kind;
        try {
            kind = FileKind.of(fd);
        } catch (NativeIOException e) {
            throw new IllegalArgumentException("fd " + fd + " cannot be watched: " + e.getMessage(), e);
        }
        if (kind == FileKind.REGULAR_FILE || kind == FileKind.DIRECTORY) {
            throw new IllegalArgumentException("fd " + fd + " cannot be watched: it is " + kind.description()
                    + ", always ready (kqueue would report it at every poll; regular files and directories"
                    + " cannot be polled)");
        }
        if (libkqueue && kind == FileKind.UNKNOWN) {
            throw new IllegalArgumentException("fd " + fd + " cannot be watched: it has no file type (an eventfd,"
                    + " a pidfd or another anonymous inode), and libkqueue 2.3.1 polls only files, pipes, sockets"
                    + " and devices (EBADF)");
        }
        return posix.watchable(fd);
    }

    @Override
    public Pollable watchable(SelectableChannel channel) {
        return posix.watchable(channel);
    }
}
