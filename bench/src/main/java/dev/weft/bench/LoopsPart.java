package dev.weft.bench;

import dev.weft.loop.EventLoopPolicy;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The report's {@code loops} part: the bench jar's echo server on one loop and on an
 * {@code EventLoopGroup} of two ({@code echo-server --loops N}), driven by the same load generator
 * (100 connections × 64 B, one message in flight each), runs interleaved (1, 2, then 2, 1, ...).
 * The figure is total server CPU (user + sys) per echoed message: flat from 1 to 2 loops means the
 * second loop adds no cost per message. Neither process is pinned, so on a machine with fewer than
 * four cores the generator shares the cores with the server's loops; the section says how many
 * cores there were. Takes about 60 s, 15 s with {@code --quick}.
 */
final class LoopsPart {
    static final String KEY = "loops";
    static final String TITLE = "Loop group: server CPU per message, 1 and 2 loops";
    private static final int CONNECTIONS = 100;
    private static final int SIZE = 64;

    private LoopsPart() {
    }

    /** Seconds the part takes. */
    static double estimate(boolean quick) {
        return quick ? 15 : 60;
    }

    /** Runs the part; {@code progress} hears one line per run. */
    static Map<String, Object> run(boolean quick, Path logs, Consumer<String> progress) {
        String backend;
        try {
            backend = EventLoopPolicy.autoBackend().name();
        } catch (RuntimeException e) {
            return Report.skippedPart("no Weft backend runs here: " + e.getMessage());
        }
        int reps = quick ? 1 : 3;
        int warmup = quick ? 1 : 2;
        int duration = quick ? 1 : 5;
        int[] loopCounts = {1, 2};
        Map<Integer, List<Map<String, Object>>> runs = new LinkedHashMap<>();
        List<ServerProcess> servers = new ArrayList<>();
        try {
            for (int n : loopCounts) {
                String label = "weft-" + backend + "-loops" + n;
                ServerSpec spec = new ServerSpec(label, "weft", true, port -> List.of(Proc.javaBin(), "-jar",
                        Proc.selfJar().toString(), "echo-server", "--backend", backend, "--port", String.valueOf(port),
                        "--loops", String.valueOf(n)), null, backend);
                servers.add(ServerProcess.start(spec, List.of(), logs.resolve(label + ".log")));
            }
            for (int r = 0; r < reps; r++) {
                for (int k = 0; k < loopCounts.length; k++) {
                    int i = r % 2 == 0 ? k : loopCounts.length - 1 - k;
                    Map<String, Object> res = loadgen(servers.get(i), warmup, duration, logs);
                    runs.computeIfAbsent(loopCounts[i], x -> new ArrayList<>()).add(res);
                    progress.accept(String.format("loops: %d loop(s) rep %d/%d: %s", loopCounts[i], r + 1, reps,
                            res.containsKey("error") ? "FAILED: " + res.get("error")
                                    : String.format("%,.0f msgs/s, %.2f µs server CPU/msg", Report.num(res, "msgs_per_s"),
                                    cpu(res))));
                }
            }
        } catch (IOException | RuntimeException e) {
            return Report.skippedPart("could not run: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Report.skippedPart("interrupted");
        } finally {
            for (ServerProcess s : servers) {
                s.close();
            }
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("backend", backend);
        out.put("cores", Runtime.getRuntime().availableProcessors());
        out.put("method", String.format("echo-server --backend %s --loops N, N = 1 and 2, both started once; the bench"
                        + " jar's loadgen, %d connections × %d B, one message in flight each, %d s warm-up + %d s"
                        + " measured, %d repetition(s) interleaved; server CPU = user + sys of the server process"
                        + " per echoed message (/proc/PID/stat), median (min–max). Nothing is pinned: on %d cores the"
                        + " load generator shares them with the loops.", backend, CONNECTIONS, SIZE, warmup, duration,
                reps, Runtime.getRuntime().availableProcessors()));
        List<Map<String, Object>> cells = new ArrayList<>();
        for (Map.Entry<Integer, List<Map<String, Object>>> e : runs.entrySet()) {
            Map<String, Object> c = new LinkedHashMap<>();
            c.put("loops", e.getKey());
            List<Double> cpu = new ArrayList<>();
            List<Double> rate = new ArrayList<>();
            List<Double> user = new ArrayList<>();
            List<Double> sys = new ArrayList<>();
            List<Double> client = new ArrayList<>();
            for (Map<String, Object> r : e.getValue()) {
                if (!r.containsKey("error")) {
                    cpu.add(cpu(r));
                    rate.add(Report.num(r, "msgs_per_s"));
                    Map<?, ?> s = (Map<?, ?>) r.get("server_cpu");
                    user.add(((Number) s.get("user_us_per_msg")).doubleValue());
                    sys.add(((Number) s.get("sys_us_per_msg")).doubleValue());
                    Map<?, ?> cl = (Map<?, ?>) r.get("client_cpu");
                    client.add(cl == null ? Double.NaN : ((Number) cl.get("util")).doubleValue());
                }
            }
            c.put("repetitions", cpu.size());
            c.put("cpu_us_per_msg", median(cpu));
            c.put("cpu_us_per_msg_min", min(cpu));
            c.put("cpu_us_per_msg_max", max(cpu));
            c.put("user_us_per_msg", median(user));
            c.put("sys_us_per_msg", median(sys));
            c.put("msgs_per_s", median(rate));
            c.put("client_util", median(client));
            cells.add(c);
        }
        out.put("cells", cells);
        Double one = cells.isEmpty() ? null : (Double) cells.get(0).get("cpu_us_per_msg");
        Double two = cells.size() < 2 ? null : (Double) cells.get(1).get("cpu_us_per_msg");
        out.put("cpu_per_msg_2_over_1", one == null || two == null || one == 0 ? null : two / one);
        return out;
    }

    private static double cpu(Map<String, Object> res) {
        Map<?, ?> s = (Map<?, ?>) res.get("server_cpu");
        if (s == null) {
            return Double.NaN;
        }
        return ((Number) s.get("user_us_per_msg")).doubleValue() + ((Number) s.get("sys_us_per_msg")).doubleValue();
    }

    private static Map<String, Object> loadgen(ServerProcess sp, int warmup, int duration, Path logs)
            throws IOException, InterruptedException {
        List<String> cmd = List.of(Proc.javaBin(), "-Xmx512m", "-XX:+UseParallelGC", "-jar", Proc.selfJar().toString(),
                "loadgen", "--port", String.valueOf(sp.port), "--connections", String.valueOf(CONNECTIONS),
                "--size", String.valueOf(SIZE), "--pipeline", "1", "--duration", String.valueOf(duration),
                "--warmup", String.valueOf(warmup), "--pid", String.valueOf(sp.process.pid()));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.appendTo(
                logs.resolve("loops-loadgen.log").toFile())).start();
        p.getOutputStream().close();
        String json = null;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String l;
            while ((l = r.readLine()) != null) {
                if (l.startsWith("{")) {
                    json = l;
                }
            }
        }
        int code = p.waitFor();
        Map<String, Object> res = new LinkedHashMap<>();
        if (json == null || code != 0) {
            res.put("error", "loadgen exit " + code + " (see logs/loops-loadgen.log)");
            return res;
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> parsed = (Map<String, Object>) Json.parse(json);
        return parsed;
    }

    private static Double median(List<Double> v) {
        if (v.isEmpty()) {
            return null;
        }
        List<Double> s = new ArrayList<>(v);
        s.sort(null);
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }

    private static Double min(List<Double> v) {
        return v.isEmpty() ? null : v.stream().min(Double::compare).get();
    }

    private static Double max(List<Double> v) {
        return v.isEmpty() ? null : v.stream().max(Double::compare).get();
    }

    /** Checks the part's JSON; adds what is wrong to {@code p}. */
    static void validate(List<String> p, Map<?, ?> doc) {
        if (!(doc.get(KEY) instanceof Map<?, ?> m)) {
            p.add(KEY + ": missing or not an object");
            return;
        }
        if (m.containsKey("skipped")) {
            if (!(m.get("skipped") instanceof String)) {
                p.add(KEY + ".skipped: expected String (why the part did not run)");
            }
            return;
        }
        for (String k : List.of("backend", "method")) {
            if (!(m.get(k) instanceof String)) {
                p.add(KEY + "." + k + ": expected String");
            }
        }
        if (!(m.get("cells") instanceof List<?> cells)) {
            p.add(KEY + ".cells: expected a list");
            return;
        }
        int i = 0;
        for (Object o : cells) {
            String at = KEY + ".cells[" + i++ + "].";
            if (!(o instanceof Map<?, ?> c)) {
                p.add(at + " is not an object");
                continue;
            }
            for (String k : List.of("loops", "repetitions")) {
                if (!(c.get(k) instanceof Number)) {
                    p.add(at + k + ": expected a number");
                }
            }
            for (String k : List.of("cpu_us_per_msg", "cpu_us_per_msg_min", "cpu_us_per_msg_max", "user_us_per_msg",
                    "sys_us_per_msg", "msgs_per_s", "client_util")) {
                if (!c.containsKey(k)) {
                    p.add(at + k + ": missing");
                } else if (c.get(k) != null && !(c.get(k) instanceof Number)) {
                    p.add(at + k + ": expected a number or null");
                }
            }
        }
    }

    /** The part's Markdown section, or null when it did not run. */
    static ReportWriter.Section section(Map<String, Object> doc) {
        if (!(doc.get(KEY) instanceof Map<?, ?> m) || m.containsKey("skipped") || !(m.get("cells") instanceof List<?> cells)) {
            return null;
        }
        List<List<String>> rows = new ArrayList<>();
        for (Object o : cells) {
            Map<?, ?> c = (Map<?, ?>) o;
            rows.add(List.of(String.valueOf(c.get("loops")),
                    f(c.get("cpu_us_per_msg"), 2) + " (" + f(c.get("cpu_us_per_msg_min"), 2) + "–"
                            + f(c.get("cpu_us_per_msg_max"), 2) + ")",
                    f(c.get("user_us_per_msg"), 2), f(c.get("sys_us_per_msg"), 2), f(c.get("msgs_per_s"), 0),
                    f(c.get("client_util"), 2)));
        }
        String note = m.get("method") + " 2 loops over 1: " + f(m.get("cpu_per_msg_2_over_1"), 2) + "× the CPU per message.";
        return new ReportWriter.Section(TITLE, note, List.of("loops", "server CPU µs/msg median (min–max)",
                "user µs/msg", "sys µs/msg", "msgs/s", "load generator util"), rows, List.of());
    }

    private static String f(Object v, int digits) {
        return v instanceof Number n ? String.format("%,." + digits + "f", n.doubleValue()) : "–";
    }
}
