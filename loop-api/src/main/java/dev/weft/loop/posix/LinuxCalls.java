package dev.weft.loop.posix;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;

/**
 * Linux-only C library calls, bound by JNA direct mapping on first use (the BSDs and macOS have a
 * {@code sendfile} symbol with another signature, so this class is never loaded there). errno as
 * in {@link LibC}.
 */
final class LinuxCalls {
    static {
        Native.register(LinuxCalls.class, NativeLibrary.getInstance(Platform.C_LIBRARY_NAME));
    }

    private LinuxCalls() {
    }

    /** {@code ssize_t sendfile(int out_fd, int in_fd, off_t *offset, size_t count)}; sendfile(2). */
    static native long sendfile(int outFd, int inFd, long offsetPtr, long count);
}
