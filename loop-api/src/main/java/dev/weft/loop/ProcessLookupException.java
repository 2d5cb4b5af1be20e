package dev.weft.loop;

/**
 * The child process has exited: it can no longer be signalled (Python's {@code ProcessLookupError}).
 *
 * <p>Any thread may create, throw or read it: it holds only values fixed at construction.
 */
public final class ProcessLookupException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    public ProcessLookupException(String message) {
        super(message);
    }
}
