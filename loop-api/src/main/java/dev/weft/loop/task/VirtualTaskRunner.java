package dev.weft.loop.task;

import dev.weft.loop.core.LoopInternals;
import dev.weft.loop.EventLoop;
import java.util.concurrent.Executor;
import java.util.concurrent.locks.LockSupport;

/**
 * Virtual-thread mode: the task is a virtual thread whose scheduler is this object. The JDK hands
 * the scheduler the thread's continuation whenever the thread becomes runnable; running it mounts
 * the thread on the calling thread, which here is always the loop thread, until the thread parks
 * again. A step started by the loop itself (first step, wake-up from an awaited future) runs at once
 * in that callback; a continuation submitted from elsewhere (a stray unpark, a JDK timer) is queued
 * with {@link EventLoop#callSoonThreadsafe} and runs in a later iteration, still on the loop thread.
 */
final class VirtualTaskRunner extends TaskRunner implements Executor {
    private Thread vthread;
    private Thread kicker;
    private boolean inline;
    private Runnable pending;
    private volatile boolean resumeSignal;

    VirtualTaskRunner(Task<?> task) {
        super(task);
    }

    @Override
    void start() {
        vthread = VirtualThreads.newThread(this, "weft-task-" + task.getName(), task::body);
        step(true);
    }

    @Override
    void resume() {
        resumeSignal = true;
        step(false);
    }

    private void step(boolean first) {
        kicker = Thread.currentThread();
        inline = true;
        try {
            if (first) {
                vthread.start();
            } else {
                LockSupport.unpark(vthread);
            }
        } finally {
            inline = false;
            kicker = null;
        }
        Runnable r = pending;
        if (r != null) {
            pending = null;
            runContinuation(r);
        }
    }

    /** The virtual thread's scheduler. */
    @Override
    public void execute(Runnable continuation) {
        if (inline && kicker == Thread.currentThread() && pending == null) {
            pending = continuation;
            return;
        }
        task.loop().callSoonThreadsafe(() -> {
            runContinuation(continuation);
            task.drainLoopSideActions();
        });
    }

    private void runContinuation(Runnable continuation) {
        EventLoop loop = task.loop();
        LoopInternals.loop().setStepThread(loop, vthread);
        try {
            continuation.run();
        } finally {
            LoopInternals.loop().setStepThread(loop, null);
        }
    }

    @Override
    void suspend() {
        while (!resumeSignal) {
            LockSupport.park(this);
        }
        resumeSignal = false;
    }
}
