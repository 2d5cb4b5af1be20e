package dev.weft.loop;

import dev.weft.loop.core.CreationSite;

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
        if (loop.isDebug()) {
            loop.recordCreationSite(this);
        }
    }

    /** Prevents the callback from running if it has not run yet. Thread-safe; idempotent. */
    public void cancel() {
        cancelled = true;
    }

    public boolean isCancelled() {
        return cancelled;
    }

    /** Where this handle was made, innermost frame first, when its loop was in debug mode; else null. */
    public StackTraceElement[] creationSite() {
        StackTraceElement[] site = loop.creationSiteOf(this);
        return site == null ? null : site.clone();
    }

    /** The creation site as lines to append to a report, or "" outside debug mode. */
    String creationReport() {
        return CreationSite.format("handle created at", loop.creationSiteOf(this));
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
