package dev.weft.loop.task;

import dev.weft.loop.core.Throwables;
import dev.weft.loop.EventLoop;
import dev.weft.loop.Handle;
import dev.weft.loop.LoopFuture;
import java.util.concurrent.CancellationException;
import java.util.concurrent.TimeoutException;

/**
 * A timeout scope (asyncio 3.11's {@code asyncio.timeout}): when its deadline passes while the body
 * runs, the task is cancelled; the cancellation that comes out of the body is turned into a
 * {@link TimeoutException}. Made by {@link Tasks#timeout} and {@link Tasks#timeoutAt}, which hand it
 * to the body so it can {@link #reschedule} itself. A cancellation of the task from elsewhere stays
 * a cancellation: the scope tells them apart with {@link Task#cancelling()} and
 * {@link Task#uncancel()}. A {@link TimeoutException} thrown by the body (an inner scope's, or
 * {@link Tasks#waitFor}'s) leaves the scope unchanged; other checked exceptions come out wrapped in
 * {@link java.util.concurrent.CompletionException}. Loop thread (the task's steps) only.
 */
public final class Timeout {
    private enum State { CREATED, ENTERED, EXPIRING, EXPIRED, EXITED }

    /**
     * A timeout scope's body.
     *
     * <p>Runs inside the task that opened the scope, on the thread of its steps.
     */
    @FunctionalInterface
    public interface Body<T> {
        T run(Timeout scope) throws Exception;
    }

    private final Task<?> task;
    private final EventLoop loop;
    private long deadline;
    private boolean hasDeadline;
    private State state = State.CREATED;
    private Handle timer;
    private int cancellingOnEntry;

    Timeout(Task<?> task, boolean hasDeadline, long deadline) {
        this.task = task;
        this.loop = task.loop();
        this.hasDeadline = hasDeadline;
        this.deadline = deadline;
    }

    /** The deadline on the loop's clock ({@link EventLoop#time()}), or null when there is none. */
    public Long when() {
        return hasDeadline ? deadline : null;
    }

    /** Moves the deadline ({@code null}: none). Only while the body runs. */
    public void reschedule(Long deadlineNanos) {
        if (state != State.ENTERED) {
            throw new IllegalStateException("cannot reschedule a timeout that is " + state.name().toLowerCase(java.util.Locale.ROOT));
        }
        if (timer != null) {
            timer.cancel();
            timer = null;
        }
        hasDeadline = deadlineNanos != null;
        if (hasDeadline) {
            deadline = deadlineNanos;
            arm();
        }
    }

    /** Whether the deadline passed and the scope cancelled its task. */
    public boolean expired() {
        return state == State.EXPIRING || state == State.EXPIRED;
    }

    <T> T run(Body<T> body) throws TimeoutException {
        state = State.ENTERED;
        cancellingOnEntry = task.cancelling();
        if (hasDeadline) {
            arm();
        }
        T value;
        try {
            value = body.run(this);
        } catch (CancellationException e) {
            if (exit()) {
                TimeoutException te = new TimeoutException("timed out");
                te.initCause(e);
                throw te;
            }
            throw e;
        } catch (TimeoutException e) {
            // an inner scope's (or waitFor's) timeout passes through unchanged
            exit();
            throw e;
        } catch (Throwable t) {
            exit();
            throw Throwables.rethrowable(t);
        }
        exit();
        return value;
    }

    /** Leaves the scope; true when the cancellation that ended the body was this scope's. */
    private boolean exit() {
        if (timer != null) {
            timer.cancel();
            timer = null;
        }
        if (state == State.EXPIRING) {
            state = State.EXPIRED;
            return task.uncancel() <= cancellingOnEntry;
        }
        state = State.EXITED;
        return false;
    }

    private void arm() {
        if (deadline <= loop.time()) {
            timer = loop.callSoon(this::onDeadline);
        } else {
            timer = loop.callAt(deadline, this::onDeadline);
        }
    }

    private void onDeadline() {
        if (state != State.ENTERED || (hasDeadline && deadline > loop.time())) {
            return;
        }
        task.cancel("timeout");
        state = State.EXPIRING;
    }

    @Override
    public String toString() {
        return "Timeout[" + state.name().toLowerCase(java.util.Locale.ROOT) + (hasDeadline ? ", when=" + deadline : "") + "]";
    }
}
