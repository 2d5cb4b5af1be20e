package dev.weft.loop.iocp;

import dev.weft.loop.testkit.DatagramConformanceTest;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * The UDP suite on iocp (run under Wine on Linux by loop-iocp/wine/run-tests.sh). What is particular
 * to completions (memory kept while the kernel owns it, truncation, the overlapped send) is in
 * {@link IocpDatagramTest}.
 */
@EnabledOnOs(OS.WINDOWS)
class IocpDatagramConformanceTest extends DatagramConformanceTest {
    @Override
    protected String backend() {
        return "iocp";
    }

    /** Refused, and the refusal is checked by IocpDatagramTest. */
    @Override
    protected String reusePortUnsupportedReason() {
        return IocpDatagram.REUSE_PORT_REFUSED;
    }

    /** Refused with "unsupported on iocp" (checked by shouldRefuseTheKindOfExistingSocketTheBackendCannotUse). */
    @Override
    protected String existingSocketUnsupportedReason() {
        return "iocp takes no existing UDP socket: not implemented";
    }
}
