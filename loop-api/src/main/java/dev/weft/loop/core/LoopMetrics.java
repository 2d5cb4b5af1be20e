package dev.weft.loop.core;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The counters behind {@code EventLoop.stats()}: written by the loop thread only, at points the
 * loop passes anyway, and read from any thread.
 *
 * <p><b>Thread-safety.</b> Every published field is written with an opaque store by its one
 * writer (the loop thread) and read with an opaque load: a reader never sees a torn {@code long},
 * and sees each field's value from some recent moment, not necessarily the same moment for every
 * field. The one field with two writers, the largest lag since the last read, is raised by the loop
 * with a compare-and-set only when a larger lag arrives, and reset by the reader with
 * {@code getAndSet}.
 *
 * <p><b>Cost.</b> No allocation. Per iteration: a few plain additions and opaque stores (plain
 * moves on x86 and ARM). Per timer fired: one comparison.
 *
 * <p><b>Lag.</b> A timer due at {@code when} and moved to the ready queue by the timer phase at
 * {@code now} was late by {@code now - max(when, previous timer phase)}: a timer already due when
 * it was scheduled is late only by what the loop did since the previous timer phase. One lag per
 * timer phase that fired a timer: the largest of its timers.
 */
public final class LoopMetrics {
    private static final VarHandle ITERATIONS;
    private static final VarHandle CALLBACKS;
    private static final VarHandle IO_EVENTS;
    private static final VarHandle PENDING_TIMERS;
    private static final VarHandle LIVE_HANDLES;
    private static final VarHandle LAG_LAST;
    private static final VarHandle LAG_AVG;
    private static final VarHandle LAG_MAX;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            ITERATIONS = l.findVarHandle(LoopMetrics.class, "iterations", long.class);
            CALLBACKS = l.findVarHandle(LoopMetrics.class, "callbacksRun", long.class);
            IO_EVENTS = l.findVarHandle(LoopMetrics.class, "ioEvents", long.class);
            PENDING_TIMERS = l.findVarHandle(LoopMetrics.class, "pendingTimers", int.class);
            LIVE_HANDLES = l.findVarHandle(LoopMetrics.class, "liveHandles", int.class);
            LAG_LAST = l.findVarHandle(LoopMetrics.class, "lagLast", long.class);
            LAG_AVG = l.findVarHandle(LoopMetrics.class, "lagAvg", long.class);
            LAG_MAX = l.findVarHandle(LoopMetrics.class, "lagMax", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    // Published: opaque stores by the loop thread, opaque loads by readers.
    private long iterations;
    private long callbacksRun;
    private long ioEvents;
    private int pendingTimers;
    private int liveHandles;
    private long lagLast;
    private long lagAvg;
    private long lagMax;

    // Loop thread only.
    private long timerNow;
    private long previousTimerNow = Long.MIN_VALUE;
    private long phaseLag = -1;

    /** Loop thread: the timer phase starts with the clock at {@code now}. */
    public void timerPhaseStarted(long now) {
        timerNow = now;
        phaseLag = -1;
    }

    /** Loop thread: the timer phase fired a timer due at {@code deadline}. */
    public void timerFired(long deadline) {
        long late = Nanos.subtract(timerNow, Math.max(deadline, previousTimerNow));
        if (late > phaseLag) {
            phaseLag = late;
        }
    }

    /**
     * Loop thread: the timer phase ended; records its lag when it fired a timer.
     *
     * @return the phase's lag in nanoseconds, or -1 when it fired nothing
     */
    public long timerPhaseEnded() {
        previousTimerNow = timerNow;
        long lag = phaseLag;
        if (lag >= 0) {
            long avg = (long) LAG_AVG.getOpaque(this);
            LAG_LAST.setOpaque(this, lag);
            LAG_AVG.setOpaque(this, avg + (lag - avg) / 8);
            long max;
            while (lag > (max = (long) LAG_MAX.getOpaque(this)) && !LAG_MAX.compareAndSet(this, max, lag)) {
                Thread.onSpinWait();
            }
        }
        return lag;
    }

    /** Loop thread: one iteration ended, having dispatched {@code io} I/O events and run {@code callbacks}. */
    public void iterationEnded(int io, int callbacks, int timers, int live) {
        ITERATIONS.setOpaque(this, iterations + 1);
        if (callbacks != 0) {
            CALLBACKS.setOpaque(this, callbacksRun + callbacks);
        }
        if (io != 0) {
            IO_EVENTS.setOpaque(this, ioEvents + io);
        }
        PENDING_TIMERS.setOpaque(this, timers);
        LIVE_HANDLES.setOpaque(this, live);
    }

    public long iterations() {
        return (long) ITERATIONS.getOpaque(this);
    }

    public long callbacksRun() {
        return (long) CALLBACKS.getOpaque(this);
    }

    public long ioEvents() {
        return (long) IO_EVENTS.getOpaque(this);
    }

    public int pendingTimers() {
        return (int) PENDING_TIMERS.getOpaque(this);
    }

    public int liveHandles() {
        return (int) LIVE_HANDLES.getOpaque(this);
    }

    public long lagLast() {
        return (long) LAG_LAST.getOpaque(this);
    }

    public long lagAvg() {
        return (long) LAG_AVG.getOpaque(this);
    }

    /** The largest lag since the previous call, which resets it to 0. Any thread. */
    public long takeLagMax() {
        return (long) LAG_MAX.getAndSet(this, 0L);
    }
}
