package dev.weft.bench;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;
import java.lang.reflect.Method;
import java.nio.channels.SocketChannel;

/**
 * Drops received TCP bytes without copying them to user memory: Linux's {@code recv} with
 * {@code MSG_TRUNC} on a stream socket discards up to {@code len} queued bytes and returns how many.
 * The load generator's sampled check uses it for the reads it does not compare. The descriptor of a
 * JDK channel is read through {@code sun.nio.ch.SelChImpl} (the jar's manifest exports that package).
 */
final class Discard {
    /** {@code MSG_TRUNC} on Linux (bits/socket.h). */
    static final int MSG_TRUNC = 0x20;
    /** {@code MSG_DONTWAIT} on Linux. */
    static final int MSG_DONTWAIT = 0x40;
    static final int EAGAIN = 11;
    static final int EINTR = 4;

    /** Null when discarding works here, else why it does not. */
    static final String UNAVAILABLE;
    private static final Method FD_VAL;

    static {
        String why = null;
        Method fdVal = null;
        if (!Platform.isLinux()) {
            why = "recv(MSG_TRUNC) discards stream bytes only on Linux (os.name=" + System.getProperty("os.name") + ")";
        } else if (!Platform.is64Bit()) {
            why = "the recv binding here passes size_t as a 64-bit long (this JVM is 32-bit)";
        } else {
            try (SocketChannel probe = SocketChannel.open()) {
                Native.register(Discard.class, NativeLibrary.getInstance(Platform.C_LIBRARY_NAME));
                fdVal = Class.forName("sun.nio.ch.SelChImpl").getMethod("getFDVal");
                fdVal.invoke(probe); // fails here, not mid-run, when the package is not exported
            } catch (Throwable t) {
                why = "cannot call recv on a JDK channel's descriptor: " + t;
                fdVal = null;
            }
        }
        UNAVAILABLE = why;
        FD_VAL = fdVal;
    }

    private Discard() {
    }

    private static native long recv(int fd, long buf, long len, int flags);

    private static native String strerror(int errno);

    /** The descriptor of an open JDK socket channel. */
    static int fd(SocketChannel ch) {
        if (FD_VAL == null) {
            throw new IllegalStateException(UNAVAILABLE);
        }
        try {
            return (int) FD_VAL.invoke(ch);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot read the descriptor of " + ch, e);
        }
    }

    /**
     * Discards up to {@code max} queued bytes of non-blocking socket {@code fd}. Returns how many,
     * 0 when none are queued now, -1 at end of stream.
     *
     * @throws java.io.IOException with the errno when the call fails otherwise
     */
    static long discard(int fd, long max) throws java.io.IOException {
        while (true) {
            long n = recv(fd, 0L, max, MSG_TRUNC | MSG_DONTWAIT);
            if (n > 0) {
                return n;
            }
            if (n == 0) {
                return -1;
            }
            int errno = Native.getLastError();
            if (errno == EAGAIN) {
                return 0;
            }
            if (errno != EINTR) {
                throw new java.io.IOException("recv(MSG_TRUNC): " + strerror(errno) + " (errno " + errno + ")");
            }
        }
    }
}
