package dev.weft.loop.core;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayDeque;
import java.util.Objects;

/**
 * A many-producer, single-consumer FIFO queue of objects: the loop's inbox from other threads.
 *
 * <p><b>Algorithm.</b> A power-of-two ring of slots. A producer claims the next sequence number with
 * one CAS on {@code tail} and then stores its element into that slot; the consumer takes slots in
 * sequence order, so the order of claims is the order of delivery. When the ring is full, the
 * producer that finds it so sets an overflow bit in {@code tail} with a CAS (so no producer can
 * claim a slot after it) and appends to an overflow list under a lock; while the bit is set every
 * producer appends there. The consumer takes the ring up to the sequence where the bit was set,
 * then the overflow list, and clears the bit (under the same lock) once that list is empty. Nothing
 * is dropped and the order stays one total order: every element that entered the ring before the
 * bit was set leaves before every element of the overflow list, which leaves before every element
 * that enters the ring after the bit is cleared.
 *
 * <p><b>Storage.</b> The ring is allocated once; an offer that finds room allocates nothing. The
 * overflow list is an {@link ArrayDeque} that keeps its size once grown.
 *
 * <p><b>Progress.</b> {@link #offer} is lock-free while the ring has room; the overflow path takes a
 * lock. A producer stopped between its claim and its store holds back the consumer, which then sees
 * a null slot and {@link #poll} returns null while {@link #isEmpty} returns false.
 *
 * <p><b>Threads.</b> {@link #offer} from any thread; {@link #poll} and {@link #isEmpty} from the
 * one consumer thread only. {@link #offer} and {@link #isEmpty} are sequentially consistent with
 * each other (a volatile write of {@code tail}, a volatile read of it), which the loop's wake-up
 * protocol relies on.
 */
public final class Inbox extends InboxTail {
    private static final VarHandle SLOTS = MethodHandles.arrayElementVarHandle(Object[].class);
    private static final long OVERFLOW = Long.MIN_VALUE;

    private final Object[] slots;
    private final int mask;
    private final int capacity;
    private final Object lock = new Object();
    /** Elements offered while the overflow bit is set, in offer order. Guarded by {@link #lock}. */
    private final ArrayDeque<Object> overflow = new ArrayDeque<>();

    /** A queue whose ring holds {@code capacity} elements (a power of two, at least 2). */
    public Inbox(int capacity) {
        if (capacity < 2 || Integer.bitCount(capacity) != 1) {
            throw new IllegalArgumentException("capacity must be a power of two >= 2: " + capacity);
        }
        this.capacity = capacity;
        this.mask = capacity - 1;
        this.slots = new Object[capacity];
        producerLimit = capacity;
    }

    /** The ring's size. */
    public int capacity() {
        return capacity;
    }

    /** Appends {@code e}; never fails for want of room. Thread-safe. */
    public void offer(Object e) {
        Objects.requireNonNull(e, "e");
        for (;;) {
            long t = (long) TAIL.getVolatile(this);
            if (t < 0) {
                if (offerOverflow(e)) {
                    return;
                }
                continue;
            }
            if (t >= (long) LIMIT.getAcquire(this)) {
                long limit = (long) HEAD.getVolatile(this) + capacity;
                if (t >= limit) {
                    if (enterOverflow(t, e)) {
                        return;
                    }
                    continue;
                }
                LIMIT.setRelease(this, limit);
            }
            if (TAIL.compareAndSet(this, t, t + 1)) {
                SLOTS.setRelease(slots, (int) t & mask, e);
                return;
            }
        }
    }

    private boolean enterOverflow(long t, Object e) {
        synchronized (lock) {
            if (TAIL.compareAndSet(this, t, t | OVERFLOW)) {
                overflow.addLast(e);
                return true;
            }
        }
        return false;
    }

    private boolean offerOverflow(Object e) {
        synchronized (lock) {
            if ((long) TAIL.getVolatile(this) < 0) {
                overflow.addLast(e);
                return true;
            }
        }
        return false;
    }

    /**
     * The next element, or null when there is none or the next one's producer has claimed its slot
     * but not stored into it yet. Consumer thread only.
     */
    public Object poll() {
        long h = head;
        int i = (int) h & mask;
        Object e = SLOTS.getAcquire(slots, i);
        if (e != null) {
            slots[i] = null;
            HEAD.setRelease(this, h + 1);
            return e;
        }
        long t = (long) TAIL.getVolatile(this);
        if (t < 0 && (t & ~OVERFLOW) == h) {
            synchronized (lock) {
                Object o = overflow.pollFirst();
                if (overflow.isEmpty()) {
                    // Only the consumer changes tail while the bit is set.
                    TAIL.setVolatile(this, h);
                }
                return o;
            }
        }
        return null;
    }

    /** Whether nothing is queued, claimed or in overflow. Consumer thread only. */
    public boolean isEmpty() {
        return (long) TAIL.getVolatile(this) == head;
    }

    /**
     * About how many elements wait: the ring's claimed slots plus the overflow list. Any thread; a
     * racy snapshot for statistics (it takes the overflow lock only while the overflow path is in use).
     */
    public int size() {
        long h = head;
        long t = (long) TAIL.getVolatile(this);
        long ring = Math.max(0, (t & ~OVERFLOW) - h);
        if (t >= 0) {
            return (int) Math.min(Integer.MAX_VALUE, ring);
        }
        synchronized (lock) {
            return (int) Math.min(Integer.MAX_VALUE, ring + overflow.size());
        }
    }

    /** Whether the overflow path is in use now (for tests). */
    public boolean isOverflowing() {
        return (long) TAIL.getVolatile(this) < 0;
    }
}

/** Field layout: the consumer's index and the producers' index on separate cache lines. */
abstract class InboxPadHead {
    long p01, p02, p03, p04, p05, p06, p07, p08;
}

abstract class InboxHead extends InboxPadHead {
    /** The next sequence the consumer takes. Written by the consumer only. */
    volatile long head;
}

abstract class InboxPadTail extends InboxHead {
    long p11, p12, p13, p14, p15, p16, p17, p18;
}

abstract class InboxTail extends InboxPadTail {
    static final VarHandle HEAD;
    static final VarHandle TAIL;
    static final VarHandle LIMIT;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            HEAD = l.findVarHandle(InboxHead.class, "head", long.class);
            TAIL = l.findVarHandle(InboxTail.class, "tail", long.class);
            LIMIT = l.findVarHandle(InboxTail.class, "producerLimit", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** The next sequence a producer claims; the sign bit marks the overflow path. */
    volatile long tail;
    /** A bound below which the ring certainly has room: a past head plus the capacity. */
    volatile long producerLimit;
    long p21, p22, p23, p24, p25, p26, p27, p28;
}
