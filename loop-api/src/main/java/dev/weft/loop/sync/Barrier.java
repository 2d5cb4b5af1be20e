package dev.weft.loop.sync;

import java.util.concurrent.BrokenBarrierException;

/**
 * A barrier for a fixed number of tasks (asyncio 3.11's {@code Barrier}): each {@link #await()}
 * waits until {@code parties} tasks are waiting, then all go on together and the barrier fills
 * again. {@link #abort()} breaks it: current and later waiters fail with
 * {@link BrokenBarrierException}; {@link #reset()} fails the current waiters and makes it usable
 * again. A waiter cancelled while the barrier fills leaves it, and the barrier waits for another.
 * Loop thread (task steps) only; {@code await}, {@code reset} and {@code abort} inside a task.
 */
public final class Barrier {
    private enum State { FILLING, DRAINING, RESETTING, BROKEN }

    private final Condition cond = new Condition();
    private final int parties;
    private State state = State.FILLING;
    private int count;

    public Barrier(int parties) {
        if (parties < 1) {
            throw new IllegalArgumentException("parties must be >= 1: " + parties);
        }
        this.parties = parties;
    }

    /**
     * Waits for the others and returns this task's arrival index (0 to parties - 1). Fails with
     * {@link BrokenBarrierException} if the barrier is or gets broken or reset.
     */
    public int await() throws BrokenBarrierException {
        cond.acquire();
        try {
            // wait while the previous cycle drains or resets
            cond.waitFor(() -> state != State.DRAINING && state != State.RESETTING);
            if (state == State.BROKEN) {
                throw new BrokenBarrierException("barrier aborted");
            }
            int index = count++;
            try {
                if (index + 1 == parties) {
                    state = State.DRAINING;
                    cond.notifyAllWaiters();
                } else {
                    cond.waitFor(() -> state != State.FILLING);
                    if (state == State.BROKEN || state == State.RESETTING) {
                        throw new BrokenBarrierException("barrier aborted or reset");
                    }
                }
                return index;
            } finally {
                count--;
                leave();
            }
        } finally {
            cond.release();
        }
    }

    private void leave() {
        if (count == 0) {
            if (state == State.RESETTING || state == State.DRAINING) {
                state = State.FILLING;
            }
            cond.notifyAllWaiters();
        }
    }

    /** Fails the current waiters with {@link BrokenBarrierException} and makes the barrier usable again. */
    public void reset() {
        cond.acquire();
        try {
            if (count > 0) {
                state = State.RESETTING;
            } else {
                state = State.FILLING;
            }
            cond.notifyAllWaiters();
        } finally {
            cond.release();
        }
    }

    /** Breaks the barrier: current and later waiters fail until {@link #reset()}. */
    public void abort() {
        cond.acquire();
        try {
            state = State.BROKEN;
            cond.notifyAllWaiters();
        } finally {
            cond.release();
        }
    }

    public int parties() {
        return parties;
    }

    /** Tasks waiting now while the barrier fills. */
    public int nWaiting() {
        return state == State.FILLING ? count : 0;
    }

    public boolean broken() {
        return state == State.BROKEN;
    }

    @Override
    public String toString() {
        return "Barrier[" + state.name().toLowerCase(java.util.Locale.ROOT) + ", waiters=" + count + "/" + parties + "]";
    }
}
