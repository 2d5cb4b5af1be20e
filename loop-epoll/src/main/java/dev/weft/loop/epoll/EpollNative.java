package dev.weft.loop.epoll;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;
import java.util.Locale;

/**
 * Linux's epoll and eventfd calls, by JNA direct mapping: primitives and raw addresses only, no
 * {@code LastErrorException} (errno through {@code Native.getLastError()}, read right after the
 * call). Constants from {@code <sys/epoll.h>} and {@code <sys/eventfd.h>}, pinned by
 * {@code EpollNativeTest} against the headers and the kernel.
 *
 * <p>{@code struct epoll_event} is {@code {uint32_t events; uint64_t data;}}, declared
 * {@code __attribute__((packed))} on x86_64 only ({@code __EPOLL_PACKED} in glibc's
 * {@code bits/epoll.h}, matching the kernel's {@code EPOLL_PACKED}): 12 bytes with data at offset
 * 4 there, 16 bytes with data at 8 on other 64-bit architectures.
 */
final class EpollNative {
    static final int EPOLL_CLOEXEC = 0x80000;
    static final int EPOLL_CTL_ADD = 1;
    static final int EPOLL_CTL_DEL = 2;
    static final int EPOLL_CTL_MOD = 3;
    static final int EPOLLIN = 0x001;
    static final int EPOLLOUT = 0x004;
    static final int EPOLLERR = 0x008;
    static final int EPOLLHUP = 0x010;
    static final int EPOLLRDHUP = 0x2000;
    static final int EPOLLET = 1 << 31;
    static final int EFD_CLOEXEC = 0x80000;
    static final int EFD_NONBLOCK = 0x800;

    static final int EINTR = 4;
    static final int EAGAIN = 11;

    static final boolean PACKED = isX86_64(System.getProperty("os.arch", ""));
    static final int EVENT_SIZE = PACKED ? 12 : 16;
    static final int EVENT_EVENTS = 0;
    static final int EVENT_DATA = PACKED ? 4 : 8;

    static {
        Native.register(EpollNative.class, NativeLibrary.getInstance(Platform.C_LIBRARY_NAME));
    }

    private EpollNative() {
    }

    static boolean isX86_64(String arch) {
        String a = arch.toLowerCase(Locale.ROOT);
        return a.equals("amd64") || a.equals("x86_64");
    }

    static native int epoll_create1(int flags);

    static native int epoll_ctl(int epfd, int op, int fd, long event);

    static native int epoll_wait(int epfd, long events, int maxEvents, int timeoutMillis);

    static native int eventfd(int initval, int flags);

    static native long read(int fd, long buf, long count);

    static native long write(int fd, long buf, long count);

    static native int close(int fd);
}
