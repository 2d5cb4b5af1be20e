package dev.weft.loop.task;

import dev.weft.loop.EventLoop;
import dev.weft.loop.ExceptionContext;
import dev.weft.loop.LoopFuture;
import dev.weft.loop.core.CreationSite;
import dev.weft.loop.core.LoopInternals;
import dev.weft.loop.core.LoopProbe;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * A coroutine running on a loop, and the future of its outcome: asyncio's Task.
 *
 * <p><b>Steps.</b> The body runs in steps, each on the loop's behalf: the first step is scheduled
 * with {@link EventLoop#callSoon} by {@link EventLoop#createTask}, or runs inside
 * {@link EventLoop#createTask(Coroutine, String, boolean)} when started eagerly (asyncio 3.12's
 * {@code eager_start}); each {@link Tasks#await} of a pending future ends a step, and the future's
 * completion schedules the next one; {@link Tasks#yieldNow()} resumes in the next iteration. At
 * most one step or callback of a loop runs at any instant, and a step counts as the loop thread for
 * every thread check, so tasks share plain fields without locks. How a step is run depends on
 * {@link Tasks#mode()}; the semantics do not. In debug mode a slow step is reported once, by the
 * loop, as {@code step of task <name>}.
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
 * <p><b>Loop close.</b> {@link EventLoop#close()} cancels every task not done: a task not started
 * never runs; a suspended one gets the cancellation at its pending {@code await} and runs to its
 * end right there, every further {@code await} of a pending future throwing
 * {@link CancellationException} at once; so its thread ends. (asyncio leaves such tasks pending and
 * reports them when collected; a task here owns a thread, which must not outlive the loop.)
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
            public Runnable firstStepCallback(Task<?> task) {
                return task.firstStepCallback();
            }

            @Override
            public void startEagerly(Task<?> task) {
                task.startEagerly();
            }

            @Override
            public void closeWithLoop(Task<?> task) {
                task.closeWithLoop();
            }
        });
    }
    private static final String LOOP_CLOSED = "the loop is closed";

    private final Coroutine<T> coroutine;
    private final TaskRunner runner;
    private final Step firstStep = new Step(true);
    private final Step nextStep = new Step(false);
    private String name;
    private LoopFuture<?> waiter;
    private boolean started;
    private boolean yielded;
    private boolean closing;
    private boolean mustCancel;
    private String mustCancelMessage;
    private int cancelRequests;
    private Runnable loopSideAction;

    Task(EventLoop loop, Coroutine<T> coroutine, String name) {
        super(loop);
        this.coroutine = coroutine;
        this.name = name != null ? name : "Task-" + IDS.incrementAndGet();
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
     * there is none (not started yet, running now, or yielding), the next suspension throws.
     * Returns false if the task is already done. Loop thread only.
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

    /** What {@link EventLoop#createTask} schedules: the first step. */
    Runnable firstStepCallback() {
        return firstStep;
    }

    /** The first step; scheduled by {@link EventLoop#createTask}, or run there when eager. */
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
        step(true);
    }

    /**
     * Runs the first step now, inside {@link EventLoop#createTask}. From inside another task's
     * step, that task gives the turn to the loop side, which runs this step and hands the turn
     * straight back: no other callback runs in between.
     */
    void startEagerly() {
        Task<?> caller = CURRENT.get();
        if (caller != null && caller.loop() == loop()) {
            caller.runOnLoopSide(this::firstStep);
        } else {
            firstStep();
        }
    }

    private void wake(LoopFuture<?> f) {
        if (f == waiter && !isDone()) {
            step(false);
        }
    }

    private void resumeFromYield() {
        if (yielded && !isDone()) {
            yielded = false;
            step(false);
        }
    }

    private void step(boolean first) {
        Object slow = LoopProbe.INSTANCE.taskStepStarted();
        if (first) {
            runner.start();
        } else {
            runner.resume();
        }
        drainLoopSideActions();
        LoopProbe.INSTANCE.taskStepEnded(slow, name);
    }

    /** Loop side, after a step ended: runs what the task asked for there, resuming it after each. */
    void drainLoopSideActions() {
        Runnable a;
        while ((a = loopSideAction) != null) {
            loopSideAction = null;
            try {
                a.run();
            } finally {
                runner.resume();
            }
        }
    }

    /**
     * Loop closing (loop thread, loop not running): cancels this task and, if it is suspended,
     * resumes it so that its body runs to its end now.
     */
    void closeWithLoop() {
        if (isDone()) {
            return;
        }
        closing = true;
        if (!started) {
            started = true;
            super.cancel(LOOP_CLOSED);
            return;
        }
        cancelRequests++;
        LoopFuture<?> w = waiter;
        if (w == null || !w.cancel(LOOP_CLOSED)) {
            mustCancel = true;
            mustCancelMessage = LOOP_CLOSED;
        }
        yielded = false;
        step(false);
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
            LoopInternals.futures().watched(f);
        }
        if (!f.isDone()) {
            if (closing) {
                throw new CancellationException(LOOP_CLOSED);
            }
            waiter = f;
            f.addDoneCallback(nextStep);
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

    /**
     * Ends this step and resumes in the next loop iteration (asyncio's bare {@code yield}, as in
     * {@code sleep(0)}); a cancellation requested meanwhile is thrown here.
     */
    void yieldStep() {
        if (closing) {
            throw new CancellationException(LOOP_CLOSED);
        }
        loop().callSoon(nextStep);
        yielded = true;
        runner.suspend();
        if (mustCancel) {
            mustCancel = false;
            throw new CancellationException(mustCancelMessage);
        }
    }

    /** Inside a step of this task: ends the step, has the loop side run {@code action}, and resumes. */
    private void runOnLoopSide(Runnable action) {
        loopSideAction = action;
        runner.suspend();
    }

    // ------------------------------------------------------------ completion, diagnostics

    @Override
    protected void onComplete() {
        LoopInternals.loop().taskDone(loop(), this);
    }

    @Override
    protected String neverRetrievedMessage() {
        StackTraceElement[] site = creationSite();
        return "Task exception was never retrieved" + (site == null ? "" : ";" + CreationSite.format("task created at", site));
    }

    @Override
    protected String describeFailure() {
        return "Task[name=" + name + ", finished exception=" + peekException() + "]";
    }

    @Override
    public String toString() {
        String s = super.toString();
        return "Task[name=" + name + ", " + s.substring(s.indexOf('[') + 1);
    }

    /**
     * The loop callbacks that run this task's steps: the first step, a wake-up when the awaited
     * future is done, a resumption after a yield. Named after the task in the loop's debug reports.
     */
    private final class Step implements Runnable, Consumer<LoopFuture<?>> {
        private final boolean first;

        Step(boolean first) {
            this.first = first;
        }

        @Override
        public void run() {
            if (first) {
                firstStep();
            } else {
                resumeFromYield();
            }
        }

        @Override
        public void accept(LoopFuture<?> f) {
            wake(f);
        }

        @Override
        public String toString() {
            return "step of task " + name;
        }
    }
}
