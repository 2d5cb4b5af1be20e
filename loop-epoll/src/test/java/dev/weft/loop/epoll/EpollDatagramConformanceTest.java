package dev.weft.loop.epoll;

import dev.weft.loop.testkit.DatagramConformanceTest;

class EpollDatagramConformanceTest extends DatagramConformanceTest {
    @Override
    protected String backend() {
        return "epoll";
    }

    @Override
    protected boolean takesRawDescriptors() {
        return true;
    }
}
