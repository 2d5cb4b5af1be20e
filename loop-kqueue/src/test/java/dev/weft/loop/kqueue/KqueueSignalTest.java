package dev.weft.loop.kqueue;

import dev.weft.loop.testkit.SignalTests;
import org.junit.jupiter.api.BeforeAll;

/** The signal handler suite on kqueue: the JVM's signal dispatch, as on epoll and nio (no EVFILT_SIGNAL). */
class KqueueSignalTest extends SignalTests {
    @BeforeAll
    static void kqueueRuns() {
        KqueueTesting.assumeAvailable();
    }

    @Override
    protected String backend() {
        return "kqueue";
    }
}
