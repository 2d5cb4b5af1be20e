package dev.weft.loop.posix;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;

/**
 * The C library's descriptor calls that sockets do not need ({@code write(2)}, for pipes and
 * character devices, where {@code send} fails with ENOTSOCK), by JNA direct mapping as {@link LibC};
 * errno through {@link Native#getLastError()} right after the call.
 */
final class FdCalls {
    static {
        Native.register(FdCalls.class, NativeLibrary.getInstance(Platform.C_LIBRARY_NAME));
    }

    private FdCalls() {
    }

    static native long write(int fd, long buf, long count);
}
