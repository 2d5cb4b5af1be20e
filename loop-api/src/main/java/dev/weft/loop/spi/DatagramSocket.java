package dev.weft.loop.spi;

import java.io.IOException;
import java.net.InetAddress;
import java.net.SocketAddress;
import java.net.NetworkInterface;
import java.net.SocketOption;
import java.net.StandardProtocolFamily;

/**
 * A non-blocking datagram socket of a readiness backend (UDP; a Unix datagram socket where the
 * backend has them): the calls the shared datagram transport needs. Addresses are
 * {@link java.net.InetSocketAddress}es on UDP and {@link dev.weft.loop.UnixSocketAddress}es on Unix
 * sockets.
 * Memory is passed as raw addresses the caller owns for the call. Not thread-safe (the loop's).
 *
 * <p><b>Errors.</b> An ICMP port-unreachable reported by the kernel (ECONNREFUSED,
 * {@link java.net.PortUnreachableException}) is thrown as a {@link java.net.ConnectException};
 * other failures as {@link IOException}s naming the call. "Would block" is {@link #WOULD_BLOCK},
 * never an exception (0 is a valid, empty datagram).
 */
public interface DatagramSocket extends Pollable {
    /** What {@link #receive} and {@link #send} return when the call would block. */
    int WOULD_BLOCK = -1;

    /** The socket's family: INET, INET6 (dual-stack: IPv4 peers appear as plain IPv4 addresses), or UNIX. */
    StandardProtocolFamily family();

    /**
     * Receives one datagram into {@code [address, address+length)}: its length (at most
     * {@code length}; see {@link #truncated()}), or {@link #WOULD_BLOCK}. The sender is then
     * {@link #source()}.
     */
    int receive(long address, int length) throws IOException;

    /** The sender of the last datagram received; the same object while the sender stays the same. */
    SocketAddress source();

    /** Whether the last datagram received was longer than the buffer given (its tail was dropped). */
    boolean truncated();

    /**
     * Sends {@code [address, address+length)} as one datagram to {@code target} (null: the
     * connected peer): {@code length}, or {@link #WOULD_BLOCK}.
     */
    int send(long address, int length, SocketAddress target) throws IOException;

    void bind(SocketAddress local) throws IOException;

    /** Fixes the peer: only its datagrams are received, and sends without a target go to it. */
    void connect(SocketAddress remote) throws IOException;

    <T> void setOption(SocketOption<T> option, T value) throws IOException;

    <T> T getOption(SocketOption<T> option) throws IOException;

    void joinGroup(InetAddress group, NetworkInterface networkInterface) throws IOException;

    void leaveGroup(InetAddress group, NetworkInterface networkInterface) throws IOException;

    SocketAddress localAddress() throws IOException;

    /** The connected peer, or null when the socket is not connected (an adopted socket may be). */
    default SocketAddress remoteAddress() throws IOException {
        return null;
    }

    /** What {@code extraInfo("socket")} returns: an fd number or the channel. */
    Object handle();

    /** Idempotent. */
    void close() throws IOException;

    // ------------------------------------------------------------------ batches (optional)

    /**
     * How many datagrams one {@link #receiveBatch} returns at most and one {@link #sendStaged} sends;
     * 0 (the default) when this socket moves datagrams one at a time and the batch calls below are
     * not to be used.
     */
    default int batchSize() {
        return 0;
    }

    /**
     * Receives up to {@link #batchSize} messages in one call, in the kernel's order: how many
     * datagrams they hold (at least 1; more than the messages when the kernel coalesced runs of
     * datagrams, which are split again), or {@link #WOULD_BLOCK}. They stay readable through
     * {@link #batchAddress} and its peers until the next receive on this thread.
     */
    default int receiveBatch() throws IOException {
        throw new UnsupportedOperationException("no batched receive");
    }

    /**
     * Whether the last {@link #receiveBatch} took as many messages as it could ({@link #batchSize}),
     * so more may be waiting; a shorter batch means the socket was drained.
     */
    default boolean batchFilled() {
        return false;
    }

    /** Address of datagram {@code i} of the last batch. */
    default long batchAddress(int i) {
        throw new UnsupportedOperationException("no batched receive");
    }

    /** Length of datagram {@code i} of the last batch. */
    default int batchLength(int i) {
        throw new UnsupportedOperationException("no batched receive");
    }

    /** Whether datagram {@code i} of the last batch was cut short. */
    default boolean batchTruncated(int i) {
        throw new UnsupportedOperationException("no batched receive");
    }

    /** The sender of datagram {@code i} of the last batch; the same object for the same recent sender. */
    default SocketAddress batchSource(int i) {
        throw new UnsupportedOperationException("no batched receive");
    }

    /**
     * Copies a datagram to send later with {@link #sendStaged}: false, with nothing changed, when
     * the batch is full. Staged datagrams belong to this socket until sent or {@link #clearStaged cleared}.
     */
    default boolean stage(org.agrona.DirectBuffer data, int length, SocketAddress target) throws IOException {
        return false;
    }

    /** How many datagrams are staged. */
    default int staged() {
        return 0;
    }

    /**
     * Sends staged datagrams from index {@code from} on in one call, in order: how many the kernel
     * took (at least 1), or {@link #WOULD_BLOCK}. An exception is the failure of datagram {@code from}.
     */
    default int sendStaged(int from) throws IOException {
        throw new UnsupportedOperationException("no batched send");
    }

    default long stagedAddress(int i) {
        throw new UnsupportedOperationException("no batched send");
    }

    default int stagedLength(int i) {
        throw new UnsupportedOperationException("no batched send");
    }

    default SocketAddress stagedTarget(int i) {
        throw new UnsupportedOperationException("no batched send");
    }

    /** Forgets the staged datagrams. */
    default void clearStaged() {
    }
}
