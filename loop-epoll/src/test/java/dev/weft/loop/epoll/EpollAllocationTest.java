package dev.weft.loop.epoll;

import dev.weft.loop.testkit.AbstractAllocationTest;

class EpollAllocationTest extends AbstractAllocationTest {
    @Override
    protected String backend() {
        return "epoll";
    }
}
