package dev.weft.loop.iocp;

import dev.weft.loop.testkit.TlsPostHandshakeConformanceTest;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/** The TLS post-handshake suite on iocp (run under Wine on Linux by loop-iocp/wine/run-tests.sh). */
@EnabledOnOs(OS.WINDOWS)
class IocpTlsPostHandshakeConformanceTest extends TlsPostHandshakeConformanceTest {
    @Override
    protected String backend() {
        return "iocp";
    }
}
