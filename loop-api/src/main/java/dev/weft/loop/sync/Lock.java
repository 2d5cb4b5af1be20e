package dev.weft.loop.sync;

import static dev.weft.loop.task.Tasks.await;

import dev.weft.loop.task.Coroutine;
import dev.weft.loop.LoopFuture;
import java.util.ArrayDeque;
import java.util.concurrent.CancellationException;

/**
 * A mutual-exclusion lock between the tasks of one loop (asyncio's {@code Lock}). Not reentrant,
 * not owned: any task may release it.
 *
 * <p><b>Fair:</b> waiters get the lock in the order they asked; a task that finds the lock free
 * while others wait queues behind them. A waiter cancelled after it was chosen passes the lock on,
 * so a cancellation never loses a wake-up. Loop thread (task steps) only; {@link #acquire} inside a task.
 */
public final class Lock extends LoopBound {
    private final ArrayDeque<LoopFuture<Void>> waiters = new ArrayDeque<>();
    private boolean locked;

    /** Takes the lock, waiting in FIFO order while it is held. */
    public void acquire() {
        if (!locked && noLiveWaiter()) {
            locked = true;
            return;
        }
        LoopFuture<Void> w = newWaiter("Lock.acquire");
        waiters.add(w);
        try {
            try {
                await(w);
            } finally {
                waiters.remove(w);
            }
        } catch (CancellationException e) {
            if (!locked) {
                wakeUpFirst();
            }
            throw e;
        }
        locked = true;
    }

    /** Takes the lock if it is free and nobody waits; never suspends. */
    public boolean tryAcquire() {
        if (!locked && noLiveWaiter()) {
            locked = true;
            return true;
        }
        return false;
    }

    /** Releases the lock and wakes the first waiter. Fails if it is not held. */
    public void release() {
        if (!locked) {
            throw new IllegalStateException("Lock is not acquired");
        }
        locked = false;
        wakeUpFirst();
    }

    public boolean locked() {
        return locked;
    }

    /** Runs {@code body} holding the lock; releases it however the body ends. */
    public <T> T withLock(Coroutine<T> body) throws Exception {
        acquire();
        try {
            return body.run();
        } finally {
            release();
        }
    }

    int waiting() {
        return waiters.size();
    }

    private boolean noLiveWaiter() {
        for (LoopFuture<Void> w : waiters) {
            if (!w.isCancelled()) {
                return false;
            }
        }
        return true;
    }

    private void wakeUpFirst() {
        LoopFuture<Void> first = waiters.peekFirst();
        if (first != null && !first.isDone()) {
            first.setResult(null);
        }
    }

    @Override
    public String toString() {
        return "Lock[" + (locked ? "locked" : "unlocked") + (waiters.isEmpty() ? "" : ", waiters=" + waiters.size()) + "]";
    }
}
