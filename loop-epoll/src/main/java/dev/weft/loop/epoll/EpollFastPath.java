package dev.weft.loop.epoll;

import dev.weft.loop.posix.FastPath;

/**
 * The epoll poller's JNI fast path: {@code epoll_wait} and {@code epoll_ctl}, the two poller calls
 * an echoed message makes, from {@code src/main/c/weft_epoll.c} (built by this module's build with
 * gcc, packed as {@code native/linux-<arch>/libweftepoll.so} next to this class). In use only when
 * the socket layer's fast path ({@link FastPath}) is, this library loads, reports the expected
 * interface version, and its {@code struct epoll_event} has the size the JNA side assumes;
 * otherwise the poller uses JNA and {@link #status()} says why. Every call returns the result or
 * {@code -errno}. Stateless; thread-safe.
 */
final class EpollFastPath {
    static final int VERSION = 1;
    static final String LIBRARY = "libweftepoll.so";

    /** Whether the poller should use these calls. A constant for the JIT. */
    static final boolean AVAILABLE;
    private static final String WHY_NOT;

    static {
        String why = FastPath.unavailabilityReason();
        if (why == null) {
            try {
                why = FastPath.loadLibrary(EpollFastPath.class, LIBRARY);
                if (why == null && version() != VERSION) {
                    why = LIBRARY + " reports interface version " + version() + ", this class needs " + VERSION;
                }
                if (why == null && epollEventSize() != EpollNative.EVENT_SIZE) {
                    why = "the JNI library's struct epoll_event is not " + EpollNative.EVENT_SIZE + " bytes";
                }
            } catch (Throwable t) {
                why = "cannot load " + LIBRARY + ": " + t;
            }
        }
        WHY_NOT = why;
        AVAILABLE = why == null;
    }

    private EpollFastPath() {
    }

    /** {@code "jni fast path"}, or {@code "jna (<why not>)"}. */
    static String status() {
        return AVAILABLE ? "jni fast path" : "jna (" + WHY_NOT + ")";
    }

    static native int version();

    /** {@code epoll_wait(epfd, events, max, timeoutMillis)}: number of events, or -errno. */
    static native int epollWait(int epfd, long events, int max, int timeoutMillis);

    /** {@code epoll_ctl(epfd, op, fd, event)}: 0, or -errno. */
    static native int epollCtl(int epfd, int op, int fd, long event);

    /** {@code sizeof(struct epoll_event)} as the library was compiled. */
    static native int epollEventSize();
}
