package dev.weft.loop;

import java.io.IOException;

/**
 * An I/O failure of a system call, naming the call and the OS error number (errno, or a Windows
 * error code) in its message: {@code "connect(127.0.0.1:9) failed: ECONNREFUSED (111): Connection
 * refused"}.
 *
 * <p>Any thread may create, throw or read it: it holds only values fixed at construction.
 */
public class NativeIOException extends IOException {
    private static final long serialVersionUID = 1L;

    private final String call;
    private final int errorNumber;
    private final String errorName;

    public NativeIOException(String call, int errorNumber, String errorName, String description) {
        super(call + " failed: " + errorName + " (" + errorNumber + "): " + description);
        this.call = call;
        this.errorNumber = errorNumber;
        this.errorName = errorName;
    }

    /** The symbolic name of the error ({@code "ECONNREFUSED"}): the same on every OS, unlike the number. */
    public String errorName() {
        return errorName;
    }

    /** The system call (with its subject, for example the address), as in the message. */
    public String call() {
        return call;
    }

    /** The OS error number. */
    public int errorNumber() {
        return errorNumber;
    }
}
