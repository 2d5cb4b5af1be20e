package dev.weft.loop.kqueue;

import dev.weft.loop.testkit.FdWatchConformanceTest;
import org.junit.jupiter.api.BeforeAll;

/**
 * The descriptor-watch suite on kqueue: raw descriptors, as on epoll. Under libkqueue 2.3.1 an
 * eventfd cannot be watched (the library polls no anonymous inode), so that test checks the clean
 * refusal there.
 */
class KqueueFdWatchConformanceTest extends FdWatchConformanceTest {
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

    @Override
    protected String refusesAnonymousInodes() {
        KqueueNative.Abi abi = KqueueNative.Abi.CURRENT;
        return abi != null && abi.libkqueue ? "libkqueue 2.3.1 polls only files, pipes, sockets and devices" : null;
    }
}
