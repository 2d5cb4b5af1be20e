package dev.weft.loop.kqueue;

import dev.weft.loop.testkit.AbstractAllocationTest;
import org.junit.jupiter.api.BeforeAll;

class KqueueAllocationTest extends AbstractAllocationTest {
    @BeforeAll
    static void kqueueRuns() {
        KqueueTesting.assumeAvailable();
    }

    @Override
    protected String backend() {
        return "kqueue";
    }
}
