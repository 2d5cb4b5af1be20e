package dev.weft.loop.epoll;

import dev.weft.loop.testkit.UnixStreamConformanceTest;

class EpollUnixStreamConformanceTest extends UnixStreamConformanceTest {
    @Override
    protected String backend() {
        return "epoll";
    }

    /** SO_PEERCRED: epoll runs on Linux only. */
    @Override
    protected boolean readsPeerCredentials() {
        return true;
    }
}
