package dev.weft.loop.queue;

/**
 * {@link Queue#getNowait()} on an empty queue.
 *
 * <p>Any thread may create, throw or read it: it holds only values fixed at construction.
 */
public final class QueueEmpty extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public QueueEmpty() {
        super("the queue is empty");
    }
}
