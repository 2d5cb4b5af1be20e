package dev.weft.loop;

import java.net.StandardProtocolFamily;

/**
 * Options of {@link EventLoop#createDatagramEndpoint}. Immutable; each {@code withXxx} returns a
 * copy and checks its argument first.
 *
 * <p>There is no {@code SO_REUSEADDR}: on UDP it lets a process of another user bind the same
 * address and receive datagrams meant for this one (CPython bpo-37228, why asyncio removed
 * {@code reuse_address} for UDP). {@link #withReuseAddress(boolean) withReuseAddress(true)} fails;
 * use {@link #withReusePort(boolean)}, which the kernel limits to sockets of the same user.
 *
 * <p>Any thread may use it: it is immutable.
 */
public final class DatagramOptions {
    public static final DatagramOptions DEFAULTS = new DatagramOptions(null, false, false, -1, null);

    private final StandardProtocolFamily family;
    private final boolean reusePort;
    private final boolean allowBroadcast;
    private final int multicastTtl;
    private final Boolean multicastLoop;

    private DatagramOptions(StandardProtocolFamily family, boolean reusePort, boolean allowBroadcast,
                            int multicastTtl, Boolean multicastLoop) {
        this.family = family;
        this.reusePort = reusePort;
        this.allowBroadcast = allowBroadcast;
        this.multicastTtl = multicastTtl;
        this.multicastLoop = multicastLoop;
    }

    /** INET or INET6; null (the default): the family of the local or remote address, else INET. */
    public DatagramOptions withFamily(StandardProtocolFamily family) {
        if (family == StandardProtocolFamily.UNIX) {
            throw new IllegalArgumentException("family must be INET, INET6 or null for UDP: " + family);
        }
        return new DatagramOptions(family, reusePort, allowBroadcast, multicastTtl, multicastLoop);
    }

    /** {@code SO_REUSEPORT}: several endpoints of one user share a port; the kernel spreads datagrams. */
    public DatagramOptions withReusePort(boolean on) {
        return new DatagramOptions(family, on, allowBroadcast, multicastTtl, multicastLoop);
    }

    /** {@code SO_BROADCAST}: allow sending to broadcast addresses. */
    public DatagramOptions withAllowBroadcast(boolean on) {
        return new DatagramOptions(family, reusePort, on, multicastTtl, multicastLoop);
    }

    /**
     * Refused for {@code true}: SO_REUSEADDR on UDP lets another user's process steal datagrams
     * (CPython bpo-37228). {@code false} returns this.
     */
    public DatagramOptions withReuseAddress(boolean on) {
        if (on) {
            throw new IllegalArgumentException("reuseAddress=true is not supported for UDP: SO_REUSEADDR lets "
                    + "another user's process bind the same address and receive its datagrams (CPython bpo-37228); "
                    + "use withReusePort(true)");
        }
        return this;
    }

    /** Hop limit of multicast datagrams sent, 0..255 ({@code IP_MULTICAST_TTL} / {@code IPV6_MULTICAST_HOPS}). */
    public DatagramOptions withMulticastTtl(int ttl) {
        if (ttl < 0 || ttl > 255) {
            throw new IllegalArgumentException("multicastTtl out of range 0..255: " + ttl);
        }
        return new DatagramOptions(family, reusePort, allowBroadcast, ttl, multicastLoop);
    }

    /** Whether multicast datagrams sent come back to local members ({@code IP_MULTICAST_LOOP}). */
    public DatagramOptions withMulticastLoop(boolean on) {
        return new DatagramOptions(family, reusePort, allowBroadcast, multicastTtl, on);
    }

    public StandardProtocolFamily family() {
        return family;
    }

    public boolean reusePort() {
        return reusePort;
    }

    public boolean allowBroadcast() {
        return allowBroadcast;
    }

    /** -1 when unset (the system default, 1). */
    public int multicastTtl() {
        return multicastTtl;
    }

    /** null when unset (the system default, on). */
    public Boolean multicastLoop() {
        return multicastLoop;
    }
}
