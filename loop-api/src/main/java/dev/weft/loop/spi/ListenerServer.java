package dev.weft.loop.spi;

import dev.weft.loop.BaseProtocol;
import dev.weft.loop.EventLoop;
import dev.weft.loop.ExceptionContext;
import dev.weft.loop.LoopFuture;
import dev.weft.loop.NativeIOException;
import dev.weft.loop.Server;
import dev.weft.loop.ServerOptions;
import dev.weft.loop.UnixServerOptions;
import dev.weft.loop.UnixSocketAddress;
import dev.weft.loop.transport.ServerClients;
import dev.weft.loop.transport.StreamCore;
import dev.weft.loop.transport.UnixSocketFile;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * A TCP or Unix domain stream server of readiness backends: one listening socket per address, an
 * accept loop that takes up to {@link #ACCEPT_BATCH} connections per readiness event.
 *
 * <p><b>Out of descriptors.</b> When accept fails with EMFILE/ENFILE (or ENOBUFS/ENOMEM), the
 * pending connection cannot be taken and the socket stays readable, so a level-triggered loop would
 * spin. The server stops watching its listeners for {@link #ACCEPT_RETRY_MS} ms instead, reports
 * the error once per pause to the exception handler, and resumes (asyncio does the same in
 * {@code selector_events._accept_connection}).
 */
final class ListenerServer implements Server {
    static final int ACCEPT_BATCH = 64;
    static final long ACCEPT_RETRY_MS = 100;

    private final ReadinessDriver driver;
    private final EventLoop loop;
    private final Supplier<? extends BaseProtocol> factory;
    private final ServerOptions options;
    private final List<NetSocket> listeners = new ArrayList<>();
    private final List<InetSocketAddress> addresses = new ArrayList<>();
    private final ServerClients clients;
    private boolean acceptPaused;
    /** A Unix server's socket file (removed on close unless replaced), else null. */
    private UnixSocketFile unixFile;

    private ListenerServer(ReadinessDriver driver, Supplier<? extends BaseProtocol> factory, ServerOptions options) {
        this.driver = driver;
        this.loop = driver.loop;
        this.factory = factory;
        this.options = options;
        this.clients = new ServerClients(driver.loop);
    }

    static ListenerServer open(ReadinessDriver driver, Supplier<? extends BaseProtocol> factory,
                               List<InetSocketAddress> addresses, ServerOptions options) throws IOException {
        ListenerServer s = new ListenerServer(driver, factory, options);
        try {
            for (InetSocketAddress a : addresses) {
                s.listen(a);
            }
        } catch (IOException | RuntimeException e) {
            s.closeListeners();
            throw e;
        }
        s.clients.startServing();
        driver.opened(s);
        return s;
    }

    /**
     * Listens on a Unix domain stream socket: the path is made ready by {@link UnixSocketFile}
     * (a stale socket removed, a live one or another file refused), bound, and its file removed again
     * if anything after the bind fails.
     */
    static ListenerServer openUnix(ReadinessDriver driver, Supplier<? extends BaseProtocol> factory,
                                   UnixSocketAddress address, UnixServerOptions unixOptions) throws IOException {
        ServerOptions options = ServerOptions.DEFAULTS.withBacklog(unixOptions.backlog()).withTcpNoDelay(false);
        ListenerServer s = new ListenerServer(driver, factory, options);
        UnixSocketFile file = UnixSocketFile.prepare(address, unixOptions.cleanupSocket());
        NetSocket l = driver.sockets.openListener(StandardProtocolFamily.UNIX);
        boolean registered = false;
        try {
            try {
                s.unixFile = file;
                l.bind(address);
                file.bound();
                l.listen(options.backlog());
                file.bound();
            } catch (IOException e) {
                if (e instanceof NativeIOException || String.valueOf(e.getMessage()).contains(address.toString())) {
                    throw e;
                }
                throw new IOException("cannot listen on '" + address + "': " + e.getMessage(), e);
            }
            driver.poller.register(l, Poller.READABLE, ops -> s.acceptSome(l));
            registered = true;
            s.listeners.add(l);
        } catch (IOException | RuntimeException e) {
            driver.closeSocket(l, registered);
            s.releaseUnixFile();
            throw e;
        }
        s.clients.startServing();
        driver.opened(s);
        return s;
    }

    private void releaseUnixFile() {
        if (unixFile != null) {
            IOException e = unixFile.release();
            if (e != null) {
                loop.callExceptionHandler(new ExceptionContext("removing the server's socket file failed", e, this));
            }
        }
    }

    private void listen(InetSocketAddress address) throws IOException {
        if (address.isUnresolved()) {
            throw new IOException("cannot listen on unresolved address " + address);
        }
        StandardProtocolFamily family = address.getAddress() instanceof Inet6Address
                ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET;
        NetSocket s = driver.sockets.openListener(family);
        boolean registered = false;
        try {
            if (options.reuseAddress()) {
                s.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            }
            if (options.reusePort()) {
                try {
                    s.setOption(StandardSocketOptions.SO_REUSEPORT, true);
                } catch (UnsupportedOperationException e) {
                    throw new UnsupportedOperationException("unsupported on " + driver.name
                            + ": SO_REUSEPORT (" + e.getMessage() + ")", e);
                }
            }
            if (options.receiveBufferSize() > 0) {
                s.setOption(StandardSocketOptions.SO_RCVBUF, options.receiveBufferSize());
            }
            s.bind(address);
            s.listen(options.backlog());
            driver.poller.register(s, Poller.READABLE, ops -> acceptSome(s));
            registered = true;
            listeners.add(s);
            addresses.add((InetSocketAddress) s.localAddress());
        } catch (IOException | RuntimeException e) {
            driver.closeSocket(s, registered);
            if (e instanceof IOException io && !(e instanceof NativeIOException)
                    && (io.getMessage() == null || !io.getMessage().contains(address.toString()))) {
                IOException named = new IOException("cannot listen on " + address + ": " + e.getMessage(), e);
                throw named;
            }
            throw e;
        }
    }

    private void acceptSome(NetSocket listener) {
        if (!clients.isServing() || acceptPaused) {
            return;
        }
        for (int i = 0; i < ACCEPT_BATCH; i++) {
            NetSocket c;
            try {
                c = listener.accept();
            } catch (IOException e) {
                if (isOutOfResources(e)) {
                    pauseAccepting(e);
                    return;
                }
                // ECONNABORTED and friends: that connection is gone, the next may be fine.
                continue;
            }
            if (c == null) {
                return;
            }
            accepted(c);
        }
    }

    private void accepted(NetSocket c) {
        BaseProtocol protocol;
        try {
            if (options.tcpNoDelay()) {
                c.setOption(StandardSocketOptions.TCP_NODELAY, true);
            }
            if (options.sendBufferSize() > 0) {
                c.setOption(StandardSocketOptions.SO_SNDBUF, options.sendBufferSize());
            }
            protocol = factory.get();
            if (protocol == null) {
                throw new IllegalStateException("the protocol factory returned null");
            }
        } catch (Throwable t) {
            driver.closeSocket(c, false);
            loop.callExceptionHandler(new ExceptionContext("accepting a connection failed", t, this));
            return;
        }
        ReadinessStream t;
        try {
            t = new ReadinessStream(driver, c, protocol, clients);
            t.register();
        } catch (Throwable e) {
            driver.closeSocket(c, false);
            loop.callExceptionHandler(new ExceptionContext("registering an accepted connection failed", e, this));
            return;
        }
        StreamCore transport = t.transport();
        clients.add(transport);
        loop.callSoon(transport::start);
    }

    static boolean isOutOfResources(IOException e) {
        if (e instanceof NativeIOException n) {
            String name = n.errorName();
            return name.equals("EMFILE") || name.equals("ENFILE") || name.equals("ENOBUFS") || name.equals("ENOMEM");
        }
        // java.nio gives only the text of strerror(3).
        String m = String.valueOf(e.getMessage());
        return m.contains("Too many open files") || m.contains("No buffer space") || m.contains("Cannot allocate memory");
    }

    private void pauseAccepting(IOException e) {
        acceptPaused = true;
        for (NetSocket l : listeners) {
            try {
                driver.poller.reregister(l, 0);
            } catch (IOException ignored) {
                // Re-enabled below or closed with the server.
            }
        }
        loop.callExceptionHandler(new ExceptionContext("accept failed: out of resources; pausing accept for "
                + ACCEPT_RETRY_MS + " ms", e, this));
        loop.callLater(ACCEPT_RETRY_MS, TimeUnit.MILLISECONDS, () -> {
            acceptPaused = false;
            if (!clients.isServing()) {
                return;
            }
            for (NetSocket l : listeners) {
                try {
                    driver.poller.reregister(l, Poller.READABLE);
                } catch (IOException ex) {
                    loop.callExceptionHandler(new ExceptionContext("cannot resume accepting", ex, this));
                }
            }
        });
    }

    void closeListeners() {
        clients.stopServing();
        for (NetSocket l : listeners) {
            driver.closeSocket(l, true);
        }
        listeners.clear();
        releaseUnixFile();
    }

    @Override
    public EventLoop loop() {
        return loop;
    }

    @Override
    public List<InetSocketAddress> addresses() {
        return List.copyOf(addresses);
    }

    @Override
    public List<SocketAddress> boundAddresses() {
        return unixFile != null ? List.of(unixFile.address()) : List.copyOf(addresses);
    }

    @Override
    public boolean isServing() {
        return clients.isServing();
    }

    @Override
    public void close() {
        loop.assertInLoop("Server.close");
        if (!clients.isServing() && listeners.isEmpty()) {
            return;
        }
        closeListeners();
        driver.closed(this);
    }

    @Override
    public LoopFuture<Void> waitClosed() {
        return clients.waitClosed();
    }

    @Override
    public void closeClients() {
        clients.closeAll();
    }

    @Override
    public void abortClients() {
        clients.abortAll();
    }

    @Override
    public int connectionCount() {
        return clients.count();
    }

    @Override
    public String toString() {
        return "Server[" + driver.name + ", " + boundAddresses() + (clients.isServing() ? ", serving" : ", closed") + "]";
    }
}
