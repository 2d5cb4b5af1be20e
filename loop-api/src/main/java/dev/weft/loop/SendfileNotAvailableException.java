package dev.weft.loop;

/**
 * {@link EventLoop#sendfile} was asked not to fall back to copying, and the kernel path is not
 * available for this backend, transport or file. The message reads "sendfile not available:
 * &lt;reason&gt;"; when the backend lacks the capability altogether the cause is the
 * {@link UnsupportedCapabilityException} saying so. asyncio's {@code SendfileNotAvailableError}.
 *
 * <p>Any thread may create, throw or read it: it holds only values fixed at construction.
 */
public final class SendfileNotAvailableException extends UnsupportedOperationException {
    private static final long serialVersionUID = 1L;

    public SendfileNotAvailableException(String reason) {
        super("sendfile not available: " + reason);
    }

    public SendfileNotAvailableException(String reason, Throwable cause) {
        super("sendfile not available: " + reason, cause);
    }
}
