package dev.weft.loop;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.List;

/**
 * A listening server made by {@link EventLoop#createServer} (TCP) or
 * {@link EventLoop#createUnixServer} (Unix domain stream). All methods but {@link #loop()} and
 * {@link #addresses()} run on the loop thread: a call from another thread fails with
 * {@link IllegalStateException} before it changes anything.
 */
public interface Server extends AutoCloseable {
    /** The loop that owns this server. Thread-safe. */
    EventLoop loop();

    /**
     * The bound TCP addresses (with the real port when 0 was asked for), empty for a Unix server;
     * fixed once the server is made. Thread-safe.
     */
    List<InetSocketAddress> addresses();

    /**
     * Every address listened on: the {@link #addresses()} of a TCP server, the
     * {@link UnixSocketAddress} of a Unix server.
     */
    default List<SocketAddress> boundAddresses() {
        return List.copyOf(addresses());
    }

    /** Whether it still accepts connections. */
    boolean isServing();

    /** Stops listening and closes the listening sockets; accepted connections stay open. Idempotent. */
    @Override
    void close();

    /** Done once the server is closed and every connection it accepted is gone. */
    LoopFuture<Void> waitClosed();

    /** Calls {@link Transport#close()} on every live accepted connection. */
    void closeClients();

    /** Calls {@link Transport#abort()} on every live accepted connection. */
    void abortClients();

    /** Number of live accepted connections. */
    int connectionCount();
}
