package dev.weft.loop.iocp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.loop.EventLoop;
import dev.weft.loop.EventLoopPolicy;
import dev.weft.loop.spi.LoopBackend;
import java.io.IOException;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledOnOs;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

class IocpBackendTest {
    @Test
    void shouldBeFoundByServiceLoaderUnderTheNameIocp() {
        boolean found = false;
        for (LoopBackend b : ServiceLoader.load(LoopBackend.class)) {
            found |= b instanceof IocpBackend && b.name().equals("iocp");
        }
        assertTrue(found, "META-INF/services lists IocpBackend");
    }

    @Test
    @DisabledOnOs(OS.WINDOWS)
    void shouldBeUnavailableOffWindowsNamingWhy() {
        IocpBackend b = new IocpBackend();
        assertFalse(b.isAvailable());
        assertEquals(-1, b.autoPriority());
        assertEquals("unsupported on iocp: requires Windows (os.name=" + System.getProperty("os.name") + ")",
                b.unavailabilityCause().getMessage());
        assertThrows(IOException.class, () -> b.open(null));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> EventLoopPolicy.backend("iocp"));
        assertTrue(e.getMessage().contains("requires Windows"), e.getMessage());
    }

    @Test
    @DisabledOnOs(OS.WINDOWS)
    void shouldRefuseUnixStreamSocketsOffWindowsWithoutCallingWinsock() {
        String reason = new IocpBackend().unsupportedReason(dev.weft.loop.Capability.UNIX_STREAM);
        assertEquals("Unix domain stream sockets are not written for iocp (and this is not Windows: os.name="
                + System.getProperty("os.name") + ")", reason);
    }

    @Test
    @EnabledOnOs(OS.WINDOWS)
    void shouldBeAvailableAndPickedByAutoOnWindows() {
        IocpBackend b = new IocpBackend();
        assertNull(b.unavailabilityCause());
        assertTrue(b.isAvailable());
        assertEquals(100, b.autoPriority());
        assertEquals("iocp", EventLoopPolicy.autoBackend().name());
        try (EventLoop loop = EventLoop.builder().backend("auto").build()) {
            assertEquals("iocp", loop.backendName());
        }
    }
}
