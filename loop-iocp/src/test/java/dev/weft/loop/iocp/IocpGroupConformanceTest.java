package dev.weft.loop.iocp;

import dev.weft.loop.testkit.GroupConformanceTest;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/** The group suite on iocp (Windows, or Wine): Windows has no balanced SO_REUSEPORT, so servers hand off. */
@EnabledOnOs(OS.WINDOWS)
class IocpGroupConformanceTest extends GroupConformanceTest {
    @Override
    protected String backend() {
        return "iocp";
    }

    @Override
    protected boolean balancesListeners() {
        return false;
    }
}
