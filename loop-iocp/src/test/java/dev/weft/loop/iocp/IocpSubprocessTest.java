package dev.weft.loop.iocp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.loop.EventLoop;
import dev.weft.loop.LoopFuture;
import dev.weft.loop.SubprocessOptions;
import dev.weft.loop.SubprocessProtocol;
import dev.weft.loop.SubprocessTransport;
import dev.weft.loop.UnsupportedCapabilityException;
import dev.weft.loop.stream.Subprocess;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.agrona.DirectBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/**
 * What is particular to children on Windows: the handles a child gets (and only those), the
 * command line it parses, the options that have no Windows meaning.
 */
@EnabledOnOs(OS.WINDOWS)
@Timeout(120)
class IocpSubprocessTest {
    @TempDir
    Path tmp;

    private EventLoop loop;

    @BeforeEach
    void open() {
        loop = EventLoop.builder().backend("iocp").build();
    }

    @AfterEach
    void close() {
        loop.close();
    }

    /** Collects stdout and the end. */
    static final class Collect implements SubprocessProtocol {
        final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        final LoopFuture<Void> lost;
        SubprocessTransport transport;

        Collect(EventLoop loop) {
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
            stdout.write(b, 0, b.length);
        }

        @Override
        public void connectionLost(Throwable cause) {
            lost.setResult(null);
        }
    }

    private Collect run(List<String> argv, SubprocessOptions options) {
        Collect c = new Collect(loop);
        loop.runUntilComplete(loop.subprocessExec(() -> c, argv, options));
        return c;
    }

    @Test
    void shouldNotLetAnInheritableHandleOutsideTheHandleListReachTheChild() throws Exception {
        // An inheritable handle of this process that is none of the child's three.
        WinSpawn.Pipe extra = WinSpawn.pipe(false);
        try {
            Collect c = run(WinChild.argv("sleep", 30), SubprocessOptions.DEFAULTS);
            Kernel32.CloseHandle(extra.client());
            int peek = ProcessCalls.PeekNamedPipe(extra.server(), 0L, 0, 0L, 0L, 0L);
            int error = peek == 0 ? WinError.last() : 0;
            c.transport.kill();
            loop.runUntilComplete(c.lost);
            assertEquals(ProcessCalls.ERROR_BROKEN_PIPE, error,
                    "the other end of the pipe is still open: the child inherited it (PeekNamedPipe error " + error + ")");
        } finally {
            Kernel32.CloseHandle(extra.server());
        }
    }

    @Test
    void shouldLoseAnIdleStdinPipeWhenTheChildExits() {
        Collect c = run(List.of(IocpSubprocessConformanceTest.cmd(), "/d", "/c", "exit 5"), SubprocessOptions.DEFAULTS);
        // Nothing is written to stdin nor closed: the pipe learns of the child's exit by itself.
        LoopFuture<Void> bound = loop.createFuture();
        Runnable end = () -> {
            if (!bound.isDone()) {
                bound.setResult(null);
            }
        };
        loop.callLater(30, java.util.concurrent.TimeUnit.SECONDS, end);
        c.lost.addDoneCallback(f -> end.run());
        loop.runUntilComplete(bound);
        assertTrue(c.lost.isDone(), "connectionLost did not come: the idle stdin pipe never learned of the exit");
        assertEquals(5, c.transport.returnCode());
        assertTrue(c.transport.pipeTransport(0).isClosing());
    }

    @Test
    void shouldReportTheChildsOwnProcessId() {
        Collect c = run(WinChild.argv("pid"), SubprocessOptions.DEFAULTS.withStdin(SubprocessOptions.Stdio.DEVNULL));
        loop.runUntilComplete(c.lost);
        assertEquals(c.transport.pid() + "\n", c.stdout.toString(StandardCharsets.UTF_8));
    }

    @Test
    void shouldPassEveryArgumentThroughTheCommandLineUnchanged() {
        List<String> args = List.of("a b", "\"quoted\"", "back\\slash", "trail\\", "trail space\\ ", "x\\\"y",
                "\\\\\"", "tab\there", "end");
        Collect c = run(WinChild.argv("args", args.toArray()), SubprocessOptions.DEFAULTS
                .withStdin(SubprocessOptions.Stdio.DEVNULL));
        loop.runUntilComplete(c.lost);
        StringBuilder expected = new StringBuilder();
        args.forEach(a -> expected.append('[').append(a).append("]\n"));
        assertEquals(expected.toString(), c.stdout.toString(StandardCharsets.UTF_8));
        assertEquals(0, c.transport.returnCode());
    }

    @Test
    void shouldRunAShellCommandWithCmdExeAsWritten() {
        Collect c = new Collect(loop);
        loop.runUntilComplete(loop.subprocessShell(() -> c, "echo \"a  b\"& exit 3",
                SubprocessOptions.DEFAULTS.withStdin(SubprocessOptions.Stdio.DEVNULL)));
        loop.runUntilComplete(c.lost);
        assertEquals("\"a  b\"\r\n", c.stdout.toString(StandardCharsets.UTF_8));
        assertEquals(3, c.transport.returnCode());
    }

    @Test
    void shouldSendTheStreamsWhereTheOptionsSay() throws Exception {
        Path out = tmp.resolve("out.txt");
        Collect c = run(WinChild.argv("out-err-exit", 2), SubprocessOptions.DEFAULTS
                .withStdin(SubprocessOptions.Stdio.DEVNULL)
                .withStdout(SubprocessOptions.Stdio.file(out))
                .withStderr(SubprocessOptions.Stdio.STDOUT));
        loop.runUntilComplete(c.lost);
        assertEquals(2, c.transport.returnCode());
        assertEquals(null, c.transport.pipeTransport(1));
        assertEquals("out\nerr\n", Files.readString(out));

        Path in = Files.writeString(tmp.resolve("in.txt"), "from a file\n");
        Collect cat = run(WinChild.argv("cat"), SubprocessOptions.DEFAULTS
                .withStdin(SubprocessOptions.Stdio.file(in)).withStderr(SubprocessOptions.Stdio.DEVNULL));
        loop.runUntilComplete(cat.lost);
        assertEquals("from a file\n", cat.stdout.toString(StandardCharsets.UTF_8));
    }

    @Test
    void shouldRefuseWhatWindowsChildrenHaveNotBeforeStartingAnything() {
        List<SubprocessOptions> refused = List.of(
                SubprocessOptions.DEFAULTS.withStdout(SubprocessOptions.Stdio.fd(1)),
                SubprocessOptions.DEFAULTS.withNewSession(true),
                SubprocessOptions.DEFAULTS.withProcessGroup(0));
        for (SubprocessOptions o : refused) {
            UnsupportedCapabilityException e = assertThrows(UnsupportedCapabilityException.class,
                    () -> loop.subprocessExec(() -> new Collect(loop),
                            List.of(IocpSubprocessConformanceTest.cmd(), "/c", "exit 0"), o));
            assertTrue(e.getMessage().startsWith("unsupported on iocp: "), e.getMessage());
        }
        assertEquals(0, loop.liveHandles(), "nothing was started");
    }

    @Test
    void shouldReturnFromWaitForAKilledChildWithMinusNine() {
        int code = loop.runUntilComplete(loop.createTask(() -> {
            Subprocess p = Subprocess.exec(WinChild.argv("sleep", 30), SubprocessOptions.DEFAULTS);
            p.kill();
            return p.waitFor();
        }));
        assertEquals(-9, code);
    }
}
