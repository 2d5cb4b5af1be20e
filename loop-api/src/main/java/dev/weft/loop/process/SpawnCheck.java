package dev.weft.loop.process;

import dev.weft.loop.SubprocessOptions;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The checks made before a child is started, so bad input fails with an
 * {@link IllegalArgumentException} naming the argument and the value, and nothing is started.
 */
final class SpawnCheck {
    private SpawnCheck() {
    }

    /** Checks everything and returns the program's path as {@code execve} will be given it. */
    static Path check(List<String> argv, SubprocessOptions options) {
        if (argv.isEmpty()) {
            throw new IllegalArgumentException("argv must not be empty: " + argv);
        }
        for (int i = 0; i < argv.size(); i++) {
            String a = argv.get(i);
            if (a == null) {
                throw new IllegalArgumentException("argv[" + i + "] is null: " + argv);
            }
            if (a.indexOf('\0') >= 0) {
                throw new IllegalArgumentException("argv[" + i + "] contains a NUL byte: "
                        + a.replace("\0", "\\0"));
            }
        }
        Path cwd = options.cwd();
        if (cwd != null && !Files.isDirectory(cwd)) {
            throw new IllegalArgumentException("cwd is not a directory: " + cwd
                    + (Files.exists(cwd) ? "" : " (no such file)"));
        }
        Map<String, String> env = options.environment();
        if (env != null) {
            for (Map.Entry<String, String> e : env.entrySet()) {
                if (e.getKey().indexOf('\0') >= 0 || e.getValue().indexOf('\0') >= 0 || e.getKey().indexOf('=') >= 0
                        || e.getKey().isEmpty()) {
                    throw new IllegalArgumentException("environment entry is not valid: " + e.getKey().replace("\0", "\\0"));
                }
            }
        }
        String[] names = {"stdin", "stdout", "stderr"};
        SubprocessOptions.Stdio[] stdio = {options.stdin(), options.stdout(), options.stderr()};
        for (int i = 0; i < 3; i++) {
            SubprocessOptions.Stdio s = stdio[i];
            if (s.kind() == SubprocessOptions.Stdio.Kind.FILE && i == 0 && !Files.isReadable(s.file())) {
                throw new IllegalArgumentException("stdin file is not readable: " + s.file());
            }
            if (s.kind() == SubprocessOptions.Stdio.Kind.FD && !isOpen(s.fd())) {
                throw new IllegalArgumentException(names[i] + " fd " + s.fd() + " is not an open descriptor");
            }
        }
        return checkExecutable(argv.get(0), cwd, env);
    }

    private static boolean isOpen(int fd) {
        if (dev.weft.loop.posix.LinuxSpawn.unavailabilityCause() == null) {
            return dev.weft.loop.posix.LinuxSpawn.isOpen(fd);
        }
        Path proc = Path.of("/proc/self/fd");
        return !Files.isDirectory(proc) || Files.exists(proc.resolve(Integer.toString(fd)), java.nio.file.LinkOption.NOFOLLOW_LINKS);
    }

    /** An executable as execvp would find it: a path with a slash as given, else searched in PATH. */
    private static Path checkExecutable(String program, Path cwd, Map<String, String> env) {
        if (program.isEmpty()) {
            throw new IllegalArgumentException("argv[0] is empty");
        }
        if (program.indexOf('/') >= 0) {
            Path p = Path.of(program);
            if (!p.isAbsolute() && cwd != null) {
                p = cwd.resolve(p);
            }
            checkFile(program, p);
            return p.toAbsolutePath();
        }
        String path = env != null && env.containsKey("PATH") ? env.get("PATH") : System.getenv("PATH");
        if (path == null) {
            path = "/usr/bin:/bin";
        }
        Path nonExecutable = null;
        for (String dir : path.split(File.pathSeparator, -1)) {
            Path p = Path.of(dir.isEmpty() ? "." : dir).resolve(program);
            if (Files.isRegularFile(p)) {
                if (Files.isExecutable(p)) {
                    return p.toAbsolutePath();
                }
                nonExecutable = p;
            }
        }
        if (nonExecutable != null) {
            throw new IllegalArgumentException("argv[0] is not executable: " + program + " (found " + nonExecutable
                    + " without execute permission)");
        }
        throw new IllegalArgumentException("argv[0] not found: " + program + " (no such file in PATH=" + path + ")");
    }

    private static void checkFile(String program, Path p) {
        if (!Files.exists(p)) {
            throw new IllegalArgumentException("argv[0] not found: " + program + " (no such file)");
        }
        if (Files.isDirectory(p)) {
            throw new IllegalArgumentException("argv[0] is a directory: " + program);
        }
        if (!Files.isExecutable(p)) {
            throw new IllegalArgumentException("argv[0] is not executable: " + program + " (no execute permission)");
        }
    }
}
