package dev.weft.loop.nio;

import dev.weft.loop.testkit.FdWatchConformanceTest;

class NioFdWatchConformanceTest extends FdWatchConformanceTest {
    @Override
    protected String backend() {
        return "nio";
    }

    @Override
    protected boolean takesRawDescriptors() {
        return false;
    }
}
