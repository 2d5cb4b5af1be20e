package dev.weft.loop.posix;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Platform;

/**
 * {@code fcntl(2)} is variadic: on Apple arm64 variadic arguments go on the stack, which a
 * direct-mapped (fixed-argument) call gets wrong, so it is bound through an interface mapping whose
 * {@code Object...} JNA passes as C varargs. Only used where {@code SOCK_NONBLOCK} is missing
 * (macOS), once per socket, never on a hot path. errno through {@link Native#getLastError()}.
 */
interface LibCVarargs extends Library {
    LibCVarargs INSTANCE = Native.load(Platform.C_LIBRARY_NAME, LibCVarargs.class);

    int fcntl(int fd, int cmd, Object... args);
}
