package dev.weft.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.IntFunction;

/**
 * The report's TLS part ({@code --parts tls}): TLS 1.3 {@code TLS_AES_128_GCM_SHA256} echo and
 * full handshakes per second, Weft (epoll, nio) against Netty's {@code SslHandler} with the JDK
 * provider and with OpenSSL (netty-tcnative BoringSSL), asyncio and uvloop {@code ssl}.
 *
 * <p><b>Method.</b> One self-signed EC P-256 certificate for every server. All servers start first,
 * pinned to CPU 0 as in the echo part; each is warmed up; then for each workload every server is run
 * in turn by one load generator process pinned to CPU 1 (order reversed on odd repetitions): the
 * native {@code tls_load.c} (OpenSSL, one thread over epoll) when it is built, else, saying why, the
 * Java {@link TlsLoadGen} (JDK {@code SSLSocket}, one thread per connection), whose record cost
 * equals a JDK server's and so bounds the faster servers; see {@link #generator}.
 * Server CPU per message is the server process's user and system time over the measured window
 * ({@link ProcStat}). Ratios are against {@code netty-jdk} measured in the same run. A cell where the
 * client used 90% or more of its CPU is marked client-bound: there the server's msgs/s is a lower
 * bound, its CPU per message still holds.
 *
 * <p><b>Output.</b> A {@code tls} object in {@code results.json} ({@code method, servers[],
 * workloads[], cells[]}) and one Markdown/HTML section, see {@link #sections}.
 */
final class TlsCell {
    /** One measured shape: C connections, S bytes, or full handshakes. */
    record Load(String id, String label, int connections, int size, boolean handshakes) {
    }

    static final List<Load> LOADS = List.of(
            new Load("100x1KiB", "100 connections × 1 KiB ping-pong", 100, 1024, false),
            new Load("10x100KiB", "10 connections × 100 KiB ping-pong", 10, 100 * 1024, false),
            new Load("handshakes", "full handshakes/s, new connection per 64 B request (16 clients)", 16, 64, true));
    static final String REFERENCE = "netty-jdk";
    /** What the section says of Netty-JDK's slow start of the 100-connection cell (bench/README.md). */
    static final String NETTY_JDK_NOTE = "Netty-JDK spends more server CPU per full handshake than Weft over the same JDK "
            + "SSLEngine (the handshakes row's user µs/msg; same certificate and key exchange, one event loop each), so the "
            + "100x1KiB cell, which opens its 100 connections at once and warms up once all have handshaken, waits longest "
            + "for it on a cold server; no connection stalls.";
    private static final List<String> QUICK_SERVERS = List.of("weft-epoll", "weft-nio", "netty-jdk", "netty-openssl");

    /**
     * What the part runs: {@code loads} in the order they run, {@code reps} rounds in which every
     * server runs each load once, {@code firstWarmupS} seconds of warm-up before the first load's
     * measured window on each server (it compiles the server's handshake and record paths, so the
     * later loads need only {@code warmupS}), {@code durationS} seconds measured per run.
     */
    record Plan(List<Load> loads, int reps, int firstWarmupS, int warmupS, int durationS, int jitWarmupS) {
        static Plan of(boolean quick) {
            // Handshakes first: 3 s of them warm the handshake path. A JVM server also runs every
            // load for jitWarmupS before the first measured run: with one 1 s warm-up per cell its
            // record path was still being compiled, and the JIT's own CPU time counted as the
            // server's (100x1KiB at 30-90 user us/msg cold against 4-7 warm, for Weft and Netty alike).
            // Netty-JDK needs the longer of the two: after 4 s per load it still ran 100x1KiB at
            // about half the rate it reaches after 8. Two rounds, so that each cell shows its spread:
            // this machine's runs land in a fast or a slow mode (see the slow-mode note), and one
            // run per cell cannot tell a server's difference from the mode it happened to get.
            return quick ? new Plan(List.of(LOADS.get(0)), 1, 1, 1, 1, 0)
                    : new Plan(List.of(LOADS.get(2), LOADS.get(0), LOADS.get(1)), 2, 3, 1, 2, 8);
        }

        /** Warm-up seconds before run {@code index} (0-based over the loads) of round {@code rep}. */
        int warmupBefore(int rep, int index) {
            return rep == 0 && index == 0 ? firstWarmupS : warmupS;
        }

        /**
         * Seconds the part takes with {@code servers} servers: about 1 s to start each, and per run its
         * warm-up and measured window plus about 1 s to start the client and make its connections.
         */
        double estimate(int servers) {
            return estimate(servers, servers);
        }

        /** As {@link #estimate(int)}, with {@code jvmServers} of them JVMs that get the JIT warm-up. */
        double estimate(int servers, int jvmServers) {
            double perServer = 0;
            for (int r = 0; r < reps; r++) {
                for (int i = 0; i < loads.size(); i++) {
                    perServer += warmupBefore(r, i) + durationS + 1;
                }
            }
            return servers * (1 + perServer) + jvmServers * loads.size() * (jitWarmupS > 0 ? jitWarmupS + 1 : 0);
        }

        /** The plan in the section's words. */
        String describe() {
            List<String> ids = new ArrayList<>();
            for (Load l : loads) {
                ids.add(l.id());
            }
            return reps + " round(s), each server running " + String.join(", then ", ids) + " in turn, "
                    + durationS + " s measured per run after " + warmupS + " s of warm-up (" + firstWarmupS
                    + " s before the first, which warms the server's handshake and record paths)"
                    + (jitWarmupS > 0 ? "; before that each JVM server runs every load for " + jitWarmupS
                    + " s, unmeasured, so that the JIT has compiled the record path before it is timed" : "");
        }
    }

    /** What the Java generator is, in the report's words. */
    static final String JAVA_GENERATOR = "tls-loadgen (JDK SSLSocket, one thread per connection)";

    /** The client that drives every cell: the native binary, or null for the Java one; in words. */
    record Generator(Path binary, String description) {
    }

    private TlsCell() {
    }

    /**
     * The client for {@code --loadgen auto|c|java}: {@code auto} the native one when it is built,
     * else the Java one with the reason; {@code c} fails when it is not built.
     */
    static Generator generator(String choice) {
        if (choice.equals("java")) {
            return new Generator(null, JAVA_GENERATOR + ", as asked (--loadgen java)");
        }
        NativeLoadGen.Found f = NativeLoadGen.findTls();
        if (f.available()) {
            return new Generator(f.binary(), f.version() + ", one thread, non-blocking OpenSSL over epoll");
        }
        if (choice.equals("c")) {
            throw new UsageException("report: --loadgen c: the native TLS generator is unavailable: " + f.unavailable());
        }
        return new Generator(null, JAVA_GENERATOR + "; the native one (tls_load.c) is unavailable: " + f.unavailable());
    }

    /** The TLS servers: available or not, each with its reason. {@code cert, key} are PEM paths. */
    static List<ServerSpec> discover(Path cert, Path key) {
        List<ServerSpec> out = new ArrayList<>();
        String java = Proc.javaBin();
        String jar = Proc.selfJar().toString();
        String jvm = "Java " + System.getProperty("java.runtime.version");
        StringBuilder why = new StringBuilder();
        for (String[] b : Servers.weftBackends(why)) {
            if (!b[0].equals("epoll") && !b[0].equals("nio")) {
                continue;
            }
            out.add(new ServerSpec("weft-" + b[0], "weft", true, jvmCommand(java, List.of("-jar", jar, "echo-server",
                    "--backend", b[0], "--tls", "--cert", cert.toString(), "--key", key.toString())), b[1],
                    "Weft " + Servers.benchVersion() + " TlsProtocol over JDK SSLEngine, " + jvm));
        }
        for (String provider : NettyTlsEcho.PROVIDERS) {
            Throwable cause = NettyTlsEcho.unavailability(provider);
            out.add(new ServerSpec("netty-" + provider, "netty", true, jvmCommand(java, List.of("-jar", jar, "netty-tls-echo",
                    "--provider", provider, "--cert", cert.toString(), "--key", key.toString())),
                    cause == null ? null : String.valueOf(cause),
                    "Netty " + Servers.nettyVersion() + " SslHandler, " + NettyTlsEcho.providerVersion(provider) + ", " + jvm));
        }
        Path py = Servers.pythonBin();
        for (String loop : List.of("asyncio", "uvloop")) {
            if (py == null) {
                out.add(new ServerSpec(loop, "python", false, port -> List.of(), "no python3 found (/usr/bin/python3 or PATH)", "-"));
                continue;
            }
            Proc.Result probe = Proc.run(List.of(py.toString(), "-c", "import ssl" + (loop.equals("uvloop") ? ", uvloop" : "")
                    + "; print(ssl.OPENSSL_VERSION" + (loop.equals("uvloop") ? " + ', uvloop ' + uvloop.__version__" : "") + ")"), 20);
            if (probe.exit() != 0) {
                out.add(new ServerSpec(loop, "python", false, port -> List.of(),
                        (loop.equals("uvloop") ? "uvloop or ssl" : "ssl") + " is not importable by " + py, "-"));
                continue;
            }
            Path script;
            try {
                script = Resources.extract("python/tls_echo.py");
            } catch (Exception e) {
                out.add(new ServerSpec(loop, "python", false, port -> List.of(), "cannot extract tls_echo.py: " + e.getMessage(), "-"));
                continue;
            }
            String pyVersion = Proc.run(List.of(py.toString(), "--version"), 10).out();
            out.add(new ServerSpec(loop, "python", false, port -> List.of(py.toString(), script.toString(), "--loop", loop,
                    "--cert", cert.toString(), "--key", key.toString(), "--port", String.valueOf(port)), null,
                    pyVersion + " " + loop + " ssl, " + probe.out()));
        }
        return out;
    }

    private static IntFunction<List<String>> jvmCommand(String java, List<String> args) {
        return port -> {
            List<String> cmd = new ArrayList<>(List.of(java));
            cmd.addAll(Servers.JVM_FLAGS);
            cmd.addAll(args);
            cmd.addAll(List.of("--port", String.valueOf(port)));
            return cmd;
        };
    }

    /**
     * Runs the part and returns its {@code tls} section, or {@code {"skipped": why}}.
     *
     * @param progress where each step is announced
     */
    static Map<String, Object> run(boolean quick, Path out, List<String> pinServer, List<String> pinClient, Generator gen,
                                   Consumer<String> progress) throws Exception {
        Path[] pem;
        try {
            pem = dev.weft.bench.weft.TlsSetup.selfSigned();
        } catch (Exception e) {
            return Report.skippedPart("no certificate: " + e.getMessage());
        }
        Plan plan = Plan.of(quick);
        progress.accept("tls: load generator: " + gen.description());
        List<ServerSpec> specs = discover(pem[0], pem[1]);
        List<Map<String, Object>> servers = new ArrayList<>();
        Map<String, ServerProcess> running = new LinkedHashMap<>();
        Map<String, Map<String, List<Map<String, Object>>>> runs = new LinkedHashMap<>();
        for (Load l : LOADS) {
            if (plan.loads().contains(l)) {
                // The table lists the loads in LOADS order, whatever order they run in.
                runs.put(l.id(), new LinkedHashMap<>());
            }
        }
        progress.accept("tls: plan: " + plan.describe());
        try {
            for (ServerSpec s : specs) {
                Map<String, Object> sm = new LinkedHashMap<>();
                sm.put("name", s.name());
                sm.put("version", s.version());
                servers.add(sm);
                if (quick && !QUICK_SERVERS.contains(s.name())) {
                    sm.put("measured", false);
                    sm.put("skipped", "left out of the quick run (the default run measures it)");
                    continue;
                }
                if (!s.available()) {
                    sm.put("measured", false);
                    sm.put("skipped", s.unavailable());
                    continue;
                }
                // One after another: JVMs starting together on the one server CPU can each miss the
                // start limit on a busy machine.
                progress.accept("tls: starting " + s.name());
                try {
                    running.put(s.name(), ServerProcess.start(s, pinServer, out.resolve("logs").resolve("tls-" + s.name() + ".log")));
                    sm.put("measured", true);
                } catch (IOException e) {
                    sm.put("measured", false);
                    sm.put("skipped", "did not start: " + e.getMessage());
                }
            }
            if (running.get(REFERENCE) == null) {
                progress.accept("tls: " + REFERENCE + " is not running; the cells have no ratios");
            }
            List<String> names = new ArrayList<>(running.keySet());
            if (plan.jitWarmupS() > 0) {
                for (String n : names) {
                    ServerProcess sp = running.get(n);
                    if (!sp.spec.jvm()) {
                        continue;
                    }
                    for (Load l : plan.loads()) {
                        progress.accept("tls: JIT warm-up of " + n + " on " + l.id() + " (" + plan.jitWarmupS() + " s)");
                        loadgen(gen, sp, l, pem[0], 0, plan.jitWarmupS(), pinClient, out);
                    }
                }
            }
            for (int r = 0; r < plan.reps(); r++) {
                for (int li = 0; li < plan.loads().size(); li++) {
                    Load l = plan.loads().get(li);
                    List<String> order = new ArrayList<>(names);
                    if (r % 2 == 1) {
                        Collections.reverse(order);
                    }
                    for (String n : order) {
                        ServerProcess sp = running.get(n);
                        if (!sp.process.isAlive()) {
                            progress.accept("tls: " + n + " exited (" + sp.process.exitValue() + "); restarting it");
                            sp = ServerProcess.start(sp.spec, pinServer, out.resolve("logs").resolve("tls-" + n + ".log"));
                            running.put(n, sp);
                        }
                        Map<String, Object> res = loadgen(gen, sp, l, pem[0], plan.warmupBefore(r, li), plan.durationS(),
                                pinClient, out);
                        runs.computeIfAbsent(l.id(), k -> new LinkedHashMap<>()).computeIfAbsent(n, k -> new ArrayList<>()).add(res);
                        progress.accept(String.format(Locale.ROOT, "tls %-10s %-14s rep %d/%d: %s", l.id(), n, r + 1, plan.reps(),
                                res.containsKey("error") ? "FAILED: " + res.get("error")
                                        : String.format(Locale.ROOT, "%,.0f msgs/s", Report.num(res, "msgs_per_s"))));
                    }
                }
            }
        } finally {
            for (ServerProcess sp : running.values()) {
                sp.close();
            }
        }
        Map<String, Object> sec = new LinkedHashMap<>();
        sec.put("method", method(plan, gen));
        List<Map<String, Object>> workloads = new ArrayList<>();
        for (Load l : LOADS) {
            if (!plan.loads().contains(l)) {
                continue;
            }
            workloads.add(new LinkedHashMap<>(Map.of("id", l.id(), "label", l.label())));
        }
        sec.put("load_generator", gen.description());
        sec.put("workloads", workloads);
        sec.put("servers", servers);
        sec.put("cells", cells(runs));
        return sec;
    }

    /** The part's method, naming the client that drove every cell. */
    static String method(Plan plan, Generator gen) {
        return "TLS 1.3 " + TlsLoadGen.SUITE + " (the client offers only that), one self-signed EC P-256 certificate; "
                + "servers pinned to CPU 0, the load generator on CPU 1: " + gen.description() + "; "
                + plan.describe() + "; about " + Math.round(plan.estimate(6, 4)) + " s with six servers, four of them JVMs"
                + ". Handshakes: each request is a new connection with a full handshake ("
                + (gen.binary() != null ? "the client caches and offers no session" : "the client invalidates each session")
                + ", so none resumes). CPU per message: server user and system time over the measured window / messages.";
    }

    /** The command line of one run of {@code gen} against {@code port} (server process {@code pid}). */
    static List<String> command(Generator gen, int port, Load l, Path ca, int warmup, int duration, long pid) {
        List<String> cmd = new ArrayList<>();
        if (gen.binary() != null) {
            cmd.add(gen.binary().toString());
        } else {
            cmd.addAll(List.of(Proc.javaBin(), "-Xmx512m", "-XX:+UseParallelGC", "-jar", Proc.selfJar().toString(), "tls-loadgen"));
        }
        cmd.addAll(List.of("--port", String.valueOf(port), "--connections", String.valueOf(l.connections()),
                "--size", String.valueOf(l.size()), "--duration", String.valueOf(duration), "--warmup", String.valueOf(warmup),
                "--pid", String.valueOf(pid), "--ca", ca.toString()));
        if (l.handshakes()) {
            cmd.add("--handshakes");
        }
        return cmd;
    }

    private static Map<String, Object> loadgen(Generator gen, ServerProcess sp, Load l, Path ca, int warmup, int duration,
                                               List<String> pinClient, Path out) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(pinClient);
        cmd.addAll(command(gen, sp.port, l, ca, warmup, duration, sp.pid()));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.appendTo(out.resolve("logs")
                .resolve("tls-loadgen.log").toFile())).start();
        p.getOutputStream().close();
        // A client stuck in a handshake must not stall the report: past its limit it is killed,
        // which ends the read below.
        long limitS = duration + warmup + 60L;
        Thread watchdog = new Thread(() -> {
            try {
                if (!p.waitFor(limitS, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
            }
        }, "tls-loadgen-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
        String json = null;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                if (line.startsWith("{")) {
                    json = line;
                }
            }
        }
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
            p.destroyForcibly();
        }
        String kind = gen.binary() != null ? "c" : "java";
        if (json == null) {
            Map<String, Object> res = new LinkedHashMap<>();
            res.put("generator", kind);
            res.put("error", "the " + kind + " load generator printed no result (exit " + (p.isAlive() ? "none" : p.exitValue())
                    + "; see logs/tls-loadgen.log)");
            return res;
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> parsed = (Map<String, Object>) Json.parse(json);
        parsed.putIfAbsent("generator", kind);
        return parsed;
    }

    /** One cell per workload and server: medians over repetitions and ratios to {@value #REFERENCE}. */
    static List<Object> cells(Map<String, Map<String, List<Map<String, Object>>>> runs) {
        List<Object> out = new ArrayList<>();
        for (Map.Entry<String, Map<String, List<Map<String, Object>>>> w : runs.entrySet()) {
            Map<String, Map<String, Object>> byServer = new LinkedHashMap<>();
            for (Map.Entry<String, List<Map<String, Object>>> s : w.getValue().entrySet()) {
                List<Map<String, Object>> ok = new ArrayList<>();
                List<Object> errors = new ArrayList<>();
                for (Map<String, Object> r : s.getValue()) {
                    if (r.containsKey("error")) {
                        errors.add(r.get("error"));
                    } else {
                        ok.add(r);
                    }
                }
                Map<String, Object> c = new LinkedHashMap<>();
                c.put("workload", w.getKey());
                c.put("server", s.getKey());
                c.put("repetitions", s.getValue().size());
                c.put("msgs_per_s", median(ok, "msgs_per_s"));
                c.put("user_us_per_msg", median(ok, "server_cpu", "user_us_per_msg"));
                c.put("sys_us_per_msg", median(ok, "server_cpu", "sys_us_per_msg"));
                c.put("p50_us", median(ok, "latency_us", "p50"));
                c.put("p99_us", median(ok, "latency_us", "p99"));
                c.put("client_util", median(ok, "client_cpu", "util"));
                c.put("client_bound", ok.stream().anyMatch(r -> Boolean.TRUE.equals(ReportWriter.map(r.get("client_cpu")).get("saturated"))));
                c.put("negotiated", ok.isEmpty() ? null : ok.get(0).get("negotiated"));
                c.put("generator", s.getValue().isEmpty() ? null : s.getValue().get(0).get("generator"));
                c.put("errors", errors);
                c.put("runs", s.getValue());
                byServer.put(s.getKey(), c);
            }
            Map<String, Object> ref = byServer.get(REFERENCE);
            for (Map<String, Object> c : byServer.values()) {
                c.put("msgs_per_s_vs_netty_jdk", ratio(c, ref, "msgs_per_s"));
                c.put("user_per_msg_vs_netty_jdk", ratio(c, ref, "user_us_per_msg"));
                out.add(c);
            }
        }
        return out;
    }

    private static Double ratio(Map<String, Object> c, Map<String, Object> ref, String key) {
        Double a = Report.num(c, key);
        Double b = ref == null ? null : Report.num(ref, key);
        return a == null || b == null || b == 0 ? null : a / b;
    }

    private static Double median(List<Map<String, Object>> runs, String... path) {
        List<Double> v = new ArrayList<>();
        for (Map<String, Object> r : runs) {
            Double d = Report.num(r, path);
            if (d != null) {
                v.add(d);
            }
        }
        if (v.isEmpty()) {
            return null;
        }
        Collections.sort(v);
        int n = v.size();
        return n % 2 == 1 ? v.get(n / 2) : (v.get(n / 2 - 1) + v.get(n / 2)) / 2;
    }

    /** The part's table for report.md and index.html; none when it did not run. */
    static List<ReportWriter.Section> sections(Map<String, Object> doc) {
        Map<String, Object> tls = ReportWriter.map(doc.get("tls"));
        if (tls.isEmpty() || tls.get("skipped") != null) {
            return List.of();
        }
        Map<String, String> labels = new LinkedHashMap<>();
        for (Map<String, Object> w : ReportWriter.list(tls.get("workloads"))) {
            labels.put(String.valueOf(w.get("id")), String.valueOf(w.get("label")));
        }
        List<List<String>> rows = new ArrayList<>();
        boolean anyClientBound = false;
        for (Map<String, Object> c : ReportWriter.list(tls.get("cells"))) {
            boolean bound = Boolean.TRUE.equals(c.get("client_bound"));
            anyClientBound |= bound;
            List<Object> errs = ReportWriter.listOf(c.get("errors"));
            rows.add(List.of(String.valueOf(c.get("workload")), String.valueOf(c.get("server")),
                    f(Report.num(c, "msgs_per_s"), 0), f(Report.num(c, "msgs_per_s_vs_netty_jdk"), 2),
                    f(Report.num(c, "user_us_per_msg"), 2), f(Report.num(c, "user_per_msg_vs_netty_jdk"), 2),
                    f(Report.num(c, "sys_us_per_msg"), 2),
                    f(Report.num(c, "p50_us"), 0) + " / " + f(Report.num(c, "p99_us"), 0),
                    f(Report.num(c, "client_util") == null ? null : 100 * Report.num(c, "client_util"), 0) + "%"
                            + (bound ? " (client-bound)" : ""),
                    errs == null || errs.isEmpty() ? "" : String.valueOf(errs.get(0))));
        }
        StringBuilder note = new StringBuilder(String.valueOf(tls.get("method"))).append(" Workloads: ");
        List<String> wl = new ArrayList<>();
        labels.forEach((id, label) -> wl.add(id + " = " + label));
        note.append(String.join("; ", wl)).append(". Servers: ");
        List<String> sv = new ArrayList<>();
        for (Map<String, Object> sp : ReportWriter.list(tls.get("servers"))) {
            sv.add(sp.get("name") + " (" + sp.get("version") + (Boolean.TRUE.equals(sp.get("measured")) ? ")" : "; skipped: " + sp.get("skipped") + ")"));
        }
        note.append(String.join("; ", sv)).append('.');
        note.append(" ").append(NETTY_JDK_NOTE);
        if (anyClientBound) {
            note.append(" Cells marked client-bound had the load generator at 90% or more of its CPU: their msgs/s is the "
                    + "client's limit, a lower bound for the server; server CPU per message still compares.");
        }
        return List.of(new ReportWriter.Section("TLS 1.3 echo and handshakes", note.toString(),
                List.of("workload", "server", "msgs/s", "× Netty-JDK", "user µs/msg", "user × Netty-JDK", "sys µs/msg",
                        "latency p50 / p99 µs", "client CPU", "notes"), rows, List.of()));
    }

    private static String f(Double d, int digits) {
        return d == null ? "-" : String.format(Locale.ROOT, "%,." + digits + "f", d);
    }
}
