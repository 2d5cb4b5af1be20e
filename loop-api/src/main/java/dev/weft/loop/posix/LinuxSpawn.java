package dev.weft.loop.posix;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Starting and reaping a child on Linux without {@code fork}: {@code posix_spawn(3)} with file
 * actions for the child's descriptors, a {@code pidfd_open(2)} descriptor to watch its exit, and
 * {@code waitid(2)} on that pid only. Nothing here calls {@code waitpid(-1)} or touches SIGCHLD, so
 * the JDK's reaper (which waits for its own pids) keeps working beside it.
 *
 * <h2>What the child gets</h2>
 * Its signal mask emptied and every signal's disposition reset to the default
 * ({@code POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF}); descriptors 0, 1 and 2 as asked; no
 * other descriptor: the pipes made here are {@code O_CLOEXEC}, and every descriptor from 3 up is
 * closed in the child by {@code posix_spawn_file_actions_addclosefrom_np} (glibc 2.34+), or, with
 * an older C library, by one {@code addclose} per descriptor of this process that lacks
 * {@code FD_CLOEXEC} when the child starts (the JVM opens files without it). A new session
 * ({@code POSIX_SPAWN_SETSID}, glibc 2.26+) or process group ({@code POSIX_SPAWN_SETPGROUP}) on
 * request; a working directory through {@code posix_spawn_file_actions_addchdir_np} (glibc 2.29+;
 * {@link #canChdir()} says whether this C library has it).
 *
 * <h2>Layouts</h2>
 * Opaque glibc structures get more memory than glibc uses ({@code posix_spawnattr_t} 336 bytes,
 * {@code posix_spawn_file_actions_t} 80, {@code sigset_t} 128); {@code siginfo_t} is read at the
 * offsets of every 64-bit Linux: {@code si_code} at 8, {@code si_pid} at 16, {@code si_status}
 * at 24 (checked by the exit-status tests). Fixed-argument calls of the variadic {@code open},
 * {@code fcntl} and {@code syscall} are sound on x86-64 and arm64 Linux (integers in registers).
 *
 * <p>Thread-safe: every call works on its own memory.
 */
public final class LinuxSpawn {
    private static final int O_RDONLY = 0;
    private static final int O_WRONLY = 1;
    private static final int O_CREAT = 0x40;
    private static final int O_TRUNC = 0x200;
    private static final int O_CLOEXEC = 0x80000;
    private static final int F_GETFD = 1;
    private static final int FD_CLOEXEC = 1;
    private static final int F_DUPFD_CLOEXEC = 1030;
    private static final short POSIX_SPAWN_SETPGROUP = 0x02;
    private static final short POSIX_SPAWN_SETSIGDEF = 0x04;
    private static final short POSIX_SPAWN_SETSIGMASK = 0x08;
    private static final short POSIX_SPAWN_SETSID = 0x80;
    private static final int P_PID = 1;
    private static final int WNOHANG = 1;
    private static final int WEXITED = 4;
    private static final int WNOWAIT = 0x01000000;
    private static final int CLD_EXITED = 1;
    private static final long SYS_PIDFD_OPEN = 434;
    private static final int ATTR_BYTES = 1024;
    private static final int ACTIONS_BYTES = 256;
    private static final int SIGSET_BYTES = 256;
    private static final int SIGINFO_BYTES = 256;

    /** {@link #waitExit} found the child still running. */
    public static final int RUNNING = Integer.MIN_VALUE;
    /** {@code ENOSYS}: the kernel has no such call. */
    public static final int ENOSYS = 38;
    /** {@code ECHILD}: no such child to wait for (someone else reaped it). */
    public static final int ECHILD = 10;
    /** {@code ESRCH}: no such process. */
    public static final int ESRCH = 3;

    private static final Throwable CAUSE;
    private static final boolean CHDIR;
    private static final boolean CLOSEFROM;
    /** The address of the C library's {@code environ} variable (read at each spawn). */
    private static final long ENVIRON;

    static {
        Throwable cause = null;
        boolean chdir = false;
        boolean closefrom = false;
        long environ = 0;
        if (!Platform.isLinux()) {
            cause = new UnsupportedOperationException("posix_spawn with pidfd is Linux-only (os.name="
                    + System.getProperty("os.name") + ")");
        } else {
            try {
                NativeLibrary c = NativeLibrary.getInstance(Platform.C_LIBRARY_NAME);
                Native.register(LinuxSpawn.class, c);
                environ = Pointer.nativeValue(c.getGlobalVariableAddress("environ"));
                chdir = optional(c, "posix_spawn_file_actions_addchdir_np");
                closefrom = optional(c, "posix_spawn_file_actions_addclosefrom_np");
            } catch (Throwable t) {
                cause = new UnsupportedOperationException("posix_spawn cannot be bound: " + t, t);
            }
        }
        CAUSE = cause;
        CHDIR = chdir;
        CLOSEFROM = closefrom;
        ENVIRON = environ;
    }

    private LinuxSpawn() {
    }

    private static boolean optional(NativeLibrary c, String symbol) {
        try {
            c.getFunction(symbol);
            return true;
        } catch (UnsatisfiedLinkError e) {
            return false;
        }
    }

    // ------------------------------------------------------------ libc, direct mapping

    private static native int posix_spawn(long pidPtr, long path, long fileActions, long attr, long argv, long envp);

    private static native int posix_spawn_file_actions_init(long fa);

    private static native int posix_spawn_file_actions_destroy(long fa);

    private static native int posix_spawn_file_actions_adddup2(long fa, int fd, int newFd);

    private static native int posix_spawn_file_actions_addclose(long fa, int fd);

    private static native int posix_spawnattr_init(long attr);

    private static native int posix_spawnattr_destroy(long attr);

    private static native int posix_spawnattr_setflags(long attr, short flags);

    private static native int posix_spawnattr_setsigmask(long attr, long sigset);

    private static native int posix_spawnattr_setsigdefault(long attr, long sigset);

    private static native int posix_spawnattr_setpgroup(long attr, int pgroup);

    private static native int sigemptyset(long set);

    private static native int sigfillset(long set);

    private static native int pipe2(long fds, int flags);

    private static native int open(String path, int flags, int mode);

    private static native int fcntl(int fd, int cmd, int arg);

    private static native int close(int fd);

    private static native long syscall(long number, long a, long b);

    private static native int waitid(int idType, int id, long info, int options);

    private static native int kill(int pid, int sig);

    /** The glibc 2.29+ and 2.34+ file actions, bound only when present. */
    private static final class Optional {
        static {
            NativeLibrary c = NativeLibrary.getInstance(Platform.C_LIBRARY_NAME);
            if (CHDIR) {
                Native.register(Chdir.class, c);
            }
            if (CLOSEFROM) {
                Native.register(Closefrom.class, c);
            }
        }

        static void load() {
        }
    }

    private static final class Chdir {
        private Chdir() {
        }

        static native int posix_spawn_file_actions_addchdir_np(long fa, long path);
    }

    private static final class Closefrom {
        private Closefrom() {
        }

        static native int posix_spawn_file_actions_addclosefrom_np(long fa, int from);
    }

    // ------------------------------------------------------------ probes

    /** Null when children can be started here, else why not. */
    public static Throwable unavailabilityCause() {
        return CAUSE;
    }

    /** Whether the C library can set the child's working directory (glibc 2.29+). */
    public static boolean canChdir() {
        return CAUSE == null && CHDIR;
    }

    // ------------------------------------------------------------ descriptors

    /** A pipe, both ends {@code O_CLOEXEC}: {@code [read end, write end]}. */
    public static int[] pipe() throws IOException {
        try (Memory fds = new Memory(8)) {
            if (pipe2(Pointer.nativeValue(fds), O_CLOEXEC) != 0) {
                throw Posix.error("pipe2(O_CLOEXEC)", Native.getLastError());
            }
            return new int[] {fds.getInt(0), fds.getInt(4)};
        }
    }

    /** Opens {@code path} with {@code O_CLOEXEC}: for reading, or for writing (created, truncated). */
    public static int open(Path path, boolean write) throws IOException {
        int flags = (write ? O_WRONLY | O_CREAT | O_TRUNC : O_RDONLY) | O_CLOEXEC;
        int fd = open(path.toString(), flags, 0666);
        if (fd < 0) {
            throw Posix.error("open(" + path + (write ? ", write" : ", read") + ")", Native.getLastError());
        }
        return fd;
    }

    /** A copy of {@code fd} numbered 3 or higher, {@code O_CLOEXEC}. */
    public static int duplicate(int fd) throws IOException {
        int copy = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        if (copy < 0) {
            throw Posix.error("fcntl(" + fd + ", F_DUPFD_CLOEXEC)", Native.getLastError());
        }
        return copy;
    }

    /** Whether {@code fd} is an open descriptor of this process. */
    public static boolean isOpen(int fd) {
        return fd >= 0 && fcntl(fd, F_GETFD, 0) >= 0;
    }

    /** Closes {@code fd}, ignoring errors (it is gone either way on Linux). */
    public static void closeQuietly(int fd) {
        if (fd >= 0) {
            close(fd);
        }
    }

    // ------------------------------------------------------------ spawn

    /** A child's new session or process group. */
    public record Group(boolean newSession, int processGroup) {
        /** Neither: the child stays in this session and process group. */
        public static final Group NONE = new Group(false, -1);
    }

    /**
     * Starts {@code program} (a path) with {@code argv} and returns its pid. {@code stdio[i]} is
     * the descriptor of this process that becomes the child's {@code i} (it must be 3 or higher),
     * or -1 to leave the child's {@code i} as this process's; {@code stderrToStdout} makes the
     * child's 2 a copy of its 1. {@code env} null: this process's environment. {@code cwd} null:
     * this process's; otherwise {@link #canChdir()} must be true.
     *
     * @throws IOException naming {@code posix_spawn} and its error when the child could not start
     *         (glibc reports a failed {@code exec} here, the child never runs)
     */
    public static int spawn(String program, List<String> argv, Map<String, String> env, int[] stdio,
                            boolean stderrToStdout, Path cwd, Group group) throws IOException {
        if (CAUSE != null) {
            throw new IOException(CAUSE.getMessage(), CAUSE);
        }
        if (cwd != null && !CHDIR) {
            throw new UnsupportedOperationException("this C library has no posix_spawn_file_actions_addchdir_np"
                    + " (glibc 2.29+)");
        }
        Optional.load();
        List<Memory> keep = new ArrayList<>();
        Memory fa = new Memory(ACTIONS_BYTES);
        Memory attr = new Memory(ATTR_BYTES);
        Memory sigs = new Memory(SIGSET_BYTES * 2L);
        Memory pidOut = new Memory(8);
        long faAddr = Pointer.nativeValue(fa);
        long attrAddr = Pointer.nativeValue(attr);
        check(posix_spawn_file_actions_init(faAddr), "posix_spawn_file_actions_init");
        try {
            check(posix_spawnattr_init(attrAddr), "posix_spawnattr_init");
            try {
                for (int i = 0; i < 3; i++) {
                    if (stdio[i] >= 0) {
                        check(posix_spawn_file_actions_adddup2(faAddr, stdio[i], i), "posix_spawn_file_actions_adddup2");
                    }
                }
                if (stderrToStdout) {
                    check(posix_spawn_file_actions_adddup2(faAddr, 1, 2), "posix_spawn_file_actions_adddup2");
                }
                if (cwd != null) {
                    Memory dir = cString(cwd.toString(), keep);
                    check(Chdir.posix_spawn_file_actions_addchdir_np(faAddr, Pointer.nativeValue(dir)),
                            "posix_spawn_file_actions_addchdir_np(" + cwd + ")");
                }
                if (CLOSEFROM) {
                    check(Closefrom.posix_spawn_file_actions_addclosefrom_np(faAddr, 3),
                            "posix_spawn_file_actions_addclosefrom_np(3)");
                } else {
                    for (int fd : inheritableAbove2()) {
                        check(posix_spawn_file_actions_addclose(faAddr, fd), "posix_spawn_file_actions_addclose");
                    }
                }
                long empty = Pointer.nativeValue(sigs);
                long all = empty + SIGSET_BYTES;
                sigemptyset(empty);
                sigfillset(all);
                short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
                check(posix_spawnattr_setsigmask(attrAddr, empty), "posix_spawnattr_setsigmask");
                check(posix_spawnattr_setsigdefault(attrAddr, all), "posix_spawnattr_setsigdefault");
                if (group.newSession()) {
                    flags |= POSIX_SPAWN_SETSID;
                } else if (group.processGroup() >= 0) {
                    flags |= POSIX_SPAWN_SETPGROUP;
                    check(posix_spawnattr_setpgroup(attrAddr, group.processGroup()), "posix_spawnattr_setpgroup");
                }
                check(posix_spawnattr_setflags(attrAddr, flags), "posix_spawnattr_setflags");
                long path = Pointer.nativeValue(cString(program, keep));
                long argvp = stringArray(argv, keep);
                long envp;
                if (env == null) {
                    envp = ENVIRON == 0 ? 0 : new Pointer(ENVIRON).getLong(0);
                } else {
                    List<String> entries = new ArrayList<>(env.size());
                    for (Map.Entry<String, String> e : env.entrySet()) {
                        entries.add(e.getKey() + "=" + e.getValue());
                    }
                    envp = stringArray(entries, keep);
                }
                int rc = posix_spawn(Pointer.nativeValue(pidOut), path, faAddr, attrAddr, argvp, envp);
                if (rc != 0) {
                    throw Posix.error("posix_spawn(" + program + ")", rc);
                }
                return pidOut.getInt(0);
            } finally {
                posix_spawnattr_destroy(attrAddr);
            }
        } finally {
            posix_spawn_file_actions_destroy(faAddr);
            for (Memory m : keep) {
                m.close();
            }
            fa.close();
            attr.close();
            sigs.close();
            pidOut.close();
        }
    }

    private static void check(int rc, String call) throws IOException {
        if (rc != 0) {
            throw Posix.error(call, rc);
        }
    }

    private static Memory cString(String s, List<Memory> keep) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        Memory m = new Memory(b.length + 1L);
        m.write(0, b, 0, b.length);
        m.setByte(b.length, (byte) 0);
        keep.add(m);
        return m;
    }

    private static long stringArray(List<String> strings, List<Memory> keep) {
        Memory array = new Memory(8L * (strings.size() + 1));
        keep.add(array);
        for (int i = 0; i < strings.size(); i++) {
            array.setLong(8L * i, Pointer.nativeValue(cString(strings.get(i), keep)));
        }
        array.setLong(8L * strings.size(), 0);
        return Pointer.nativeValue(array);
    }

    /** This process's descriptors from 3 up without FD_CLOEXEC (the fallback before glibc 2.34). */
    private static List<Integer> inheritableAbove2() throws IOException {
        List<Integer> out = new ArrayList<>();
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(Path.of("/proc/self/fd"))) {
            for (Path p : fds) {
                int fd = Integer.parseInt(p.getFileName().toString());
                if (fd >= 3) {
                    int flags = fcntl(fd, F_GETFD, 0);
                    if (flags >= 0 && (flags & FD_CLOEXEC) == 0) {
                        out.add(fd);
                    }
                }
            }
        }
        return out;
    }

    // ------------------------------------------------------------ exit

    /** {@code pidfd_open(pid, 0)} (Linux 5.3+): the descriptor, or {@code -errno}. */
    public static int pidfdOpen(int pid) {
        long fd = syscall(SYS_PIDFD_OPEN, pid, 0);
        return fd >= 0 ? (int) fd : -Native.getLastError();
    }

    /**
     * {@code waitid(P_PID, pid, WEXITED)}, for this child only. {@code block} false adds
     * {@code WNOHANG}; {@code reap} false adds {@code WNOWAIT} (the child stays a zombie, its pid
     * reserved). Returns the asyncio-style return code (the exit status, or minus the signal that
     * ended it), or {@link #RUNNING} (only without {@code block}).
     *
     * @throws IOException naming {@code waitid} and the error ({@code ECHILD}: someone else reaped it)
     */
    public static int waitExit(int pid, boolean block, boolean reap) throws IOException {
        try (Memory info = new Memory(SIGINFO_BYTES)) {
            info.clear();
            long addr = Pointer.nativeValue(info);
            int options = WEXITED | (block ? 0 : WNOHANG) | (reap ? 0 : WNOWAIT);
            while (true) {
                if (waitid(P_PID, pid, addr, options) == 0) {
                    break;
                }
                int e = Native.getLastError();
                if (e != PosixAbi.current().EINTR) {
                    throw Posix.error("waitid(P_PID, " + pid + ")", e);
                }
            }
            if (info.getInt(16) == 0) {
                return RUNNING;
            }
            int code = info.getInt(8);
            int status = info.getInt(24);
            return code == CLD_EXITED ? status : -status;
        }
    }

    /** {@code kill(pid, sig)}: 0, or the errno. */
    public static int signal(int pid, int sig) {
        return kill(pid, sig) == 0 ? 0 : Native.getLastError();
    }
}
