package dev.weft.loop.iocp;

import dev.weft.loop.testkit.FdWatchConformanceTest;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/** The descriptor-watch suite on iocp: every test is skipped with the backend's reason (it declares no such capability). */
@EnabledOnOs(OS.WINDOWS)
class IocpFdWatchConformanceTest extends FdWatchConformanceTest {
    @Override
    protected String backend() {
        return "iocp";
    }

    @Override
    protected boolean takesRawDescriptors() {
        return false;
    }
}
