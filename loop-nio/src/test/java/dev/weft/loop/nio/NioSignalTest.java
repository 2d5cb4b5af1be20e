package dev.weft.loop.nio;

import dev.weft.loop.testkit.SignalTests;

class NioSignalTest extends SignalTests {
    @Override
    protected String backend() {
        return "nio";
    }
}
