package dev.weft.loop.stream;

import dev.weft.loop.Connection;
import dev.weft.loop.EventLoop;
import dev.weft.loop.Server;
import dev.weft.loop.ServerOptions;
import dev.weft.loop.task.Task;
import dev.weft.loop.task.Tasks;
import dev.weft.loop.UnixServerOptions;

/**
 * asyncio's stream functions: {@link #openConnection} and {@link #startServer} give tasks a
 * {@link StreamReader} and a {@link StreamWriter} over any backend's TCP transports, and
 * {@link #openUnixConnection} / {@link #startUnixServer} over Unix domain stream sockets. Inside a task.
 *
 * <p>Loop thread (task steps) only: call these inside a task.
 */
public final class Streams {
    private Streams() {
    }

    /**
     * Runs once per accepted connection, as a task of its own.
     *
     * <p>Runs inside that connection's task, on the server's loop thread.
     */
    @FunctionalInterface
    public interface ClientHandler {
        void handle(StreamReader reader, StreamWriter writer) throws Exception;
    }

    /**
     * A connected reader and writer.
     *
     * <p>Immutable: any thread may read it; the reader and the writer are loop-thread (task) only.
     */
    public record StreamPair(StreamReader reader, StreamWriter writer) {
    }

    /** Connects to {@code host:port} and returns the stream pair (reader limit {@link StreamReader#DEFAULT_LIMIT}). */
    public static StreamPair openConnection(String host, int port) {
        return openConnection(host, port, StreamReader.DEFAULT_LIMIT);
    }

    /** As {@link #openConnection(String, int)}, with a reader limit. */
    public static StreamPair openConnection(String host, int port, int limit) {
        EventLoop loop = loopOfCurrentTask("openConnection");
        StreamReader reader = new StreamReader(limit);
        Connection<StreamProtocol> c = Tasks.await(
                loop.createConnection(() -> new StreamProtocol(loop, reader, null), host, port, null));
        return new StreamPair(reader, c.protocol().writer());
    }

    /**
     * Listens on {@code host:port} (port 0: any free port) and runs {@code handler} as a new task for
     * each connection. A handler's failure goes to the loop's exception handler and closes its
     * connection.
     */
    public static Server startServer(ClientHandler handler, String host, int port) {
        return startServer(handler, host, port, StreamReader.DEFAULT_LIMIT, null);
    }

    /** As {@link #startServer(ClientHandler, String, int)}, with a reader limit and server options. */
    public static Server startServer(ClientHandler handler, String host, int port, int limit, ServerOptions options) {
        EventLoop loop = loopOfCurrentTask("startServer");
        return Tasks.await(loop.createServer(() -> new StreamProtocol(loop, new StreamReader(limit), handler),
                host, port, options));
    }

    /**
     * Connects to the Unix domain stream socket at {@code path} (asyncio's
     * {@code open_unix_connection}) and returns the stream pair.
     */
    public static StreamPair openUnixConnection(String path) {
        return openUnixConnection(path, StreamReader.DEFAULT_LIMIT);
    }

    /** As {@link #openUnixConnection(String)}, with a reader limit. */
    public static StreamPair openUnixConnection(String path, int limit) {
        EventLoop loop = loopOfCurrentTask("openUnixConnection");
        StreamReader reader = new StreamReader(limit);
        Connection<StreamProtocol> c = Tasks.await(
                loop.createUnixConnection(() -> new StreamProtocol(loop, reader, null), path));
        return new StreamPair(reader, c.protocol().writer());
    }

    /**
     * As {@link #openConnection(String, int, int)} over TLS: connects, handshakes with client
     * {@code tls} options ({@code serverHostname} null: {@code host}) and returns the stream pair.
     * A failed handshake throws its {@link javax.net.ssl.SSLHandshakeException}.
     */
    public static StreamPair openConnection(String host, int port, int limit, dev.weft.loop.tls.TlsOptions tls,
                                            String serverHostname) {
        EventLoop loop = loopOfCurrentTask("openConnection");
        StreamReader reader = new StreamReader(limit);
        Connection<StreamProtocol> c = Tasks.await(loop.createConnection(() -> new StreamProtocol(loop, reader, null),
                host, port, null, tls, serverHostname));
        return new StreamPair(reader, c.protocol().writer());
    }

    /**
     * Listens on the Unix domain stream socket {@code path} (asyncio's {@code start_unix_server}) and
     * runs {@code handler} as a new task for each connection.
     */
    public static Server startUnixServer(ClientHandler handler, String path) {
        return startUnixServer(handler, path, StreamReader.DEFAULT_LIMIT, null);
    }

    /** As {@link #startUnixServer(ClientHandler, String)}, with a reader limit and server options. */
    public static Server startUnixServer(ClientHandler handler, String path, int limit, UnixServerOptions options) {
        EventLoop loop = loopOfCurrentTask("startUnixServer");
        return Tasks.await(loop.createUnixServer(() -> new StreamProtocol(loop, new StreamReader(limit), handler),
                path, options));
    }

    /**
     * As {@link #startServer(ClientHandler, String, int, int, ServerOptions)} over TLS: each handler
     * starts once its connection's handshake (server {@code tls} options) succeeded.
     */
    public static Server startServer(ClientHandler handler, String host, int port, int limit, ServerOptions options,
                                     dev.weft.loop.tls.TlsOptions tls) {
        EventLoop loop = loopOfCurrentTask("startServer");
        return Tasks.await(loop.createServer(() -> new StreamProtocol(loop, new StreamReader(limit), handler),
                host, port, options, tls));
    }

    private static EventLoop loopOfCurrentTask(String what) {
        Task<?> t = Task.current();
        if (t == null) {
            throw new IllegalStateException("Streams." + what + " must be called inside a task");
        }
        return t.loop();
    }
}
