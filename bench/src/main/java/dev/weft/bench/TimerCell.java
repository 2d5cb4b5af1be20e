package dev.weft.bench;

import dev.weft.loop.EventLoop;
import dev.weft.loop.LoopFuture;
import dev.weft.loop.TimerHandle;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.HashedWheelTimer;
import io.netty.util.Timeout;
import io.netty.util.TimerTask;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Promise;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code timers --impl weft-loop|netty-loop|netty-hwt [--count N] [--reps R]}: the report's timers
 * cell, in its own JVM. Each repetition runs two phases on {@code N} timers (default 1M) and prints
 * one JSON line per phase:
 *
 * <ul>
 *   <li>{@code schedule_cancel}: schedule N timers 1–2 s ahead (random order), then cancel them in
 *       schedule order; one operation = one schedule plus one cancel.</li>
 *   <li>{@code expiry}: schedule N timers due within 10 ms of the start (random order) and run until
 *       every callback ran; one operation = one schedule plus one firing. Scheduling 1M timers takes
 *       longer than 10 ms, so the figure is work, not waiting on the clock.</li>
 * </ul>
 * Weft and Netty's event loop do both on the loop thread (one task submitted to it); time and
 * allocated bytes ({@code ThreadMXBean}) are taken on that thread. {@code HashedWheelTimer} (1 ms
 * tick, 512 buckets) is called from the main thread and its worker thread fires and removes
 * timeouts: the phase ends when the worker is done (no pending timeouts, or every callback ran),
 * and allocation is the sum over both threads. The first repetition is a warm-up.
 */
final class TimerCell {
    static final List<String> IMPLS = List.of("weft-loop", "netty-loop", "netty-hwt");
    private static final Runnable NOOP = () -> { };

    private TimerCell() {
    }

    private static com.sun.management.ThreadMXBean mx() {
        return (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    }

    /** One phase's result: elapsed nanoseconds and bytes allocated by the threads doing the work. */
    record Measure(long nanos, long bytes) {
    }

    static long[] delays(int n, long from, long span, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        long[] d = new long[n];
        for (int i = 0; i < n; i++) {
            d[i] = from + r.nextLong(span);
        }
        return d;
    }

    static Map<String, Object> line(String impl, String phase, int rep, boolean warmup, int n, Measure m) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("impl", impl);
        o.put("phase", phase);
        o.put("rep", rep);
        o.put("warmup", warmup);
        o.put("count", n);
        o.put("seconds", m.nanos() / 1e9);
        o.put("ops_per_s", n / (m.nanos() / 1e9));
        o.put("alloc_bytes_per_op", m.bytes() < 0 ? null : m.bytes() / (double) n);
        return o;
    }

    // ---------------------------------------------------------------- Weft

    static final class Weft {
        final EventLoop loop = EventLoop.create();
        final TimerHandle[] handles;
        final long[] far;
        final long[] near;
        int fired;

        Weft(int n) {
            handles = new TimerHandle[n];
            far = delays(n, 1_000_000_000L, 1_000_000_000L, 1);
            near = delays(n, 0, 10_000_000L, 2);
        }

        Measure scheduleCancel() {
            long[] out = new long[2];
            LoopFuture<Void> done = loop.createFuture();
            loop.callSoon(() -> {
                long b0 = mx().getCurrentThreadAllocatedBytes();
                long t0 = System.nanoTime();
                for (int i = 0; i < far.length; i++) {
                    handles[i] = loop.callLater(far[i], TimeUnit.NANOSECONDS, NOOP);
                }
                for (TimerHandle h : handles) {
                    h.cancel();
                }
                out[0] = System.nanoTime() - t0;
                out[1] = mx().getCurrentThreadAllocatedBytes() - b0;
                done.setResult(null);
            });
            loop.runUntilComplete(done);
            if (loop.pendingTimers() != 0) {
                throw new IllegalStateException(loop.pendingTimers() + " timers still pending after cancel");
            }
            return new Measure(out[0], out[1]);
        }

        Measure expiry() {
            long[] out = new long[2];
            LoopFuture<Void> done = loop.createFuture();
            fired = 0;
            Runnable fire = () -> {
                if (++fired == near.length) {
                    out[0] = System.nanoTime() - out[0];
                    out[1] = mx().getCurrentThreadAllocatedBytes() - out[1];
                    done.setResult(null);
                }
            };
            loop.callSoon(() -> {
                out[1] = mx().getCurrentThreadAllocatedBytes();
                out[0] = System.nanoTime();
                for (long d : near) {
                    loop.callLater(d, TimeUnit.NANOSECONDS, fire);
                }
            });
            loop.runUntilComplete(done);
            return new Measure(out[0], out[1]);
        }
    }

    // ---------------------------------------------------------------- Netty's event loop

    static final class NettyLoop {
        final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        final EventExecutor loop = group.next();
        final ScheduledFuture<?>[] futures;
        final long[] far;
        final long[] near;
        int fired;

        NettyLoop(int n) {
            futures = new ScheduledFuture<?>[n];
            far = delays(n, 1_000_000_000L, 1_000_000_000L, 1);
            near = delays(n, 0, 10_000_000L, 2);
        }

        Measure scheduleCancel() throws Exception {
            return loop.submit(() -> {
                long b0 = mx().getCurrentThreadAllocatedBytes();
                long t0 = System.nanoTime();
                for (int i = 0; i < far.length; i++) {
                    futures[i] = loop.schedule(NOOP, far[i], TimeUnit.NANOSECONDS);
                }
                for (ScheduledFuture<?> f : futures) {
                    f.cancel(false);
                }
                return new Measure(System.nanoTime() - t0, mx().getCurrentThreadAllocatedBytes() - b0);
            }).get();
        }

        Measure expiry() throws Exception {
            long[] out = new long[2];
            Promise<Measure> done = loop.newPromise();
            fired = 0;
            Runnable fire = () -> {
                if (++fired == near.length) {
                    done.setSuccess(new Measure(System.nanoTime() - out[0], mx().getCurrentThreadAllocatedBytes() - out[1]));
                }
            };
            loop.execute(() -> {
                out[1] = mx().getCurrentThreadAllocatedBytes();
                out[0] = System.nanoTime();
                for (long d : near) {
                    loop.schedule(fire, d, TimeUnit.NANOSECONDS);
                }
            });
            return done.get();
        }

        void close() {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    // ---------------------------------------------------------------- HashedWheelTimer

    static final class Hwt {
        final AtomicLong workerId = new AtomicLong(-1);
        final HashedWheelTimer timer = new HashedWheelTimer(r -> {
            Thread t = new Thread(r, "hashed-wheel-timer");
            t.setDaemon(true);
            workerId.set(t.getId());
            return t;
        }, 1, TimeUnit.MILLISECONDS, 512);
        final Timeout[] timeouts;
        final long[] far;
        final long[] near;
        final AtomicLong fired = new AtomicLong();

        Hwt(int n) {
            timeouts = new Timeout[n];
            far = delays(n, 1_000_000_000L, 1_000_000_000L, 1);
            near = delays(n, 0, 10_000_000L, 2);
            timer.start();
        }

        long allocated() {
            long main = mx().getCurrentThreadAllocatedBytes();
            long worker = mx().getThreadAllocatedBytes(workerId.get());
            return main < 0 || worker < 0 ? -1 : main + worker;
        }

        Measure scheduleCancel() throws InterruptedException {
            TimerTask noop = t -> { };
            long b0 = allocated();
            long t0 = System.nanoTime();
            for (int i = 0; i < far.length; i++) {
                timeouts[i] = timer.newTimeout(noop, far[i], TimeUnit.NANOSECONDS);
            }
            for (Timeout t : timeouts) {
                t.cancel();
            }
            waitFor(() -> timer.pendingTimeouts() == 0, "pending timeouts to drain");
            return new Measure(System.nanoTime() - t0, allocated() - b0);
        }

        Measure expiry() throws InterruptedException {
            fired.set(0);
            TimerTask fire = t -> fired.incrementAndGet();
            long b0 = allocated();
            long t0 = System.nanoTime();
            for (long d : near) {
                timer.newTimeout(fire, d, TimeUnit.NANOSECONDS);
            }
            waitFor(() -> fired.get() == near.length, "every timeout to fire");
            return new Measure(System.nanoTime() - t0, allocated() - b0);
        }

        private static void waitFor(java.util.function.BooleanSupplier c, String what) throws InterruptedException {
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!c.getAsBoolean()) {
                if (System.nanoTime() > end) {
                    throw new IllegalStateException("HashedWheelTimer: gave up waiting 60 s for " + what);
                }
                Thread.sleep(0, 200_000);
            }
        }
    }

    static int run(String[] argv, int from) throws Exception {
        Args a = Args.parse("timers", argv, from, Set.of("impl", "count", "reps"), Set.of()).expectPositional(0, "");
        String impl = a.choice("impl", null, IMPLS);
        int n = a.integer("count", 1_000_000, 1, 50_000_000);
        int reps = a.integer("reps", 3, 1, 100);
        List<Map<String, Object>> lines = new ArrayList<>();
        switch (impl) {
            case "weft-loop" -> {
                Weft w = new Weft(n);
                for (int r = 0; r <= reps; r++) {
                    emit(lines, line(impl, "schedule_cancel", r, r == 0, n, w.scheduleCancel()));
                    emit(lines, line(impl, "expiry", r, r == 0, n, w.expiry()));
                }
                w.loop.close();
            }
            case "netty-loop" -> {
                NettyLoop w = new NettyLoop(n);
                for (int r = 0; r <= reps; r++) {
                    emit(lines, line(impl, "schedule_cancel", r, r == 0, n, w.scheduleCancel()));
                    emit(lines, line(impl, "expiry", r, r == 0, n, w.expiry()));
                }
                w.close();
            }
            default -> {
                Hwt w = new Hwt(n);
                for (int r = 0; r <= reps; r++) {
                    emit(lines, line(impl, "schedule_cancel", r, r == 0, n, w.scheduleCancel()));
                    emit(lines, line(impl, "expiry", r, r == 0, n, w.expiry()));
                }
                w.timer.stop();
            }
        }
        return 0;
    }

    private static void emit(List<Map<String, Object>> lines, Map<String, Object> l) {
        lines.add(l);
        System.out.println(Json.write(l));
        System.out.flush();
    }

    static final List<String> PHASES = List.of("schedule_cancel", "expiry");

    /**
     * The cells from the JSON lines of every impl's runs: per impl and phase, the median and
     * min–max of ops/s and the median allocation per op over the measured (non-warm-up) runs, and
     * the ratio of ops/s to Netty's event loop.
     */
    static List<Object> cells(List<Map<String, Object>> lines) {
        Map<String, List<Map<String, Object>>> byKey = new LinkedHashMap<>();
        for (Map<String, Object> l : lines) {
            if (Boolean.TRUE.equals(l.get("warmup"))) {
                continue;
            }
            byKey.computeIfAbsent(l.get("impl") + "|" + l.get("phase"), k -> new ArrayList<>()).add(l);
        }
        List<Object> cells = new ArrayList<>();
        Map<String, Double> medians = new LinkedHashMap<>();
        for (Map.Entry<String, List<Map<String, Object>>> e : byKey.entrySet()) {
            String[] k = e.getKey().split("\\|", 2);
            List<Double> ops = new ArrayList<>();
            List<Double> alloc = new ArrayList<>();
            for (Map<String, Object> l : e.getValue()) {
                ops.add(Report.num(l, "ops_per_s"));
                alloc.add(Report.num(l, "alloc_bytes_per_op"));
            }
            Map<String, Object> c = new LinkedHashMap<>();
            c.put("impl", k[0]);
            c.put("phase", k[1]);
            c.put("count", e.getValue().get(0).get("count"));
            c.put("repetitions", e.getValue().size());
            c.put("ops_per_s", Stats.median(ops));
            c.put("ops_per_s_min", Stats.min(ops));
            c.put("ops_per_s_max", Stats.max(ops));
            c.put("alloc_bytes_per_op", Stats.median(alloc));
            medians.put(e.getKey(), Stats.median(ops));
            cells.add(c);
        }
        for (Object o : cells) {
            @SuppressWarnings("unchecked")
            Map<String, Object> c = (Map<String, Object>) o;
            c.put("ops_per_s_vs_netty_loop", Stats.ratio(medians.get(c.get("impl") + "|" + c.get("phase")),
                    medians.get("netty-loop|" + c.get("phase"))));
        }
        return cells;
    }
}
