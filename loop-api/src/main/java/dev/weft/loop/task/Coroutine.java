package dev.weft.loop.task;

/**
 * The body of a {@link Task}: plain sequential code that suspends at {@link Tasks#await}. It runs
 * on the loop's behalf, one step at a time, so tasks of one loop share state without locks.
 *
 * @param <T> the task's result type
 */
@FunctionalInterface
public interface Coroutine<T> {
    /** Runs the body; what it returns is the task's result, what it throws the task's failure. */
    T run() throws Exception;
}
