package dev.weft.loop.iocp;

import static dev.weft.loop.iocp.WinConstants.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.loop.Capability;
import dev.weft.loop.EventLoop;
import dev.weft.loop.UnixServerOptions;
import dev.weft.loop.UnsupportedCapabilityException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * The reason iocp gives for lacking Unix domain stream sockets is what this system does with an
 * AF_UNIX stream socket: each test makes one itself and compares. Under Wine 8 the socket cannot be
 * made, and the reason must name the call and the error.
 */
@EnabledOnOs(OS.WINDOWS)
@Timeout(60)
class AfUnixSupportTest {
    /** What WSASocketW(AF_UNIX, SOCK_STREAM) does here: 0 when it made a socket, else its error. */
    private static int makeAfUnixSocket() throws Exception {
        WinSock.startup();
        long s = Ws2.WSASocketW(AfUnixSupport.AF_UNIX, SOCK_STREAM, 0, 0L, 0, WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
        int error = WinError.last();
        if (s != INVALID_SOCKET) {
            WinSock.close(s);
            return 0;
        }
        assertFalse(error == 0, "WSASocketW failed without an error");
        return error;
    }

    @Test
    void shouldNameTheFailedCallAndItsErrorWhenNoAfUnixSocketCanBeMade() throws Exception {
        int error = makeAfUnixSocket();
        String reason = new IocpBackend().unsupportedReason(Capability.UNIX_STREAM);
        assertNotNull(reason, "iocp declares no Unix stream sockets");
        if (error != 0) {
            assertTrue(reason.contains("WSASocketW(AF_UNIX, SOCK_STREAM"), reason);
            assertTrue(reason.contains(" failed with " + WinError.name(error) + " (" + error + ")"), reason);
        } else {
            assertTrue(reason.contains("this system makes AF_UNIX sockets"), reason);
            assertFalse(reason.contains("failed with"), reason);
        }
    }

    @Test
    void shouldRefuseUnixServerAndConnectionWithThatReasonBeforeMakingAnything() throws Exception {
        String reason = new IocpBackend().unsupportedReason(Capability.UNIX_STREAM);
        Path dir = Files.createTempDirectory("weft-uds");
        String path = dir.resolve("s.sock").toString();
        try (EventLoop loop = EventLoop.builder().backend("iocp").build()) {
            assertFalse(loop.supports(Capability.UNIX_STREAM));
            UnsupportedCapabilityException server = assertThrows(UnsupportedCapabilityException.class,
                    () -> loop.createUnixServer(() -> null, path, UnixServerOptions.DEFAULTS));
            assertEquals("unsupported on iocp: " + reason, server.getMessage());
            UnsupportedCapabilityException client = assertThrows(UnsupportedCapabilityException.class,
                    () -> loop.createUnixConnection(() -> null, path));
            assertEquals("unsupported on iocp: " + reason, client.getMessage());
            assertFalse(Files.exists(dir.resolve("s.sock")), "nothing made at the path");
            assertEquals(0, loop.liveHandles());
        } finally {
            Files.deleteIfExists(dir);
        }
    }
}
