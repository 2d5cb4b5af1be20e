package dev.weft.loop.kqueue;

import dev.weft.loop.testkit.PipeConformanceTest;
import org.junit.jupiter.api.BeforeAll;

/** The pipe transport suite on kqueue: pipe ends are POSIX descriptors, as on epoll. */
class KqueuePipeConformanceTest extends PipeConformanceTest {
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
