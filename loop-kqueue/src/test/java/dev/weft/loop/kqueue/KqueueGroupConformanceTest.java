package dev.weft.loop.kqueue;

import dev.weft.loop.testkit.GroupConformanceTest;
import org.junit.jupiter.api.BeforeAll;

/**
 * The group suite on kqueue. Under libkqueue on Linux the socket calls are Linux's, so the listener
 * per loop is Linux's SO_REUSEPORT; FreeBSD's SO_REUSEPORT_LB is declared in its ABI table, not run.
 */
class KqueueGroupConformanceTest extends GroupConformanceTest {
    @BeforeAll
    static void kqueueRuns() {
        KqueueTesting.assumeAvailable();
    }

    @Override
    protected String backend() {
        return "kqueue";
    }
}
