package dev.weft.loop.kqueue;

import dev.weft.loop.testkit.LoopConformanceTest;
import org.junit.jupiter.api.BeforeAll;

class KqueueConformanceTest extends LoopConformanceTest {
    @BeforeAll
    static void kqueueRuns() {
        KqueueTesting.assumeAvailable();
    }

    @Override
    protected String backend() {
        return "kqueue";
    }

    /**
     * libkqueue keeps descriptors of its own (a dup of each socket with a write filter, its internal
     * eventfds), opened and closed as filters come and go, so counts within a test are not exact
     * there. The leak check after every test still runs.
     */
    @Override
    protected boolean countsDescriptorsExactly() {
        return false;
    }
}
