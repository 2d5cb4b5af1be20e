package dev.weft.loop;

/**
 * Options of {@link EventLoop#createServer}; immutable, built with the {@code with...} methods.
 * Defaults: backlog 128, SO_REUSEADDR on, SO_REUSEPORT off, TCP_NODELAY on, kernel buffer sizes.
 *
 * <p>Any thread may use it: it is immutable.
 *
 * <p>Any thread may use it: it is immutable.
 *
 * <p>Any thread may use it: it is immutable.
 */
public final class ServerOptions {
    public static final ServerOptions DEFAULTS = new ServerOptions(128, true, false, true, 0, 0);

    private final int backlog;
    private final boolean reuseAddress;
    private final boolean reusePort;
    private final boolean tcpNoDelay;
    private final int receiveBufferSize;
    private final int sendBufferSize;

    private ServerOptions(int backlog, boolean reuseAddress, boolean reusePort, boolean tcpNoDelay,
                          int receiveBufferSize, int sendBufferSize) {
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
    }

    public ServerOptions withBacklog(int v) {
        return new ServerOptions(v, reuseAddress, reusePort, tcpNoDelay, receiveBufferSize, sendBufferSize);
    }

    public ServerOptions withReuseAddress(boolean v) {
        return new ServerOptions(backlog, v, reusePort, tcpNoDelay, receiveBufferSize, sendBufferSize);
    }

    public ServerOptions withReusePort(boolean v) {
        return new ServerOptions(backlog, reuseAddress, v, tcpNoDelay, receiveBufferSize, sendBufferSize);
    }

    public ServerOptions withTcpNoDelay(boolean v) {
        return new ServerOptions(backlog, reuseAddress, reusePort, v, receiveBufferSize, sendBufferSize);
    }

    public ServerOptions withReceiveBufferSize(int v) {
        return new ServerOptions(backlog, reuseAddress, reusePort, tcpNoDelay, v, sendBufferSize);
    }

    public ServerOptions withSendBufferSize(int v) {
        return new ServerOptions(backlog, reuseAddress, reusePort, tcpNoDelay, receiveBufferSize, v);
    }

    public int backlog() {
        return backlog;
    }

    public boolean reuseAddress() {
        return reuseAddress;
    }

    public boolean reusePort() {
        return reusePort;
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
