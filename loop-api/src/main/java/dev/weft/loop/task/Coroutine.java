package dev.weft.loop.task;

/**
 * The body of a {@link Task}: plain sequential code that suspends at {@link Tasks#await}. It runs
 * on the loop's behalf, one step at a time, so tasks of one loop share state without locks.
 *
 * <p>Called once per task, inside the task: each step runs on the loop thread (virtual mode) or
 * on the task's own thread while the loop thread waits (hand-off mode); never two steps of one
 * loop at once.
 *
 * @param <T> the task's result type
 */
@FunctionalInterface
public interface Coroutine<T> {
    /** Runs the body; what it returns is the task's result, what it throws the task's failure. */
    T run() throws Exception;
}
