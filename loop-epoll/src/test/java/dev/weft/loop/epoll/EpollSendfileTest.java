package dev.weft.loop.epoll;

import dev.weft.loop.testkit.SendfileConformanceTest;

class EpollSendfileTest extends SendfileConformanceTest {
    @Override
    protected String backend() {
        return "epoll";
    }
}
