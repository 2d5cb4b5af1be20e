package dev.weft.loop.task;

/**
 * How tasks run. Both modes have the same semantics: at most one task step or callback of a loop
 * runs at any instant, every step counts as the loop thread for the thread checks, and a task only
 * gives way at {@link Tasks#await}. See {@link Tasks#mode()}.
 */
public enum TaskMode {
    /**
     * Each task is a virtual thread whose scheduler is its loop: every step is mounted on the loop
     * thread itself. Needs JDK 21+ and {@code --add-opens java.base/java.lang=ALL-UNNAMED}.
     */
    VIRTUAL,
    /**
     * Each task has its own platform thread, and a strict hand-off: the loop thread waits while the
     * task's step runs, the task thread waits while anything else runs. Works everywhere; slower.
     */
    HANDOFF
}
