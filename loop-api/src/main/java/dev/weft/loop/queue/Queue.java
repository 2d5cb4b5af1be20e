package dev.weft.loop.queue;

import dev.weft.loop.EventLoop;
import dev.weft.loop.LoopFuture;
import dev.weft.loop.task.Task;
import dev.weft.loop.task.Tasks;
import java.util.ArrayDeque;

/**
 * A FIFO queue between the tasks of one loop (asyncio's {@code Queue}); {@link LifoQueue} and
 * {@link PriorityQueue} change only the order of items.
 *
 * <ul>
 *   <li><b>Back-pressure.</b> With {@code maxSize > 0}, {@link #put} waits while the queue is full;
 *       0 means unbounded.</li>
 *   <li><b>Fairness.</b> Waiting getters and putters are woken one at a time in the order they came.
 *       A woken waiter cancelled before it could act passes the wake-up on, so a cancellation never
 *       loses an item or a free slot.</li>
 *   <li><b>Work tracking.</b> Each put counts an unfinished item; {@link #taskDone()} marks one
 *       processed; {@link #join()} waits until none is left.</li>
 *   <li><b>Shutdown</b> (Python 3.13): puts fail with {@link QueueShutDown}; gets drain what is left
 *       and then fail; {@code shutdown(true)} also drops the items left.</li>
 * </ul>
 * Loop thread (task steps) only; the waiting methods inside a task.
 *
 * @param <E> the item type
 */
public class Queue<E> {
    private final int maxSize;
    private final ArrayDeque<LoopFuture<Void>> getters = new ArrayDeque<>();
    private final ArrayDeque<LoopFuture<Void>> putters = new ArrayDeque<>();
    private final ArrayDeque<E> items = new ArrayDeque<>();
    private int unfinished;
    private LoopFuture<Void> finished;
    private boolean shutDown;
    private EventLoop loop;

    /** An unbounded queue. */
    public Queue() {
        this(0);
    }

    /** A queue of at most {@code maxSize} items ({@code 0} or less: unbounded). */
    public Queue(int maxSize) {
        this.maxSize = Math.max(0, maxSize);
    }

    // ------------------------------------------------------------ storage, overridden for the order

    void store(E item) {
        items.addLast(item);
    }

    E take() {
        return items.pollFirst();
    }

    int count() {
        return items.size();
    }

    void dropAll() {
        items.clear();
    }

    // ------------------------------------------------------------ API

    public int maxSize() {
        return maxSize;
    }

    public int size() {
        return count();
    }

    public boolean isEmpty() {
        return count() == 0;
    }

    public boolean isFull() {
        return maxSize > 0 && count() >= maxSize;
    }

    public boolean isShutDown() {
        return shutDown;
    }

    /** Puts {@code item}, waiting while the queue is full. */
    public void put(E item) {
        while (isFull()) {
            if (shutDown) {
                throw new QueueShutDown();
            }
            LoopFuture<Void> putter = newWaiter("Queue.put");
            putters.add(putter);
            try {
                Tasks.await(putter);
            } catch (RuntimeException | Error e) {
                putter.cancel();
                putters.remove(putter);
                if (!isFull() && !putter.isCancelled()) {
                    // woken for a free slot we will not fill: pass it on
                    wakeUpNext(putters);
                }
                throw e;
            }
        }
        putNowait(item);
    }

    /** Puts {@code item} at once; {@link QueueFull} when full, {@link QueueShutDown} after shutdown. */
    public void putNowait(E item) {
        if (shutDown) {
            throw new QueueShutDown();
        }
        if (isFull()) {
            throw new QueueFull(maxSize);
        }
        store(item);
        unfinished++;
        if (finished != null && finished.isDone()) {
            finished = null;
        }
        wakeUpNext(getters);
    }

    /** Takes an item, waiting while the queue is empty. */
    public E get() {
        while (isEmpty()) {
            if (shutDown) {
                throw new QueueShutDown();
            }
            LoopFuture<Void> getter = newWaiter("Queue.get");
            getters.add(getter);
            try {
                Tasks.await(getter);
            } catch (RuntimeException | Error e) {
                getter.cancel();
                getters.remove(getter);
                if (!isEmpty() && !getter.isCancelled()) {
                    // woken for an item we will not take: pass it on
                    wakeUpNext(getters);
                }
                throw e;
            }
        }
        return getNowait();
    }

    /** Takes an item at once; {@link QueueEmpty} when empty ({@link QueueShutDown} if also shut down). */
    public E getNowait() {
        if (isEmpty()) {
            if (shutDown) {
                throw new QueueShutDown();
            }
            throw new QueueEmpty();
        }
        E item = take();
        wakeUpNext(putters);
        return item;
    }

    /** Marks one item taken earlier as processed. Fails if called more often than items were put. */
    public void taskDone() {
        if (unfinished <= 0) {
            throw new IllegalStateException("taskDone() called too many times");
        }
        unfinished--;
        if (unfinished == 0) {
            releaseJoiners();
        }
    }

    /** Waits until every item put has been marked done with {@link #taskDone()}. */
    public void join() {
        if (unfinished > 0) {
            if (finished == null || finished.isDone()) {
                finished = newWaiter("Queue.join");
            }
            Tasks.await(shieldOf(finished));
        }
    }

    /** Items put and not yet marked done. */
    public int unfinishedTasks() {
        return unfinished;
    }

    /**
     * Shuts the queue down: later puts fail, blocked putters fail, blocked getters fail once the queue
     * is empty. With {@code immediate} the items left are dropped (and counted done) first.
     */
    public void shutdown(boolean immediate) {
        shutDown = true;
        if (immediate) {
            while (!isEmpty()) {
                take();
                if (unfinished > 0) {
                    unfinished--;
                }
            }
            if (unfinished == 0) {
                releaseJoiners();
            }
        }
        LoopFuture<Void> w;
        while ((w = getters.poll()) != null) {
            if (!w.isDone()) {
                w.setResult(null);
            }
        }
        while ((w = putters.poll()) != null) {
            if (!w.isDone()) {
                w.setResult(null);
            }
        }
    }

    /** {@link #shutdown(boolean) shutdown(false)}. */
    public void shutdown() {
        shutdown(false);
    }

    private void releaseJoiners() {
        if (finished != null && !finished.isDone()) {
            finished.setResult(null);
        }
    }

    /** Joiners share one future; a cancelled joiner must not cancel it for the others. */
    private LoopFuture<Void> shieldOf(LoopFuture<Void> shared) {
        return Tasks.shield(shared);
    }

    private static void wakeUpNext(ArrayDeque<LoopFuture<Void>> waiters) {
        LoopFuture<Void> w;
        while ((w = waiters.poll()) != null) {
            if (!w.isDone()) {
                w.setResult(null);
                return;
            }
        }
    }

    private LoopFuture<Void> newWaiter(String what) {
        Task<?> t = Task.current();
        if (t == null) {
            throw new IllegalStateException(what + " must be called inside a task");
        }
        if (loop == null) {
            loop = t.loop();
        } else if (loop != t.loop()) {
            throw new IllegalStateException("the queue is bound to another loop");
        }
        return loop.createFuture();
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[size=" + count() + (maxSize > 0 ? ", maxSize=" + maxSize : "")
                + (getters.isEmpty() ? "" : ", getters=" + getters.size())
                + (putters.isEmpty() ? "" : ", putters=" + putters.size())
                + (unfinished > 0 ? ", unfinished=" + unfinished : "") + (shutDown ? ", shut down" : "") + "]";
    }

}
