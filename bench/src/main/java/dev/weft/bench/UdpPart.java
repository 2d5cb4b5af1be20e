package dev.weft.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The report's UDP part ({@code --parts udp}): echo of 64 B and 1,400 B datagrams, driven by the C
 * load generator {@code udp_load.c} (built with gcc when the part runs), against Weft's datagram
 * backends (epoll with {@code recvmmsg}/{@code sendmmsg} batches, epoll with one call per
 * datagram, nio), Netty epoll (with {@code recvmmsg}) and nio, asyncio, uvloop and the C
 * {@code recvmmsg} reference server from the same file.
 *
 * <p><b>Method.</b> Every server runs pinned to core 0 (taskset, when there are two cores), the
 * load generator to core 1. The generator keeps 4 flows × 16 datagrams in flight, each echo
 * answered by a new datagram. Each server is warmed up once, then repetitions run interleaved
 * (order reversed every other repetition). Per cell: packets per second echoed during the measured
 * seconds (median, min–max), loss over the whole run (sent − received, after a 200 ms drain), and
 * the server's CPU (user + system, from {@code /proc/<pid>/stat}) per datagram echoed; ratios are
 * against Netty epoll's medians of the same run. Socket buffers stay at the system's defaults on
 * every server.
 */
final class UdpPart {
    static final List<Integer> SIZES = List.of(64, 1400);
    static final int FLOWS = 4;
    static final int WINDOW = 16;
    static final String REFERENCE = "netty-epoll";

    /** The servers of a quick run: Weft's batched epoll, the Netty reference and the C reference. */
    static final List<String> QUICK_SERVERS = List.of("weft-epoll", REFERENCE, "c-recvmmsg");

    record Plan(int reps, double warmupS, double durationS, double serverWarmupS, List<Integer> sizes) {
        static Plan of(boolean quick) {
            return quick ? new Plan(1, 0.3, 0.7, 0.5, List.of(64)) : new Plan(2, 0.5, 1.5, 3.0, SIZES);
        }

        double estimate(int servers) {
            return 4 + servers * serverWarmupS + reps * servers * sizes.size() * (warmupS + durationS + 0.35);
        }
    }

    private UdpPart() {
    }

    /** Runs the part; {@code progress} gets one line per step. */
    static Map<String, Object> run(boolean quick, Path out, Consumer<String> progress) {
        Path gcc = Proc.which("gcc");
        if (gcc == null) {
            return Report.skippedPart("no gcc on PATH to build udp_load.c (the load generator)");
        }
        Path load;
        try {
            load = compile(gcc);
        } catch (IOException e) {
            return Report.skippedPart("udp_load.c does not build: " + e.getMessage());
        }
        boolean pinned = Runtime.getRuntime().availableProcessors() >= 2 && Proc.which("taskset") != null;
        List<String> pinServer = pinned ? List.of("taskset", "-c", "0") : List.of();
        List<String> pinClient = pinned ? List.of("taskset", "-c", "1") : List.of();
        Plan plan = Plan.of(quick);
        Map<String, String> skipped = new LinkedHashMap<>();
        List<ServerSpec> specs = new ArrayList<>();
        for (ServerSpec s : servers(load)) {
            if (quick && !QUICK_SERVERS.contains(s.name())) {
                skipped.put(s.name(), "left out of the quick run (the default run measures it)");
            } else if (s.available()) {
                specs.add(s);
            } else {
                skipped.put(s.name(), s.unavailable());
            }
        }
        progress.accept(String.format("UDP: %d servers × %d sizes × %d repetitions, about %.0f s",
                specs.size(), plan.sizes().size(), plan.reps(), plan.estimate(specs.size())));
        Map<String, ServerProcess> running = new LinkedHashMap<>();
        Map<String, List<Map<String, Object>>> runs = new LinkedHashMap<>();
        ExecutorService starter = Executors.newFixedThreadPool(4);
        try {
            Map<String, Future<ServerProcess>> starting = new LinkedHashMap<>();
            for (ServerSpec s : specs) {
                Path log = out.resolve("logs").resolve("udp-" + s.name() + ".log");
                starting.put(s.name(), starter.submit(() -> ServerProcess.start(s, pinServer, log)));
            }
            for (Map.Entry<String, Future<ServerProcess>> e : starting.entrySet()) {
                try {
                    running.put(e.getKey(), e.getValue().get());
                } catch (Exception x) {
                    Throwable c = x.getCause() != null ? x.getCause() : x;
                    skipped.put(e.getKey(), "did not start: " + c.getMessage());
                }
            }
            for (ServerProcess sp : running.values()) {
                progress.accept("UDP: warming up " + sp.spec.name() + " (" + plan.serverWarmupS() + " s of 64 B, for the JIT)");
                drive(load, pinClient, sp, 64, 0, plan.serverWarmupS());
            }
            List<String> names = new ArrayList<>(running.keySet());
            for (int r = 0; r < plan.reps(); r++) {
                for (int size : plan.sizes()) {
                    List<String> order = new ArrayList<>(names);
                    if (r % 2 == 1) {
                        java.util.Collections.reverse(order);
                    }
                    for (String n : order) {
                        Map<String, Object> res = drive(load, pinClient, running.get(n), size, plan.warmupS(), plan.durationS());
                        res.put("repetition", r + 1);
                        runs.computeIfAbsent(size + "|" + n, k -> new ArrayList<>()).add(res);
                        progress.accept(String.format("UDP %5d B %-18s rep %d/%d: %s", size, n, r + 1, plan.reps(),
                                res.containsKey("error") ? "FAILED: " + res.get("error")
                                        : String.format("%,.0f pkt/s, loss %s", Report.num(res, "pps"), res.get("lost"))));
                    }
                }
            }
        } finally {
            starter.shutdownNow();
            for (ServerProcess sp : running.values()) {
                sp.close();
            }
        }
        return results(plan, specs, skipped, runs, load);
    }

    private static Path compile(Path gcc) throws IOException {
        Path src = Resources.extract("c/udp_load.c");
        Path bin = src.resolveSibling("udp_load");
        if (Files.isExecutable(bin)) {
            return bin;
        }
        Path tmp = src.resolveSibling("udp_load." + ProcessHandle.current().pid() + ".tmp");
        Proc.Result r = Proc.run(List.of(gcc.toString(), "-O2", "-Wall", "-o", tmp.toString(), src.toString()), 120);
        if (r.exit() != 0) {
            Files.deleteIfExists(tmp);
            throw new IOException("gcc failed (" + r.exit() + "): " + r.out());
        }
        Files.move(tmp, bin, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return bin;
    }

    /** The UDP echo servers, available or not. */
    static List<ServerSpec> servers(Path load) {
        List<ServerSpec> out = new ArrayList<>();
        String java = Proc.javaBin();
        String jar = Proc.selfJar().toString();
        String jvm = "Java " + System.getProperty("java.runtime.version");
        Map<String, String> weft = new LinkedHashMap<>();
        for (String[] b : dev.weft.bench.weft.WeftBackends.list()) {
            weft.put(b[0], b[1]);
        }
        // -Dweft.datagram.gso given to the report reaches Weft's servers (GSO/GRO on or off on epoll).
        String gso = System.getProperty(dev.weft.loop.posix.PosixDatagramSocket.GSO_PROPERTY);
        List<String> gsoFlag = gso == null ? List.of()
                : List.of("-D" + dev.weft.loop.posix.PosixDatagramSocket.GSO_PROPERTY + "=" + gso);
        for (String backend : List.of("epoll", "nio")) {
            String why = weft.containsKey(backend) ? weft.get(backend) : "backend " + backend + " is not on the class path";
            out.add(weftSpec("weft-" + backend, backend, gsoFlag, why, "Weft " + Servers.benchVersion() + ", " + jvm
                    + (gsoFlag.isEmpty() ? "" : ", " + gsoFlag.get(0))));
            if (backend.equals("epoll")) {
                String prop = "-D" + dev.weft.loop.posix.PosixDatagramSocket.BATCH_PROPERTY + "=false";
                out.add(weftSpec("weft-epoll-single", backend, List.of(prop), why,
                        "Weft " + Servers.benchVersion() + ", " + jvm + ", " + prop + " (one recvfrom/sendto per datagram)"));
            }
        }
        out.add(new ServerSpec("weft-kqueue", "weft", true, port -> List.of(), "kqueue declares no datagrams (not on Linux)", "-"));
        for (String t : NettyUdpEcho.TRANSPORTS) {
            Throwable cause = NettyEcho.unavailability(t);
            out.add(new ServerSpec("netty-" + t, "netty", true, port -> {
                List<String> cmd = new ArrayList<>(List.of(java));
                cmd.addAll(Servers.JVM_FLAGS);
                cmd.addAll(List.of("-jar", jar, "netty-udp-echo", "--transport", t, "--port", String.valueOf(port)));
                return cmd;
            }, cause == null ? null : String.valueOf(cause), "Netty " + Servers.nettyVersion() + ", " + jvm
                    + (t.equals("epoll") ? ", recvmmsg (MAX_DATAGRAM_PAYLOAD_SIZE " + NettyUdpEcho.MAX_PAYLOAD + ")" : "")));
        }
        Path py = Servers.pythonBin();
        Path script = null;
        String scriptWhy = null;
        try {
            script = Resources.extract("python/udp_echo.py");
        } catch (IOException e) {
            scriptWhy = "cannot extract udp_echo.py: " + e.getMessage();
        }
        for (String l : List.of("asyncio", "uvloop")) {
            String why = py == null ? "no python3 found" : scriptWhy;
            String version = "-";
            if (why == null) {
                version = Proc.run(List.of(py.toString(), "--version"), 10).out();
                if (l.equals("uvloop")) {
                    Proc.Result uv = Proc.run(List.of(py.toString(), "-c", "import uvloop; print(uvloop.__version__)"), 20);
                    if (uv.exit() != 0) {
                        why = "uvloop is not installed for " + py + " (Debian python3-uvloop)";
                    } else {
                        version += ", uvloop " + uv.out();
                    }
                }
            }
            Path s = script;
            out.add(new ServerSpec(l, "python", false,
                    port -> List.of(py.toString(), s.toString(), "--loop", l, "--port", String.valueOf(port)), why, version));
        }
        out.add(new ServerSpec("c-recvmmsg", "c", false, port -> List.of(load.toString(), "server", "--port", String.valueOf(port)),
                null, "udp_load.c server (recvmmsg/sendmmsg of 32), gcc -O2"));
        return out;
    }

    private static ServerSpec weftSpec(String name, String backend, List<String> flags, String why, String version) {
        String java = Proc.javaBin();
        String jar = Proc.selfJar().toString();
        return new ServerSpec(name, "weft", true, port -> {
            List<String> cmd = new ArrayList<>(List.of(java));
            cmd.addAll(Servers.JVM_FLAGS);
            cmd.addAll(flags);
            cmd.addAll(List.of("-jar", jar, "echo-server", "--backend", backend, "--udp", "--port", String.valueOf(port)));
            return cmd;
        }, why, version);
    }

    private static final Pattern LINE = Pattern.compile(
            "sent=(\\d+) received=(\\d+) lost=(\\d+) timeouts=(\\d+) seconds=([0-9.]+) pps=([0-9.]+)");

    /** One load generator run against {@code sp}: its figures and the server's CPU per datagram. */
    static Map<String, Object> drive(Path load, List<String> pin, ServerProcess sp, int size, double warmupS, double durationS) {
        Map<String, Object> res = new LinkedHashMap<>();
        res.put("size", size);
        List<String> cmd = new ArrayList<>(pin);
        cmd.addAll(List.of(load.toString(), "load", "--port", String.valueOf(sp.port), "--size", String.valueOf(size),
                "--flows", String.valueOf(FLOWS), "--window", String.valueOf(WINDOW),
                "--warmup", String.valueOf(warmupS), "--duration", String.valueOf(durationS)));
        try {
            ProcStat.Cpu before = ProcStat.read(sp.pid());
            Proc.Result r = Proc.run(cmd, (int) Math.ceil(warmupS + durationS) + 30);
            ProcStat.Cpu used = ProcStat.read(sp.pid()).minus(before);
            Matcher m = LINE.matcher(r.out());
            if (r.exit() != 0 || !m.find()) {
                res.put("error", "udp_load exit " + r.exit() + ": " + r.out().trim());
                return res;
            }
            long received = Long.parseLong(m.group(2));
            long sent = Long.parseLong(m.group(1));
            res.put("sent", sent);
            res.put("received", received);
            res.put("lost", Long.parseLong(m.group(3)));
            res.put("loss_pct", sent == 0 ? 0.0 : 100.0 * Long.parseLong(m.group(3)) / sent);
            res.put("pps", Double.parseDouble(m.group(6)));
            double cpuNs = (used.userTicks() + used.sysTicks()) * 1e9 / ProcStat.clockTicks();
            res.put("cpu_ns_per_datagram", received == 0 ? null : cpuNs / received);
            res.put("user_ns_per_datagram", received == 0 ? null : used.userTicks() * 1e9 / ProcStat.clockTicks() / received);
        } catch (IOException | RuntimeException e) {
            res.put("error", String.valueOf(e));
        }
        return res;
    }

    static Map<String, Object> results(Plan plan, List<ServerSpec> specs, Map<String, String> skipped,
                                               Map<String, List<Map<String, Object>>> runs, Path load) {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("tool", "udp_load.c (recvmmsg/sendmmsg), " + FLOWS + " flows × " + WINDOW + " datagrams in flight");
        doc.put("command", load.getFileName() + " load --port P --size S --flows " + FLOWS + " --window " + WINDOW
                + " --warmup " + plan.warmupS() + " --duration " + plan.durationS());
        doc.put("repetitions", plan.reps());
        doc.put("warmup_s", plan.warmupS());
        doc.put("duration_s", plan.durationS());
        List<Object> servers = new ArrayList<>();
        for (ServerSpec s : specs) {
            servers.add(Map.of("name", s.name(), "kind", s.kind(), "version", s.version()));
        }
        doc.put("servers", servers);
        doc.put("skipped_servers", skipped);
        List<Object> cells = new ArrayList<>();
        Map<String, Object> errors = new LinkedHashMap<>();
        for (int size : plan.sizes()) {
            Map<String, Object> ref = cell(runs.get(size + "|" + REFERENCE));
            for (ServerSpec s : specs) {
                List<Map<String, Object>> rs = runs.get(size + "|" + s.name());
                if (rs == null) {
                    continue;
                }
                Map<String, Object> c = cell(rs);
                c.put("server", s.name());
                c.put("size", size);
                c.put("pps_vs_netty_epoll", ratio(Report.num(c, "pps"), Report.num(ref, "pps")));
                c.put("cpu_vs_netty_epoll", ratio(Report.num(c, "cpu_ns_per_datagram"), Report.num(ref, "cpu_ns_per_datagram")));
                c.put("runs", rs);
                cells.add(c);
                for (Map<String, Object> r : rs) {
                    if (r.containsKey("error")) {
                        errors.put(s.name() + " " + size + " B", r.get("error"));
                    }
                }
            }
        }
        doc.put("cells", cells);
        doc.put("errors", errors);
        doc.put("method", "Each server pinned to core 0, udp_load pinned to core 1; " + FLOWS + " flows keep " + WINDOW
                + " datagrams each in flight; repetitions interleaved; medians of " + plan.reps() + " run(s) of "
                + plan.durationS() + " s after " + plan.warmupS() + " s of warm-up. Loss: sent − received over the run after"
                + " a 200 ms drain. CPU: the server's user+system time per datagram echoed (whole run). Ratios: against "
                + REFERENCE + "'s medians in the same run. Socket buffers at the system's defaults everywhere. asyncio reads"
                + " with recvfrom(256 KiB), and glibc maps, shrinks and unmaps that buffer for every datagram (strace shows"
                + " mmap, mremap, munmap per recvfrom), which dominates its CPU per datagram.");
        return doc;
    }

    private static Map<String, Object> cell(List<Map<String, Object>> rs) {
        Map<String, Object> c = new LinkedHashMap<>();
        if (rs == null) {
            return c;
        }
        List<Double> pps = new ArrayList<>();
        List<Double> cpu = new ArrayList<>();
        long sent = 0;
        long lost = 0;
        for (Map<String, Object> r : rs) {
            if (r.containsKey("error")) {
                continue;
            }
            pps.add(Report.num(r, "pps"));
            Double ns = Report.num(r, "cpu_ns_per_datagram");
            if (ns != null) {
                cpu.add(ns);
            }
            sent += ((Number) r.get("sent")).longValue();
            lost += ((Number) r.get("lost")).longValue();
        }
        c.put("pps", median(pps));
        c.put("pps_min", pps.isEmpty() ? null : pps.stream().min(Double::compare).get());
        c.put("pps_max", pps.isEmpty() ? null : pps.stream().max(Double::compare).get());
        c.put("loss_pct", sent == 0 ? null : 100.0 * lost / sent);
        c.put("cpu_ns_per_datagram", median(cpu));
        return c;
    }

    private static Double median(List<Double> v) {
        if (v.isEmpty()) {
            return null;
        }
        List<Double> s = new ArrayList<>(v);
        s.sort(Double::compare);
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }

    private static Double ratio(Double a, Double b) {
        return a == null || b == null || b == 0 ? null : a / b;
    }

    /** The Markdown section, or null when the part was skipped. */
    static ReportWriter.Section section(Map<String, Object> udp) {
        if (udp == null || udp.isEmpty() || udp.get("skipped") != null) {
            return null;
        }
        List<List<String>> rows = new ArrayList<>();
        for (Map<String, Object> c : ReportWriter.list(udp.get("cells"))) {
            rows.add(List.of(String.valueOf(c.get("server")), c.get("size") + " B",
                    ReportWriter.f(Report.num(c, "pps"), 0) + " (" + ReportWriter.f(Report.num(c, "pps_min"), 0) + "–"
                            + ReportWriter.f(Report.num(c, "pps_max"), 0) + ")",
                    ReportWriter.f(Report.num(c, "pps_vs_netty_epoll"), 2),
                    ReportWriter.f(Report.num(c, "loss_pct"), 2),
                    ReportWriter.f(Report.num(c, "cpu_ns_per_datagram"), 0),
                    ReportWriter.f(Report.num(c, "cpu_vs_netty_epoll"), 2)));
        }
        StringBuilder note = new StringBuilder("Driven by ").append(udp.get("tool")).append(": ").append(udp.get("command"))
                .append(". ").append(udp.get("method"));
        Map<String, Object> skipped = ReportWriter.map(udp.get("skipped_servers"));
        if (!skipped.isEmpty()) {
            note.append(" Not measured: ").append(skipped).append('.');
        }
        Map<String, Object> errs = ReportWriter.map(udp.get("errors"));
        if (!errs.isEmpty()) {
            note.append(" Failures: ").append(errs).append('.');
        }
        return new ReportWriter.Section("UDP echo: 64 B and 1,400 B datagrams", note.toString(),
                List.of("server", "size", "packets/s median (min–max)", "× Netty epoll", "loss %", "server CPU ns/datagram",
                        "CPU × Netty epoll"), rows, List.of());
    }
}
