package dev.weft.loop;

import java.io.IOException;

/**
 * A datagram was longer than the receive buffer; the protocol got its first {@link #delivered()}
 * bytes in {@code datagramReceived} just before this reached {@code errorReceived}.
 *
 * <p>Any thread may create, throw or read it: it holds only values fixed at construction.
 */
public final class DatagramTruncatedException extends IOException {
    private static final long serialVersionUID = 1L;
    private final int delivered;

    public DatagramTruncatedException(String message, int delivered) {
        super(message);
        this.delivered = delivered;
    }

    /** How many bytes of the datagram were delivered. */
    public int delivered() {
        return delivered;
    }
}
