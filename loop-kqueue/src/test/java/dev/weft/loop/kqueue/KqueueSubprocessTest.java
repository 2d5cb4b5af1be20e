package dev.weft.loop.kqueue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.weft.loop.LoopFuture;
import dev.weft.loop.SubprocessOptions;
import dev.weft.loop.SubprocessProtocol;
import dev.weft.loop.SubprocessTransport;
import dev.weft.loop.process.Subprocesses;
import dev.weft.loop.testkit.SubprocessTests;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The subprocess suite on kqueue: under libkqueue (Linux) children are started with posix_spawn,
 * their pipes are the loop's pipe transports and their exit is watched by a waiter thread per
 * child (libkqueue 2.3.1 has no EVFILT_PROC on Linux and cannot poll a pidfd).
 */
class KqueueSubprocessTest extends SubprocessTests {
    @BeforeAll
    static void kqueueRuns() {
        KqueueTesting.assumeAvailable();
    }

    @Override
    protected String backend() {
        return "kqueue";
    }

    /** Under libkqueue: posix_spawn, and the exit seen by a waiter thread for that child, not a pidfd. */
    @Test
    void shouldSpawnWithPosixSpawnAndWatchTheExitFromAWaiterThreadUnderLibkqueue() {
        assumeTrue(System.getProperty("os.name", "").startsWith("Linux"), "posix_spawn is bound for Linux only");
        SubprocessOptions quiet = SubprocessOptions.DEFAULTS.withStdin(SubprocessOptions.Stdio.DEVNULL)
                .withStdout(SubprocessOptions.Stdio.DEVNULL).withStderr(SubprocessOptions.Stdio.DEVNULL);
        assertTrue(Subprocesses.usesPosixSpawn(loop, quiet), "kqueue over libkqueue starts children with posix_spawn");
        LoopFuture<Void> lost = loop.createFuture();
        SubprocessTransport t = await(loop.subprocessExec(() -> new SubprocessProtocol() {
            @Override
            public void connectionLost(Throwable cause) {
                lost.setResult(null);
            }
        }, List.of("sleep", "30"), quiet));
        String waiter = "weft-child-" + t.pid();
        assertTrue(Thread.getAllStackTraces().keySet().stream().anyMatch(th -> th.getName().equals(waiter)),
                "a waiter thread " + waiter + " watches the exit");
        assertFalse(t.toString().contains("pidfd"), t.toString());
        t.kill();
        await(lost);
        assertEquals(-9, t.returnCode());
    }
}
