package dev.weft.loop.process;

import dev.weft.loop.EventLoop;
import dev.weft.loop.ExceptionContext;
import dev.weft.loop.LoopFuture;
import dev.weft.loop.ProcessLookupException;
import dev.weft.loop.SubprocessOptions;
import dev.weft.loop.SubprocessProtocol;
import dev.weft.loop.SubprocessTransport;
import dev.weft.loop.Transport;
import dev.weft.loop.core.LoopInternals;
import java.io.File;
import java.io.IOException;
import java.util.List;
import java.util.function.Supplier;
import org.agrona.DirectBuffer;

/**
 * A child process started with {@link ProcessBuilder}, its pipes pumped into the loop by
 * {@link ProcessPipe} threads and its exit watched with {@link Process#onExit()}. This never calls
 * {@code waitpid(-1)} and leaves SIGCHLD alone: the JDK's own reaper waits for this pid only, so a
 * {@code java.lang.Process} started elsewhere in the JVM keeps its exit status.
 *
 * <h2>Order</h2>
 * {@code connectionMade} runs first (the pipes start reading after it); {@code processExited} runs
 * once the JDK saw the exit; {@code connectionLost(null)} runs after both that and the loss of every
 * pipe, in a later callback.
 *
 * <h2>Return code</h2>
 * The JDK reports a child ended by signal {@code n} as {@code 128 + n}, like a shell. When this
 * transport sent {@code n} to the child, {@code 128 + n} is reported as {@code -n} (asyncio's
 * convention); a child killed by someone else reports {@code 128 + n}.
 *
 * <p>Loop thread only, except {@link #pid()} and {@link #loop()}.
 */
public final class JdkSubprocess implements SubprocessTransport {
    private final EventLoop loop;
    private final SubprocessProtocol protocol;
    private final Process process;
    private final ProcessPipe stdin;
    private final ProcessPipe stdout;
    private final ProcessPipe stderr;
    private Integer returnCode;
    private long signalsSent;
    private boolean closing;
    private boolean finished;
    private boolean connected;
    private boolean pipesStarted;
    private final Runnable closer = this::closeWithLoop;

    private JdkSubprocess(EventLoop loop, SubprocessProtocol protocol, Process process, SubprocessOptions o) {
        this.loop = loop;
        this.protocol = protocol;
        this.process = process;
        this.stdin = o.stdin().kind() == SubprocessOptions.Stdio.Kind.PIPE ? ProcessPipe.writing(this, process.getOutputStream()) : null;
        this.stdout = o.stdout().kind() == SubprocessOptions.Stdio.Kind.PIPE ? ProcessPipe.reading(this, 1, process.getInputStream()) : null;
        this.stderr = o.stderr().kind() == SubprocessOptions.Stdio.Kind.PIPE ? ProcessPipe.reading(this, 2, process.getErrorStream()) : null;
    }

    /**
     * Checks the arguments (an {@link IllegalArgumentException} naming the bad one, before anything
     * starts), starts the child and completes {@code result} once the protocol's
     * {@code connectionMade} has run. Cancelling {@code result} before then kills the child.
     */
    public static void start(EventLoop loop, Supplier<? extends SubprocessProtocol> factory, List<String> argv,
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
        JdkSubprocess t = new JdkSubprocess(loop, protocol, p, effective);
        LoopInternals.loop().childOpened(loop, t.closer);
        loop.callSoon(() -> t.connect(result));
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

    private void connect(LoopFuture<SubprocessTransport> result) {
        if (result.isCancelled()) {
            close();
        } else if (!closing) {
            connected = true;
            protocol.connectionMade(this);
        }
        startPipes();
        process.onExit().whenComplete((p, e) -> {
            try {
                loop.callSoonThreadsafe(this::exited);
            } catch (IllegalStateException closed) {
                // The loop closed first: it killed the child, nobody is left to tell.
            }
        });
        if (!result.isDone()) {
            result.setResult(this);
        }
    }

    private void startPipes() {
        if (pipesStarted) {
            return;
        }
        pipesStarted = true;
        for (ProcessPipe pipe : new ProcessPipe[] {stdin, stdout, stderr}) {
            if (pipe != null) {
                pipe.start();
            }
        }
    }

    // ------------------------------------------------------------ events (loop thread)

    private void exited() {
        if (returnCode != null) {
            return;
        }
        int code = process.exitValue();
        int sig = code - 128;
        if (sig > 0 && sig < 64 && (signalsSent & (1L << sig)) != 0) {
            code = -sig;
        }
        returnCode = code;
        if (connected) {
            try {
                protocol.processExited();
            } catch (RuntimeException e) {
                loop.callExceptionHandler(new ExceptionContext("exception in processExited", e, this));
            }
        }
        tryFinish();
    }

    void pipeData(int fd, DirectBuffer data) {
        if (connected) {
            protocol.pipeDataReceived(fd, data);
        }
    }

    void pipeLost(int fd, Throwable cause) {
        if (connected) {
            try {
                protocol.pipeConnectionLost(fd, cause);
            } catch (RuntimeException e) {
                loop.callExceptionHandler(new ExceptionContext("exception in pipeConnectionLost", e, this));
            }
        }
        tryFinish();
    }

    void pauseWriting() {
        if (connected) {
            protocol.pauseWriting();
        }
    }

    void resumeWriting() {
        if (connected) {
            protocol.resumeWriting();
        }
    }

    private void tryFinish() {
        if (finished || returnCode == null) {
            return;
        }
        for (ProcessPipe pipe : new ProcessPipe[] {stdin, stdout, stderr}) {
            if (pipe != null && !pipe.isLost()) {
                return;
            }
        }
        finished = true;
        closing = true;
        loop.callSoon(() -> {
            LoopInternals.loop().childClosed(loop, closer);
            if (connected) {
                protocol.connectionLost(null);
            }
        });
    }

    /** The loop closes: kill a running child and forget the pipes; no callback runs any more. */
    private void closeWithLoop() {
        connected = false;
        if (returnCode == null && process.isAlive()) {
            process.destroyForcibly();
        }
        for (ProcessPipe pipe : new ProcessPipe[] {stdin, stdout, stderr}) {
            if (pipe != null) {
                pipe.abandon();
            }
        }
        // The pipe threads own the streams: started now, they close them at the child's EOF.
        startPipes();
    }

    // ------------------------------------------------------------ SubprocessTransport

    @Override
    public EventLoop loop() {
        return loop;
    }

    @Override
    public long pid() {
        return process.pid();
    }

    @Override
    public Integer returnCode() {
        loop.assertInLoop("returnCode");
        return returnCode;
    }

    @Override
    public Transport pipeTransport(int fd) {
        loop.assertInLoop("pipeTransport");
        switch (fd) {
            case 0:
                return stdin;
            case 1:
                return stdout;
            case 2:
                return stderr;
            default:
                throw new IllegalArgumentException("fd must be 0, 1 or 2: " + fd);
        }
    }

    @Override
    public void sendSignal(String signal) {
        loop.assertInLoop("sendSignal");
        int sig = ChildSignals.number(signal);
        signal(sig, signal);
    }

    @Override
    public void terminate() {
        loop.assertInLoop("terminate");
        signal(ChildSignals.number("TERM"), "SIGTERM");
    }

    @Override
    public void kill() {
        loop.assertInLoop("kill");
        signal(ChildSignals.number("KILL"), "SIGKILL");
    }

    private void signal(int sig, String name) {
        // The JDK reaps the child as soon as it exits; isAlive() is false from then on, so the pid is
        // never signalled after its reaping has been seen (asyncio has the same window before).
        if (returnCode != null || !process.isAlive()) {
            throw new ProcessLookupException("cannot send " + name + " to process " + pid() + ": the process has exited"
                    + (returnCode != null ? " (return code " + returnCode + ")" : ""));
        }
        if (sig > 0 && sig < 64) {
            signalsSent |= 1L << sig;
        }
        int errno = ChildSignals.send(pid(), sig);
        if (errno == 3) {
            throw new ProcessLookupException("cannot send " + name + " to process " + pid() + ": the process has exited");
        }
        if (errno != 0) {
            throw new IllegalStateException("kill(" + pid() + ", " + sig + ") failed: errno " + errno);
        }
    }

    @Override
    public void close() {
        loop.assertInLoop("close");
        if (closing) {
            return;
        }
        closing = true;
        for (ProcessPipe pipe : new ProcessPipe[] {stdin, stdout, stderr}) {
            if (pipe != null && !pipe.isClosing()) {
                pipe.close();
            }
        }
        if (returnCode == null && process.isAlive()) {
            signalsSent |= 1L << ChildSignals.number("KILL");
            process.destroyForcibly();
        }
    }

    @Override
    public boolean isClosing() {
        return closing;
    }

    @Override
    public SubprocessProtocol protocol() {
        return protocol;
    }

    @Override
    public String toString() {
        return "JdkSubprocess[pid " + process.pid() + (returnCode != null ? ", returned " + returnCode : "") + "]";
    }
}
