package dev.weft.loop.sync;


import dev.weft.loop.LoopFuture;
import java.util.ArrayDeque;

/**
 * A flag tasks can wait for (asyncio's {@code Event}): {@link #set()} wakes every waiter,
 * {@link #clear()} resets it. Loop thread (task steps) only; {@link #await()} inside a task.
 */
public final class Event extends LoopBound {
    private final ArrayDeque<LoopFuture<Void>> waiters = new ArrayDeque<>();
    private boolean value;

    public boolean isSet() {
        return value;
    }

    /** Sets the flag and wakes all waiters; idempotent. */
    public void set() {
        if (!value) {
            value = true;
            for (LoopFuture<Void> w : waiters) {
                if (!w.isDone()) {
                    w.setResult(null);
                }
            }
        }
    }

    public void clear() {
        value = false;
    }

    /** Returns at once if the flag is set, else waits until it is. */
    public void await() {
        if (value) {
            return;
        }
        LoopFuture<Void> w = newWaiter("Event.await");
        waiters.add(w);
        try {
            dev.weft.loop.task.Tasks.await(w);
        } finally {
            waiters.remove(w);
        }
    }

    @Override
    public String toString() {
        return "Event[" + (value ? "set" : "unset") + (waiters.isEmpty() ? "" : ", waiters=" + waiters.size()) + "]";
    }
}
