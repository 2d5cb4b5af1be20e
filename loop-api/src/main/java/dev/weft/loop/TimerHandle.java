package dev.weft.loop;

import dev.weft.loop.core.TimerWheel;

/**
 * A callback scheduled for a time on the loop's clock by {@link EventLoop#callLater} or
 * {@link EventLoop#callAt}. It never runs before {@link #when()}. {@link #cancel()} may be called
 * from any thread: on the loop thread the timer leaves the wheel at once (O(1)); from another thread
 * the removal goes through the loop's inbox.
 */
public final class TimerHandle extends Handle {
    final long when;
    long timerId = TimerWheel.NULL_TIMER;

    TimerHandle(EventLoop loop, long when, Runnable callback) {
        super(loop, callback);
        this.when = when;
    }

    /** The deadline, in nanoseconds of the loop's clock ({@link EventLoop#time()}). */
    public long when() {
        return when;
    }

    @Override
    public void cancel() {
        if (cancelled) {
            return;
        }
        cancelled = true;
        loop.timerCancelled(this);
    }

    @Override
    public String toString() {
        return "TimerHandle[when=" + when + ", " + callback + (cancelled ? ", cancelled" : "") + "]";
    }
}
