package dev.weft.loop.iocp;

import dev.weft.loop.testkit.UnixStreamConformanceTest;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/** The Unix stream suite on iocp: skipped with the backend's reason while it lacks UNIX_STREAM. */
@EnabledOnOs(OS.WINDOWS)
class IocpUnixStreamConformanceTest extends UnixStreamConformanceTest {
    @Override
    protected String backend() {
        return "iocp";
    }
}
