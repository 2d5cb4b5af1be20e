package dev.weft.loop.process;

import dev.weft.loop.Connection;
import dev.weft.loop.EventLoop;
import dev.weft.loop.ExceptionContext;
import dev.weft.loop.LoopFuture;
import dev.weft.loop.PipeEnd;
import dev.weft.loop.ProcessLookupException;
import dev.weft.loop.Protocol;
import dev.weft.loop.SubprocessOptions;
import dev.weft.loop.SubprocessProtocol;
import dev.weft.loop.SubprocessTransport;
import dev.weft.loop.Transport;
import dev.weft.loop.core.LoopInternals;
import dev.weft.loop.posix.LinuxSpawn;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.agrona.DirectBuffer;

/**
 * A child started with {@code posix_spawn} ({@link LinuxSpawn}) on a loop whose pipe transports
 * and watches take raw descriptors (epoll, kqueue over libkqueue): its pipes are the loop's own
 * pipe transports ({@code connectReadPipe} / {@code connectWritePipe}, no thread), its exit is
 * watched through a {@code pidfd} given to the loop as a reader and reaped with {@code waitid} on
 * its pid only. Where the poller cannot watch a pidfd (kqueue), where {@code pidfd_open} fails
 * with ENOSYS (Linux before 5.3), or with {@code -Dweft.subprocess.pidfd=false}, one daemon thread
 * per child waits for its exit with {@code WNOWAIT} (the pid stays reserved) and the loop reaps
 * it. Nothing here calls {@code waitpid(-1)} or touches SIGCHLD.
 *
 * <h2>Order</h2>
 * As asyncio's: the pipes connect first, reading held until the protocol's {@code connectionMade}
 * has run; then {@code pipeDataReceived}, {@code pipeConnectionLost} (once per pipe) and
 * {@code processExited}; {@code connectionLost(null)} last, in a later callback once the child was
 * reaped and every pipe is lost.
 *
 * <h2>Return code</h2>
 * The exit status, or minus the signal that ended the child, whoever sent it. A child reaped by
 * someone else ({@code waitpid(-1)} elsewhere in the process) reports 255, as asyncio, and the
 * exception handler hears of it.
 *
 * <p>Loop thread only, except {@link #pid()} and {@link #loop()}.
 */
final class PosixSubprocess implements SubprocessTransport {
    private static final int SIGKILL = 9;

    private final EventLoop loop;
    private final SubprocessProtocol protocol;
    private final int pid;
    private final Pipe[] pipes = new Pipe[3];
    private final Runnable closer = this::closeWithLoop;
    private int pidfd = -1;
    private boolean watching;
    private Integer returnCode;
    private boolean connected;
    private boolean closing;
    private boolean finished;
    private int pipesPending;
    private boolean pipesConnected;
    private LoopFuture<SubprocessTransport> result;

    // The waiter thread (no pidfd) and the loop: who reaps the child, exactly once.
    private final java.util.concurrent.atomic.AtomicBoolean reapClaimed = new java.util.concurrent.atomic.AtomicBoolean();
    private volatile boolean exitSeen;
    private volatile boolean abandoned;

    private PosixSubprocess(EventLoop loop, SubprocessProtocol protocol, int pid) {
        this.loop = loop;
        this.protocol = protocol;
        this.pid = pid;
    }

    /**
     * Checks the arguments (an {@link IllegalArgumentException} naming the bad one, before anything
     * is opened or started), starts the child and completes {@code result} once the protocol's
     * {@code connectionMade} has run. A failed {@code posix_spawn} fails {@code result} with an
     * {@link IOException} naming it, with every descriptor it opened closed again. {@code usePidfd}:
     * watch the exit through a pidfd on the loop's poller where the kernel has one, else a waiter
     * thread.
     */
    static void start(EventLoop loop, Supplier<? extends SubprocessProtocol> factory, List<String> argv,
                      SubprocessOptions options, boolean usePidfd, LoopFuture<SubprocessTransport> result) {
        Path program = SpawnCheck.check(argv, options);
        SubprocessProtocol protocol = factory.get();
        if (protocol == null) {
            throw new NullPointerException("the protocol factory returned null");
        }
        SubprocessOptions.Stdio[] stdio = {options.stdin(), options.stdout(), options.stderr()};
        int[] parentEnd = {-1, -1, -1};
        int[] childEnd = {-1, -1, -1};
        List<Integer> toClose = new ArrayList<>();
        int pid;
        try {
            for (int i = 0; i < 3; i++) {
                SubprocessOptions.Stdio s = stdio[i];
                switch (s.kind()) {
                    case PIPE -> {
                        int[] p = LinuxSpawn.pipe();
                        parentEnd[i] = i == 0 ? p[1] : p[0];
                        childEnd[i] = i == 0 ? p[0] : p[1];
                        toClose.add(childEnd[i]);
                    }
                    case DEVNULL -> {
                        childEnd[i] = LinuxSpawn.open(Path.of("/dev/null"), i != 0);
                        toClose.add(childEnd[i]);
                    }
                    case FILE -> {
                        childEnd[i] = openFile(s.file(), i);
                        toClose.add(childEnd[i]);
                    }
                    case FD -> {
                        // A copy numbered 3 or more, so no earlier dup2 of the child's 0..2 can hit it.
                        childEnd[i] = LinuxSpawn.duplicate(s.fd());
                        toClose.add(childEnd[i]);
                    }
                    default -> childEnd[i] = -1;
                }
            }
            LinuxSpawn.Group group = new LinuxSpawn.Group(options.newSession(), options.processGroup());
            pid = LinuxSpawn.spawn(program.toString(), argv, options.environment(), childEnd,
                    options.stderr().kind() == SubprocessOptions.Stdio.Kind.STDOUT, options.cwd(), group);
        } catch (IOException | RuntimeException e) {
            toClose.forEach(LinuxSpawn::closeQuietly);
            for (int fd : parentEnd) {
                LinuxSpawn.closeQuietly(fd);
            }
            if (e instanceof IllegalArgumentException) {
                throw (IllegalArgumentException) e;
            }
            result.setException(e instanceof IOException ? new IOException("cannot start " + argv + ": " + e.getMessage(), e) : e);
            return;
        }
        toClose.forEach(LinuxSpawn::closeQuietly);
        PosixSubprocess t = new PosixSubprocess(loop, protocol, pid);
        t.result = result;
        if (usePidfd) {
            int fd = LinuxSpawn.pidfdOpen(pid);
            // Before Linux 5.3 there is no pidfd_open (ENOSYS): a waiter thread instead.
            t.pidfd = fd >= 0 ? fd : -1;
        }
        LoopInternals.loop().childOpened(loop, t.closer);
        t.connectPipes(parentEnd);
    }

    private static int openFile(Path file, int fd) {
        try {
            return LinuxSpawn.open(file, fd != 0);
        } catch (IOException e) {
            throw new IllegalArgumentException((fd == 0 ? "stdin" : fd == 1 ? "stdout" : "stderr") + " file cannot be opened: "
                    + file + " (" + e.getMessage() + ")", e);
        }
    }

    private void connectPipes(int[] parentEnd) {
        for (int i = 0; i < 3; i++) {
            if (parentEnd[i] >= 0) {
                pipesPending++;
            }
        }
        if (pipesPending == 0) {
            loop.callSoon(this::pipesReady);
            return;
        }
        for (int i = 0; i < 3; i++) {
            if (parentEnd[i] < 0) {
                continue;
            }
            Pipe p = new Pipe(i);
            pipes[i] = p;
            LoopFuture<Connection<Pipe>> f;
            try {
                f = i == 0 ? loop.connectWritePipe(() -> p, PipeEnd.ofFd(parentEnd[i]))
                        : loop.connectReadPipe(() -> p, PipeEnd.ofFd(parentEnd[i]));
            } catch (RuntimeException e) {
                // Not adopted: this end is still ours; later ones too.
                for (int j = i; j < 3; j++) {
                    LinuxSpawn.closeQuietly(parentEnd[j]);
                    if (pipes[j] != null) {
                        pipes[j].lost = true;
                    }
                }
                fail(e);
                // The pipes connected so far still complete; the child is killed and reaped.
                pipesConnected = true;
                watchExit();
                return;
            }
            f.addDoneCallback(done -> {
                if (done.isCancelled() || done.exception() != null) {
                    p.lost = true;
                    fail(done.isCancelled() ? new IOException("pipe connect cancelled") : done.exception());
                } else if (p.transport == null) {
                    // Lost before it started (the child closed its end at once): no connectionMade
                    // and no connectionLost come from it; the loss is reported after connectionMade.
                    p.adopt(done.result().transport());
                    p.lostEarly = true;
                }
                if (--pipesPending == 0) {
                    pipesReady();
                }
            });
        }
    }

    private void fail(Throwable cause) {
        if (!result.isDone()) {
            result.setException(cause);
        }
        close();
    }

    private void pipesReady() {
        pipesConnected = true;
        if (result.isDone()) {
            // Cancelled or failed meanwhile: the protocol never hears of this child.
            close();
        } else {
            connected = true;
            for (Pipe p : pipes) {
                if (p != null && p.transport != null && p.fd != 0 && !p.lost && !closing) {
                    p.transport.resumeReading();
                }
            }
            try {
                protocol.connectionMade(this);
            } catch (RuntimeException e) {
                // As a stream transport does: the child is killed, the creation fails with the error.
                connected = false;
                result.setException(e);
                close();
            }
            if (!result.isDone()) {
                result.setResult(this);
            }
        }
        for (Pipe p : pipes) {
            if (p != null && p.lostEarly && !p.lost) {
                pipeLost(p, null);
            }
        }
        watchExit();
        tryFinish();
    }

    // ------------------------------------------------------------ exit

    private void watchExit() {
        if (watching || returnCode != null) {
            return;
        }
        watching = true;
        if (pidfd >= 0) {
            loop.addReader(pidfd, this::reap);
            return;
        }
        Thread waiter = new Thread(this::waitOffLoop, "weft-child-" + pid);
        waiter.setDaemon(true);
        waiter.start();
    }

    /** The waiter thread: sees the exit without reaping, then lets the loop reap. */
    private void waitOffLoop() {
        try {
            LinuxSpawn.waitExit(pid, true, false);
        } catch (IOException e) {
            // ECHILD: reaped by someone else; the loop's waitid says so too.
        }
        exitSeen = true;
        if (!abandoned) {
            try {
                loop.callSoonThreadsafe(this::reap);
                return;
            } catch (IllegalStateException closed) {
                // The loop closed: reap here.
            }
        }
        reapOffLoop();
    }

    private void reapOffLoop() {
        if (reapClaimed.compareAndSet(false, true)) {
            try {
                LinuxSpawn.waitExit(pid, true, true);
            } catch (IOException e) {
                // Already reaped by someone else: nothing is left.
            }
            LinuxSpawn.closeQuietly(pidfd);
        }
    }

    /** Loop thread: reaps the child if it exited (a pidfd reader may be spurious). */
    private void reap() {
        if (returnCode != null || reapClaimed.get()) {
            return;
        }
        int code;
        try {
            code = LinuxSpawn.waitExit(pid, false, true);
        } catch (IOException e) {
            code = 255;
            loop.callExceptionHandler(new ExceptionContext("child " + pid
                    + " was reaped by someone else (a waitpid(-1) in this process?); return code 255", e, this));
        }
        if (code == LinuxSpawn.RUNNING) {
            return;
        }
        reapClaimed.set(true);
        if (pidfd >= 0) {
            loop.removeReader(pidfd);
            LinuxSpawn.closeQuietly(pidfd);
            pidfd = -1;
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

    // ------------------------------------------------------------ pipes

    void pipeLost(Pipe p, Throwable cause) {
        p.lost = true;
        if (connected) {
            try {
                protocol.pipeConnectionLost(p.fd, cause);
            } catch (RuntimeException e) {
                loop.callExceptionHandler(new ExceptionContext("exception in pipeConnectionLost", e, this));
            }
        }
        tryFinish();
    }

    private void tryFinish() {
        if (finished || returnCode == null || !pipesConnected) {
            return;
        }
        for (Pipe p : pipes) {
            if (p != null && !p.lost) {
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

    /**
     * The loop closes (its transports are closed by the driver after this): kill a running child and
     * reap it off the loop; no callback runs any more.
     */
    private void closeWithLoop() {
        connected = false;
        if (returnCode != null) {
            return;
        }
        abandoned = true;
        LinuxSpawn.signal(pid, SIGKILL);
        if (pidfd >= 0 || !watching || exitSeen) {
            // No waiter thread will reap it (or it saw the exit before the loop closed): one does now.
            Thread reaper = new Thread(this::reapOffLoop, "weft-child-reaper-" + pid);
            reaper.setDaemon(true);
            reaper.start();
        }
    }

    // ------------------------------------------------------------ SubprocessTransport

    @Override
    public EventLoop loop() {
        return loop;
    }

    @Override
    public long pid() {
        return pid;
    }

    @Override
    public Integer returnCode() {
        loop.assertInLoop("returnCode");
        return returnCode;
    }

    @Override
    public Transport pipeTransport(int fd) {
        loop.assertInLoop("pipeTransport");
        if (fd < 0 || fd > 2) {
            throw new IllegalArgumentException("fd must be 0, 1 or 2: " + fd);
        }
        Pipe p = pipes[fd];
        return p == null ? null : fd == 0 ? p.stdin : p.transport;
    }

    @Override
    public void sendSignal(String signal) {
        loop.assertInLoop("sendSignal");
        signal(ChildSignals.number(signal), signal);
    }

    @Override
    public void terminate() {
        loop.assertInLoop("terminate");
        signal(ChildSignals.number("TERM"), "SIGTERM");
    }

    @Override
    public void kill() {
        loop.assertInLoop("kill");
        signal(SIGKILL, "SIGKILL");
    }

    private void signal(int sig, String name) {
        // The child is reaped on this thread only, so until returnCode is set its pid is its own
        // (a zombie at worst), never a reused one.
        if (returnCode != null) {
            throw new ProcessLookupException("cannot send " + name + " to process " + pid + ": the process has exited"
                    + " (return code " + returnCode + ")");
        }
        int errno = LinuxSpawn.signal(pid, sig);
        if (errno == LinuxSpawn.ESRCH) {
            throw new ProcessLookupException("cannot send " + name + " to process " + pid + ": the process has exited");
        }
        if (errno != 0) {
            throw new IllegalStateException("kill(" + pid + ", " + sig + ") failed: errno " + errno);
        }
    }

    @Override
    public void close() {
        loop.assertInLoop("close");
        if (closing) {
            return;
        }
        closing = true;
        for (Pipe p : pipes) {
            if (p != null && p.transport != null && !p.transport.isClosing()) {
                p.transport.close();
            }
        }
        if (returnCode == null) {
            LinuxSpawn.signal(pid, SIGKILL);
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
        return "PosixSubprocess[pid " + pid + (pidfd >= 0 ? ", pidfd " + pidfd : "")
                + (returnCode != null ? ", returned " + returnCode : "") + "]";
    }

    /** The protocol of one pipe transport: forwards to the child's protocol with the fd. */
    private final class Pipe implements Protocol {
        final int fd;
        Transport transport;
        Transport stdin;
        boolean lost;
        boolean lostEarly;

        Pipe(int fd) {
            this.fd = fd;
        }

        void adopt(Transport t) {
            transport = t;
            stdin = fd == 0 ? new StdinTransport(t) : null;
        }

        @Override
        public void connectionMade(Transport t) {
            adopt(t);
            if (fd != 0 && !connected) {
                // Held until the child's protocol has had connectionMade.
                t.pauseReading();
            }
            if (closing) {
                t.close();
            }
        }

        @Override
        public void dataReceived(DirectBuffer data) {
            if (connected) {
                protocol.pipeDataReceived(fd, data);
            }
        }

        @Override
        public void connectionLost(Throwable cause) {
            pipeLost(this, cause);
        }

        @Override
        public void pauseWriting() {
            if (connected) {
                protocol.pauseWriting();
            }
        }

        @Override
        public void resumeWriting() {
            if (connected) {
                protocol.resumeWriting();
            }
        }
    }
}
