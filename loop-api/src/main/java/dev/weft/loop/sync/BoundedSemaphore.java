package dev.weft.loop.sync;

/**
 * A {@link Semaphore} that fails when released more often than acquired.
 *
 * <p>Loop thread (task steps) only, as {@link Semaphore}.
 */
public final class BoundedSemaphore extends Semaphore {
    private final int bound;

    public BoundedSemaphore(int permits) {
        super(permits);
        this.bound = permits;
    }

    /** Gives a permit back; fails with {@link IllegalStateException} above the initial count. */
    @Override
    public void release() {
        if (available() >= bound) {
            throw new IllegalStateException("BoundedSemaphore released too many times (bound " + bound + ")");
        }
        super.release();
    }
}
