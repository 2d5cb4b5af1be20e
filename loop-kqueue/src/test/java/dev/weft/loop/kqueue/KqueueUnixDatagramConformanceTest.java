package dev.weft.loop.kqueue;

import dev.weft.loop.testkit.UnixDatagramConformanceTest;
import org.junit.jupiter.api.BeforeAll;

/**
 * The Unix datagram suite on kqueue: one {@code recvfrom}/{@code sendto} per datagram (no batches);
 * abstract names are refused (macOS and FreeBSD have none). Runs over libkqueue on Linux only.
 */
class KqueueUnixDatagramConformanceTest extends UnixDatagramConformanceTest {
    @BeforeAll
    static void kqueueRuns() {
        KqueueTesting.assumeAvailable();
    }

    @Override
    protected String backend() {
        return "kqueue";
    }
}
