package dev.weft.loop;

import org.agrona.MutableDirectBuffer;

/**
 * A stream protocol that owns its receive memory: the transport asks for a buffer, reads into it
 * from index 0, and reports how many bytes landed. Off-heap buffers are read into directly by the
 * native backends; a heap buffer costs one copy.
 *
 * <p>Its methods are called on the loop thread only, one at a time, as {@link BaseProtocol} says.
 */
public interface BufferedProtocol extends BaseProtocol {
    /**
     * Returns the buffer the next read lands in, at least one byte long. {@code sizeHint} is how many
     * bytes the transport would like room for; it may be ignored.
     */
    MutableDirectBuffer getBuffer(int sizeHint);

    /** {@code nbytes} bytes were written at indices {@code [0, nbytes)} of the last buffer returned. */
    void bufferUpdated(int nbytes);

    /** As {@link Protocol#eofReceived()}. */
    default boolean eofReceived() {
        return false;
    }
}
