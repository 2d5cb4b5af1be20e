package dev.weft.loop.process;

import dev.weft.loop.EventLoop;
import dev.weft.loop.LoopFuture;
import dev.weft.loop.SubprocessOptions;
import dev.weft.loop.SubprocessProtocol;
import dev.weft.loop.SubprocessTransport;
import dev.weft.loop.posix.LinuxSpawn;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Where {@code EventLoop.subprocessExec} starts a child, whose transport is a
 * {@link SubprocessCore} in either case: {@link PosixSubprocess} (posix_spawn, the loop's own pipe
 * transports) on Linux with a backend whose pipes and watches take raw descriptors
 * (epoll; kqueue over libkqueue), else {@link JdkSubprocess} ({@code java.lang.Process}). The exit
 * is watched through a pidfd on the poller on epoll, and by a waiter thread per child on kqueue:
 * libkqueue 2.3.1 refuses a pidfd (an anonymous inode: EBADF) and has no {@code EVFILT_PROC} on
 * Linux.
 * {@code -Dweft.subprocess.spawn=jdk} forces the latter everywhere. A child with a cwd goes through
 * {@code java.lang.Process} too when the C library lacks
 * {@code posix_spawn_file_actions_addchdir_np} (glibc before 2.29).
 */
public final class Subprocesses {
    /** Backends whose pipe transports and watches take a raw Linux descriptor. */
    private static final Set<String> POSIX_BACKENDS = Set.of("epoll", "kqueue");
    /** Of those, the backends whose poller can watch a pidfd. */
    private static final Set<String> PIDFD_BACKENDS = Set.of("epoll");

    private Subprocesses() {
    }

    /** Starts {@code argv} as {@code EventLoop.subprocessExec} says; only the loop thread. */
    public static void start(EventLoop loop, Supplier<? extends SubprocessProtocol> factory, List<String> argv,
                             SubprocessOptions options, LoopFuture<SubprocessTransport> result) {
        if (usesPosixSpawn(loop, options)) {
            PosixSubprocess.start(loop, factory, argv, options, watchesPidfd(loop), result);
        } else {
            JdkSubprocess.start(loop, factory, argv, options, result);
        }
    }

    /**
     * Whether the exit of a posix_spawn child of {@code loop} is watched through a pidfd on its
     * poller (epoll, unless {@code -Dweft.subprocess.pidfd=false}), rather than by a waiter thread.
     */
    static boolean watchesPidfd(EventLoop loop) {
        return PIDFD_BACKENDS.contains(loop.backendName()) && !"false".equals(System.getProperty("weft.subprocess.pidfd"));
    }

    /** Whether a child of {@code loop} with {@code options} is started with posix_spawn. */
    public static boolean usesPosixSpawn(EventLoop loop, SubprocessOptions options) {
        return POSIX_BACKENDS.contains(loop.backendName())
                && !"jdk".equals(System.getProperty("weft.subprocess.spawn"))
                && LinuxSpawn.unavailabilityCause() == null
                && (options.cwd() == null || LinuxSpawn.canChdir());
    }
}
