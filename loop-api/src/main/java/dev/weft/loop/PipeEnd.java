package dev.weft.loop;

import java.nio.channels.SelectableChannel;
import java.util.Objects;

/**
 * One end of a pipe, FIFO, socket or character device, handed to
 * {@link EventLoop#connectReadPipe} or {@link EventLoop#connectWritePipe}: a POSIX file descriptor
 * (the native backends) or a {@link SelectableChannel} such as {@link java.nio.channels.Pipe.SourceChannel}
 * and {@link java.nio.channels.Pipe.SinkChannel} (java.nio, which cannot use a raw descriptor).
 *
 * <p><b>Ownership.</b> Once a connect method has returned its future, the transport owns the end
 * and closes it when it is closed (or when the future fails). If the connect method throws, nothing
 * was changed and the caller still owns it. Immutable and thread-safe.
 */
public final class PipeEnd {
    private final int fd;
    private final SelectableChannel channel;

    private PipeEnd(int fd, SelectableChannel channel) {
        this.fd = fd;
        this.channel = channel;
    }

    /** A POSIX file descriptor; fails with {@link IllegalArgumentException} when negative. */
    public static PipeEnd ofFd(int fd) {
        if (fd < 0) {
            throw new IllegalArgumentException("fd must be >= 0: " + fd);
        }
        return new PipeEnd(fd, null);
    }

    /** A java.nio channel (it is put in non-blocking mode when a transport adopts it). */
    public static PipeEnd of(SelectableChannel channel) {
        return new PipeEnd(-1, Objects.requireNonNull(channel, "channel"));
    }

    /** The descriptor, or -1 when this end is a channel. */
    public int fd() {
        return fd;
    }

    /** The channel, or null when this end is a descriptor. */
    public SelectableChannel channel() {
        return channel;
    }

    /** What {@code Transport.extraInfo("pipe")} returns: the fd number or the channel. */
    public Object handle() {
        return channel != null ? channel : (Object) fd;
    }

    @Override
    public String toString() {
        return channel != null ? channel.toString() : "fd " + fd;
    }
}
