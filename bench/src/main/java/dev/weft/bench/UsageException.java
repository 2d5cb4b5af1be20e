package dev.weft.bench;

/** A bad command line: the message names the argument and what is wrong with it. */
final class UsageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    UsageException(String message) {
        super(message);
    }
}
