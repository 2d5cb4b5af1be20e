package dev.weft.loop;

import java.net.InetSocketAddress;
import java.time.Duration;

/**
 * Options of {@link EventLoop#createConnection}; immutable. Defaults: TCP_NODELAY on, no local
 * bind, kernel buffer sizes, addresses tried one at a time in the resolver's order (no happy
 * eyeballs, as asyncio's default {@code happy_eyeballs_delay=None}).
 *
 * <p><b>Happy eyeballs</b> (RFC 8305, asyncio's {@code happy_eyeballs_delay} and
 * {@code interleave}). With {@link #withHappyEyeballsDelay a delay}, the first address is tried at
 * once and each next one when the delay has passed or the attempt started last has failed, whichever
 * comes first; earlier attempts go on meanwhile. The first attempt to connect wins, every other one
 * is stopped and its socket closed before the protocol factory is called, so the factory runs once.
 * RFC 8305 recommends 250 ms. {@link #withInterleave Interleave} reorders the addresses by family
 * first: {@code n - 1} addresses of the first family, then one of each family in turn.
 *
 * <p>Any thread may use it: it is immutable.
 */
public final class ConnectOptions {
    public static final ConnectOptions DEFAULTS = new ConnectOptions(true, null, 0, 0, null, 0);

    private final boolean tcpNoDelay;
    private final InetSocketAddress localAddress;
    private final int receiveBufferSize;
    private final int sendBufferSize;
    private final Duration happyEyeballsDelay;
    private final int interleave;

    private ConnectOptions(boolean tcpNoDelay, InetSocketAddress localAddress, int receiveBufferSize,
                           int sendBufferSize, Duration happyEyeballsDelay, int interleave) {
        if (receiveBufferSize < 0 || sendBufferSize < 0) {
            throw new IllegalArgumentException("buffer sizes must be >= 0 (0 = kernel default)");
        }
        this.tcpNoDelay = tcpNoDelay;
        this.localAddress = localAddress;
        this.receiveBufferSize = receiveBufferSize;
        this.sendBufferSize = sendBufferSize;
        this.happyEyeballsDelay = happyEyeballsDelay;
        this.interleave = interleave;
    }

    public ConnectOptions withTcpNoDelay(boolean v) {
        return new ConnectOptions(v, localAddress, receiveBufferSize, sendBufferSize, happyEyeballsDelay, interleave);
    }

    public ConnectOptions withLocalAddress(InetSocketAddress v) {
        return new ConnectOptions(tcpNoDelay, v, receiveBufferSize, sendBufferSize, happyEyeballsDelay, interleave);
    }

    public ConnectOptions withReceiveBufferSize(int v) {
        return new ConnectOptions(tcpNoDelay, localAddress, v, sendBufferSize, happyEyeballsDelay, interleave);
    }

    public ConnectOptions withSendBufferSize(int v) {
        return new ConnectOptions(tcpNoDelay, localAddress, receiveBufferSize, v, happyEyeballsDelay, interleave);
    }

    /**
     * Tries the addresses staggered by {@code delay} (see the class comment); {@code null} turns
     * happy eyeballs off again (one address at a time). Zero starts every attempt at once.
     *
     * @throws IllegalArgumentException if {@code delay} is negative
     */
    public ConnectOptions withHappyEyeballsDelay(Duration delay) {
        if (delay != null && delay.isNegative()) {
            throw new IllegalArgumentException("happyEyeballsDelay must be >= 0 or null (off): " + delay);
        }
        return new ConnectOptions(tcpNoDelay, localAddress, receiveBufferSize, sendBufferSize, delay, interleave);
    }

    /**
     * Interleaves the addresses by family: {@code n - 1} of the first family, then one of each family
     * in turn. Unset (the default), it is 1 with a happy-eyeballs delay and no reordering without.
     *
     * @throws IllegalArgumentException if {@code n < 1}
     */
    public ConnectOptions withInterleave(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("interleave must be >= 1: " + n);
        }
        return new ConnectOptions(tcpNoDelay, localAddress, receiveBufferSize, sendBufferSize, happyEyeballsDelay, n);
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

    /** The delay between staggered attempts, or {@code null}: one address at a time (the default). */
    public Duration happyEyeballsDelay() {
        return happyEyeballsDelay;
    }

    /** The interleave as set, or 0 when unset. */
    public int interleave() {
        return interleave;
    }

    /**
     * The interleave that applies: as set, else 1 with a happy-eyeballs delay, else 0 (addresses
     * keep the resolver's order).
     */
    public int effectiveInterleave() {
        if (interleave > 0) {
            return interleave;
        }
        return happyEyeballsDelay != null ? 1 : 0;
    }
}
