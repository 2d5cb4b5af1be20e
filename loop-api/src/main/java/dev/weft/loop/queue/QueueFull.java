package dev.weft.loop.queue;

/**
 * {@link Queue#putNowait} on a full queue.
 *
 * <p>Any thread may create, throw or read it: it holds only values fixed at construction.
 */
public final class QueueFull extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public QueueFull(int maxSize) {
        super("the queue is full (maxSize " + maxSize + ")");
    }
}
