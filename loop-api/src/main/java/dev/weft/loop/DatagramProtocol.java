package dev.weft.loop;

import java.net.SocketAddress;
import org.agrona.DirectBuffer;

/**
 * What a datagram endpoint's protocol (UDP, or a Unix datagram socket) hears from its
 * {@link DatagramTransport}. All methods run on the
 * loop thread, one at a time: {@code connectionMade} once, then datagrams, errors and flow-control
 * calls, then {@code connectionLost} once.
 */
public interface DatagramProtocol {
    /** The endpoint is bound (and connected, if a remote address was given). */
    default void connectionMade(DatagramTransport transport) {
    }

    /**
     * One datagram, possibly empty. {@code data} is a view of the loop's receive buffer, valid only
     * during this call (copy what must outlive it); {@code from} is the sender, which may be the same
     * object for consecutive datagrams from one sender, and which {@code sendto} takes back as a
     * target.
     *
     * <p>{@code from} is an {@link java.net.InetSocketAddress} on a UDP endpoint and a
     * {@link UnixSocketAddress} on a Unix datagram endpoint. A Unix sender that bound no name (an
     * unbound client socket) arrives as {@link UnixSocketAddress#UNNAMED} (empty path; asyncio
     * gives {@code ''}): no reply can reach it, and {@code sendto} to it fails with
     * {@link IllegalArgumentException}. Never null.
     */
    void datagramReceived(DirectBuffer data, SocketAddress from);

    /**
     * A send or receive failed without closing the endpoint: for example a
     * {@link java.net.ConnectException} when an ICMP port-unreachable came back (a connected
     * endpoint, or a send to a closed port), or a {@link DatagramTruncatedException}. The transport
     * stays open.
     */
    default void errorReceived(Exception error) {
    }

    /** The endpoint is closed: {@code cause} null after {@code close()} or {@code abort()}. */
    default void connectionLost(Throwable cause) {
    }

    /** The write queue went over its high-water mark. */
    default void pauseWriting() {
    }

    /** The write queue drained to its low-water mark. */
    default void resumeWriting() {
    }
}
