package dev.weft.loop.iocp;

import dev.weft.loop.testkit.TlsConformanceTest;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/** The TLS suite on iocp (run under Wine on Linux by loop-iocp/wine/run-tests.sh). */
@EnabledOnOs(OS.WINDOWS)
class IocpTlsConformanceTest extends TlsConformanceTest {
    @Override
    protected String backend() {
        return "iocp";
    }
}
