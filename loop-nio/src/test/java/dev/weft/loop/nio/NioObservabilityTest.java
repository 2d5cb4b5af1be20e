package dev.weft.loop.nio;

import dev.weft.loop.testkit.ObservabilityTests;

class NioObservabilityTest extends ObservabilityTests {
    @Override
    protected String backend() {
        return "nio";
    }
}
