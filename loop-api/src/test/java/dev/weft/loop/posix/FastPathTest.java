package dev.weft.loop.posix;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.nio.ByteBuffer;
import org.agrona.BufferUtil;
import org.junit.jupiter.api.Test;

class FastPathTest {
    private static final int EBADF = 9;
    private static final int EFAULT = 14;

    private static boolean linux() {
        return System.getProperty("os.name", "").startsWith("Linux");
    }

    private static boolean forcedOff() {
        return "false".equalsIgnoreCase(System.getProperty(FastPath.PROPERTY, "true").trim());
    }

    private static boolean gccOnPath() {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (!dir.isEmpty() && new File(dir, "gcc").canExecute()) {
                return true;
            }
        }
        return false;
    }

    @Test
    void shouldNameTheLibraryPerOsAndArchitecture() {
        assertEquals("native/linux-amd64/libweftfast.so", FastPath.resource("Linux", "amd64"));
        assertEquals("native/linux-aarch64/libweftfast.so", FastPath.resource("Linux", "AARCH64"));
        assertNull(FastPath.resource("Mac OS X", "aarch64"));
    }

    /** The build compiles the library whenever gcc is there; if it silently did not, this fails. */
    @Test
    void shouldBeLoadedOnLinuxWhenGccExists() {
        assumeTrue(linux() && gccOnPath() && !forcedOff(), "Linux with gcc on PATH, fast path not forced off");
        assertTrue(FastPath.AVAILABLE, FastPath.status());
        assertNull(FastPath.unavailabilityReason());
        assertEquals("jni fast path", FastPath.status());
    }

    @Test
    void shouldSayWhyWhenForcedOff() {
        assumeTrue(forcedOff(), "run with -Dweft.epoll.fastpath=false");
        assertFalse(FastPath.AVAILABLE);
        assertEquals("jna (disabled by -Dweft.epoll.fastpath=false)", FastPath.status());
    }

    @Test
    void shouldReturnMinusErrnoInsteadOfThrowing() {
        assumeTrue(FastPath.AVAILABLE, FastPath.status());
        assertEquals(FastPath.VERSION, FastPath.version());
        assertEquals(-EBADF, FastPath.read(-1, 0L, 0));
        assertEquals(-EBADF, FastPath.send(-1, 0L, 0, 0));
        // A zeroed msghdr.
        ByteBuffer zeros = ByteBuffer.allocateDirect(128);
        long at = BufferUtil.address(zeros);
        assertEquals(-EBADF, FastPath.sendmsg(-1, at, 0));
    }

    /** A library built from this source has the batch calls; the probe must find them. */
    @Test
    void shouldHaveTheDatagramBatchCallsWhenLoaded() {
        assumeTrue(FastPath.AVAILABLE, FastPath.status());
        assertTrue(FastPath.MMSG, "recvmmsg/sendmmsg probed in the loaded library");
        assertEquals(-EBADF, FastPath.recvmmsg(-1, 0L, 0, 0));
        assertEquals(-EBADF, FastPath.sendmmsg(-1, 0L, 0, 0));
        assertEquals(PosixAbi.current().MSGHDR_SIZE + 8, FastPath.mmsghdrSize());
    }
}
