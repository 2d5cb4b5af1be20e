package dev.weft.loop.epoll;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.weft.loop.EventLoop;
import dev.weft.loop.EventLoopPolicy;
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
}
