package dev.weft.bench;

import dev.weft.loop.EventLoop;
import dev.weft.loop.SubprocessOptions;
import dev.weft.loop.process.Subprocesses;
import dev.weft.loop.stream.Subprocess;
import dev.weft.loop.task.Tasks;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The report part {@code process}: child processes. Spawn rate: {@code /bin/true} started and
 * waited for one after another (1,000 per run; 100 in {@code --quick}), by Weft on epoll
 * (posix_spawn + pidfd) and on nio ({@code java.lang.Process}), by {@link ProcessBuilder} directly,
 * and by Python asyncio ({@code create_subprocess_exec}). Pipe throughput: bytes written to
 * {@code cat}'s stdin and read back from its stdout at once, 256 KiB at a time through the stream
 * API (Weft's {@link Subprocess}, asyncio's streams), 1 GiB per run (16 MiB in {@code --quick}),
 * Weft on epoll and nio against asyncio and uvloop. Implementations run interleaved, in an order
 * that reverses between repetitions; a missing Python or uvloop is skipped with the reason.
 */
final class ProcessPart {
    private static final int CHUNK = 256 * 1024;

    private ProcessPart() {
    }

    private static final String PY = String.join("\n",
            "import asyncio, sys, time",
            "mode, impl, n = sys.argv[1], sys.argv[2], int(sys.argv[3])",
            "if impl == 'uvloop':",
            "    import uvloop",
            "    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())",
            "D = asyncio.subprocess.DEVNULL",
            "P = asyncio.subprocess.PIPE",
            "async def spawn():",
            "    t = time.perf_counter()",
            "    for _ in range(n):",
            "        p = await asyncio.create_subprocess_exec('/bin/true', stdin=D, stdout=D, stderr=D)",
            "        await p.wait()",
            "    return time.perf_counter() - t",
            "async def pipe():",
            "    chunk = b'x' * " + CHUNK,
            "    t = time.perf_counter()",
            "    p = await asyncio.create_subprocess_exec('cat', stdin=P, stdout=P, stderr=D)",
            "    async def feed():",
            "        left = n",
            "        while left > 0:",
            "            c = chunk if left >= len(chunk) else chunk[:left]",
            "            p.stdin.write(c)",
            "            await p.stdin.drain()",
            "            left -= len(c)",
            "        p.stdin.close()",
            "    f = asyncio.ensure_future(feed())",
            "    got = 0",
            "    while True:",
            "        b = await p.stdout.read(" + CHUNK + ")",
            "        if not b:",
            "            break",
            "        got += len(b)",
            "    await f",
            "    await p.wait()",
            "    assert got == n, got",
            "    return time.perf_counter() - t",
            "print(asyncio.run(spawn() if mode == 'spawn' else pipe()))",
            "");

    /** Seconds the part is planned to take on an idle machine (a loaded one takes longer). */
    static double estimate(boolean quick) {
        return quick ? 15 : 90;
    }

    /** Runs the part and returns its JSON map. */
    static Map<String, Object> run(boolean quick, Path out, Consumer<String> progress) throws IOException {
        int spawns = quick ? 100 : 1000;
        long bytes = quick ? 16L << 20 : 1L << 30;
        int reps = quick ? 1 : 2;
        Path script = out.resolve("logs").resolve("process_peer.py");
        Files.createDirectories(script.getParent());
        Files.writeString(script, PY);
        Path python = Proc.which("python3");
        Map<String, String> skipped = new LinkedHashMap<>();
        List<String> spawnImpls = new ArrayList<>(List.of("weft-epoll", "weft-nio", "ProcessBuilder"));
        List<String> pipeImpls = new ArrayList<>(List.of("weft-epoll", "weft-nio"));
        if (!available("epoll")) {
            spawnImpls.remove("weft-epoll");
            pipeImpls.remove("weft-epoll");
            skipped.put("weft-epoll", "epoll is not available here");
        }
        if (python == null) {
            skipped.put("asyncio", "python3 is not on PATH");
            skipped.put("uvloop", "python3 is not on PATH");
        } else {
            spawnImpls.add("asyncio");
            pipeImpls.add("asyncio");
            Proc.Result uv = Proc.run(List.of(python.toString(), "-c", "import uvloop"), 30);
            if (uv.exit() == 0) {
                spawnImpls.add("uvloop");
                pipeImpls.add("uvloop");
            } else {
                skipped.put("uvloop", "not importable by " + python + " (Debian package python3-uvloop)");
            }
        }
        Map<String, List<Double>> spawnRuns = new LinkedHashMap<>();
        Map<String, List<Double>> pipeRuns = new LinkedHashMap<>();
        Map<String, String> errors = new LinkedHashMap<>();
        for (int r = 0; r < reps; r++) {
            List<String> order = new ArrayList<>(spawnImpls);
            if (r % 2 == 1) {
                Collections.reverse(order);
            }
            for (String impl : order) {
                progress.accept("process: spawn " + spawns + " × /bin/true with " + impl + " (rep " + (r + 1) + "/" + reps + ")");
                try {
                    double s = spawnSeconds(impl, spawns, python, script);
                    spawnRuns.computeIfAbsent(impl, k -> new ArrayList<>()).add(spawns / s);
                } catch (Exception e) {
                    errors.put("spawn " + impl, String.valueOf(e.getMessage()));
                }
            }
            order = new ArrayList<>(pipeImpls);
            if (r % 2 == 1) {
                Collections.reverse(order);
            }
            for (String impl : order) {
                progress.accept("process: " + (bytes >> 20) + " MiB through cat with " + impl + " (rep " + (r + 1) + "/" + reps + ")");
                try {
                    double s = pipeSeconds(impl, bytes, python, script);
                    pipeRuns.computeIfAbsent(impl, k -> new ArrayList<>()).add(bytes / (1024.0 * 1024.0) / s);
                } catch (Exception e) {
                    errors.put("pipe " + impl, String.valueOf(e.getMessage()));
                }
            }
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("method", "Spawn: /bin/true started and waited for one after another, " + spawns + " per run, stdio to /dev/null. "
                + "Pipe: " + (bytes >> 20) + " MiB written to cat's stdin and read from its stdout concurrently in "
                + (CHUNK / 1024) + " KiB pieces through the stream API. " + reps + " repetition(s), interleaved, order reversed "
                + "every other repetition; median (min–max). weft-epoll starts children with posix_spawn and watches a pidfd; "
                + "weft-nio uses java.lang.Process with a thread per pipe.");
        m.put("spawns", spawns);
        m.put("pipe_bytes", bytes);
        m.put("spawn", cells(spawnRuns, "spawns_per_s", "ProcessBuilder"));
        m.put("pipe", cells(pipeRuns, "mib_per_s", "asyncio"));
        m.put("skipped_impls", skipped);
        m.put("errors", errors);
        return m;
    }

    private static List<Map<String, Object>> cells(Map<String, List<Double>> runs, String key, String peer) {
        List<Map<String, Object>> cells = new ArrayList<>();
        List<Double> peerRuns = runs.get(peer);
        Double peerMedian = peerRuns == null ? null : median(peerRuns);
        for (Map.Entry<String, List<Double>> e : runs.entrySet()) {
            Map<String, Object> c = new LinkedHashMap<>();
            double med = median(e.getValue());
            c.put("impl", e.getKey());
            c.put(key, med);
            c.put(key + "_min", Collections.min(e.getValue()));
            c.put(key + "_max", Collections.max(e.getValue()));
            c.put("repetitions", e.getValue().size());
            if (peerMedian != null) {
                c.put("vs_" + peer, med / peerMedian);
            }
            cells.add(c);
        }
        return cells;
    }

    private static double median(List<Double> xs) {
        List<Double> s = new ArrayList<>(xs);
        Collections.sort(s);
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }

    private static final SubprocessOptions QUIET = SubprocessOptions.DEFAULTS.withStdin(SubprocessOptions.Stdio.DEVNULL)
            .withStdout(SubprocessOptions.Stdio.DEVNULL).withStderr(SubprocessOptions.Stdio.DEVNULL);

    private static double spawnSeconds(String impl, int n, Path python, Path script) throws Exception {
        switch (impl) {
            case "ProcessBuilder": {
                ProcessBuilder pb = new ProcessBuilder("/bin/true")
                        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD);
                long t = System.nanoTime();
                for (int i = 0; i < n; i++) {
                    int code = pb.start().waitFor();
                    if (code != 0) {
                        throw new IllegalStateException("/bin/true returned " + code);
                    }
                }
                return (System.nanoTime() - t) / 1e9;
            }
            case "weft-epoll":
            case "weft-nio":
                return weft(impl.substring(5), loop -> {
                    if (impl.equals("weft-epoll") && !Subprocesses.usesPosixSpawn(loop, QUIET)) {
                        throw new IllegalStateException("epoll does not use posix_spawn here");
                    }
                    long t = System.nanoTime();
                    for (int i = 0; i < n; i++) {
                        int code = Subprocess.exec(List.of("/bin/true"), QUIET).waitFor();
                        if (code != 0) {
                            throw new IllegalStateException("/bin/true returned " + code);
                        }
                    }
                    return (System.nanoTime() - t) / 1e9;
                });
            default:
                return python(python, script, "spawn", impl, n);
        }
    }

    private static double pipeSeconds(String impl, long bytes, Path python, Path script) throws Exception {
        if (!impl.startsWith("weft-")) {
            return python(python, script, "pipe", impl, bytes);
        }
        return weft(impl.substring(5), loop -> {
            byte[] chunk = new byte[CHUNK];
            java.util.Arrays.fill(chunk, (byte) 'x');
            long t = System.nanoTime();
            Subprocess p = Subprocess.exec(List.of("cat"), SubprocessOptions.DEFAULTS.withStderr(SubprocessOptions.Stdio.DEVNULL),
                    CHUNK);
            dev.weft.loop.task.Task<Void> feed = loop.createTask(() -> {
                long left = bytes;
                while (left > 0) {
                    int n = (int) Math.min(left, CHUNK);
                    p.stdin().transport().write(chunk, 0, n);
                    p.stdin().drain();
                    left -= n;
                }
                p.stdin().close();
                return null;
            });
            long got = 0;
            while (true) {
                byte[] b = p.stdout().read(CHUNK);
                if (b.length == 0) {
                    break;
                }
                got += b.length;
            }
            Tasks.await(feed);
            p.waitFor();
            if (got != bytes) {
                throw new IllegalStateException("read " + got + " of " + bytes + " bytes");
            }
            return (System.nanoTime() - t) / 1e9;
        });
    }

    private interface LoopBody {
        double run(EventLoop loop) throws Exception;
    }

    private static double weft(String backend, LoopBody body) throws Exception {
        try (EventLoop loop = EventLoop.builder().backend(backend).build()) {
            return loop.runUntilComplete(loop.createTask(() -> body.run(loop)));
        }
    }

    private static double python(Path python, Path script, String mode, String impl, long n) {
        Proc.Result r = Proc.run(List.of(python.toString(), script.toString(), mode, impl, Long.toString(n)), 600);
        if (r.exit() != 0) {
            throw new IllegalStateException(impl + " exited " + r.exit() + ": " + r.out());
        }
        String[] lines = r.out().split("\n");
        return Double.parseDouble(lines[lines.length - 1].trim());
    }

    /** The Markdown/HTML section of this part, or none when it was skipped. */
    static List<ReportWriter.Section> sections(Map<String, Object> doc) {
        Map<String, Object> m = ReportWriter.map(doc.get("process"));
        if (m.isEmpty() || m.get("skipped") != null) {
            return List.of();
        }
        List<List<String>> rows = new ArrayList<>();
        for (Map<String, Object> c : ReportWriter.list(m.get("spawn"))) {
            rows.add(List.of("spawn /bin/true", String.valueOf(c.get("impl")),
                    ReportWriter.f(Report.num(c, "spawns_per_s"), 0) + " spawns/s (" + ReportWriter.f(Report.num(c, "spawns_per_s_min"), 0)
                            + "–" + ReportWriter.f(Report.num(c, "spawns_per_s_max"), 0) + ")",
                    ReportWriter.f(Report.num(c, "vs_ProcessBuilder"), 2) + " × ProcessBuilder"));
        }
        for (Map<String, Object> c : ReportWriter.list(m.get("pipe"))) {
            rows.add(List.of("pipe through cat", String.valueOf(c.get("impl")),
                    ReportWriter.f(Report.num(c, "mib_per_s"), 0) + " MiB/s (" + ReportWriter.f(Report.num(c, "mib_per_s_min"), 0)
                            + "–" + ReportWriter.f(Report.num(c, "mib_per_s_max"), 0) + ")",
                    ReportWriter.f(Report.num(c, "vs_asyncio"), 2) + " × asyncio"));
        }
        Map<String, Object> skipped = ReportWriter.map(m.get("skipped_impls"));
        Map<String, Object> errors = ReportWriter.map(m.get("errors"));
        String note = m.get("method") + (skipped.isEmpty() ? "" : " Skipped: " + skipped + ".")
                + (errors.isEmpty() ? "" : " Failures: " + errors + ".");
        return List.of(new ReportWriter.Section("Subprocesses: spawn rate and pipe throughput", note,
                List.of("measure", "implementation", "median (min–max)", "ratio"), rows, List.of()));
    }

    private static boolean available(String backend) {
        try (EventLoop loop = EventLoop.builder().backend(backend).build()) {
            return loop.backendName().equals(backend);
        } catch (RuntimeException e) {
            return false;
        }
    }
}
