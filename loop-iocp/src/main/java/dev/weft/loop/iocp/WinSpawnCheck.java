package dev.weft.loop.iocp;

import dev.weft.loop.Capability;
import dev.weft.loop.SubprocessOptions;
import dev.weft.loop.UnsupportedCapabilityException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The checks made before a Windows child is started, so bad input fails with an
 * {@link IllegalArgumentException} naming the argument and the value (or an
 * {@link UnsupportedCapabilityException} for what Windows children have not), and nothing is
 * opened or started. Stateless; any thread.
 */
final class WinSpawnCheck {
    private WinSpawnCheck() {
    }

    /**
     * Checks {@code argv} and {@code options} as CreateProcessW will need them and returns the
     * program's absolute path. The program is {@code argv[0]}: a path (absolute, or relative to this
     * process's directory) or a name looked up in the system directory, the Windows directory and
     * {@code PATH}; without an extension {@code .exe} is tried, as CreateProcessW does. It must be
     * an {@code .exe} or {@code .com} file.
     */
    static String check(String backend, List<String> argv, SubprocessOptions options) {
        if (argv.isEmpty()) {
            throw new IllegalArgumentException("argv must not be empty: " + argv);
        }
        for (int i = 0; i < argv.size(); i++) {
            String a = argv.get(i);
            if (a == null) {
                throw new IllegalArgumentException("argv[" + i + "] is null: " + argv);
            }
            if (a.indexOf('\0') >= 0) {
                throw new IllegalArgumentException("argv[" + i + "] contains a NUL byte: " + a.replace("\0", "\\0"));
            }
        }
        if (options.newSession() || options.processGroup() >= 0) {
            throw new UnsupportedCapabilityException(backend, Capability.SUBPROCESS,
                    "Windows has no sessions or process groups in the POSIX sense (newSession, processGroup)");
        }
        String[] names = {"stdin", "stdout", "stderr"};
        SubprocessOptions.Stdio[] stdio = {options.stdin(), options.stdout(), options.stderr()};
        for (int i = 0; i < 3; i++) {
            SubprocessOptions.Stdio s = stdio[i];
            if (s.kind() == SubprocessOptions.Stdio.Kind.FD) {
                throw new UnsupportedCapabilityException(backend, Capability.SUBPROCESS, names[i] + " " + s
                        + ": a POSIX descriptor; Windows gives a child handles (use FILE, DEVNULL, INHERIT or PIPE)");
            }
            if (s.kind() == SubprocessOptions.Stdio.Kind.FILE && i == 0 && !Files.isReadable(s.file())) {
                throw new IllegalArgumentException("stdin file is not readable: " + s.file());
            }
        }
        Path cwd = options.cwd();
        if (cwd != null && !Files.isDirectory(cwd)) {
            throw new IllegalArgumentException("cwd is not a directory: " + cwd + (Files.exists(cwd) ? "" : " (no such file)"));
        }
        Map<String, String> env = options.environment();
        if (env != null) {
            for (Map.Entry<String, String> e : env.entrySet()) {
                if (e.getKey().isEmpty() || e.getKey().indexOf('\0') >= 0 || e.getValue().indexOf('\0') >= 0
                        || e.getKey().indexOf('=', 1) >= 0) {
                    throw new IllegalArgumentException("environment entry is not valid: " + e.getKey().replace("\0", "\\0"));
                }
            }
        }
        return findProgram(argv.get(0));
    }

    private static String findProgram(String program) {
        if (program.isEmpty()) {
            throw new IllegalArgumentException("argv[0] is empty");
        }
        List<Path> candidates = new ArrayList<>();
        boolean hasPath = program.indexOf('\\') >= 0 || program.indexOf('/') >= 0 || program.indexOf(':') >= 0;
        if (hasPath) {
            candidates.add(Path.of(program).toAbsolutePath());
        } else {
            String root = System.getenv("SystemRoot");
            if (root != null) {
                candidates.add(Path.of(root, "System32", program));
                candidates.add(Path.of(root, program));
            }
            String path = System.getenv("PATH");
            if (path != null) {
                for (String dir : path.split(";")) {
                    if (!dir.isBlank()) {
                        try {
                            candidates.add(Path.of(dir.strip().replace("\"", ""), program));
                        } catch (java.nio.file.InvalidPathException ignored) {
                            // A malformed PATH entry names no program.
                        }
                    }
                }
            }
        }
        boolean hasExtension = Path.of(program.replace(':', '_')).getFileName().toString().indexOf('.') >= 0;
        for (Path p : candidates) {
            List<Path> tries = hasExtension ? List.of(p) : List.of(p.resolveSibling(p.getFileName() + ".exe"), p);
            for (Path t : tries) {
                if (Files.isDirectory(t)) {
                    if (hasPath && t.equals(p)) {
                        throw new IllegalArgumentException("argv[0] is a directory: " + program);
                    }
                    continue;
                }
                if (Files.isRegularFile(t)) {
                    String ext = t.getFileName().toString().toLowerCase(Locale.ROOT);
                    if (!ext.endsWith(".exe") && !ext.endsWith(".com")) {
                        throw new IllegalArgumentException("argv[0] is not executable: " + program + " (found " + t
                                + "; CreateProcessW starts .exe and .com programs)");
                    }
                    return t.toString();
                }
            }
        }
        throw new IllegalArgumentException("argv[0] not found: " + program + (hasPath ? " (no such file)"
                : " (no such program in the system directories or PATH=" + System.getenv("PATH") + ")"));
    }
}
