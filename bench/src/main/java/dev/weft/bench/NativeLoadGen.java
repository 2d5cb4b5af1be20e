package dev.weft.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The native TCP echo load generator ({@code bench/src/main/c/loadgen_epoll.c}): same workload
 * shape, byte check and JSON line as {@link LoadGen}, one thread on one CPU, no JVM. Found, in this
 * order: the binary built by gcc at package time and shipped in the jar
 * ({@code /peers/bin/linux-<os.arch>/loadgen_epoll}); else the source compiled by gcc at run time;
 * else unavailable, with the reason (the report then falls back to the Java generator).
 * Extracted and compiled binaries live in the {@link Resources} cache. Thread-safe: the lookup
 * runs once.
 */
final class NativeLoadGen {
    /** What {@link #find} found: a runnable binary and its version, or why there is none. */
    record Found(Path binary, String version, String unavailable) {
        boolean available() {
            return binary != null;
        }
    }

    private static Found found;

    private NativeLoadGen() {
    }

    static synchronized Found find() {
        if (found == null) {
            found = locate();
        }
        return found;
    }

    private static Found locate() {
        if (!System.getProperty("os.name", "").equals("Linux")) {
            return new Found(null, null, "the native generator uses epoll: Linux only (os.name=" + System.getProperty("os.name") + ")");
        }
        String packaged = "bin/linux-" + System.getProperty("os.arch") + "/loadgen_epoll";
        String why;
        try {
            Path bin = Resources.extract(packaged);
            if (!bin.toFile().canExecute() && !bin.toFile().setExecutable(true)) {
                throw new IOException("cannot make " + bin + " executable");
            }
            String v = probe(bin);
            if (v != null) {
                return new Found(bin, v + " -O2 (built at package time)", null);
            }
            why = "the packaged binary " + bin + " does not run here";
        } catch (IOException e) {
            why = "not in the jar (no gcc at package time?): " + e.getMessage();
        }
        Path gcc = Proc.which("gcc");
        if (gcc == null) {
            return new Found(null, null, why + "; no gcc on PATH to build loadgen_epoll.c");
        }
        try {
            Path bin = compile(gcc);
            String v = probe(bin);
            return v != null ? new Found(bin, v + " -O2 (built at run time)", null)
                    : new Found(null, null, why + "; the binary gcc built does not run");
        } catch (IOException e) {
            return new Found(null, null, why + "; loadgen_epoll.c does not build: " + e.getMessage());
        }
    }

    /** The first line of {@code bin --version}, or null when it does not run. */
    private static String probe(Path bin) {
        Proc.Result r = Proc.run(List.of(bin.toString(), "--version"), 10);
        return r.exit() == 0 && r.out().startsWith("loadgen_epoll") ? r.out().split("\n")[0].trim() : null;
    }

    private static Path compile(Path gcc) throws IOException {
        Path src = Resources.extract("c/loadgen_epoll.c");
        Path bin = src.resolveSibling("loadgen_epoll");
        if (Files.isExecutable(bin)) {
            return bin;
        }
        Path tmp = src.resolveSibling("loadgen_epoll." + ProcessHandle.current().pid() + ".tmp");
        Proc.Result r = Proc.run(List.of(gcc.toString(), "-O2", "-Wall", "-o", tmp.toString(), src.toString()), 120);
        if (r.exit() != 0) {
            Files.deleteIfExists(tmp);
            throw new IOException("gcc failed (" + r.exit() + "): " + r.out());
        }
        Files.move(tmp, bin, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return bin;
    }

    /** The command line of one run against {@code port} (server process {@code pid}, or -1). */
    static List<String> command(Path bin, int port, Workload w, int warmupS, int durationS, long pid) {
        List<String> cmd = new ArrayList<>(List.of(bin.toString(), "--port", String.valueOf(port),
                "--connections", String.valueOf(w.connections()), "--size", String.valueOf(w.size()),
                "--pipeline", String.valueOf(w.pipeline()), "--duration", String.valueOf(durationS),
                "--warmup", String.valueOf(warmupS), "--markers"));
        if (pid > 0) {
            cmd.addAll(List.of("--pid", String.valueOf(pid)));
        }
        return cmd;
    }
}
