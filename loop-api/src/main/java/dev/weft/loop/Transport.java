package dev.weft.loop;

import java.nio.ByteBuffer;
import org.agrona.DirectBuffer;

/**
 * A bidirectional byte stream owned by one loop. All methods but {@link #loop()} must be called on
 * the loop thread: a call from another thread fails with {@link IllegalStateException} naming the
 * method and the thread, before it looks at its arguments or changes anything (of this transport or
 * of any other on the loop).
 *
 * <p><b>Writes never block and never lose bytes.</b> A write first tries the system call from the
 * caller's memory; whatever the kernel did not take is copied into the transport's write buffer and
 * sent when the socket is writable, in order. The caller may reuse its memory as soon as
 * {@code write} returns. When the buffer grows past the high-water mark the protocol's
 * {@link BaseProtocol#pauseWriting()} is called; when it drains to the low-water mark,
 * {@link BaseProtocol#resumeWriting()}. Writing after {@link #close()} or {@link #writeEof()} fails
 * with {@link IllegalStateException}; nothing is buffered then.
 */
public interface Transport {
    /**
     * Extra-info key: the peer's {@link java.net.InetSocketAddress}; on a Unix socket its path as a
     * {@code String} (empty when the peer is not bound to one, as asyncio reports it).
     */
    String PEER_NAME = "peername";
    /** Extra-info key: the local {@link java.net.InetSocketAddress}; on a Unix socket its path as a {@code String}. */
    String SOCK_NAME = "sockname";
    /** Extra-info key: the backend's socket object (an fd number or a channel). */
    String SOCKET = "socket";
    /** Extra-info key: the backend name, for example {@code "nio"}. */
    String BACKEND = "backend";
    /** Extra-info key of a pipe transport: the pipe end it owns (an fd number or the channel). */
    String PIPE = "pipe";

    /**
     * Extra-info key: the {@link PeerCredentials} of a Unix socket's peer where the backend reads
     * them ({@code SO_PEERCRED} on Linux epoll), else null.
     */
    String PEER_CRED = "peercred";

    /** Default high-water mark of the write buffer, in bytes. */
    int DEFAULT_HIGH_WATER = 64 * 1024;
    /** Default low-water mark of the write buffer, in bytes. */
    int DEFAULT_LOW_WATER = 16 * 1024;

    /** The loop that owns this transport. Thread-safe. */
    EventLoop loop();

    /** Writes {@code length} bytes of {@code data} from {@code offset}. */
    void write(DirectBuffer data, int offset, int length);

    /** Writes the whole buffer ({@code capacity()} bytes). */
    default void write(DirectBuffer data) {
        // A null buffer reaches the full form, which checks the thread before its arguments.
        write(data, 0, data == null ? 0 : data.capacity());
    }

    void write(byte[] data, int offset, int length);

    default void write(byte[] data) {
        write(data, 0, data == null ? 0 : data.length);
    }

    /** Writes the buffer's remaining bytes; its position is left unchanged. */
    void write(ByteBuffer data);

    /**
     * Gathering write: the parts go out in order, with one system call where the kernel takes them.
     * Each part is a {@link DirectBuffer} (whole capacity), a {@code byte[]} or a {@link ByteBuffer}
     * (remaining bytes); any other type fails before anything is written.
     */
    void writeLines(Iterable<?> parts);

    /** Closes the write side once buffered bytes are sent (TCP FIN); reading goes on. */
    void writeEof();

    /** Whether {@link #writeEof()} is supported by this transport. */
    boolean canWriteEof();

    /**
     * Closes the transport: stops reading, sends what is buffered, then closes the socket and calls
     * {@code connectionLost(null)}. Idempotent.
     */
    void close();

    /** Closes at once, dropping buffered bytes; a TCP peer sees a reset. Idempotent. */
    void abort();

    /** True once {@link #close()} or {@link #abort()} was called or the connection was lost. */
    boolean isClosing();

    void pauseReading();

    void resumeReading();

    boolean isReading();

    /**
     * Sets the write buffer's water marks. {@code high} negative means the default; {@code low}
     * negative means {@code high / 4}. Fails with {@link IllegalArgumentException}, changing nothing,
     * when {@code low > high}.
     */
    void setWriteBufferLimits(int high, int low);

    int getWriteBufferLimitHigh();

    int getWriteBufferLimitLow();

    /** Bytes accepted by {@code write} and not yet taken by the kernel. */
    int getWriteBufferSize();

    /** Extra information by key ({@link #PEER_NAME}, {@link #SOCK_NAME}, ...), or null. */
    Object extraInfo(String name);

    BaseProtocol protocol();

    /** Switches the protocol that receives data from now on (used for TLS upgrades). */
    void setProtocol(BaseProtocol protocol);
}
