package dev.weft.loop.task;

import java.util.List;

/**
 * The failures of a {@link TaskGroup}, all of them (asyncio's {@code ExceptionGroup}): the first is
 * the cause, every one is also attached as suppressed.
 *
 * <p>Any thread may create, throw or read it: it holds only values fixed at construction.
 */
public final class TaskGroupException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final transient List<Throwable> exceptions;

    TaskGroupException(List<Throwable> exceptions) {
        super("unhandled errors in a TaskGroup (" + exceptions.size() + " sub-exception"
                + (exceptions.size() == 1 ? "" : "s") + ")", exceptions.get(0));
        this.exceptions = List.copyOf(exceptions);
        for (Throwable t : exceptions) {
            addSuppressed(t);
        }
    }

    /** The failures, in the order they happened. */
    public List<Throwable> exceptions() {
        return exceptions;
    }
}
