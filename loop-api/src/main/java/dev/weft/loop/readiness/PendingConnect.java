package dev.weft.loop.readiness;

import dev.weft.loop.BaseProtocol;
import dev.weft.loop.ConnectOptions;
import dev.weft.loop.Connection;
import dev.weft.loop.LoopFuture;
import dev.weft.loop.TimerHandle;
import dev.weft.loop.spi.ConnectFailures;
import dev.weft.loop.spi.NetSocket;
import dev.weft.loop.spi.Poller;
import dev.weft.loop.transport.StreamCore;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * A TCP connect in progress over a list of addresses, tried in the list's order. Without a
 * happy-eyeballs delay one attempt runs at a time and the next starts when it fails. With one
 * (RFC 8305), the next attempt also starts when the delay has passed since the last start, while
 * earlier attempts go on. The first attempt to connect wins: every other attempt is closed (socket
 * off the poller and closed) before the protocol factory is called once, and the winner becomes a
 * stream transport whose {@code connectionMade} runs before the result completes. When every
 * attempt has failed the result fails with one error naming each address and its error
 * ({@link ConnectFailures}). Cancelling the result closes every attempt. Loop thread only; one live
 * handle however many attempts run.
 */
final class PendingConnect<P extends BaseProtocol> {
    private final ReadinessDriver driver;
    private final Supplier<P> factory;
    private final List<InetSocketAddress> addresses;
    private final ConnectOptions options;
    private final LoopFuture<Connection<P>> result;
    /** Nanoseconds between starts, or -1: one attempt at a time. */
    private final long staggerNanos;
    private final List<Attempt> running = new ArrayList<>(2);
    private final ConnectFailures failures = new ConnectFailures();
    private int index;
    private Attempt latest;
    private TimerHandle stagger;
    private boolean finished;

    PendingConnect(ReadinessDriver driver, Supplier<P> factory, List<InetSocketAddress> addresses,
                   ConnectOptions options, LoopFuture<Connection<P>> result) {
        this.driver = driver;
        this.factory = factory;
        this.addresses = addresses;
        this.options = options;
        this.result = result;
        this.staggerNanos = staggerNanos(options.happyEyeballsDelay());
        driver.opened(this);
        result.addDoneCallback(f -> {
            if (f.isCancelled()) {
                closeNow();
            }
        });
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

    /**
     * Starts the attempt on the next address (skipping those that fail at once), and arms the
     * stagger timer; fails the result when no address is left and no attempt runs.
     */
    void next() {
        cancelStagger();
        while (!finished && !result.isDone()) {
            if (index >= addresses.size()) {
                if (running.isEmpty()) {
                    finish();
                    result.setException(failures.toException());
                }
                return;
            }
            Attempt a = new Attempt(addresses.get(index++));
            if (a.start()) {
                return;
            }
        }
    }

    private void armStagger() {
        if (staggerNanos >= 0 && staggerNanos != Long.MAX_VALUE && index < addresses.size()) {
            stagger = driver.loop.callLater(staggerNanos, TimeUnit.NANOSECONDS, () -> {
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

    /** An attempt failed: record it; if it was the one started last, the next starts now. */
    private void attemptFailed(Attempt a, IOException e) {
        running.remove(a);
        failures.add(a.target, e);
        if (a == latest || running.isEmpty()) {
            next();
        }
    }

    /** {@code a} connected: close every other attempt, then make the transport. */
    private void won(Attempt a) {
        running.remove(a);
        closeAttempts();
        finish();
        NetSocket s = a.socket;
        boolean registered = a.registered;
        a.socket = null;
        P protocol;
        ReadinessStream t;
        try {
            protocol = factory.get();
            if (protocol == null) {
                throw new IllegalStateException("the protocol factory returned null");
            }
            t = new ReadinessStream(driver, s, protocol, null);
            if (registered) {
                // Keep the registration: the attempt's handler forwards to the transport from now on.
                a.transport = t;
                t.adoptRegistration(Poller.WRITABLE);
            } else {
                t.register();
            }
        } catch (Throwable e) {
            driver.closeSocket(s, registered);
            result.setException(e);
            return;
        }
        StreamCore transport = t.transport();
        transport.start();
        if (!result.isDone()) {
            result.setResult(new Connection<>(transport, protocol));
        } else {
            transport.abort();
        }
    }

    private void closeAttempts() {
        for (Attempt other : running) {
            other.close();
        }
        running.clear();
    }

    private void finish() {
        finished = true;
        cancelStagger();
        driver.closed(this);
    }

    void closeNow() {
        closeAttempts();
        finish();
    }

    /** One socket connecting to one address. Its handler forwards to the transport once it has won. */
    private final class Attempt implements Poller.ReadyHandler {
        final InetSocketAddress target;
        NetSocket socket;
        boolean registered;
        ReadinessStream transport;

        Attempt(InetSocketAddress target) {
            this.target = target;
        }

        /**
         * Opens the socket and starts the connect. Returns true when the attempt is under way (or
         * has already won); false when it failed at once (recorded).
         */
        boolean start() {
            try {
                StandardProtocolFamily family = target.getAddress() instanceof Inet6Address
                        ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET;
                socket = driver.sockets.openStream(family);
                if (options.tcpNoDelay()) {
                    socket.setOption(StandardSocketOptions.TCP_NODELAY, true);
                }
                if (options.receiveBufferSize() > 0) {
                    socket.setOption(StandardSocketOptions.SO_RCVBUF, options.receiveBufferSize());
                }
                if (options.sendBufferSize() > 0) {
                    socket.setOption(StandardSocketOptions.SO_SNDBUF, options.sendBufferSize());
                }
                if (options.localAddress() != null) {
                    socket.bind(options.localAddress());
                }
                if (socket.connect(target)) {
                    won(this);
                    return true;
                }
                driver.poller.register(socket, Poller.WRITABLE, this);
                registered = true;
            } catch (IOException e) {
                close();
                failures.add(target, e);
                return false;
            }
            running.add(this);
            latest = this;
            armStagger();
            return true;
        }

        @Override
        public void onReady(int readyOps) {
            if (transport != null) {
                transport.onReady(readyOps);
                return;
            }
            if (socket == null) {
                return; // closed (lost, or cancelled) after the poller reported it
            }
            try {
                if (!socket.finishConnect()) {
                    return; // spurious wake-up: still connecting, stay registered for WRITABLE
                }
            } catch (IOException e) {
                close();
                attemptFailed(this, e);
                return;
            }
            won(this);
        }

        void close() {
            if (socket != null) {
                driver.closeSocket(socket, registered);
                socket = null;
                registered = false;
            }
        }
    }
}
