package dev.weft.loop.spi;

import dev.weft.loop.BaseProtocol;
import dev.weft.loop.ConnectOptions;
import dev.weft.loop.Connection;
import dev.weft.loop.LoopFuture;
import dev.weft.loop.Server;
import dev.weft.loop.ServerOptions;
import dev.weft.loop.UnixServerOptions;
import dev.weft.loop.UnixSocketAddress;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.function.Supplier;

/**
 * The I/O half of one event loop, supplied by a backend. The loop core owns the thread, the timers
 * and the callback queues; it calls {@link #poll} once per iteration of {@code runOnce()} and asks the
 * driver to make servers and connections. Everything but {@link #wakeup()} runs on the loop thread.
 *
 * <p>Readiness backends (nio, epoll, kqueue) do not implement this themselves: they supply a
 * {@link Poller} and a {@link SocketFactory} to {@link ReadinessDriver}, which holds the transports
 * written once for all of them. A completion backend (IOCP) implements this interface directly with
 * its own transports.
 */
public interface IoDriver extends AutoCloseable {
    /** The backend's name, as {@link LoopBackend#name()}. */
    String backendName();

    /**
     * Waits for I/O at most {@code timeoutNanos} (0: do not block; negative: until an event or
     * {@link #wakeup()}), then dispatches what is ready or completed to its transports on the
     * calling thread. Returns the number of events dispatched.
     */
    int poll(long timeoutNanos) throws IOException;

    /** Makes a blocked or the next {@link #poll} return soon. Thread-safe; may coalesce. */
    void wakeup();

    /** Listens on every address in {@code addresses} (already resolved, never empty). */
    Server createServer(Supplier<? extends BaseProtocol> protocolFactory, List<InetSocketAddress> addresses,
                        ServerOptions options) throws IOException;

    /**
     * Connects to the first of {@code addresses} that accepts (tried in order), then completes
     * {@code result}. Failure of all completes it with the last error, naming the address.
     */
    <P extends BaseProtocol> void connect(Supplier<P> protocolFactory, List<InetSocketAddress> addresses,
                                          ConnectOptions options, LoopFuture<Connection<P>> result);

    /**
     * Listens on a Unix domain stream socket (the path already checked by the loop: valid, not a
     * directory, abstract only where the backend has {@code UNIX_ABSTRACT}). A backend without
     * {@code UNIX_STREAM} keeps this default, which fails naming itself.
     */
    default Server createUnixServer(Supplier<? extends BaseProtocol> protocolFactory, UnixSocketAddress address,
                                    UnixServerOptions options) throws IOException {
        throw new UnsupportedOperationException("unsupported on " + backendName() + ": Unix domain stream sockets");
    }

    /**
     * Connects to a Unix domain stream socket, then completes {@code result}; a refused connect or a
     * missing socket fails it with {@link java.net.ConnectException} naming the path.
     */
    default <P extends BaseProtocol> void connectUnix(Supplier<P> protocolFactory, UnixSocketAddress address,
                                                      LoopFuture<Connection<P>> result) {
        result.setException(new UnsupportedOperationException("unsupported on " + backendName()
                + ": Unix domain stream sockets"));
    }

    /** The longest Unix socket file system path, in bytes, this backend takes (see SocketFactory). */
    default int maxUnixPathBytes() {
        return UnixSocketAddress.maxPathBytes();
    }

    /** Number of live handles (servers, transports, pending connects); 0 before a clean close. */
    int liveHandles();

    /** Releases the driver's native resources. Transports still open are aborted first. */
    @Override
    void close();
}
