package dev.weft.loop.task;

import java.util.Locale;

/**
 * Runs the steps of one task. The loop thread calls {@link #start()} for the first step and
 * {@link #resume()} for each next one; either returns once the step is over (the task suspended in
 * {@link #suspend()} or its body returned). The task's thread calls {@link #suspend()} inside a step
 * to give the turn back and wait for the next one.
 */
abstract class TaskRunner {
    /** The system property that picks the mode: {@code auto} (default), {@code virtual}, {@code handoff}. */
    static final String MODE_PROPERTY = "weft.tasks.mode";

    static final TaskMode MODE;
    static final RuntimeException MODE_FAILURE;

    static {
        String p = System.getProperty(MODE_PROPERTY, "auto").trim().toLowerCase(Locale.ROOT);
        TaskMode mode = null;
        RuntimeException failure = null;
        switch (p) {
            case "", "auto" -> mode = VirtualThreads.isAvailable() ? TaskMode.VIRTUAL : TaskMode.HANDOFF;
            case "handoff" -> mode = TaskMode.HANDOFF;
            case "virtual" -> {
                if (VirtualThreads.isAvailable()) {
                    mode = TaskMode.VIRTUAL;
                } else {
                    failure = new IllegalStateException("-D" + MODE_PROPERTY + "=virtual, but virtual-thread tasks are"
                            + " unavailable: " + VirtualThreads.unavailabilityCause().getMessage(),
                            VirtualThreads.unavailabilityCause());
                }
            }
            default -> failure = new IllegalArgumentException("-D" + MODE_PROPERTY + "=" + p
                    + ": expected auto, virtual or handoff");
        }
        MODE = mode;
        MODE_FAILURE = failure;
    }

    final Task<?> task;

    TaskRunner(Task<?> task) {
        this.task = task;
    }

    static TaskRunner create(Task<?> task) {
        if (MODE_FAILURE != null) {
            throw MODE_FAILURE;
        }
        return MODE == TaskMode.VIRTUAL ? new VirtualTaskRunner(task) : new HandoffTaskRunner(task);
    }

    /** Loop thread: runs the first step (the body up to its first suspension). */
    abstract void start();

    /** Loop thread: runs the next step. */
    abstract void resume();

    /** Task thread, inside a step: ends the step and waits until {@link #resume()}. */
    abstract void suspend();
}
