package dev.weft.loop.nio;

import dev.weft.loop.testkit.PipeConformanceTest;

class NioPipeConformanceTest extends PipeConformanceTest {
    @Override
    protected String backend() {
        return "nio";
    }

    @Override
    protected boolean takesRawDescriptors() {
        return false;
    }
}
