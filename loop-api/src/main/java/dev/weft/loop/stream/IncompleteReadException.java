package dev.weft.loop.stream;

import java.io.EOFException;

/**
 * EOF came before the bytes asked for; {@link #partial()} holds what was read (and consumed).
 *
 * <p>Any thread may create, throw or read it: it holds only values fixed at construction.
 */
public final class IncompleteReadException extends EOFException {
    private static final long serialVersionUID = 1L;
    private final transient byte[] partial;
    private final int expected;

    public IncompleteReadException(byte[] partial, int expected) {
        super(partial.length + " bytes read on a total of " + (expected < 0 ? "undefined" : String.valueOf(expected))
                + " expected bytes");
        this.partial = partial;
        this.expected = expected;
    }

    public byte[] partial() {
        return partial.clone();
    }

    /** Bytes expected, or -1 when reading up to a separator. */
    public int expected() {
        return expected;
    }
}
