package dev.weft.loop.sync;

import dev.weft.loop.EventLoop;
import dev.weft.loop.LoopFuture;
import dev.weft.loop.task.Task;

/** Binds a primitive to the loop of the first task that has to wait on it (asyncio's mixin). */
abstract class LoopBound {
    private EventLoop loop;

    /** A new pending future of the bound loop; binds on first use. Inside a task only. */
    final <T> LoopFuture<T> newWaiter(String what) {
        Task<?> t = Task.current();
        if (t == null) {
            throw new IllegalStateException(what + " must be called inside a task");
        }
        EventLoop l = t.loop();
        if (loop == null) {
            loop = l;
        } else if (loop != l) {
            throw new IllegalStateException(getClass().getSimpleName() + " is bound to another loop");
        }
        return l.createFuture();
    }

    static Task<?> requireTask(String what) {
        Task<?> t = Task.current();
        if (t == null) {
            throw new IllegalStateException(what + " must be called inside a task");
        }
        return t;
    }
}
