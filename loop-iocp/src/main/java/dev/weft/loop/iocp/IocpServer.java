package dev.weft.loop.iocp;

import com.sun.jna.Function;
import dev.weft.loop.BaseProtocol;
import dev.weft.loop.ExceptionContext;
import dev.weft.loop.NativeIOException;
import dev.weft.loop.ServerOptions;
import dev.weft.loop.transport.ServerCore;
import dev.weft.loop.transport.StreamCore;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import static dev.weft.loop.iocp.WinConstants.*;

/**
 * A TCP server of the IOCP backend: per address one listening socket with {@value #ACCEPTS}
 * AcceptEx operations kept in flight, each on a socket made in advance. An accepted socket gets
 * SO_UPDATE_ACCEPT_CONTEXT (so getpeername and shutdown work), joins the port and becomes an
 * {@link IocpStream}; a new AcceptEx replaces the one that completed.
 *
 * <p><b>Out of resources.</b> An accept slot that cannot get a socket, or whose AcceptEx fails
 * other than by a reset, is tried again after {@link #ACCEPT_RETRY_MS} ms (asyncio's accept retry
 * delay); the failure goes to the exception handler at most once per {@link #REPORT_INTERVAL_MS}
 * ms for the whole server, however many slots fail. (The spare-descriptor technique of the
 * readiness servers does not apply: a connection waiting for AcceptEx costs no descriptor of ours.)
 *
 * <p><b>Windows socket options.</b> Windows' SO_REUSEADDR lets another socket steal a port in use,
 * which is not what the POSIX option means; Windows already allows binding a port with connections in
 * TIME_WAIT. So {@code reuseAddress} sets nothing here, and {@code reusePort} is refused as
 * unsupported.
 *
 * <p><b>Hand-off.</b> See {@link ServerCore}. An accepted socket is not yet associated with a
 * completion port, so a target loop associates it with its own port (a handle joins one port for
 * life) and makes the transport there.
 */
final class IocpServer extends ServerCore<IocpServer, Long> {
    static final int ACCEPTS = 8;
    /** Delay before an accept slot whose AcceptEx failed (not a reset) is tried again. */
    static final long ACCEPT_RETRY_MS = 1000;
    /** AcceptEx wants room for each address plus 16 bytes. */
    static final int ADDRESS_ROOM = SOCKADDR_STORAGE_SIZE + 16;

    private final IocpDriver driver;
    private final List<Listener> listeners = new ArrayList<>();

    private IocpServer(IocpDriver driver, Supplier<? extends BaseProtocol> factory, ServerOptions options) {
        super(driver.loop, driver.name, factory, options);
        this.driver = driver;
    }

    static IocpServer open(IocpDriver driver, Supplier<? extends BaseProtocol> factory,
                           List<InetSocketAddress> addresses, ServerOptions options) throws IOException {
        if (options.reusePort()) {
            throw new UnsupportedOperationException("unsupported on iocp: SO_REUSEPORT (Windows has no such option)");
        }
        IocpServer s = new IocpServer(driver, factory, options);
        try {
            for (InetSocketAddress a : addresses) {
                if (a.isUnresolved()) {
                    throw new IOException("cannot listen on unresolved address " + a);
                }
                s.listeners.add(s.new Listener(a));
            }
        } catch (IOException | RuntimeException e) {
            s.closeListeners();
            throw e;
        }
        s.clients.startServing();
        for (Listener l : s.listeners) {
            s.addresses.add(l.address);
            for (int i = 0; i < ACCEPTS; i++) {
                l.accept(i);
            }
        }
        driver.opened(s);
        return s;
    }

    /** A server with no listener, taking sockets that another loop's server accepted (see {@link #handOffTo}). */
    static IocpServer openHandOffTarget(IocpDriver driver, Supplier<? extends BaseProtocol> factory,
                                        ServerOptions options) {
        IocpServer s = new IocpServer(driver, factory, options);
        s.clients.startServing();
        driver.opened(s);
        return s;
    }

    // A listener's block: ACCEPTS OVERLAPPED slots, then two address rooms per slot, then a DWORD
    // for AcceptEx's byte count.
    private static final int ROOMS = IoBlock.after(ACCEPTS);
    private static final int ROOMS_SIZE = 2 * ADDRESS_ROOM;
    private static final int BYTE_COUNT = ROOMS + ACCEPTS * ROOMS_SIZE;

    /**
     * One listening socket and its AcceptEx slots, in one {@link IoBlock}: closing the socket cancels
     * them, and the block and the key are freed once the last has completed.
     */
    private final class Listener implements Completion {
        final long socket;
        final short family;
        final int key;
        final InetSocketAddress address;
        final Function acceptEx;
        final IoBlock ops;
        final long[] accepting = new long[ACCEPTS];

        Listener(InetSocketAddress bindTo) throws IOException {
            family = WinSock.family(bindTo);
            long s = WinSock.open(family);
            int k;
            try {
                if (options.receiveBufferSize() > 0) {
                    WinSock.setInt(s, SOL_SOCKET, SO_RCVBUF, options.receiveBufferSize(), "SO_RCVBUF");
                }
                WinSock.bind(s, bindTo);
                WinSock.listen(s, options.backlog());
                acceptEx = WinSock.acceptEx(s, family);
                k = driver.register(s, this);
            } catch (IOException | RuntimeException e) {
                WinSock.close(s);
                throw e;
            }
            socket = s;
            key = k;
            address = WinSock.localAddress(s);
            ops = new IoBlock(ACCEPTS, BYTE_COUNT - ROOMS + 8);
            java.util.Arrays.fill(accepting, INVALID_SOCKET);
        }

        /** Posts an AcceptEx in slot {@code i} on a fresh socket. */
        void accept(int i) {
            if (ops.isClosed() || !clients.isServing()) {
                return;
            }
            long s;
            try {
                s = WinSock.open(family);
            } catch (NativeIOException e) {
                report("cannot make a socket to accept into; retrying in " + ACCEPT_RETRY_MS + " ms", e);
                loop.callLater(ACCEPT_RETRY_MS, java.util.concurrent.TimeUnit.MILLISECONDS, () -> accept(i));
                return;
            }
            accepting[i] = s;
            long ov = ops.start(i);
            int rc = WinSock.acceptEx(acceptEx, socket, s, ops.address + ROOMS + (long) i * ROOMS_SIZE,
                    ADDRESS_ROOM, ops.address + BYTE_COUNT, ov);
            driver.started(this, ov, rc == 0 ? 0 : -1, rc);
        }

        @Override
        public void complete(long overlapped, int error, int bytes) {
            int i = ops.complete(overlapped);
            long s = accepting[i];
            accepting[i] = INVALID_SOCKET;
            boolean closed = ops.isClosed();
            if (error != 0 || closed) {
                WinSock.close(s);
                if (!closed && error != ERROR_OPERATION_ABORTED) {
                    if (WinError.isReset(error)) {
                        // The client went away before the accept finished: that connection is
                        // lost, the next may be fine.
                        accept(i);
                    } else {
                        // Out of resources or a broken listener: re-posting at once would fail
                        // again on every poll. Report it and retry this slot later.
                        report("AcceptEx failed; retrying in " + ACCEPT_RETRY_MS + " ms",
                                WinError.exception("AcceptEx", error));
                        loop.callLater(ACCEPT_RETRY_MS, java.util.concurrent.TimeUnit.MILLISECONDS, () -> accept(i));
                    }
                }
                maybeFree();
                return;
            }
            accepted(this, s);
            accept(i);
        }

        @Override
        public void closeNow() {
            close();
        }

        void close() {
            if (ops.close()) {
                // Cancels the AcceptEx operations; each completes with ERROR_OPERATION_ABORTED.
                WinSock.close(socket);
            }
            maybeFree();
        }

        private void maybeFree() {
            if (ops.freeIfDone()) {
                driver.release(key);
            }
        }
    }

    private void accepted(Listener listener, long s) {
        try {
            WinSock.updateContext(s, SO_UPDATE_ACCEPT_CONTEXT, listener.socket);
            if (options.tcpNoDelay()) {
                WinSock.setInt(s, IPPROTO_TCP, TCP_NODELAY, 1, "TCP_NODELAY");
            }
            if (options.sendBufferSize() > 0) {
                WinSock.setInt(s, SOL_SOCKET, SO_SNDBUF, options.sendBufferSize(), "SO_SNDBUF");
            }
        } catch (Throwable e) {
            WinSock.close(s);
            loop.callExceptionHandler(new ExceptionContext("accepting a connection failed", e, this));
            return;
        }
        dispatch(s);
    }

    @Override
    protected void closeAccepted(Long s) {
        WinSock.close(s);
    }

    /** Joins {@code s} (accepted, options set) to this loop's port as a transport of this server. */
    @Override
    protected void serve(Long s) {
        int key = -1;
        try {
            BaseProtocol protocol = factory.get();
            if (protocol == null) {
                throw new IllegalStateException("the protocol factory returned null");
            }
            key = driver.register(s, NO_OWNER_YET);
            StreamCore t = new IocpStream(driver, s, key, protocol, clients).transport();
            clients.add(t);
            loop.callSoon(t::start);
        } catch (Throwable e) {
            WinSock.close(s);
            if (key >= 0) {
                driver.release(key);
            }
            loop.callExceptionHandler(new ExceptionContext("accepting a connection failed", e, this));
        }
    }

    /** Owns a socket's key between its registration and the transport taking it over. */
    private static final Completion NO_OWNER_YET = new Completion() {
        @Override
        public void complete(long overlapped, int error, int bytes) {
            // No operation is started before the transport owns the key.
        }

        @Override
        public void closeNow() {
            // The transport, made right after, closes the socket.
        }
    };

    @Override
    protected void closeOwnListeners() {
        for (Listener l : listeners) {
            l.close();
        }
    }

    @Override
    protected void forget() {
        driver.closed(this);
    }
}
