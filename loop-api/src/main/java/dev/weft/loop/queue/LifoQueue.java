package dev.weft.loop.queue;

import java.util.ArrayDeque;

/**
 * A {@link Queue} that hands out the most recently put item first.
 *
 * <p>Loop thread (task steps) only, as {@link Queue}.
 */
public final class LifoQueue<E> extends Queue<E> {
    private final ArrayDeque<E> stack = new ArrayDeque<>();

    public LifoQueue() {
        this(0);
    }

    public LifoQueue(int maxSize) {
        super(maxSize);
    }

    @Override
    void store(E item) {
        stack.addLast(item);
    }

    @Override
    E take() {
        return stack.pollLast();
    }

    @Override
    int count() {
        return stack.size();
    }

    @Override
    void dropAll() {
        stack.clear();
    }
}
