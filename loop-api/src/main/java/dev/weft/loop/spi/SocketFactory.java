package dev.weft.loop.spi;

import java.io.IOException;
import java.net.StandardProtocolFamily;

/** Makes the non-blocking TCP sockets of a readiness backend. */
public interface SocketFactory {
    /** A non-blocking, close-on-exec stream socket for connecting. */
    NetSocket openStream(StandardProtocolFamily family) throws IOException;

    /** A non-blocking, close-on-exec stream socket for listening (not yet bound). */
    NetSocket openListener(StandardProtocolFamily family) throws IOException;
}
