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
 *
 * <p>Any thread may use it: it is immutable.
 *
 * <p>Any thread may use it: it is immutable.
 */
public final class SubprocessOptions {
    /** Pipes on stdin, stdout and stderr; this process's cwd and environment. */
    public static final SubprocessOptions DEFAULTS = new SubprocessOptions(Stdio.PIPE, Stdio.PIPE, Stdio.PIPE, null, null);

    private final Stdio stdin;
    private final Stdio stdout;
    private final Stdio stderr;
    private final Path cwd;
    private final Map<String, String> environment;

    private SubprocessOptions(Stdio stdin, Stdio stdout, Stdio stderr, Path cwd, Map<String, String> environment) {
        this.stdin = stdin;
        this.stdout = stdout;
        this.stderr = stderr;
        this.cwd = cwd;
        this.environment = environment;
    }

    /**
     * Where one standard stream of the child goes.
     *
     * <p>Immutable: any thread may read it.
     */
    public static final class Stdio {
        /** A pipe to the loop: {@code pipeTransport(fd)}. */
        public static final Stdio PIPE = new Stdio(Kind.PIPE, null);
        /** {@code /dev/null}. */
        public static final Stdio DEVNULL = new Stdio(Kind.DEVNULL, null);
        /** The same stream as this process. */
        public static final Stdio INHERIT = new Stdio(Kind.INHERIT, null);
        /** stderr only: into the same place as stdout. */
        public static final Stdio STDOUT = new Stdio(Kind.STDOUT, null);

        /**
         * The kinds of {@link Stdio}.
         *
         * <p>Constants: any thread.
         */
        public enum Kind { PIPE, DEVNULL, INHERIT, STDOUT, FILE }

        private final Kind kind;
        private final Path file;

        private Stdio(Kind kind, Path file) {
            this.kind = kind;
            this.file = file;
        }

        /** A file: read for stdin, created or truncated for stdout and stderr. */
        public static Stdio file(Path file) {
            return new Stdio(Kind.FILE, Objects.requireNonNull(file, "file"));
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
            return kind == Kind.FILE ? "FILE(" + file + ")" : kind.name();
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

    public SubprocessOptions withStdin(Stdio s) {
        Objects.requireNonNull(s, "stdin");
        if (s.kind == Stdio.Kind.STDOUT) {
            throw new IllegalArgumentException("stdin: STDOUT is only for stderr: " + s);
        }
        return new SubprocessOptions(s, stdout, stderr, cwd, environment);
    }

    public SubprocessOptions withStdout(Stdio s) {
        Objects.requireNonNull(s, "stdout");
        if (s.kind == Stdio.Kind.STDOUT) {
            throw new IllegalArgumentException("stdout: STDOUT is only for stderr: " + s);
        }
        return new SubprocessOptions(stdin, s, stderr, cwd, environment);
    }

    public SubprocessOptions withStderr(Stdio s) {
        return new SubprocessOptions(stdin, stdout, Objects.requireNonNull(s, "stderr"), cwd, environment);
    }

    /** The child's working directory (checked when the child is started); null: this process's. */
    public SubprocessOptions withCwd(Path dir) {
        return new SubprocessOptions(stdin, stdout, stderr, dir, environment);
    }

    /** The child's whole environment (copied; no null key or value); null: this process's. */
    public SubprocessOptions withEnvironment(Map<String, String> env) {
        return new SubprocessOptions(stdin, stdout, stderr, cwd, env == null ? null : Map.copyOf(env));
    }

    @Override
    public String toString() {
        return "SubprocessOptions[stdin=" + stdin + ", stdout=" + stdout + ", stderr=" + stderr + ", cwd=" + cwd
                + (environment == null ? "" : ", environment=" + environment.size() + " entries") + "]";
    }
}
