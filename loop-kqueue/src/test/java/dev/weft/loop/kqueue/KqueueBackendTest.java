package dev.weft.loop.kqueue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.weft.loop.Capability;
import dev.weft.loop.EventLoop;
import dev.weft.loop.EventLoopPolicy;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class KqueueBackendTest {
    @Test
    void shouldRankFirstOnMacOsAndFreeBsdAndNeverForAutoElsewhere() {
        assertEquals(100, KqueueBackend.autoPriority("Mac OS X"));
        assertEquals(100, KqueueBackend.autoPriority("FreeBSD"));
        assertEquals(-1, KqueueBackend.autoPriority("Linux"));
        assertEquals(-1, KqueueBackend.autoPriority("Windows 11"));
    }

    @Test
    void shouldExplainWhyKqueueIsUnavailableOnWindows() {
        assertEquals("unsupported on kqueue: requires macOS or FreeBSD (or libkqueue on Linux, for tests)"
                + " (os.name=Windows 11)", KqueueBackend.probe("Windows 11").getMessage());
    }

    @Test
    void shouldOfferThePosixFamiliesEverywhereAndUdpOnlyWhereThePosixLayerHasItsConstants() {
        for (String os : List.of("Linux", "Mac OS X", "FreeBSD")) {
            for (Capability c : List.of(Capability.TCP, Capability.UNIX_STREAM, Capability.PIPES, Capability.WATCH_FD,
                    Capability.SIGNALS, Capability.SUBPROCESS)) {
                assertNull(KqueueBackend.unsupportedReason(c, os), c + " on " + os);
            }
            assertTrue(KqueueBackend.unsupportedReason(Capability.UNIX_ABSTRACT, os).startsWith("abstract names"));
            assertTrue(KqueueBackend.unsupportedReason(Capability.SENDFILE, os).contains("BSD sendfile(2)"));
        }
        assertNull(KqueueBackend.unsupportedReason(Capability.DATAGRAM, "Linux"));
        assertTrue(KqueueBackend.unsupportedReason(Capability.DATAGRAM, "Mac OS X").contains("Linux's constants"));
        assertTrue(KqueueBackend.unsupportedReason(Capability.DATAGRAM, "FreeBSD").contains("Linux's constants"));
        assertNull(KqueueBackend.unsupportedReason(Capability.UNIX_DATAGRAM, "Linux"));
        assertTrue(KqueueBackend.unsupportedReason(Capability.UNIX_DATAGRAM, "Mac OS X").contains("Linux's constants"));
    }

    /** Even with libkqueue loaded, auto picks epoll (or nio) on Linux: kqueue there is for tests only. */
    @Test
    void shouldNeverBePickedByAutoOnLinux() {
        assumeTrue(System.getProperty("os.name").startsWith("Linux"), "Linux only");
        assertEquals(-1, new KqueueBackend().autoPriority());
        assertNotEquals("kqueue", EventLoopPolicy.autoBackend().name(), EventLoopPolicy.describe());
    }

    @Test
    void shouldRunALoopWhenNamedAndLibkqueueLoads() {
        KqueueTesting.assumeAvailable();
        assertEquals("kqueue", EventLoopPolicy.backend("kqueue").name());
        assertTrue(EventLoopPolicy.describe().contains("kqueue: rank " + new KqueueBackend().autoPriority()
                + ", available (jna, "), EventLoopPolicy.describe());
        try (EventLoop loop = EventLoop.builder().backend("kqueue").build()) {
            assertEquals("kqueue", loop.backendName());
            assertEquals(0, loop.liveHandles());
        }
    }

    /**
     * In a JVM given a library path where there is none, naming kqueue fails with a cause that names
     * libkqueue, the path tried and how to get it.
     */
    @Test
    void shouldNameLibkqueueAndThePathTriedWhenItDoesNotLoadOnLinux() throws Exception {
        assumeTrue(System.getProperty("os.name").startsWith("Linux"), "Linux only");
        String missing = new File(System.getProperty("java.io.tmpdir"), "no-such-dir/libkqueue.so.0").getPath();
        List<String> cmd = new ArrayList<>(List.of(
                new File(System.getProperty("java.home"), "bin/java").getPath(),
                "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
                "-D" + KqueueNative.LIBRARY_PROPERTY + "=" + missing,
                "-cp", System.getProperty("java.class.path"),
                ProbeMain.class.getName()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        assertTrue(p.waitFor(40, TimeUnit.SECONDS), "the probe JVM finished");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("unsupported on kqueue: on Linux it runs only over libkqueue, which did not load"
                + " (library '" + missing + "'): set -Dweft.kqueue.library="), out);
        assertTrue(out.contains("loop-kqueue/libkqueue/run-tests.sh"), out);
        assertTrue(out.contains("backend 'kqueue' is unavailable"), out);
    }

    /** Run in a child JVM by the test above: prints the cause and what naming the backend throws. */
    static final class ProbeMain {
        public static void main(String[] args) {
            System.out.println(new KqueueBackend().unavailabilityCause().getMessage());
            try {
                EventLoop.builder().backend("kqueue").build().close();
                System.out.println("opened");
            } catch (RuntimeException e) {
                System.out.println(e.getMessage());
            }
        }
    }
}
