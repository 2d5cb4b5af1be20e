package dev.weft.loop;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * N event loops, each on a thread of its own, made through the same {@link EventLoopPolicy} as a
 * single loop: one per core uses every core with no lock between loops.
 *
 * <h2>Servers</h2>
 * {@link #createServer} spreads connections over the loops. Where the kernel can do it (Linux
 * {@code SO_REUSEPORT}, FreeBSD {@code SO_REUSEPORT_LB}; see
 * {@link ServerOptions#withReusePortBalanced}) each loop gets a listener of its own on the same
 * address and port, and the kernel picks the listener, so no connection passes between threads.
 * Elsewhere (macOS, iocp, Unix domain sockets) the first loop's listener accepts and hands each
 * connection in turn to the loops ({@link Spread#HAND_OFF}), through a queue per loop and a wake-up
 * of that loop. Either way the protocol factory is called on the loop that owns the connection, and
 * the connection, its transport and protocol stay on that loop. A backend that can do neither
 * fails {@link #createServer} with the reason, unless the group has one open loop.
 *
 * <h2>Clients</h2>
 * {@link #createConnection} makes each connection on the next loop in turn ({@link #next()}).
 *
 * <h2>Threads and confinement</h2>
 * Every method here is thread-safe. The loops are confined as any loop is: an object of one loop (a
 * transport, a server part, a future, a task) used from another loop's thread fails with an
 * {@link IllegalStateException} naming both loops; hand work over with the owner's
 * {@link EventLoop#execute}. A loop whose {@link EventLoop#stop()} is called ends its thread and is
 * closed (its connections aborted); the other loops and their connections go on, and
 * {@link #next()} and new servers skip it.
 *
 * <h2>Shutdown</h2>
 * {@link #shutdownGracefully(Duration)} stops accepting (closes every listener), lets each loop run
 * until it has no live handle or the timeout has passed, then stops and closes the loops; it
 * completes once every loop thread has ended.
 */
public final class EventLoopGroup implements AutoCloseable {
    private static final AtomicInteger GROUP_IDS = new AtomicInteger();
    private static final long DRAIN_POLL_MILLIS = 10;

    /** How {@link #createServer} spreads connections. Constants: any thread may use them. */
    public enum Spread {
        /** A listener per loop where the kernel balances one port over several, else {@link #HAND_OFF}. */
        AUTO,
        /** A listener per loop, balanced by the kernel; fails where the OS or backend has no such option. */
        LISTENER_PER_LOOP,
        /** One listener on the first open loop, handing accepted connections to the loops in turn. */
        HAND_OFF
    }

    private final String name;
    private final EventLoop[] loops;
    private final Thread[] threads;
    private final Spread spread;
    private final AtomicInteger nextLoop = new AtomicInteger();
    private final AtomicInteger running;
    private final CompletableFuture<Void> terminated = new CompletableFuture<>();
    private final List<GroupServer> servers = new ArrayList<>();
    private volatile boolean shuttingDown;

    private EventLoopGroup(Builder b) {
        this.name = b.name != null ? b.name : "weft-group-" + GROUP_IDS.incrementAndGet();
        this.spread = b.spread;
        this.loops = new EventLoop[b.loops];
        this.threads = new Thread[b.loops];
        try {
            for (int i = 0; i < loops.length; i++) {
                EventLoop.Builder lb = EventLoop.builder().name(name + "-loop-" + i);
                if (b.backend != null) {
                    lb.backend(b.backend);
                }
                loops[i] = lb.build();
            }
        } catch (RuntimeException e) {
            for (EventLoop l : loops) {
                if (l != null) {
                    l.close();
                }
            }
            throw e;
        }
        this.running = new AtomicInteger(loops.length);
        for (int i = 0; i < loops.length; i++) {
            EventLoop loop = loops[i];
            threads[i] = new Thread(() -> runLoop(loop), loop.name());
        }
        for (Thread t : threads) {
            t.start();
        }
    }

    /** A group of one loop per available processor, on the policy's backend. */
    public static EventLoopGroup create() {
        return builder().build();
    }

    /** A group of {@code loops} loops on the policy's backend. */
    public static EventLoopGroup create(int loops) {
        return builder().loops(loops).build();
    }

    public static Builder builder() {
        return new Builder();
    }

    private void runLoop(EventLoop loop) {
        try {
            loop.runForever();
        } catch (Throwable t) {
            loop.callExceptionHandler(new ExceptionContext("the loop thread of " + loop.name() + " failed", t, this));
        } finally {
            try {
                loop.close();
            } finally {
                if (running.decrementAndGet() == 0) {
                    terminated.complete(null);
                }
            }
        }
    }

    /** The group's name; its loops are {@code NAME-loop-0} and so on, each run by a thread of that name. */
    public String name() {
        return name;
    }

    /** The number of loops (closed ones included). */
    public int size() {
        return loops.length;
    }

    /** The loops, in order (closed ones included). */
    public List<EventLoop> loops() {
        return List.of(loops);
    }

    /** Loop {@code i}. */
    public EventLoop loop(int i) {
        Objects.checkIndex(i, loops.length);
        return loops[i];
    }

    /** The loop after the last one given out, skipping closed loops (round-robin). */
    public EventLoop next() {
        for (int tries = 0; tries < loops.length; tries++) {
            EventLoop l = loops[Math.floorMod(nextLoop.getAndIncrement(), loops.length)];
            if (!l.isClosed()) {
                return l;
            }
        }
        throw new IllegalStateException("every loop of " + name + " is closed");
    }

    /** Whether every loop thread has ended. */
    public boolean isTerminated() {
        return terminated.isDone();
    }

    /** Completes once every loop thread has ended and its loop is closed. */
    public CompletionStage<Void> terminationFuture() {
        return terminated.copy();
    }

    // ---------------------------------------------------------------- servers

    /**
     * Starts a TCP server on {@code host:port} (as {@link EventLoop#createServer}: host null or
     * empty: all interfaces; port 0: a free port, the same one for every loop) served by every open
     * loop. Completes, on a loop thread, with the server; fails as a single loop's would, or with
     * {@link UnsupportedOperationException} naming the backend where it cannot spread connections.
     */
    public CompletionStage<GroupServer> createServer(Supplier<? extends BaseProtocol> protocolFactory, String host,
                                                     int port, ServerOptions options) {
        Objects.requireNonNull(protocolFactory, "protocolFactory");
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port out of range 0..65535: " + port);
        }
        ServerOptions opts = options == null ? ServerOptions.DEFAULTS : options;
        List<EventLoop> open = openLoops();
        if (open.size() == 1) {
            return onLoop(open.get(0), l -> l.createServer(protocolFactory, host, port, opts))
                    .thenApply(s -> register(new GroupServer(List.of(s), GroupServer.Kind.SINGLE)));
        }
        if (spread == Spread.HAND_OFF) {
            return handOffServer(open, protocolFactory, l -> l.createServer(protocolFactory, host, port, opts), opts);
        }
        ServerOptions balanced = opts.withReusePortBalanced(true);
        return onLoop(open.get(0), l -> l.createServer(protocolFactory, host, port, balanced))
                .handle((first, failure) -> {
                    if (failure == null) {
                        return listenerPerLoop(open, protocolFactory, first, balanced);
                    }
                    Throwable cause = unwrap(failure);
                    if (spread == Spread.AUTO && cause instanceof UnsupportedOperationException) {
                        return handOffServer(open, protocolFactory, l -> l.createServer(protocolFactory, host, port, opts),
                                opts);
                    }
                    return CompletableFuture.<GroupServer>failedFuture(cause);
                })
                .thenCompose(Function.identity());
    }

    /**
     * Starts a Unix domain stream server on {@code path} (as {@link EventLoop#createUnixServer}):
     * the first open loop accepts and hands connections to every open loop in turn.
     */
    public CompletionStage<GroupServer> createUnixServer(Supplier<? extends BaseProtocol> protocolFactory, String path,
                                                         UnixServerOptions options) {
        Objects.requireNonNull(protocolFactory, "protocolFactory");
        List<EventLoop> open = openLoops();
        if (open.size() == 1) {
            return onLoop(open.get(0), l -> l.createUnixServer(protocolFactory, path, options))
                    .thenApply(s -> register(new GroupServer(List.of(s), GroupServer.Kind.SINGLE)));
        }
        return handOffServer(open, protocolFactory, l -> l.createUnixServer(protocolFactory, path, options),
                ServerOptions.DEFAULTS.withTcpNoDelay(false));
    }

    /** The first loop's server is made; the others listen on its addresses (their real ports). */
    private CompletableFuture<GroupServer> listenerPerLoop(List<EventLoop> open, Supplier<? extends BaseProtocol> factory,
                                                           Server first, ServerOptions balanced) {
        List<CompletableFuture<Server>> rest = new ArrayList<>();
        for (EventLoop l : open.subList(1, open.size())) {
            rest.add(onLoop(l, loop -> {
                LoopFuture<Server> f = loop.createFuture();
                try {
                    f.setResult(loop.driver().createServer(factory, first.addresses(), balanced));
                } catch (IOException | RuntimeException e) {
                    f.setException(e);
                }
                return f;
            }));
        }
        List<CompletableFuture<Server>> all = new ArrayList<>();
        all.add(CompletableFuture.completedFuture(first));
        all.addAll(rest);
        return allOrClose(all, GroupServer.Kind.LISTENER_PER_LOOP);
    }

    /**
     * Hand-off targets on every loop but the first, then the acceptor on the first, which serves too
     * and hands each accepted connection to the next loop in turn.
     */
    private CompletableFuture<GroupServer> handOffServer(List<EventLoop> open, Supplier<? extends BaseProtocol> factory,
                                                         Function<EventLoop, LoopFuture<Server>> acceptor,
                                                         ServerOptions targetOptions) {
        List<CompletableFuture<Server>> targets = new ArrayList<>();
        for (EventLoop l : open.subList(1, open.size())) {
            targets.add(onLoop(l, loop -> {
                LoopFuture<Server> f = loop.createFuture();
                try {
                    f.setResult(loop.driver().createHandOffTarget(factory, targetOptions));
                } catch (IOException | RuntimeException e) {
                    f.setException(e);
                }
                return f;
            }));
        }
        CompletableFuture<GroupServer> made = allOrClose(targets, GroupServer.Kind.HAND_OFF);
        return made.thenCompose(t -> {
            CompletableFuture<Server> acc = onLoop(open.get(0), loop -> {
                LoopFuture<Server> f = loop.createFuture();
                acceptor.apply(loop).addDoneCallback(s -> {
                    if (s.isCancelled() || s.peekException() != null) {
                        f.setException(s.isCancelled() ? new IOException("cancelled") : s.exception());
                        return;
                    }
                    Server a = s.result();
                    List<Server> to = new ArrayList<>();
                    to.add(a);
                    to.addAll(t.servers());
                    try {
                        loop.driver().handOff(a, to);
                        f.setResult(a);
                    } catch (RuntimeException e) {
                        a.close();
                        f.setException(e);
                    }
                });
                return f;
            });
            return acc.handle((a, failure) -> {
                synchronized (servers) {
                    servers.remove(t);
                }
                if (failure != null) {
                    t.close();
                    throw new java.util.concurrent.CompletionException(unwrap(failure));
                }
                List<Server> parts = new ArrayList<>();
                parts.add(a);
                parts.addAll(t.servers());
                return register(new GroupServer(parts, GroupServer.Kind.HAND_OFF));
            });
        });
    }

    /** A group server of every part once all are made; if one fails, the others are closed. */
    private CompletableFuture<GroupServer> allOrClose(List<CompletableFuture<Server>> parts, GroupServer.Kind kind) {
        return CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new)).handle((ok, failure) -> {
            List<Server> made = new ArrayList<>();
            for (CompletableFuture<Server> p : parts) {
                if (!p.isCompletedExceptionally()) {
                    made.add(p.join());
                }
            }
            if (failure != null) {
                new GroupServer(made, kind).close();
                throw new java.util.concurrent.CompletionException(unwrap(failure));
            }
            return register(new GroupServer(made, kind));
        });
    }

    private GroupServer register(GroupServer s) {
        synchronized (servers) {
            servers.add(s);
        }
        return s;
    }

    // ---------------------------------------------------------------- clients

    /**
     * Connects to {@code host:port} from the next loop ({@link #next()}), as that loop's
     * {@link EventLoop#createConnection} does; completes on that loop's thread, where the
     * connection's transport and protocol live.
     */
    public <P extends BaseProtocol> CompletionStage<Connection<P>> createConnection(Supplier<P> protocolFactory,
                                                                                    String host, int port,
                                                                                    ConnectOptions options) {
        Objects.requireNonNull(protocolFactory, "protocolFactory");
        Objects.requireNonNull(host, "host");
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port out of range 1..65535: " + port);
        }
        checkNotShuttingDown();
        return onLoop(next(), l -> l.createConnection(protocolFactory, host, port, options));
    }

    /** As {@link #createConnection(Supplier, String, int, ConnectOptions)} to a Unix domain socket. */
    public <P extends BaseProtocol> CompletionStage<Connection<P>> createUnixConnection(Supplier<P> protocolFactory,
                                                                                        String path) {
        Objects.requireNonNull(protocolFactory, "protocolFactory");
        checkNotShuttingDown();
        return onLoop(next(), l -> l.createUnixConnection(protocolFactory, path));
    }

    // ---------------------------------------------------------------- shutdown

    /**
     * Stops accepting on every server of the group, lets each loop run until it has no live handle
     * (its connections closed by their peers or protocols) or {@code timeout} has passed, then stops
     * and closes the loops; a connection still open then is aborted. Completes once every loop
     * thread has ended. Idempotent: a second call returns the same completion.
     */
    public CompletionStage<Void> shutdownGracefully(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("timeout must be >= 0: " + timeout);
        }
        synchronized (this) {
            if (shuttingDown) {
                return terminationFuture();
            }
            shuttingDown = true;
        }
        long deadline = System.nanoTime() + Math.min(timeout.toNanos(), TimeUnit.DAYS.toNanos(1));
        List<GroupServer> all;
        synchronized (servers) {
            all = new ArrayList<>(servers);
        }
        List<CompletableFuture<Void>> closing = new ArrayList<>();
        for (GroupServer s : all) {
            closing.add(s.close().toCompletableFuture());
        }
        CompletableFuture.allOf(closing.toArray(CompletableFuture[]::new)).whenComplete((ok, failure) -> {
            for (EventLoop l : loops) {
                try {
                    l.execute(() -> drainThenStop(l, deadline));
                } catch (IllegalStateException closed) {
                    // That loop has ended already.
                }
            }
        });
        return terminationFuture();
    }

    private static void drainThenStop(EventLoop loop, long deadline) {
        if (loop.liveHandles() == 0 || System.nanoTime() - deadline >= 0) {
            loop.stop();
            return;
        }
        loop.callLater(DRAIN_POLL_MILLIS, TimeUnit.MILLISECONDS, () -> drainThenStop(loop, deadline));
    }

    /**
     * {@link #shutdownGracefully} with no wait for connections, then waits for the loop threads to
     * end. Not from a loop thread of this group (it would wait for itself).
     */
    @Override
    public void close() {
        Thread t = Thread.currentThread();
        for (Thread own : threads) {
            if (own == t) {
                throw new IllegalStateException("close() waits for the loop threads; called from " + t.getName()
                        + ", use shutdownGracefully instead");
            }
        }
        shutdownGracefully(Duration.ZERO).toCompletableFuture().join();
    }

    // ---------------------------------------------------------------- helpers

    private List<EventLoop> openLoops() {
        checkNotShuttingDown();
        List<EventLoop> open = new ArrayList<>(loops.length);
        for (EventLoop l : loops) {
            if (!l.isClosed()) {
                open.add(l);
            }
        }
        if (open.isEmpty()) {
            throw new IllegalStateException("every loop of " + name + " is closed");
        }
        return open;
    }

    private void checkNotShuttingDown() {
        if (shuttingDown) {
            throw new IllegalStateException(name + " is shutting down");
        }
    }

    /** Runs {@code work} on {@code loop}'s thread and completes with the loop future it returns. */
    static <T> CompletableFuture<T> onLoop(EventLoop loop, Function<EventLoop, LoopFuture<T>> work) {
        CompletableFuture<T> cf = new CompletableFuture<>();
        try {
            loop.execute(() -> {
                try {
                    work.apply(loop).addDoneCallback(f -> {
                        if (f.isCancelled()) {
                            cf.cancel(false);
                        } else if (f.peekException() != null) {
                            cf.completeExceptionally(f.exception());
                        } else {
                            cf.complete(f.result());
                        }
                    });
                } catch (Throwable t) {
                    cf.completeExceptionally(t);
                }
            });
        } catch (IllegalStateException closed) {
            cf.completeExceptionally(new IllegalStateException(loop.name() + " is closed", closed));
        }
        return cf;
    }

    static Throwable unwrap(Throwable t) {
        while ((t instanceof java.util.concurrent.CompletionException
                || t instanceof java.util.concurrent.ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    @Override
    public String toString() {
        return "EventLoopGroup[" + name + ", " + loops.length + " loops on " + loops[0].backendName()
                + (shuttingDown ? ", shutting down" : "") + "]";
    }

    /**
     * Builds a group: the number of loops, the backend, the name and how servers spread connections.
     * Not thread-safe: one thread configures it and calls {@link #build()}.
     */
    public static final class Builder {
        private int loops = Runtime.getRuntime().availableProcessors();
        private String backend;
        private String name;
        private Spread spread = Spread.AUTO;

        private Builder() {
        }

        /** The number of loops (default: {@link Runtime#availableProcessors()}). */
        public Builder loops(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("loops must be >= 1: " + n);
            }
            this.loops = n;
            return this;
        }

        /** Backend name, as {@link EventLoop.Builder#backend}; default: the policy's choice. */
        public Builder backend(String backendName) {
            this.backend = backendName;
            return this;
        }

        /** The group's name (default {@code weft-group-N}), prefix of its loops' names. */
        public Builder name(String groupName) {
            if (groupName != null && groupName.isBlank()) {
                throw new IllegalArgumentException("name must not be blank: '" + groupName + "'");
            }
            this.name = groupName;
            return this;
        }

        /** How TCP servers spread connections (default {@link Spread#AUTO}). */
        public Builder spread(Spread how) {
            this.spread = Objects.requireNonNull(how, "spread");
            return this;
        }

        /** Makes the loops (failing, with none left open, if the backend cannot be opened) and starts their threads. */
        public EventLoopGroup build() {
            return new EventLoopGroup(this);
        }
    }
}
