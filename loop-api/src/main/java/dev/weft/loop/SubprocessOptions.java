package dev.weft.loop;

import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;

/**
 * How a child process is started: where each of its standard streams goes, its working directory
 * and its environment. Immutable; each {@code with} method returns a copy. {@link #DEFAULTS}: the
 * three streams are pipes, the cwd and the environment are this process's.
 *
 * <p>Any thread may use it: it is immutable.
 */
public final class SubprocessOptions {
    /** Pipes on stdin, stdout and stderr; this process's cwd and environment. */
    public static final SubprocessOptions DEFAULTS = new SubprocessOptions(Stdio.PIPE, Stdio.PIPE, Stdio.PIPE, null, null,
            false, -1);

    private final Stdio stdin;
    private final Stdio stdout;
    private final Stdio stderr;
    private final Path cwd;
    private final Map<String, String> environment;
    private final boolean newSession;
    private final int processGroup;

    private SubprocessOptions(Stdio stdin, Stdio stdout, Stdio stderr, Path cwd, Map<String, String> environment,
                              boolean newSession, int processGroup) {
        this.stdin = stdin;
        this.stdout = stdout;
        this.stderr = stderr;
        this.cwd = cwd;
        this.environment = environment;
        this.newSession = newSession;
        this.processGroup = processGroup;
    }

    /**
     * Where one standard stream of the child goes.
     *
     * <p>Immutable: any thread may read it.
     */
    public static final class Stdio {
        /** A pipe to the loop: {@code pipeTransport(fd)}. */
        public static final Stdio PIPE = new Stdio(Kind.PIPE, null, -1);
        /** {@code /dev/null}. */
        public static final Stdio DEVNULL = new Stdio(Kind.DEVNULL, null, -1);
        /** The same stream as this process. */
        public static final Stdio INHERIT = new Stdio(Kind.INHERIT, null, -1);
        /** stderr only: into the same place as stdout. */
        public static final Stdio STDOUT = new Stdio(Kind.STDOUT, null, -1);

        /**
         * The kinds of {@link Stdio}.
         *
         * <p>Constants: any thread.
         */
        public enum Kind { PIPE, DEVNULL, INHERIT, STDOUT, FILE, FD }

        private final Kind kind;
        private final Path file;
        private final int fd;

        private Stdio(Kind kind, Path file, int fd) {
            this.kind = kind;
            this.file = file;
            this.fd = fd;
        }

        /** A file: read for stdin, created or truncated for stdout and stderr. */
        public static Stdio file(Path file) {
            return new Stdio(Kind.FILE, Objects.requireNonNull(file, "file"), -1);
        }

        /**
         * An open descriptor of this process, which stays the caller's (the child gets a copy). It
         * must be open when the child is started: a closed one fails then, naming it. java.nio's
         * loops (on {@code java.lang.Process}) reopen it through {@code /proc/self/fd}: a new open
         * file with its own offset, outputs appended.
         */
        public static Stdio fd(int fd) {
            if (fd < 0) {
                throw new IllegalArgumentException("fd must be >= 0: " + fd);
            }
            return new Stdio(Kind.FD, null, fd);
        }

        /** The descriptor of {@link Kind#FD}, else -1. */
        public int fd() {
            return fd;
        }

        public Kind kind() {
            return kind;
        }

        /** The file of {@link Kind#FILE}, else null. */
        public Path file() {
            return file;
        }

        @Override
        public String toString() {
            return kind == Kind.FILE ? "FILE(" + file + ")" : kind == Kind.FD ? "FD(" + fd + ")" : kind.name();
        }
    }

    public Stdio stdin() {
        return stdin;
    }

    public Stdio stdout() {
        return stdout;
    }

    public Stdio stderr() {
        return stderr;
    }

    /** The child's working directory, or null for this process's. */
    public Path cwd() {
        return cwd;
    }

    /** The child's whole environment, or null for a copy of this process's. */
    public Map<String, String> environment() {
        return environment;
    }

    /** Whether the child starts a new session ({@code setsid}), as asyncio's {@code start_new_session}. */
    public boolean newSession() {
        return newSession;
    }

    /**
     * The process group the child joins ({@code setpgid(0, pgid)}: 0 makes it the leader of a new
     * one), as asyncio's {@code process_group}; -1: this process's group.
     */
    public int processGroup() {
        return processGroup;
    }

    public SubprocessOptions withStdin(Stdio s) {
        Objects.requireNonNull(s, "stdin");
        if (s.kind == Stdio.Kind.STDOUT) {
            throw new IllegalArgumentException("stdin: STDOUT is only for stderr: " + s);
        }
        return new SubprocessOptions(s, stdout, stderr, cwd, environment, newSession, processGroup);
    }

    public SubprocessOptions withStdout(Stdio s) {
        Objects.requireNonNull(s, "stdout");
        if (s.kind == Stdio.Kind.STDOUT) {
            throw new IllegalArgumentException("stdout: STDOUT is only for stderr: " + s);
        }
        return new SubprocessOptions(stdin, s, stderr, cwd, environment, newSession, processGroup);
    }

    public SubprocessOptions withStderr(Stdio s) {
        return new SubprocessOptions(stdin, stdout, Objects.requireNonNull(s, "stderr"), cwd, environment,
                newSession, processGroup);
    }

    /** The child's working directory (checked when the child is started); null: this process's. */
    public SubprocessOptions withCwd(Path dir) {
        return new SubprocessOptions(stdin, stdout, stderr, dir, environment, newSession, processGroup);
    }

    /** The child's whole environment (copied; no null key or value); null: this process's. */
    public SubprocessOptions withEnvironment(Map<String, String> env) {
        return new SubprocessOptions(stdin, stdout, stderr, cwd, env == null ? null : Map.copyOf(env),
                newSession, processGroup);
    }

    /**
     * Whether the child starts a new session (and so a new process group it leads). Exclusive with
     * {@link #withProcessGroup}. Unsupported on loops built on {@code java.lang.Process}.
     */
    public SubprocessOptions withNewSession(boolean on) {
        if (on && processGroup >= 0) {
            throw new IllegalArgumentException("newSession: a process group (" + processGroup + ") is already set");
        }
        return new SubprocessOptions(stdin, stdout, stderr, cwd, environment, on, processGroup);
    }

    /**
     * The process group the child joins: 0 a new one it leads, a positive id an existing group of
     * this session, -1 this process's. Exclusive with {@link #withNewSession}. Unsupported on loops
     * built on {@code java.lang.Process}.
     */
    public SubprocessOptions withProcessGroup(int pgid) {
        if (pgid < -1) {
            throw new IllegalArgumentException("processGroup must be >= -1: " + pgid);
        }
        if (pgid >= 0 && newSession) {
            throw new IllegalArgumentException("processGroup: a new session is already asked for");
        }
        return new SubprocessOptions(stdin, stdout, stderr, cwd, environment, newSession, pgid);
    }

    @Override
    public String toString() {
        return "SubprocessOptions[stdin=" + stdin + ", stdout=" + stdout + ", stderr=" + stderr + ", cwd=" + cwd
                + (environment == null ? "" : ", environment=" + environment.size() + " entries")
                + (newSession ? ", newSession" : "") + (processGroup >= 0 ? ", processGroup=" + processGroup : "") + "]";
    }
}
