package dev.weft.loop.epoll;

import dev.weft.loop.testkit.ObservabilityTests;

class EpollObservabilityTest extends ObservabilityTests {
    @Override
    protected String backend() {
        return "epoll";
    }
}
