package dev.weft.loop;

/**
 * What the loop's exception handler receives: a message, the exception (may be null) and the
 * object it came from (a {@link Handle}, a {@link LoopFuture}, a {@link Transport}, a protocol, or
 * null).
 *
 * <p>Immutable: any thread may read it.
 */
public record ExceptionContext(String message, Throwable exception, Object source) {
    @Override
    public String toString() {
        return message + (source == null ? "" : " [" + source + "]")
                + (exception == null ? "" : ": " + exception);
    }
}
