package dev.weft.loop.iocp;

import dev.weft.loop.EventLoop;
import dev.weft.loop.LoopFuture;
import java.lang.reflect.Field;
import java.util.concurrent.TimeUnit;

/** What loop-iocp's own tests do with a loop on the iocp backend: reach its driver, run it a while. */
final class IocpTestLoops {
    private IocpTestLoops() {
    }

    /** The loop's {@link IocpDriver}, for tests that build a stream or a datagram socket on it. */
    static IocpDriver driver(EventLoop loop) throws ReflectiveOperationException {
        Field f = EventLoop.class.getDeclaredField("driver");
        f.setAccessible(true);
        return (IocpDriver) f.get(loop);
    }

    /** Runs {@code loop} for {@code millis} of loop time. */
    static void runFor(EventLoop loop, long millis) {
        LoopFuture<Void> done = loop.createFuture();
        loop.callLater(millis, TimeUnit.MILLISECONDS, () -> done.setResult(null));
        loop.runUntilComplete(done);
    }
}
