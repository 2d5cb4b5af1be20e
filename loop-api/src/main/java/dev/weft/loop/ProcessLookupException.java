package dev.weft.loop;

/** The child process has exited: it can no longer be signalled (Python's {@code ProcessLookupError}). */
public final class ProcessLookupException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    public ProcessLookupException(String message) {
        super(message);
    }
}
