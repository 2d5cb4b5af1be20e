package dev.weft.loop.spi;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketOption;
import java.net.StandardProtocolFamily;

/**
 * A non-blocking UDP socket of a readiness backend: the calls the shared datagram transport needs.
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

    /** The socket's family: INET, or INET6 (dual-stack: IPv4 peers appear as plain IPv4 addresses). */
    StandardProtocolFamily family();

    /**
     * Receives one datagram into {@code [address, address+length)}: its length (at most
     * {@code length}; see {@link #truncated()}), or {@link #WOULD_BLOCK}. The sender is then
     * {@link #source()}.
     */
    int receive(long address, int length) throws IOException;

    /** The sender of the last datagram received; the same object while the sender stays the same. */
    InetSocketAddress source();

    /** Whether the last datagram received was longer than the buffer given (its tail was dropped). */
    boolean truncated();

    /**
     * Sends {@code [address, address+length)} as one datagram to {@code target} (null: the
     * connected peer): {@code length}, or {@link #WOULD_BLOCK}.
     */
    int send(long address, int length, InetSocketAddress target) throws IOException;

    void bind(InetSocketAddress local) throws IOException;

    /** Fixes the peer: only its datagrams are received, and sends without a target go to it. */
    void connect(InetSocketAddress remote) throws IOException;

    <T> void setOption(SocketOption<T> option, T value) throws IOException;

    <T> T getOption(SocketOption<T> option) throws IOException;

    void joinGroup(InetAddress group, NetworkInterface networkInterface) throws IOException;

    void leaveGroup(InetAddress group, NetworkInterface networkInterface) throws IOException;

    InetSocketAddress localAddress() throws IOException;

    /** What {@code extraInfo("socket")} returns: an fd number or the channel. */
    Object handle();

    /** Idempotent. */
    void close() throws IOException;
}
