package dev.weft.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Makes uvloop importable for the Python peers without touching the system: when the interpreter
 * cannot import it, uvloop is installed into the bench cache ({@code <cache>/python-uvloop}), first
 * with {@code pip install --target} and, where PyPI is out of reach, from Debian's
 * {@code python3-uvloop} package fetched with {@code apt-get download} and unpacked with
 * {@code dpkg-deb -x} (no root, no install). Every process the bench starts then gets that
 * directory on {@code PYTHONPATH} ({@link #environment}). When neither works the peer is skipped
 * with the reason {@link #ensure} returns.
 */
final class Uvloop {
    private static final String PROBE = "import uvloop; print(uvloop.__version__)";
    private static Path path;
    private static boolean tried;
    private static String outcome;

    private Uvloop() {
    }

    /**
     * Makes uvloop importable by {@code python} if it can (once per JVM) and says how: "already
     * installed", "installed into DIR by pip" or "... from Debian's python3-uvloop", or why not.
     */
    static synchronized String ensure(Path python) {
        if (tried) {
            return outcome;
        }
        tried = true;
        if (python == null) {
            return outcome = "uvloop: no python3 found";
        }
        String installed = probe(python, null);
        if (installed != null) {
            return outcome = "uvloop " + installed + ": installed for " + python;
        }
        Path root = Resources.cacheRoot().resolve("python-uvloop");
        Path pip = root.resolve("pip");
        Path deb = root.resolve("deb");
        Path debSite = deb.resolve("usr/lib/python3/dist-packages");
        for (Path p : List.of(pip, debSite)) {
            String v = Files.isDirectory(p) ? probe(python, p) : null;
            if (v != null) {
                path = p;
                return outcome = "uvloop " + v + ": from the bench cache " + p;
            }
        }
        StringBuilder why = new StringBuilder();
        String pipOut = run(List.of(python.toString(), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                "--no-warn-script-location", "--target", pip.toString(), "uvloop"), null, 180);
        String v = probe(python, pip);
        if (v != null) {
            path = pip;
            return outcome = "uvloop " + v + ": installed into " + pip + " by pip (for the bench only)";
        }
        why.append("pip install --target failed (").append(lastLine(pipOut)).append(")");
        try {
            Path tmp = Files.createTempDirectory("weft-uvloop");
            String dl = run(List.of("sh", "-c", "cd '" + tmp + "' && apt-get download python3-uvloop"), null, 180);
            Path pkg;
            try (Stream<Path> s = Files.list(tmp)) {
                pkg = s.filter(f -> f.getFileName().toString().endsWith(".deb")).findFirst().orElse(null);
            }
            if (pkg == null) {
                why.append("; apt-get download python3-uvloop failed (").append(lastLine(dl)).append(")");
            } else {
                Files.createDirectories(deb);
                String x = run(List.of("dpkg-deb", "-x", pkg.toString(), deb.toString()), null, 60);
                v = probe(python, debSite);
                if (v != null) {
                    path = debSite;
                    return outcome = "uvloop " + v + ": Debian's " + pkg.getFileName() + " unpacked into " + deb
                            + " (for the bench only)";
                }
                why.append("; Debian's python3-uvloop unpacked but does not import (").append(lastLine(x)).append(")");
            }
        } catch (IOException e) {
            why.append("; ").append(e.getMessage());
        }
        return outcome = "uvloop is not importable by " + python + " and could not be fetched: " + why;
    }

    /** Puts the bench's uvloop directory on {@code PYTHONPATH} of a process about to start, if there is one. */
    static synchronized void environment(Map<String, String> env) {
        if (path != null) {
            String old = env.get("PYTHONPATH");
            env.put("PYTHONPATH", old == null || old.isEmpty() ? path.toString() : path + ":" + old);
        }
    }

    /** uvloop's version as {@code python} imports it with {@code extra} on its path, or null. */
    private static String probe(Path python, Path extra) {
        List<String> cmd = List.of(python.toString(), "-c", PROBE);
        String out = run(cmd, extra, 30);
        return out != null && out.startsWith("ok ") ? out.substring(3).trim() : null;
    }

    /** Output of {@code cmd}, prefixed "ok " when it exited 0; the output alone otherwise. */
    private static String run(List<String> cmd, Path pythonPath, int timeoutS) {
        Proc.Result r = Proc.run(cmd, timeoutS, pythonPath == null ? Map.of() : Map.of("PYTHONPATH", pythonPath.toString()));
        return r.exit() == 0 ? "ok " + r.out() : r.out();
    }

    private static String lastLine(String s) {
        if (s == null || s.isBlank()) {
            return "no output";
        }
        String[] lines = s.trim().split("\n");
        return lines[lines.length - 1].trim();
    }
}
