package dev.weft.loop.epoll;

import dev.weft.loop.testkit.TlsPostHandshakeConformanceTest;

class EpollTlsPostHandshakeConformanceTest extends TlsPostHandshakeConformanceTest {
    @Override
    protected String backend() {
        return "epoll";
    }
}
