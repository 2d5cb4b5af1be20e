package dev.weft.loop;

import java.net.InetSocketAddress;

/**
 * Options of {@link EventLoop#createConnection}; immutable. Defaults: TCP_NODELAY on, no local
 * bind, kernel buffer sizes.
 */
public final class ConnectOptions {
    public static final ConnectOptions DEFAULTS = new ConnectOptions(true, null, 0, 0);

    private final boolean tcpNoDelay;
    private final InetSocketAddress localAddress;
    private final int receiveBufferSize;
    private final int sendBufferSize;

    private ConnectOptions(boolean tcpNoDelay, InetSocketAddress localAddress, int receiveBufferSize,
                           int sendBufferSize) {
        if (receiveBufferSize < 0 || sendBufferSize < 0) {
            throw new IllegalArgumentException("buffer sizes must be >= 0 (0 = kernel default)");
        }
        this.tcpNoDelay = tcpNoDelay;
        this.localAddress = localAddress;
        this.receiveBufferSize = receiveBufferSize;
        this.sendBufferSize = sendBufferSize;
    }

    public ConnectOptions withTcpNoDelay(boolean v) {
        return new ConnectOptions(v, localAddress, receiveBufferSize, sendBufferSize);
    }

    public ConnectOptions withLocalAddress(InetSocketAddress v) {
        return new ConnectOptions(tcpNoDelay, v, receiveBufferSize, sendBufferSize);
    }

    public ConnectOptions withReceiveBufferSize(int v) {
        return new ConnectOptions(tcpNoDelay, localAddress, v, sendBufferSize);
    }

    public ConnectOptions withSendBufferSize(int v) {
        return new ConnectOptions(tcpNoDelay, localAddress, receiveBufferSize, v);
    }

    public boolean tcpNoDelay() {
        return tcpNoDelay;
    }

    public InetSocketAddress localAddress() {
        return localAddress;
    }

    public int receiveBufferSize() {
        return receiveBufferSize;
    }

    public int sendBufferSize() {
        return sendBufferSize;
    }
}
