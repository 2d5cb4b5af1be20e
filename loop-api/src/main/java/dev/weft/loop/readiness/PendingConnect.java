package dev.weft.loop.readiness;

import dev.weft.loop.spi.NetSocket;
import dev.weft.loop.spi.Poller;
import dev.weft.loop.BaseProtocol;
import dev.weft.loop.ConnectOptions;
import dev.weft.loop.Connection;
import dev.weft.loop.LoopFuture;
import dev.weft.loop.transport.StreamCore;
import java.io.IOException;
import java.net.ConnectException;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.util.List;
import java.util.function.Supplier;

/**
 * A TCP connect in progress: tries each address in turn; the first that accepts becomes a
 * stream transport whose protocol's {@code connectionMade} runs before the result completes.
 * Cancelling the result closes the socket.
 */
final class PendingConnect<P extends BaseProtocol> implements Poller.ReadyHandler {
    private final ReadinessDriver driver;
    private final Supplier<P> factory;
    private final List<InetSocketAddress> addresses;
    private final ConnectOptions options;
    private final LoopFuture<Connection<P>> result;
    private int index;
    private NetSocket socket;
    private InetSocketAddress target;
    private boolean registered;
    private IOException lastError;
    private ReadinessStream transport;

    PendingConnect(ReadinessDriver driver, Supplier<P> factory, List<InetSocketAddress> addresses,
                   ConnectOptions options, LoopFuture<Connection<P>> result) {
        this.driver = driver;
        this.factory = factory;
        this.addresses = addresses;
        this.options = options;
        this.result = result;
        driver.opened(this);
        result.addDoneCallback(f -> {
            if (f.isCancelled()) {
                closeNow();
            }
        });
    }

    /** Starts the connect to the next address, or fails the result when none is left. */
    void next() {
        while (!result.isDone()) {
            if (index >= addresses.size()) {
                driver.closed(this);
                result.setException(lastError != null ? lastError
                        : new ConnectException("no address to connect to"));
                return;
            }
            target = addresses.get(index++);
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
                    connected();
                    return;
                }
                driver.poller.register(socket, Poller.WRITABLE, this);
                registered = true;
                return;
            } catch (IOException e) {
                failed(e);
            }
        }
    }

    @Override
    public void onReady(int readyOps) {
        if (transport != null) {
            transport.onReady(readyOps);
            return;
        }
        if (result.isDone() || socket == null) {
            return;
        }
        try {
            if (!socket.finishConnect()) {
                return; // spurious wake-up: still connecting, stay registered for WRITABLE
            }
        } catch (IOException e) {
            failed(e);
            next();
            return;
        }
        connected();
    }

    private void connected() {
        NetSocket s = socket;
        socket = null;
        P protocol;
        ReadinessStream t;
        try {
            protocol = factory.get();
            if (protocol == null) {
                throw new IllegalStateException("the protocol factory returned null");
            }
            t = new ReadinessStream(driver, s, protocol, null);
            if (registered) {
                // Keep the registration: this handler forwards to the transport from now on.
                transport = t;
                t.adoptRegistration(Poller.WRITABLE);
            } else {
                t.register();
            }
        } catch (Throwable e) {
            driver.closeSocket(s, registered);
            registered = false;
            driver.closed(this);
            result.setException(e);
            return;
        }
        registered = false;
        driver.closed(this);
        StreamCore transport = t.transport();
        transport.start();
        if (!result.isDone()) {
            result.setResult(new Connection<>(transport, protocol));
        } else {
            transport.abort();
        }
    }

    private void failed(IOException e) {
        if (socket != null) {
            driver.closeSocket(socket, registered);
            socket = null;
            registered = false;
        }
        String msg = "cannot connect to " + target + ": " + e.getMessage();
        IOException named = e instanceof ConnectException || isRefusedOrUnreachable(e)
                ? new ConnectException(msg) : new IOException(msg);
        named.initCause(e);
        lastError = named;
    }

    private static boolean isRefusedOrUnreachable(IOException e) {
        if (e instanceof dev.weft.loop.NativeIOException n) {
            String name = n.errorName();
            return name.equals("ECONNREFUSED") || name.equals("ENETUNREACH") || name.equals("EHOSTUNREACH")
                    || name.equals("ETIMEDOUT");
        }
        // java.nio gives only the text of strerror(3).
        String m = String.valueOf(e.getMessage());
        return m.contains("ECONNREFUSED") || m.contains("ENETUNREACH") || m.contains("EHOSTUNREACH")
                || m.contains("ETIMEDOUT") || m.contains("refused");
    }

    void closeNow() {
        if (socket != null) {
            driver.closeSocket(socket, registered);
            socket = null;
            registered = false;
        }
        driver.closed(this);
    }
}
