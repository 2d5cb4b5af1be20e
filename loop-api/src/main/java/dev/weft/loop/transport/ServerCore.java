package dev.weft.loop.transport;

import dev.weft.loop.BaseProtocol;
import dev.weft.loop.EventLoop;
import dev.weft.loop.ExceptionContext;
import dev.weft.loop.LoopFuture;
import dev.weft.loop.Server;
import dev.weft.loop.ServerOptions;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * What every backend's stream {@link Server} does apart from accepting: the {@link Server} calls,
 * closing, the throttled reports of accept failures, and the hand-off of accepted connections to
 * the servers of other loops. A backend plugs in only its I/O: how a listener accepts, how an
 * accepted socket becomes one of its transports ({@link #serve}), and how one is closed.
 *
 * <p><b>Hand-off.</b> For {@code EventLoopGroup} where no kernel option spreads connections over
 * one listener per loop: a server can give what it accepts to servers of other loops of the same
 * backend in turn ({@link #handOffTo}). A connection goes into the target's queue first, then a
 * drain of that queue goes through the target loop's thread-safe inbox; there it becomes the
 * target's transport ({@link #serveHandedIn}) and counts among the target's connections. A target
 * whose loop is closed is skipped. A target that stopped serving closes what it is handed; when it
 * stops (its close, or its loop's) it refuses hand-offs first, then closes what its queue holds,
 * and an acceptor that finds it refusing after queueing closes what is left there itself, so no
 * handed connection is lost with a loop's inbox.
 *
 * <p><b>Threads.</b> Every public method but {@link #loop()}, {@link #addresses()} (fixed once the
 * server is open) and {@link #toString()} runs on the loop thread only and checks that first. The
 * hand-off queue is the one thing other loops' threads touch.
 *
 * @param <S> the backend's server class
 * @param <C> what its listeners accept (a socket object or a handle)
 */
public abstract class ServerCore<S extends ServerCore<S, C>, C> implements Server {
    /** Accept failures go to the exception handler at most once per this many ms. */
    public static final long REPORT_INTERVAL_MS = 1000;
    private static final long REPORT_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(REPORT_INTERVAL_MS);

    protected final EventLoop loop;
    protected final Supplier<? extends BaseProtocol> factory;
    protected final ServerOptions options;
    protected final ServerClients clients;
    /** The bound TCP addresses, in listening order; filled while the server opens. */
    protected final List<InetSocketAddress> addresses = new ArrayList<>();

    private final String backend;
    private boolean reported;
    private long nextReportNanos;
    /** Where accepted connections go, this server among them, in turn; null: all stay here. */
    private ServerCore<S, C>[] handOff;
    private int nextTarget;
    /** Connections other loops' servers handed to this one, not yet taken. Any thread. */
    private final ConcurrentLinkedQueue<C> handedIn = new ConcurrentLinkedQueue<>();
    /** Set (before the queue is closed out) once this server takes no more hand-offs. */
    private volatile boolean refusingHandOffs;
    private final Runnable takeHandedIn = this::takeHandedIn;

    protected ServerCore(EventLoop loop, String backend, Supplier<? extends BaseProtocol> factory,
                         ServerOptions options) {
        this.loop = loop;
        this.backend = backend;
        this.factory = factory;
        this.options = options;
        this.clients = new ServerClients(loop);
    }

    // ---------------------------------------------------------------- what a backend plugs in

    /** On this loop: {@code socket}, accepted here or handed in, becomes a transport of this server. */
    protected abstract void serve(C socket);

    /** Closes {@code socket}, accepted and not made a transport. Any loop of this backend. */
    protected abstract void closeAccepted(C socket);

    /** Closes the listeners and whatever belongs to them; called once serving has stopped. */
    protected abstract void closeOwnListeners();

    /** Takes this server out of its driver's open handles; called after the listeners closed. */
    protected abstract void forget();

    /** On this loop: a connection another loop accepted; by default as {@link #serve}. */
    protected void serveHandedIn(C socket) {
        serve(socket);
    }

    /** Whether listeners are still open (then {@link #close} closes them even when not serving). */
    protected boolean holdsListeners() {
        return false;
    }

    // ---------------------------------------------------------------- accepting

    /**
     * An accepted connection: served here, or handed to the next target whose loop is open (closed
     * when there is none). Loop thread.
     */
    protected final void dispatch(C socket) {
        ServerCore<S, C>[] to = handOff;
        if (to == null) {
            serve(socket);
            return;
        }
        for (int tries = 0; tries < to.length; tries++) {
            ServerCore<S, C> target = to[nextTarget];
            nextTarget = nextTarget + 1 == to.length ? 0 : nextTarget + 1;
            if (target == this) {
                serve(socket);
                return;
            }
            if (target.loop.isClosed() || target.refusingHandOffs) {
                continue;
            }
            target.handedIn.offer(socket);
            if (!target.refusingHandOffs) {
                try {
                    target.loop.callSoonThreadsafe(target.takeHandedIn);
                    return;
                } catch (IllegalStateException closedMeanwhile) {
                    // Its loop closed between the check and here: it refuses, or will, and then
                    // closes what it holds; what it left is closed below.
                }
            }
            C left;
            while ((left = target.handedIn.poll()) != null) {
                closeAccepted(left);
            }
            return;
        }
        closeAccepted(socket);
    }

    /** On this server's loop: takes the connections other loops' servers handed to it. */
    private void takeHandedIn() {
        C socket;
        while ((socket = handedIn.poll()) != null) {
            if (clients.isServing()) {
                serveHandedIn(socket);
            } else {
                closeAccepted(socket);
            }
        }
    }

    /**
     * Makes {@code acceptor} give each connection it accepts to the next of {@code targets} in turn
     * (servers of the same backend on any loop, {@code acceptor} itself among them or not).
     * Acceptor's loop thread.
     */
    public static void handOffTo(Server acceptor, List<Server> targets) {
        if (!(acceptor instanceof ServerCore<?, ?> a)) {
            throw new IllegalArgumentException("not a stream server of a Weft backend: " + acceptor);
        }
        a.loop.assertInLoop("Server.handOff");
        if (targets.isEmpty()) {
            throw new IllegalArgumentException("no server to hand connections to: " + targets);
        }
        ServerCore<?, ?>[] to = new ServerCore<?, ?>[targets.size()];
        for (int i = 0; i < to.length; i++) {
            if (!(targets.get(i) instanceof ServerCore<?, ?> t) || t.getClass() != a.getClass()
                    || !t.backend.equals(a.backend)) {
                throw new IllegalArgumentException("cannot hand " + a.backend + " connections to " + targets.get(i));
            }
            to[i] = t;
        }
        setHandOff(a, to);
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static void setHandOff(ServerCore a, ServerCore[] to) {
        a.handOff = to;
    }

    /**
     * Whether an accept failure may be reported now: true at most once per
     * {@link #REPORT_INTERVAL_MS} ms; what is held back meanwhile is the caller's to count.
     */
    protected final boolean reportDue() {
        long now = loop.time();
        if (reported && now < nextReportNanos) {
            return false;
        }
        reported = true;
        nextReportNanos = now > Long.MAX_VALUE - REPORT_INTERVAL_NANOS ? Long.MAX_VALUE : now + REPORT_INTERVAL_NANOS;
        return true;
    }

    /** Reports an accept failure unless one was reported less than {@link #REPORT_INTERVAL_MS} ago. */
    protected final void report(String what, Throwable e) {
        if (reportDue()) {
            loop.callExceptionHandler(new ExceptionContext(what + " (reported at most once every "
                    + REPORT_INTERVAL_MS + " ms)", e, this));
        }
    }

    // ---------------------------------------------------------------- closing

    /**
     * Stops serving: refuses hand-offs, closes what the hand-off queue holds, then the listeners.
     * Connections already accepted stay. Called by {@link #close} and by a driver closing with its
     * loop. Loop thread.
     */
    public final void closeListeners() {
        clients.stopServing();
        refusingHandOffs = true;
        C handed;
        while ((handed = handedIn.poll()) != null) {
            closeAccepted(handed);
        }
        closeOwnListeners();
    }

    // ---------------------------------------------------------------- Server

    @Override
    public final EventLoop loop() {
        return loop;
    }

    @Override
    public final List<InetSocketAddress> addresses() {
        return List.copyOf(addresses);
    }

    @Override
    public final boolean isServing() {
        loop.assertInLoop("Server.isServing");
        return clients.isServing();
    }

    @Override
    public final void close() {
        loop.assertInLoop("Server.close");
        if (!clients.isServing() && !holdsListeners()) {
            return;
        }
        closeListeners();
        forget();
    }

    @Override
    public final LoopFuture<Void> waitClosed() {
        return clients.waitClosed();
    }

    @Override
    public final void closeClients() {
        clients.closeAll();
    }

    @Override
    public final void abortClients() {
        clients.abortAll();
    }

    @Override
    public final int connectionCount() {
        loop.assertInLoop("Server.connectionCount");
        return clients.count();
    }

    @Override
    public String toString() {
        return "Server[" + backend + ", " + boundAddresses() + (clients.isServing() ? ", serving" : ", closed") + "]";
    }
}
