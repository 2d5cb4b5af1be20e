package dev.weft.loop.nio;

import dev.weft.loop.testkit.SubprocessTests;

class NioSubprocessTest extends SubprocessTests {
    @Override
    protected String backend() {
        return "nio";
    }
}
