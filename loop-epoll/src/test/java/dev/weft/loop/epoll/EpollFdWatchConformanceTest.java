package dev.weft.loop.epoll;

import dev.weft.loop.testkit.FdWatchConformanceTest;

class EpollFdWatchConformanceTest extends FdWatchConformanceTest {
    @Override
    protected String backend() {
        return "epoll";
    }

    @Override
    protected boolean takesRawDescriptors() {
        return true;
    }
}
