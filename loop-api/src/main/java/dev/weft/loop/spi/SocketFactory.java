package dev.weft.loop.spi;

import java.io.IOException;
import java.net.StandardProtocolFamily;

/**
 * Makes the non-blocking stream sockets of a readiness backend: {@code INET} / {@code INET6} for
 * TCP, {@code UNIX} for Unix domain sockets where the backend offers them (elsewhere that family
 * fails with {@link UnsupportedOperationException} naming it).
 */
public interface SocketFactory {
    /** A non-blocking, close-on-exec stream socket for connecting. */
    NetSocket openStream(StandardProtocolFamily family) throws IOException;

    /** A non-blocking, close-on-exec stream socket for listening (not yet bound). */
    NetSocket openListener(StandardProtocolFamily family) throws IOException;

    /**
     * The socket {@code accepted} (accepted by a listener of another loop of the same backend) as a
     * socket of this factory's loop, so its reads and writes use this loop's memory. The default
     * returns it unchanged (a socket holding nothing of its loop); the returned socket owns the
     * connection from then on.
     */
    default NetSocket adopt(NetSocket accepted) {
        return accepted;
    }

    /**
     * The longest file system path (in bytes) this factory's Unix sockets can bind or connect to:
     * the OS's {@link dev.weft.loop.UnixSocketAddress#maxPathBytes()} unless the backend takes less.
     */
    default int maxUnixPathBytes() {
        return dev.weft.loop.UnixSocketAddress.maxPathBytes();
    }

    /**
     * A non-blocking, close-on-exec UDP socket (INET6: dual-stack), or for UNIX an unbound Unix
     * datagram socket where the backend has them. A backend without datagrams
     * fails with {@link UnsupportedOperationException}, and says so in its
     * {@link LoopBackend#unsupportedReason}.
     */
    default DatagramSocket openDatagram(StandardProtocolFamily family) throws IOException {
        throw new UnsupportedOperationException("UDP sockets are not implemented by " + getClass().getSimpleName());
    }
}
