package dev.weft.loop.epoll;

import dev.weft.loop.testkit.LoopConformanceTest;

class EpollConformanceTest extends LoopConformanceTest {
    @Override
    protected String backend() {
        return "epoll";
    }
}
