package dev.weft.bench.jmh;

import dev.weft.loop.core.TimerWheel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoEventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * What the timer benchmarks share: the batch size, fixed pseudo-random delays, and Netty's loop.
 * In package {@code dev.weft.loop} so the benchmarks reach the package-private {@link TimerWheel}
 * (a split package on the class path, which the shaded jar is).
 */
final class TimerBenchSupport {
    /** Timers per benchmark invocation; every figure is divided by it. */
    static final int BATCH = 1024;
    /** Live timers kept in each structure during schedule+cancel, so it is not measured empty. */
    static final int BACKLOG = 10_000;
    static final Runnable NOOP = () -> { };

    private TimerBenchSupport() {
    }

    /** {@code n} delays in [{@code from}, {@code from + span}) nanoseconds, fixed seed, random order. */
    static long[] delays(int n, long from, long span, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        long[] d = new long[n];
        for (int i = 0; i < n; i++) {
            d[i] = from + r.nextLong(span);
        }
        return d;
    }

    /** One Netty 4.2 event loop thread on the NIO handler: the loop a Netty server runs. */
    static EventLoopGroup nettyGroup() {
        return new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    }

    static IoEventLoop nettyLoop(EventLoopGroup g) {
        return (IoEventLoop) g.next();
    }

    static void shutdown(EventLoopGroup g) {
        if (g != null) {
            g.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }
}
