package dev.weft.loop.nio;

import dev.weft.loop.testkit.AbstractAllocationTest;

class NioAllocationTest extends AbstractAllocationTest {
    @Override
    protected String backend() {
        return "nio";
    }
}
