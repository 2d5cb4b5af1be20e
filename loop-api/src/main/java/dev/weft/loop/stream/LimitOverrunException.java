package dev.weft.loop.stream;

/**
 * No separator within the reader's limit. After {@link StreamReader#readUntil} the bytes stay in
 * the reader's buffer and {@link #consumed()} tells how many a caller may read to get past them;
 * {@link StreamReader#readLine()} has already dropped the long line.
 *
 * <p>Any thread may create, throw or read it: it holds only values fixed at construction.
 */
public final class LimitOverrunException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int consumed;

    public LimitOverrunException(String message, int consumed) {
        super(message);
        this.consumed = consumed;
    }

    public int consumed() {
        return consumed;
    }
}
