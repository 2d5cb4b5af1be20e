package dev.weft.loop;

import java.io.IOException;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import org.agrona.DirectBuffer;

/**
 * A datagram endpoint owned by one loop: UDP over IPv4/IPv6, or a Unix datagram socket
 * ({@link Capability#UNIX_DATAGRAM}). Targets and senders are {@link java.net.InetSocketAddress}es
 * on the first, {@link UnixSocketAddress}es on the second. All methods but {@link #loop()} must be
 * called on the loop thread; a call from another thread fails with {@link IllegalStateException} before anything
 * changes.
 *
 * <p><b>Sending never blocks.</b> {@code sendto} first tries the system call from the caller's
 * memory; a datagram the kernel would not take now is copied into the write queue and sent, in
 * order, when the socket is writable. The caller may reuse its memory when {@code sendto} returns.
 * The queue's size ({@link #getWriteBufferSize()}) counts each queued datagram's payload plus
 * {@link #DATAGRAM_OVERHEAD} bytes, so empty datagrams count too; past the high-water mark the
 * protocol's {@code pauseWriting} is called, at the low-water mark {@code resumeWriting}.
 *
 * <p><b>Errors.</b> Bad arguments (a datagram over {@link #MAX_DATAGRAM} bytes, an unresolved
 * address, an address of the wrong family (an {@code InetSocketAddress} on a Unix endpoint or the
 * reverse), {@link UnixSocketAddress#UNNAMED}, a target other than the connected peer, no target on
 * an unconnected endpoint) fail with {@link IllegalArgumentException} and change nothing. Errors of
 * the network (ICMP port unreachable as {@link java.net.ConnectException}, a datagram the kernel
 * refused) reach {@link DatagramProtocol#errorReceived}; the endpoint stays open. A
 * {@code sendto} after {@code close()} or {@code abort()} is dropped; the fifth such call logs one
 * warning through the loop.
 */
public interface DatagramTransport {
    /** The largest payload accepted: 65,535 minus the IPv4 and UDP headers (Unix endpoints too). */
    int MAX_DATAGRAM = 65_507;
    /** What each queued datagram adds to {@link #getWriteBufferSize()} besides its payload. */
    int DATAGRAM_OVERHEAD = 32;

    EventLoop loop();

    /** Sends {@code length} bytes of {@code data} from {@code offset} to {@code target} (null: the connected peer). */
    void sendto(DirectBuffer data, int offset, int length, SocketAddress target);

    void sendto(byte[] data, int offset, int length, SocketAddress target);

    default void sendto(byte[] data, SocketAddress target) {
        sendto(data, 0, data == null ? 0 : data.length, target);
    }

    /** Sends the buffer's remaining bytes; its position is left unchanged. */
    void sendto(ByteBuffer data, SocketAddress target);

    /** Sends to the connected peer; fails with {@link IllegalArgumentException} if not connected. */
    default void send(byte[] data) {
        sendto(data, null);
    }

    /** Closes once the write queue is sent, then calls {@code connectionLost(null)}. Idempotent. */
    void close();

    /** Closes at once, dropping the write queue. Idempotent. */
    void abort();

    boolean isClosing();

    void pauseReading();

    void resumeReading();

    boolean isReading();

    /** As {@link Transport#setWriteBufferLimits}. */
    void setWriteBufferLimits(int high, int low);

    int getWriteBufferLimitHigh();

    int getWriteBufferLimitLow();

    /** Queued payload bytes plus {@link #DATAGRAM_OVERHEAD} per queued datagram. */
    int getWriteBufferSize();

    /** The connected peer ({@link java.net.InetSocketAddress} or {@link UnixSocketAddress}), or null. */
    SocketAddress remoteAddress();

    /** Joins a multicast group on {@code networkInterface} (null: the system's choice). */
    void joinGroup(InetAddress group, NetworkInterface networkInterface) throws IOException;

    /** Leaves a group joined by {@link #joinGroup}. */
    void leaveGroup(InetAddress group, NetworkInterface networkInterface) throws IOException;

    /** Extra information by key ({@link Transport#SOCK_NAME}, {@link Transport#PEER_NAME}, ...), or null. */
    Object extraInfo(String name);

    DatagramProtocol protocol();
}
