package dev.weft.loop.spi;

import java.io.IOException;
import java.net.StandardProtocolFamily;

/** Makes the non-blocking sockets of a readiness backend. */
public interface SocketFactory {
    /** A non-blocking, close-on-exec stream socket for connecting. */
    NetSocket openStream(StandardProtocolFamily family) throws IOException;

    /** A non-blocking, close-on-exec stream socket for listening (not yet bound). */
    NetSocket openListener(StandardProtocolFamily family) throws IOException;

    /**
     * A non-blocking, close-on-exec UDP socket (INET6: dual-stack). A backend without datagrams
     * fails with {@link UnsupportedOperationException}, and says so in its
     * {@link LoopBackend#unsupportedReason}.
     */
    default DatagramSocket openDatagram(StandardProtocolFamily family) throws IOException {
        throw new UnsupportedOperationException("UDP sockets are not implemented by " + getClass().getSimpleName());
    }
}
