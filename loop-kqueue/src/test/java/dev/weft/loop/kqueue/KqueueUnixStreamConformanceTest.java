package dev.weft.loop.kqueue;

import dev.weft.loop.testkit.UnixStreamConformanceTest;
import org.junit.jupiter.api.BeforeAll;

/**
 * The Unix stream suite on kqueue. Abstract names are refused (macOS and FreeBSD have none). Under
 * libkqueue the sockets are Linux's, so {@code SO_PEERCRED} is read there; macOS and FreeBSD
 * report no peer credentials.
 */
class KqueueUnixStreamConformanceTest extends UnixStreamConformanceTest {
    @BeforeAll
    static void kqueueRuns() {
        KqueueTesting.assumeAvailable();
    }

    @Override
    protected String backend() {
        return "kqueue";
    }

    @Override
    protected boolean readsPeerCredentials() {
        return System.getProperty("os.name", "").startsWith("Linux");
    }
}
