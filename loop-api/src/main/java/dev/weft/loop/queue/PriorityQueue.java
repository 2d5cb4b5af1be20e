package dev.weft.loop.queue;

import java.util.Comparator;

/**
 * A {@link Queue} that hands out the smallest item first (by {@code comparator}, or natural order);
 * items that compare equal come out in the order they were put.
 *
 * <p>Loop thread (task steps) only, as {@link Queue}.
 */
public final class PriorityQueue<E> extends Queue<E> {
    private final java.util.PriorityQueue<Entry<E>> heap;
    private long seq;

    private record Entry<E>(E item, long seq) {
    }

    /** Natural order; items must be {@link Comparable}. */
    public PriorityQueue() {
        this(0, null);
    }

    public PriorityQueue(int maxSize) {
        this(maxSize, null);
    }

    @SuppressWarnings("unchecked")
    public PriorityQueue(int maxSize, Comparator<? super E> comparator) {
        super(maxSize);
        Comparator<? super E> c = comparator != null ? comparator : (a, b) -> ((Comparable<? super E>) a).compareTo(b);
        Comparator<Entry<E>> byItem = (x, y) -> c.compare(x.item(), y.item());
        heap = new java.util.PriorityQueue<>(byItem.thenComparingLong(Entry::seq));
    }

    @Override
    void store(E item) {
        heap.add(new Entry<>(item, seq++));
    }

    @Override
    E take() {
        Entry<E> e = heap.poll();
        return e == null ? null : e.item();
    }

    @Override
    int count() {
        return heap.size();
    }

    @Override
    void dropAll() {
        heap.clear();
    }
}
