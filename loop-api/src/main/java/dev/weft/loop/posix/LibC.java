package dev.weft.loop.posix;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;

/**
 * The C library's socket calls, bound by JNA direct mapping ({@link Native#register}). Arguments
 * are primitives and raw addresses ({@code long}) only, so a call allocates nothing. No method
 * declares {@code LastErrorException}: a direct-mapped method that does throws one per failed call,
 * and a would-block read fails often. errno is read with {@link Native#getLastError()} instead,
 * which JNA fills after every call while {@code jna.preserve_last_error} is true (its default).
 * Callers read it at once, on the same thread, before any other native call.
 */
final class LibC {
    static {
        Native.register(LibC.class, NativeLibrary.getInstance(Platform.C_LIBRARY_NAME));
    }

    private LibC() {
    }

    static native int socket(int domain, int type, int protocol);

    static native int bind(int fd, long addr, int addrLen);

    static native int listen(int fd, int backlog);

    static native int accept4(int fd, long addr, long addrLenPtr, int flags);

    static native int accept(int fd, long addr, long addrLenPtr);

    static native int connect(int fd, long addr, int addrLen);

    static native long read(int fd, long buf, long count);

    static native long send(int fd, long buf, long len, int flags);

    static native long sendmsg(int fd, long msghdr, int flags);

    static native long recvfrom(int fd, long buf, long len, int flags, long addr, long addrLenPtr);

    static native long sendto(int fd, long buf, long len, int flags, long addr, int addrLen);

    static native long writev(int fd, long iov, int iovcnt);

    static native int shutdown(int fd, int how);

    static native int close(int fd);

    static native int setsockopt(int fd, int level, int name, long value, int valueLen);

    static native int getsockopt(int fd, int level, int name, long value, long valueLenPtr);

    static native int getsockname(int fd, long addr, long addrLenPtr);

    static native int getpeername(int fd, long addr, long addrLenPtr);

    static native int getpid();

    /** Only for error messages; glibc, macOS and FreeBSD return a static string for known errnos. */
    static native String strerror(int errno);
}
