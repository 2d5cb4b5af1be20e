package dev.weft.loop.epoll;

import dev.weft.loop.testkit.GroupConformanceTest;

class EpollGroupConformanceTest extends GroupConformanceTest {
    @Override
    protected String backend() {
        return "epoll";
    }
}
