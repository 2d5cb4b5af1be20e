package dev.weft.loop.task;

import dev.weft.loop.core.LoopInternals;
import dev.weft.loop.core.Nanos;
import dev.weft.loop.EventLoop;
import dev.weft.loop.ExceptionContext;
import dev.weft.loop.LoopFuture;
import dev.weft.loop.TimerHandle;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The coroutine toolkit, asyncio's module-level functions: {@link #await}, {@link #sleep},
 * {@link #gather}, {@link #wait}, {@link #waitFor}, {@link #timeout}, {@link #shield},
 * {@link #asCompleted}, {@link #toThread}, {@link #runCoroutineThreadsafe} and the {@link #run}
 * entry point. Methods that suspend ({@code await}, {@code sleep}, {@code wait}, {@code waitFor},
 * {@code timeout}, {@code toThread}) must be called inside a task; the others on the loop thread,
 * except {@link #runCoroutineThreadsafe} and {@link #mode()}, which are thread-safe.
 *
 * <p><b>Failures</b> come out of the suspending methods as {@link LoopFuture#result()} throws them:
 * unchecked exceptions as themselves, checked ones wrapped in
 * {@link java.util.concurrent.CompletionException}, cancellation as {@link CancellationException}.
 */
public final class Tasks {
    private Tasks() {
    }

    /**
     * The task mode of this JVM: {@link TaskMode#VIRTUAL} where the JDK allows it, else
     * {@link TaskMode#HANDOFF}; {@code -Dweft.tasks.mode=auto|virtual|handoff} picks it. Asking for
     * virtual where it is unavailable fails (here and at {@link EventLoop#createTask}) with the reason.
     */
    public static TaskMode mode() {
        if (TaskRunner.MODE_FAILURE != null) {
            throw TaskRunner.MODE_FAILURE;
        }
        return TaskRunner.MODE;
    }

    /** Why {@link TaskMode#VIRTUAL} is unavailable in this JVM, or null when it is available. */
    public static Throwable virtualUnavailabilityCause() {
        return VirtualThreads.unavailabilityCause();
    }

    // ------------------------------------------------------------ suspending

    /**
     * Suspends the calling task until {@code future} is done, then returns its result or throws its
     * failure. A done future returns at once, without giving way. Inside a task only.
     */
    public static <T> T await(LoopFuture<T> future) {
        Objects.requireNonNull(future, "future");
        return Task.require("await").await(future);
    }

    /**
     * Lets the other ready callbacks and tasks run once (asyncio's {@code sleep(0)}): the calling
     * task resumes in the next loop iteration. A cancellation requested meanwhile is thrown here.
     */
    public static void yieldNow() {
        Task.require("yieldNow").yieldStep();
    }

    /** Suspends the calling task for {@code delay} (zero or negative: {@link #yieldNow()}). */
    public static void sleep(Duration delay) {
        if (delay.isZero() || delay.isNegative()) {
            yieldNow();
            return;
        }
        Task<?> t = Task.require("sleep");
        LoopFuture<Void> f = t.loop().createFuture();
        TimerHandle h = t.loop().callLater(delay, () -> {
            if (!f.isDone()) {
                f.setResult(null);
            }
        });
        try {
            t.await(f);
        } finally {
            h.cancel();
        }
    }

    /** {@link #sleep(Duration)} in milliseconds. */
    public static void sleep(long millis) {
        sleep(Duration.ofMillis(millis));
    }

    /**
     * Runs blocking {@code work} on the loop's default executor and suspends the calling task until
     * it is done (asyncio's {@code to_thread}). Cancelling the task does not stop the work.
     */
    public static <T> T toThread(Callable<T> work) {
        Task<?> t = Task.require("toThread");
        return t.await(t.loop().runInExecutor(null, work));
    }

    /**
     * Awaits {@code future} for at most {@code timeout} (null: no limit). On timeout the future is
     * cancelled (a task: its body gets the cancellation) and {@link TimeoutException} is thrown once
     * it has finished. If the future completed in the same loop iteration as the timeout, its
     * outcome wins: a result already taken from a stream or queue is returned, never dropped.
     * A zero or negative timeout (asyncio 3.12): a done future gives its outcome, any other is
     * cancelled at once (a task not started never runs) and, once it has finished,
     * {@link TimeoutException} is thrown unless it completed anyway. Inside a task only.
     */
    public static <T> T waitFor(LoopFuture<T> future, Duration timeout) throws TimeoutException {
        Objects.requireNonNull(future, "future");
        if (timeout == null) {
            return await(future);
        }
        if (timeout.isZero() || timeout.isNegative()) {
            return cancelAndWait(future);
        }
        try {
            return timeout(timeout, scope -> await(future));
        } catch (TimeoutException e) {
            if (future.isDone() && !future.isCancelled()) {
                return future.result();
            }
            throw e;
        }
    }

    private static <T> T cancelAndWait(LoopFuture<T> future) throws TimeoutException {
        Task<?> t = Task.require("waitFor");
        if (future.isDone()) {
            return future.result();
        }
        LoopFuture<Void> finished = t.loop().createFuture();
        Consumer<LoopFuture<T>> release = f -> {
            if (!finished.isDone()) {
                finished.setResult(null);
            }
        };
        future.addDoneCallback(release);
        try {
            future.cancel();
            t.await(finished);
        } finally {
            future.removeDoneCallback(release);
        }
        if (future.isCancelled()) {
            TimeoutException te = new TimeoutException("timed out");
            te.initCause(LoopInternals.futures().newCancellation(future));
            throw te;
        }
        return future.result();
    }

    /**
     * Runs {@code body} in a {@link Timeout} scope that expires after {@code delay} (null: never).
     * The deadline saturates like {@link EventLoop#callLater}'s. See {@link Timeout}. Inside a task
     * only.
     */
    public static <T> T timeout(Duration delay, Timeout.Body<T> body) throws TimeoutException {
        Task<?> t = Task.require("timeout");
        if (delay == null) {
            return new Timeout(t, false, 0).run(body);
        }
        return new Timeout(t, true, Nanos.add(t.loop().time(), Nanos.of(delay))).run(body);
    }

    /** As {@link #timeout}, with a deadline on the loop's clock ({@link EventLoop#time()}; null: never). */
    public static <T> T timeoutAt(Long deadlineNanos, Timeout.Body<T> body) throws TimeoutException {
        Task<?> t = Task.require("timeoutAt");
        return new Timeout(t, deadlineNanos != null, deadlineNanos == null ? 0 : deadlineNanos).run(body);
    }

    /**
     * When {@link #wait} returns.
     *
     * <p>Constants: any thread.
     */
    public enum ReturnWhen { FIRST_COMPLETED, FIRST_EXCEPTION, ALL_COMPLETED }

    /**
     * What {@link #wait} returns: the futures done and those still pending.
     *
     * <p>The sets are the caller's (mutable, not synchronized): use them on the thread that got
     * them; the futures in them as {@link LoopFuture} says.
     */
    public record Done<T>(Set<LoopFuture<T>> done, Set<LoopFuture<T>> pending) {
    }

    /**
     * Waits until {@code when} is met or {@code timeout} (null: none) passed, and returns the done
     * and the pending futures. Cancels nothing and throws no timeout. Inside a task only.
     */
    public static <T> Done<T> wait(Collection<? extends LoopFuture<T>> futures, Duration timeout, ReturnWhen when) {
        Task<?> t = Task.require("wait");
        if (futures.isEmpty()) {
            throw new IllegalArgumentException("wait() needs at least one future");
        }
        EventLoop loop = t.loop();
        Set<LoopFuture<T>> fs = new LinkedHashSet<>(futures);
        for (LoopFuture<T> f : fs) {
            if (f.loop() != loop) {
                throw new IllegalArgumentException("a future belongs to another loop");
            }
        }
        LoopFuture<Void> waiter = loop.createFuture();
        int[] counter = {fs.size()};
        Consumer<LoopFuture<T>> onDone = f -> {
            counter[0]--;
            if (counter[0] <= 0 || when == ReturnWhen.FIRST_COMPLETED
                    || (when == ReturnWhen.FIRST_EXCEPTION && !f.isCancelled() && f.peekException() != null)) {
                if (!waiter.isDone()) {
                    waiter.setResult(null);
                }
            }
        };
        boolean satisfied = false;
        int done = 0;
        for (LoopFuture<T> f : fs) {
            if (f.isDone()) {
                done++;
                if (when == ReturnWhen.FIRST_COMPLETED
                        || (when == ReturnWhen.FIRST_EXCEPTION && !f.isCancelled() && f.peekException() != null)) {
                    satisfied = true;
                }
            }
        }
        if (done == fs.size()) {
            satisfied = true;
        }
        if (!satisfied) {
            counter[0] = fs.size() - done;
            TimerHandle timer = timeout == null ? null : loop.callLater(timeout, () -> {
                if (!waiter.isDone()) {
                    waiter.setResult(null);
                }
            });
            for (LoopFuture<T> f : fs) {
                if (!f.isDone()) {
                    f.addDoneCallback(onDone);
                }
            }
            try {
                t.await(waiter);
            } finally {
                if (timer != null) {
                    timer.cancel();
                }
                for (LoopFuture<T> f : fs) {
                    f.removeDoneCallback(onDone);
                }
            }
        }
        Set<LoopFuture<T>> doneSet = new LinkedHashSet<>();
        Set<LoopFuture<T>> pending = new LinkedHashSet<>();
        for (LoopFuture<T> f : fs) {
            (f.isDone() ? doneSet : pending).add(f);
        }
        return new Done<>(doneSet, pending);
    }

    // ------------------------------------------------------------ combinators (loop thread)

    /**
     * A future of the results of {@code futures}, in their order, once all are done. Without
     * {@code returnExceptions} the first failure fails it at once (the others go on) and a cancelled
     * child fails it with a {@link CancellationException}; with it, failures (and a
     * {@link CancellationException} per cancelled child) take their place in the list. Cancelling
     * the returned future cancels every child that is not done; once they are, it fails with a
     * {@link CancellationException}. As in asyncio, the gather then holds a
     * {@link CancellationException} as its failure and is not itself cancelled
     * ({@link LoopFuture#isCancelled()} is false; {@link LoopFuture#exception()} returns it). A child
     * failing after the gather is done counts as retrieved. Loop thread only.
     */
    public static <T> LoopFuture<List<T>> gather(boolean returnExceptions, List<? extends LoopFuture<? extends T>> futures) {
        if (futures.isEmpty()) {
            throw new IllegalArgumentException("gather() of nothing has no loop; create the empty list yourself");
        }
        EventLoop loop = futures.get(0).loop();
        for (LoopFuture<? extends T> f : futures) {
            if (f.loop() != loop) {
                throw new IllegalArgumentException("gather() of futures of different loops");
            }
        }
        return new Gathering<>(loop, futures, returnExceptions);
    }

    /** {@link #gather(boolean, List)} without return-exceptions. */
    @SafeVarargs
    public static <T> LoopFuture<List<T>> gather(LoopFuture<? extends T>... futures) {
        return gather(false, Arrays.asList(futures));
    }

    /**
     * A future that mirrors {@code inner} but whose cancellation does not reach it: a task awaiting
     * the shield can be cancelled while the inner work goes on. Loop thread only.
     */
    public static <T> LoopFuture<T> shield(LoopFuture<T> inner) {
        if (inner.isDone()) {
            return inner;
        }
        LoopFuture<T> outer = inner.loop().createFuture();
        inner.addDoneCallback(f -> {
            if (!outer.isDone()) {
                copyOutcome(f, outer);
            } else if (!f.isCancelled()) {
                f.exception();  // the outer was cancelled: nobody will look at this failure
            }
        });
        return outer;
    }

    /**
     * The futures' outcomes in completion order: each call of {@code next()} gives a future to
     * await; whichever of them is awaited first (or first given a done callback) completes with the
     * outcome of the first of {@code futures} to finish, the next one awaited with the next, and so
     * on, as asyncio's {@code as_completed}. After {@code timeout} (null: none) the outcomes still
     * to come are {@link TimeoutException}s. Loop thread only.
     */
    public static <T> Iterable<LoopFuture<T>> asCompleted(Collection<? extends LoopFuture<T>> futures, Duration timeout) {
        return new AsCompleted<>(futures, timeout);
    }

    /** {@link #asCompleted(Collection, Duration)} without a timeout. */
    public static <T> Iterable<LoopFuture<T>> asCompleted(Collection<? extends LoopFuture<T>> futures) {
        return asCompleted(futures, null);
    }

    // ------------------------------------------------------------ threads and entry point

    /**
     * Submits {@code coroutine} to {@code loop} from any other thread: it becomes a task of the
     * loop, and the returned future completes with its outcome. Cancelling the returned future
     * cancels the task. Thread-safe.
     */
    public static <T> CompletableFuture<T> runCoroutineThreadsafe(EventLoop loop, Coroutine<T> coroutine) {
        Objects.requireNonNull(coroutine, "coroutine");
        CompletableFuture<T> cf = new CompletableFuture<>();
        loop.callSoonThreadsafe(() -> {
            if (cf.isDone()) {
                return;
            }
            Task<T> task;
            try {
                task = loop.createTask(coroutine);
            } catch (Throwable e) {
                cf.completeExceptionally(e);
                return;
            }
            task.addDoneCallback(f -> {
                if (f.isCancelled()) {
                    cf.completeExceptionally(new CancellationException(f.cancelMessage()));
                } else if (f.exception() != null) {
                    cf.completeExceptionally(f.exception());
                } else {
                    cf.complete(f.result());
                }
            });
            cf.whenComplete((v, e) -> {
                if (cf.isCancelled() && !task.isDone()) {
                    if (loop.inLoopThread()) {
                        task.cancel();
                    } else {
                        loop.callSoonThreadsafe(task::cancel);
                    }
                }
            });
        });
        return cf;
    }

    /**
     * asyncio's {@code run}: creates a loop on the policy's backend, runs {@code main} as a task until
     * it is done, cancels the tasks left over and lets them finish, then closes the loop. Returns the
     * main task's result or throws its failure (as {@link LoopFuture#result()}). Fails if called in a
     * task or on a running loop's thread.
     */
    public static <T> T run(Coroutine<T> main) {
        return run(EventLoop::create, main);
    }

    /** As {@link #run(Coroutine)}, on a loop made by {@code loopFactory}. */
    public static <T> T run(Supplier<EventLoop> loopFactory, Coroutine<T> main) {
        if (Task.current() != null) {
            throw new IllegalStateException("Tasks.run() cannot be called inside a task");
        }
        EventLoop loop = loopFactory.get();
        try {
            Task<T> task = loop.createTask(main, "main");
            try {
                return loop.runUntilComplete(task);
            } finally {
                cancelAll(loop);
            }
        } finally {
            loop.close();
        }
    }

    private static void cancelAll(EventLoop loop) {
        Set<Task<?>> left = loop.allTasks();
        if (left.isEmpty()) {
            return;
        }
        for (Task<?> t : left) {
            t.cancel("the loop is shutting down");
        }
        List<LoopFuture<?>> all = new ArrayList<>(left);
        loop.runUntilComplete(gather(true, all));
        for (Task<?> t : left) {
            if (!t.isCancelled() && t.peekException() != null) {
                loop.callExceptionHandler(new ExceptionContext("unhandled exception during Tasks.run() shutdown",
                        t.exception(), t));
            }
        }
    }

    // ------------------------------------------------------------ helpers

    @SuppressWarnings("unchecked")
    static <T> void copyOutcome(LoopFuture<? extends T> from, LoopFuture<T> to) {
        if (from.isCancelled()) {
            to.cancel(from.cancelMessage());
        } else if (from.exception() != null) {
            to.setException(from.exception());
        } else {
            to.setResult((T) from.result());
        }
    }

    /** The future of {@link #gather}: completes when every child has, cancels the children when cancelled. */
    private static final class Gathering<T> extends LoopFuture<List<T>> {
        private final List<LoopFuture<? extends T>> children;
        private final boolean returnExceptions;
        private int finished;
        private boolean cancelRequested;

        Gathering(EventLoop loop, List<? extends LoopFuture<? extends T>> children, boolean returnExceptions) {
            super(loop);
            this.children = new ArrayList<>(children);
            this.returnExceptions = returnExceptions;
            for (LoopFuture<? extends T> c : this.children) {
                c.addDoneCallback(this::childDone);
            }
        }

        @Override
        public boolean cancel(String message) {
            if (isDone()) {
                return false;
            }
            boolean any = false;
            for (LoopFuture<? extends T> c : children) {
                if (c.cancel(message)) {
                    any = true;
                }
            }
            if (any) {
                cancelRequested = true;
            }
            return any;
        }

        private void childDone(LoopFuture<? extends T> child) {
            finished++;
            if (isDone()) {
                if (!child.isCancelled()) {
                    child.exception();  // the gather already failed: this one is handled with it
                }
                return;
            }
            if (!returnExceptions) {
                if (child.isCancelled()) {
                    setCancellationAsException(new CancellationException(child.cancelMessage()));
                    return;
                }
                Throwable e = child.exception();
                if (e != null) {
                    setException(e);
                    return;
                }
            }
            if (finished < children.size()) {
                return;
            }
            if (cancelRequested) {
                setCancellationAsException(new CancellationException(child.isCancelled() ? child.cancelMessage() : null));
                return;
            }
            List<Object> out = new ArrayList<>(children.size());
            for (LoopFuture<? extends T> c : children) {
                if (c.isCancelled()) {
                    out.add(new CancellationException(c.cancelMessage()));
                } else if (c.exception() != null) {
                    out.add(c.exception());
                } else {
                    out.add(c.result());
                }
            }
            @SuppressWarnings("unchecked")
            List<T> result = (List<T>) out;
            setResult(result);
        }
    }

    /**
     * The state of one {@link #asCompleted} call. Each item handed out is bound to a completion only
     * when first awaited (or given a callback), so completions go to items in the order they are
     * awaited, as asyncio's {@code as_completed} hands out coroutines that each take the next
     * completion from one queue.
     */
    private static final class AsCompleted<T> implements Iterable<LoopFuture<T>> {
        private final EventLoop loop;
        private final ArrayDeque<LoopFuture<T>> doneQueue = new ArrayDeque<>();
        private final ArrayDeque<Item<T>> waiting = new ArrayDeque<>();
        private int remaining;
        private int undone;
        private TimerHandle timer;
        private boolean timedOut;

        AsCompleted(Collection<? extends LoopFuture<T>> futures, Duration timeout) {
            Set<LoopFuture<T>> fs = new LinkedHashSet<>(futures);
            this.remaining = fs.size();
            this.undone = fs.size();
            EventLoop l = null;
            for (LoopFuture<T> f : fs) {
                l = f.loop();
            }
            this.loop = l;
            for (LoopFuture<T> f : fs) {
                f.addDoneCallback(this::onDone);
            }
            if (timeout != null && l != null && !fs.isEmpty()) {
                timer = l.callLater(timeout, this::onTimeout);
            }
        }

        private void onDone(LoopFuture<T> f) {
            if (timedOut) {
                return;
            }
            undone--;
            if (undone == 0 && timer != null) {
                timer.cancel();
            }
            Item<T> item;
            while ((item = waiting.poll()) != null) {
                if (!item.isDone()) {
                    copyOutcome(f, item);
                    return;
                }
            }
            doneQueue.add(f);
        }

        private void onTimeout() {
            timedOut = true;
            Item<T> item;
            while ((item = waiting.poll()) != null) {
                if (!item.isDone()) {
                    item.setException(new TimeoutException("asCompleted timed out"));
                }
            }
        }

        /** Binds {@code item} to the next completion, now if one is queued. */
        private void bind(Item<T> item) {
            LoopFuture<T> f = doneQueue.poll();
            if (f != null) {
                copyOutcome(f, item);
            } else if (timedOut) {
                item.setException(new TimeoutException("asCompleted timed out"));
            } else {
                waiting.add(item);
            }
        }

        @Override
        public Iterator<LoopFuture<T>> iterator() {
            return new Iterator<>() {
                @Override
                public boolean hasNext() {
                    return remaining > 0;
                }

                @Override
                public LoopFuture<T> next() {
                    if (remaining <= 0) {
                        throw new NoSuchElementException();
                    }
                    remaining--;
                    return new Item<>(AsCompleted.this);
                }
            };
        }
    }

    /** An item of {@link #asCompleted}: takes the next completion once it is first awaited. */
    private static final class Item<T> extends LoopFuture<T> {
        private AsCompleted<T> owner;

        Item(AsCompleted<T> owner) {
            super(owner.loop);
            this.owner = owner;
        }

        @Override
        protected void onWatched() {
            AsCompleted<T> o = owner;
            if (o != null) {
                owner = null;
                o.bind(this);
            }
        }
    }
}
