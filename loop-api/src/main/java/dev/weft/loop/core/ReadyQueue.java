package dev.weft.loop.core;

/**
 * The loop's FIFO of ready items: a growable power-of-two ring, used by the loop thread alone.
 *
 * <p>Its indices change with every item pushed or run, so they sit on cache lines of their own:
 * other threads read the loop's fields (its inbox, its thread, whether it is closed) on every
 * cross-thread call, and a ready index next to those would make each such read miss.
 *
 * <p><b>Threads.</b> Loop thread only; not thread-safe.
 */
public final class ReadyQueue extends ReadyQueueFields {
    long q01, q02, q03, q04, q05, q06, q07, q08;

    /** An empty queue with room for {@code capacity} items (a power of two) before it grows. */
    public ReadyQueue(int capacity) {
        if (capacity < 2 || Integer.bitCount(capacity) != 1) {
            throw new IllegalArgumentException("capacity must be a power of two >= 2: " + capacity);
        }
        items = new Object[capacity];
    }

    /** Appends {@code item} (not null); grows when full, so never refuses. */
    public void push(Object item) {
        Object[] q = items;
        q[tail] = item;
        tail = (tail + 1) & (q.length - 1);
        if (tail == head) {
            grow();
        }
    }

    /** The oldest item, removed; null when empty. */
    public Object poll() {
        if (head == tail) {
            return null;
        }
        Object[] q = items;
        Object o = q[head];
        q[head] = null;
        head = (head + 1) & (q.length - 1);
        return o;
    }

    /** How many items wait. */
    public int size() {
        return (tail - head) & (items.length - 1);
    }

    /** Whether none waits. */
    public boolean isEmpty() {
        return head == tail;
    }

    /** Drops every item. */
    public void clear() {
        while (poll() != null) {
            // dropped
        }
    }

    private void grow() {
        Object[] old = items;
        Object[] q = new Object[old.length << 1];
        int n = old.length - head;
        System.arraycopy(old, head, q, 0, n);
        System.arraycopy(old, 0, q, n, head);
        head = 0;
        tail = old.length;
        items = q;
    }
}

abstract class ReadyQueuePad {
    long p01, p02, p03, p04, p05, p06, p07, p08;
}

abstract class ReadyQueueFields extends ReadyQueuePad {
    Object[] items;
    int head;
    int tail;
}
