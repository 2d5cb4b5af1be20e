package dev.weft.loop.nio;

import dev.weft.loop.testkit.UnixDatagramConformanceTest;

/** The Unix datagram suite on nio: java.nio has no Unix datagram channel, so only the refusal runs. */
class NioUnixDatagramConformanceTest extends UnixDatagramConformanceTest {
    @Override
    protected String backend() {
        return "nio";
    }
}
