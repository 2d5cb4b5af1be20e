package dev.weft.loop.kqueue;

import dev.weft.loop.testkit.SendfileConformanceTest;
import org.junit.jupiter.api.BeforeAll;

/**
 * The sendfile suite on kqueue, which has no kernel path ({@code Capability.SENDFILE} unsupported):
 * every transfer takes the copying fallback, and the tests of the kernel path say so when skipped.
 */
class KqueueSendfileTest extends SendfileConformanceTest {
    @BeforeAll
    static void kqueueRuns() {
        KqueueTesting.assumeAvailable();
    }

    @Override
    protected String backend() {
        return "kqueue";
    }
}
