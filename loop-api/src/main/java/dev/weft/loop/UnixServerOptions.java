package dev.weft.loop;

/**
 * Options of {@link EventLoop#createUnixServer}; immutable, built with the {@code with...} methods.
 * Defaults: backlog 128, {@code cleanupSocket} on (asyncio 3.13's {@code cleanup_socket=True}: the
 * server removes its socket file when it closes, unless the file was replaced meanwhile).
 *
 * <p>Any thread may use it: it is immutable.
 */
public final class UnixServerOptions {
    public static final UnixServerOptions DEFAULTS = new UnixServerOptions(128, true);

    private final int backlog;
    private final boolean cleanupSocket;

    private UnixServerOptions(int backlog, boolean cleanupSocket) {
        if (backlog < 1) {
            throw new IllegalArgumentException("backlog must be >= 1: " + backlog);
        }
        this.backlog = backlog;
        this.cleanupSocket = cleanupSocket;
    }

    public UnixServerOptions withBacklog(int v) {
        return new UnixServerOptions(v, cleanupSocket);
    }

    /** Whether closing the server removes its socket file (when it is still the one it bound). */
    public UnixServerOptions withCleanupSocket(boolean v) {
        return new UnixServerOptions(backlog, v);
    }

    public int backlog() {
        return backlog;
    }

    public boolean cleanupSocket() {
        return cleanupSocket;
    }

    @Override
    public String toString() {
        return "UnixServerOptions[backlog=" + backlog + ", cleanupSocket=" + cleanupSocket + "]";
    }
}
