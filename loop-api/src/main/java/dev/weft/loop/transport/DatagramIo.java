package dev.weft.loop.transport;

import java.io.IOException;
import java.net.SocketAddress;

/**
 * The backend half of a {@link DatagramCore}: how one datagram leaves, how readiness is asked for,
 * how the socket is released. Loop thread only.
 */
public interface DatagramIo {
    String backendName();

    /** The socket's family is IPv6 (dual-stack): IPv4 and IPv6 targets are both accepted. */
    boolean inet6();

    /** The socket is a Unix datagram socket: targets are {@link dev.weft.loop.UnixSocketAddress}es. */
    default boolean unix() {
        return false;
    }

    /**
     * Sends {@code [address, address+length)} to {@code target} (null: the connected peer): true if
     * the kernel took it, false if it would block.
     */
    boolean sendNow(long address, int length, SocketAddress target) throws IOException;

    /** Off-heap memory of at least {@link dev.weft.loop.DatagramTransport#MAX_DATAGRAM} bytes to stage heap data. */
    org.agrona.MutableDirectBuffer scratch();

    /** Reading wanted or the queue's emptiness changed: update the readiness interest. */
    void interestChanged();

    /** Closes the socket. */
    void release();

    /** Forgets the handle (the loop's live-handle count). */
    void forget();

    Object info(String name);

    void joinGroup(java.net.InetAddress group, java.net.NetworkInterface nif, boolean join) throws IOException;

    // ------------------------------------------------------------------ staged sends (optional)

    /**
     * Copies a datagram to send with the others staged at the end of the current receive batch
     * ({@link #sendStaged}); false, nothing changed, when the batch is full or this backend sends
     * one at a time (the default).
     */
    default boolean stage(org.agrona.DirectBuffer data, int length, SocketAddress target) throws IOException {
        return false;
    }

    /** Datagrams staged by this endpoint. */
    default int staged() {
        return 0;
    }

    /**
     * Sends the staged datagrams from {@code from} on: how many the kernel took, or -1 if it would
     * block. An exception is datagram {@code from}'s own failure.
     */
    default int sendStaged(int from) throws IOException {
        throw new UnsupportedOperationException("no staged sends");
    }

    default long stagedAddress(int i) {
        throw new UnsupportedOperationException("no staged sends");
    }

    default int stagedLength(int i) {
        throw new UnsupportedOperationException("no staged sends");
    }

    default SocketAddress stagedTarget(int i) {
        throw new UnsupportedOperationException("no staged sends");
    }

    default void clearStaged() {
    }
}
