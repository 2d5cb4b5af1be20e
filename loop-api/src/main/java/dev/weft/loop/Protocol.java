package dev.weft.loop;

import org.agrona.DirectBuffer;

/**
 * A stream protocol that receives bytes as views of the loop's read buffer.
 *
 * <p><b>Ownership.</b> The buffer passed to {@link #dataReceived} is a view whose capacity is the
 * number of bytes read; it is valid only during the call (the loop reuses the memory and the view
 * for the next read). Copy what must outlive the call. Writing it straight back with
 * {@link Transport#write(DirectBuffer)} is allowed and copies nothing the kernel takes at once.
 *
 * <p>Its methods are called on the loop thread only, one at a time, as {@link BaseProtocol} says.
 */
public interface Protocol extends BaseProtocol {
    /** Bytes arrived; {@code data.capacity()} of them, valid during this call only. */
    void dataReceived(DirectBuffer data);

    /**
     * The peer closed its side for writing. Return true to keep the transport open for writing
     * (half-close), false to close it (the default).
     */
    default boolean eofReceived() {
        return false;
    }
}
