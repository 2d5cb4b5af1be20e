package dev.weft.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The HTTP/1.1 keep-alive plaintext cell: which servers exist, one {@code wrk} run against one of
 * them (with the server's CPU and, for JVM servers, allocation over the run), and the per-server
 * cells (medians over repetitions, ratios to Netty epoll).
 *
 * <p>Servers: each available Weft backend ({@code http-server}, boundary-only parsing, fixed
 * response), Netty epoll ({@code HttpServerCodec}), Node.js {@code http}, Python asyncio and uvloop
 * (a Protocol with the same boundary-only parsing as Weft's). There is no C HTTP server.
 */
final class HttpCell {
    /** wrk's connections and threads: one client thread, pinned to the client core. */
    static final int CONNECTIONS = 64;
    static final int THREADS = 1;

    private HttpCell() {
    }

    static List<ServerSpec> discover() {
        List<ServerSpec> out = new ArrayList<>();
        String java = Proc.javaBin();
        String jar = Proc.selfJar().toString();
        String jvmVersion = "Java " + System.getProperty("java.runtime.version");
        for (String[] b : dev.weft.bench.weft.WeftBackends.list()) {
            String backend = b[0];
            out.add(new ServerSpec("weft-" + backend, "weft", true, port -> {
                List<String> cmd = new ArrayList<>(List.of(java));
                cmd.addAll(Servers.JVM_FLAGS);
                cmd.addAll(List.of("-jar", jar, "http-server", "--backend", backend, "--port", String.valueOf(port)));
                return cmd;
            }, b[1], "Weft " + Servers.benchVersion() + ", boundary-only parser, " + jvmVersion));
        }
        Throwable epoll = NettyEcho.unavailability("epoll");
        out.add(new ServerSpec("netty-epoll", "netty", true, port -> {
            List<String> cmd = new ArrayList<>(List.of(java));
            cmd.addAll(Servers.JVM_FLAGS);
            cmd.addAll(List.of("-jar", jar, "netty-http", "--transport", "epoll", "--port", String.valueOf(port)));
            return cmd;
        }, epoll == null ? null : String.valueOf(epoll), "Netty " + Servers.nettyVersion() + " HttpServerCodec, " + jvmVersion));

        Path node = Proc.which("node") != null ? Proc.which("node") : Proc.which("nodejs");
        if (node == null) {
            out.add(new ServerSpec("node", "node", false, port -> List.of(), "no node or nodejs on PATH", "-"));
        } else {
            String v = "Node.js " + Proc.run(List.of(node.toString(), "--version"), 10).out() + " http";
            try {
                Path script = Resources.extract("node/http.js");
                out.add(new ServerSpec("node", "node", false,
                        port -> List.of(node.toString(), script.toString(), "--port", String.valueOf(port)), null, v));
            } catch (IOException e) {
                out.add(new ServerSpec("node", "node", false, port -> List.of(), "cannot extract http.js: " + e.getMessage(), v));
            }
        }

        Path py = Servers.pythonBin();
        for (String loop : List.of("asyncio", "uvloop")) {
            if (py == null) {
                out.add(new ServerSpec(loop, "python", false, port -> List.of(), "no python3 found", "-"));
                continue;
            }
            String pyv = Proc.run(List.of(py.toString(), "--version"), 10).out();
            String why = null;
            String version = pyv + ", " + loop + " Protocol, boundary-only parser";
            if (loop.equals("uvloop")) {
                Proc.Result uv = Proc.run(List.of(py.toString(), "-c", "import uvloop; print(uvloop.__version__)"), 20);
                if (uv.exit() != 0) {
                    why = "uvloop is not importable by " + py + " (Debian package python3-uvloop)";
                } else {
                    version = pyv + ", uvloop " + uv.out() + " Protocol, boundary-only parser";
                }
            }
            try {
                Path script = Resources.extract("python/http.py");
                out.add(new ServerSpec(loop, "python", false,
                        port -> List.of(py.toString(), script.toString(), "--loop", loop, "--port", String.valueOf(port)), why, version));
            } catch (IOException e) {
                out.add(new ServerSpec(loop, "python", false, port -> List.of(), "cannot extract http.py: " + e.getMessage(), version));
            }
        }
        out.add(new ServerSpec("c-epoll", "c", false, port -> List.of(),
                "no C HTTP server is written (the C reference covers TCP echo only)", "-"));
        return out;
    }

    /** wrk's version line ({@code wrk 4.2.0 [epoll] ...}), or null when wrk is not installed. */
    static String wrkVersion(Path wrk) {
        String v = Proc.run(List.of(wrk.toString(), "-v"), 10).out();
        int nl = v.indexOf('\n');
        return (nl > 0 ? v.substring(0, nl) : v).trim();
    }

    /**
     * One wrk run of {@code seconds} against {@code sp}; the parsed result plus the server's CPU
     * per request and allocation per request, or {@code {"error": ...}}.
     */
    static Map<String, Object> wrk(Path wrk, List<String> pin, ServerProcess sp, int seconds, Path log) {
        List<String> cmd = new ArrayList<>(pin);
        cmd.addAll(List.of(wrk.toString(), "-t" + THREADS, "-c" + CONNECTIONS, "-d" + seconds + "s", "--latency",
                "http://127.0.0.1:" + sp.port + "/"));
        Map<String, Object> res = new LinkedHashMap<>();
        try {
            long a0 = sp.allocatedBytes();
            ProcStat.Cpu c0 = ProcStat.read(sp.pid());
            Proc.Result r = Proc.run(cmd, seconds + 30);
            ProcStat.Cpu c1 = ProcStat.read(sp.pid());
            long a1 = sp.allocatedBytes();
            Files.writeString(log, "$ " + String.join(" ", cmd) + "\n" + r.out() + "\n", StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            if (r.exit() != 0) {
                res.put("error", "wrk exited " + r.exit() + " (see logs/wrk.log)");
                return res;
            }
            Wrk.Result w = Wrk.parse(r.out());
            res.putAll(w.toJson());
            if (w.requests() > 0) {
                double tick = 1e6 / ProcStat.clockTicks();
                ProcStat.Cpu d = c1.minus(c0);
                res.put("user_us_per_req", d.userTicks() * tick / w.requests());
                res.put("sys_us_per_req", d.sysTicks() * tick / w.requests());
                res.put("server_util", (d.userTicks() + d.sysTicks()) * tick / 1e6 / w.seconds());
                if (a0 >= 0 && a1 >= a0) {
                    res.put("alloc_bytes_per_req", (a1 - a0) / (double) w.requests());
                }
            }
        } catch (IOException | IllegalArgumentException e) {
            res.put("error", e.getMessage());
        }
        return res;
    }

    /** The cells: one per server, medians and min–max over its runs, ratios to netty-epoll. */
    static List<Object> cells(Map<String, List<Map<String, Object>>> runs) {
        List<Object> cells = new ArrayList<>();
        Map<String, Double> rps = new LinkedHashMap<>();
        for (Map.Entry<String, List<Map<String, Object>>> e : runs.entrySet()) {
            List<Double> r = new ArrayList<>();
            List<Double> p50 = new ArrayList<>();
            List<Double> p99 = new ArrayList<>();
            List<Double> user = new ArrayList<>();
            List<Double> sys = new ArrayList<>();
            List<Double> alloc = new ArrayList<>();
            List<Double> util = new ArrayList<>();
            List<String> errors = new ArrayList<>();
            for (Map<String, Object> run : e.getValue()) {
                if (run.get("error") != null) {
                    errors.add(String.valueOf(run.get("error")));
                    continue;
                }
                Object se = run.get("socket_errors");
                Object non = run.get("non_2xx_3xx");
                if ((se instanceof Number && ((Number) se).longValue() > 0) || (non instanceof Number && ((Number) non).longValue() > 0)) {
                    errors.add("wrk saw " + se + " socket errors and " + non + " non-2xx/3xx responses");
                }
                r.add(Report.num(run, "requests_per_s"));
                p50.add(Report.num(run, "latency_us", "p50"));
                p99.add(Report.num(run, "latency_us", "p99"));
                user.add(Report.num(run, "user_us_per_req"));
                sys.add(Report.num(run, "sys_us_per_req"));
                alloc.add(Report.num(run, "alloc_bytes_per_req"));
                util.add(Report.num(run, "server_util"));
            }
            Map<String, Object> c = new LinkedHashMap<>();
            c.put("server", e.getKey());
            c.put("repetitions", e.getValue().size());
            c.put("ok", r.size());
            Map<String, Object> med = new LinkedHashMap<>();
            med.put("requests_per_s", Stats.median(r));
            med.put("p50_us", Stats.median(p50));
            med.put("p99_us", Stats.median(p99));
            med.put("user_us_per_req", Stats.median(user));
            med.put("sys_us_per_req", Stats.median(sys));
            med.put("alloc_bytes_per_req", Stats.median(alloc));
            med.put("server_util", Stats.median(util));
            c.put("median", med);
            Map<String, Object> range = new LinkedHashMap<>();
            range.put("requests_per_s_min", Stats.min(r));
            range.put("requests_per_s_max", Stats.max(r));
            c.put("range", range);
            c.put("errors", errors);
            c.put("runs", e.getValue());
            rps.put(e.getKey(), Stats.median(r));
            cells.add(c);
        }
        Double netty = rps.get("netty-epoll");
        for (Object o : cells) {
            @SuppressWarnings("unchecked")
            Map<String, Object> c = (Map<String, Object>) o;
            c.put("requests_per_s_vs_netty_epoll", Stats.ratio(rps.get(String.valueOf(c.get("server"))), netty));
        }
        return cells;
    }
}
