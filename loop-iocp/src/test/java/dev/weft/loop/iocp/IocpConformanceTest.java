package dev.weft.loop.iocp;

import dev.weft.loop.testkit.LoopConformanceTest;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/** The conformance suite on the iocp backend (runs on Windows, and on Linux under Wine). */
@EnabledOnOs(OS.WINDOWS)
class IocpConformanceTest extends LoopConformanceTest {
    @Override
    protected String backend() {
        return "iocp";
    }
}
