package dev.weft.loop.epoll;

import dev.weft.loop.testkit.PipeConformanceTest;

class EpollPipeConformanceTest extends PipeConformanceTest {
    @Override
    protected String backend() {
        return "epoll";
    }

    @Override
    protected boolean takesRawDescriptors() {
        return true;
    }
}
