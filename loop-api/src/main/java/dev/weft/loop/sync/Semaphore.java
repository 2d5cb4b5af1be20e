package dev.weft.loop.sync;

import static dev.weft.loop.task.Tasks.await;

import dev.weft.loop.LoopFuture;
import java.util.ArrayDeque;
import java.util.concurrent.CancellationException;

/**
 * A counter of permits (asyncio's {@code Semaphore}): {@link #acquire()} takes one, waiting in FIFO
 * order while none is free; {@link #release()} gives one back and wakes the first waiter.
 *
 * <p>A waiter is woken with its permit already taken for it; if it is cancelled before it resumes,
 * the permit goes back and the next waiter is woken, so a cancellation never swallows a permit. A
 * newcomer never overtakes a waiter. Loop thread (task steps) only; {@link #acquire} inside a task.
 */
public class Semaphore extends LoopBound {
    private final ArrayDeque<LoopFuture<Void>> waiters = new ArrayDeque<>();
    private int value;

    public Semaphore(int permits) {
        if (permits < 0) {
            throw new IllegalArgumentException("initial permits must be >= 0: " + permits);
        }
        this.value = permits;
    }

    /** True when {@link #acquire()} would wait. */
    public boolean locked() {
        if (value == 0) {
            return true;
        }
        for (LoopFuture<Void> w : waiters) {
            if (!w.isCancelled()) {
                return true;
            }
        }
        return false;
    }

    /** Free permits. */
    public int available() {
        return value;
    }

    public void acquire() {
        if (!locked()) {
            value--;
            return;
        }
        LoopFuture<Void> w = newWaiter("Semaphore.acquire");
        waiters.add(w);
        try {
            try {
                await(w);
            } finally {
                waiters.remove(w);
            }
        } catch (CancellationException e) {
            if (w.isDone() && !w.isCancelled()) {
                // woken with a permit we will not use: give it back
                value++;
            }
            throw e;
        } finally {
            while (value > 0 && wakeUpNext()) {
                // newcomers that queued behind us while permits were free
            }
        }
    }

    /** Takes a permit if one is free and nobody waits; never suspends. */
    public boolean tryAcquire() {
        if (!locked()) {
            value--;
            return true;
        }
        return false;
    }

    public void release() {
        value++;
        wakeUpNext();
    }

    /** Wakes the first waiter not done, taking a permit for it. */
    private boolean wakeUpNext() {
        for (LoopFuture<Void> w : waiters) {
            if (!w.isDone()) {
                value--;
                w.setResult(null);
                return true;
            }
        }
        return false;
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[value=" + value + (waiters.isEmpty() ? "" : ", waiters=" + waiters.size()) + "]";
    }
}
