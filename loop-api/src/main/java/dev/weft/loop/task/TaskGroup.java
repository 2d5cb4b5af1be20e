package dev.weft.loop.task;

import dev.weft.loop.EventLoop;
import dev.weft.loop.LoopFuture;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CancellationException;

/**
 * Structured concurrency (asyncio 3.11's {@code TaskGroup}): {@link #run} runs a body that starts
 * tasks in the group, and returns only once all of them are done.
 *
 * <ul>
 *   <li>The first failure of a task (or of the body) cancels every other task of the group and the
 *       body itself, if it is still waiting.</li>
 *   <li>Then every failure (not cancellations) is thrown together in one {@link TaskGroupException}.</li>
 *   <li>If the task running the group is cancelled from outside, the group's tasks are cancelled
 *       and the cancellation goes on once they are done. If tasks failed as well, the
 *       {@link TaskGroupException} is thrown and the cancellation stays requested: the task's next
 *       suspension throws {@link CancellationException}, and {@link Task#cancelling()} keeps its
 *       count (asyncio 3.13).</li>
 * </ul>
 * Loop thread (task steps) only.
 */
public final class TaskGroup {
    /**
     * A task group's body.
     *
     * <p>Runs inside the task that called {@link TaskGroup#run}, on the thread of its steps.
     */
    @FunctionalInterface
    public interface Body<T> {
        T run(TaskGroup group) throws Exception;
    }

    private final Task<?> parent;
    private final EventLoop loop;
    private final Set<Task<?>> tasks = new LinkedHashSet<>();
    private final List<Throwable> errors = new ArrayList<>();
    private boolean entered;
    private boolean exiting;
    private boolean exited;
    private boolean aborting;
    private boolean parentCancelRequested;
    private LoopFuture<Void> onCompleted;

    private TaskGroup(Task<?> parent) {
        this.parent = parent;
        this.loop = parent.loop();
    }

    /**
     * Runs {@code body} with a new group and waits for every task it started. Returns the body's
     * value; throws {@link TaskGroupException} with all failures, or {@link CancellationException}
     * if the calling task was cancelled from outside. Inside a task only.
     */
    public static <T> T run(Body<T> body) {
        TaskGroup g = new TaskGroup(Task.require("TaskGroup.run"));
        g.entered = true;
        T value = null;
        Throwable bodyFailure = null;
        try {
            value = body.run(g);
        } catch (Throwable t) {
            bodyFailure = t;
        }
        g.exit(bodyFailure);
        return value;
    }

    /** Starts {@code coroutine} as a task of this group (and of the loop). */
    public <T> Task<T> createTask(Coroutine<T> coroutine) {
        return createTask(coroutine, null);
    }

    /** As {@link #createTask(Coroutine)}, with a name. */
    public <T> Task<T> createTask(Coroutine<T> coroutine, String name) {
        if (!entered || exited) {
            throw new IllegalStateException("TaskGroup " + this + " is finished");
        }
        if (aborting) {
            throw new IllegalStateException("TaskGroup " + this + " is shutting down");
        }
        Task<T> t = loop.createTask(coroutine, name);
        tasks.add(t);
        t.addDoneCallback(this::onTaskDone);
        return t;
    }

    private void exit(Throwable bodyFailure) {
        exiting = true;
        CancellationException propagate = bodyFailure instanceof CancellationException ce ? ce : null;
        if (bodyFailure != null && !aborting) {
            abort();
        }
        CancellationException pending = null;
        while (!tasks.isEmpty()) {
            if (onCompleted == null) {
                onCompleted = loop.createFuture();
            }
            try {
                Tasks.await(onCompleted);
            } catch (CancellationException e) {
                // cancelled while waiting for the tasks: cancel them (once), then go on waiting
                pending = e;
                if (!aborting) {
                    propagate = e;
                    abort();
                }
            }
            onCompleted = null;
        }
        exited = true;
        if (parentCancelRequested) {
            if (parent.uncancel() == 0) {
                // the only cancellation pending was ours (a task failed): it stops here
                propagate = null;
            } else if (propagate == null) {
                // another cancellation came while we waited: it is not ours to drop
                propagate = pending;
            }
        }
        if (propagate != null && errors.isEmpty()) {
            throw propagate;
        }
        if (bodyFailure != null && !(bodyFailure instanceof CancellationException)) {
            errors.add(bodyFailure);
        }
        if (!errors.isEmpty()) {
            if (parent.cancelling() > 0) {
                // cancelled from outside too: the failures win now, and the cancellation is kept
                // for the task's next suspension (asyncio 3.13 takes one request back and re-requests)
                parent.uncancel();
                parent.cancel();
            }
            throw new TaskGroupException(errors);
        }
    }

    private void abort() {
        aborting = true;
        for (Task<?> t : tasks) {
            if (!t.isDone()) {
                t.cancel("TaskGroup is shutting down");
            }
        }
    }

    private void onTaskDone(LoopFuture<?> f) {
        Task<?> t = (Task<?>) f;
        tasks.remove(t);
        if (onCompleted != null && tasks.isEmpty() && !onCompleted.isDone()) {
            onCompleted.setResult(null);
        }
        if (t.isCancelled()) {
            return;
        }
        Throwable e = t.exception();
        if (e == null) {
            return;
        }
        errors.add(e);
        if (!aborting) {
            abort();
        }
        if (!exiting && !parentCancelRequested && !parent.isDone()) {
            // interrupt the body, which may be waiting on something unrelated
            parentCancelRequested = true;
            parent.cancel("TaskGroup: a task failed");
        }
    }

    @Override
    public String toString() {
        return "TaskGroup[tasks=" + tasks.size() + (errors.isEmpty() ? "" : ", errors=" + errors.size())
                + (aborting ? ", cancelling" : "") + (exited ? ", exited" : entered ? ", entered" : "") + "]";
    }
}
