package dev.weft.loop.epoll;

import dev.weft.loop.testkit.SignalTests;

class EpollSignalTest extends SignalTests {
    @Override
    protected String backend() {
        return "epoll";
    }
}
