package dev.weft.loop;

import dev.weft.loop.core.CallbackWrapper;
import dev.weft.loop.core.CreationSite;
import dev.weft.loop.core.LoopInternals;
import dev.weft.loop.core.Throwables;
import java.lang.ref.Cleaner;
import java.util.ArrayList;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * The result of an operation that completes later on one loop, with asyncio's semantics.
 *
 * <ul>
 *   <li><b>Threads.</b> {@link #setResult}, {@link #setException}, {@link #cancel(String)},
 *       {@link #addDoneCallback} and {@link #removeDoneCallback} must be called on the loop thread
 *       (from another thread they fail at once). The state queries and the blocking {@link #get()}
 *       are thread-safe; {@code get()} on the loop thread fails instead of deadlocking.</li>
 *   <li><b>Callbacks</b> never run inline: when the future completes, or when one is added to a done
 *       future, each is scheduled as by {@link EventLoop#callSoon}, in the order they were added.
 *       Those held at completion run together at the future's one place in the ready queue (the
 *       future itself is queued: completion allocates nothing); one that throws does not stop the
 *       others.</li>
 *   <li><b>Once.</b> A second completion fails with {@link IllegalStateException} and changes
 *       nothing.</li>
 *   <li><b>Failures</b> surface from {@link #result()} as the exception itself when unchecked, else
 *       wrapped in a {@link CompletionException}; a cancelled future throws
 *       {@link CancellationException} carrying the cancel message.</li>
 *   <li><b>Unretrieved failures.</b> A failure nobody looked at ({@link #result()},
 *       {@link #exception()}, {@link #get()}) by the time the future is garbage-collected goes to
 *       the loop's exception handler, "Future exception was never retrieved" (asyncio's
 *       {@code Future.__del__}). Only a failed future pays for this (a {@link Cleaner}
 *       registration). In debug mode the report says where the future was made. A
 *       {@link CancellationException} held as a failure (see
 *       {@link dev.weft.loop.task.Tasks#gather}) is not reported.</li>
 * </ul>
 */
public class LoopFuture<T> implements Future<T> {
    private static final int PENDING = 0;
    private static final int FINISHED = 1;
    private static final int CANCELLED = 2;

    static {
        LoopInternals.install(new LoopInternals.Futures() {
            @Override
            public void watched(LoopFuture<?> future) {
                future.onWatched();
            }

            @Override
            public CancellationException newCancellation(LoopFuture<?> future) {
                return future.newCancellation();
            }
        });
    }

    private final EventLoop loop;
    private volatile int state = PENDING;
    private T result;
    private Throwable exception;
    private String cancelMessage;
    private boolean exceptionRetrieved;
    private Unretrieved unretrieved;
    /**
     * null, a single callback, or an ArrayList of callbacks: while pending, those added; once done,
     * those held at completion until they have run.
     */
    private Object callbacks;
    private int blockedWaiters;

    public LoopFuture(EventLoop loop) {
        this.loop = Objects.requireNonNull(loop, "loop");
        if (loop.isDebug()) {
            loop.recordCreationSite(this);
        }
    }

    /**
     * Where this future (or task) was made, innermost frame first, when its loop was in debug mode
     * ({@link EventLoop#setDebug}); else null.
     */
    public StackTraceElement[] creationSite() {
        StackTraceElement[] site = loop.creationSiteOf(this);
        return site == null ? null : site.clone();
    }

    public final EventLoop loop() {
        return loop;
    }

    @Override
    public final boolean isDone() {
        return state != PENDING;
    }

    @Override
    public final boolean isCancelled() {
        return state == CANCELLED;
    }

    /**
     * The result. Fails with {@link IllegalStateException} while pending, with
     * {@link CancellationException} when cancelled, and rethrows the failure otherwise (wrapped in
     * {@link CompletionException} when it is a checked exception).
     */
    public final T result() {
        int s = state;
        if (s == PENDING) {
            throw new IllegalStateException("result is not ready: the future is still pending");
        }
        if (s == CANCELLED) {
            throw newCancellation();
        }
        if (exception != null) {
            markExceptionRetrieved();
            throw Throwables.rethrowable(exception);
        }
        return result;
    }

    /**
     * The failure, or null when it completed with a result. Fails while pending, and with
     * {@link CancellationException} when cancelled.
     */
    public final Throwable exception() {
        int s = state;
        if (s == PENDING) {
            throw new IllegalStateException("exception is not set: the future is still pending");
        }
        if (s == CANCELLED) {
            throw newCancellation();
        }
        markExceptionRetrieved();
        return exception;
    }

    /** The message given to {@link #cancel(String)}, or null. */
    public final String cancelMessage() {
        return cancelMessage;
    }

    public void setResult(T value) {
        loop.checkThread("LoopFuture.setResult");
        if (state != PENDING) {
            throw new IllegalStateException("invalid state: the future is already " + stateName());
        }
        result = value;
        complete(FINISHED);
    }

    public void setException(Throwable failure) {
        Objects.requireNonNull(failure, "failure");
        loop.checkThread("LoopFuture.setException");
        if (state != PENDING) {
            throw new IllegalStateException("invalid state: the future is already " + stateName());
        }
        if (failure instanceof CancellationException) {
            throw new IllegalArgumentException("a CancellationException cannot be set; use cancel()");
        }
        exception = failure;
        complete(FINISHED);
    }

    /** Cancels with no message. */
    public boolean cancel() {
        return cancel((String) null);
    }

    /**
     * Cancels the future and schedules its callbacks. Returns false if it was already done.
     * Loop thread only.
     */
    public boolean cancel(String message) {
        loop.checkThread("LoopFuture.cancel");
        if (state != PENDING) {
            return false;
        }
        cancelMessage = message;
        complete(CANCELLED);
        return true;
    }

    /** {@link Future#cancel(boolean)}: the flag is ignored (a loop never interrupts). */
    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
        return cancel((String) null);
    }

    /** Adds a callback run (via the loop) once this future is done, or soon if it already is. */
    public final void addDoneCallback(Consumer<? super LoopFuture<T>> callback) {
        Objects.requireNonNull(callback, "callback");
        loop.checkThread("LoopFuture.addDoneCallback");
        if (state == PENDING) {
            onWatched();
        }
        if (state != PENDING) {
            scheduleCallback(callback);
            return;
        }
        Object cbs = callbacks;
        if (cbs == null) {
            callbacks = callback;
        } else if (cbs instanceof CallbackList list) {
            list.add(callback);
        } else {
            CallbackList list = new CallbackList();
            list.add(cbs);
            list.add(callback);
            callbacks = list;
        }
    }

    /** Removes every registration of {@code callback}; returns how many were removed. */
    public final int removeDoneCallback(Consumer<? super LoopFuture<T>> callback) {
        loop.checkThread("LoopFuture.removeDoneCallback");
        Object cbs = callbacks;
        if (cbs == null || state != PENDING) {
            // Once done, the callbacks held are scheduled already (asyncio's list is cleared).
            return 0;
        }
        if (cbs instanceof CallbackList list) {
            int before = list.size();
            list.removeIf(c -> c == callback);
            return before - list.size();
        }
        if (cbs == callback) {
            callbacks = null;
            return 1;
        }
        return 0;
    }

    /**
     * Waits for the result from a thread other than the loop's. On the loop thread (or in a task
     * of this loop) it fails at once, since waiting there would stop the loop that must complete it.
     */
    @Override
    public final T get() throws InterruptedException, ExecutionException {
        try {
            return get(Long.MAX_VALUE, TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public final T get(long timeout, TimeUnit unit)
            throws InterruptedException, ExecutionException, TimeoutException {
        if (state == PENDING) {
            if (loop.inLoopThread()) {
                throw new IllegalStateException("get() on the loop thread would deadlock: the loop must run"
                        + " to complete this future; await it in a task or add a done callback");
            }
            long deadline = System.nanoTime() + unit.toNanos(timeout);
            synchronized (this) {
                blockedWaiters++;
                try {
                    while (state == PENDING) {
                        long left = deadline - System.nanoTime();
                        if (left <= 0) {
                            throw new TimeoutException("future not done after " + timeout + " " + unit);
                        }
                        TimeUnit.NANOSECONDS.timedWait(this, left);
                    }
                } finally {
                    blockedWaiters--;
                }
            }
        }
        if (state == CANCELLED) {
            throw newCancellation();
        }
        if (exception != null) {
            markExceptionRetrieved();
            throw new ExecutionException(exception);
        }
        return result;
    }

    /** A {@link CompletableFuture} completed (from the loop thread) when this one is. */
    public final CompletableFuture<T> toCompletableFuture() {
        CompletableFuture<T> cf = new CompletableFuture<>();
        Runnable link = () -> addDoneCallback(f -> {
            if (f.isCancelled()) {
                cf.completeExceptionally(f.newCancellation());
            } else if (f.exception != null) {
                f.markExceptionRetrieved();
                cf.completeExceptionally(f.exception);
            } else {
                cf.complete(f.result);
            }
        });
        if (loop.inLoopThread() || !loop.isRunning()) {
            link.run();
        } else {
            loop.callSoonThreadsafe(link);
        }
        return cf;
    }

    /**
     * A future of {@code loop} that completes (on the loop thread) when {@code stage} does; it may
     * complete on any thread. Cancelling the returned future does not cancel the stage.
     */
    public static <T> LoopFuture<T> fromStage(EventLoop loop, CompletionStage<T> stage) {
        LoopFuture<T> f = new LoopFuture<>(loop);
        stage.whenComplete((value, failure) -> {
            Runnable done = () -> {
                if (f.isDone()) {
                    return;
                }
                if (failure == null) {
                    f.setResult(value);
                } else {
                    Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                            ? failure.getCause() : failure;
                    if (cause instanceof CancellationException) {
                        f.cancel(cause.getMessage());
                    } else {
                        f.setException(cause);
                    }
                }
            };
            if (loop.inLoopThread()) {
                done.run();
            } else {
                loop.callSoonThreadsafe(done);
            }
        });
        return f;
    }

    /**
     * Hook run on the loop thread when a task is about to await this pending future, or a callback
     * is added to it; a future whose outcome is chosen only once someone waits binds it here.
     */
    protected void onWatched() {
    }

    /**
     * Completes with a {@link CancellationException} as the failure, without being cancelled
     * (asyncio's gather does this when a child is cancelled). Loop thread only.
     */
    protected final void setCancellationAsException(CancellationException failure) {
        loop.checkThread("LoopFuture.setException");
        if (state != PENDING) {
            throw new IllegalStateException("invalid state: the future is already " + stateName());
        }
        exception = failure;
        complete(FINISHED);
    }

    /** Whether someone looked at the failure (result(), exception(), get()). */
    protected final boolean exceptionRetrieved() {
        return exceptionRetrieved;
    }

    private void markExceptionRetrieved() {
        if (!exceptionRetrieved) {
            exceptionRetrieved = true;
            Unretrieved u = unretrieved;
            if (u != null) {
                u.retrieved = true;
            }
        }
    }

    /** How a report of a failure nobody retrieved names this future. */
    protected String describeFailure() {
        return getClass().getSimpleName() + "[finished exception=" + exception + "]";
    }

    /** The report of a failure nobody retrieved, with the creation site in debug mode. */
    protected String neverRetrievedMessage() {
        return "Future exception was never retrieved" + CreationSite.format("future created at", loop.creationSiteOf(this));
    }

    /** The raw failure without marking it retrieved; null if none. */
    public final Throwable peekException() {
        return exception;
    }

    /** A {@link CancellationException} carrying this future's cancel message. */
    protected CancellationException newCancellation() {
        return new CancellationException(cancelMessage);
    }

    private String stateName() {
        return state == CANCELLED ? "cancelled" : state == FINISHED ? "finished" : "pending";
    }

    private void complete(int newState) {
        Throwable failure = exception;
        if (failure != null && !(failure instanceof CancellationException)) {
            // registered before the state is published, so a get() on another thread marks it
            Unretrieved u = new Unretrieved(loop, failure, neverRetrievedMessage(), describeFailure());
            unretrieved = u;
            Unretrieved.CLEANER.register(this, u);
        }
        state = newState;
        if (callbacks != null) {
            loop.scheduleDoneCallbacks(this);
        }
        synchronized (this) {
            if (blockedWaiters != 0) {
                notifyAll();
            }
        }
        onComplete();
    }

    /** Hook for subclasses, run on the loop thread right after completion. */
    protected void onComplete() {
    }

    /** Runs the callbacks held at completion, in the order they were added; returns how many. */
    @SuppressWarnings("unchecked")
    final int runDoneCallbacks() {
        Object cbs = callbacks;
        callbacks = null;
        if (cbs instanceof CallbackList list) {
            int n = list.size();
            for (int i = 0; i < n; i++) {
                loop.runDoneCallback((Consumer<? super LoopFuture<T>>) list.get(i), this);
            }
            return n;
        }
        if (cbs != null) {
            loop.runDoneCallback((Consumer<? super LoopFuture<T>>) cbs, this);
            return 1;
        }
        return 0;
    }

    @SuppressWarnings("unchecked")
    private void scheduleCallback(Object cb) {
        loop.callSoon(new DoneCallback<>(this, (Consumer<? super LoopFuture<T>>) cb));
    }

    /** A done callback on its way through the loop; named after the callback in debug reports. */
    private static final class DoneCallback<T> implements Runnable, CallbackWrapper {
        private final LoopFuture<T> future;
        private final Consumer<? super LoopFuture<T>> callback;

        DoneCallback(LoopFuture<T> future, Consumer<? super LoopFuture<T>> callback) {
            this.future = future;
            this.callback = callback;
        }

        @Override
        public void run() {
            callback.accept(future);
        }

        @Override
        public String toString() {
            return callback.toString();
        }

        @Override
        public Object wrapped() {
            return callback;
        }
    }

    /** Reports a failure nobody retrieved, once the future is unreachable. Holds no reference to it. */
    private static final class Unretrieved implements Runnable {
        static final Cleaner CLEANER = Cleaner.create(r -> {
            Thread t = new Thread(r, "weft-future-cleaner");
            t.setDaemon(true);
            return t;
        });

        private final EventLoop loop;
        private final Throwable failure;
        private final String message;
        private final String future;
        volatile boolean retrieved;

        Unretrieved(EventLoop loop, Throwable failure, String message, String future) {
            this.loop = loop;
            this.failure = failure;
            this.message = message;
            this.future = future;
        }

        @Override
        public void run() {
            if (retrieved) {
                return;
            }
            ExceptionContext ctx = new ExceptionContext(message, failure, future);
            try {
                loop.callSoonThreadsafe(() -> loop.callExceptionHandler(ctx));
            } catch (IllegalStateException closed) {
                loop.defaultExceptionHandler(ctx);
            }
        }
    }

    @Override
    public String toString() {
        String s = stateName();
        if (state == FINISHED) {
            s += exception != null ? " exception=" + exception : " result=" + result;
        }
        return getClass().getSimpleName() + "[" + s + "]";
    }

    private static final class CallbackList extends ArrayList<Object> {
        private static final long serialVersionUID = 1L;
    }
}
