package dev.weft.loop.readiness;

import dev.weft.loop.spi.NetSocket;
import dev.weft.loop.spi.Poller;
import dev.weft.loop.BaseProtocol;
import dev.weft.loop.Connection;
import dev.weft.loop.LoopFuture;
import dev.weft.loop.NativeIOException;
import dev.weft.loop.UnixSocketAddress;
import dev.weft.loop.transport.StreamCore;
import java.io.IOException;
import java.net.ConnectException;
import java.net.StandardProtocolFamily;
import java.util.function.Supplier;

/**
 * A connect to a Unix domain stream socket of readiness backends. Such a connect completes or fails
 * at once on Linux and the BSDs (a full backlog fails with EAGAIN rather than waiting); a backend
 * that reports it in progress is waited for on {@link Poller#WRITABLE}. A refused connect, or a path
 * where no socket is, fails with {@link ConnectException} naming the path. Cancelling the result
 * closes the socket.
 */
final class UnixConnect<P extends BaseProtocol> implements Poller.ReadyHandler {
    private final ReadinessDriver driver;
    private final Supplier<P> factory;
    private final UnixSocketAddress target;
    private final LoopFuture<Connection<P>> result;
    private NetSocket socket;
    private boolean registered;
    private ReadinessStream transport;

    private UnixConnect(ReadinessDriver driver, Supplier<P> factory, UnixSocketAddress target,
                        LoopFuture<Connection<P>> result) {
        this.driver = driver;
        this.factory = factory;
        this.target = target;
        this.result = result;
    }

    static <P extends BaseProtocol> void start(ReadinessDriver driver, Supplier<P> factory, UnixSocketAddress target,
                                               LoopFuture<Connection<P>> result) {
        UnixConnect<P> c = new UnixConnect<>(driver, factory, target, result);
        driver.opened(c);
        result.addDoneCallback(f -> {
            if (f.isCancelled()) {
                c.closeNow();
            }
        });
        try {
            c.socket = driver.sockets.openStream(StandardProtocolFamily.UNIX);
            if (c.socket.connect(target)) {
                c.connected();
                return;
            }
            driver.poller.register(c.socket, Poller.WRITABLE, c);
            c.registered = true;
        } catch (IOException | RuntimeException e) {
            c.failed(e);
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
                return;
            }
        } catch (IOException e) {
            failed(e);
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
        StreamCore core = t.transport();
        core.start();
        if (!result.isDone()) {
            result.setResult(new Connection<>(core, protocol));
        } else {
            core.abort();
        }
    }

    private void failed(Exception e) {
        closeNow();
        if (result.isDone()) {
            return;
        }
        if (e instanceof RuntimeException r) {
            result.setException(r);
            return;
        }
        String msg = e.getMessage();
        if (msg == null || !msg.contains(target.toString())) {
            msg = "cannot connect to '" + target + "': " + msg;
        }
        IOException named = nobodyListens(e) ? new ConnectException(msg) : new IOException(msg);
        named.initCause(e);
        result.setException(named);
    }

    /** ECONNREFUSED (a stale socket file) or ENOENT (no file): nothing to connect to. */
    private static boolean nobodyListens(Exception e) {
        if (e instanceof NativeIOException n) {
            return n.errorName().equals("ECONNREFUSED") || n.errorName().equals("ENOENT");
        }
        String m = String.valueOf(e.getMessage());
        return e instanceof ConnectException || m.contains("No such file");
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
