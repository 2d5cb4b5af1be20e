package dev.weft.loop;

import java.net.StandardProtocolFamily;
import java.nio.channels.DatagramChannel;
import java.util.Objects;

/**
 * Options of {@link EventLoop#createDatagramEndpoint}. Immutable; each {@code withXxx} returns a
 * copy and checks its argument first.
 *
 * <p>There is no {@code SO_REUSEADDR}: on UDP it lets a process of another user bind the same
 * address and receive datagrams meant for this one (CPython bpo-37228, why asyncio removed
 * {@code reuse_address} for UDP). {@link #withReuseAddress(boolean) withReuseAddress(true)} fails;
 * use {@link #withReusePort(boolean)}, which the kernel limits to sockets of the same user.
 *
 * <p><b>An existing socket.</b> {@link #withSocket(int)} (a POSIX descriptor: epoll) or
 * {@link #withSocket(DatagramChannel)} (java.nio) gives the endpoint a UDP socket the caller already
 * has (asyncio's {@code sock=}). It is used as it is: the endpoint's local and remote addresses
 * must then be null, and the options that would configure a new socket (family, reusePort,
 * allowBroadcast, multicast TTL and loop) must be unset, else {@code createDatagramEndpoint} fails
 * before anything changes. A socket that is already connected makes a connected endpoint. Once
 * {@code createDatagramEndpoint} has returned its future, the transport owns the socket and closes
 * it when it is closed (or when the future fails); if it throws, the caller still owns it. Such an
 * options object is for one endpoint.
 *
 * <p>Any thread may use it: it is immutable.
 */
public final class DatagramOptions {
    public static final DatagramOptions DEFAULTS = new DatagramOptions(null, false, false, -1, null, null);

    private final StandardProtocolFamily family;
    private final boolean reusePort;
    private final boolean allowBroadcast;
    private final int multicastTtl;
    private final Boolean multicastLoop;
    /** An Integer descriptor, a DatagramChannel, or null. */
    private final Object socket;

    private DatagramOptions(StandardProtocolFamily family, boolean reusePort, boolean allowBroadcast,
                            int multicastTtl, Boolean multicastLoop, Object socket) {
        this.family = family;
        this.reusePort = reusePort;
        this.allowBroadcast = allowBroadcast;
        this.multicastTtl = multicastTtl;
        this.multicastLoop = multicastLoop;
        this.socket = socket;
    }

    /**
     * INET, INET6 or UNIX; null (the default): the family of the local or remote address, else INET.
     * UNIX with no address makes an unbound, unconnected Unix datagram endpoint (it can send, and
     * its receivers see it as {@link UnixSocketAddress#UNNAMED}).
     */
    public DatagramOptions withFamily(StandardProtocolFamily family) {
        return new DatagramOptions(family, reusePort, allowBroadcast, multicastTtl, multicastLoop, socket);
    }

    /** {@code SO_REUSEPORT}: several endpoints of one user share a port; the kernel spreads datagrams. */
    public DatagramOptions withReusePort(boolean on) {
        return new DatagramOptions(family, on, allowBroadcast, multicastTtl, multicastLoop, socket);
    }

    /** {@code SO_BROADCAST}: allow sending to broadcast addresses. */
    public DatagramOptions withAllowBroadcast(boolean on) {
        return new DatagramOptions(family, reusePort, on, multicastTtl, multicastLoop, socket);
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
        return new DatagramOptions(family, reusePort, allowBroadcast, ttl, multicastLoop, socket);
    }

    /** Whether multicast datagrams sent come back to local members ({@code IP_MULTICAST_LOOP}). */
    public DatagramOptions withMulticastLoop(boolean on) {
        return new DatagramOptions(family, reusePort, allowBroadcast, multicastTtl, on, socket);
    }

    /**
     * An existing UDP socket given by its POSIX descriptor (the native backends; java.nio refuses it
     * with {@link UnsupportedCapabilityException}). See the class comment for what it excludes and
     * who owns it. Fails with {@link IllegalArgumentException} for a negative descriptor.
     */
    public DatagramOptions withSocket(int fd) {
        if (fd < 0) {
            throw new IllegalArgumentException("socket fd must be >= 0: " + fd);
        }
        return new DatagramOptions(family, reusePort, allowBroadcast, multicastTtl, multicastLoop, fd);
    }

    /**
     * An existing {@link DatagramChannel} (java.nio; the native backends refuse it with
     * {@link UnsupportedCapabilityException}: java.nio does not expose its descriptor). It is put in
     * non-blocking mode, and bound to an ephemeral port if it is not bound yet (as java.nio does at
     * its first send or receive). See the class comment for what it excludes and who owns it.
     */
    public DatagramOptions withSocket(DatagramChannel channel) {
        Objects.requireNonNull(channel, "channel");
        return new DatagramOptions(family, reusePort, allowBroadcast, multicastTtl, multicastLoop, channel);
    }

    /** The existing socket: an {@link Integer} descriptor, a {@link DatagramChannel}, or null (a new one is made). */
    public Object socket() {
        return socket;
    }

    /**
     * The options set that configure a new socket, as {@code "name=value"} joined by ", ", or ""
     * when none is: what an existing socket cannot be given.
     */
    String newSocketSettings() {
        StringBuilder b = new StringBuilder();
        if (family != null) {
            b.append("family=").append(family);
        }
        if (reusePort) {
            b.append(b.length() > 0 ? ", " : "").append("reusePort=true");
        }
        if (allowBroadcast) {
            b.append(b.length() > 0 ? ", " : "").append("allowBroadcast=true");
        }
        if (multicastTtl >= 0) {
            b.append(b.length() > 0 ? ", " : "").append("multicastTtl=").append(multicastTtl);
        }
        if (multicastLoop != null) {
            b.append(b.length() > 0 ? ", " : "").append("multicastLoop=").append(multicastLoop);
        }
        return b.toString();
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
