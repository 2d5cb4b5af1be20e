package dev.weft.loop.epoll;

import dev.weft.loop.testkit.TlsConformanceTest;

class EpollTlsConformanceTest extends TlsConformanceTest {
    @Override
    protected String backend() {
        return "epoll";
    }
}
