package dev.weft.loop.kqueue;

import dev.weft.loop.testkit.TlsPostHandshakeConformanceTest;
import org.junit.jupiter.api.BeforeAll;

/** The TLS post-handshake suite on kqueue. */
class KqueueTlsPostHandshakeConformanceTest extends TlsPostHandshakeConformanceTest {
    @BeforeAll
    static void kqueueRuns() {
        KqueueTesting.assumeAvailable();
    }

    @Override
    protected String backend() {
        return "kqueue";
    }
}
