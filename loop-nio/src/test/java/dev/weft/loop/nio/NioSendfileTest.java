package dev.weft.loop.nio;

import dev.weft.loop.testkit.SendfileConformanceTest;

class NioSendfileTest extends SendfileConformanceTest {
    @Override
    protected String backend() {
        return "nio";
    }
}
