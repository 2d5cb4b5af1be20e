package dev.weft.loop.iocp;

import dev.weft.loop.testkit.PipeConformanceTest;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/** The pipe suite on iocp: every test is skipped with the backend's reason (it declares no such capability). */
@EnabledOnOs(OS.WINDOWS)
class IocpPipeConformanceTest extends PipeConformanceTest {
    @Override
    protected String backend() {
        return "iocp";
    }

    @Override
    protected boolean takesRawDescriptors() {
        return false;
    }
}
