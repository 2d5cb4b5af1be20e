package dev.weft.loop.epoll;

import dev.weft.loop.testkit.SubprocessTests;

class EpollSubprocessTest extends SubprocessTests {
    @Override
    protected String backend() {
        return "epoll";
    }
}
