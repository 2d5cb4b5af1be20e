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
}
