package dev.weft.bench.jmh;

import dev.weft.loop.EventLoop;
import dev.weft.loop.LoopFuture;
import dev.weft.loop.task.Task;
import dev.weft.loop.task.TaskMode;
import dev.weft.loop.task.Tasks;
import dev.weft.loop.queue.Queue;
import dev.weft.loop.sync.Lock;
import java.util.Locale;
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
 * Tasks in both execution modes ({@code mode}: {@code virtual}, a virtual thread scheduled by the
 * loop, JDK 21+; {@code handoff}, a platform thread per task with a strict hand-off). The mode is a
 * per-JVM choice ({@code -Dweft.tasks.mode}); JMH forks one JVM per parameter combination and the
 * trial set-up sets the property before any task exists, then fails the trial unless
 * {@link Tasks#mode()} is the requested mode, so a fallback is never measured.
 *
 * <p>The loop runs on the benchmark thread. Every benchmark except {@code createTask} runs its
 * operations inside one task that lives for the whole trial: each invocation wakes it, it performs
 * a batch of operations ({@value #BATCH} for {@code awaitResume}, {@value #NOWAIT_BATCH} for those
 * that never suspend) and completes the invocation's future, then suspends again: two suspensions
 * per invocation, amortized over the batch (in hand-off mode a wake-up costs microseconds, so the
 * large batch keeps it below a nanosecond per operation).
 *
 * <ul>
 *   <li>{@code awaitResume}: the await/resume round trip. The task awaits a future whose completion
 *       is already queued on the loop ({@code callSoon}), so it suspends, the loop completes the
 *       future, the wake-up resumes the task: asyncio's {@code await sleep(0)}.</li>
 *   <li>{@code awaitDone}: {@code Tasks.await} of an already completed future, which returns at once
 *       without suspending (asyncio semantics): the floor of an await.</li>
 *   <li>{@code createTask}: create a task whose body returns a constant and run it to completion;
 *       {@value #CREATE_BATCH} tasks per invocation, run by the loop one after the other.</li>
 *   <li>{@code lockAcquireRelease}: uncontended {@link Lock#acquire()} + {@link Lock#release()}.</li>
 *   <li>{@code queuePutGet}: {@link Queue#put} then {@link Queue#get} on an unbounded queue (neither waits).</li>
 * </ul>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class TaskBench {
    static final int BATCH = 1024;
    /** Operations per invocation of the benchmarks that never suspend, so the two wake-ups vanish in the mean. */
    static final int NOWAIT_BATCH = 64 * 1024;
    static final int CREATE_BATCH = 256;
    private static final Integer VALUE = 42;

    @Param({"virtual", "handoff"})
    public String mode;

    private EventLoop loop;
    private Task<Void> worker;
    /** The operation the worker task runs {@value #BATCH} times per invocation; set by each benchmark. */
    private Runnable op;
    private int opCount;
    private LoopFuture<Void> go;
    private LoopFuture<Void> finished;
    private boolean stopping;
    private int sum;
    private int ran;

    private LoopFuture<Integer> completed;
    private LoopFuture<Integer> pending;
    private final Runnable completePending = () -> pending.setResult(VALUE);
    private final Lock lock = new Lock();
    private final Queue<Integer> queue = new Queue<>();

    private final Runnable awaitResumeOp = () -> {
        LoopFuture<Integer> f = loop.createFuture();
        pending = f;
        loop.callSoon(completePending);
        sum += Tasks.await(f);
    };
    private final Runnable awaitDoneOp = () -> sum += Tasks.await(completed);
    private final Runnable lockOp = () -> {
        lock.acquire();
        sum += VALUE;
        lock.release();
    };
    private final Runnable queueOp = () -> {
        queue.put(VALUE);
        sum += queue.get();
    };

    @Setup(Level.Trial)
    public void setUp() {
        TaskMode wanted = TaskMode.valueOf(mode.toUpperCase(Locale.ROOT));
        System.setProperty("weft.tasks.mode", mode);
        TaskMode actual;
        try {
            actual = Tasks.mode();
        } catch (RuntimeException e) {
            throw new IllegalStateException("mode=" + mode + " is unavailable in this JVM (" + Runtime.version() + "): "
                    + e.getMessage(), e);
        }
        if (actual != wanted) {
            throw new IllegalStateException("mode=" + mode + " requested, but Tasks.mode() is " + actual
                    + " (the mode was chosen before the set-up ran); refusing to measure it");
        }
        loop = EventLoop.create();
        completed = loop.createFuture();
        completed.setResult(VALUE);
        go = loop.createFuture();
        worker = loop.createTask(this::work, "bench-worker");
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        stopping = true;
        go.setResult(null);
        loop.runUntilComplete(worker);
        loop.close();
    }

    /** The worker's body: one batch of {@link #op} per wake-up, until the tear-down. */
    private Void work() {
        while (true) {
            Tasks.await(go);
            if (stopping) {
                return null;
            }
            Runnable o = op;
            for (int i = 0, n = opCount; i < n; i++) {
                o.run();
            }
            go = loop.createFuture();
            finished.setResult(null);
        }
    }

    /** One invocation: wake the worker for a batch of {@code o}, run the loop until the batch is over. */
    private int batch(Runnable o, int n) {
        sum = 0;
        op = o;
        opCount = n;
        LoopFuture<Void> f = loop.createFuture();
        finished = f;
        go.setResult(null);
        loop.runUntilComplete(f);
        if (sum != n * VALUE) {
            throw new IllegalStateException("the batch added " + sum + ", expected " + n * VALUE);
        }
        return sum;
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int awaitResume() {
        return batch(awaitResumeOp, BATCH);
    }

    @Benchmark
    @OperationsPerInvocation(NOWAIT_BATCH)
    public int awaitDone() {
        return batch(awaitDoneOp, NOWAIT_BATCH);
    }

    @Benchmark
    @OperationsPerInvocation(NOWAIT_BATCH)
    public int lockAcquireRelease() {
        return batch(lockOp, NOWAIT_BATCH);
    }

    @Benchmark
    @OperationsPerInvocation(NOWAIT_BATCH)
    public int queuePutGet() {
        return batch(queueOp, NOWAIT_BATCH);
    }

    @Benchmark
    @OperationsPerInvocation(CREATE_BATCH)
    public int createTask() {
        ran = 0;
        Task<Integer> last = null;
        for (int i = 0; i < CREATE_BATCH; i++) {
            last = loop.createTask(this::trivial);
        }
        int v = loop.runUntilComplete(last);
        if (ran != CREATE_BATCH) {
            throw new IllegalStateException(ran + " of " + CREATE_BATCH + " tasks ran");
        }
        return v;
    }

    private Integer trivial() {
        ran++;
        return VALUE;
    }
}
