package dev.weft.bench.jmh;

import dev.weft.loop.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.concurrent.EventExecutor;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.TimeUnit;
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
 * Scheduling a callback and running it. One operation = one callback queued and run; each
 * invocation queues {@value #BATCH} and waits until the last one ran.
 *
 * <ul>
 *   <li>{@code weftSameThread}: {@code callSoon} on a loop that is not running (the benchmark thread
 *       is its loop thread), then one {@code runOnce()} runs the batch.</li>
 *   <li>{@code weftSameThreadExecute}: as {@code weftSameThread} with {@code execute}, which returns
 *       no handle.</li>
 *   <li>{@code weftCrossThread}: {@code callSoonThreadsafe} from the benchmark thread into a loop
 *       running on its own thread (MPSC inbox plus a wakeup when the loop sleeps); the benchmark
 *       thread spins until the loop has run the batch. Each call makes the handle it returns.</li>
 *   <li>{@code weftCrossThreadExecute}: as {@code weftCrossThread} with {@code execute}: no handle,
 *       nothing allocated.</li>
 *   <li>{@code nettySameThread}: {@code execute} on Netty's NIO event loop from its own thread (one
 *       task hands the batch over).</li>
 *   <li>{@code nettyCrossThread}: {@code execute} on Netty's NIO event loop from the benchmark thread.</li>
 * </ul>
 * Cross-thread figures need two cores: the loop thread and the benchmark thread each spin on one.
 * The cross-thread callbacks count into a {@link Completions} alone on its cache lines: a counter
 * beside the fields the benchmark thread reads on every call would make each of those reads miss
 * while the loop runs, and charge that miss to whichever loop is measured.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class CallSoonBench {
    static final int BATCH = 1024;

    private EventLoop sameLoop;
    private EventLoop crossLoop;
    private Thread crossThread;
    private EventLoopGroup group;
    private EventExecutor netty;

    private int sameCount;
    private final Completions cross = new Completions();
    private long crossTarget;

    private final Runnable sameTask = () -> sameCount++;
    private final Runnable crossTask = cross::add;
    private final Runnable nettyBatch = () -> {
        for (int i = 0; i < BATCH; i++) {
            netty.execute(crossTask);
        }
    };

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        sameLoop = EventLoop.create();
        crossLoop = EventLoop.create();
        crossThread = new Thread(crossLoop::runForever, "weft-loop");
        crossThread.setDaemon(true);
        crossThread.start();
        while (!crossLoop.isRunning()) {
            Thread.onSpinWait();
        }
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        netty = group.next();
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        sameLoop.close();
        crossLoop.stop();
        crossThread.join(5_000);
        crossLoop.close();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private void awaitCross() {
        crossTarget += BATCH;
        while (cross.count() < crossTarget) {
            Thread.onSpinWait();
        }
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int weftSameThread() {
        sameCount = 0;
        for (int i = 0; i < BATCH; i++) {
            sameLoop.callSoon(sameTask);
        }
        sameLoop.runOnce();
        if (sameCount != BATCH) {
            throw new IllegalStateException(sameCount + " of " + BATCH + " callbacks ran");
        }
        return sameCount;
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int weftSameThreadExecute() {
        sameCount = 0;
        for (int i = 0; i < BATCH; i++) {
            sameLoop.execute(sameTask);
        }
        sameLoop.runOnce();
        if (sameCount != BATCH) {
            throw new IllegalStateException(sameCount + " of " + BATCH + " callbacks ran");
        }
        return sameCount;
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void weftCrossThreadExecute() {
        for (int i = 0; i < BATCH; i++) {
            crossLoop.execute(crossTask);
        }
        awaitCross();
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void weftCrossThread() {
        for (int i = 0; i < BATCH; i++) {
            crossLoop.callSoonThreadsafe(crossTask);
        }
        awaitCross();
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void nettySameThread() {
        netty.execute(nettyBatch);
        awaitCross();
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void nettyCrossThread() {
        for (int i = 0; i < BATCH; i++) {
            netty.execute(crossTask);
        }
        awaitCross();
    }

    /**
     * How many cross-thread callbacks ran: written by the one loop thread running them (an ordered
     * store, it is the only writer), read by the benchmark thread; padded on both sides.
     */
    static final class Completions extends CompletionsValue {
        long q01, q02, q03, q04, q05, q06, q07, q08;

        void add() {
            COUNT.setRelease(this, count + 1);
        }

        long count() {
            return (long) COUNT.getAcquire(this);
        }
    }

    abstract static class CompletionsPad {
        long p01, p02, p03, p04, p05, p06, p07, p08;
    }

    abstract static class CompletionsValue extends CompletionsPad {
        static final VarHandle COUNT;

        static {
            try {
                COUNT = MethodHandles.lookup().findVarHandle(CompletionsValue.class, "count", long.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        long count;
    }
}
