package dev.weft.bench;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Small helpers around child processes: run and capture, find a program on PATH. */
final class Proc {
    private Proc() {
    }

    /** Output (stdout then stderr, trimmed) and exit status of a finished command. */
    record Result(int exit, String out) {
    }

    /** Runs {@code cmd} to completion (at most {@code timeoutSec}); exit -1 when it could not run. */
    static Result run(List<String> cmd, int timeoutSec) {
        return run(cmd, timeoutSec, java.util.Map.of());
    }

    /** As {@link #run(List, int)}, with {@code env} added to the child's environment last. */
    static Result run(List<String> cmd, int timeoutSec, java.util.Map<String, String> env) {
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
            Uvloop.environment(pb.environment());
            pb.environment().putAll(env);
            Process p = pb.start();
            p.getOutputStream().close();
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            Thread reader = new Thread(() -> copy(p.getInputStream(), bytes), "proc-read");
            reader.setDaemon(true);
            reader.start();
            if (!p.waitFor(timeoutSec, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Result(-1, "timed out after " + timeoutSec + " s: " + String.join(" ", cmd));
            }
            reader.join(2000);
            synchronized (bytes) {
                return new Result(p.exitValue(), bytes.toString(StandardCharsets.UTF_8).trim());
            }
        } catch (IOException e) {
            return new Result(-1, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(-1, "interrupted");
        }
    }

    private static void copy(InputStream in, ByteArrayOutputStream out) {
        byte[] b = new byte[8192];
        try (in) {
            int n;
            while ((n = in.read(b)) > 0) {
                synchronized (out) {
                    out.write(b, 0, n);
                }
            }
        } catch (IOException ignored) {
            // the process ended
        }
    }

    /** The first executable called {@code name} on PATH, or null. */
    static Path which(String name) {
        String path = System.getenv("PATH");
        if (path == null) {
            return null;
        }
        for (String dir : path.split(java.io.File.pathSeparator)) {
            if (dir.isEmpty()) {
                continue;
            }
            Path p = Path.of(dir, name);
            if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }

    /** The java launcher running this JVM. */
    static String javaBin() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** The bench jar (or classes folder) this code runs from. */
    static Path selfJar() {
        try {
            return Path.of(Proc.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (Exception e) {
            throw new IllegalStateException("cannot locate the bench jar: " + e, e);
        }
    }
}
