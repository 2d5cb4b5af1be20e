package dev.weft.loop;

/**
 * Options of {@link EventLoop#createServer}; immutable, built with the {@code with...} methods.
 * Defaults: backlog 128, SO_REUSEADDR on, SO_REUSEPORT off (balanced or not), TCP_NODELAY on,
 * kernel buffer sizes.
 *
 * <p>Any thread may use it: it is immutable.
 */
public final class ServerOptions {
    public static final ServerOptions DEFAULTS = new ServerOptions(128, true, false, true, 0, 0, false);

    private final int backlog;
    private final boolean reuseAddress;
    private final boolean reusePort;
    private final boolean tcpNoDelay;
    private final int receiveBufferSize;
    private final int sendBufferSize;
    private final boolean reusePortBalanced;

    private ServerOptions(int backlog, boolean reuseAddress, boolean reusePort, boolean tcpNoDelay,
                          int receiveBufferSize, int sendBufferSize, boolean reusePortBalanced) {
        if (backlog < 1) {
            throw new IllegalArgumentException("backlog must be >= 1: " + backlog);
        }
        if (receiveBufferSize < 0 || sendBufferSize < 0) {
            throw new IllegalArgumentException("buffer sizes must be >= 0 (0 = kernel default)");
        }
        this.backlog = backlog;
        this.reuseAddress = reuseAddress;
        this.reusePort = reusePort;
        this.tcpNoDelay = tcpNoDelay;
        this.receiveBufferSize = receiveBufferSize;
        this.sendBufferSize = sendBufferSize;
        this.reusePortBalanced = reusePortBalanced;
    }

    public ServerOptions withBacklog(int v) {
        return new ServerOptions(v, reuseAddress, reusePort, tcpNoDelay, receiveBufferSize, sendBufferSize, reusePortBalanced);
    }

    public ServerOptions withReuseAddress(boolean v) {
        return new ServerOptions(backlog, v, reusePort, tcpNoDelay, receiveBufferSize, sendBufferSize, reusePortBalanced);
    }

    public ServerOptions withReusePort(boolean v) {
        return new ServerOptions(backlog, reuseAddress, v, tcpNoDelay, receiveBufferSize, sendBufferSize, reusePortBalanced);
    }

    /**
     * Several listeners of this user on one address and port, the kernel spreading new connections
     * over them ({@link dev.weft.loop.spi.BalancedReusePort}: SO_REUSEPORT on Linux, SO_REUSEPORT_LB on
     * FreeBSD); implies {@link #reusePort()}. Where the OS or backend has no such option the server
     * fails with {@link UnsupportedOperationException} before it binds. {@link EventLoopGroup} sets it
     * for its listener per loop.
     */
    public ServerOptions withReusePortBalanced(boolean v) {
        return new ServerOptions(backlog, reuseAddress, reusePort, tcpNoDelay, receiveBufferSize, sendBufferSize, v);
    }

    public ServerOptions withTcpNoDelay(boolean v) {
        return new ServerOptions(backlog, reuseAddress, reusePort, v, receiveBufferSize, sendBufferSize, reusePortBalanced);
    }

    public ServerOptions withReceiveBufferSize(int v) {
        return new ServerOptions(backlog, reuseAddress, reusePort, tcpNoDelay, v, sendBufferSize, reusePortBalanced);
    }

    public ServerOptions withSendBufferSize(int v) {
        return new ServerOptions(backlog, reuseAddress, reusePort, tcpNoDelay, receiveBufferSize, v, reusePortBalanced);
    }

    public int backlog() {
        return backlog;
    }

    public boolean reuseAddress() {
        return reuseAddress;
    }

    /** SO_REUSEPORT asked for, alone or {@linkplain #reusePortBalanced() balanced}. */
    public boolean reusePort() {
        return reusePort || reusePortBalanced;
    }

    /** See {@link #withReusePortBalanced(boolean)}. */
    public boolean reusePortBalanced() {
        return reusePortBalanced;
    }

    public boolean tcpNoDelay() {
        return tcpNoDelay;
    }

    public int receiveBufferSize() {
        return receiveBufferSize;
    }

    public int sendBufferSize() {
        return sendBufferSize;
    }
}
