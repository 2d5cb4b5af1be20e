package dev.weft.loop.readiness;

import dev.weft.loop.spi.NetSocket;
import dev.weft.loop.spi.Poller;
import dev.weft.loop.BaseProtocol;
import dev.weft.loop.EventLoop;
import dev.weft.loop.ExceptionContext;
import dev.weft.loop.NativeIOException;
import dev.weft.loop.ServerOptions;
import dev.weft.loop.UnixServerOptions;
import dev.weft.loop.UnixSocketAddress;
import dev.weft.loop.transport.ServerCore;
import dev.weft.loop.transport.StreamCore;
import dev.weft.loop.transport.UnixSocketFile;
import dev.weft.loop.core.ResourceWatch;
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
 * <p><b>Out of descriptors.</b> Each server holds one spare descriptor (see
 * {@link SpareDescriptor}). When accept fails with EMFILE or ENFILE, the server closes the spare,
 * accepts the waiting connections (up to a batch) and closes each at once, so their clients see the
 * connection end promptly instead of waiting in the backlog, then takes the spare again. Where that
 * is not possible (no spare held, accept still failing, or ENOBUFS/ENOMEM) the pending connection
 * cannot be taken and the listener stays readable, so a level-triggered loop would spin: the server
 * stops watching its listeners for {@link #ACCEPT_RETRY_MS} ms instead and resumes then, taking the
 * spare again if it can (asyncio waits the same second in
 * {@code selector_events._accept_connection}). Either way the failure goes to the exception handler
 * at most once per {@link #REPORT_INTERVAL_MS} ms, with the number of connections refused since the
 * last report. The classes this path uses are loaded with this one, so the first failure behaves
 * like every later one even when no descriptor is left to read a class file with.
 *
 * <p><b>Hand-off.</b> See {@link ServerCore}: a connection handed in from another loop is adopted by
 * this loop's socket factory before it becomes a transport here.
 *
 * <p><b>Threads.</b> As {@link ServerCore}: loop thread only, but for {@link #loop()},
 * {@link #addresses()} and {@link #toString()}.
 */
final class ListenerServer extends ServerCore<ListenerServer, NetSocket> {
    static final int ACCEPT_BATCH = 64;
    static final long ACCEPT_RETRY_MS = 1000;

    static {
        // Loaded now: out of descriptors, a class file cannot be opened (a NoClassDefFoundError
        // there made every poll fail and report instead of pausing).
        loadEagerly(NativeIOException.class, ExceptionContext.class, dev.weft.loop.TimerHandle.class,
                SpareDescriptor.class);
    }

    private final ReadinessDriver driver;
    private final List<NetSocket> listeners = new ArrayList<>();
    private final SpareDescriptor spare = new SpareDescriptor();
    private final Runnable resumeAccepting = this::resumeAccepting;
    private boolean acceptPaused;
    private int refusedUnreported;
    /** A Unix server's socket file (removed on close unless replaced), else null. */
    private UnixSocketFile unixFile;
    /** Debug mode: reports this server if it is garbage-collected unclosed; else null. */
    private ResourceWatch watch;

    private ListenerServer(ReadinessDriver driver, Supplier<? extends BaseProtocol> factory, ServerOptions options) {
        super(driver.loop, driver.name, factory, options);
        this.driver = driver;
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
        if (!addresses.isEmpty()) {
            s.spare.acquire();
        }
        s.clients.startServing();
        driver.opened(s);
        s.watch = ResourceWatch.open(s.loop, s, "server " + s);
        return s;
    }

    private static void loadEagerly(Class<?>... classes) {
        for (Class<?> c : classes) {
            c.getName();
        }
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
        s.watch = ResourceWatch.open(s.loop, s, "server " + s);
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
            if (options.reusePortBalanced()) {
                try {
                    s.setOption(dev.weft.loop.spi.BalancedReusePort.OPTION, true);
                } catch (UnsupportedOperationException e) {
                    throw new UnsupportedOperationException("unsupported on " + driver.name
                            + ": SO_REUSEPORT_LB (" + e.getMessage() + ")", e);
                }
            } else if (options.reusePort()) {
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
                    outOfResources(listener, e);
                    return;
                }
                // ECONNABORTED and friends: that connection is gone, the next may be fine.
                continue;
            }
            if (c == null) {
                return;
            }
            dispatch(c);
        }
    }

    /** On this loop: a connection another loop's listener accepted, adopted by this loop's sockets. */
    @Override
    protected void serveHandedIn(NetSocket accepted) {
        NetSocket c;
        try {
            c = driver.sockets.adopt(accepted);
        } catch (RuntimeException e) {
            driver.closeSocket(accepted, false);
            loop.callExceptionHandler(new ExceptionContext("taking over a connection from another loop failed", e, this));
            return;
        }
        serve(c);
    }

    @Override
    protected void closeAccepted(NetSocket c) {
        driver.closeSocket(c, false);
    }

    @Override
    protected void serve(NetSocket c) {
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

    /** EMFILE or ENFILE: the errors a spare descriptor helps with. */
    static boolean isOutOfDescriptors(IOException e) {
        if (e instanceof NativeIOException n) {
            String name = n.errorName();
            return name.equals("EMFILE") || name.equals("ENFILE");
        }
        // "Too many open files" (EMFILE) and "Too many open files in system" (ENFILE).
        return String.valueOf(e.getMessage()).contains("Too many open files");
    }

    private void outOfResources(NetSocket listener, IOException e) {
        if (isOutOfDescriptors(e) && spare.release()) {
            int refused = refuseWaiting(listener);
            spare.acquire();
            if (refused > 0) {
                refusedUnreported += refused;
                reportRefused("accept failed: out of descriptors; closing waiting connections at once", e);
                // The listener stays watched: more waiting connections make it readable again.
                return;
            }
        }
        pauseAccepting(e);
    }

    /** Accepts and closes at once up to a batch of waiting connections; returns how many. */
    private int refuseWaiting(NetSocket listener) {
        int refused = 0;
        for (int i = 0; i < ACCEPT_BATCH; i++) {
            NetSocket c;
            try {
                c = listener.accept();
            } catch (IOException e) {
                if (isOutOfResources(e)) {
                    break;
                }
                continue;
            }
            if (c == null) {
                break;
            }
            driver.closeSocket(c, false);
            refused++;
        }
        return refused;
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
        reportRefused("accept failed: out of resources; pausing accept for " + ACCEPT_RETRY_MS + " ms", e);
        loop.callLater(ACCEPT_RETRY_MS, TimeUnit.MILLISECONDS, resumeAccepting);
    }

    private void resumeAccepting() {
        acceptPaused = false;
        if (!clients.isServing()) {
            return;
        }
        spare.acquire();
        for (NetSocket l : listeners) {
            try {
                driver.poller.reregister(l, Poller.READABLE);
            } catch (IOException ex) {
                loop.callExceptionHandler(new ExceptionContext("cannot resume accepting", ex, this));
            }
        }
    }

    /** Reports at most once per {@link #REPORT_INTERVAL_MS}; what is held back is only counted. */
    private void reportRefused(String what, IOException e) {
        if (!reportDue()) {
            return;
        }
        int refused = refusedUnreported;
        refusedUnreported = 0;
        loop.callExceptionHandler(new ExceptionContext(what + " (" + refused + " refused since the last report;"
                + " reported at most once every " + REPORT_INTERVAL_MS + " ms)", e, this));
    }

    @Override
    protected void closeOwnListeners() {
        ResourceWatch.closed(watch);
        for (NetSocket l : listeners) {
            driver.closeSocket(l, true);
        }
        listeners.clear();
        spare.release();
        releaseUnixFile();
    }

    @Override
    public List<SocketAddress> boundAddresses() {
        return unixFile != null ? List.of(unixFile.address()) : List.copyOf(addresses);
    }

    @Override
    protected boolean holdsListeners() {
        return !listeners.isEmpty();
    }

    @Override
    protected void forget() {
        driver.closed(this);
    }
}
