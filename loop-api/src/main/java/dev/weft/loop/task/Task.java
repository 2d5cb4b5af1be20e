package dev.weft.loop.task;

import dev.weft.loop.core.LoopInternals;
import dev.weft.loop.EventLoop;
import dev.weft.loop.ExceptionContext;
import dev.weft.loop.LoopFuture;
import java.lang.ref.Cleaner;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * A coroutine running on a loop, and the future of its outcome: asyncio's Task.
 *
 * <p><b>Steps.</b> The body runs in steps, each on the loop's behalf: the first step is scheduled
 * with {@link EventLoop#callSoon} by {@link EventLoop#createTask}; each {@link Tasks#await} of a
 * pending future ends a step, and the future's completion schedules the next one. At most one step
 * or callback of a loop runs at any instant, and a step counts as the loop thread for every thread
 * check, so tasks share plain fields without locks. How a step is run depends on
 * {@link Tasks#mode()}; the semantics do not.
 *
 * <p><b>Cancellation</b> (asyncio 3.11). {@link #cancel(String)} cancels the future the task is
 * waiting on, so the pending {@code await} throws a {@link CancellationException} carrying the
 * message; the body may catch it. A task cancelled before its first step never runs its body. A
 * cancellation requested while the task runs is delivered at its next suspension. A body that lets
 * the exception escape ends the task cancelled. {@link #cancelling()} counts the requests and
 * {@link #uncancel()} takes one back, so timeouts and task groups can tell their own cancellation
 * from another one.
 *
 * <p><b>Results.</b> The task completes with what the body returns or throws. {@link #setResult}
 * and {@link #setException} are not for callers. A failure that nobody retrieved by the time the
 * task is garbage-collected goes to the loop's exception handler (with the creation site when the
 * loop was in debug mode).
 *
 * <p><b>Threads.</b> As for {@link LoopFuture}: everything but the state queries and the blocking
 * {@code get} is for the loop thread (or a task step).
 */
public class Task<T> extends LoopFuture<T> {
    private static final ThreadLocal<Task<?>> CURRENT = new ThreadLocal<>();
    private static final AtomicLong IDS = new AtomicLong();

    static {
        LoopInternals.install(new LoopInternals.Tasks() {
            @Override
            public <R> Task<R> newTask(EventLoop loop, Coroutine<R> coroutine, String name) {
                return new Task<>(loop, coroutine, name);
            }

            @Override
            public void firstStep(Task<?> task) {
                task.firstStep();
            }
        });
    }

    private final Coroutine<T> coroutine;
    private final TaskRunner runner;
    private final StackTraceElement[] creationSite;
    private final Consumer<LoopFuture<?>> wakeup = this::wake;
    private String name;
    private LoopFuture<?> waiter;
    private boolean started;
    private boolean mustCancel;
    private String mustCancelMessage;
    private int cancelRequests;
    private Unretrieved unretrieved;

    Task(EventLoop loop, Coroutine<T> coroutine, String name) {
        super(loop);
        this.coroutine = coroutine;
        this.name = name != null ? name : "Task-" + IDS.incrementAndGet();
        this.creationSite = loop.isDebug() ? new Throwable().getStackTrace() : null;
        this.runner = TaskRunner.create(this);
    }

    /** The task whose step is running on this thread, or null outside tasks. */
    public static Task<?> current() {
        return CURRENT.get();
    }

    /** The task running now; fails with {@link IllegalStateException} outside a task. */
    static Task<?> require(String what) {
        Task<?> t = CURRENT.get();
        if (t == null) {
            throw new IllegalStateException(what + " must be called inside a task (see EventLoop.createTask)");
        }
        return t;
    }

    public String getName() {
        return name;
    }

    public void setName(String name) {
        this.name = String.valueOf(name);
    }

    /** Where the task was created, when its loop was in debug mode; else null. */
    public StackTraceElement[] creationSite() {
        return creationSite == null ? null : creationSite.clone();
    }

    /** The number of cancellation requests not taken back by {@link #uncancel()}. */
    public int cancelling() {
        return cancelRequests;
    }

    /**
     * Takes back one cancellation request and returns the remaining count. When it reaches zero a
     * cancellation not yet delivered is dropped.
     */
    public int uncancel() {
        if (cancelRequests > 0) {
            cancelRequests--;
            if (cancelRequests == 0) {
                mustCancel = false;
            }
        }
        return cancelRequests;
    }

    /**
     * Requests cancellation: the future the task awaits is cancelled with {@code message}, or, if
     * there is none (not started yet, or running now), the next suspension throws. Returns false if
     * the task is already done. Loop thread only.
     */
    @Override
    public boolean cancel(String message) {
        loop().assertInLoop("Task.cancel");
        if (isDone()) {
            return false;
        }
        cancelRequests++;
        LoopFuture<?> w = waiter;
        if (w != null && w.cancel(message)) {
            return true;
        }
        mustCancel = true;
        mustCancelMessage = message;
        return true;
    }

    /** Not supported: a task's outcome is its body's. */
    @Override
    public void setResult(T value) {
        throw new UnsupportedOperationException("Task does not support setResult(); the body's return value is the result");
    }

    /** Not supported: a task's outcome is its body's. */
    @Override
    public void setException(Throwable failure) {
        throw new UnsupportedOperationException("Task does not support setException(); the body's exception is the failure");
    }

    // ------------------------------------------------------------ stepping (loop thread)

    /** The first step; scheduled by {@link EventLoop#createTask}. */
    void firstStep() {
        if (isDone() || started) {
            return;
        }
        if (mustCancel) {
            mustCancel = false;
            super.cancel(mustCancelMessage);
            return;
        }
        started = true;
        timed(true);
    }

    private void wake(LoopFuture<?> f) {
        if (f == waiter && !isDone()) {
            timed(false);
        }
    }

    private void timed(boolean first) {
        EventLoop loop = loop();
        if (!loop.isDebug()) {
            step(first);
            return;
        }
        long start = System.nanoTime();
        step(first);
        long took = System.nanoTime() - start;
        if (took >= loop.getSlowCallbackThreshold().toNanos()) {
            LoopInternals.loop().warn(loop, String.format("a step of task %s took %.3f seconds", name, took / 1e9));
        }
    }

    private void step(boolean first) {
        if (first) {
            runner.start();
        } else {
            runner.resume();
        }
    }

    // ------------------------------------------------------------ inside the task's thread

    /** Runs the body to completion; called once, on the task's thread, inside its first step. */
    void body() {
        CURRENT.set(this);
        T value = null;
        Throwable failure = null;
        try {
            value = coroutine.run();
        } catch (Throwable t) {
            failure = t;
        } finally {
            CURRENT.remove();
        }
        if (failure == null) {
            if (mustCancel) {
                mustCancel = false;
                super.cancel(mustCancelMessage);
            } else {
                super.setResult(value);
            }
        } else if (failure instanceof CancellationException) {
            super.cancel(failure.getMessage());
        } else {
            super.setException(failure);
        }
    }

    /** Suspends this task (the caller) until {@code f} is done; then its result, as {@link LoopFuture#result()}. */
    <R> R await(LoopFuture<R> f) {
        if (f.loop() != loop()) {
            throw new IllegalArgumentException("the future belongs to another loop than task " + name);
        }
        if (f == this) {
            throw new IllegalStateException("task " + name + " cannot await itself");
        }
        if (!f.isDone()) {
            waiter = f;
            f.addDoneCallback(wakeup);
            if (mustCancel && f.cancel(mustCancelMessage)) {
                mustCancel = false;
            }
            try {
                runner.suspend();
            } finally {
                waiter = null;
            }
            if (mustCancel) {
                mustCancel = false;
                throw new CancellationException(mustCancelMessage);
            }
        }
        return f.result();
    }

    // ------------------------------------------------------------ completion, diagnostics

    @Override
    protected void onComplete() {
        LoopInternals.loop().taskDone(loop(), this);
        Throwable failure = peekException();
        if (failure != null && !exceptionRetrieved()) {
            unretrieved = new Unretrieved(loop(), failure, toString(), creationSite);
            Unretrieved.CLEANER.register(this, unretrieved);
        }
    }

    @Override
    protected void onExceptionRetrieved() {
        Unretrieved u = unretrieved;
        if (u != null) {
            u.retrieved = true;
        }
    }

    @Override
    public String toString() {
        String s = super.toString();
        return "Task[name=" + name + ", " + s.substring(s.indexOf('[') + 1);
    }

    /** Reports a failure nobody retrieved, once the task is unreachable. Holds no reference to it. */
    private static final class Unretrieved implements Runnable {
        static final Cleaner CLEANER = Cleaner.create(r -> {
            Thread t = new Thread(r, "weft-task-cleaner");
            t.setDaemon(true);
            return t;
        });

        private final EventLoop loop;
        private final Throwable failure;
        private final String task;
        private final StackTraceElement[] site;
        volatile boolean retrieved;

        Unretrieved(EventLoop loop, Throwable failure, String task, StackTraceElement[] site) {
            this.loop = loop;
            this.failure = failure;
            this.task = task;
            this.site = site;
        }

        @Override
        public void run() {
            if (retrieved) {
                return;
            }
            StringBuilder msg = new StringBuilder("Task exception was never retrieved");
            if (site != null) {
                msg.append("; task created at:");
                int shown = 0;
                for (StackTraceElement e : site) {
                    String c = e.getClassName();
                    if (!c.equals("dev.weft.loop.task.Task") && !c.equals("dev.weft.loop.EventLoop") && shown++ < 12) {
                        msg.append("\n\tat ").append(e);
                    }
                }
            }
            ExceptionContext ctx = new ExceptionContext(msg.toString(), failure, task);
            try {
                loop.callSoonThreadsafe(() -> loop.callExceptionHandler(ctx));
            } catch (IllegalStateException closed) {
                loop.defaultExceptionHandler(ctx);
            }
        }
    }
}
