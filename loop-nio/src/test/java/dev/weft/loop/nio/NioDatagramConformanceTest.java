package dev.weft.loop.nio;

import dev.weft.loop.testkit.DatagramConformanceTest;

class NioDatagramConformanceTest extends DatagramConformanceTest {
    @Override
    protected String backend() {
        return "nio";
    }

    @Override
    protected boolean sendsEmptyDatagramsWhenConnected() {
        return false;
    }
}
