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
import dev.weft.loop.posix.LinuxSpawn;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * A child started with {@code posix_spawn} ({@link LinuxSpawn}) on a loop whose pipe transports
 * and watches take raw descriptors (epoll, kqueue over libkqueue); its transport is a
 * {@link SubprocessCore}. Its pipes are the loop's own pipe transports ({@code connectReadPipe} /
 * {@code connectWritePipe}, no thread); its exit is watched through a {@code pidfd} given to the
 * loop as a reader and reaped with {@code waitid} on its pid only. Where the poller cannot watch a
 * pidfd (kqueue), where {@code pidfd_open} fails with ENOSYS (Linux before 5.3), or with
 * {@code -Dweft.subprocess.pidfd=false}, one daemon thread per child waits for its exit with
 * {@code WNOWAIT} (the pid stays reserved) and the loop reaps it. Nothing here calls
 * {@code waitpid(-1)} or touches SIGCHLD.
 *
 * <h2>Return code</h2>
 * The exit status, or minus the signal that ended the child, whoever sent it. A child reaped by
 * someone else ({@code waitpid(-1)} elsewhere in the process) reports 255, as asyncio, and the
 * exception handler hears of it.
 *
 * <p>Loop thread only, except where a method says otherwise.
 */
final class PosixSubprocess implements ChildProcess {
    private static final int SIGKILL = 9;

    private final EventLoop loop;
    private final int pid;
    private int pidfd = -1;
    private boolean watching;
    private int pipesPending;
    private SubprocessCore core;

    // The waiter thread (no pidfd) and the loop: who reaps the child, exactly once.
    private final AtomicBoolean reapClaimed = new AtomicBoolean();
    private volatile boolean exitSeen;
    private volatile boolean abandoned;

    private PosixSubprocess(EventLoop loop, int pid) {
        this.loop = loop;
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
        PosixSubprocess child = new PosixSubprocess(loop, pid);
        if (usePidfd) {
            int fd = LinuxSpawn.pidfdOpen(pid);
            // Before Linux 5.3 there is no pidfd_open (ENOSYS): a waiter thread instead.
            child.pidfd = fd >= 0 ? fd : -1;
        }
        SubprocessCore core = new SubprocessCore(loop, protocol, pid, child, result);
        core.open();
        child.connectPipes(core, parentEnd);
    }

    private static int openFile(Path file, int fd) {
        try {
            return LinuxSpawn.open(file, fd != 0);
        } catch (IOException e) {
            throw new IllegalArgumentException((fd == 0 ? "stdin" : fd == 1 ? "stdout" : "stderr") + " file cannot be opened: "
                    + file + " (" + e.getMessage() + ")", e);
        }
    }

    private void connectPipes(SubprocessCore core, int[] parentEnd) {
        for (int i = 0; i < 3; i++) {
            if (parentEnd[i] >= 0) {
                pipesPending++;
            }
        }
        if (pipesPending == 0) {
            loop.callSoon(core::pipesConnected);
            return;
        }
        for (int i = 0; i < 3; i++) {
            if (parentEnd[i] < 0) {
                continue;
            }
            int fd = i;
            Protocol p = core.pipeProtocol(fd);
            LoopFuture<Connection<Protocol>> f;
            try {
                f = fd == 0 ? loop.connectWritePipe(() -> p, PipeEnd.ofFd(parentEnd[fd]))
                        : loop.connectReadPipe(() -> p, PipeEnd.ofFd(parentEnd[fd]));
            } catch (RuntimeException e) {
                // Not adopted: this end is still ours; later ones too.
                for (int j = fd; j < 3; j++) {
                    LinuxSpawn.closeQuietly(parentEnd[j]);
                }
                // The pipes connected so far still complete; the child is killed and reaped.
                core.pipeFailed(fd, e);
                core.pipesConnected();
                return;
            }
            f.addDoneCallback(done -> {
                if (done.isCancelled() || done.exception() != null) {
                    core.pipeFailed(fd, done.isCancelled() ? new IOException("pipe connect cancelled") : done.exception());
                } else {
                    core.pipeConnected(fd, done.result().transport());
                }
                if (--pipesPending == 0) {
                    core.pipesConnected();
                }
            });
        }
    }

    // ------------------------------------------------------------ exit

    @Override
    public void watchExit(SubprocessCore core) {
        this.core = core;
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

    /** Any thread, once the loop is closed or closing: reaps the child unless the loop did. */
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

    /** Reaps the child if it exited (a pidfd reader may be spurious) and reports the exit. */
    private void reap() {
        if (reapClaimed.get()) {
            return;
        }
        int code;
        try {
            code = LinuxSpawn.waitExit(pid, false, true);
        } catch (IOException e) {
            code = 255;
            loop.callExceptionHandler(new ExceptionContext("child " + pid
                    + " was reaped by someone else (a waitpid(-1) in this process?); return code 255", e, core));
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
        core.exited(code);
    }

    /** Kills a running child and reaps it off the loop. */
    @Override
    public void abandon() {
        if (reapClaimed.get()) {
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

    // ------------------------------------------------------------ signals

    @Override
    public int signalNumber(String signal) {
        return ChildSignals.number(signal);
    }

    @Override
    public void signal(int sig, String name) {
        // The child is reaped on the loop thread only, and only then reported, so until then its
        // pid is its own (a zombie at worst), never a reused one.
        int errno = LinuxSpawn.signal(pid, sig);
        if (errno == LinuxSpawn.ESRCH) {
            throw new ProcessLookupException("cannot send " + name + " to process " + pid + ": the process has exited");
        }
        if (errno != 0) {
            throw new IllegalStateException("kill(" + pid + ", " + sig + ") failed: errno " + errno);
        }
    }

    @Override
    public void killQuietly() {
        LinuxSpawn.signal(pid, SIGKILL);
    }

    @Override
    public String toString() {
        return "posix_spawn pid " + pid + (pidfd >= 0 ? ", pidfd " + pidfd : "");
    }
}
