package dev.weft.loop.process;

import dev.weft.loop.EventLoop;
import dev.weft.loop.LoopFuture;
import dev.weft.loop.ProcessLookupException;
import dev.weft.loop.Protocol;
import dev.weft.loop.SubprocessOptions;
import dev.weft.loop.SubprocessProtocol;
import dev.weft.loop.SubprocessTransport;
import java.io.File;
import java.io.IOException;
import java.util.List;
import java.util.function.Supplier;

/**
 * A child process started with {@link ProcessBuilder}; its transport is a {@link SubprocessCore}.
 * Its pipes are pumped into the loop by {@link ProcessPipe} threads, started after the protocol's
 * {@code connectionMade}; its exit is watched with {@link Process#onExit()}. This never calls
 * {@code waitpid(-1)} and leaves SIGCHLD alone: the JDK's own reaper waits for this pid only, so a
 * {@code java.lang.Process} started elsewhere in the JVM keeps its exit status.
 *
 * <h2>Return code</h2>
 * The JDK reports a child ended by signal {@code n} as {@code 128 + n}, like a shell. When this
 * transport sent {@code n} to the child, {@code 128 + n} is reported as {@code -n} (asyncio's
 * convention); a child killed by someone else reports {@code 128 + n}.
 *
 * <p>Loop thread only.
 */
final class JdkSubprocess implements ChildProcess {
    private final EventLoop loop;
    private final Process process;
    private final ProcessPipe[] pipes = new ProcessPipe[3];
    private long signalsSent;
    private boolean pipesStarted;

    private JdkSubprocess(EventLoop loop, Process process) {
        this.loop = loop;
        this.process = process;
    }

    /**
     * Checks the arguments (an {@link IllegalArgumentException} naming the bad one, before anything
     * starts), starts the child and completes {@code result} once the protocol's
     * {@code connectionMade} has run. Cancelling {@code result} before then kills the child.
     */
    static void start(EventLoop loop, Supplier<? extends SubprocessProtocol> factory, List<String> argv,
                      SubprocessOptions options, LoopFuture<SubprocessTransport> result) {
        SpawnCheck.check(argv, options);
        if (options.newSession() || options.processGroup() >= 0) {
            throw new dev.weft.loop.UnsupportedCapabilityException(loop.backendName(), dev.weft.loop.Capability.SUBPROCESS,
                    "java.lang.Process cannot start a child in a new session or process group");
        }
        for (SubprocessOptions.Stdio s : List.of(options.stdin(), options.stdout(), options.stderr())) {
            if (s.kind() == SubprocessOptions.Stdio.Kind.FD && !new File("/proc/self/fd").isDirectory()) {
                throw new dev.weft.loop.UnsupportedCapabilityException(loop.backendName(), dev.weft.loop.Capability.SUBPROCESS,
                        "java.lang.Process cannot take a raw descriptor (" + s + ") without /proc/self/fd");
            }
        }
        SubprocessProtocol protocol = factory.get();
        if (protocol == null) {
            throw new NullPointerException("the protocol factory returned null");
        }
        ProcessBuilder pb = new ProcessBuilder(argv);
        if (options.cwd() != null) {
            pb.directory(options.cwd().toFile());
        }
        if (options.environment() != null) {
            pb.environment().clear();
            pb.environment().putAll(options.environment());
        }
        pb.redirectInput(redirect(options.stdin(), true));
        if (options.stderr().kind() == SubprocessOptions.Stdio.Kind.STDOUT) {
            pb.redirectErrorStream(true);
        } else {
            pb.redirectError(redirect(options.stderr(), false));
        }
        pb.redirectOutput(redirect(options.stdout(), false));
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            result.setException(new IOException("cannot start " + argv + ": " + e.getMessage(), e));
            return;
        }
        SubprocessOptions effective = options.stderr().kind() == SubprocessOptions.Stdio.Kind.STDOUT
                ? options.withStderr(SubprocessOptions.Stdio.DEVNULL) : options;
        JdkSubprocess child = new JdkSubprocess(loop, p);
        SubprocessCore core = new SubprocessCore(loop, protocol, p.pid(), child, result);
        SubprocessOptions.Stdio[] stdio = {effective.stdin(), effective.stdout(), effective.stderr()};
        for (int fd = 0; fd < 3; fd++) {
            if (stdio[fd].kind() == SubprocessOptions.Stdio.Kind.PIPE) {
                Protocol pp = core.pipeProtocol(fd);
                ProcessPipe pipe = fd == 0 ? ProcessPipe.writing(loop, p.pid(), p.getOutputStream(), pp)
                        : ProcessPipe.reading(loop, p.pid(), fd, fd == 1 ? p.getInputStream() : p.getErrorStream(), pp);
                child.pipes[fd] = pipe;
                // Connected at once; its thread starts with the exit watch, after connectionMade.
                pp.connectionMade(pipe);
            }
        }
        core.open();
        loop.callSoon(core::pipesConnected);
    }

    private static ProcessBuilder.Redirect redirect(SubprocessOptions.Stdio s, boolean input) {
        switch (s.kind()) {
            case PIPE:
                return ProcessBuilder.Redirect.PIPE;
            case INHERIT:
                return ProcessBuilder.Redirect.INHERIT;
            case DEVNULL:
                return input ? ProcessBuilder.Redirect.from(new File("/dev/null")) : ProcessBuilder.Redirect.DISCARD;
            case FILE:
                return input ? ProcessBuilder.Redirect.from(s.file().toFile()) : ProcessBuilder.Redirect.to(s.file().toFile());
            case FD:
                // A new open file of what the descriptor refers to; outputs append so nothing is truncated.
                File f = new File("/proc/self/fd/" + s.fd());
                return input ? ProcessBuilder.Redirect.from(f) : ProcessBuilder.Redirect.appendTo(f);
            default:
                throw new IllegalArgumentException("unexpected stdio " + s);
        }
    }

    private void startPipes() {
        if (pipesStarted) {
            return;
        }
        pipesStarted = true;
        for (ProcessPipe pipe : pipes) {
            if (pipe != null) {
                pipe.start();
            }
        }
    }

    // ------------------------------------------------------------ exit

    @Override
    public void watchExit(SubprocessCore core) {
        startPipes();
        process.onExit().whenComplete((p, e) -> {
            try {
                loop.callSoonThreadsafe(() -> exited(core));
            } catch (IllegalStateException closed) {
                // The loop closed first: it killed the child, nobody is left to tell.
            }
        });
    }

    private void exited(SubprocessCore core) {
        int code = process.exitValue();
        int sig = code - 128;
        if (sig > 0 && sig < 64 && (signalsSent & (1L << sig)) != 0) {
            code = -sig;
        }
        core.exited(code);
    }

    /** Kills a running child and forgets the pipes. */
    @Override
    public void abandon() {
        if (process.isAlive()) {
            process.destroyForcibly();
        }
        for (ProcessPipe pipe : pipes) {
            if (pipe != null) {
                pipe.abandon();
            }
        }
        // The pipe threads own the streams: started now, they close them at the child's EOF.
        startPipes();
    }

    // ------------------------------------------------------------ signals

    @Override
    public int signalNumber(String signal) {
        return ChildSignals.number(signal);
    }

    @Override
    public void signal(int sig, String name) {
        // The JDK reaps the child as soon as it exits; isAlive() is false from then on, so the pid is
        // never signalled after its reaping has been seen (asyncio has the same window before).
        if (!process.isAlive()) {
            throw new ProcessLookupException("cannot send " + name + " to process " + process.pid()
                    + ": the process has exited");
        }
        if (sig > 0 && sig < 64) {
            signalsSent |= 1L << sig;
        }
        int errno = ChildSignals.send(process.pid(), sig);
        if (errno == 3) {
            throw new ProcessLookupException("cannot send " + name + " to process " + process.pid() + ": the process has exited");
        }
        if (errno != 0) {
            throw new IllegalStateException("kill(" + process.pid() + ", " + sig + ") failed: errno " + errno);
        }
    }

    @Override
    public void killQuietly() {
        if (process.isAlive()) {
            signalsSent |= 1L << ChildSignals.number("KILL");
            process.destroyForcibly();
        }
    }

    @Override
    public String toString() {
        return "java.lang.Process pid " + process.pid();
    }
}
