package dev.weft.loop.posix;

import com.sun.jna.Native;
import dev.weft.loop.NativeIOException;

/**
 * What native backends built on this layer (epoll, kqueue) share with it: the availability probe,
 * errno and the exceptions naming it. Thread-safe.
 */
public final class Posix {
    private static volatile Throwable probeFailure;
    private static volatile boolean probed;

    private Posix() {
    }

    /**
     * Null if the POSIX socket layer works here (ABI table for this OS, 64-bit JVM, JNA binds the C
     * library and a call returns); otherwise why not, naming the missing piece. Probes once.
     */
    public static Throwable unavailabilityCause() {
        if (!probed) {
            synchronized (Posix.class) {
                if (!probed) {
                    probeFailure = probe();
                    probed = true;
                }
            }
        }
        return probeFailure;
    }

    private static Throwable probe() {
        try {
            if (PosixAbi.current() == null) {
                return new UnsupportedOperationException(PosixAbi.unsupportedReason());
            }
            if (LibC.getpid() <= 0) {
                return new IllegalStateException("getpid() through JNA returned no process id");
            }
            return null;
        } catch (Throwable t) {
            return new IllegalStateException("JNA cannot bind the C library: " + t, t);
        }
    }

    /** The ABI name in use: {@code Linux}, {@code macOS}, {@code FreeBSD}. */
    public static String os() {
        PosixAbi abi = PosixAbi.current();
        return abi == null ? null : abi.os;
    }

    /** errno of the last native call on this thread (through JNA). Read it right after the call. */
    public static int errno() {
        return Native.getLastError();
    }

    /** The symbolic name of an errno of this OS ({@code "ECONNRESET"}). */
    public static String errnoName(int errno) {
        return PosixAbi.current().errnoName(errno);
    }

    /** The OS's description of an errno ({@code strerror}). */
    public static String strerror(int errno) {
        String s = LibC.strerror(errno);
        return s == null ? "unknown error" : s;
    }

    /**
     * The exception for a failed call: {@code "<call> failed: ECONNRESET (104): Connection reset by
     * peer"}. {@code call} names the call and its subject, e.g. {@code "connect(127.0.0.1:9)"}.
     */
    public static NativeIOException error(String call, int errno) {
        return new NativeIOException(call, errno, errnoName(errno), strerror(errno));
    }

    /** Closes a descriptor; EINTR is not retried (on Linux the fd is gone either way, close(2) NOTES). */
    public static void close(int fd, String what) throws NativeIOException {
        if (LibC.close(fd) != 0) {
            int e = Native.getLastError();
            if (e != PosixAbi.current().EINTR) {
                throw error("close(" + what + ")", e);
            }
        }
    }
}
