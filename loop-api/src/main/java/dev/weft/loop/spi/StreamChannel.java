package dev.weft.loop.spi;

import java.io.IOException;

/**
 * A non-blocking byte stream the readiness transports move bytes through: a socket
 * ({@link NetSocket}) or one end of a pipe ({@link PipeChannel}). Memory is passed as raw addresses
 * of off-heap memory the caller owns for the duration of the call; implementations never retain
 * it. "Would block" is never an exception. Loop thread only.
 */
public interface StreamChannel extends Pollable {
    /** Reads into {@code [address, address+length)}: bytes read, 0 if it would block, -1 at EOF. */
    int read(long address, int length) throws IOException;

    /** Writes from {@code [address, address+length)}: bytes taken, 0 if it would block. */
    int write(long address, int length) throws IOException;

    /**
     * Gathering write from {@code count} {@code struct iovec} entries at {@code iovAddress}
     * (16 bytes each: base address, then length, both 64-bit). Returns bytes taken, 0 if it would block.
     */
    long writev(long iovAddress, int count) throws IOException;

    /** Closes the stream. Idempotent. */
    void close() throws IOException;
}
