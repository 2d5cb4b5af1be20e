package dev.weft.loop;

import java.time.Duration;

/**
 * A snapshot of one loop's counters and gauges, from {@link EventLoop#stats()}. Immutable.
 *
 * <p>The counters ({@code iterations}, {@code callbacksRun}, {@code ioEvents}) only grow, from
 * the loop's creation; a dashboard plots their difference between two reads. The gauges
 * ({@code pendingTimers}, {@code liveHandles}) are as of the end of the loop's last iteration (the
 * loop changes them only inside an iteration); {@code inboxDepth} is counted when the snapshot is
 * taken.
 *
 * <p><b>Lag</b> is how late timers fired: for each timer, the time from its deadline (or, for a
 * timer that was already due when it was scheduled, from the previous timer phase) to the timer
 * phase that moved it to the ready queue. One figure per timer phase that fired anything: the
 * latest of the timers it fired. A loop with no timers reports no lag.
 *
 * @param iterations     iterations of {@link EventLoop#runOnce()} run (each {@code runForever}
 *                       round is one)
 * @param callbacksRun   callbacks of the ready queue run (timers, {@code callSoon}, future
 *                       callbacks, task steps); I/O dispatched inside the poll is not counted here
 * @param ioEvents       what the backend's poll reported as dispatched (readiness events or
 *                       completions)
 * @param pendingTimers  timers scheduled and neither fired nor cancelled
 * @param inboxDepth     items other threads queued that the loop has not taken yet
 * @param liveHandles    servers, transports, connects in progress, watched descriptors and child
 *                       processes not finished
 * @param lagLastNanos   lag of the last timer phase that fired a timer, in nanoseconds
 * @param lagMaxNanos    the largest lag since the previous {@code stats()} call on this loop (from
 *                       any thread: with several readers, each sees the largest since whichever
 *                       read came last); 0 when no timer fired since
 * @param lagAvgNanos    exponentially weighted moving average of the lag, weight 1/8 per timer
 *                       phase that fired a timer (as TCP's smoothed round-trip time)
 */
public record LoopStats(long iterations, long callbacksRun, long ioEvents, int pendingTimers, int inboxDepth,
                        int liveHandles, long lagLastNanos, long lagMaxNanos, long lagAvgNanos) {

    /** {@link #lagLastNanos()} as a {@link Duration}. */
    public Duration lagLast() {
        return Duration.ofNanos(lagLastNanos);
    }

    /** {@link #lagMaxNanos()} as a {@link Duration}. */
    public Duration lagMax() {
        return Duration.ofNanos(lagMaxNanos);
    }

    /** {@link #lagAvgNanos()} as a {@link Duration}. */
    public Duration lagAvg() {
        return Duration.ofNanos(lagAvgNanos);
    }
}
