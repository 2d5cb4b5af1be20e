package dev.weft.loop.testkit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.loop.LoopFuture;
import dev.weft.loop.ProcessLookupException;
import dev.weft.loop.SubprocessOptions;
import dev.weft.loop.SubprocessProtocol;
import dev.weft.loop.SubprocessTransport;
import dev.weft.loop.stream.Subprocess;
import dev.weft.loop.task.Tasks;
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
 * Child processes on the loop: the low-level transport and protocol, and {@link Subprocess} for
 * tasks (asyncio's {@code test_subprocess.py} is the reference). Each test ends, as the suite does,
 * with no live handle and no leaked descriptor, so no child and no pipe is left behind.
 */
@Timeout(120)
public abstract class SubprocessTests extends LoopTestSupport {

    /**
     * What a child does in a test; {@link #child} turns it into an argv of this backend's OS. Output
     * lines end in {@code \n} alone on every OS.
     */
    protected enum Role {
        /** Writes "out\n" to stdout and "err\n" to stderr, exits with {@code args[0]}. */
        OUT_ERR_EXIT,
        /** Sleeps {@code args[0]} seconds. */
        SLEEP,
        /** Exits with {@code args[0]} at once. */
        EXIT,
        /** Copies stdin to stdout, byte for byte, until EOF. */
        CAT,
        /** Closes its stdin, then exits 0. */
        CLOSE_STDIN_EXIT,
        /** Closes its stdin, then writes "done\n". */
        CLOSE_STDIN_ECHO_DONE,
        /** Writes {@code args[0]} zero bytes to stdout. */
        ZEROS,
        /**
         * Starts a grandchild that inherits stdout and stderr and writes "late\n" to both a second
         * later; writes "started\n" and exits 6 at once.
         */
        GRANDCHILD,
        /** Sleeps {@code args[0]} milliseconds, then exits with {@code args[1]}. */
        SLEEP_EXIT,
        /** Writes its working directory and the variable {@code args[0]}, a line each. */
        PWD_ENV,
        /** Writes "to-fd\n". */
        ECHO_TO_FD
    }

    /** The argv of a child playing {@code role} here: POSIX programs (/bin/sh, cat, sleep, head). */
    protected List<String> child(Role role, Object... args) {
        switch (role) {
            case OUT_ERR_EXIT:
                return List.of("/bin/sh", "-c", "echo out; echo err >&2; exit " + args[0]);
            case SLEEP:
                return List.of("sleep", String.valueOf(args[0]));
            case EXIT:
                return (Integer) args[0] == 0 ? List.of("true") : List.of("/bin/sh", "-c", "exit " + args[0]);
            case CAT:
                return List.of("cat");
            case CLOSE_STDIN_EXIT:
                return List.of("/bin/sh", "-c", "exec 0<&-; exit 0");
            case CLOSE_STDIN_ECHO_DONE:
                return List.of("/bin/sh", "-c", "exec 0<&-; echo done");
            case ZEROS:
                return List.of("head", "-c", String.valueOf(args[0]), "/dev/zero");
            case GRANDCHILD:
                return List.of("/bin/sh", "-c", "(sleep 1; echo late; echo late >&2) & echo started; exit 6");
            case SLEEP_EXIT:
                return List.of("/bin/sh", "-c", "sleep " + ((Integer) args[0] / 1000.0) + "; exit " + args[1]);
            case PWD_ENV:
                return List.of("/bin/sh", "-c", "pwd; echo $" + args[0]);
            case ECHO_TO_FD:
                return List.of("/bin/sh", "-c", "echo to-fd");
            default:
                throw new IllegalArgumentException("role " + role);
        }
    }

    /** The environment a child gets in a test, from the variables the test sets. */
    protected java.util.Map<String, String> childEnvironment(java.util.Map<String, String> variables) {
        java.util.Map<String, String> env = new java.util.HashMap<>(variables);
        env.put("PATH", "/usr/bin:/bin");
        return env;
    }

    /** Whether the OS's children take POSIX signals other than TERM and KILL (SIGHUP here). */
    protected boolean posixSignals() {
        return true;
    }

    /** How many children {@code shouldGiveEveryConcurrentChildItsExitCodeAndLeaveNoZombie} starts. */
    protected int concurrentChildren() {
        return 1000;
    }

    /**
     * Why a test that needs something of POSIX this OS lacks is skipped here, or null to run it:
     * {@code "fd"} (Stdio.fd, POSIX descriptors) and {@code "proc"} (a child's /proc entries).
     */
    protected String skipReason(String need) {
        return null;
    }

    private void require(String need) {
        String reason = skipReason(need);
        org.junit.jupiter.api.Assumptions.assumeTrue(reason == null, reason);
    }

    /** Records every protocol call in order. */
    protected static final class Recorder implements SubprocessProtocol {
        final List<String> events = new ArrayList<>();
        final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        final ByteArrayOutputStream stderr = new ByteArrayOutputStream();
        final LoopFuture<Void> lost;
        SubprocessTransport transport;
        /** What connectionMade throws, if not null. */
        RuntimeException madeThrows;

        Recorder(dev.weft.loop.EventLoop loop) {
            lost = loop.createFuture();
        }

        @Override
        public void connectionMade(SubprocessTransport t) {
            transport = t;
            events.add("made");
            if (madeThrows != null) {
                throw madeThrows;
            }
        }

        @Override
        public void pipeDataReceived(int fd, DirectBuffer data) {
            byte[] b = new byte[data.capacity()];
            data.getBytes(0, b);
            (fd == 1 ? stdout : stderr).write(b, 0, b.length);
        }

        @Override
        public void pipeConnectionLost(int fd, Throwable cause) {
            events.add("pipeLost" + fd);
        }

        @Override
        public void processExited() {
            events.add("exited");
        }

        @Override
        public void connectionLost(Throwable cause) {
            events.add("lost");
            lost.setResult(null);
        }
    }

    private Recorder run(List<String> argv, SubprocessOptions options) {
        Recorder r = new Recorder(loop);
        await(loop.subprocessExec(() -> r, argv, options));
        return r;
    }

    private <T> T inTask(dev.weft.loop.task.Coroutine<T> body) {
        return await(loop.createTask(body));
    }

    @Test
    void shouldReportExitBeforeConnectionLostWithTheExitStatus() {
        Recorder r = run(child(Role.OUT_ERR_EXIT, 3), null);
        assertNotNull(r.transport.pipeTransport(0));
        r.transport.pipeTransport(0).close();
        await(r.lost);
        assertEquals(3, r.transport.returnCode());
        assertEquals("out\n", r.stdout.toString(StandardCharsets.UTF_8));
        assertEquals("err\n", r.stderr.toString(StandardCharsets.UTF_8));
        assertEquals("made", r.events.get(0));
        assertEquals("lost", r.events.get(r.events.size() - 1));
        assertTrue(r.events.indexOf("exited") < r.events.indexOf("lost"), r.events.toString());
        assertTrue(r.events.containsAll(List.of("pipeLost0", "pipeLost1", "pipeLost2")), r.events.toString());
        assertTrue(r.transport.isClosing());
    }

    @Test
    void shouldReportTheSignalAsANegativeReturnCodeWhenKilled() {
        for (String how : posixSignals() ? List.of("kill", "terminate", "HUP") : List.of("kill", "terminate")) {
            Recorder r = run(child(Role.SLEEP, 30), SubprocessOptions.DEFAULTS
                    .withStdin(SubprocessOptions.Stdio.DEVNULL));
            switch (how) {
                case "kill" -> r.transport.kill();
                case "terminate" -> r.transport.terminate();
                default -> r.transport.sendSignal("SIGHUP");
            }
            await(r.lost);
            int expected = how.equals("kill") ? -9 : how.equals("terminate") ? -15 : -1;
            assertEquals(expected, r.transport.returnCode(), how);
        }
        if (!posixSignals()) {
            Recorder r = run(child(Role.SLEEP, 30), SubprocessOptions.DEFAULTS.withStdin(SubprocessOptions.Stdio.DEVNULL));
            dev.weft.loop.UnsupportedCapabilityException e = assertThrows(dev.weft.loop.UnsupportedCapabilityException.class,
                    () -> r.transport.sendSignal("SIGHUP"));
            assertTrue(e.getMessage().startsWith("unsupported on " + backend() + ": "), e.getMessage());
            r.transport.kill();
            await(r.lost);
            assertEquals(-9, r.transport.returnCode());
        }
    }

    @Test
    void shouldFailToSignalAProcessThatHasExited() {
        Recorder r = run(child(Role.EXIT, 0), SubprocessOptions.DEFAULTS.withStdin(SubprocessOptions.Stdio.DEVNULL));
        await(r.lost);
        assertEquals(0, r.transport.returnCode());
        for (Runnable call : List.<Runnable>of(r.transport::kill, r.transport::terminate,
                () -> r.transport.sendSignal("HUP"))) {
            ProcessLookupException e = assertThrows(ProcessLookupException.class, call::run);
            assertTrue(e.getMessage().contains("has exited"), e.getMessage());
        }
    }

    @Test
    void shouldKillARunningChildOnCloseAndLeaveAnExitedOneAlone() {
        Recorder running = run(child(Role.SLEEP, 30), null);
        running.transport.close();
        await(running.lost);
        assertEquals(-9, running.transport.returnCode());
        assertTrue(running.events.indexOf("exited") < running.events.indexOf("lost"), running.events.toString());

        Recorder done = run(child(Role.EXIT, 4), SubprocessOptions.DEFAULTS.withStdin(SubprocessOptions.Stdio.DEVNULL));
        while (done.transport.returnCode() == null) {
            runFor(20);
        }
        done.transport.close();
        await(done.lost);
        assertEquals(4, done.transport.returnCode(), "close does not kill a child that already exited");
    }

    @Test
    void shouldRejectBadInputBeforeStartingAnything() throws IOException {
        Path dir = Files.createTempDirectory("weft-subprocess");
        Path notExecutable = Files.writeString(dir.resolve("script.sh"), "#!/bin/sh\nexit 0\n");
        try {
            List<List<String>> bad = List.of(List.of(), List.of("echo", "a\0b"), List.of("/no/such/program"),
                    List.of("no-such-program-weft"), List.of(notExecutable.toString()), List.of(dir.toString()));
            List<String> words = List.of("empty", "NUL", "not found", "not found", "not executable", "directory");
            for (int i = 0; i < bad.size(); i++) {
                List<String> argv = bad.get(i);
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> loop.subprocessExec(() -> new Recorder(loop), argv, null), argv.toString());
                assertTrue(e.getMessage().contains(words.get(i)), e.getMessage());
            }
            IllegalArgumentException cwd = assertThrows(IllegalArgumentException.class,
                    () -> loop.subprocessExec(() -> new Recorder(loop), List.of("true"),
                            SubprocessOptions.DEFAULTS.withCwd(dir.resolve("missing"))));
            assertTrue(cwd.getMessage().contains("cwd") && cwd.getMessage().contains("missing"), cwd.getMessage());
            assertEquals(0, loop.liveHandles(), "nothing was started");
            // The loop still serves.
            Recorder ok = run(child(Role.EXIT, 0), SubprocessOptions.DEFAULTS.withStdin(SubprocessOptions.Stdio.DEVNULL));
            await(ok.lost);
        } finally {
            Files.delete(notExecutable);
            Files.delete(dir);
        }
    }

    @Test
    void shouldLetAJavaLangProcessStartedAlongsideGetItsExitCode() throws Exception {
        Process jdk = new ProcessBuilder(child(Role.SLEEP_EXIT, 300, 7))
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        jdk.getOutputStream().close();
        Recorder r = run(child(Role.EXIT, 5), SubprocessOptions.DEFAULTS.withStdin(SubprocessOptions.Stdio.DEVNULL));
        await(r.lost);
        assertEquals(5, r.transport.returnCode());
        assertEquals(7, jdk.waitFor());
    }

    @Test
    @Timeout(600)
    void shouldGiveEveryConcurrentChildItsExitCodeAndLeaveNoZombie() throws IOException {
        int n = concurrentChildren();
        SubprocessOptions quiet = SubprocessOptions.DEFAULTS.withStdin(SubprocessOptions.Stdio.DEVNULL)
                .withStdout(SubprocessOptions.Stdio.DEVNULL).withStderr(SubprocessOptions.Stdio.DEVNULL);
        List<Recorder> all = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            // All started before any is awaited: they run and exit concurrently.
            all.add(run(child(Role.EXIT, i % 256), quiet));
        }
        for (int i = 0; i < n; i++) {
            await(all.get(i).lost);
            assertEquals(i % 256, all.get(i).transport.returnCode(), "child " + i);
        }
        assertEquals(List.of(), zombiesOfThisProcess(), "zombies left");
    }

    /**
     * Children of this JVM in state Z, from /proc (field 3 state, field 4 parent pid); none where
     * there is no /proc (Windows has no zombies: a process object goes with its last handle).
     */
    protected static List<String> zombiesOfThisProcess() throws IOException {
        long self = ProcessHandle.current().pid();
        List<String> zombies = new ArrayList<>();
        if (!Files.isDirectory(Path.of("/proc/self"))) {
            return zombies;
        }
        try (var dirs = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            for (Path d : dirs) {
                String s;
                try {
                    s = Files.readString(d.resolve("stat"));
                } catch (IOException gone) {
                    continue;
                }
                String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
                if (f[0].equals("Z") && Long.parseLong(f[1]) == self) {
                    zombies.add(s.trim());
                }
            }
        }
        return zombies;
    }

    @Test
    void shouldLeakNoDescriptorIntoTheChild() throws Exception {
        require("proc");
        Path tmp = Files.createTempFile("weft-fd", ".txt");
        // A file the JVM opens (without FD_CLOEXEC) and a pipe of the loop's own, both open while the child starts.
        java.nio.channels.Pipe extra = java.nio.channels.Pipe.open();
        try (java.io.FileInputStream held = new java.io.FileInputStream(tmp.toFile());
             java.nio.channels.Pipe.SourceChannel source = extra.source();
             java.nio.channels.Pipe.SinkChannel sink = extra.sink()) {
            Recorder r = run(child(Role.CAT), null);
            // Look once the child is cat: before its exec, java.lang.Process's launcher helper still
            // holds the descriptor it reports through, which is not the child's.
            Path exe = Path.of("/proc/" + r.transport.pid() + "/exe");
            long until = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
            while (!Files.readSymbolicLink(exe).getFileName().toString().equals("cat") && System.nanoTime() < until) {
                Thread.sleep(5);
            }
            // Right after the exec the dynamic loader of cat briefly holds a descriptor of its own
            // (ld.so.cache, a library); a leaked one stays, so look until only 0..2 are left or 2 s passed.
            Path fds = Path.of("/proc/" + r.transport.pid() + "/fd");
            List<String> seen = childDescriptors(fds);
            long settle = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(2);
            while (seen.size() > 3 && System.nanoTime() < settle) {
                Thread.sleep(10);
                seen = childDescriptors(fds);
            }
            r.transport.pipeTransport(0).close();
            await(r.lost);
            assertEquals(0, r.transport.returnCode());
            assertEquals(List.of("0", "1", "2"), seen.stream().map(f -> f.substring(0, f.indexOf(' '))).toList(),
                    "the child's descriptors: " + seen);
        } finally {
            Files.delete(tmp);
        }
    }

    /** The descriptors in {@code fds} (a /proc/PID/fd), sorted, each as "N -> target". */
    private static List<String> childDescriptors(Path fds) throws IOException {
        List<String> seen = new ArrayList<>();
        try (var list = Files.newDirectoryStream(fds)) {
            for (Path p : list) {
                String target;
                try {
                    target = Files.readSymbolicLink(p).toString();
                } catch (IOException e) {
                    target = "?"; // closed between the listing and the read
                }
                seen.add(p.getFileName() + " -> " + target);
            }
        }
        seen.sort(java.util.Comparator.comparingInt(f -> Integer.parseInt(f.substring(0, f.indexOf(' ')))));
        return seen;
    }

    @Test
    void shouldRejectAClosedDescriptorBeforeStartingAnything() {
        require("fd");
        int closed = 1 << 20;
        for (int target = 0; target < 3; target++) {
            SubprocessOptions o = target == 0 ? SubprocessOptions.DEFAULTS.withStdin(SubprocessOptions.Stdio.fd(closed))
                    : target == 1 ? SubprocessOptions.DEFAULTS.withStdout(SubprocessOptions.Stdio.fd(closed))
                    : SubprocessOptions.DEFAULTS.withStderr(SubprocessOptions.Stdio.fd(closed));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> loop.subprocessExec(() -> new Recorder(loop), List.of("true"), o));
            String name = target == 0 ? "stdin" : target == 1 ? "stdout" : "stderr";
            assertTrue(e.getMessage().contains(name) && e.getMessage().contains("fd " + closed), e.getMessage());
        }
        assertEquals(0, loop.liveHandles(), "nothing was started");
        assertThrows(IllegalArgumentException.class, () -> SubprocessOptions.Stdio.fd(-1));
    }

    @Test
    void shouldWriteTheChildsStdoutIntoAnOpenDescriptorGiven() throws Exception {
        require("fd");
        Path tmp = Files.createTempFile("weft-fd-out", ".txt");
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(tmp.toFile(), "rw")) {
            int fd = fdOf(tmp);
            Recorder r = run(child(Role.ECHO_TO_FD), SubprocessOptions.DEFAULTS
                    .withStdin(SubprocessOptions.Stdio.DEVNULL).withStdout(SubprocessOptions.Stdio.fd(fd)));
            await(r.lost);
            assertEquals(0, r.transport.returnCode());
            assertEquals(null, r.transport.pipeTransport(1));
            assertEquals("to-fd\n", Files.readString(tmp));
            assertTrue(f.getFD().valid(), "the descriptor stays the caller's");
        } finally {
            Files.delete(tmp);
        }
    }

    /** The number of this process's descriptor open on {@code file}, found in /proc/self/fd. */
    private static int fdOf(Path file) throws IOException {
        for (int fd = 3; fd < 65536; fd++) {
            Path p = Path.of("/proc/self/fd/" + fd);
            if (Files.isSymbolicLink(p) && Files.readSymbolicLink(p).equals(file.toRealPath())) {
                return fd;
            }
        }
        throw new AssertionError("no descriptor open on " + file + " in /proc/self/fd");
    }

    @Test
    void shouldRoundTripStdinToStdoutThroughCatWithCommunicate() {
        byte[] input = new byte[1 << 20];
        new java.util.Random(13).nextBytes(input);
        Subprocess.Output out = inTask(() -> {
            Subprocess p = Subprocess.exec(child(Role.CAT), null);
            Subprocess.Output o = p.communicate(input);
            assertEquals(0, p.returnCode());
            return o;
        });
        assertArrayEquals(input, out.stdout());
        assertEquals(0, out.stderr().length);
    }

    @Test
    void shouldRaiseOnDrainWhenTheChildDoesNotReadItsStdinAndCommunicateTolerates() {
        String result = inTask(() -> {
            Subprocess p = Subprocess.exec(child(Role.CLOSE_STDIN_EXIT), null);
            assertEquals(0, p.waitFor());
            IOException e = assertThrows(IOException.class, () -> {
                for (int i = 0; i < 64; i++) {
                    p.stdin().write(new byte[64 * 1024]);
                    p.stdin().drain();
                }
            });
            Subprocess q = Subprocess.exec(child(Role.CLOSE_STDIN_ECHO_DONE), null);
            Subprocess.Output o = q.communicate(new byte[1 << 20]);
            return e.getClass().getSimpleName() + ":" + new String(o.stdout(), StandardCharsets.UTF_8).trim();
        });
        assertTrue(result.endsWith(":done"), result);
    }

    @Test
    void shouldPauseTheStdoutPipeOverTheReaderLimitAndResumeIt() {
        int total = 1_000_000;
        int limit = 4096;
        int read = inTask(() -> {
            Subprocess p = Subprocess.exec(child(Role.ZEROS, total),
                    SubprocessOptions.DEFAULTS.withStdin(SubprocessOptions.Stdio.DEVNULL), limit);
            while (p.stdout().buffered() <= 2 * limit) {
                Tasks.sleep(10);
            }
            Tasks.sleep(200);
            assertFalse(p.transport().pipeTransport(1).isReading(), "paused over the limit");
            assertTrue(p.stdout().buffered() <= 2 * limit + 64 * 1024, "buffered " + p.stdout().buffered());
            int n = 0;
            while (true) {
                byte[] b = p.stdout().read(limit);
                if (b.length == 0) {
                    break;
                }
                n += b.length;
            }
            p.waitFor();
            return n;
        });
        assertEquals(total, read);
    }

    @Test
    void shouldReturnFromWaitWhenTheChildExitsWhileAGrandchildHoldsThePipes() {
        String seen = inTask(() -> {
            // The grandchild inherits stdout and stderr and writes a second later.
            Subprocess p = Subprocess.exec(child(Role.GRANDCHILD),
                    SubprocessOptions.DEFAULTS.withStdin(SubprocessOptions.Stdio.DEVNULL));
            String first = new String(p.stdout().readLine(), StandardCharsets.UTF_8);
            assertEquals(6, p.waitFor());
            String atExit = first + "|" + p.stdout().buffered();
            // Both pipes end once the grandchild exits (the JDK may close one at the child's exit).
            p.stdout().read(-1);
            p.stderr().read(-1);
            return atExit;
        });
        assertEquals("started\n|0", seen, "wait returned before the grandchild wrote");
    }

    @Test
    void shouldKillTheChildWhenItsCreationIsCancelled() throws Exception {
        Recorder r = new Recorder(loop);
        LoopFuture<SubprocessTransport> f = loop.subprocessExec(() -> r, child(Role.SLEEP, 30), null);
        assertTrue(f.cancel());
        for (int i = 0; i < 200 && loop.liveHandles() != 0; i++) {
            runFor(20);
        }
        assertEquals(0, loop.liveHandles(), "the cancelled child is gone");
        assertTrue(r.events.isEmpty(), "the protocol never heard of it: " + r.events);
    }

    @Test
    void shouldFailTheCreationAndKillTheChildWhenConnectionMadeThrows() {
        Recorder r = new Recorder(loop);
        r.madeThrows = new IllegalStateException("connectionMade fails in this test");
        LoopFuture<SubprocessTransport> f = loop.subprocessExec(() -> r, child(Role.SLEEP, 30), null);
        for (int i = 0; i < 500 && (!f.isDone() || loop.liveHandles() != 0); i++) {
            runFor(20);
        }
        assertTrue(f.isDone(), "the creation completed");
        assertEquals(r.madeThrows, f.exception());
        assertEquals(0, loop.liveHandles(), "the child was killed and its pipes closed");
        assertEquals(List.of("made"), r.events, "the protocol hears nothing after its connectionMade failed");
    }

    @Test
    void shouldDropWritesToStdinOnceWriteEofWasCalled() {
        Recorder r = run(child(Role.CAT), null);
        dev.weft.loop.Transport stdin = r.transport.pipeTransport(0);
        stdin.write("one\n".getBytes(StandardCharsets.UTF_8), 0, 4);
        stdin.writeEof();
        assertTrue(stdin.isClosing());
        stdin.write("two\n".getBytes(StandardCharsets.UTF_8), 0, 4);
        await(r.lost);
        assertEquals("one\n", r.stdout.toString(StandardCharsets.UTF_8));
        assertEquals(0, r.transport.returnCode());
    }

    @Test
    void shouldLeaveTheChildAloneWhenAWaitIsCancelled() {
        int code = inTask(() -> {
            Subprocess p = Subprocess.exec(child(Role.SLEEP_EXIT, 300, 9),
                    SubprocessOptions.DEFAULTS.withStdin(SubprocessOptions.Stdio.DEVNULL));
            dev.weft.loop.task.Task<Integer> w = loop.createTask(p::waitFor);
            Tasks.sleep(20);
            w.cancel();
            assertThrows(java.util.concurrent.CancellationException.class, () -> Tasks.await(w));
            return p.waitFor();
        });
        assertEquals(9, code);
    }

    @Test
    void shouldUseTheCwdAndEnvironmentGiven() throws IOException {
        Path dir = Files.createTempDirectory("weft-cwd").toRealPath();
        try {
            Subprocess.Output o = inTask(() -> Subprocess.exec(child(Role.PWD_ENV, "WEFT_X"),
                    SubprocessOptions.DEFAULTS.withCwd(dir).withEnvironment(childEnvironment(java.util.Map.of("WEFT_X", "y"))))
                    .communicate(null));
            assertEquals(dir + "\ny\n", new String(o.stdout(), StandardCharsets.UTF_8));
        } finally {
            Files.delete(dir);
        }
    }

    @Test
    void shouldKillChildrenStillRunningWhenTheLoopCloses() throws Exception {
        Recorder r = run(child(Role.SLEEP, 30), null);
        long pid = r.transport.pid();
        loop.close();
        ProcessHandle h = ProcessHandle.of(pid).orElse(null);
        if (h != null) {
            h.onExit().get(20, java.util.concurrent.TimeUnit.SECONDS);
        }
        // Dead at once; reaped by a thread soon after (a zombie until then counts as alive here).
        for (int i = 0; i < 500 && ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false); i++) {
            Thread.sleep(20);
        }
        assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false));
        assertEquals(List.of(), zombiesOfThisProcess(), "the killed child was reaped");
    }

    @Test
    void shouldRejectAnUnreadableStdinFileAndStdoutToStdout() {
        assertThrows(IllegalArgumentException.class, () -> loop.subprocessExec(() -> new Recorder(loop), child(Role.CAT),
                SubprocessOptions.DEFAULTS.withStdin(SubprocessOptions.Stdio.file(Path.of("/no/such/file")))));
        assertThrows(IllegalArgumentException.class, () -> SubprocessOptions.DEFAULTS.withStdout(SubprocessOptions.Stdio.STDOUT));
    }
}
