package dev.weft.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A running echo server of the report: started (pinned with taskset when asked), waited for until
 * it prints its {@code listening on} line, asked for allocated bytes (JVM servers), and stopped.
 * Its stderr goes to a log file. Used by the report thread only.
 */
final class ServerProcess implements AutoCloseable {
    final ServerSpec spec;
    final int port;
    final Process process;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();

    private ServerProcess(ServerSpec spec, int port, Process process) {
        this.spec = spec;
        this.port = port;
        this.process = process;
        Thread t = new Thread(this::pump, "server-out-" + spec.name());
        t.setDaemon(true);
        t.start();
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    static ServerProcess start(ServerSpec spec, List<String> pinPrefix, Path log) throws IOException {
        int port = freePort();
        List<String> cmd = new ArrayList<>(pinPrefix);
        cmd.addAll(spec.command().apply(port));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()));
        Uvloop.environment(pb.environment());
        Process p = pb.start();
        ServerProcess sp = new ServerProcess(spec, port, p);
        String line = sp.awaitLine("listening on", 30);
        if (line == null) {
            sp.close();
            throw new IOException(spec.name() + " did not print 'listening on' within 30 s (exit "
                    + (p.isAlive() ? "none, still running" : p.exitValue()) + "; see " + log + ")");
        }
        return sp;
    }

    private void pump() {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String l;
            while ((l = r.readLine()) != null) {
                lines.add(l);
            }
        } catch (IOException ignored) {
            // the server ended
        }
    }

    private String awaitLine(String prefix, int seconds) {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        try {
            while (System.nanoTime() < end) {
                String l = lines.poll(100, TimeUnit.MILLISECONDS);
                if (l != null && l.startsWith(prefix)) {
                    return l;
                }
                if (l == null && !process.isAlive() && lines.isEmpty()) {
                    return null;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return null;
    }

    long pid() {
        return process.pid();
    }

    /** Bytes the JVM server allocated so far, or -1 (not a JVM server, or no answer in 2 s). */
    long allocatedBytes() {
        if (!spec.jvm() || !process.isAlive()) {
            return -1;
        }
        try {
            OutputStream in = process.getOutputStream();
            in.write("alloc\n".getBytes(StandardCharsets.US_ASCII));
            in.flush();
            String l = awaitLine("alloc ", 2);
            return l == null ? -1 : Long.parseLong(l.substring(6).trim());
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
