package dev.weft.loop.spi;

import dev.weft.loop.readiness.ReadinessDriver;
import dev.weft.loop.BaseProtocol;
import dev.weft.loop.EventLoop;
import dev.weft.loop.ConnectOptions;
import dev.weft.loop.Connection;
import dev.weft.loop.DatagramEndpoint;
import dev.weft.loop.DatagramOptions;
import dev.weft.loop.DatagramProtocol;
import dev.weft.loop.LoopFuture;
import dev.weft.loop.PipeEnd;
import dev.weft.loop.Server;
import dev.weft.loop.ServerOptions;
import dev.weft.loop.SubprocessOptions;
import dev.weft.loop.SubprocessProtocol;
import dev.weft.loop.SubprocessTransport;
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
     * {@link #wakeup()}; the loop never passes more than a day), then dispatches what is ready or completed to its transports on the
     * calling thread. Returns the number of events dispatched.
     */
    int poll(long timeoutNanos) throws IOException;

    /** Makes a blocked or the next {@link #poll} return soon. Thread-safe; may coalesce. */
    void wakeup();

    /** Listens on every address in {@code addresses} (already resolved, never empty). */
    Server createServer(Supplier<? extends BaseProtocol> protocolFactory, List<InetSocketAddress> addresses,
                        ServerOptions options) throws IOException;

    /**
     * A server without a listener of its own: it takes the connections a server of another loop of
     * the same backend accepts and hands to it ({@link #handOff}), calls {@code protocolFactory} on
     * this loop for each, and counts them as its own ({@code waitClosed}, {@code closeClients}).
     * Closing it makes it close what is handed to it afterwards. A backend that cannot move an
     * accepted connection to another loop keeps this default, which fails naming itself.
     */
    default Server createHandOffTarget(Supplier<? extends BaseProtocol> protocolFactory, ServerOptions options)
            throws IOException {
        throw new UnsupportedOperationException("unsupported on " + backendName()
                + ": handing accepted connections to another loop");
    }

    /**
     * Makes {@code acceptor} (a server of this driver) give each connection it accepts to the next
     * of {@code targets} in turn: servers of this backend, made by {@link #createHandOffTarget} on
     * other loops or {@code acceptor} itself. Runs on the acceptor's loop thread.
     */
    default void handOff(Server acceptor, List<Server> targets) {
        throw new UnsupportedOperationException("unsupported on " + backendName()
                + ": handing accepted connections to another loop");
    }

    /**
     * Connects to one of {@code addresses} (never empty, already in the order to try), then
     * completes {@code result} once the protocol's {@code connectionMade} has run. Without
     * {@link ConnectOptions#happyEyeballsDelay()} one attempt runs at a time; with it, the next
     * attempt also starts when the delay has passed since the last start (RFC 8305), the first to
     * connect wins and the others are closed before the protocol factory is called, once. Failure
     * of all completes it with one error naming each address and its error ({@code transport.ConnectFailures}).
     * {@link dev.weft.loop.transport.ConnectCore} does all of this over the backend's I/O of one
     * attempt.
     */
    <P extends BaseProtocol> void connect(Supplier<P> protocolFactory, List<InetSocketAddress> addresses,
                                          ConnectOptions options, LoopFuture<Connection<P>> result);

    /**
     * Adopts a pipe end for a read ({@code write} false) or write transport: checks it (bad input
     * throws before anything changes: {@link IllegalArgumentException} naming it, or
     * {@link dev.weft.loop.UnsupportedCapabilityException} for a kind this backend cannot use), then
     * completes {@code result} once the protocol's {@code connectionMade} has run. Reached only when
     * the backend declares {@link dev.weft.loop.Capability#PIPES}.
     */
    default <P extends BaseProtocol> void connectPipe(Supplier<P> protocolFactory, PipeEnd end, boolean write,
                                                      LoopFuture<Connection<P>> result) {
        throw new UnsupportedOperationException("the " + backendName() + " driver has no pipe transports");
    }

    /**
     * Calls {@code callback} on the loop thread whenever {@code target} (an {@link Integer} file
     * descriptor or a {@link java.nio.channels.SelectableChannel}, owned by the caller and never
     * closed here) is readable ({@code write} false) or writable; replaces an earlier callback for
     * the same target and direction. Reached only when the backend declares
     * {@link dev.weft.loop.Capability#WATCH_FD}.
     */
    default void addWatch(Object target, boolean write, Runnable callback) {
        throw new UnsupportedOperationException("the " + backendName() + " driver cannot watch descriptors");
    }

    /** Stops a watch set by {@link #addWatch}; true if there was one. */
    default boolean removeWatch(Object target, boolean write) {
        return false;
    }

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
     * missing socket fails it with {@link java.net.ConnectException} naming the path (as
     * {@link dev.weft.loop.transport.ConnectCore} does with one target and no options).
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

    /**
     * Opens a UDP endpoint bound to {@code local} (null: any address, port 0) and connected to
     * {@code remote} (null: unconnected), both resolved; completes {@code result} once the
     * protocol's {@code connectionMade} has run, or fails it with the error of the first step that
     * failed (nothing is left open). A backend without datagrams fails it with an
     * {@link UnsupportedOperationException}.
     */
    default <P extends DatagramProtocol> void openDatagram(Supplier<P> protocolFactory, InetSocketAddress local,
                                                           InetSocketAddress remote, DatagramOptions options,
                                                           LoopFuture<DatagramEndpoint<P>> result) {
        result.setException(new UnsupportedOperationException("UDP endpoints are not implemented on " + backendName()));
    }

    /**
     * Opens a Unix datagram endpoint ({@code AF_UNIX}, {@code SOCK_DGRAM}) bound to {@code local}
     * (null: unbound) and connected to {@code remote} (null: unconnected), both checked by the loop
     * (lengths, directories, abstract names); completes {@code result} as {@link #openDatagram}
     * does. A bound path is prepared and removed on close as a Unix server's is
     * ({@code UnixSocketFile}). The default fails it with
     * {@link dev.weft.loop.UnsupportedCapabilityException}.
     */
    default <P extends DatagramProtocol> void openUnixDatagram(Supplier<P> protocolFactory,
                                                               dev.weft.loop.UnixSocketAddress local,
                                                               dev.weft.loop.UnixSocketAddress remote,
                                                               DatagramOptions options,
                                                               LoopFuture<DatagramEndpoint<P>> result) {
        result.setException(new dev.weft.loop.UnsupportedCapabilityException(backendName(),
                dev.weft.loop.Capability.UNIX_DATAGRAM, "Unix datagram sockets are not implemented on this backend"));
    }

    /**
     * Makes a UDP endpoint over an existing socket ({@code socket}: an {@link Integer} descriptor or
     * a {@link java.nio.channels.DatagramChannel}): checks it, throwing before anything changes for
     * bad input (the caller keeps it: {@link IllegalArgumentException} naming it, or
     * {@link dev.weft.loop.UnsupportedCapabilityException} for a kind this backend cannot use), then
     * owns it, and completes {@code result} as {@link #openDatagram} does (failing it closes the socket).
     */
    default <P extends DatagramProtocol> void adoptDatagram(Supplier<P> protocolFactory, Object socket,
                                                            LoopFuture<DatagramEndpoint<P>> result) {
        throw new dev.weft.loop.UnsupportedCapabilityException(backendName(), dev.weft.loop.Capability.DATAGRAM,
                "UDP endpoints over an existing socket are not implemented on this backend");
    }

    /**
     * Starts {@code argv} as {@link EventLoop#subprocessExec} says, completing {@code result}; bad input
     * throws before anything starts. The default is the loop's portable path (posix_spawn on a
     * backend whose pipes take raw descriptors, else {@code java.lang.Process}); a backend that starts
     * children itself (iocp: CreateProcessW with overlapped named pipes) overrides it. Reached only
     * when the backend declares {@link dev.weft.loop.Capability#SUBPROCESS}.
     */
    default void subprocessExec(EventLoop loop, Supplier<? extends SubprocessProtocol> factory, List<String> argv,
                                SubprocessOptions options, LoopFuture<SubprocessTransport> result) {
        dev.weft.loop.process.Subprocesses.start(loop, factory, argv, options, result);
    }

    /**
     * The argv that runs a shell {@code command} through {@link #subprocessExec}
     * ({@code /bin/sh -c command}), or null when the backend starts shell commands itself, through
     * {@link #subprocessShell} (a Windows shell takes its command line unsplit).
     */
    default List<String> shellArgv(String command) {
        return List.of("/bin/sh", "-c", command);
    }

    /**
     * Starts the shell {@code command}, as {@link #subprocessExec}; reached only when
     * {@link #shellArgv} returned null.
     */
    default void subprocessShell(EventLoop loop, Supplier<? extends SubprocessProtocol> factory, String command,
                                 SubprocessOptions options, LoopFuture<SubprocessTransport> result) {
        throw new UnsupportedOperationException("the " + backendName() + " driver has no shell of its own");
    }

    /** Number of live handles (servers, transports, pending connects); 0 before a clean close. */
    int liveHandles();

    /** Releases the driver's native resources. Transports still open are aborted first. */
    @Override
    void close();
}
