package dev.weft.loop.iocp;

import dev.weft.loop.testkit.SendfileConformanceTest;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/** The sendfile suite on iocp: the kernel path is TransmitFile on the completion port. */
@EnabledOnOs(OS.WINDOWS)
class IocpSendfileConformanceTest extends SendfileConformanceTest {
    @Override
    protected String backend() {
        return "iocp";
    }
}
