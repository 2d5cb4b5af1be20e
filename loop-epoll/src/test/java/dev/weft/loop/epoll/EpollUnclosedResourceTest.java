package dev.weft.loop.epoll;

import dev.weft.loop.testkit.UnclosedResourceTests;

class EpollUnclosedResourceTest extends UnclosedResourceTests {
    @Override
    protected String backend() {
        return "epoll";
    }
}
