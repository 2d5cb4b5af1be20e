package dev.weft.loop.nio;

import dev.weft.loop.UnixSocketAddress;
import dev.weft.loop.testkit.UnixStreamConformanceTest;

class NioUnixStreamConformanceTest extends UnixStreamConformanceTest {
    @Override
    protected String backend() {
        return "nio";
    }

    /** java.nio takes one byte less than the OS (see NioSocketFactory). */
    @Override
    protected int maxPathBytes() {
        return UnixSocketAddress.maxPathBytes() - 1;
    }
}
