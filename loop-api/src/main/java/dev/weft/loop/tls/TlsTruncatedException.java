package dev.weft.loop.tls;

import javax.net.ssl.SSLException;

/**
 * The peer ended the TCP stream (EOF) without sending TLS close_notify first: the data received may
 * have been cut short by anyone on the path, so the end of stream is reported as an error, not as a
 * clean close. Passed to {@code connectionLost} of the protocol above the TLS layer.
 *
 * <p>Any thread may create, throw or read it: it holds only values fixed at construction.
 */
public final class TlsTruncatedException extends SSLException {
    private static final long serialVersionUID = 1L;

    public TlsTruncatedException(String message, Throwable cause) {
        super(message, cause);
    }
}
