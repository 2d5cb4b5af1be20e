package dev.weft.loop.transport;

import dev.weft.loop.BaseProtocol;
import dev.weft.loop.ConnectOptions;
import dev.weft.loop.Connection;
import dev.weft.loop.EventLoop;
import dev.weft.loop.LoopFuture;
import dev.weft.loop.TimerHandle;
import java.io.IOException;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * A stream connect in progress, what every backend's {@code createConnection} and
 * {@code createUnixConnection} share. A backend plugs in only the I/O of one attempt
 * ({@link ConnectIo}).
 *
 * <p><b>Order.</b> The targets are tried in the list's order. Without a happy-eyeballs delay one
 * attempt runs at a time and the next starts when it fails. With one (RFC 8305), the next attempt
 * also starts when the delay has passed since the last start, while earlier attempts go on; when
 * the attempt started last fails, the next starts at once. An attempt that fails as it starts is
 * recorded and the next one starts in the same call.
 *
 * <p><b>One winner.</b> The first attempt to connect wins: every other attempt is closed and the
 * stagger timer cancelled before the protocol factory is called, once; the winner's socket becomes
 * the backend's stream transport, whose {@code connectionMade} runs before the result completes. A
 * result already done by then (cancelled) gets nothing: the winner is closed and the factory is not
 * called.
 *
 * <p><b>Failure.</b> When every attempt has failed the result fails with one error naming each
 * target and its error ({@link ConnectFailures}). A {@link RuntimeException} from starting an
 * attempt closes every attempt and fails the result as it is.
 *
 * <p><b>Cancellation and handles.</b> Cancelling the result closes every attempt. From
 * {@link #start} until it is over the connect is one live handle of its driver, however many
 * attempts run; a driver closing with its loop calls {@link #closeNow}.
 *
 * <p><b>Threads.</b> Loop thread only, as the loop's connect calls.
 *
 * @param <P> the protocol the connection carries
 * @param <A> the kind of address the backend connects to
 */
public final class ConnectCore<P extends BaseProtocol, A extends SocketAddress> {
    private final EventLoop loop;
    private final ConnectIo<A> io;
    private final Supplier<P> factory;
    private final List<? extends A> targets;
    private final ConnectOptions options;
    private final LoopFuture<Connection<P>> result;
    /** Nanoseconds between starts, or -1: one attempt at a time. */
    private final long staggerNanos;
    private final List<ConnectIo.Attempt> running = new ArrayList<>(2);
    private final ConnectFailures failures = new ConnectFailures();
    private int index;
    private ConnectIo.Attempt latest;
    private TimerHandle stagger;
    private boolean finished;

    private ConnectCore(EventLoop loop, ConnectIo<A> io, Supplier<P> factory, List<? extends A> targets,
                        ConnectOptions options, LoopFuture<Connection<P>> result) {
        this.loop = loop;
        this.io = io;
        this.factory = factory;
        this.targets = targets;
        this.options = options;
        this.result = result;
        this.staggerNanos = options == null ? -1 : staggerNanos(options.happyEyeballsDelay());
    }

    /**
     * Starts connecting {@code result}'s connection to one of {@code targets} (never empty, in the
     * order to try). {@code options}: the TCP options, whose happy-eyeballs delay staggers the
     * attempts; null where none apply (a Unix domain socket), one attempt at a time.
     */
    public static <P extends BaseProtocol, A extends SocketAddress> ConnectCore<P, A> start(
            EventLoop loop, ConnectIo<A> io, Supplier<P> factory, List<? extends A> targets, ConnectOptions options,
            LoopFuture<Connection<P>> result) {
        ConnectCore<P, A> c = new ConnectCore<>(loop, io, factory, targets, options, result);
        io.opened(c);
        result.addDoneCallback(f -> {
            if (f.isCancelled()) {
                c.closeNow();
            }
        });
        c.next();
        return c;
    }

    /** The delay in nanoseconds, saturated (a delay beyond ~292 years never fires), or -1 when off. */
    private static long staggerNanos(Duration delay) {
        if (delay == null) {
            return -1;
        }
        try {
            return delay.toNanos();
        } catch (ArithmeticException tooLong) {
            return Long.MAX_VALUE;
        }
    }

    /** The options the connect was made with, or null for a Unix domain socket. */
    public ConnectOptions options() {
        return options;
    }

    // ---------------------------------------------------------------- what attempts report

    /** {@code attempt}, in progress, has connected: it wins unless the connect is already over. */
    public void connected(ConnectIo.Attempt attempt) {
        if (!running.contains(attempt)) {
            attempt.close(); // lost, or cancelled, before its report came
            return;
        }
        won(attempt);
    }

    /**
     * {@code attempt}, in progress, has failed with {@code error}: it is closed and recorded; if it
     * was the attempt started last, or none is left running, the next starts now.
     */
    public void failed(ConnectIo.Attempt attempt, IOException error) {
        attempt.close();
        if (!running.remove(attempt)) {
            return;
        }
        failures.add(attempt.target(), error);
        if (attempt == latest || running.isEmpty()) {
            next();
        }
    }

    // ---------------------------------------------------------------- attempts

    /**
     * Starts the attempt on the next target (recording those that fail at once), and arms the
     * stagger timer; fails the result when no target is left and no attempt runs.
     */
    private void next() {
        cancelStagger();
        while (!finished && !result.isDone()) {
            if (index >= targets.size()) {
                if (running.isEmpty()) {
                    closeNow();
                    result.setException(failures.toException());
                }
                return;
            }
            ConnectIo.Attempt a = io.attempt(this, targets.get(index++));
            boolean connected;
            try {
                connected = a.start();
            } catch (IOException e) {
                a.close();
                failures.add(a.target(), e);
                continue;
            } catch (RuntimeException e) {
                a.close();
                closeNow();
                result.setException(e);
                return;
            }
            if (connected) {
                won(a);
                return;
            }
            running.add(a);
            latest = a;
            armStagger();
            return;
        }
    }

    private void armStagger() {
        if (staggerNanos >= 0 && staggerNanos != Long.MAX_VALUE && index < targets.size()) {
            stagger = loop.callLater(staggerNanos, TimeUnit.NANOSECONDS, () -> {
                stagger = null;
                next();
            });
        }
    }

    private void cancelStagger() {
        if (stagger != null) {
            stagger.cancel();
            stagger = null;
        }
    }

    /** {@code a} connected: close every other attempt, then make the transport. */
    private void won(ConnectIo.Attempt a) {
        running.remove(a);
        closeNow();
        if (result.isDone()) {
            a.close(); // cancelled: nobody waits for a protocol
            return;
        }
        P protocol;
        StreamCore transport;
        try {
            protocol = factory.get();
            if (protocol == null) {
                throw new IllegalStateException("the protocol factory returned null");
            }
            transport = a.transport(protocol);
        } catch (Throwable e) {
            a.close();
            result.setException(e);
            return;
        }
        transport.start();
        if (!result.isDone()) {
            result.setResult(new Connection<>(transport, protocol));
        } else {
            transport.abort();
        }
    }

    /** Closes every attempt still running and ends the connect (a driver closing calls this too). */
    public void closeNow() {
        for (ConnectIo.Attempt a : running) {
            a.close();
        }
        running.clear();
        finished = true;
        cancelStagger();
        io.closed(this);
    }

    @Override
    public String toString() {
        return "Connect[" + targets + (finished ? ", over" : ", " + running.size() + " running") + "]";
    }
}
