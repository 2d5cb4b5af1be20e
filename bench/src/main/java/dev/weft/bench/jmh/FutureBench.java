package dev.weft.bench.jmh;

import dev.weft.loop.EventLoop;
import dev.weft.loop.LoopFuture;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.FutureListener;
import io.netty.util.concurrent.Promise;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Future completion with one callback. One operation = create a future, add a callback, complete
 * it, and the callback has run; {@value #BATCH} per invocation.
 *
 * <ul>
 *   <li>{@code weftLoopFuture}: {@link LoopFuture} on a loop that is not running; callbacks are never
 *       run inline (asyncio semantics), so completion schedules them and one {@code runOnce()} runs
 *       the batch.</li>
 *   <li>{@code nettyPromise}: {@code DefaultPromise} of Netty's NIO event loop, on the loop thread,
 *       where Netty runs listeners inline at completion.</li>
 *   <li>{@code completableFuture}: {@link CompletableFuture#whenComplete} then {@code complete}
 *       (inline, no loop): the JDK's floor.</li>
 * </ul>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class FutureBench {
    static final int BATCH = 1024;
    private static final Integer VALUE = 42;

    private EventLoop loop;
    private EventLoopGroup group;
    private EventExecutor netty;
    private int done;
    private final Consumer<LoopFuture<Integer>> weftCallback = f -> done += f.result();
    private final FutureListener<Integer> nettyListener = f -> done += f.getNow();
    private final BiConsumer<Integer, Throwable> jdkCallback = (v, t) -> done += v;
    private final Runnable nettyBatch = () -> {
        for (int i = 0; i < BATCH; i++) {
            Promise<Integer> p = netty.newPromise();
            p.addListener(nettyListener);
            p.setSuccess(VALUE);
        }
    };

    @Setup(Level.Trial)
    public void setUp() {
        loop = EventLoop.create();
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        netty = group.next();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        loop.close();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private int check() {
        if (done != BATCH * VALUE) {
            throw new IllegalStateException("callbacks added " + done + ", expected " + BATCH * VALUE);
        }
        return done;
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int weftLoopFuture() {
        done = 0;
        for (int i = 0; i < BATCH; i++) {
            LoopFuture<Integer> f = loop.createFuture();
            f.addDoneCallback(weftCallback);
            f.setResult(VALUE);
        }
        loop.runOnce();
        return check();
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int nettyPromise() throws Exception {
        done = 0;
        netty.submit(nettyBatch).get();
        return check();
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int completableFuture() {
        done = 0;
        for (int i = 0; i < BATCH; i++) {
            CompletableFuture<Integer> f = new CompletableFuture<>();
            f.whenComplete(jdkCallback);
            f.complete(VALUE);
        }
        return check();
    }
}
