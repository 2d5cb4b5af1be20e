package dev.weft.loop;

import dev.weft.loop.spi.IoDriver;
import dev.weft.loop.spi.LoopBackend;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
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
import org.agrona.concurrent.ManyToOneConcurrentLinkedQueue;

/**
 * One event loop: a single thread that runs callbacks, timers and I/O, with asyncio's semantics.
 *
 * <h2>One iteration: {@link #runOnce()}</h2>
 * Each iteration runs these phases in this order, and is the only place callbacks are called:
 * <ol>
 *   <li><b>Inbox.</b> Drain what other threads sent through the lock-free MPSC inbox
 *       ({@link #callSoonThreadsafe}, timers scheduled or cancelled off the loop thread) into the
 *       ready queue and the timer wheel.</li>
 *   <li><b>I/O.</b> Poll the backend: without blocking if callbacks are ready or the loop is
 *       stopping, else until the earliest timer is due (forever with no timer), or until woken.
 *       Ready or completed I/O is dispatched to transports and their protocols right there.</li>
 *   <li><b>Timers.</b> Every timer whose deadline has passed moves to the ready queue in deadline
 *       order, equal deadlines in the order they were scheduled. A timer never runs early.</li>
 *   <li><b>Ready callbacks.</b> Run exactly the callbacks queued when this phase began, FIFO;
 *       callbacks they schedule run in the next iteration.</li>
 * </ol>
 *
 * <h2>Threads</h2>
 * The loop belongs to the thread running it. Methods that say "thread-safe"
 * ({@link #callSoonThreadsafe}, {@link #execute}, {@link #stop}, {@link #time}, {@link #isRunning},
 * {@link #isClosed}) may be called from anywhere; the others, called from another thread while the
 * loop runs, fail at once with {@link IllegalStateException}. Before the loop first runs, set it up
 * from one thread.
 *
 * <h2>Errors</h2>
 * What a callback throws goes to the exception handler, with context, and the loop goes on.
 *
 * <h2>Idle</h2>
 * An idle loop blocks in the backend's poll and uses no CPU.
 */
public final class EventLoop implements Executor, AutoCloseable {
    private static final System.Logger LOG = System.getLogger("dev.weft.loop");
    private static final long TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final Object WAKE = new Object();

    private final IoDriver driver;
    private final LongSupplier clock;
    private final TimerWheel timers;
    private final ManyToOneConcurrentLinkedQueue<Object> inbox = new ManyToOneConcurrentLinkedQueue<>();
    private final AtomicInteger wakeupArmed = new AtomicInteger();
    private final TimerWheel.Handler timerFired = this::onTimerFired;

    private Handle[] ready = new Handle[64];
    private int readyHead;
    private int readyTail;

    private volatile Thread loopThread;
    private volatile Thread stepThread;
    private volatile boolean stopping;
    private volatile boolean closed;
    private volatile boolean running;

    private ExceptionHandler exceptionHandler;
    private Consumer<String> warningHandler = EventLoop::logWarning;
    private boolean debug;
    private long slowCallbackNanos = TimeUnit.MILLISECONDS.toNanos(100);
    private ExecutorService defaultExecutor;

    private EventLoop(LoopBackend backend, LongSupplier clock) throws IOException {
        this.clock = clock;
        this.timers = new TimerWheel(TICK_NANOS, clock.getAsLong());
        this.driver = backend.open(this);
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

    /** Schedules {@code callback} to run in the next iteration, after those already scheduled. */
    public Handle callSoon(Runnable callback) {
        Objects.requireNonNull(callback, "callback");
        checkThread("callSoon");
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

    /** {@link Executor}: the same as {@link #callSoonThreadsafe}. Thread-safe. */
    @Override
    public void execute(Runnable command) {
        callSoonThreadsafe(command);
    }

    /** Runs {@code callback} once {@code delay} has passed on the loop's clock (never earlier). */
    public TimerHandle callLater(Duration delay, Runnable callback) {
        return callLater(delay.toNanos(), TimeUnit.NANOSECONDS, callback);
    }

    /** Runs {@code callback} once {@code delay} has passed (a negative delay means now). */
    public TimerHandle callLater(long delay, TimeUnit unit, Runnable callback) {
        long now = clock.getAsLong();
        long d = Math.max(0, unit.toNanos(delay));
        return callAt(d > Long.MAX_VALUE - now ? Long.MAX_VALUE : now + d, callback);
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

    /** Runs until {@link #stop()}. Fails if the loop is closed or already running. */
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
            exit();
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
            exit();
        }
        return future.result();
    }

    /**
     * Runs one iteration (see the class comment) and returns the work it did: inbox items taken, I/O
     * events dispatched and callbacks run. For tests and embedders driving the loop by hand.
     */
    public int runOnce() {
        enter();
        try {
            return runOnce0();
        } finally {
            exit();
        }
    }

    /**
     * Asks the loop to stop: it finishes the current batch of ready callbacks and returns from
     * {@link #runForever()}. Thread-safe.
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
     * Closes the loop: aborts what the backend still has open, releases it, drops pending callbacks
     * and timers and shuts the default executor down. Fails while running; idempotent.
     */
    @Override
    public void close() {
        if (running) {
            throw new IllegalStateException("cannot close a running loop; stop it first");
        }
        if (closed) {
            return;
        }
        closed = true;
        Thread previous = loopThread;
        loopThread = Thread.currentThread();
        try {
            driver.close();
        } finally {
            loopThread = previous;
        }
        while (readyHead != readyTail) {
            ready[readyHead] = null;
            readyHead = (readyHead + 1) & (ready.length - 1);
        }
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
        stopping = false;
    }

    private void exit() {
        stopping = false;
        running = false;
        loopThread = null;
    }

    private int runOnce0() {
        int work = drainInbox();

        long timeout;
        if (readyHead != readyTail || stopping) {
            timeout = 0;
        } else {
            long next = timers.earliestDeadline();
            if (next == Long.MAX_VALUE) {
                timeout = -1;
            } else {
                timeout = Math.max(0, next - clock.getAsLong());
            }
        }
        if (timeout != 0) {
            // Arm before the last inbox check: a producer that offers after this sees the flag
            // and wakes the poll; one that offered before is seen by the check.
            wakeupArmed.set(1);
            if (!inbox.isEmpty()) {
                timeout = 0;
            }
        }
        try {
            work += driver.poll(timeout);
        } catch (IOException e) {
            callExceptionHandler(new ExceptionContext("I/O poll failed", e, driver));
        } catch (RuntimeException | Error e) {
            callExceptionHandler(new ExceptionContext("unhandled exception in I/O dispatch", e, driver));
        } finally {
            wakeupArmed.set(0);
        }

        if (timers.size() != 0) {
            timers.poll(clock.getAsLong(), timerFired, Integer.MAX_VALUE);
        }

        int n = (readyTail - readyHead) & (ready.length - 1);
        for (int i = 0; i < n; i++) {
            Handle h = ready[readyHead];
            ready[readyHead] = null;
            readyHead = (readyHead + 1) & (ready.length - 1);
            if (!h.cancelled) {
                runHandle(h);
                work++;
            }
        }
        return work;
    }

    private int drainInbox() {
        int n = 0;
        Object o;
        while ((o = inbox.poll()) != null) {
            n++;
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
            } else if (o instanceof Handle h) {
                pushReady(h);
            }
        }
        return n;
    }

    private void onTimerFired(long id, Object payload) {
        TimerHandle th = (TimerHandle) payload;
        th.timerId = TimerWheel.NULL_TIMER;
        if (!th.cancelled) {
            pushReady(th);
        }
    }

    private void runHandle(Handle h) {
        if (debug) {
            long start = System.nanoTime();
            runGuarded(h);
            long took = System.nanoTime() - start;
            if (took >= slowCallbackNanos) {
                warn(String.format("executing %s took %.3f seconds", h, took / 1e9));
            }
        } else {
            runGuarded(h);
        }
    }

    private void runGuarded(Handle h) {
        try {
            h.callback.run();
        } catch (Throwable t) {
            if (t instanceof VirtualMachineError vme && !(t instanceof StackOverflowError)) {
                throw vme;
            }
            callExceptionHandler(new ExceptionContext("exception in callback", t, h));
        }
    }

    private void pushReady(Handle h) {
        Handle[] q = ready;
        q[readyTail] = h;
        readyTail = (readyTail + 1) & (q.length - 1);
        if (readyTail == readyHead) {
            growReady();
        }
    }

    private void growReady() {
        Handle[] old = ready;
        Handle[] q = new Handle[old.length << 1];
        int n = old.length - readyHead;
        System.arraycopy(old, readyHead, q, 0, n);
        System.arraycopy(old, 0, q, n, readyHead);
        readyHead = 0;
        readyTail = old.length;
        ready = q;
    }

    private void wakeup() {
        if (wakeupArmed.get() != 0 && wakeupArmed.compareAndSet(1, 0)) {
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
            throw new IllegalStateException(method + " must be called from the loop thread (" + owner.getName()
                    + "), not from " + t.getName() + "; use callSoonThreadsafe to hand work to the loop");
        }
    }

    /** Public form of the thread check, for transports and other loop-confined objects. */
    public void assertInLoop(String method) {
        checkThread(method);
    }

    /** Marks {@code t} as running a step on behalf of the loop (null to clear). Used by tasks. */
    void setStepThread(Thread t) {
        stepThread = t;
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
        Objects.requireNonNull(protocolFactory, "protocolFactory");
        ServerOptions opts = options == null ? ServerOptions.DEFAULTS : options;
        checkThread("createServer");
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
     * Connects to {@code host:port}, trying each resolved address in turn, and completes with the
     * transport and the protocol made by {@code protocolFactory}, once {@code connectionMade} has run.
     * A refused or unreachable connect fails with an exception naming the address.
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
        resolveThen(host, port, result, addresses -> driver.connect(protocolFactory, addresses, opts, result));
        return result;
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

    /** The backend's name, for example {@code "nio"}. Thread-safe. */
    public String backendName() {
        return driver.backendName();
    }

    /** Live I/O handles (servers, transports, connects in progress). */
    public int liveHandles() {
        return driver.liveHandles();
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

    /** Handles what callbacks, protocols and unretrieved futures throw. */
    @FunctionalInterface
    public interface ExceptionHandler {
        void handle(EventLoop loop, ExceptionContext context);
    }

    /** Sets the exception handler; null restores the default (which logs). */
    public void setExceptionHandler(ExceptionHandler handler) {
        this.exceptionHandler = handler;
    }

    public ExceptionHandler getExceptionHandler() {
        return exceptionHandler;
    }

    /** The default handling: logs the context and the stack trace at ERROR. */
    public void defaultExceptionHandler(ExceptionContext context) {
        LOG.log(System.Logger.Level.ERROR, context.toString(), context.exception());
    }

    /** Passes {@code context} to the handler; a failing handler falls back to the default. */
    public void callExceptionHandler(ExceptionContext context) {
        ExceptionHandler h = exceptionHandler;
        if (h == null) {
            defaultExceptionHandler(context);
            return;
        }
        try {
            h.handle(this, context);
        } catch (Throwable t) {
            defaultExceptionHandler(new ExceptionContext("exception in the exception handler", t, context));
            defaultExceptionHandler(context);
        }
    }

    /** Debug mode: report callbacks (and task steps) slower than {@link #setSlowCallbackThreshold}. */
    public void setDebug(boolean on) {
        this.debug = on;
    }

    public boolean isDebug() {
        return debug;
    }

    /** The duration above which debug mode reports a callback (default 100 ms). */
    public void setSlowCallbackThreshold(Duration threshold) {
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
        return "EventLoop[" + driver.backendName() + (running ? ", running" : "") + (closed ? ", closed" : "") + "]";
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
        Objects.requireNonNull(coroutine, "coroutine");
        checkThread("createTask");
        checkOpen();
        Task<T> task = new Task<>(this, coroutine, name);
        liveTasks.add(task);
        callSoon(task::firstStep);
        return task;
    }

    /** The tasks of this loop that are not done yet, in creation order (a snapshot). Loop thread only. */
    public java.util.Set<Task<?>> allTasks() {
        checkThread("allTasks");
        return java.util.Collections.unmodifiableSet(new java.util.LinkedHashSet<>(liveTasks));
    }

    void taskDone(Task<?> task) {
        liveTasks.remove(task);
    }

    private record CancelTimer(TimerHandle handle) {
    }

    /** Builds a loop with a chosen backend and clock. */
    public static final class Builder {
        private String backend;
        private LongSupplier clock = System::nanoTime;

        private Builder() {
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
                return new EventLoop(b, clock);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot open the " + b.name() + " backend: " + e.getMessage(), e);
            }
        }
    }
}
