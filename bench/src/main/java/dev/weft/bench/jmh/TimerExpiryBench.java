package dev.weft.bench.jmh;

import dev.weft.loop.EventLoop;
import dev.weft.loop.core.TimerWheel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoEventLoop;
import io.netty.util.concurrent.Promise;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * One operation = schedule a timer and have it fire (its callback runs). Each invocation schedules
 * {@value TimerBenchSupport#BATCH} timers in random deadline order, then runs until all fired.
 *
 * <ul>
 *   <li>{@code weft-wheel}: {@link TimerWheel} on a fake clock; deadlines spread over 64 ms (64
 *       ticks: slots of level 0 and 1 are used, timers cascade), then one {@code poll} at the end.</li>
 *   <li>{@code weft-loop}: {@link EventLoop#callLater} on a loop with a fake clock, the same 64 ms
 *       spread, then {@code runOnce()} until every callback ran (timer phase + ready queue).</li>
 *   <li>{@code netty-loop}: Netty's NIO event loop, on its thread: deadlines spread over 1 µs of real
 *       time in random order (Netty keeps a binary heap, so the spread does not change its work; a
 *       wider one would make it wait on the clock), until every task ran.</li>
 * </ul>
 * {@code HashedWheelTimer} expiry is not here: it fires on a real tick of at least 1 ms, so a batch
 * would measure the tick; the report's timers cell measures its expiry of 1M timers instead.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class TimerExpiryBench {
    @Param({"weft-wheel", "weft-loop", "netty-loop"})
    public String impl;

    private static final long SPREAD = 64_000_000L;
    private final long[] spread = TimerBenchSupport.delays(TimerBenchSupport.BATCH, 0, SPREAD, 42);
    private final long[] tiny = TimerBenchSupport.delays(TimerBenchSupport.BATCH, 0, 1_000, 42);

    private TimerWheel wheel;
    private long now;
    private int fired;
    private final TimerWheel.Handler onFire = (id, payload) -> fired++;
    private final Runnable count = () -> fired++;

    private EventLoop loop;
    private EventLoopGroup group;
    private IoEventLoop netty;
    private Promise<Void> done;
    private final Runnable nettyFire = () -> {
        if (++fired == TimerBenchSupport.BATCH) {
            done.setSuccess(null);
        }
    };
    private final Runnable nettyBatch = () -> {
        for (long d : tiny) {
            netty.schedule(nettyFire, d, TimeUnit.NANOSECONDS);
        }
    };

    @Setup(Level.Trial)
    public void setUp() {
        switch (impl) {
            case "weft-wheel" -> wheel = new TimerWheel(1_000_000L, 0L);
            case "weft-loop" -> loop = EventLoop.builder().clock(() -> now).build();
            case "netty-loop" -> {
                group = TimerBenchSupport.nettyGroup();
                netty = TimerBenchSupport.nettyLoop(group);
            }
            default -> throw new IllegalArgumentException("unknown impl " + impl);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (loop != null) {
            loop.close();
        }
        TimerBenchSupport.shutdown(group);
    }

    @Benchmark
    @OperationsPerInvocation(TimerBenchSupport.BATCH)
    public int expiry() throws Exception {
        fired = 0;
        switch (impl) {
            case "weft-wheel" -> {
                long base = now;
                for (long d : spread) {
                    wheel.schedule(base + d, TimerBenchSupport.NOOP);
                }
                now = base + SPREAD;
                wheel.poll(now, onFire, Integer.MAX_VALUE);
            }
            case "weft-loop" -> {
                for (long d : spread) {
                    loop.callLater(d, TimeUnit.NANOSECONDS, count);
                }
                now += SPREAD;
                while (fired < TimerBenchSupport.BATCH) {
                    loop.runOnce();
                }
            }
            default -> {
                done = netty.newPromise();
                netty.execute(nettyBatch);
                done.sync();
            }
        }
        if (fired != TimerBenchSupport.BATCH) {
            throw new IllegalStateException(fired + " of " + TimerBenchSupport.BATCH + " timers fired");
        }
        return fired;
    }
}
