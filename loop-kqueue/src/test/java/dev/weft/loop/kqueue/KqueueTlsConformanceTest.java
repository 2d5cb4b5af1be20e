package dev.weft.loop.kqueue;

import dev.weft.loop.testkit.TlsConformanceTest;
import org.junit.jupiter.api.BeforeAll;

/** The TLS suite on kqueue: the TLS layer over the kqueue stream transports. */
class KqueueTlsConformanceTest extends TlsConformanceTest {
    @BeforeAll
    static void kqueueRuns() {
        KqueueTesting.assumeAvailable();
    }

    @Override
    protected String backend() {
        return "kqueue";
    }
}
