package dev.weft.loop.core;

import dev.weft.loop.EventLoop;
import dev.weft.loop.LoopFuture;
import dev.weft.loop.task.Coroutine;
import dev.weft.loop.task.Task;

/**
 * What the loop and the task runtime need from each other across their packages, and nobody else
 * may call: installed once by the class initialisers of {@link EventLoop}, {@link LoopFuture} and
 * {@link Task}. Not API
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

        /** The loop's warning handler itself, for reports made after the loop is gone. */
        java.util.function.Consumer<String> warningHandler(EventLoop loop);

        /** A task of {@code loop} is done: drop it from the live set. */
        void taskDone(EventLoop loop, Task<?> task);

        /** A child process of {@code loop} started: {@code closer} kills it if the loop closes first. */
        void childOpened(EventLoop loop, Runnable closer);

        /** The child whose closer this is has finished (exited, pipes closed). */
        void childClosed(EventLoop loop, Runnable closer);
    }

    /** The task runtime's side: making a task for {@link EventLoop#createTask}. */
    public interface Tasks {
        <T> Task<T> newTask(EventLoop loop, Coroutine<T> coroutine, String name);

        /** The callback that runs the first step of a task made by {@link #newTask}. */
        Runnable firstStepCallback(Task<?> task);

        /** Runs the first step now, inside {@code createTask} (eager start). */
        void startEagerly(Task<?> task);

        /** The loop is closing: cancel the task and, if it is suspended, run it to its end. */
        void closeWithLoop(Task<?> task);
    }

    /** The futures' side: hooks on a {@link LoopFuture} for tasks. */
    public interface Futures {
        /** A task is about to await {@code future}, or a callback is added to it. */
        void watched(LoopFuture<?> future);

        /** A {@link java.util.concurrent.CancellationException} carrying the future's cancel message. */
        java.util.concurrent.CancellationException newCancellation(LoopFuture<?> future);
    }

    private static volatile Loop loop;
    private static volatile Futures futures;
    private static volatile Tasks tasks;

    public static void install(Loop hooks) {
        loop = hooks;
    }

    public static void install(Tasks hooks) {
        tasks = hooks;
    }

    public static void install(Futures hooks) {
        futures = hooks;
    }

    public static Futures futures() {
        Futures f = futures;
        if (f == null) {
            initialise(LoopFuture.class);
            f = futures;
        }
        return f;
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
