package dev.weft.loop.core;

import java.util.concurrent.CompletionException;

/** Rethrowing a stored failure from code that declares no checked exceptions. Not API. */
public final class Throwables {
    private Throwables() {
    }

    /**
     * {@code t} itself when unchecked; an {@link Error} is thrown at once; a checked exception is
     * wrapped in a {@link CompletionException}.
     */
    public static RuntimeException rethrowable(Throwable t) {
        if (t instanceof RuntimeException re) {
            return re;
        }
        if (t instanceof Error err) {
            throw err;
        }
        return new CompletionException(t);
    }
}
