package dev.weft.loop.nio;

import dev.weft.loop.testkit.UnclosedResourceTests;

class NioUnclosedResourceTest extends UnclosedResourceTests {
    @Override
    protected String backend() {
        return "nio";
    }
}
