package dev.weft.loop.iocp;

import com.sun.jna.NativeLibrary;
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

    /**
     * Under Wine a reset that follows data reaches a Wine-side reader as EOF (Wine takes the socket's
     * pending error while polling): the reset itself is proven by LoopbackTcpTest and
     * IocpTransportTest with a reader waiting, and was checked from a Linux peer.
     */
    @Override
    protected boolean peerSeesResetAfterData() {
        return !underWine();
    }

    /**
     * Under Wine 8 this flood (a blocking java.net client writing 64 MiB that is never read) did not
     * finish within the run's time limit; not yet diagnosed whether Wine's send buffering or the
     * blocked client write is at fault. The flow-control rule it checks is shared code (StreamCore),
     * run by the readiness backends' suites and by shouldEchoSixteenMebibytesHonouringFlowControl here.
     */
    @Override
    protected String neverReadingFloodSkipReason() {
        return underWine() ? "did not finish under Wine 8 (not diagnosed yet); run on real Windows" : null;
    }

    /** Wine's ntdll exports wine_get_version; Windows' does not. */
    static boolean underWine() {
        try {
            NativeLibrary.getInstance("ntdll").getFunction("wine_get_version");
            return true;
        } catch (UnsatisfiedLinkError e) {
            return false;
        }
    }
}
