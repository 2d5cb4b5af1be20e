package dev.weft.loop.queue;

/**
 * A put on a queue that was shut down, or a get on one shut down and empty.
 *
 * <p>Any thread may create, throw or read it: it holds only values fixed at construction.
 */
public final class QueueShutDown extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public QueueShutDown() {
        super("the queue is shut down");
    }
}
