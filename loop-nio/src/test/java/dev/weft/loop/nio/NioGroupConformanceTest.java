package dev.weft.loop.nio;

import dev.weft.loop.testkit.GroupConformanceTest;

class NioGroupConformanceTest extends GroupConformanceTest {
    @Override
    protected String backend() {
        return "nio";
    }
}
