package dev.weft.loop.epoll;

import dev.weft.loop.testkit.UnixDatagramConformanceTest;

/** The Unix datagram suite on epoll: {@code recvmmsg}/{@code sendmmsg} batches, abstract names. */
class EpollUnixDatagramConformanceTest extends UnixDatagramConformanceTest {
    @Override
    protected String backend() {
        return "epoll";
    }
}
