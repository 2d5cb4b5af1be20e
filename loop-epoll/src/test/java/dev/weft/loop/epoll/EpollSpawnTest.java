package dev.weft.loop.epoll;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.loop.LoopFuture;
import dev.weft.loop.SubprocessOptions;
import dev.weft.loop.SubprocessProtocol;
import dev.weft.loop.SubprocessTransport;
import dev.weft.loop.process.Subprocesses;
import dev.weft.loop.testkit.LoopTestSupport;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.agrona.DirectBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What the posix_spawn path of epoll promises beyond the shared suite: the child's signal mask and
 * dispositions reset, a new session or process group, exact signal return codes whoever sent the
 * signal, and the exit watched through a pidfd on the loop (no thread per child).
 */
@Timeout(120)
class EpollSpawnTest extends LoopTestSupport {
    @Override
    protected String backend() {
        return "epoll";
    }

    private static final class Child implements SubprocessProtocol {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final LoopFuture<Void> lost;
        SubprocessTransport transport;

        Child(dev.weft.loop.EventLoop loop) {
            lost = loop.createFuture();
        }

        @Override
        public void connectionMade(SubprocessTransport t) {
            transport = t;
        }

        @Override
        public void pipeDataReceived(int fd, DirectBuffer data) {
            byte[] b = new byte[data.capacity()];
            data.getBytes(0, b);
            out.write(b, 0, b.length);
        }

        @Override
        public void connectionLost(Throwable cause) {
            lost.setResult(null);
        }
    }

    private Child start(List<String> argv, SubprocessOptions o) {
        assertTrue(Subprocesses.usesPosixSpawn(loop, o), "epoll starts children with posix_spawn here");
        Child c = new Child(loop);
        await(loop.subprocessExec(() -> c, argv, o.withStdin(SubprocessOptions.Stdio.DEVNULL)));
        return c;
    }

    @Test
    void shouldResetTheSignalMaskAndIgnoredSignalsInTheChild() {
        // USR1, not HUP: HotSpot refuses a Java handler for HUP, INT and TERM once they are ignored,
        // so ignoring one of those here would break its handlers for the rest of the JVM.
        sun.misc.Signal usr1 = new sun.misc.Signal("USR1");
        sun.misc.SignalHandler before = sun.misc.Signal.handle(usr1, sun.misc.SignalHandler.SIG_IGN);
        try {
            Child c = start(List.of("cat", "/proc/self/status"), SubprocessOptions.DEFAULTS);
            await(c.lost);
            String status = c.out.toString(StandardCharsets.US_ASCII);
            long blocked = field(status, "SigBlk");
            long ignored = field(status, "SigIgn");
            assertEquals(0, blocked, "the child's signal mask is empty");
            assertEquals(0, ignored & (1L << (usr1.getNumber() - 1)), "SIGUSR1, ignored here, is default in the child");

            // SIGUSR1 still ends a child started while this process ignores it.
            Child sleeper = start(List.of("sleep", "30"), SubprocessOptions.DEFAULTS);
            sleeper.transport.sendSignal("USR1");
            await(sleeper.lost);
            assertEquals(-usr1.getNumber(), sleeper.transport.returnCode());
        } finally {
            sun.misc.Signal.handle(usr1, before);
        }
    }

    private static long field(String status, String name) {
        for (String line : status.split("\n")) {
            if (line.startsWith(name + ":")) {
                return Long.parseUnsignedLong(line.substring(name.length() + 1).trim(), 16);
            }
        }
        throw new AssertionError(name + " not in " + status);
    }

    @Test
    void shouldStartTheChildInANewSessionOrProcessGroup() throws IOException {
        long[] self = ids(ProcessHandle.current().pid());
        Child session = start(List.of("sleep", "30"), SubprocessOptions.DEFAULTS.withNewSession(true));
        long[] s = ids(session.transport.pid());
        Child group = start(List.of("sleep", "30"), SubprocessOptions.DEFAULTS.withProcessGroup(0));
        long[] g = ids(group.transport.pid());
        Child plain = start(List.of("sleep", "30"), SubprocessOptions.DEFAULTS);
        long[] p = ids(plain.transport.pid());
        for (Child c : List.of(session, group, plain)) {
            c.transport.kill();
            await(c.lost);
        }
        assertEquals(session.transport.pid(), s[1], "session leader");
        assertEquals(session.transport.pid(), s[0], "and group leader");
        assertEquals(group.transport.pid(), g[0], "leads a new group");
        assertEquals(self[1], g[1], "in this session");
        assertEquals(self[0], p[0], "this group by default");
        assertEquals(self[1], p[1], "this session by default");
    }

    /** {process group, session} of {@code pid} from /proc/PID/stat. */
    private static long[] ids(long pid) throws IOException {
        String s = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
        return new long[] {Long.parseLong(f[2]), Long.parseLong(f[3])};
    }

    @Test
    void shouldReportASignalFromElsewhereAsANegativeReturnCode() {
        Child c = start(List.of("/bin/sh", "-c", "kill -TERM $$"), SubprocessOptions.DEFAULTS);
        await(c.lost);
        assertEquals(-15, c.transport.returnCode(), "not 128 + 15: the status says killed by SIGTERM");
    }

    @Test
    void shouldWatchTheExitThroughAPidfdWithoutAThread() throws IOException {
        Child c = start(List.of("sleep", "30"), SubprocessOptions.DEFAULTS);
        List<String> links = new ArrayList<>();
        try (var fds = Files.newDirectoryStream(Path.of("/proc/self/fd"))) {
            for (Path fd : fds) {
                try {
                    links.add(Files.readSymbolicLink(fd).toString());
                } catch (IOException gone) {
                    // closed meanwhile
                }
            }
        }
        boolean waiter = Thread.getAllStackTraces().keySet().stream()
                .anyMatch(t -> t.getName().equals("weft-child-" + c.transport.pid()));
        c.transport.kill();
        await(c.lost);
        assertTrue(links.contains("anon_inode:[pidfd]"), "a pidfd is open while the child runs: " + links);
        assertFalse(waiter, "no waiter thread");
        assertEquals(-9, c.transport.returnCode());
    }
}
