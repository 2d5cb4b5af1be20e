package dev.weft.loop.core;

import java.util.Arrays;

/**
 * Hierarchical timer wheel that keeps the loop's delayed calls: {@code long} ids, no allocation
 * after warm-up, never fires a timer before its deadline.
 *
 * <p><b>Algorithm.</b> Time is cut into ticks of {@code tickNanos} counted from {@code startNanos};
 * a timer's tick is {@code floor((deadline - startNanos) / tickNanos)}. The wheel has
 * {@value #LEVELS} levels of {@value #SLOTS} slots; level {@code L} slot {@code d} holds the timers
 * whose tick agrees with the wheel's current tick ({@code elapsed}) on every base-64 digit above
 * {@code L} and has digit {@code d} at {@code L} (the Tokio layout: the level is the highest
 * digit in which a timer's tick and {@code elapsed} differ). One 64-bit occupancy mask per level
 * finds the next non-empty slot with one {@code numberOfTrailingZeros}, so empty ticks cost nothing
 * and a poll after hours of silence visits only occupied slots. When the wheel reaches a slot of
 * level {@code L > 0} its timers cascade to lower levels; when it reaches a level-0 slot its timers
 * move to a small binary heap ordered by (deadline, schedule sequence), from which {@link #poll}
 * fires every timer whose deadline is {@code <= nowNanos}. Ticks further away than the top level's
 * range ({@code 64^6} ticks, about 795 days at 1 ms) wait in an overflow list that is re-examined
 * each time the wheel's current tick enters a new top-level rotation. A timer whose tick the wheel
 * has already passed (a deadline in the past) goes straight to the heap.
 *
 * <p><b>Storage.</b> Timers live in parallel primitive arrays indexed by slot (deadline, sequence,
 * generation, next and previous links, location) plus one {@code Object[]} of payloads; free slots
 * form a list. An id is {@code generation << 32 | slot}; the generation changes each time a slot is
 * released, so a stale id never matches the timer that reuses its slot (a generation wraps after
 * 2^31 reuses of the same slot). Arrays double when full; nothing else allocates.
 *
 * <p><b>Complexity.</b> {@link #schedule} and {@link #cancel} are O(1) (amortised over array
 * growth), except that a timer scheduled for a tick the wheel has already reached joins the heap
 * in O(log k), k being the number of timers in the heap (those of the current tick and those left
 * over by a poll's limit). A cancelled timer that already sits in the heap is only marked, and its
 * slot is reclaimed when it reaches the top. {@link #poll} costs O(1) per occupied slot it passes,
 * each timer cascades at most {@value #LEVELS} times, and firing costs O(log k) per timer.
 * {@link #earliestDeadline} is O(1) except after the minimum of the first occupied slot above level
 * 0 (or of the overflow list) was cancelled: the next call then scans that one slot.
 *
 * <p><b>Ordering.</b> A poll fires timers in order of deadline, then of schedule order (FIFO among
 * equal deadlines), whichever slots they came from and however far time jumped. A timer never
 * fires before its deadline. A timer scheduled by the handler during a poll does not fire in that
 * poll, even if it is due; it fires in a later one.
 *
 * <p><b>Thread-safety and ownership.</b> Not thread-safe and not synchronised: one thread, the
 * loop thread, owns the wheel and makes every call, including those from the {@link Handler}.
 * Other threads hand timers to the loop through its inbox. The wheel keeps a reference to each
 * payload until the timer fires or is cancelled, and drops it then. {@link #poll} is not reentrant.
 */
public final class TimerWheel {
    /** An id no timer ever has; callers use it for "no timer". */
    public static final long NULL_TIMER = -1L;

    static final int LEVELS = 6;
    static final int SLOTS = 64;
    private static final int SLOT_BITS = 6;
    private static final int WHEEL_BUCKETS = LEVELS * SLOTS;
    private static final int OVERFLOW = WHEEL_BUCKETS;
    private static final int PENDING = WHEEL_BUCKETS + 1;
    private static final int BUCKETS = WHEEL_BUCKETS + 2;

    // Locations besides bucket numbers.
    private static final int IN_HEAP = -1;
    private static final int CANCELLED_IN_HEAP = -2;
    private static final int FREE = -3;

    private static final int NIL = -1;
    private static final int INITIAL_CAPACITY = 128;
    private static final int GENERATION_MASK = 0x7FFF_FFFF;

    private final long tickNanos;
    private final long startNanos;

    /** The wheel's current tick: every slot before it has been emptied. */
    private long elapsed;
    private long nextSeq;
    private int size;
    private boolean polling;
    private boolean firing;

    private long[] deadline;
    private long[] seq;
    private int[] generation;
    private int[] next;
    private int[] prev;
    private int[] location;
    private Object[] payload;
    private int freeHead = NIL;

    private final int[] bucketHead = new int[BUCKETS];
    private final long[] bucketMin = new long[BUCKETS];
    private final boolean[] bucketMinValid = new boolean[BUCKETS];
    private final long[] occupied = new long[LEVELS];

    private int[] heap;
    private int heapSize;

    /**
     * @param tickNanos  resolution of the wheel (the loop uses 1 ms = 1_000_000), positive.
     * @param startNanos the clock's value now; tick 0 starts there.
     */
    public TimerWheel(final long tickNanos, final long startNanos) {
        if (tickNanos <= 0) {
            throw new IllegalArgumentException("tickNanos must be positive: " + tickNanos);
        }
        this.tickNanos = tickNanos;
        this.startNanos = startNanos;
        Arrays.fill(bucketHead, NIL);
        deadline = new long[0];
        seq = new long[0];
        generation = new int[0];
        next = new int[0];
        prev = new int[0];
        location = new int[0];
        payload = new Object[0];
        heap = new int[0];
        grow(INITIAL_CAPACITY);
    }

    /**
     * Schedules a timer. A deadline in the past fires at the next poll.
     *
     * @return the timer's id, {@code >= 0}.
     */
    public long schedule(final long deadlineNanos, final Object payload) {
        if (freeHead == NIL) {
            grow(deadline.length * 2);
        }
        final int slot = freeHead;
        freeHead = next[slot];
        deadline[slot] = deadlineNanos;
        seq[slot] = nextSeq++;
        this.payload[slot] = payload;
        size++;
        final long when = tickOf(deadlineNanos);
        if (when >= elapsed) {
            insertInWheel(slot, when);
        } else if (firing) {
            link(PENDING, slot);
        } else {
            heapPush(slot);
        }
        return ((long)generation[slot] << 32) | slot;
    }

    /**
     * Cancels a pending timer in O(1).
     *
     * @return true if it was pending; false if the id is unknown, or the timer already fired or was
     *         already cancelled.
     */
    public boolean cancel(final long timerId) {
        final int slot = liveSlot(timerId);
        if (slot == NIL) {
            return false;
        }
        final int where = location[slot];
        size--;
        if (where == IN_HEAP) {
            // Left in the heap, reclaimed when it reaches the top; the id is stale from now on.
            location[slot] = CANCELLED_IN_HEAP;
            generation[slot] = (generation[slot] + 1) & GENERATION_MASK;
            payload[slot] = null;
        } else {
            unlink(where, slot);
            release(slot);
        }
        return true;
    }

    /**
     * Fires, via {@code handler.onTimer(id, payload)}, every timer with a deadline {@code <= nowNanos},
     * at most {@code limit} of them, in order of deadline then schedule order. Timers the handler
     * schedules do not fire in this poll. A timer is removed before its handler runs; if the handler
     * throws, the exception propagates and the remaining timers stay pending.
     *
     * @return the number of timers fired.
     */
    public int poll(final long nowNanos, final Handler handler, final int limit) {
        if (polling) {
            throw new IllegalStateException("poll is not reentrant");
        }
        polling = true;
        int fired = 0;
        try {
            advance(tickOf(nowNanos));
            firing = true;
            while (fired < limit && heapSize > 0) {
                final int slot = heap[0];
                if (location[slot] == CANCELLED_IN_HEAP) {
                    heapPop();
                    free(slot);
                    continue;
                }
                if (deadline[slot] > nowNanos) {
                    break;
                }
                heapPop();
                final long id = ((long)generation[slot] << 32) | slot;
                final Object p = payload[slot];
                size--;
                release(slot);
                fired++;
                handler.onTimer(id, p);
            }
        } finally {
            firing = false;
            polling = false;
            drainPending();
        }
        return fired;
    }

    /**
     * The earliest pending deadline, or {@link Long#MAX_VALUE} when no timer is pending. It may be
     * less than one tick earlier than the true earliest deadline (the start of its tick), never
     * later.
     */
    public long earliestDeadline() {
        while (heapSize > 0 && location[heap[0]] == CANCELLED_IN_HEAP) {
            free(heapPop());
        }
        long earliest = heapSize > 0 ? deadline[heap[0]] : Long.MAX_VALUE;
        if (bucketHead[PENDING] != NIL) {
            earliest = Math.min(earliest, minOf(PENDING));
        }
        final int bucket = nextBucket();
        if (bucket >= 0) {
            final long bound = bucket < SLOTS ? startNanos + slotStart(bucket) * tickNanos : minOf(bucket);
            earliest = Math.min(earliest, bound);
        } else if (bucketHead[OVERFLOW] != NIL) {
            earliest = Math.min(earliest, minOf(OVERFLOW));
        }
        return earliest;
    }

    /** Number of pending timers. */
    public int size() {
        return size;
    }

    /** Deadline of a pending timer, or {@link Long#MIN_VALUE} if it is not pending. */
    public long deadline(final long timerId) {
        final int slot = liveSlot(timerId);
        return slot == NIL ? Long.MIN_VALUE : deadline[slot];
    }

    /** Payload of a pending timer, or null if it is not pending. */
    public Object payload(final long timerId) {
        final int slot = liveSlot(timerId);
        return slot == NIL ? null : payload[slot];
    }

    /** Called by {@link #poll} for each timer that fires. */
    @FunctionalInterface
    public interface Handler {
        void onTimer(long timerId, Object payload);
    }

    // ---------------------------------------------------------------------------------------------

    private int liveSlot(final long timerId) {
        if (timerId < 0) {
            return NIL;
        }
        final long slotBits = timerId & 0xFFFF_FFFFL;
        if (slotBits >= deadline.length) {
            return NIL;
        }
        final int slot = (int)slotBits;
        final int where = location[slot];
        if (where == FREE || where == CANCELLED_IN_HEAP || generation[slot] != (int)(timerId >>> 32)) {
            return NIL;
        }
        return slot;
    }

    /** Tick of a time: -1 before {@code startNanos}, saturated when the difference overflows. */
    private long tickOf(final long nanos) {
        if (nanos < startNanos) {
            return -1;
        }
        long rel = nanos - startNanos;
        if (rel < 0) {
            rel = Long.MAX_VALUE;
        }
        return rel / tickNanos;
    }

    /** Moves the wheel to {@code nowTick}, sending every timer whose tick it reaches to the heap. */
    private void advance(final long nowTick) {
        if (nowTick < elapsed) {
            return;
        }
        int bucket;
        while ((bucket = nextBucket()) >= 0) {
            final long start = slotStart(bucket);
            if (start > nowTick) {
                break;
            }
            elapsed = start;
            int slot = bucketHead[bucket];
            bucketHead[bucket] = NIL;
            bucketMinValid[bucket] = false;
            occupied[bucket >> SLOT_BITS] &= ~(1L << (bucket & (SLOTS - 1)));
            final boolean levelZero = bucket < SLOTS;
            while (slot != NIL) {
                final int following = next[slot];
                if (levelZero) {
                    heapPush(slot);
                } else {
                    insertInWheel(slot, tickOf(deadline[slot]));
                }
                slot = following;
            }
        }
        final long previous = elapsed;
        elapsed = nowTick;
        if ((previous >>> (SLOT_BITS * LEVELS)) != (nowTick >>> (SLOT_BITS * LEVELS))) {
            // A new top-level rotation: overflow timers may now be in range, or due.
            int slot = bucketHead[OVERFLOW];
            bucketHead[OVERFLOW] = NIL;
            bucketMinValid[OVERFLOW] = false;
            while (slot != NIL) {
                final int following = next[slot];
                final long when = tickOf(deadline[slot]);
                if (when <= elapsed) {
                    // The wheel has reached this tick: due now, like a level-0 slot it passed.
                    heapPush(slot);
                } else {
                    insertInWheel(slot, when);
                }
                slot = following;
            }
        }
    }

    /** The first occupied wheel bucket (level * 64 + digit), lowest level first, or -1. */
    private int nextBucket() {
        final long[] occupied = this.occupied;
        for (int level = 0; level < LEVELS; level++) {
            final long mask = occupied[level];
            if (mask != 0) {
                return (level << SLOT_BITS) + Long.numberOfTrailingZeros(mask);
            }
        }
        return -1;
    }

    /** First tick covered by a wheel bucket, given the current {@code elapsed}. */
    private long slotStart(final int bucket) {
        final int shift = (bucket >> SLOT_BITS) * SLOT_BITS;
        final long blockMask = (1L << (shift + SLOT_BITS)) - 1;
        return (elapsed & ~blockMask) | ((long)(bucket & (SLOTS - 1)) << shift);
    }

    /** Requires {@code when >= elapsed}. */
    private void insertInWheel(final int slot, final long when) {
        final int significant = 63 - Long.numberOfLeadingZeros((when ^ elapsed) | (SLOTS - 1));
        final int level = significant / SLOT_BITS;
        if (level >= LEVELS) {
            link(OVERFLOW, slot);
            return;
        }
        final int digit = (int)(when >>> (level * SLOT_BITS)) & (SLOTS - 1);
        final int bucket = (level << SLOT_BITS) + digit;
        link(bucket, slot);
        occupied[level] |= 1L << digit;
    }

    private void link(final int bucket, final int slot) {
        final int head = bucketHead[bucket];
        final long d = deadline[slot];
        if (head == NIL) {
            bucketMin[bucket] = d;
            bucketMinValid[bucket] = true;
        } else {
            prev[head] = slot;
            if (bucketMinValid[bucket] && d < bucketMin[bucket]) {
                bucketMin[bucket] = d;
            }
        }
        next[slot] = head;
        prev[slot] = NIL;
        bucketHead[bucket] = slot;
        location[slot] = bucket;
    }

    private void unlink(final int bucket, final int slot) {
        final int before = prev[slot];
        final int after = next[slot];
        if (before == NIL) {
            bucketHead[bucket] = after;
        } else {
            next[before] = after;
        }
        if (after != NIL) {
            prev[after] = before;
        }
        if (bucketHead[bucket] == NIL) {
            bucketMinValid[bucket] = false;
            if (bucket < WHEEL_BUCKETS) {
                occupied[bucket >> SLOT_BITS] &= ~(1L << (bucket & (SLOTS - 1)));
            }
        } else if (deadline[slot] == bucketMin[bucket]) {
            bucketMinValid[bucket] = false;
        }
    }

    /** Exact minimum deadline of a non-empty bucket; scans it only when the cached value is stale. */
    private long minOf(final int bucket) {
        if (!bucketMinValid[bucket]) {
            long min = Long.MAX_VALUE;
            for (int slot = bucketHead[bucket]; slot != NIL; slot = next[slot]) {
                min = Math.min(min, deadline[slot]);
            }
            bucketMin[bucket] = min;
            bucketMinValid[bucket] = true;
        }
        return bucketMin[bucket];
    }

    private void drainPending() {
        int slot = bucketHead[PENDING];
        bucketHead[PENDING] = NIL;
        bucketMinValid[PENDING] = false;
        while (slot != NIL) {
            final int following = next[slot];
            heapPush(slot);
            slot = following;
        }
    }

    /** Ends a timer: a new generation makes its id stale, and the slot goes back to the free list. */
    private void release(final int slot) {
        generation[slot] = (generation[slot] + 1) & GENERATION_MASK;
        payload[slot] = null;
        free(slot);
    }

    private void free(final int slot) {
        location[slot] = FREE;
        next[slot] = freeHead;
        freeHead = slot;
    }

    private boolean before(final int a, final int b) {
        final long da = deadline[a];
        final long db = deadline[b];
        return da < db || (da == db && seq[a] < seq[b]);
    }

    private void heapPush(final int slot) {
        location[slot] = IN_HEAP;
        final int[] heap = this.heap;
        int i = heapSize++;
        while (i > 0) {
            final int parent = (i - 1) >>> 1;
            final int p = heap[parent];
            if (!before(slot, p)) {
                break;
            }
            heap[i] = p;
            i = parent;
        }
        heap[i] = slot;
    }

    private int heapPop() {
        final int[] heap = this.heap;
        final int top = heap[0];
        final int n = --heapSize;
        if (n > 0) {
            final int last = heap[n];
            int i = 0;
            while (true) {
                int child = 2 * i + 1;
                if (child >= n) {
                    break;
                }
                if (child + 1 < n && before(heap[child + 1], heap[child])) {
                    child++;
                }
                if (!before(heap[child], last)) {
                    break;
                }
                heap[i] = heap[child];
                i = child;
            }
            heap[i] = last;
        }
        return top;
    }

    private void grow(final int newCapacity) {
        final int oldCapacity = deadline.length;
        if (newCapacity <= oldCapacity) {
            throw new IllegalStateException("timer wheel is full: " + oldCapacity);
        }
        deadline = Arrays.copyOf(deadline, newCapacity);
        seq = Arrays.copyOf(seq, newCapacity);
        generation = Arrays.copyOf(generation, newCapacity);
        next = Arrays.copyOf(next, newCapacity);
        prev = Arrays.copyOf(prev, newCapacity);
        location = Arrays.copyOf(location, newCapacity);
        payload = Arrays.copyOf(payload, newCapacity);
        heap = Arrays.copyOf(heap, newCapacity);
        for (int slot = newCapacity - 1; slot >= oldCapacity; slot--) {
            location[slot] = FREE;
            next[slot] = freeHead;
            freeHead = slot;
        }
    }
}
