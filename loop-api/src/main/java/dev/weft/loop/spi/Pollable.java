package dev.weft.loop.spi;

import java.nio.channels.SelectableChannel;
import java.util.Objects;

/**
 * Anything a readiness {@link Poller} can watch: a POSIX file descriptor (epoll, kqueue) or a
 * {@link SelectableChannel} (java.nio). Sockets, pipes, Unix sockets and raw descriptors handed in
 * by users all register through this one type; a poller that cannot watch a given kind fails with
 * an {@link IllegalArgumentException} naming it.
 */
public interface Pollable {
    /** The descriptor a POSIX poller watches, or -1 when this is not a descriptor. */
    default int fd() {
        return -1;
    }

    /** The channel the java.nio poller watches, or null when this is not a channel. */
    default SelectableChannel channel() {
        return null;
    }

    /** A raw descriptor the caller owns (it stays open when deregistered). */
    static Pollable ofFd(int fd) {
        if (fd < 0) {
            throw new IllegalArgumentException("fd must be >= 0: " + fd);
        }
        return new Pollable() {
            @Override
            public int fd() {
                return fd;
            }

            @Override
            public String toString() {
                return "fd " + fd;
            }
        };
    }

    /** A channel the caller owns; it must be in non-blocking mode before it is registered. */
    static Pollable of(SelectableChannel channel) {
        Objects.requireNonNull(channel, "channel");
        return new Pollable() {
            @Override
            public SelectableChannel channel() {
                return channel;
            }

            @Override
            public String toString() {
                return channel.toString();
            }
        };
    }
}
