package dev.weft.loop.spi;

import java.io.IOException;
import java.net.SocketAddress;
import java.net.SocketOption;
import java.nio.channels.FileChannel;

/**
 * A non-blocking stream socket of a readiness backend (TCP, or Unix domain where the backend has
 * {@link dev.weft.loop.Capability#UNIX_STREAM}): the system calls the shared readiness transports
 * need. Addresses are {@link java.net.InetSocketAddress}es for TCP and
 * {@link dev.weft.loop.UnixSocketAddress}es for Unix sockets. Memory is passed as raw addresses of off-heap memory that the caller owns for the duration
 * of the call; implementations never retain it.
 *
 * <p>Errors are {@link dev.weft.loop.NativeIOException}s (or {@link IOException}s from java.nio)
 * naming the call; "would block" is never an exception.
 */
public interface NetSocket extends StreamChannel {
    /** Reads into {@code [address, address+length)}: bytes read, 0 if it would block, -1 at EOF. */
    int read(long address, int length) throws IOException;

    /** Writes from {@code [address, address+length)}: bytes taken, 0 if it would block. */
    int write(long address, int length) throws IOException;

    /**
     * Gathering write from {@code count} {@code struct iovec} entries at {@code iovAddress}
     * (16 bytes each: base address, then length, both 64-bit). Returns bytes taken, 0 if it would block.
     */
    long writev(long iovAddress, int count) throws IOException;

    /**
     * Why {@link #sendFile} cannot send {@code file} on this socket, or null when it can. The
     * default: this socket has no kernel file path.
     */
    default String sendFileUnsupported(FileChannel file) {
        return "no kernel file path on " + getClass().getSimpleName();
    }

    /**
     * Sends up to {@code count} bytes of {@code file} from {@code position} without blocking and
     * without moving the file's position: bytes taken, 0 if the socket would block or the file
     * holds nothing at {@code position}. Throws {@link dev.weft.loop.SendfileNotAvailableException}
     * when the kernel refuses the file, else the I/O error naming the call.
     */
    default long sendFile(FileChannel file, long position, long count) throws IOException {
        throw new dev.weft.loop.SendfileNotAvailableException(sendFileUnsupported(file));
    }

    /** Starts a connect: true if connected at once, false if in progress (wait for WRITABLE). */
    boolean connect(SocketAddress remote) throws IOException;

    /**
     * Completes a connect that was in progress: true once connected, false if still in progress (a
     * spurious readiness event: wait for {@link Poller#WRITABLE} again); throws the connect's error
     * if it failed.
     */
    boolean finishConnect() throws IOException;

    void bind(SocketAddress local) throws IOException;

    void listen(int backlog) throws IOException;

    /** Accepts one pending connection as a non-blocking socket, or null if none is pending. */
    NetSocket accept() throws IOException;

    void shutdownOutput() throws IOException;

    <T> void setOption(SocketOption<T> option, T value) throws IOException;

    <T> T getOption(SocketOption<T> option) throws IOException;

    /** The bound address; a Unix socket not bound to a path gives an empty path. */
    SocketAddress localAddress() throws IOException;

    /** The peer's address, or null when not connected; an unbound Unix peer gives an empty path. */
    SocketAddress remoteAddress() throws IOException;

    /**
     * The credentials of a Unix socket's peer ({@code SO_PEERCRED}), or null where this socket or
     * backend cannot read them.
     */
    default dev.weft.loop.PeerCredentials peerCredentials() throws IOException {
        return null;
    }

    /** What {@code Transport.extraInfo("socket")} returns: an fd number or the channel. */
    Object handle();

    /** Closes the socket. Idempotent. */
    void close() throws IOException;
}
