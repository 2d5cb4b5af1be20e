package dev.weft.bench.jmh;

import dev.weft.loop.EventLoop;
import dev.weft.loop.TimerHandle;
import dev.weft.loop.core.TimerWheel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoEventLoop;
import io.netty.util.HashedWheelTimer;
import io.netty.util.Timeout;
import io.netty.util.TimerTask;
import java.util.concurrent.ScheduledFuture;
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
 * One operation = schedule a timer 1–2 s ahead, then cancel it (the idle-timeout pattern), with
 * {@value TimerBenchSupport#BACKLOG} other timers live in the structure. Each invocation schedules a
 * batch of {@value TimerBenchSupport#BATCH}, then cancels them in schedule order.
 *
 * <ul>
 *   <li>{@code weft-wheel}: {@link TimerWheel#schedule} / {@link TimerWheel#cancel} directly.</li>
 *   <li>{@code weft-loop}: {@link EventLoop#callLater} / {@link TimerHandle#cancel} on the loop
 *       thread: the batch is one {@code callSoon} callback run by {@code runOnce()} on the benchmark
 *       thread (a handle object per timer).</li>
 *   <li>{@code weft-loop-id}: {@link EventLoop#scheduleTimer} / {@link EventLoop#cancelTimer} the same
 *       way: a {@code long} id, no handle.</li>
 *   <li>{@code netty-loop}: {@code schedule} / {@code cancel(false)} on Netty's NIO event loop, run
 *       on the loop thread (the batch is one task submitted to it: one hand-off per batch).</li>
 *   <li>{@code netty-hwt}: {@code HashedWheelTimer.newTimeout} / {@code Timeout.cancel} (1 ms tick)
 *       from the benchmark thread: the caller's side only; the worker thread moves and removes
 *       timeouts later, on its own core.</li>
 * </ul>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class TimerScheduleCancelBench {
    @Param({"weft-wheel", "weft-loop", "weft-loop-id", "netty-loop", "netty-hwt"})
    public String impl;

    private final long[] delays = TimerBenchSupport.delays(TimerBenchSupport.BATCH, 1_000_000_000L, 1_000_000_000L, 42);
    private final long[] ids = new long[TimerBenchSupport.BATCH];
    private final TimerHandle[] handles = new TimerHandle[TimerBenchSupport.BATCH];
    private final Object[] nettyFutures = new Object[TimerBenchSupport.BATCH];
    private final Timeout[] timeouts = new Timeout[TimerBenchSupport.BATCH];

    private TimerWheel wheel;
    private long wheelNow;
    private EventLoop loop;
    private EventLoopGroup group;
    private IoEventLoop netty;
    private HashedWheelTimer hwt;
    private Runnable nettyBatch;
    private final Runnable weftBatch = this::weftScheduleCancel;
    private final Runnable weftIdBatch = this::weftIdScheduleCancel;
    private boolean idBatchRan;
    private static final TimerTask HWT_NOOP = t -> { };

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        long[] backlog = TimerBenchSupport.delays(TimerBenchSupport.BACKLOG, 1_000_000_000L, 1_000_000_000L, 7);
        switch (impl) {
            case "weft-wheel" -> {
                wheel = new TimerWheel(1_000_000L, 0L);
                for (long d : backlog) {
                    wheel.schedule(d, TimerBenchSupport.NOOP);
                }
            }
            case "weft-loop", "weft-loop-id" -> {
                loop = EventLoop.create();
                for (long d : backlog) {
                    loop.callLater(d, TimeUnit.NANOSECONDS, TimerBenchSupport.NOOP);
                }
            }
            case "netty-loop" -> {
                group = TimerBenchSupport.nettyGroup();
                netty = TimerBenchSupport.nettyLoop(group);
                netty.submit(() -> {
                    for (long d : backlog) {
                        netty.schedule(TimerBenchSupport.NOOP, d, TimeUnit.NANOSECONDS);
                    }
                }).get();
                nettyBatch = this::nettyScheduleCancel;
            }
            case "netty-hwt" -> {
                hwt = new HashedWheelTimer(r -> {
                    Thread t = new Thread(r, "hwt");
                    t.setDaemon(true);
                    return t;
                }, 1, TimeUnit.MILLISECONDS, 512);
                for (long d : backlog) {
                    hwt.newTimeout(HWT_NOOP, d, TimeUnit.NANOSECONDS);
                }
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
        if (hwt != null) {
            hwt.stop();
        }
    }

    private void weftScheduleCancel() {
        for (int i = 0; i < delays.length; i++) {
            handles[i] = loop.callLater(delays[i], TimeUnit.NANOSECONDS, TimerBenchSupport.NOOP);
        }
        for (int i = 0; i < delays.length; i++) {
            handles[i].cancel();
        }
    }

    private void weftIdScheduleCancel() {
        long now = loop.time();
        for (int i = 0; i < delays.length; i++) {
            ids[i] = loop.scheduleTimer(now + delays[i], TimerBenchSupport.NOOP);
        }
        for (int i = 0; i < delays.length; i++) {
            if (!loop.cancelTimer(ids[i])) {
                throw new IllegalStateException("timer " + ids[i] + " was not pending");
            }
        }
        idBatchRan = true;
    }

    private void nettyScheduleCancel() {
        for (int i = 0; i < delays.length; i++) {
            nettyFutures[i] = netty.schedule(TimerBenchSupport.NOOP, delays[i], TimeUnit.NANOSECONDS);
        }
        for (int i = 0; i < delays.length; i++) {
            ((ScheduledFuture<?>) nettyFutures[i]).cancel(false);
        }
    }

    @Benchmark
    @OperationsPerInvocation(TimerBenchSupport.BATCH)
    public void scheduleCancel() throws Exception {
        switch (impl) {
            case "weft-wheel" -> {
                long now = wheelNow;
                for (int i = 0; i < delays.length; i++) {
                    ids[i] = wheel.schedule(now + delays[i], TimerBenchSupport.NOOP);
                }
                for (int i = 0; i < delays.length; i++) {
                    if (!wheel.cancel(ids[i])) {
                        throw new IllegalStateException("timer " + ids[i] + " was not pending");
                    }
                }
            }
            case "weft-loop" -> {
                loop.callSoon(weftBatch);
                loop.runOnce();
                if (!handles[delays.length - 1].isCancelled()) {
                    throw new IllegalStateException("the batch did not run");
                }
            }
            case "weft-loop-id" -> {
                idBatchRan = false;
                loop.execute(weftIdBatch);
                loop.runOnce();
                if (!idBatchRan) {
                    throw new IllegalStateException("the batch did not run");
                }
            }
            case "netty-loop" -> netty.submit(nettyBatch).get();
            default -> {
                for (int i = 0; i < delays.length; i++) {
                    timeouts[i] = hwt.newTimeout(HWT_NOOP, delays[i], TimeUnit.NANOSECONDS);
                }
                for (int i = 0; i < delays.length; i++) {
                    timeouts[i].cancel();
                }
            }
        }
    }
}
