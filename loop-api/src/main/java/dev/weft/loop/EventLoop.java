package dev.weft.loop;

import dev.weft.loop.core.CreationSite;
import dev.weft.loop.core.Inbox;
import dev.weft.loop.core.Nanos;
import dev.weft.loop.core.LoopInternals;
import dev.weft.loop.core.LoopMetrics;
import dev.weft.loop.core.LoopProbe;
import dev.weft.loop.core.ReadyQueue;
import dev.weft.loop.core.TimerWheel;
import dev.weft.loop.core.WakeupFlag;
import dev.weft.loop.task.Coroutine;
import dev.weft.loop.task.Task;
import dev.weft.loop.task.Tasks;
import dev.weft.loop.spi.IoDriver;
import dev.weft.loop.spi.LoopBackend;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.NonReadableChannelException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.WeakHashMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * One event loop: a single thread that runs callbacks, timers and I/O, with asyncio's semantics.
 *
 * <h2>One iteration: {@link #runOnce()}</h2>
 * Each iteration runs these phases in this order, and is the only place callbacks are called:
 * <ol>
 *   <li><b>Inbox.</b> Drain what other threads sent through the MPSC inbox (a bounded ring with
 *       an overflow list, see {@link Inbox})
 *       ({@link #callSoonThreadsafe}, timers scheduled or cancelled off the loop thread) into the
 *       ready queue and the timer wheel.</li>
 *   <li><b>I/O.</b> Poll the backend: without blocking if callbacks are ready or the loop is
 *       stopping, else until the earliest timer is due (forever with no timer), or until woken.
 *       Ready or completed I/O is dispatched to transports and their protocols right there. A loop
 *       that took work from other threads since it last slept can first watch its inbox for a while
 *       (opt-in: {@code -Dweft.loop.handoffSpinNanos=2000}; 0, the default, never): a burst that
 *       goes on within that time is then taken without a wake-up.</li>
 *   <li><b>Timers.</b> Every timer whose deadline has passed moves to the ready queue in deadline
 *       order, equal deadlines in the order they were scheduled. A timer never runs early.</li>
 *   <li><b>Ready callbacks.</b> Run exactly the callbacks queued when this phase began, FIFO;
 *       callbacks they schedule run in the next iteration.</li>
 *   <li><b>Catching up.</b> If nothing the loop queued itself is waiting, run what other threads
 *       sent meanwhile (up to 1,024 items) without another poll. Waiting for the
 *       next iteration would cost a poll per batch; running them now overtakes nothing, since the
 *       ready queue is empty. A callback they schedule ends this phase.</li>
 * </ol>
 *
 * <h2>Threads</h2>
 * The loop belongs to the thread running it. Methods that say "thread-safe"
 * ({@link #callSoonThreadsafe}, {@link #execute}, {@link #stop}, {@link #time}, {@link #stats},
 * {@link #isRunning}, {@link #isClosed}) may be called from anywhere; the others, called from
 * another thread while the loop runs, fail at once with {@link IllegalStateException}, before they
 * look at their arguments or change anything. Before the loop first runs, set it up from one thread.
 *
 * <h2>Time</h2>
 * Deadlines are nanoseconds of the loop's clock, points on a signed 64-bit line. Every sum and
 * difference the loop makes with them saturates at {@link Long#MIN_VALUE} and
 * {@link Long#MAX_VALUE} instead of wrapping: a delay too large for the line schedules at its end
 * (never reached), a deadline far in the past is simply due. A deadline that overflowed in the
 * caller's own arithmetic ({@code time() + Long.MAX_VALUE + 1} is negative) is in the past and
 * runs at the next iteration; use {@link #callLater} for far deadlines, it saturates. The poll
 * never waits more than {@link #MAX_POLL_NANOS} at a time (asyncio caps it at a day too).
 *
 * <h2>Errors</h2>
 * What a callback throws goes to the exception handler, with context, and the loop goes on. The
 * exception handling itself never throws: see {@link #callExceptionHandler}.
 *
 * <h2>Idle</h2>
 * An idle loop blocks in the backend's poll and uses no CPU.
 */
public final class EventLoop implements Executor, AutoCloseable {
    private static final System.Logger LOG = System.getLogger("dev.weft.loop");
    private static final long TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    /** The longest one poll waits: one day. */
    static final long MAX_POLL_NANOS = TimeUnit.DAYS.toNanos(1);
    private static final Object WAKE = new Object();
    private static final LoopProbe PROBE = LoopProbe.INSTANCE;
    private static final AtomicInteger LOOP_IDS = new AtomicInteger();
    /** The loop the current thread is running, for error messages only. */
    private static final ThreadLocal<EventLoop> RUNNING_HERE = new ThreadLocal<>();
    /** Slots of the inbox ring; more wait in its overflow list, nothing is refused. */
    static final int INBOX_CAPACITY = 4096;
    /** At most this many inbox items run at the end of an iteration that found them meanwhile. */
    static final int INBOX_CHASE = 1024;
    /** The default of {@code weft.loop.handoffSpinNanos}. */
    static final long DEFAULT_HANDOFF_SPIN_NANOS = 0;

    static {
        // Loaded with the loop, not on first use: these run when the process may have no
        // descriptor left to open a class file with (an accept failing with EMFILE, its report).
        loadEagerly(Nanos.class, TimerHandle.class, ExceptionContext.class);
    }

    private final IoDriver driver;
    private final LoopBackend backend;
    private final String name;
    private final LongSupplier clock;
    private final TimerWheel timers;
    private final Inbox inbox = new Inbox(INBOX_CAPACITY);
    private final WakeupFlag wakeupArmed = new WakeupFlag();
    private final TimerWheel.Handler timerFired = this::onTimerFired;
    private final LoopMetrics metrics = new LoopMetrics();
    /**
     * Debug mode: where the handles and futures made meanwhile were made, weakly keyed, so an
     * entry goes with its object. Kept here rather than in a field of every handle and future,
     * which would add 8 bytes to each {@code callSoon}, {@code callSoonThreadsafe}, {@code callLater}
     * and future outside debug mode.
     */
    private final Map<Object, StackTraceElement[]> creationSites = Collections.synchronizedMap(new WeakHashMap<>());
    /** Whether this iteration's callbacks are timed: debug mode, or a recording wants slow callbacks. */
    private boolean timeCallbacks;
    /**
     * {@code -Dweft.loop.spinNanos}, read when the loop is made: how long an idle loop keeps
     * polling without blocking before it sleeps in the backend's poll; 0 (the default) sleeps at
     * once. Spinning trades CPU for the wake-up latency of a sleeping thread.
     */
    private final long spinNanos = Math.max(0, Long.getLong("weft.loop.spinNanos", 0));
    /**
     * {@code -Dweft.loop.handoffSpinNanos}, read when the loop is made: how long a loop that has
     * just taken work from other threads watches its inbox before it sleeps (0 never). Only the
     * inbox and a stop are watched, so I/O and timers wait at most this long.
     */
    private final long handoffSpinNanos = Math.max(0, Long.getLong("weft.loop.handoffSpinNanos",
            DEFAULT_HANDOFF_SPIN_NANOS));
    /**
     * Items this loop took from its inbox since it last slept (or started). Loop thread only; read
     * and written only when {@link #watchesHandoffs()}: it shares a cache line with fields other
     * threads read on every {@link #execute}, and a write per iteration would make each of them miss.
     */
    private long handedOff;

    /**
     * Ready items, FIFO: a {@link Handle} (skipped when cancelled), a {@link LoopFuture} whose done
     * callbacks are due, or a bare {@link Runnable} (from {@link #execute} and
     * {@link #scheduleTimer}).
     */
    private final ReadyQueue ready = new ReadyQueue(64);

    private volatile Thread loopThread;
    /** The loop this thread ran before entering this one (a loop run inside another's callback). */
    private EventLoop runningBefore;
    private volatile Thread stepThread;
    private volatile boolean stopping;
    private volatile boolean closed;
    private volatile boolean running;

    private ExceptionHandler exceptionHandler;
    private Consumer<String> warningHandler = EventLoop::logWarning;
    private boolean debug = Boolean.getBoolean("weft.loop.debug");
    private long slowCallbackNanos = TimeUnit.MILLISECONDS.toNanos(100);
    private ExecutorService defaultExecutor;
    /**
     * Made on the first signal handler, so a JVM without the {@code jdk.unsupported} module (where
     * {@code sun.misc.Signal} lives) runs every loop that never asks for one.
     */
    private LoopSignals signals;
    /** Child processes started and not finished, by their closers. Loop thread only. */
    private final java.util.LinkedHashSet<Runnable> liveChildren = new java.util.LinkedHashSet<>();

    private EventLoop(LoopBackend backend, LongSupplier clock, String name) throws IOException {
        this.backend = backend;
        this.name = name != null ? name : "loop-" + LOOP_IDS.incrementAndGet();
        this.clock = clock;
        this.timers = new TimerWheel(TICK_NANOS, clock.getAsLong());
        this.driver = backend.open(this);
    }

    private static void loadEagerly(Class<?>... classes) {
        for (Class<?> c : classes) {
            c.getName();
        }
    }

    /** A new loop on the backend the policy picks ({@code -Dweft.loop.backend}, default auto). */
    public static EventLoop create() {
        return EventLoopPolicy.newEventLoop();
    }

    /** A builder for a loop with a chosen backend or clock. */
    public static Builder builder() {
        return new Builder();
    }

    // ---------------------------------------------------------------- scheduling

    /**
     * Schedules {@code callback} to run in the next iteration, after those already scheduled. The
     * handle costs one small object per call; {@link #execute} schedules the same way and returns
     * none, allocating nothing.
     */
    public Handle callSoon(Runnable callback) {
        checkThread("callSoon");
        Objects.requireNonNull(callback, "callback");
        checkOpen();
        Handle h = new Handle(this, callback);
        pushReady(h);
        return h;
    }

    /** As {@link #callSoon} from any thread; wakes the loop. Thread-safe. */
    public Handle callSoonThreadsafe(Runnable callback) {
        Objects.requireNonNull(callback, "callback");
        checkOpen();
        Handle h = new Handle(this, callback);
        if (inLoopThread()) {
            pushReady(h);
        } else {
            inbox.offer(h);
            wakeup();
        }
        return h;
    }

    /**
     * {@link Executor}: as {@link #callSoonThreadsafe} (so on the loop thread as {@link #callSoon}),
     * in the same FIFO order, without a handle: nothing is allocated once the inbox and the ready
     * queue have grown to the load. Other threads' calls are coalesced into one wake-up of a
     * sleeping loop. Thread-safe.
     */
    @Override
    public void execute(Runnable command) {
        Objects.requireNonNull(command, "command");
        checkOpen();
        // A LoopFuture in the ready queue means "run its done callbacks": wrap one given as a task.
        Object item = command instanceof LoopFuture<?> ? new Handle(this, command) : command;
        if (inLoopThread()) {
            pushReady(item);
        } else {
            inbox.offer(item);
            wakeup();
        }
    }

    /**
     * Runs {@code callback} once {@code delay} has passed on the loop's clock (never earlier). The
     * deadline is {@code time() + delay}, saturated: a delay beyond the clock's range means never, a
     * zero or negative one means due now. Timers that are due run in deadline order (a delay of
     * -2 s before one of -1 s), equal deadlines in the order they were scheduled, as asyncio's
     * {@code call_later}.
     */
    public TimerHandle callLater(Duration delay, Runnable callback) {
        Objects.requireNonNull(delay, "delay");
        Objects.requireNonNull(callback, "callback");
        return callAt(Nanos.add(clock.getAsLong(), Nanos.of(delay)), callback);
    }

    /** As {@link #callLater(Duration, Runnable)}, with the delay in {@code unit}s. */
    public TimerHandle callLater(long delay, TimeUnit unit, Runnable callback) {
        Objects.requireNonNull(unit, "unit");
        Objects.requireNonNull(callback, "callback");
        // TimeUnit.toNanos saturates.
        return callAt(Nanos.add(clock.getAsLong(), unit.toNanos(delay)), callback);
    }

    /**
     * Runs {@code callback} at {@code deadlineNanos} of the loop's clock ({@link #time()}). From the
     * loop thread the timer enters the wheel at once; from another thread through the inbox.
     */
    public TimerHandle callAt(long deadlineNanos, Runnable callback) {
        Objects.requireNonNull(callback, "callback");
        checkOpen();
        TimerHandle h = new TimerHandle(this, deadlineNanos, callback);
        if (inLoopThread() || loopThread == null) {
            h.timerId = timers.schedule(deadlineNanos, h);
        } else {
            inbox.offer(h);
            wakeup();
        }
        return h;
    }

    /**
     * Runs {@code callback} at {@code deadlineNanos} of the loop's clock, as {@link #callAt}, without a
     * handle: the result is the timer's id in the loop's wheel, for {@link #cancelTimer}. Nothing is
     * allocated once the wheel has grown to the load. Loop thread only.
     */
    public long scheduleTimer(long deadlineNanos, Runnable callback) {
        checkThread("scheduleTimer");
        Objects.requireNonNull(callback, "callback");
        checkOpen();
        Object payload = callback instanceof LoopFuture<?> ? new Handle(this, callback) : callback;
        return timers.schedule(deadlineNanos, payload);
    }

    /**
     * Cancels a timer of {@link #scheduleTimer} that has not fired yet and returns true; returns
     * false for one that fired (it then runs in this or the next iteration) or was cancelled, and
     * for any other id: ids carry a generation, so a stale id never cancels a later timer. Loop
     * thread only.
     */
    public boolean cancelTimer(long timerId) {
        checkThread("cancelTimer");
        // A TimerHandle's timer is cancelled through its handle only, so its state stays true.
        return timerId != TimerWheel.NULL_TIMER && !(timers.payload(timerId) instanceof TimerHandle)
                && timers.cancel(timerId);
    }

    /** The loop's clock in nanoseconds (monotonic; {@link System#nanoTime()} unless a clock was given). Thread-safe. */
    public long time() {
        return clock.getAsLong();
    }

    void timerCancelled(TimerHandle h) {
        if (inLoopThread() || loopThread == null) {
            if (h.timerId != TimerWheel.NULL_TIMER) {
                timers.cancel(h.timerId);
                h.timerId = TimerWheel.NULL_TIMER;
            }
        } else if (!closed) {
            inbox.offer(new CancelTimer(h));
            wakeup();
        }
    }

    // ---------------------------------------------------------------- running

    /**
     * Runs until {@link #stop()}. A stop asked for before this call makes it run one iteration and
     * return (asyncio's {@code run_forever} after {@code stop}). Fails if the loop is closed or
     * already running.
     */
    public void runForever() {
        enter();
        try {
            while (true) {
                runOnce0();
                if (stopping) {
                    break;
                }
            }
        } finally {
            exit(true);
        }
    }

    /**
     * Runs until {@code future} is done and returns its result (or throws its failure as
     * {@link LoopFuture#result()} does). {@link #stop()} before then fails with
     * {@link IllegalStateException}.
     */
    public <T> T runUntilComplete(LoopFuture<T> future) {
        if (future.loop() != this) {
            throw new IllegalArgumentException("the future belongs to another loop");
        }
        enter();
        try {
            // Futures complete on the loop thread (other threads go through the inbox, which
            // wakes the poll), so checking after each iteration is enough: no stop callback is
            // left behind to end a later runForever().
            while (!future.isDone()) {
                runOnce0();
                if (stopping && !future.isDone()) {
                    throw new IllegalStateException("the loop stopped before the future completed");
                }
            }
        } finally {
            exit(true);
        }
        return future.result();
    }

    /**
     * Runs one iteration (see the class comment) and returns the work it did: inbox items taken, I/O
     * events dispatched and callbacks run. For tests and embedders driving the loop by hand. A
     * pending {@link #stop()} only makes its poll not block; it is left for the next
     * {@link #runForever()}.
     */
    public int runOnce() {
        enter();
        try {
            return runOnce0();
        } finally {
            exit(false);
        }
    }

    /**
     * Asks the loop to stop: it finishes the current batch of ready callbacks and returns from
     * {@link #runForever()}. Called while the loop is not running, the next {@link #runForever()}
     * runs one iteration and returns. Thread-safe.
     */
    public void stop() {
        stopping = true;
        if (!inLoopThread()) {
            wakeup();
        }
    }

    public boolean isRunning() {
        return running;
    }

    public boolean isClosed() {
        return closed;
    }

    /**
     * Closes the loop: cancels the tasks not done (a suspended task runs to its end here, so its
     * thread ends; see {@link Task}), aborts what the backend still has open, releases it, drops
     * pending callbacks and timers and shuts the default executor down. Fails while running;
     * idempotent.
     */
    @Override
    public void close() {
        if (running) {
            throw new IllegalStateException("cannot close a running loop; stop it first");
        }
        if (closed) {
            return;
        }
        closeTasks();
        closed = true;
        Thread previous = loopThread;
        loopThread = Thread.currentThread();
        try {
            if (signals != null) {
                signals.removeAll();
            }
            for (Runnable child : new ArrayList<>(liveChildren)) {
                child.run();
            }
            liveChildren.clear();
            driver.close();
        } finally {
            loopThread = previous;
        }
        ready.clear();
        while (inbox.poll() != null) {
            // Dropped: the loop is closed.
        }
        if (defaultExecutor != null) {
            defaultExecutor.shutdown();
        }
    }

    private void enter() {
        if (closed) {
            throw new IllegalStateException("the loop is closed");
        }
        if (running) {
            throw new IllegalStateException("the loop is already running");
        }
        Thread t = Thread.currentThread();
        loopThread = t;
        running = true;
        runningBefore = RUNNING_HERE.get();
        RUNNING_HERE.set(this);
    }

    /** {@code consumeStop}: the stop that ended this run is spent. */
    private void exit(boolean consumeStop) {
        if (consumeStop) {
            stopping = false;
        }
        running = false;
        loopThread = null;
        RUNNING_HERE.set(runningBefore);
        runningBefore = null;
    }

    private int runOnce0() {
        int work = drainInbox();

        long timeout;
        if (!ready.isEmpty() || stopping) {
            timeout = 0;
        } else {
            long next = timers.earliestDeadline();
            timeout = next == Long.MAX_VALUE ? -1 : pollTimeout(next, clock.getAsLong());
        }
        if (watchesHandoffs()) {
            handedOff += work;
            if (timeout != 0) {
                if (handedOff != 0 && watchInbox(timeout)) {
                    timeout = 0;
                } else {
                    handedOff = 0; // the poll below may sleep: count again from there
                }
            }
        }
        boolean armed = timeout != 0;
        if (armed) {
            // Arm before the last check of the inbox and of a stop: a producer (or stop()) after
            // this sees the flag and wakes the poll; one before is seen by the check.
            wakeupArmed.arm();
            if (!inbox.isEmpty() || stopping) {
                timeout = 0;
            }
        }
        int io = 0;
        try {
            int spun = timeout != 0 && spinNanos > 0 ? spinPoll(timeout) : -1;
            io = spun >= 0 ? spun : driver.poll(timeout);
            work += io;
        } catch (IOException e) {
            callExceptionHandler(new ExceptionContext("I/O poll failed", e, driver));
        } catch (RuntimeException | Error e) {
            callExceptionHandler(new ExceptionContext("unhandled exception in I/O dispatch", e, driver));
        } finally {
            if (armed) {
                wakeupArmed.disarm();
            }
        }

        long now = clock.getAsLong();
        metrics.timerPhaseStarted(now);
        if (timers.size() != 0) {
            timers.poll(now, timerFired, Integer.MAX_VALUE);
        }
        long lag = metrics.timerPhaseEnded();
        if (lag >= 0) {
            PROBE.loopLag(lag, backend.name());
        }

        boolean timed = debug || PROBE.timeCallbacks();
        if (timed != timeCallbacks) {
            // Written only on change: other threads read fields next to this one on every call.
            timeCallbacks = timed;
        }
        int ran = 0;
        int n = ready.size();
        for (int i = 0; i < n; i++) {
            ran += runReady(ready.poll());
        }
        // Keep up with other threads: while nothing the loop queued itself waits (so no earlier
        // item could be overtaken), run what the inbox received meanwhile now instead of after one
        // more poll. Bounded, so a flood from other threads cannot hold off I/O and timers.
        int chased = 0;
        Object o;
        while (chased < INBOX_CHASE && ready.isEmpty() && !stopping && (o = inbox.poll()) != null) {
            chased++;
            if (o instanceof TimerHandle || o instanceof CancelTimer) {
                accept(o);
            } else {
                ran += runReady(o);
            }
        }
        work += chased;
        if (watchesHandoffs()) {
            handedOff += chased;
        }
        metrics.iterationEnded(io, ran, timers.size(), driver.liveHandles() + liveChildren.size());
        return work + ran;
    }

    /**
     * Opt-in spin before sleep: polls without blocking for up to {@link #spinNanos} (at most
     * {@code timeout}; -1 means no timer). Returns the I/O events dispatched once there was I/O, or
     * the inbox filled, or a stop came (the spin's polls may have consumed the wake-up that
     * announced them, so the blocking poll is skipped); -1 when the spin ended empty-handed and the
     * blocking poll may follow.
     */
    private int spinPoll(long timeout) throws IOException {
        long limit = timeout < 0 ? spinNanos : Math.min(spinNanos, timeout);
        long start = System.nanoTime();
        do {
            int n = driver.poll(0);
            if (n != 0 || !inbox.isEmpty() || stopping) {
                return n;
            }
            Thread.onSpinWait();
        } while (System.nanoTime() - start < limit);
        return -1;
    }

    /**
     * Whether this loop watches its inbox before sleeping after a hand-off ({@link #handoffSpinNanos}
     * above 0); only then is {@link #handedOff} counted. One read of a final field and no state of
     * its own, so asking costs an iteration that read and nothing more.
     */
    private boolean watchesHandoffs() {
        return handoffSpinNanos > 0;
    }

    /**
     * Before a sleep that follows work from other threads: waits up to {@link #handoffSpinNanos}
     * (at most {@code timeout}; -1 means no timer) for the inbox to fill or a stop. True when one
     * came or the timeout ran out meanwhile, so the poll need not block; otherwise the poll that
     * follows waits its whole timeout, so a timer may run up to the spin late, never early. The
     * flag is not armed yet, so producers meanwhile write no wake-up: a burst that resumes within
     * the spin costs them nothing.
     */
    private boolean watchInbox(long timeout) {
        boolean timerFirst = timeout >= 0 && timeout <= handoffSpinNanos;
        long limit = timerFirst ? timeout : handoffSpinNanos;
        long start = System.nanoTime();
        do {
            for (int i = 0; i < 8; i++) {
                if (!inbox.isEmpty() || stopping) {
                    return true;
                }
                Thread.onSpinWait();
            }
        } while (System.nanoTime() - start < limit);
        return timerFirst;
    }

    /**
     * How long the poll may wait for a timer due at {@code deadline} when the clock reads
     * {@code now}: 0 when it is due, else the time left, at most {@link #MAX_POLL_NANOS}. Saturating:
     * a deadline near {@link Long#MIN_VALUE} is due, one near {@link Long#MAX_VALUE} waits the cap.
     */
    static long pollTimeout(long deadline, long now) {
        if (deadline <= now) {
            return 0;
        }
        return Math.min(MAX_POLL_NANOS, Nanos.subtract(deadline, now));
    }

    /** Runs one ready item; returns the callbacks it ran. */
    private int runReady(Object o) {
        if (o instanceof Handle h) {
            if (!h.cancelled) {
                run(h.callback, h);
                return 1;
            }
            return 0;
        }
        if (o instanceof LoopFuture<?> f) {
            return f.runDoneCallbacks();
        }
        run((Runnable) o, o);
        return 1;
    }

    private int drainInbox() {
        int n = 0;
        Object o;
        while ((o = inbox.poll()) != null) {
            n++;
            accept(o);
        }
        return n;
    }

    /** Takes one item from the inbox: a timer to enter or cancel, else a ready item. */
    private void accept(Object o) {
        if (o instanceof TimerHandle th) {
            if (!th.cancelled) {
                th.timerId = timers.schedule(th.when, th);
            }
        } else if (o instanceof CancelTimer ct) {
            TimerHandle th = ct.handle;
            if (th.timerId != TimerWheel.NULL_TIMER) {
                timers.cancel(th.timerId);
                th.timerId = TimerWheel.NULL_TIMER;
            }
        } else {
            pushReady(o);
        }
    }

    private void onTimerFired(long id, Object payload) {
        if (payload instanceof TimerHandle th) {
            th.timerId = TimerWheel.NULL_TIMER;
            if (!th.cancelled) {
                metrics.timerFired(th.when);
                pushReady(th);
            }
        } else {
            pushReady(payload);
        }
    }

    /** Runs {@code callback}; {@code source} names it in the exception context and debug reports. */
    private void run(Runnable callback, Object source) {
        if (timeCallbacks) {
            runTimed(callback, source);
        } else {
            runGuarded(callback, source);
        }
    }

    /** Debug mode or a JFR recording: the callback is timed, and reported when slow. */
    private void runTimed(Runnable callback, Object source) {
        Object event = PROBE.callbackStarted();
        long start = System.nanoTime();
        runGuarded(callback, source);
        long took = System.nanoTime() - start;
        PROBE.callbackEnded(event, source, callback);
        if (debug && took >= slowCallbackNanos) {
            String where = source instanceof Handle h ? h.creationReport() : "";
            warn(String.format("executing %s took %.3f seconds", source, took / 1e9) + where);
        }
    }

    private void runGuarded(Runnable callback, Object source) {
        try {
            callback.run();
        } catch (Throwable t) {
            if (t instanceof VirtualMachineError vme && !(t instanceof StackOverflowError)) {
                throw vme;
            }
            callExceptionHandler(new ExceptionContext("exception in callback", t, source));
        }
    }

    /** Runs one done callback of {@code future}, as a ready callback is run. */
    <T> void runDoneCallback(Consumer<? super LoopFuture<T>> callback, LoopFuture<T> future) {
        if (debug) {
            long start = System.nanoTime();
            acceptGuarded(callback, future);
            long took = System.nanoTime() - start;
            if (took >= slowCallbackNanos) {
                warn(String.format("executing %s took %.3f seconds", callback, took / 1e9));
            }
        } else {
            acceptGuarded(callback, future);
        }
    }

    private <T> void acceptGuarded(Consumer<? super LoopFuture<T>> callback, LoopFuture<T> future) {
        try {
            callback.accept(future);
        } catch (Throwable t) {
            if (t instanceof VirtualMachineError vme && !(t instanceof StackOverflowError)) {
                throw vme;
            }
            callExceptionHandler(new ExceptionContext("exception in callback", t, callback));
        }
    }

    /**
     * Queues the done callbacks {@code future} holds now, to run in its place in the ready queue.
     * Loop thread only (futures complete there).
     */
    void scheduleDoneCallbacks(LoopFuture<?> future) {
        checkOpen();
        pushReady(future);
    }

    private void pushReady(Object h) {
        ready.push(h);
    }

    private void wakeup() {
        if (wakeupArmed.take()) {
            driver.wakeup();
        }
    }

    // ---------------------------------------------------------------- threads

    /** True on the thread running this loop, or in a task step running on its behalf. Thread-safe. */
    public boolean inLoopThread() {
        Thread t = Thread.currentThread();
        return t == loopThread || t == stepThread;
    }

    /** Fails unless called from the loop thread (or while the loop is not running). */
    void checkThread(String method) {
        Thread owner = loopThread;
        if (owner == null) {
            return;
        }
        Thread t = Thread.currentThread();
        if (t != owner && t != stepThread) {
            throw wrongThread(method, owner, t);
        }
    }

    private IllegalStateException wrongThread(String method, Thread owner, Thread t) {
        EventLoop other = RUNNING_HERE.get();
        String caller = other != null && other != this
                ? "the thread of another loop, " + other.name + " (" + t.getName() + ")"
                : t.getName();
        return new IllegalStateException(method + " must be called from the loop thread of " + name + " ("
                + owner.getName() + "), not from " + caller + "; use " + name
                + ".callSoonThreadsafe to hand work to the loop");
    }

    /**
     * The loop's name: given to {@link Builder#name}, else {@code loop-N}; it names the loop in
     * errors and in {@link #toString()}. Thread-safe.
     */
    public String name() {
        return name;
    }

    /** The I/O driver, for {@link EventLoopGroup}. */
    IoDriver driver() {
        return driver;
    }

    /** Public form of the thread check, for transports and other loop-confined objects. */
    public void assertInLoop(String method) {
        checkThread(method);
    }

    /** The thread running the loop, or null. */
    Thread loopThread() {
        return loopThread;
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("the loop is closed");
        }
    }

    // ---------------------------------------------------------------- signals

    /**
     * Runs {@code callback} on the loop thread when the process receives {@code signal} (a name
     * such as {@code "USR1"} or {@code "SIGUSR1"}, case-insensitive), as asyncio's
     * {@code add_signal_handler}. Built on the JVM's own signal dispatch: the JVM's signal thread
     * sets a flag and wakes the loop, which then runs the callback; a burst of one signal may be
     * coalesced into fewer calls, but at least one call follows the last signal of the burst. The
     * handler displaced (the JVM's shutdown handler for {@code TERM}, {@code INT} and {@code HUP},
     * or another library's) comes back on {@link #removeSignalHandler} and on {@link #close()}.
     * Adding a handler for a signal this loop already handles replaces its callback. What the
     * callback throws goes to the exception handler. Only the loop thread. Unsupported where the
     * backend says so ({@link Capability#SIGNALS}).
     *
     * @throws IllegalArgumentException for an unknown name, or a signal the JVM or the kernel
     *         reserves ({@code KILL}, {@code STOP}, {@code SEGV}, {@code BUS}, {@code FPE},
     *         {@code ILL}, {@code QUIT}, {@code USR2}, {@code CHLD}), with the reason
     * @throws IllegalStateException when another loop of this JVM handles the signal
     */
    public void addSignalHandler(String signal, Runnable callback) {
        checkThread("addSignalHandler");
        requireCapability(Capability.SIGNALS);
        LoopSignals s = signals();
        String name = LoopSignals.resolve(signal);
        Objects.requireNonNull(callback, "callback");
        checkOpen();
        s.add(name, callback);
    }

    /** As {@link #addSignalHandler(String, Runnable)} with the signal's number on this OS (1..64). */
    public void addSignalHandler(int signal, Runnable callback) {
        checkThread("addSignalHandler");
        requireCapability(Capability.SIGNALS);
        LoopSignals s = signals();
        String name = LoopSignals.resolve(signal);
        Objects.requireNonNull(callback, "callback");
        checkOpen();
        s.add(name, callback);
    }

    /** This loop's signal handlers, made on first use; a JVM without sun.misc.Signal cannot have them. */
    private LoopSignals signals() {
        if (signals == null) {
            try {
                signals = new LoopSignals(this);
            } catch (LinkageError e) {
                throw new UnsupportedCapabilityException(backendName(), Capability.SIGNALS,
                        "this JVM has no jdk.unsupported module (sun.misc.Signal): " + e);
            }
        }
        return signals;
    }

    /**
     * Removes this loop's handler for {@code signal}, restoring the one it displaced. True when
     * there was one, false otherwise. Only the loop thread.
     *
     * @throws IllegalArgumentException as {@link #addSignalHandler(String, Runnable)}
     */
    public boolean removeSignalHandler(String signal) {
        checkThread("removeSignalHandler");
        requireCapability(Capability.SIGNALS);
        return signals().remove(LoopSignals.resolve(signal));
    }

    /** As {@link #removeSignalHandler(String)} with the signal's number. */
    public boolean removeSignalHandler(int signal) {
        checkThread("removeSignalHandler");
        requireCapability(Capability.SIGNALS);
        return signals().remove(LoopSignals.resolve(signal));
    }

    // ---------------------------------------------------------------- subprocesses

    /**
     * Starts {@code argv} as a child process (asyncio's {@code subprocess_exec}) and completes with
     * its transport once the protocol made by {@code factory} has had {@code connectionMade}. The
     * child's streams go where {@code options} say (null: {@link SubprocessOptions#DEFAULTS}, three
     * pipes). On epoll the child is started with {@code posix_spawn}, its pipes are the loop's own
     * pipe transports and its exit is watched through a pidfd on the poller; on kqueue over
     * libkqueue (Linux) likewise, its exit watched by a waiter thread per child; on iocp with
     * {@code CreateProcessW}, its pipes overlapped named pipes on the completion port; elsewhere it
     * is built on {@link ProcessBuilder}, the pipes pumped into the loop by one small thread each. Either
     * way only this child's pid is waited for. A child still running when the loop closes is
     * killed. Only the loop thread.
     *
     * @throws IllegalArgumentException before anything starts, naming the argument: empty argv, a
     *         NUL byte in an argument, a missing or non-executable program, a cwd that is not a
     *         directory, a descriptor ({@code Stdio.fd}) that is not open
     */
    public LoopFuture<SubprocessTransport> subprocessExec(Supplier<? extends SubprocessProtocol> factory,
                                                          List<String> argv, SubprocessOptions options) {
        checkThread("subprocessExec");
        Objects.requireNonNull(factory, "factory");
        Objects.requireNonNull(argv, "argv");
        SubprocessOptions opts = options == null ? SubprocessOptions.DEFAULTS : options;
        checkOpen();
        requireCapability(Capability.SUBPROCESS);
        List<String> copy = new ArrayList<>(argv);
        LoopFuture<SubprocessTransport> result = createFuture();
        driver.subprocessExec(this, factory, copy, opts, result);
        return result;
    }

    /**
     * As {@link #subprocessExec}, running {@code command} with the system's shell: {@code /bin/sh -c}
     * (on iocp {@code cmd.exe /d /s /c}, the command given to it as written, as asyncio's
     * {@code shell=True} on Windows).
     */
    public LoopFuture<SubprocessTransport> subprocessShell(Supplier<? extends SubprocessProtocol> factory,
                                                           String command, SubprocessOptions options) {
        Objects.requireNonNull(command, "command");
        List<String> shell = driver.shellArgv(command);
        if (shell != null) {
            return subprocessExec(factory, shell, options);
        }
        checkThread("subprocessShell");
        Objects.requireNonNull(factory, "factory");
        SubprocessOptions opts = options == null ? SubprocessOptions.DEFAULTS : options;
        checkOpen();
        requireCapability(Capability.SUBPROCESS);
        LoopFuture<SubprocessTransport> result = createFuture();
        driver.subprocessShell(this, factory, command, opts, result);
        return result;
    }

    // ---------------------------------------------------------------- futures, executor

    /** A new pending future of this loop. */
    public <T> LoopFuture<T> createFuture() {
        return new LoopFuture<>(this);
    }

    /**
     * Runs blocking {@code work} on {@code executor} (the loop's default executor when null) and
     * returns a future of this loop completed with its outcome.
     */
    public <T> LoopFuture<T> runInExecutor(Executor executor, Callable<T> work) {
        Objects.requireNonNull(work, "work");
        checkOpen();
        Executor ex = executor != null ? executor : defaultExecutor();
        LoopFuture<T> f = new LoopFuture<>(this);
        ex.execute(() -> {
            T value;
            try {
                value = work.call();
            } catch (Throwable t) {
                callSoonThreadsafe(() -> {
                    if (!f.isDone()) {
                        f.setException(t);
                    }
                });
                return;
            }
            callSoonThreadsafe(() -> {
                if (!f.isDone()) {
                    f.setResult(value);
                }
            });
        });
        return f;
    }

    private synchronized ExecutorService defaultExecutor() {
        if (defaultExecutor == null) {
            AtomicInteger n = new AtomicInteger();
            ThreadFactory tf = r -> {
                Thread t = new Thread(r, "weft-executor-" + n.incrementAndGet());
                t.setDaemon(true);
                return t;
            };
            defaultExecutor = Executors.newCachedThreadPool(tf);
        }
        return defaultExecutor;
    }

    // ---------------------------------------------------------------- networking

    /** Resolves {@code host} off the loop thread (null or empty: all local interfaces). */
    public LoopFuture<List<InetSocketAddress>> resolve(String host, int port) {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port out of range 0..65535: " + port);
        }
        if (host == null || host.isEmpty()) {
            LoopFuture<List<InetSocketAddress>> f = createFuture();
            f.setResult(List.of(new InetSocketAddress(port)));
            return f;
        }
        return runInExecutor(null, () -> {
            InetAddress[] all;
            try {
                all = InetAddress.getAllByName(host);
            } catch (UnknownHostException e) {
                UnknownHostException u = new UnknownHostException("cannot resolve host '" + host + "': " + e.getMessage());
                u.initCause(e);
                throw u;
            }
            List<InetSocketAddress> out = new ArrayList<>(all.length);
            for (InetAddress a : all) {
                out.add(new InetSocketAddress(a, port));
            }
            return out;
        });
    }

    /**
     * Starts a TCP server on {@code host:port} ({@code host} null or empty: all interfaces; port 0: any
     * free port). Each accepted connection gets a protocol from {@code protocolFactory}. The name is
     * resolved off the loop thread; every resolved address is listened on.
     */
    public LoopFuture<Server> createServer(Supplier<? extends BaseProtocol> protocolFactory, String host, int port,
                                           ServerOptions options) {
        checkThread("createServer");
        Objects.requireNonNull(protocolFactory, "protocolFactory");
        ServerOptions opts = options == null ? ServerOptions.DEFAULTS : options;
        LoopFuture<Server> result = createFuture();
        resolveThen(host, port, result, addresses -> {
            try {
                result.setResult(driver.createServer(protocolFactory, dedupe(addresses), opts));
            } catch (IOException | RuntimeException e) {
                result.setException(e);
            }
        });
        return result;
    }

    /**
     * Connects to {@code host:port} and completes with the transport and the protocol made by
     * {@code protocolFactory}, once {@code connectionMade} has run. The resolved addresses are tried
     * as {@link #createConnection(Supplier, List, ConnectOptions)} tries its list: one at a time by
     * default, staggered with a happy-eyeballs delay. A refused or unreachable connect fails with an
     * exception naming each address and its error.
     */
    public <P extends BaseProtocol> LoopFuture<Connection<P>> createConnection(Supplier<P> protocolFactory,
                                                                               String host, int port,
                                                                               ConnectOptions options) {
        Objects.requireNonNull(protocolFactory, "protocolFactory");
        Objects.requireNonNull(host, "host");
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port out of range 1..65535: " + port);
        }
        ConnectOptions opts = options == null ? ConnectOptions.DEFAULTS : options;
        checkThread("createConnection");
        LoopFuture<Connection<P>> result = createFuture();
        resolveThen(host, port, result, addresses -> connectTo(protocolFactory, addresses, opts, result));
        return result;
    }

    /**
     * Connects to one of {@code addresses} (already resolved, each with its own port) and completes
     * as {@link #createConnection(Supplier, String, int, ConnectOptions)}. The addresses are tried in
     * the list's order, interleaved by family when {@link ConnectOptions#effectiveInterleave()} is
     * above 0. Without a {@linkplain ConnectOptions#happyEyeballsDelay() happy-eyeballs delay} one
     * attempt runs at a time; with one, the next attempt starts when the delay has passed or the
     * attempt started last has failed, the first to connect wins and every other socket is closed
     * before the protocol factory is called. When all fail, the result fails with one exception
     * naming each address and its error. Cancelling the result closes every attempt.
     *
     * @throws IllegalArgumentException if {@code addresses} is empty, or holds an unresolved address
     *         or port 0, before anything starts
     */
    public <P extends BaseProtocol> LoopFuture<Connection<P>> createConnection(Supplier<P> protocolFactory,
                                                                               List<InetSocketAddress> addresses,
                                                                               ConnectOptions options) {
        Objects.requireNonNull(protocolFactory, "protocolFactory");
        Objects.requireNonNull(addresses, "addresses");
        if (addresses.isEmpty()) {
            throw new IllegalArgumentException("addresses must not be empty: " + addresses);
        }
        for (InetSocketAddress a : addresses) {
            Objects.requireNonNull(a, "addresses holds null");
            if (a.isUnresolved()) {
                throw new IllegalArgumentException("addresses holds an unresolved address: " + a);
            }
            if (a.getPort() < 1) {
                throw new IllegalArgumentException("addresses holds a port out of range 1..65535: " + a);
            }
        }
        ConnectOptions opts = options == null ? ConnectOptions.DEFAULTS : options;
        checkThread("createConnection");
        List<InetSocketAddress> copy = List.copyOf(addresses);
        LoopFuture<Connection<P>> result = createFuture();
        connectTo(protocolFactory, copy, opts, result);
        return result;
    }

    private <P extends BaseProtocol> void connectTo(Supplier<P> protocolFactory, List<InetSocketAddress> addresses,
                                                    ConnectOptions opts, LoopFuture<Connection<P>> result) {
        int interleave = opts.effectiveInterleave();
        driver.connect(protocolFactory, interleave > 0 ? AddressOrder.interleave(addresses, interleave) : addresses,
                opts, result);
    }

    /**
     * Starts a Unix domain stream server on {@code path} (asyncio's {@code create_unix_server}); each
     * accepted connection gets a protocol from {@code protocolFactory}. A path starting with NUL
     * ({@code "\0name"}) is a Linux abstract name (no file; where {@link Capability#UNIX_ABSTRACT}).
     *
     * <p>A socket file already at the path is replaced only when a connect probe is refused (a stale
     * file); a live server's socket, or any other file, fails the result with
     * {@link java.net.BindException} "Address already in use" naming the path. With
     * {@link UnixServerOptions#cleanupSocket()} (the default) closing the server removes the file,
     * unless another one replaced it meanwhile.
     *
     * <p>Fails at once, before anything is created: {@link UnsupportedCapabilityException} where the
     * backend lacks {@link Capability#UNIX_STREAM}; {@link IllegalArgumentException} naming the value
     * for a null, empty or too long path (over {@link UnixSocketAddress#maxPathBytes()} bytes) or one
     * naming a directory. Loop thread only.
     */
    public LoopFuture<Server> createUnixServer(Supplier<? extends BaseProtocol> protocolFactory, String path,
                                               UnixServerOptions options) {
        requireCapability(Capability.UNIX_STREAM);
        Objects.requireNonNull(protocolFactory, "protocolFactory");
        UnixSocketAddress address = unixAddress(path);
        UnixServerOptions opts = options == null ? UnixServerOptions.DEFAULTS : options;
        checkThread("createUnixServer");
        checkOpen();
        LoopFuture<Server> result = createFuture();
        try {
            result.setResult(driver.createUnixServer(protocolFactory, address, opts));
        } catch (IOException | RuntimeException e) {
            result.setException(e);
        }
        return result;
    }

    /** As {@link #createUnixServer(Supplier, String, UnixServerOptions)} with a {@link java.nio.file.Path}. */
    public LoopFuture<Server> createUnixServer(Supplier<? extends BaseProtocol> protocolFactory, java.nio.file.Path path,
                                               UnixServerOptions options) {
        return createUnixServer(protocolFactory, pathString(path), options);
    }

    /**
     * Connects to the Unix domain stream socket at {@code path} (asyncio's
     * {@code create_unix_connection}) and completes with the transport and the protocol once
     * {@code connectionMade} has run. Nobody listening there (a stale file, no file) fails with
     * {@link java.net.ConnectException} naming the path. Bad arguments fail at once as for
     * {@link #createUnixServer(Supplier, String, UnixServerOptions)}. Loop thread only.
     */
    public <P extends BaseProtocol> LoopFuture<Connection<P>> createUnixConnection(Supplier<P> protocolFactory,
                                                                                   String path) {
        requireCapability(Capability.UNIX_STREAM);
        Objects.requireNonNull(protocolFactory, "protocolFactory");
        UnixSocketAddress address = unixAddress(path);
        checkThread("createUnixConnection");
        checkOpen();
        LoopFuture<Connection<P>> result = createFuture();
        driver.connectUnix(protocolFactory, address, result);
        return result;
    }

    /** As {@link #createUnixConnection(Supplier, String)} with a {@link java.nio.file.Path}. */
    public <P extends BaseProtocol> LoopFuture<Connection<P>> createUnixConnection(Supplier<P> protocolFactory,
                                                                                   java.nio.file.Path path) {
        return createUnixConnection(protocolFactory, pathString(path));
    }

    private static String pathString(java.nio.file.Path path) {
        if (path == null) {
            throw new IllegalArgumentException("path must name a Unix socket, got null");
        }
        return path.toString();
    }

    /** Checks a Unix socket path before anything is made (see createUnixServer). */
    private UnixSocketAddress unixAddress(String path) {
        UnixSocketAddress a = UnixSocketAddress.of(path);
        if (a.isAbstract()) {
            requireCapability(Capability.UNIX_ABSTRACT);
        } else if (a.byteLength() > driver.maxUnixPathBytes()) {
            throw new IllegalArgumentException("path too long for a Unix socket on " + backendName() + ": "
                    + a.byteLength() + " bytes, this backend takes at most " + driver.maxUnixPathBytes()
                    + " (the OS " + UnixSocketAddress.maxPathBytes() + "): '" + path + "'");
        } else if (java.nio.file.Files.isDirectory(a.toPath(), java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            throw new IllegalArgumentException("path names a directory, not a Unix socket: '" + path + "'");
        }
        return a;
    }

    /**
     * Opens a UDP endpoint and completes with its transport and the protocol made by
     * {@code protocolFactory}, once {@code connectionMade} has run. {@code local} (null: any address,
     * an ephemeral port chosen by the kernel) is bound; {@code remote} (null: unconnected) is
     * connected, so only its datagrams are received and {@code send} needs no target. Unresolved
     * addresses are resolved off the loop thread (the first address, of the local one's family when
     * both are given); one that does not resolve fails the result with an
     * {@link UnknownHostException} naming it. The backend must offer {@link Capability#DATAGRAM}.
     *
     * <p>With an existing socket ({@link DatagramOptions#withSocket(int)},
     * {@link DatagramOptions#withSocket(java.nio.channels.DatagramChannel)}; asyncio's {@code sock=})
     * {@code local} and {@code remote} must be null: the socket is used as it is, connected if it
     * was. It is checked first; bad input throws and the caller keeps it: a closed descriptor or
     * channel, one that is not a UDP socket (a TCP socket, a regular file), a local or remote
     * address, or an option that configures a new socket ({@link IllegalArgumentException} naming
     * the argument and its value); a kind of socket this backend cannot use, as a raw descriptor on
     * java.nio ({@link UnsupportedCapabilityException}). Otherwise the transport owns it from then on.
     *
     * <p><b>Unix datagram sockets.</b> With {@link UnixSocketAddress}es (a
     * {@link java.net.UnixDomainSocketAddress} is taken as one), or with the family UNIX in the
     * options and no address, the endpoint is an {@code AF_UNIX} {@code SOCK_DGRAM} socket
     * ({@link Capability#UNIX_DATAGRAM}). {@code local} is bound with the rules of
     * {@link #createUnixServer(Supplier, String, UnixServerOptions)}: the path is checked before
     * anything is made, a stale socket file is replaced only after a connect probe is refused, a
     * live socket or a file that is not a socket fails with {@link java.net.BindException}
     * "Address already in use" naming the path, and the file is removed when the endpoint closes
     * unless it was removed or replaced meanwhile. {@code remote} must be bound by someone: a path
     * nobody binds fails the result with {@link java.net.ConnectException} naming it. Senders that
     * bound no name arrive as {@link UnixSocketAddress#UNNAMED}. The options of UDP alone (reusePort,
     * allowBroadcast, multicast) are refused.
     *
     * @throws IllegalArgumentException for an address that is neither an {@link InetSocketAddress} nor
     *         a {@link UnixSocketAddress}, addresses of both kinds, a remote port 0, or bad input with
     *         an existing socket, before anything starts
     * @throws UnsupportedCapabilityException on a backend without UDP, or without Unix datagram
     *         sockets for Unix addresses
     */
    public <P extends DatagramProtocol> LoopFuture<DatagramEndpoint<P>> createDatagramEndpoint(
            Supplier<P> protocolFactory, SocketAddress local, SocketAddress remote, DatagramOptions options) {
        checkThread("createDatagramEndpoint");
        Objects.requireNonNull(protocolFactory, "protocolFactory");
        DatagramOptions opts = options == null ? DatagramOptions.DEFAULTS : options;
        if (opts.socket() != null) {
            return adoptDatagram(protocolFactory, local, remote, opts);
        }
        if (local instanceof java.net.UnixDomainSocketAddress u) {
            local = UnixSocketAddress.of(u.getPath());
        }
        if (remote instanceof java.net.UnixDomainSocketAddress u) {
            remote = UnixSocketAddress.of(u.getPath());
        }
        if (local instanceof UnixSocketAddress || remote instanceof UnixSocketAddress
                || opts.family() == java.net.StandardProtocolFamily.UNIX) {
            return createUnixDatagramEndpoint(protocolFactory, local, remote, opts);
        }
        InetSocketAddress l = inet("local", local);
        InetSocketAddress r = inet("remote", remote);
        if (r != null && r.getPort() == 0) {
            throw new IllegalArgumentException("remote port out of range 1..65535: " + r);
        }
        requireCapability(Capability.DATAGRAM);
        LoopFuture<DatagramEndpoint<P>> result = createFuture();
        resolveOne(l, null, result, rl -> resolveOne(r, rl, result,
                rr -> driver.openDatagram(protocolFactory, rl, rr, opts, result)));
        return result;
    }

    /**
     * createDatagramEndpoint for a Unix datagram socket: both addresses Unix ones (or null), no
     * option that only IP has, every path checked before anything is made, as for Unix servers.
     */
    private <P extends DatagramProtocol> LoopFuture<DatagramEndpoint<P>> createUnixDatagramEndpoint(
            Supplier<P> protocolFactory, SocketAddress local, SocketAddress remote, DatagramOptions opts) {
        UnixSocketAddress l = unixDatagramAddress("local", local);
        UnixSocketAddress r = unixDatagramAddress("remote", remote);
        if (opts.family() != null && opts.family() != java.net.StandardProtocolFamily.UNIX) {
            throw new IllegalArgumentException("family " + opts.family() + " does not fit Unix socket addresses: local="
                    + local + ", remote=" + remote);
        }
        String ipOnly = (opts.reusePort() ? " reusePort" : "") + (opts.allowBroadcast() ? " allowBroadcast" : "")
                + (opts.multicastTtl() >= 0 ? " multicastTtl" : "") + (opts.multicastLoop() != null ? " multicastLoop" : "");
        if (!ipOnly.isEmpty()) {
            throw new IllegalArgumentException("options for UDP only cannot be used with a Unix datagram socket:"
                    + ipOnly);
        }
        requireCapability(Capability.UNIX_DATAGRAM);
        if (l != null) {
            unixAddress(l.path());
        }
        if (r != null && r.isAbstract()) {
            requireCapability(Capability.UNIX_ABSTRACT);
        }
        checkOpen();
        LoopFuture<DatagramEndpoint<P>> result = createFuture();
        driver.openUnixDatagram(protocolFactory, l, r, opts, result);
        return result;
    }

    private static UnixSocketAddress unixDatagramAddress(String what, SocketAddress a) {
        if (a == null) {
            return null;
        }
        if (!(a instanceof UnixSocketAddress u)) {
            throw new IllegalArgumentException(what + " must be a UnixSocketAddress like the other address of a Unix"
                    + " datagram endpoint, got " + a.getClass().getSimpleName() + " " + a);
        }
        if (u.path().isEmpty()) {
            throw new IllegalArgumentException(what + " is the unnamed Unix address, which cannot be "
                    + (what.equals("local") ? "bound (pass null for an unbound endpoint)" : "connected to"));
        }
        return u;
    }

    /** createDatagramEndpoint over the socket {@code options} give: checked here and by the backend, then adopted. */
    private <P extends DatagramProtocol> LoopFuture<DatagramEndpoint<P>> adoptDatagram(
            Supplier<P> protocolFactory, SocketAddress local, SocketAddress remote, DatagramOptions opts) {
        Object socket = opts.socket();
        String what = socket instanceof Integer ? "fd " + socket : String.valueOf(socket);
        if (local != null) {
            throw new IllegalArgumentException("local must be null with an existing socket (" + what
                    + "), which is used as it is: local=" + local);
        }
        if (remote != null) {
            throw new IllegalArgumentException("remote must be null with an existing socket (" + what
                    + "), which is used as it is (connect it first): remote=" + remote);
        }
        String settings = opts.newSocketSettings();
        if (!settings.isEmpty()) {
            throw new IllegalArgumentException("options that configure a new socket cannot be used with an existing"
                    + " socket (" + what + "): " + settings);
        }
        requireCapability(Capability.DATAGRAM);
        LoopFuture<DatagramEndpoint<P>> result = createFuture();
        driver.adoptDatagram(protocolFactory, socket, result);
        return result;
    }

    private static InetSocketAddress inet(String what, SocketAddress a) {
        if (a == null || a instanceof InetSocketAddress) {
            return (InetSocketAddress) a;
        }
        throw new IllegalArgumentException(what + " must be an InetSocketAddress (UDP over IPv4/IPv6) or a"
                + " UnixSocketAddress (a Unix datagram socket): " + a);
    }

    /** Resolves {@code a} if it is unresolved (preferring the family of {@code like}), then runs {@code next}. */
    private void resolveOne(InetSocketAddress a, InetSocketAddress like, LoopFuture<?> result,
                            Consumer<InetSocketAddress> next) {
        if (a == null || !a.isUnresolved()) {
            next.accept(a);
            return;
        }
        resolveThen(a.getHostString(), a.getPort(), result, all -> {
            InetSocketAddress pick = all.get(0);
            if (like != null) {
                for (InetSocketAddress c : all) {
                    if (c.getAddress().getClass() == like.getAddress().getClass()) {
                        pick = c;
                        break;
                    }
                }
            }
            next.accept(pick);
        });
    }

    /** Resolves, then runs {@code next} unless {@code result} is done; a failed resolution fails it. */
    private void resolveThen(String host, int port, LoopFuture<?> result, Consumer<List<InetSocketAddress>> next) {
        resolve(host, port).addDoneCallback(r -> {
            if (result.isDone()) {
                return;
            }
            if (r.isCancelled() || r.peekException() != null) {
                result.setException(r.isCancelled() ? new IOException("resolution cancelled") : r.exception());
                return;
            }
            next.accept(r.result());
        });
    }

    private static List<InetSocketAddress> dedupe(List<InetSocketAddress> in) {
        List<InetSocketAddress> out = new ArrayList<>(in.size());
        for (InetSocketAddress a : in) {
            if (!out.contains(a)) {
                out.add(a);
            }
        }
        return out;
    }

    // ---------------------------------------------------------------- pipes, watched descriptors

    /**
     * A read transport over {@code pipe} (asyncio's {@code connect_read_pipe}): a pipe, FIFO, socket
     * or character device, read as a stream by the protocol {@code protocolFactory} makes. The
     * transport refuses writes; at the pipe's EOF the protocol hears {@code eofReceived}, then
     * {@code connectionLost(null)}. The future completes once {@code connectionMade} has run.
     *
     * <p>Bad input throws before anything changes and the caller keeps {@code pipe}: a descriptor
     * that is closed, a regular file or a directory, or open for writing only
     * ({@link IllegalArgumentException} naming it); a kind of end this backend cannot use, as a raw
     * descriptor on java.nio ({@link UnsupportedCapabilityException}). Otherwise the transport owns
     * {@code pipe} from now on and closes it. Needs {@link Capability#PIPES}.
     */
    public <P extends BaseProtocol> LoopFuture<Connection<P>> connectReadPipe(Supplier<P> protocolFactory,
                                                                              PipeEnd pipe) {
        return connectPipe(protocolFactory, pipe, false, "connectReadPipe");
    }

    /**
     * A write transport over {@code pipe} (asyncio's {@code connect_write_pipe}), with the write
     * buffer and flow control of a stream transport. It never reads; {@code writeEof()} is
     * {@code close()}: queued bytes go out, then the pipe is closed. When the reading end goes away
     * the protocol hears {@code connectionLost}: with a broken-pipe {@link java.io.IOException} if
     * bytes were queued or a write fails, with null if nothing was lost (the native backends watch
     * for this; java.nio notices it at the next write). Ownership and bad input as
     * {@link #connectReadPipe}. Needs {@link Capability#PIPES}.
     */
    public <P extends BaseProtocol> LoopFuture<Connection<P>> connectWritePipe(Supplier<P> protocolFactory,
                                                                               PipeEnd pipe) {
        return connectPipe(protocolFactory, pipe, true, "connectWritePipe");
    }

    private <P extends BaseProtocol> LoopFuture<Connection<P>> connectPipe(Supplier<P> protocolFactory, PipeEnd pipe,
                                                                          boolean write, String method) {
        checkThread(method);
        Objects.requireNonNull(protocolFactory, "protocolFactory");
        Objects.requireNonNull(pipe, "pipe");
        checkOpen();
        requireCapability(Capability.PIPES);
        LoopFuture<Connection<P>> result = createFuture();
        driver.connectPipe(protocolFactory, pipe, write, result);
        return result;
    }

    /**
     * Calls {@code callback} on the loop thread, during the I/O phase, whenever descriptor {@code fd}
     * is readable (asyncio's {@code add_reader}); replaces the reader set earlier for {@code fd}. The
     * descriptor stays the caller's: Weft never closes it; remove the reader before closing it. A
     * watched descriptor counts as a live handle. Fails with {@link IllegalArgumentException} for a
     * negative or closed descriptor or one the backend cannot poll (a regular file), naming it, and
     * with {@link UnsupportedCapabilityException} where raw descriptors cannot be watched (java.nio:
     * watch a {@link java.nio.channels.SelectableChannel} instead). Needs {@link Capability#WATCH_FD}.
     */
    public void addReader(int fd, Runnable callback) {
        addWatch(fdTarget(fd), false, callback, "addReader");
    }

    /** As {@link #addReader(int, Runnable)} for a channel the caller owns, in non-blocking mode. */
    public void addReader(java.nio.channels.SelectableChannel channel, Runnable callback) {
        addWatch(Objects.requireNonNull(channel, "channel"), false, callback, "addReader");
    }

    /** Stops calling the reader of {@code fd}; true if there was one (asyncio's {@code remove_reader}). */
    public boolean removeReader(int fd) {
        return removeWatch(fdTarget(fd), false, "removeReader");
    }

    /** As {@link #removeReader(int)} for a channel. */
    public boolean removeReader(java.nio.channels.SelectableChannel channel) {
        return removeWatch(Objects.requireNonNull(channel, "channel"), false, "removeReader");
    }

    /** As {@link #addReader(int, Runnable)} for writability (asyncio's {@code add_writer}). */
    public void addWriter(int fd, Runnable callback) {
        addWatch(fdTarget(fd), true, callback, "addWriter");
    }

    /** As {@link #addWriter(int, Runnable)} for a channel the caller owns, in non-blocking mode. */
    public void addWriter(java.nio.channels.SelectableChannel channel, Runnable callback) {
        addWatch(Objects.requireNonNull(channel, "channel"), true, callback, "addWriter");
    }

    /** Stops calling the writer of {@code fd}; true if there was one (asyncio's {@code remove_writer}). */
    public boolean removeWriter(int fd) {
        return removeWatch(fdTarget(fd), true, "removeWriter");
    }

    /** As {@link #removeWriter(int)} for a channel. */
    public boolean removeWriter(java.nio.channels.SelectableChannel channel) {
        return removeWatch(Objects.requireNonNull(channel, "channel"), true, "removeWriter");
    }

    private static Integer fdTarget(int fd) {
        if (fd < 0) {
            throw new IllegalArgumentException("fd must be >= 0: " + fd);
        }
        return fd;
    }

    private void addWatch(Object target, boolean write, Runnable callback, String method) {
        checkThread(method);
        Objects.requireNonNull(callback, "callback");
        checkOpen();
        requireCapability(Capability.WATCH_FD);
        driver.addWatch(target, write, callback);
    }

    private boolean removeWatch(Object target, boolean write, String method) {
        checkThread(method);
        if (closed || !supports(Capability.WATCH_FD)) {
            return false;
        }
        return driver.removeWatch(target, write);
    }

    /**
     * Sends {@code count} bytes of {@code file}, from {@code offset}, over a stream
     * {@code transport} of this loop, and completes with the number of bytes sent: asyncio's
     * {@code loop.sendfile}. {@code count} 0 sends to the end of the file (asyncio's
     * {@code count=None}); a file shorter than {@code offset + count} sends what it has.
     *
     * <p><b>Paths.</b> Where the backend has a kernel path ({@link Capability#SENDFILE}: Linux
     * {@code sendfile(2)} on epoll, {@link FileChannel#transferTo} on nio, {@code TransmitFile} on
     * iocp), the transfer starts once the transport's write buffer has drained, and the bytes go
     * from the file to the socket without passing through Java memory, in chunks (so files over
     * 2 GiB work). Otherwise, or when
     * the kernel refuses the file before any byte went, the file is read in chunks on the loop
     * thread and written through the transport with its flow control, unless {@code fallback} is
     * false: then {@link SendfileNotAvailableException} ("sendfile not available: ...").
     *
     * <p><b>While it runs</b> the transport does not read, and {@code write}, {@code writeLines} and
     * {@code writeEof} fail with {@link IllegalStateException} "sendfile is in progress": bytes
     * written before and after keep their order. When it ends (done, failed or cancelled) the
     * file's position is {@code offset} plus the bytes sent, if any were, and reading resumes. If
     * the connection is lost midway (the peer closes, the transport is closed or aborted), the
     * future fails with an {@link IOException} saying how many bytes went, and the transport is
     * closed as any lost connection. The file must stay open until the future completes.
     *
     * <p>Loop thread only.
     *
     * @throws IllegalArgumentException before anything changes: a negative {@code offset} or
     *         {@code count}, a closed file, a file not open for reading (or not readable, a
     *         directory), a transport that is not a stream transport of this loop
     * @throws IllegalStateException when the transport is closing, has sent EOF, or runs a sendfile
     * @throws SendfileNotAvailableException with {@code fallback} false, when there is no kernel path
     */
    public LoopFuture<Long> sendfile(Transport transport, FileChannel file, long offset, long count,
                                     boolean fallback) {
        checkThread("sendfile");
        Objects.requireNonNull(transport, "transport");
        Objects.requireNonNull(file, "file");
        if (offset < 0) {
            throw new IllegalArgumentException("offset must be >= 0: " + offset);
        }
        if (count < 0) {
            throw new IllegalArgumentException("count must be >= 0 (0: to the end of the file): " + count);
        }
        if (!(transport instanceof dev.weft.loop.transport.StreamCore stream) || stream.loop() != this) {
            throw new IllegalArgumentException("transport is not a stream transport of this loop: " + transport);
        }
        checkReadable(file, offset);
        String reason = backend.unsupportedReason(Capability.SENDFILE);
        if (reason != null && !fallback) {
            UnsupportedCapabilityException u = new UnsupportedCapabilityException(backendName(), Capability.SENDFILE, reason);
            throw new SendfileNotAvailableException(u.getMessage(), u);
        }
        return stream.sendfile(file, offset, count, fallback, reason == null ? null : "unsupported on "
                + backendName() + ": " + reason);
    }

    /** Sends the whole of {@code file} over {@code transport}: {@code sendfile(transport, file, 0, 0, true)}. */
    public LoopFuture<Long> sendfile(Transport transport, FileChannel file) {
        return sendfile(transport, file, 0, 0, true);
    }

    /** A positional one-byte read: fails for a closed, write-only or unreadable file (a directory). */
    private static void checkReadable(FileChannel file, long offset) {
        if (!file.isOpen()) {
            throw new IllegalArgumentException("file is closed: " + file);
        }
        try {
            file.read(ByteBuffer.allocate(1), offset);
        } catch (NonReadableChannelException e) {
            throw new IllegalArgumentException("file is not open for reading: " + file, e);
        } catch (IOException e) {
            throw new IllegalArgumentException("file cannot be read at offset " + offset + ": " + file + ": " + e, e);
        }
    }

    /** The backend's name, for example {@code "nio"}. Thread-safe. */
    public String backendName() {
        return driver.backendName();
    }

    /** Whether this loop's backend offers {@code capability}. Thread-safe. */
    public boolean supports(Capability capability) {
        return backend.unsupportedReason(Objects.requireNonNull(capability, "capability")) == null;
    }

    /**
     * Fails with {@link UnsupportedCapabilityException} ("unsupported on &lt;backend&gt;:
     * &lt;reason&gt;") unless this loop's backend offers {@code capability}. Thread-safe.
     */
    public void requireCapability(Capability capability) {
        String reason = backend.unsupportedReason(Objects.requireNonNull(capability, "capability"));
        if (reason != null) {
            throw new UnsupportedCapabilityException(backendName(), capability, reason);
        }
    }

    /** Live I/O handles (servers, transports, connects in progress, child processes not finished). */
    public int liveHandles() {
        checkThread("liveHandles");
        return driver.liveHandles() + liveChildren.size();
    }

    /**
     * A snapshot of this loop's counters, gauges and lag (see {@link LoopStats}). Thread-safe and
     * cheap (a few loads, one small object; the inbox is counted, so a flooded inbox makes it
     * slower): meant to be read every second by a metrics exporter. Each call resets
     * {@link LoopStats#lagMaxNanos()}.
     */
    public LoopStats stats() {
        LoopMetrics m = metrics;
        return new LoopStats(m.iterations(), m.callbacksRun(), m.ioEvents(), m.pendingTimers(), inbox.size(),
                m.liveHandles(), m.lagLast(), m.takeLagMax(), m.lagAvg());
    }

    /** Timers scheduled and not yet fired or cancelled. */
    public int pendingTimers() {
        checkThread("pendingTimers");
        return timers.size();
    }

    // ---------------------------------------------------------------- TLS

    /**
     * As {@link #createServer(Supplier, String, int, ServerOptions)}, each connection speaking TLS with
     * server {@code tls} options; see {@link dev.weft.loop.tls.Tls#createServer}.
     */
    public LoopFuture<Server> createServer(Supplier<? extends BaseProtocol> protocolFactory, String host, int port,
                                           ServerOptions options, dev.weft.loop.tls.TlsOptions tls) {
        return dev.weft.loop.tls.Tls.createServer(this, protocolFactory, host, port, options, tls);
    }

    /**
     * As {@link #createConnection(Supplier, String, int, ConnectOptions)}, then a TLS handshake with
     * client {@code tls} options; {@code serverHostname} null means {@code host}. See
     * {@link dev.weft.loop.tls.Tls#createConnection}.
     */
    public <P extends BaseProtocol> LoopFuture<Connection<P>> createConnection(Supplier<P> protocolFactory,
                                                                               String host, int port,
                                                                               ConnectOptions options,
                                                                               dev.weft.loop.tls.TlsOptions tls,
                                                                               String serverHostname) {
        return dev.weft.loop.tls.Tls.createConnection(this, protocolFactory, host, port, options, tls, serverHostname);
    }

    /**
     * Upgrades a live connection to TLS (asyncio's {@code start_tls}); the future completes with the
     * TLS transport. See {@link dev.weft.loop.tls.Tls#startTls(Transport, BaseProtocol,
     * dev.weft.loop.tls.TlsOptions, boolean, String)}.
     */
    public LoopFuture<Transport> startTls(Transport transport, BaseProtocol protocol, dev.weft.loop.tls.TlsOptions tls,
                                          boolean serverSide, String serverHostname) {
        if (transport != null && transport.loop() != this) {
            throw new IllegalArgumentException("the transport belongs to another loop: " + transport);
        }
        return dev.weft.loop.tls.Tls.startTls(transport, protocol, tls, serverSide, serverHostname);
    }

    // ---------------------------------------------------------------- errors, debug

    /**
     * Handles what callbacks, protocols and unretrieved futures throw.
     *
     * <p>Called on the loop thread only, one call at a time.
     */
    @FunctionalInterface
    public interface ExceptionHandler {
        void handle(EventLoop loop, ExceptionContext context);
    }

    /** Sets the exception handler; null restores the default (which logs). */
    public void setExceptionHandler(ExceptionHandler handler) {
        checkThread("setExceptionHandler");
        this.exceptionHandler = handler;
    }

    public ExceptionHandler getExceptionHandler() {
        return exceptionHandler;
    }

    /**
     * The default handling: logs the context and the stack trace at ERROR. It never throws: when
     * logging fails (a logger that needs a descriptor for its time-zone data when the process has
     * none left, a broken log handler), one line goes to {@link System#err} instead, built without
     * calling anything that may need a descriptor or throw.
     */
    public void defaultExceptionHandler(ExceptionContext context) {
        try {
            LOG.log(System.Logger.Level.ERROR, context.toString(), context.exception());
        } catch (Throwable loggingFailed) {
            lastResort(context, loggingFailed);
        }
    }

    /**
     * Passes {@code context} to the handler (the default one when none is set). A handler that
     * throws, even an {@link Error}, is reported with the default handling, followed by the context
     * itself; this method never throws, so a failing handler cannot end {@link #runForever()}.
     */
    public void callExceptionHandler(ExceptionContext context) {
        ExceptionHandler h = exceptionHandler;
        if (h != null) {
            try {
                h.handle(this, context);
                return;
            } catch (Throwable t) {
                defaultExceptionHandler(new ExceptionContext("exception in the exception handler", t, context));
            }
        }
        defaultExceptionHandler(context);
    }

    /** One line on stderr: the context's message and exception class, without their toString. */
    private static void lastResort(ExceptionContext context, Throwable loggingFailed) {
        try {
            StringBuilder line = new StringBuilder(256).append("weft: ");
            appendSafely(line, context.message());
            Throwable e = context.exception();
            if (e != null) {
                line.append(": ").append(e.getClass().getName()).append(": ");
                String message;
                try {
                    message = e.getMessage();
                } catch (Throwable t) {
                    message = "?";
                }
                appendSafely(line, message);
            }
            line.append(" (logging failed: ").append(loggingFailed.getClass().getName()).append(')');
            for (int i = 0; i < line.length(); i++) {
                char c = line.charAt(i);
                if (c == '\n' || c == '\r') {
                    line.setCharAt(i, ' ');
                }
            }
            System.err.println(line);
        } catch (Throwable ignored) {
            // Nothing is left to report with.
        }
    }

    private static void appendSafely(StringBuilder line, String text) {
        line.append(text == null ? "null" : text);
    }

    /**
     * Debug mode (asyncio's), also on from the start with {@code -Dweft.loop.debug=true}: callbacks
     * (and task steps) slower than {@link #setSlowCallbackThreshold} are reported to the warning
     * handler with where their handle was made; handles, futures and tasks made from then on record
     * their creation site, so a failure nobody retrieved is reported with it. Costs a stack trace
     * per handle and future: not for production.
     */
    public void setDebug(boolean on) {
        checkThread("setDebug");
        this.debug = on;
    }

    /**
     * Debug mode: records where {@code made} (a handle or future) is being made, the caller's
     * stack. Thread-safe.
     */
    void recordCreationSite(Object made) {
        creationSites.put(made, CreationSite.capture());
    }

    /** Where {@code made} was made if the loop was in debug mode then; else null. Thread-safe. */
    StackTraceElement[] creationSiteOf(Object made) {
        return creationSites.get(made);
    }

    public boolean isDebug() {
        return debug;
    }

    /** The duration above which debug mode reports a callback (default 100 ms). */
    public void setSlowCallbackThreshold(Duration threshold) {
        checkThread("setSlowCallbackThreshold");
        if (threshold.isNegative()) {
            throw new IllegalArgumentException("threshold must not be negative: " + threshold);
        }
        this.slowCallbackNanos = threshold.toNanos();
    }

    public Duration getSlowCallbackThreshold() {
        return Duration.ofNanos(slowCallbackNanos);
    }

    /** Where debug warnings go (default: the {@code dev.weft.loop} logger at WARNING). */
    public void setWarningHandler(Consumer<String> handler) {
        checkThread("setWarningHandler");
        this.warningHandler = handler == null ? EventLoop::logWarning : handler;
    }

    void warn(String message) {
        warningHandler.accept(message);
    }

    private static void logWarning(String message) {
        LOG.log(System.Logger.Level.WARNING, message);
    }

    @Override
    public String toString() {
        return "EventLoop[" + name + ", " + driver.backendName() + (running ? ", running" : "") + (closed ? ", closed" : "") + "]";
    }

    // ---------------------------------------------------------------- tasks

    /** Tasks of this loop not yet done, in creation order. Loop thread only. */
    private final java.util.LinkedHashSet<Task<?>> liveTasks = new java.util.LinkedHashSet<>();

    /**
     * Wraps {@code coroutine} in a task and schedules its first step with {@link #callSoon}. The task
     * gets a name {@code Task-N}. Loop thread (or a task step) only.
     */
    public <T> Task<T> createTask(Coroutine<T> coroutine) {
        return createTask(coroutine, null);
    }

    /** As {@link #createTask(Coroutine)}, with a name (null: {@code Task-N}). */
    public <T> Task<T> createTask(Coroutine<T> coroutine, String name) {
        return createTask(coroutine, name, false);
    }

    /**
     * As {@link #createTask(Coroutine, String)}; with {@code eagerStart} the first step runs now,
     * inside this call, up to the body's first suspension (asyncio 3.12's {@code eager_start}): a
     * body that never suspends returns a task already done, never scheduled. Called inside a task,
     * that task resumes right after, before any other callback.
     */
    public <T> Task<T> createTask(Coroutine<T> coroutine, String name, boolean eagerStart) {
        checkThread("createTask");
        Objects.requireNonNull(coroutine, "coroutine");
        checkOpen();
        LoopInternals.Tasks tasks = LoopInternals.tasks();
        Task<T> task = tasks.newTask(this, coroutine, name);
        liveTasks.add(task);
        if (eagerStart) {
            tasks.startEagerly(task);
        } else {
            callSoon(tasks.firstStepCallback(task));
        }
        return task;
    }

    /** The tasks of this loop that are not done yet, in creation order (a snapshot). Loop thread only. */
    public java.util.Set<Task<?>> allTasks() {
        checkThread("allTasks");
        return java.util.Collections.unmodifiableSet(new java.util.LinkedHashSet<>(liveTasks));
    }

    static {
        LoopInternals.install(new LoopInternals.Loop() {
            @Override
            public void setStepThread(EventLoop loop, Thread t) {
                loop.stepThread = t;
            }

            @Override
            public void warn(EventLoop loop, String message) {
                loop.warn(message);
            }

            @Override
            public Consumer<String> warningHandler(EventLoop loop) {
                return loop.warningHandler;
            }

            @Override
            public void taskDone(EventLoop loop, Task<?> task) {
                loop.liveTasks.remove(task);
            }

            @Override
            public void childOpened(EventLoop loop, Runnable closer) {
                loop.liveChildren.add(closer);
            }

            @Override
            public void childClosed(EventLoop loop, Runnable closer) {
                loop.liveChildren.remove(closer);
            }
        });
    }

    /** At close: cancels the tasks not done and runs the suspended ones to their end (see {@link Task}). */
    private void closeTasks() {
        for (int round = 0; round < 16 && !liveTasks.isEmpty(); round++) {
            for (Task<?> t : new ArrayList<>(liveTasks)) {
                LoopInternals.tasks().closeWithLoop(t);
            }
        }
    }

    private record CancelTimer(TimerHandle handle) {
    }

    /**
     * Builds a loop with a chosen backend and clock.
     *
     * <p>Not thread-safe: set up and {@code build()} from one thread, any thread; the loop built
     * belongs to the thread that runs it.
     */
    public static final class Builder {
        private String backend;
        private LongSupplier clock = System::nanoTime;
        private String name;

        private Builder() {
        }

        /** The loop's name (see {@link EventLoop#name()}); null: {@code loop-N}. */
        public Builder name(String loopName) {
            if (loopName != null && loopName.isBlank()) {
                throw new IllegalArgumentException("name must not be blank: '" + loopName + "'");
            }
            this.name = loopName;
            return this;
        }

        /** Backend name ({@code auto}, {@code nio}, {@code epoll}, ...); default: the policy's choice. */
        public Builder backend(String name) {
            this.backend = name;
            return this;
        }

        /** The clock in nanoseconds (for tests: a fake clock driven by hand). */
        public Builder clock(LongSupplier nanoClock) {
            this.clock = Objects.requireNonNull(nanoClock, "clock");
            return this;
        }

        public EventLoop build() {
            LoopBackend b = backend == null ? EventLoopPolicy.selectBackend() : EventLoopPolicy.backend(backend);
            try {
                return new EventLoop(b, clock, name);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot open the " + b.name() + " backend: " + e.getMessage(), e);
            }
        }
    }
}
