package dev.weft.loop.nio;

import dev.weft.loop.testkit.TlsPostHandshakeConformanceTest;

class NioTlsPostHandshakeConformanceTest extends TlsPostHandshakeConformanceTest {
    @Override
    protected String backend() {
        return "nio";
    }
}
