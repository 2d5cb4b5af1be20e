package dev.weft.loop.nio;

import dev.weft.loop.testkit.TlsConformanceTest;

class NioTlsConformanceTest extends TlsConformanceTest {
    @Override
    protected String backend() {
        return "nio";
    }
}
