package dev.weft.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The native load generators, one thread on one CPU, no JVM: {@link #find} the TCP echo one
 * ({@code bench/src/main/c/loadgen_epoll.c}: same workload shape, byte check and JSON line as
 * {@link LoadGen}), {@link #findTls} the TLS one ({@code tls_load.c}, OpenSSL: those of
 * {@link TlsLoadGen}). Each is found, in this order: the binary built by gcc at package time and
 * shipped in the jar ({@code /peers/bin/linux-<os.arch>/NAME}); else the source compiled by gcc at
 * run time (with {@code load_common.c}, the code both share); else unavailable, with the reason
 * (the report then falls back to the Java generator).
 * Extracted and compiled binaries live in the {@link Resources} cache. Thread-safe: each lookup
 * runs once.
 */
final class NativeLoadGen {
    static final String TCP = "loadgen_epoll";
    static final String TLS = "tls_load";
    /** The code both generators are compiled with ({@code load_common.c} and its header). */
    static final String COMMON = "load_common";

    /** What {@link #find} found: a runnable binary and its version, or why there is none. */
    record Found(Path binary, String version, String unavailable) {
        boolean available() {
            return binary != null;
        }
    }

    private static Found found;
    private static Found foundTls;

    private NativeLoadGen() {
    }

    /** The TCP echo generator {@code loadgen_epoll}. */
    static synchronized Found find() {
        if (found == null) {
            found = locate(TCP, List.of());
        }
        return found;
    }

    /** The TLS generator {@code tls_load}, linked with the machine's OpenSSL ({@code -lssl -lcrypto}). */
    static synchronized Found findTls() {
        if (foundTls == null) {
            foundTls = locate(TLS, List.of("-lssl", "-lcrypto"));
        }
        return foundTls;
    }

    private static Found locate(String name, List<String> libs) {
        if (!System.getProperty("os.name", "").equals("Linux")) {
            return new Found(null, null, "the native generator uses epoll: Linux only (os.name=" + System.getProperty("os.name") + ")");
        }
        String packaged = "bin/linux-" + System.getProperty("os.arch") + "/" + name;
        String why;
        try {
            Path bin = Resources.extract(packaged);
            if (!bin.toFile().canExecute() && !bin.toFile().setExecutable(true)) {
                throw new IOException("cannot make " + bin + " executable");
            }
            String v = probe(bin, name);
            if (v != null) {
                return new Found(bin, v + " -O2 (built at package time)", null);
            }
            why = "the packaged binary " + bin + " does not run here";
        } catch (IOException e) {
            why = "not in the jar (no gcc at package time?): " + e.getMessage();
        }
        Path gcc = Proc.which("gcc");
        if (gcc == null) {
            return new Found(null, null, why + "; no gcc on PATH to build " + name + ".c");
        }
        try {
            Path bin = compile(gcc, name, libs);
            String v = probe(bin, name);
            return v != null ? new Found(bin, v + " -O2 (built at run time)", null)
                    : new Found(null, null, why + "; the binary gcc built does not run");
        } catch (IOException e) {
            return new Found(null, null, why + "; " + name + ".c does not build: " + e.getMessage());
        }
    }

    /** The first line of {@code bin --version}, or null when it does not run. */
    private static String probe(Path bin, String name) {
        Proc.Result r = Proc.run(List.of(bin.toString(), "--version"), 10);
        return r.exit() == 0 && r.out().startsWith(name) ? r.out().split("\n")[0].trim() : null;
    }

    private static Path compile(Path gcc, String name, List<String> libs) throws IOException {
        Path src = Resources.extractTogether(List.of("c/" + name + ".c", "c/" + COMMON + ".c", "c/" + COMMON + ".h"));
        Path bin = src.resolveSibling(name);
        if (Files.isExecutable(bin)) {
            return bin;
        }
        Path tmp = src.resolveSibling(name + "." + ProcessHandle.current().pid() + ".tmp");
        List<String> cmd = new ArrayList<>(List.of(gcc.toString(), "-O2", "-Wall", "-o", tmp.toString(), src.toString(),
                src.resolveSibling(COMMON + ".c").toString()));
        cmd.addAll(libs);
        Proc.Result r = Proc.run(cmd, 120);
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
