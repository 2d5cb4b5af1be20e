package dev.weft.loop.task;

import dev.weft.loop.core.LoopInternals;
import dev.weft.loop.EventLoop;
import java.util.concurrent.locks.LockSupport;

/**
 * Hand-off mode: the task has its own platform thread, and the turn passes strictly between it and
 * the loop thread through one volatile flag. The loop thread parks while the step runs; the task
 * thread parks while anything else runs. The volatile write that passes the turn orders everything
 * either side did before it, so tasks see the loop's plain fields as a single thread would.
 */
final class HandoffTaskRunner extends TaskRunner {
    private Thread thread;
    private Thread loopSide;
    private volatile boolean taskTurn;

    HandoffTaskRunner(Task<?> task) {
        super(task);
    }

    @Override
    void start() {
        Thread t = new Thread(null, this::main, "weft-task-" + task.getName(), 0);
        t.setDaemon(true);
        thread = t;
        runStep(true);
    }

    @Override
    void resume() {
        runStep(false);
    }

    private void runStep(boolean first) {
        EventLoop loop = task.loop();
        loopSide = Thread.currentThread();
        LoopInternals.loop().setStepThread(loop, thread);
        try {
            taskTurn = true;
            if (first) {
                thread.start();
            } else {
                LockSupport.unpark(thread);
            }
            while (taskTurn) {
                LockSupport.park(this);
            }
        } finally {
            LoopInternals.loop().setStepThread(loop, null);
        }
    }

    private void main() {
        try {
            task.body();
        } finally {
            Thread l = loopSide;
            taskTurn = false;
            LockSupport.unpark(l);
        }
    }

    @Override
    void suspend() {
        Thread l = loopSide;
        taskTurn = false;
        LockSupport.unpark(l);
        while (!taskTurn) {
            LockSupport.park(this);
        }
    }
}
