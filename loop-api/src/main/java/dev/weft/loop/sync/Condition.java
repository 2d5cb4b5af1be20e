package dev.weft.loop.sync;


import dev.weft.loop.LoopFuture;
import dev.weft.loop.task.Tasks;
import java.util.ArrayDeque;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.function.BooleanSupplier;

/**
 * A condition variable over a {@link Lock} (asyncio's {@code Condition}). {@link #await()} releases
 * the lock, waits for {@link #notify(int)} / {@link #notifyAll()}, and takes the lock back before it
 * returns or throws, even when cancelled. A waiter that was notified but ends with an exception
 * (cancelled while taking the lock back) passes its wake-up to the next waiter, so no notification
 * is lost. Loop thread (task steps) only; the waits inside a task.
 */
public final class Condition extends LoopBound {
    private final Lock lock;
    private final ArrayDeque<LoopFuture<Void>> waiters = new ArrayDeque<>();

    public Condition() {
        this(new Lock());
    }

    public Condition(Lock lock) {
        this.lock = Objects.requireNonNull(lock, "lock");
    }

    public Lock lock() {
        return lock;
    }

    public void acquire() {
        lock.acquire();
    }

    public void release() {
        lock.release();
    }

    public boolean locked() {
        return lock.locked();
    }

    /** Releases the lock, waits to be notified, takes the lock back. The lock must be held. */
    public void await() {
        if (!lock.locked()) {
            throw new IllegalStateException("cannot wait on an un-acquired lock");
        }
        LoopFuture<Void> w = newWaiter("Condition.await");
        lock.release();
        boolean notified = false;
        try {
            try {
                waiters.add(w);
                try {
                    Tasks.await(w);
                    notified = true;
                } finally {
                    waiters.remove(w);
                    notified = w.isDone() && !w.isCancelled();
                }
            } finally {
                reacquire();
            }
        } catch (RuntimeException | Error e) {
            if (notified) {
                notify(1);
            }
            throw e;
        }
    }

    private void reacquire() {
        CancellationException cancelled = null;
        while (true) {
            try {
                lock.acquire();
                break;
            } catch (CancellationException e) {
                cancelled = e;
            }
        }
        if (cancelled != null) {
            throw cancelled;
        }
    }

    /** Waits until {@code predicate} is true, checking it after each wake-up. The lock must be held. */
    public void waitFor(BooleanSupplier predicate) {
        while (!predicate.getAsBoolean()) {
            await();
        }
    }

    /** Wakes up to {@code n} waiters. The lock must be held. */
    public void notify(int n) {
        if (!lock.locked()) {
            throw new IllegalStateException("cannot notify on an un-acquired lock");
        }
        int woken = 0;
        for (LoopFuture<Void> w : waiters) {
            if (woken >= n) {
                break;
            }
            if (!w.isDone()) {
                woken++;
                w.setResult(null);
            }
        }
    }

    /** Wakes every waiter. The lock must be held. */
    public void notifyAllWaiters() {
        notify(waiters.size());
    }

    @Override
    public String toString() {
        return "Condition[" + lock + (waiters.isEmpty() ? "" : ", waiters=" + waiters.size()) + "]";
    }
}
