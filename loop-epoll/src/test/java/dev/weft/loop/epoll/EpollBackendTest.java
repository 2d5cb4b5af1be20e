package dev.weft.loop.epoll;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.weft.loop.EventLoop;
import dev.weft.loop.EventLoopPolicy;
import dev.weft.loop.posix.FastPath;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class EpollBackendTest {
    @Test
    void shouldExplainWhyEpollIsUnavailableOffLinux() {
        Throwable cause = EpollBackend.probe("Mac OS X");
        assertEquals("unsupported on epoll: requires Linux (os.name=Mac OS X)", cause.getMessage());
        assertFalse(EpollBackend.isLinux("Windows 11"));
    }

    @Test
    void shouldBeFoundByServiceLoaderAndPickedByAutoOnLinux() {
        assumeTrue(System.getProperty("os.name").startsWith("Linux"), "Linux only");
        EpollBackend b = new EpollBackend();
        assertNull(b.unavailabilityCause());
        assertTrue(b.isAvailable());
        assertEquals(100, b.autoPriority());
        assertEquals("epoll", EventLoopPolicy.backend("epoll").name());
        assertEquals("epoll", EventLoopPolicy.autoBackend().name(), EventLoopPolicy.describe());
        try (EventLoop loop = EventLoop.builder().backend("auto").build()) {
            assertEquals("epoll", loop.backendName());
            assertEquals(0, loop.liveHandles());
        }
    }

    /**
     * Which path the hot calls take is reported, and agrees with the property: forced off gives JNA,
     * otherwise on Linux with gcc (the build compiles the library) the JNI fast path, whose
     * {@code struct epoll_event} must be the size {@link EpollNative} reads.
     */
    @Test
    void shouldReportTheFastPathInUse() {
        assumeTrue(System.getProperty("os.name").startsWith("Linux"), "Linux only");
        EpollBackend b = new EpollBackend();
        String detail = b.detail();
        assertEquals("epoll (" + detail + ")", b.toString());
        assertTrue(EventLoopPolicy.describe().contains("epoll: rank 100, available (" + detail + ")"),
                EventLoopPolicy.describe());
        if ("false".equals(System.getProperty(FastPath.PROPERTY))) {
            assertEquals("jna (disabled by -Dweft.epoll.fastpath=false)", detail);
            return;
        }
        if (gccOnPath()) {
            assertEquals("jni fast path", detail);
            assertEquals(EpollNative.EVENT_SIZE, EpollFastPath.epollEventSize());
            assertEquals(EpollFastPath.VERSION, EpollFastPath.version());
            assertEquals(-9, EpollFastPath.epollWait(-1, 0L, 1, 0), "-EBADF, not an exception");
        }
    }

    private static boolean gccOnPath() {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            if (!dir.isEmpty() && new java.io.File(dir, "gcc").canExecute()) {
                return true;
            }
        }
        return false;
    }
}
