package dev.weft.loop;

/**
 * A callback scheduled on a loop by {@link EventLoop#callSoon} (or its thread-safe variant).
 * {@link #cancel()} may be called from any thread; a cancelled handle does not run if it has not
 * started.
 */
public class Handle {
    final EventLoop loop;
    final Runnable callback;
    volatile boolean cancelled;

    Handle(EventLoop loop, Runnable callback) {
        this.loop = loop;
        this.callback = callback;
    }

    /** Prevents the callback from running if it has not run yet. Thread-safe; idempotent. */
    public void cancel() {
        cancelled = true;
    }

    public boolean isCancelled() {
        return cancelled;
    }

    /** The callback this handle runs. */
    public Runnable callback() {
        return callback;
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + callback + (cancelled ? ", cancelled" : "") + "]";
    }
}
