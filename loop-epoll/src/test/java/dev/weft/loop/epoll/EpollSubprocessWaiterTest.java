package dev.weft.loop.epoll;

import dev.weft.loop.testkit.SubprocessTests;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The subprocess suite on epoll with the exit watched by a waiter thread per child instead of a
 * pidfd: the path a kernel before 5.3 takes ({@code pidfd_open} failing with ENOSYS).
 */
class EpollSubprocessWaiterTest extends SubprocessTests {
    @BeforeAll
    static void withoutPidfd() {
        System.setProperty("weft.subprocess.pidfd", "false");
    }

    @AfterAll
    static void restore() {
        System.clearProperty("weft.subprocess.pidfd");
    }

    @Override
    protected String backend() {
        return "epoll";
    }
}
