package dev.weft.loop.core;

/**
 * A callback the loop made around the caller's (a future's done callback): reports name the
 * caller's.
 */
public interface CallbackWrapper {
    /** The caller's callback inside this one. */
    Object wrapped();
}
