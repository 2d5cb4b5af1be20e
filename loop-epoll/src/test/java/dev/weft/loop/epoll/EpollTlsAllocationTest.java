package dev.weft.loop.epoll;

import dev.weft.loop.testkit.AbstractTlsAllocationTest;

class EpollTlsAllocationTest extends AbstractTlsAllocationTest {
    @Override
    protected String backend() {
        return "epoll";
    }
}
