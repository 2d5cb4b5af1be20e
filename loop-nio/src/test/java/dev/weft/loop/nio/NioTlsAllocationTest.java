package dev.weft.loop.nio;

import dev.weft.loop.testkit.AbstractTlsAllocationTest;

class NioTlsAllocationTest extends AbstractTlsAllocationTest {
    @Override
    protected String backend() {
        return "nio";
    }
}
