package dev.weft.loop.core;

import dev.weft.loop.EventLoop;
import dev.weft.loop.task.Coroutine;
import dev.weft.loop.task.Task;

/**
 * What the loop and the task runtime need from each other across their packages, and nobody else
 * may call: installed once by {@link EventLoop}'s and {@link Task}'s class initialisers. Not API
 * (the package is not exported).
 */
public final class LoopInternals {
    private LoopInternals() {
    }

    /** The loop's side: hooks on an {@link EventLoop} for tasks. */
    public interface Loop {
        /** Marks {@code t} as running a step on behalf of {@code loop} (null to clear). */
        void setStepThread(EventLoop loop, Thread t);

        /** Reports a warning through the loop's warning handler. */
        void warn(EventLoop loop, String message);

        /** A task of {@code loop} is done: drop it from the live set. */
        void taskDone(EventLoop loop, Task<?> task);
    }

    /** The task runtime's side: making a task for {@link EventLoop#createTask}. */
    public interface Tasks {
        <T> Task<T> newTask(EventLoop loop, Coroutine<T> coroutine, String name);

        /** Runs the first step of a task made by {@link #newTask}. */
        void firstStep(Task<?> task);
    }

    private static volatile Loop loop;
    private static volatile Tasks tasks;

    public static void install(Loop hooks) {
        loop = hooks;
    }

    public static void install(Tasks hooks) {
        tasks = hooks;
    }

    public static Loop loop() {
        Loop l = loop;
        if (l == null) {
            initialise(EventLoop.class);
            l = loop;
        }
        return l;
    }

    public static Tasks tasks() {
        Tasks t = tasks;
        if (t == null) {
            initialise(Task.class);
            t = tasks;
        }
        return t;
    }

    private static void initialise(Class<?> c) {
        try {
            Class.forName(c.getName(), true, c.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException(e);
        }
    }
}
