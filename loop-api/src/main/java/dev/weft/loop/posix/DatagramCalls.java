package dev.weft.loop.posix;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;

/**
 * Linux's batched datagram calls through JNA direct mapping, bound on first use: the fallback of
 * {@link FastPath#recvmmsg} and {@link FastPath#sendmmsg}. errno as in {@link LibC}.
 */
final class DatagramCalls {
    static {
        Native.register(DatagramCalls.class, NativeLibrary.getInstance(Platform.C_LIBRARY_NAME));
    }

    private DatagramCalls() {
    }

    /** {@code int recvmmsg(int fd, struct mmsghdr *msgvec, unsigned vlen, int flags, struct timespec *timeout)}. */
    static native int recvmmsg(int fd, long msgvec, int vlen, int flags, long timeout);

    /** {@code int sendmmsg(int fd, struct mmsghdr *msgvec, unsigned vlen, int flags)}. */
    static native int sendmmsg(int fd, long msgvec, int vlen, int flags);
}
