package dev.weft.loop.nio;

import dev.weft.loop.testkit.LoopConformanceTest;

class NioConformanceTest extends LoopConformanceTest {
    @Override
    protected String backend() {
        return "nio";
    }
}
