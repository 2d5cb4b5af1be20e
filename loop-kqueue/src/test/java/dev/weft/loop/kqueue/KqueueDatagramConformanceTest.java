package dev.weft.loop.kqueue;

import dev.weft.loop.testkit.DatagramConformanceTest;
import org.junit.jupiter.api.BeforeAll;

/**
 * The UDP suite on kqueue: one {@code recvfrom}/{@code sendto} per datagram (no batches). Under
 * libkqueue an ICMP port unreachable is read from {@code SO_ERROR} by the library and handed to the
 * socket by the poller.
 */
class KqueueDatagramConformanceTest extends DatagramConformanceTest {
    @BeforeAll
    static void kqueueRuns() {
        KqueueTesting.assumeAvailable();
    }

    @Override
    protected String backend() {
        return "kqueue";
    }

    @Override
    protected boolean takesRawDescriptors() {
        return true;
    }
}
