package dev.weft.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * {@code report [--quick] [--out DIR] [--loadgen auto|c|java]}: runs every TCP echo workload
 * against every available echo server (Weft backends and peers) and writes {@code results.json},
 * {@code report.md}, {@code index.html} and charts into DIR.
 *
 * <p><b>Method.</b> All servers are started first, pinned to one core (taskset); idle ones sleep in
 * their poller. Each is warmed up, then repetitions run interleaved: in each repetition every
 * workload visits every server, in an order that alternates direction between repetitions
 * (A B C, C B A, ...), so drift of the shared machine spreads evenly. The load generator runs as a
 * separate process pinned to the other core: the native one ({@link NativeLoadGen}) where gcc
 * built it, else the Java one ({@link LoadGen}); {@code --loadgen} picks the TLS part's client the
 * same way ({@link TlsCell#generator}). Cells report medians and min–max over
 * repetitions; a cell whose spread is at least its gap to another server claims no ranking
 * against it ({@link #rank}).
 */
final class Report {
    static final String SCHEMA = "weft-report/2";
    /** Seconds for the TCP echo matrix; the rest of the 3- and 20-minute totals is for the other parts. */
    static final int QUICK_BUDGET_S = 85;
    static final int FULL_BUDGET_S = 800;
    static final List<String> PARTS = List.of("echo", "timers", "http", "jmh", "udp", "tls", LoopsPart.KEY, "process");

    /** Repetitions, warm-up and measured seconds of the HTTP cell. */
    record HttpPlan(int reps, int warmupS, int durationS) {
        static HttpPlan of(boolean quick) {
            return quick ? new HttpPlan(1, 1, 2) : new HttpPlan(3, 2, 5);
        }

        double estimate(int servers) {
            return servers * (1.0 + warmupS + 0.3) + reps * servers * (durationS + 0.3);
        }
    }

    /** Measured repetitions of the timers cell (after one warm-up in the same JVM). */
    static int timerReps(boolean quick) {
        return quick ? 1 : 3;
    }

    /** Seconds the timers cell takes: one JVM per implementation. */
    static double timersEstimate(boolean quick) {
        return TimerCell.IMPLS.size() * (quick ? 3.5 : 8.0);
    }

    /**
     * Benchmark, mode and parameter combinations the JMH suite runs for {@code backends} Weft
     * backends, TaskBench aside: one progress step each (counted from the packed benchmark list).
     */
    static int jmhCombinations(int backends) {
        return Jmh.runs(null, Jmh.Settings.of(false), backends, false).suite();
    }

    /**
     * TaskBench's benchmark and mode combinations (a run of its own, see {@link Jmh#runSuite}; quick:
     * awaitResume only): both modes where a JDK 21+ runs its forks, else hand-off only.
     */
    static int taskCombinations(boolean quick) {
        return Jmh.runs(null, Jmh.Settings.of(quick), 1, Jmh.taskJvm().java() != null).tasks();
    }

    /** Seconds the JMH part takes: the suite, then TaskBench with its own settings. */
    static double jmhEstimate(int backends, boolean quick) {
        Jmh.Settings s = Jmh.Settings.of(quick);
        return jmhCombinations(backends) * s.secondsPerBenchmark() + taskCombinations(quick) * Jmh.Settings.tasks(s).secondsPerBenchmark();
    }
    /** Seconds each Java load generator run costs beyond warm-up and measurement (JVM start, connect). */
    static final double RUN_OVERHEAD_S = 1.2;
    /** The same for the native generator (process start, connect, allocation reads of JVM servers). */
    static final double NATIVE_RUN_OVERHEAD_S = 0.3;

    record Plan(int reps, int warmupS, int durationS, int serverWarmupS) {
    }

    private final List<String> pinServer;
    private final List<String> pinClient;
    private final boolean pinned;
    private final Path out;
    /** The native generator's binary, or null when the Java one drives the servers. */
    private Path nativeGen;
    private String generator = "";
    /** The TLS part's client, chosen with {@code --loadgen}; null when the part does not run. */
    private TlsCell.Generator tlsGen;
    private long started;
    private int step;
    private int steps;

    private Report(Path out) {
        this.out = out;
        int cores = Runtime.getRuntime().availableProcessors();
        boolean taskset = Proc.which("taskset") != null;
        pinned = cores >= 2 && taskset;
        pinServer = pinned ? List.of("taskset", "-c", "0") : List.of();
        pinClient = pinned ? List.of("taskset", "-c", "1") : List.of();
    }

    /** {@link #plan(boolean, int, int, double)} for the native generator. */
    static Plan plan(boolean quick, int cellsPerRep, int servers) {
        return plan(quick, cellsPerRep, servers, NATIVE_RUN_OVERHEAD_S);
    }

    /**
     * Picks repetitions, warm-up and duration for {@code cellsPerRep} cells per repetition so the
     * whole run fits the budget, given what each run costs beyond its seconds of load. Quick: one
     * repetition of 1 s. Default: 5 repetitions (3 with the Java generator), enough to show a
     * cell's modes on a machine where a cell lands in one of two; the seconds per run shrink first
     * (to 2 s measured, 1 s warm-up), then the repetitions (to 3), then the seconds again.
     */
    static Plan plan(boolean quick, int cellsPerRep, int servers, double runOverheadS) {
        boolean nativeGen = runOverheadS < RUN_OVERHEAD_S;
        int reps = quick ? 1 : nativeGen ? 5 : 3;
        int warm = quick ? 0 : nativeGen ? 1 : 2; // quick: the servers were warmed up once already
        int serverWarm = quick ? 1 : 3;
        int budget = quick ? QUICK_BUDGET_S : FULL_BUDGET_S;
        int duration = quick ? 1 : nativeGen ? 3 : 5;
        while (duration > 2 && estimate(reps, warm, duration, serverWarm, cellsPerRep, servers, runOverheadS) > budget) {
            duration--;
        }
        while (warm > 1 && estimate(reps, warm, duration, serverWarm, cellsPerRep, servers, runOverheadS) > budget) {
            warm--;
        }
        while (reps > 3 && estimate(reps, warm, duration, serverWarm, cellsPerRep, servers, runOverheadS) > budget) {
            reps--;
        }
        while (duration > 1 && estimate(reps, warm, duration, serverWarm, cellsPerRep, servers, runOverheadS) > budget) {
            duration--;
        }
        while (reps > 1 && estimate(reps, warm, duration, serverWarm, cellsPerRep, servers, runOverheadS) > budget) {
            reps--;
        }
        return new Plan(reps, warm, duration, serverWarm);
    }

    /** {@link #estimate(int, int, int, int, int, int, double)} for the native generator. */
    static double estimate(int reps, int warm, int duration, int serverWarm, int cellsPerRep, int servers) {
        return estimate(reps, warm, duration, serverWarm, cellsPerRep, servers, NATIVE_RUN_OVERHEAD_S);
    }

    static double estimate(int reps, int warm, int duration, int serverWarm, int cellsPerRep, int servers, double runOverheadS) {
        return reps * cellsPerRep * (warm + duration + runOverheadS)
                + servers * (serverWarm + runOverheadS + 1.5);
    }

    static int run(String[] argv, int from) throws Exception {
        Args a = Args.parse("report", argv, from, Set.of("out", "servers", "workloads", "reps", "duration", "warmup", "parts", "loadgen"),
                Set.of("quick")).expectPositional(0, "");
        boolean quick = a.flag("quick");
        Path out = Path.of(a.string("out", "weft-report")).toAbsolutePath();
        List<String> onlyServers = a.string("servers", null) == null ? null : Arrays.asList(a.string("servers", "").split(","));
        List<String> onlyWorkloads = a.string("workloads", null) == null ? null : Arrays.asList(a.string("workloads", "").split(","));
        List<String> parts = a.string("parts", null) == null ? PARTS : Arrays.asList(a.string("parts", "").split(","));
        for (String part : parts) {
            if (!PARTS.contains(part)) {
                throw new UsageException("report: --parts takes names from " + PARTS + ", got '" + part + "'");
            }
        }
        List<Workload> workloads = new ArrayList<>();
        for (Workload w : Workload.TCP_ECHO) {
            if (!parts.contains("echo")) {
                break;
            }
            if (onlyWorkloads == null ? !quick || Workload.QUICK.contains(w.id()) : onlyWorkloads.contains(w.id())) {
                workloads.add(w);
            }
        }
        if (onlyWorkloads != null && workloads.size() != onlyWorkloads.size()) {
            throw new UsageException("report: --workloads takes ids from " + Workload.TCP_ECHO.stream().map(Workload::id).toList()
                    + ", got " + onlyWorkloads);
        }
        String loadgen = a.choice("loadgen", "auto", List.of("auto", "c", "java"));
        System.setProperty("java.awt.headless", "true");
        Files.createDirectories(out.resolve("logs"));
        Report report = new Report(out);
        if (parts.contains("echo") && !loadgen.equals("java")) {
            NativeLoadGen.Found f = NativeLoadGen.find();
            if (f.available()) {
                report.nativeGen = f.binary();
                report.generator = f.version();
            } else if (loadgen.equals("c")) {
                throw new UsageException("report: --loadgen c: the native generator is unavailable: " + f.unavailable());
            } else {
                report.generator = "Java (weft-bench loadgen); the native one is unavailable: " + f.unavailable();
            }
        } else {
            report.generator = "Java (weft-bench loadgen), as asked (--loadgen java)";
        }
        report.tlsGen = parts.contains("tls") ? TlsCell.generator(loadgen) : null;
        return report.execute(quick, parts, onlyServers, workloads,
                a.string("reps", null) == null ? null : a.integer("reps", null, 1, 20),
                a.string("duration", null) == null ? null : a.integer("duration", null, 1, 600),
                a.string("warmup", null) == null ? null : a.integer("warmup", null, 0, 600));
    }

    private int execute(boolean quick, List<String> parts, List<String> onlyServers, List<Workload> workloads,
                        Integer repsOverride, Integer durationOverride, Integer warmupOverride) throws Exception {
        started = System.nanoTime();
        progress("finding servers (Weft backends and peers)");
        progress(Uvloop.ensure(Servers.pythonBin()));
        List<ServerSpec> all = Servers.discover();
        if (onlyServers != null) {
            for (String s : onlyServers) {
                if (all.stream().noneMatch(x -> x.name().equals(s))) {
                    throw new UsageException("report: --servers: unknown server '" + s + "' (see 'peers')");
                }
            }
        }
        Map<String, String> skipped = new LinkedHashMap<>();
        List<ServerSpec> chosen = new ArrayList<>();
        for (ServerSpec s : all) {
            if ((onlyServers != null && !onlyServers.contains(s.name())) || workloads.isEmpty()) {
                continue;
            }
            if (s.available()) {
                chosen.add(s);
            } else {
                skipped.put(s.name(), s.unavailable());
            }
        }
        double overhead = nativeGen != null ? NATIVE_RUN_OVERHEAD_S : RUN_OVERHEAD_S;
        Plan p = plan(quick, workloads.size() * Math.max(1, chosen.size()), chosen.size(), overhead);
        p = new Plan(repsOverride != null ? repsOverride : p.reps(), warmupOverride != null ? warmupOverride : p.warmupS(),
                durationOverride != null ? durationOverride : p.durationS(), p.serverWarmupS());
        steps = chosen.size() * 2 + p.reps() * workloads.size() * chosen.size();
        planned = estimate(p.reps(), p.warmupS(), p.durationS(), p.serverWarmupS(), workloads.size() * chosen.size(), chosen.size(), overhead);
        progress(String.format("plan: TCP echo: %d servers × %d workloads × %d repetitions, %d s warm-up + %d s measured per run, about %s; "
                        + "load generator: %s", chosen.size(), workloads.size(), p.reps(), p.warmupS(), p.durationS(), fmt((long) planned), generator));
        int backends = Jmh.backends().size();
        HttpPlan hp = HttpPlan.of(quick);
        int httpServers = 0;
        List<ServerSpec> httpSpecs = List.of();
        if (parts.contains("http") && Proc.which("wrk") != null) {
            httpSpecs = HttpCell.discover();
            httpServers = (int) httpSpecs.stream().filter(ServerSpec::available).count();
        }
        if (parts.contains("timers")) {
            steps += TimerCell.IMPLS.size();
            planned += timersEstimate(quick);
        }
        if (httpServers > 0) {
            steps += httpServers * (2 + hp.reps());
            planned += hp.estimate(httpServers);
        }
        if (parts.contains("tls")) {
            planned += TlsCell.Plan.of(quick).estimate(quick ? 4 : 6, 4);
        }
        if (parts.contains(LoopsPart.KEY)) {
            planned += LoopsPart.estimate(quick);
        }
        if (parts.contains("jmh")) {
            steps += jmhCombinations(backends) + taskCombinations(quick);
            planned += jmhEstimate(backends, quick);
        }
        if (parts.contains("udp")) {
            planned += UdpPart.Plan.of(quick).estimate(8);
        }
        if (parts.contains("process")) {
            planned += ProcessPart.estimate(quick);
        }
        progress(String.format("plan: all parts (%s) about %s", String.join(", ", parts), fmt((long) planned)));

        Map<String, ServerProcess> running = new LinkedHashMap<>();
        Map<String, List<Map<String, Object>>> runs = new LinkedHashMap<>();
        try {
            for (ServerSpec s : chosen) {
                step++;
                progress("starting " + s.name());
                try {
                    running.put(s.name(), ServerProcess.start(s, pinServer, out.resolve("logs").resolve(s.name() + ".log")));
                } catch (IOException e) {
                    skipped.put(s.name(), "did not start: " + e.getMessage());
                }
            }
            for (ServerProcess sp : running.values()) {
                step++;
                progress("warming up " + sp.spec.name() + " (" + p.serverWarmupS() + " s of 100 × 64 B)");
                loadgen(sp, new Workload("warmup", "warm-up", 100, 64, 1), 0, p.serverWarmupS());
            }
            List<String> names = new ArrayList<>(running.keySet());
            for (int r = 0; r < p.reps(); r++) {
                for (Workload w : workloads) {
                    List<String> order = new ArrayList<>(names);
                    if (r % 2 == 1) {
                        java.util.Collections.reverse(order);
                    }
                    for (String n : order) {
                        step++;
                        ServerProcess sp = running.get(n);
                        if (!sp.process.isAlive()) {
                            progress(n + " exited (" + sp.process.exitValue() + "); restarting it");
                            sp = ServerProcess.start(sp.spec, pinServer, out.resolve("logs").resolve(n + ".log"));
                            running.put(n, sp);
                        }
                        Map<String, Object> res = loadgen(sp, w, p.warmupS(), p.durationS());
                        res.put("repetition", r + 1);
                        runs.computeIfAbsent(w.id() + "|" + n, k -> new ArrayList<>()).add(res);
                        progress(String.format("%-10s %-15s rep %d/%d: %s", w.id(), n, r + 1, p.reps(), summary(res)));
                    }
                }
            }
        } finally {
            for (ServerProcess sp : running.values()) {
                sp.close();
            }
        }
        Map<String, Object> timers = parts.contains("timers") ? runTimers(quick) : skippedPart("not selected (--parts)");
        Map<String, Object> http = parts.contains("http") ? runHttp(quick, hp, httpSpecs) : skippedPart("not selected (--parts)");
        Map<String, Object> jmh = parts.contains("jmh") ? runJmh(quick) : skippedPart("not selected (--parts)");
        Map<String, Object> udp = parts.contains("udp") ? UdpPart.run(quick, out, this::progress) : skippedPart("not selected (--parts)");
        Map<String, Object> tls = parts.contains("tls") ? TlsCell.run(quick, out, pinServer, pinClient, tlsGen, this::progress)
                : skippedPart("not selected (--parts)");
        Map<String, Object> loops = parts.contains(LoopsPart.KEY) ? LoopsPart.run(quick, out.resolve("logs"), this::progress)
                : skippedPart("not selected (--parts)");
        Map<String, Object> process = parts.contains("process") ? ProcessPart.run(quick, out, this::progress) : skippedPart("not selected (--parts)");
        Map<String, Object> results = results(quick, p, all, chosen, skipped, workloads, runs);
        ReportWriter.map(results.get("method")).put("load_generator", generator);
        results.put("timers", timers);
        results.put("http", http);
        results.put("jmh", jmh);
        results.put("udp", udp);
        results.put("tls", tls);
        results.put(LoopsPart.KEY, loops);
        results.put("process", process);
        List<Object> notMeasured = ReportWriter.listOf(results.get("not_measured"));
        if (quick && parts.contains("echo")) {
            List<String> left = new ArrayList<>();
            for (Workload w : Workload.TCP_ECHO) {
                if (workloads.stream().noneMatch(x -> x.id().equals(w.id()))) {
                    left.add(w.id());
                }
            }
            if (!left.isEmpty()) {
                notMeasured.add(0, Map.of("what", "TCP echo " + String.join(", ", left),
                        "reason", "left out of the quick run to keep it within 3 minutes; the default run measures them"));
            }
        }
        Map<String, Map<String, Object>> sections = new LinkedHashMap<>();
        sections.put("timers (schedule+cancel, expiry of 1M)", timers);
        sections.put("HTTP/1.1 keep-alive plaintext", http);
        sections.put("JMH suite", jmh);
        sections.put("UDP echo", udp);
        sections.put("TLS echo and handshakes", tls);
        sections.put(LoopsPart.TITLE, loops);
        sections.put("subprocesses (spawn rate, pipe throughput)", process);
        for (Map.Entry<String, Map<String, Object>> e : sections.entrySet()) {
            if (e.getValue().get("skipped") != null) {
                notMeasured.add(Map.of("what", e.getKey(), "reason", e.getValue().get("skipped")));
            }
        }
        progress("writing " + out);
        // What is written is what is read back: check the document as a reader of the file sees it.
        List<String> problems = ResultsSchema.validate(Json.parse(Json.write(results)));
        if (!problems.isEmpty()) {
            throw new IllegalStateException("results do not match " + SCHEMA + ": " + problems);
        }
        ReportWriter.write(out, results);
        progress("done: " + out.resolve("index.html"));
        return 0;
    }

    private double planned;

    private static String summary(Map<String, Object> res) {
        if (res.containsKey("error")) {
            return "FAILED: " + res.get("error");
        }
        Object m = res.get("msgs_per_s");
        return String.format("%,.0f msgs/s", m instanceof Number ? ((Number) m).doubleValue() : Double.NaN);
    }

    private void progress(String what) {
        long el = (System.nanoTime() - started) / 1_000_000_000L;
        String left = "";
        if (planned > 0) {
            left = ", ~" + fmt(Math.max(0, (long) planned - el)) + " left";
        }
        String count = steps > 0 ? "[" + step + "/" + steps + "] " : "";
        System.err.println(count + what + "  (" + fmt(el) + " elapsed" + left + ")");
        System.err.flush();
    }

    static String fmt(long secs) {
        return secs >= 60 ? String.format("%dm%02ds", secs / 60, secs % 60) : secs + "s";
    }

    /** Runs the load generator once against {@code sp}; the JSON it printed, plus allocation. */
    private Map<String, Object> loadgen(ServerProcess sp, Workload w, int warmup, int duration) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(pinClient);
        if (nativeGen != null) {
            cmd.addAll(NativeLoadGen.command(nativeGen, sp.port, w, warmup, duration, sp.pid()));
        } else {
            cmd.addAll(List.of(Proc.javaBin(), "-Xmx512m", "-XX:+UseParallelGC", "-jar", Proc.selfJar().toString(), "loadgen",
                    "--port", String.valueOf(sp.port), "--connections", String.valueOf(w.connections()),
                    "--size", String.valueOf(w.size()), "--pipeline", String.valueOf(w.pipeline()),
                    "--duration", String.valueOf(duration), "--warmup", String.valueOf(warmup),
                    "--pid", String.valueOf(sp.pid()), "--markers"));
        }
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.appendTo(out.resolve("logs").resolve("loadgen.log").toFile())).start();
        p.getOutputStream().close();
        long a0 = -1;
        long a1 = -1;
        String json = null;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String l;
            while ((l = r.readLine()) != null) {
                if (l.equals("measure-start")) {
                    a0 = sp.allocatedBytes();
                } else if (l.equals("measure-end")) {
                    a1 = sp.allocatedBytes();
                } else if (l.startsWith("{")) {
                    json = l;
                }
            }
        }
        if (!p.waitFor(duration + warmup + 60L, TimeUnit.SECONDS)) {
            p.destroyForcibly();
        }
        Map<String, Object> res;
        if (json == null) {
            res = new LinkedHashMap<>();
            res.put("error", "loadgen printed no result (exit " + (p.isAlive() ? "none" : p.exitValue()) + "; see logs/loadgen.log)");
            return res;
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> parsed = (Map<String, Object>) Json.parse(json);
        res = parsed;
        Object msgs = res.get("messages");
        if (a0 >= 0 && a1 >= a0 && msgs instanceof Number && ((Number) msgs).longValue() > 0) {
            res.put("alloc_bytes_per_msg", (a1 - a0) / ((Number) msgs).doubleValue());
        }
        return res;
    }

    static Map<String, Object> skippedPart(String why) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("skipped", why);
        return m;
    }

    /** The timers cell: one pinned JVM per implementation running {@code timers}. */
    private Map<String, Object> runTimers(boolean quick) {
        int reps = timerReps(quick);
        List<Map<String, Object>> lines = new ArrayList<>();
        Map<String, Object> errors = new LinkedHashMap<>();
        for (String impl : TimerCell.IMPLS) {
            step++;
            progress("timers: " + impl + " (1M timers: schedule+cancel, expiry; warm-up + " + reps + " repetition(s))");
            List<String> cmd = new ArrayList<>(pinServer);
            cmd.add(Proc.javaBin());
            cmd.addAll(Servers.JVM_FLAGS);
            cmd.addAll(List.of("-jar", Proc.selfJar().toString(), "timers", "--impl", impl, "--reps", String.valueOf(reps)));
            Proc.Result r = Proc.run(cmd, 300);
            int got = 0;
            for (String l : r.out().split("\n")) {
                if (l.startsWith("{")) {
                    @SuppressWarnings("unchecked")
                    Map<String, Object> m = (Map<String, Object>) Json.parse(l);
                    lines.add(m);
                    got++;
                }
            }
            if (r.exit() != 0 || got == 0) {
                errors.put(impl, "exit " + r.exit() + ": " + (r.out().length() > 300 ? r.out().substring(0, 300) : r.out()));
            }
        }
        Map<String, Object> sec = new LinkedHashMap<>();
        sec.put("count", 1_000_000);
        sec.put("repetitions", reps);
        sec.put("method", "one JVM per implementation (" + String.join(" ", Servers.JVM_FLAGS) + ")"
                + (pinned ? ", pinned to CPU 0" : "") + "; a warm-up repetition, then the median of the measured ones. "
                + "schedule_cancel: 1M timers 1-2 s ahead in random order, then cancelled in schedule order (op = schedule + cancel). "
                + "expiry: 1M timers due within 10 ms in random order, until every callback ran (op = schedule + fire). "
                + "Weft and Netty's loop work on the loop thread; HashedWheelTimer (1 ms tick) is fed from the main thread "
                + "and its worker fires and removes (both threads counted, both on the same CPU). "
                + "Allocation: ThreadMXBean bytes of the working thread(s) / 1M.");
        sec.put("cells", TimerCell.cells(lines));
        sec.put("errors", errors);
        sec.put("runs", lines);
        return sec;
    }

    /** The HTTP cell: every available HTTP server started pinned, warmed up, then interleaved wrk runs. */
    private Map<String, Object> runHttp(boolean quick, HttpPlan hp, List<ServerSpec> specs) throws IOException {
        Path wrk = Proc.which("wrk");
        if (wrk == null) {
            return skippedPart("wrk is not installed (Debian package wrk)");
        }
        Map<String, String> skipped = new LinkedHashMap<>();
        Map<String, ServerProcess> running = new LinkedHashMap<>();
        Map<String, List<Map<String, Object>>> runs = new LinkedHashMap<>();
        Path wrkLog = out.resolve("logs").resolve("wrk.log");
        try {
            for (ServerSpec s : specs) {
                if (!s.available()) {
                    skipped.put(s.name(), s.unavailable());
                    continue;
                }
                step++;
                progress("http: starting " + s.name());
                try {
                    running.put(s.name(), ServerProcess.start(s, pinServer, out.resolve("logs").resolve("http-" + s.name() + ".log")));
                } catch (IOException e) {
                    skipped.put(s.name(), "did not start: " + e.getMessage());
                }
            }
            for (ServerProcess sp : running.values()) {
                step++;
                progress("http: warming up " + sp.spec.name() + " (" + hp.warmupS() + " s of wrk)");
                HttpCell.wrk(wrk, pinClient, sp, hp.warmupS(), wrkLog);
            }
            List<String> names = new ArrayList<>(running.keySet());
            for (int r = 0; r < hp.reps(); r++) {
                List<String> order = new ArrayList<>(names);
                if (r % 2 == 1) {
                    java.util.Collections.reverse(order);
                }
                for (String n : order) {
                    step++;
                    Map<String, Object> res = HttpCell.wrk(wrk, pinClient, running.get(n), hp.durationS(), wrkLog);
                    res.put("repetition", r + 1);
                    runs.computeIfAbsent(n, k -> new ArrayList<>()).add(res);
                    Double rps = num(res, "requests_per_s");
                    progress(String.format("http %-12s rep %d/%d: %s", n, r + 1, hp.reps(),
                            res.containsKey("error") ? "FAILED: " + res.get("error") : String.format("%,.0f req/s", rps)));
                }
            }
        } finally {
            for (ServerProcess sp : running.values()) {
                sp.close();
            }
        }
        Map<String, Object> sec = new LinkedHashMap<>();
        sec.put("tool", HttpCell.wrkVersion(wrk));
        sec.put("command", "wrk -t" + HttpCell.THREADS + " -c" + HttpCell.CONNECTIONS + " -d" + hp.durationS() + "s --latency http://127.0.0.1:PORT/"
                + (pinned ? " (taskset -c 1; servers on CPU 0)" : ""));
        sec.put("repetitions", hp.reps());
        sec.put("warmup_s", hp.warmupS());
        sec.put("duration_s", hp.durationS());
        List<Object> servers = new ArrayList<>();
        for (ServerSpec s : specs) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", s.name());
            m.put("kind", s.kind());
            m.put("version", s.version());
            m.put("measured", runs.containsKey(s.name()));
            if (skipped.containsKey(s.name())) {
                m.put("skipped", skipped.get(s.name()));
            }
            servers.add(m);
        }
        sec.put("servers", servers);
        sec.put("cells", HttpCell.cells(runs));
        return sec;
    }

    /** The JMH suite in its own JVMs (JMH forks one per benchmark), with -prof gc. */
    private Map<String, Object> runJmh(boolean quick) throws IOException, InterruptedException {
        Jmh.Settings s = Jmh.Settings.of(quick);
        Path json = out.resolve("logs").resolve("jmh.json");
        Files.deleteIfExists(json);
        String[] current = {"", ""};
        int rc;
        try (java.io.BufferedWriter log = Files.newBufferedWriter(out.resolve("logs").resolve("jmh.log"), StandardCharsets.UTF_8)) {
            rc = Jmh.runSuite(null, s, json, l -> {
                try {
                    log.write(l);
                    log.write('\n');
                } catch (IOException ignored) {
                    // the log is a convenience; the JSON is the result
                }
                if (l.startsWith("# Benchmark: ")) {
                    current[0] = l.substring(13).replace("dev.weft.bench.jmh.", "").replace("dev.weft.loop.", "");
                    current[1] = "";
                } else if (l.startsWith("# Parameters: ")) {
                    current[1] = " " + l.substring(14);
                } else if (l.startsWith("# Fork: 1 of")) {
                    step++;
                    progress("jmh: " + current[0] + current[1]);
                }
            });
        }
        Map<String, Object> sec = new LinkedHashMap<>();
        if (!Files.exists(json)) {
            return skippedPart("JMH wrote no results (exit " + rc + "; see logs/jmh.log)");
        }
        List<JmhResults.Entry> es = JmhResults.parse(Files.readString(json, StandardCharsets.UTF_8));
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("forks", s.forks());
        settings.put("warmup", s.warmupIterations() + " × " + s.warmupTime());
        settings.put("measurement", s.iterations() + " × " + s.time());
        settings.put("profilers", "gc");
        settings.put("fork_jvm_flags", String.join(" ", Jmh.FORK_FLAGS) + " " + String.join(" ", Servers.JVM_FLAGS));
        settings.put("pinned", "no (cross-thread benchmarks need both cores)");
        Jmh.Settings ts = Jmh.Settings.tasks(s);
        Jmh.TaskJvm tj = Jmh.taskJvm();
        settings.put("task_bench", "forks on " + tj.describe() + "; " + ts.warmupIterations() + " × " + ts.warmupTime()
                + " warm-up, " + ts.iterations() + " × " + ts.time() + " measured" + (quick ? "; quick: awaitResume only" : ""));
        sec.put("settings", settings);
        sec.put("exit", rc);
        sec.put("benchmarks", JmhResults.toJson(es));
        Map<String, Object> tasks = JmhResults.taskModes(es, tj.describe(), tj.skipReason());
        if (tasks != null) {
            sec.put("task_modes", tasks);
        }
        return sec;
    }

    // ------------------------------------------------------------------ results

    static Double num(Map<String, Object> m, String... path) {
        Object o = m;
        for (String k : path) {
            if (!(o instanceof Map)) {
                return null;
            }
            o = ((Map<?, ?>) o).get(k);
        }
        return o instanceof Number ? ((Number) o).doubleValue() : null;
    }

    /** Builds the {@value #SCHEMA} document from the raw runs. Pure: no I/O beyond the machine probe. */
    static Map<String, Object> results(boolean quick, Plan p, List<ServerSpec> all, List<ServerSpec> chosen,
                                       Map<String, String> skipped, List<Workload> workloads,
                                       Map<String, List<Map<String, Object>>> runs) {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("schema", SCHEMA);
        doc.put("generated", Instant.now().toString());
        doc.put("quick", quick);
        doc.put("machine", Machine.describe());
        Map<String, Object> method = new LinkedHashMap<>();
        int cores = Runtime.getRuntime().availableProcessors();
        boolean pin = cores >= 2 && Proc.which("taskset") != null;
        method.put("pinned", pin);
        method.put("server_cpu", pin ? "0" : "any");
        method.put("client_cpu", pin ? "1" : "any");
        method.put("repetitions", p.reps());
        method.put("warmup_s", p.warmupS());
        method.put("duration_s", p.durationS());
        method.put("server_warmup_s", p.serverWarmupS());
        method.put("order", "interleaved: every workload visits every server each repetition, direction alternating");
        method.put("echo_check", "messages under " + LoadGen.SAMPLE_FROM / 1024 + " KiB: every echoed byte compared with what was sent; "
                + "from " + LoadGen.SAMPLE_FROM / 1024 + " KiB (on Linux): one read in " + LoadGen.SAMPLE_EVERY
                + " per connection compared, the others dropped uncopied in the kernel (recv MSG_TRUNC) and counted, "
                + "since a full check costs the generator as much kernel time per message as the server; "
                + "duplication and loss still fail the run (a connection stalled by a loss fails it too), "
                + "reordering and corruption only within a compared read; each run records its check and compared_fraction");
        method.put("server_jvm_flags", String.join(" ", Servers.JVM_FLAGS));
        method.put("ranking", "per workload and metric (msgs/s, server user µs/msg): no order is claimed between two servers "
                + "whose medians differ by no more than the larger of their spreads (max − min over repetitions); "
                + "a cell with one good repetition claims none");
        method.put("slow_mode", SLOW_MODE);
        doc.put("method", method);

        List<Object> servers = new ArrayList<>();
        for (ServerSpec s : all) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", s.name());
            m.put("kind", s.kind());
            boolean measured = chosen.contains(s) && !skipped.containsKey(s.name());
            m.put("measured", measured);
            m.put("version", s.version());
            if (skipped.containsKey(s.name())) {
                m.put("skipped", skipped.get(s.name()));
            } else if (!chosen.contains(s)) {
                m.put("skipped", workloads.isEmpty() ? "no TCP echo workload selected" : "not selected (--servers)");
            }
            servers.add(m);
        }
        doc.put("servers", servers);

        List<Object> wl = new ArrayList<>();
        for (Workload w : workloads) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", w.id());
            m.put("label", w.label());
            m.put("connections", w.connections());
            m.put("size", w.size());
            m.put("pipeline", w.pipeline());
            wl.add(m);
        }
        doc.put("workloads", wl);
        doc.put("cells", cells(workloads, runs));

        doc.put("timers", skippedPart("not run"));
        doc.put("http", skippedPart("not run"));
        doc.put("jmh", skippedPart("not run"));
        doc.put(LoopsPart.KEY, skippedPart("not run"));
        doc.put("not_measured", new ArrayList<>());
        return doc;
    }

    static List<Object> cells(List<Workload> workloads, Map<String, List<Map<String, Object>>> runs) {
        List<Object> cells = new ArrayList<>();
        for (Workload w : workloads) {
            Map<String, Map<String, Object>> byServer = new LinkedHashMap<>();
            for (Map.Entry<String, List<Map<String, Object>>> e : runs.entrySet()) {
                String[] k = e.getKey().split("\\|", 2);
                if (!k[0].equals(w.id())) {
                    continue;
                }
                byServer.put(k[1], cell(w.id(), k[1], e.getValue()));
            }
            Double netty = medianOf(byServer.get("netty-epoll"), "msgs_per_s");
            Double c = medianOf(byServer.get("c-epoll"), "msgs_per_s");
            Double nettyCpu = medianOf(byServer.get("netty-epoll"), "cpu_us_per_msg");
            Double cCpu = medianOf(byServer.get("c-epoll"), "cpu_us_per_msg");
            for (Map<String, Object> cell : byServer.values()) {
                Double m = medianOf(cell, "msgs_per_s");
                Double cpu = medianOf(cell, "cpu_us_per_msg");
                Map<String, Object> ratios = new LinkedHashMap<>();
                ratios.put("msgs_per_s_vs_netty_epoll", Stats.ratio(m, netty));
                ratios.put("msgs_per_s_vs_c_epoll", Stats.ratio(m, c));
                ratios.put("cpu_per_msg_vs_netty_epoll", Stats.ratio(cpu, nettyCpu));
                ratios.put("cpu_per_msg_vs_c_epoll", Stats.ratio(cpu, cCpu));
                cell.put("ratios", ratios);
                cells.add(cell);
            }
            rank(byServer.values());
        }
        return cells;
    }

    /** What the investigation of the two throughput modes of the 100-connection cells found (the method notes). */
    static final String SLOW_MODE = "The 100-connection cells of this machine land run by run in a slow mode (about 145k msgs/s, "
            + "6.1-6.5 µs server kernel time per message) or a fast one (about 190k, 4.4-4.8 µs), with the same system calls per "
            + "message. Nothing found in Weft makes the slow mode likelier: per echoed message Weft makes the C reference's calls "
            + "(one read of up to 256 KiB, the C server's read size, and one send; one level-triggered epoll_wait per loop "
            + "iteration, blocking only when nothing is ready, about 0.02 per message at 100 connections in both); the JVM's own "
            + "threads wake about 22 times a second in all (VM Periodic Task 17/s, Monitor Deflation 4/s) for under 0.1 ms of "
            + "CPU a second, too little to cost 30%; the servers are warmed up before the matrix and each run has a warm-up of "
            + "its own. Interleaved rounds put the C reference in the slow mode as often as Weft and Netty (6, 6 and 8 of 22 runs), "
            + "all three together in whole rounds, with the load generator, not the server, sleeping more per message: a state "
            + "of the machine. The cell's notes give the two modes, and no ranking is claimed across them. Figures and how to "
            + "check: bench/README.md.";

    /** Relative gap between two repetitions' msgs/s from which {@link #modes} calls them two modes. */
    static final double MODE_GAP = 0.15;

    /**
     * Splits a cell's repetitions into a slow and a fast mode at the widest gap between their
     * sorted msgs/s, when that gap is at least {@value #MODE_GAP} of the lower value and there are
     * three repetitions or more: {@code two_modes}, and per mode the repetitions and median msgs/s
     * and sys µs/msg (the slow mode of this machine shows as more kernel time per message).
     */
    static Map<String, Object> modes(List<Double> msgs, List<Double> sys) {
        List<double[]> reps = new ArrayList<>();
        for (int i = 0; i < msgs.size(); i++) {
            if (msgs.get(i) != null) {
                reps.add(new double[] {msgs.get(i), sys.get(i) == null ? Double.NaN : sys.get(i)});
            }
        }
        reps.sort((x, y) -> Double.compare(x[0], y[0]));
        int cut = -1;
        double widest = 0;
        for (int i = 1; i < reps.size(); i++) {
            double lo = reps.get(i - 1)[0];
            double gap = lo > 0 ? (reps.get(i)[0] - lo) / lo : 0;
            if (gap > widest) {
                widest = gap;
                cut = i;
            }
        }
        Map<String, Object> m = new LinkedHashMap<>();
        boolean two = reps.size() >= 3 && widest >= MODE_GAP;
        m.put("two_modes", two);
        if (two) {
            for (String mode : List.of("slow", "fast")) {
                List<double[]> part = mode.equals("slow") ? reps.subList(0, cut) : reps.subList(cut, reps.size());
                List<Double> pm = new ArrayList<>();
                List<Double> ps = new ArrayList<>();
                part.forEach(r -> {
                    pm.add(r[0]);
                    ps.add(r[1]);
                });
                m.put(mode + "_reps", part.size());
                m.put(mode + "_msgs_per_s", Stats.median(pm));
                m.put(mode + "_sys_us_per_msg", Stats.median(ps));
            }
        }
        return m;
    }

    /** What the report ranks servers by within a workload (see {@link #rank}). */
    static final List<String> RANKED_BY = List.of("msgs_per_s", "user_us_per_msg");

    /**
     * Marks, for each metric of {@link #RANKED_BY}, which servers a cell cannot be ranked against:
     * those whose median is no farther from its own than the larger of the two spreads (max - min
     * over repetitions). A cell with fewer than two good repetitions has no known spread and is
     * ranked against none. Adds {@code ranking{metric: {ranked, indistinct_from[]}}} to each cell.
     */
    @SuppressWarnings("unchecked")
    static void rank(java.util.Collection<Map<String, Object>> cells) {
        for (Map<String, Object> a : cells) {
            Map<String, Object> ranking = new LinkedHashMap<>();
            for (String metric : RANKED_BY) {
                List<String> indistinct = new ArrayList<>();
                List<Double> va = repValues(a, metric);
                for (Map<String, Object> b : cells) {
                    if (b == a) {
                        continue;
                    }
                    List<Double> vb = repValues(b, metric);
                    if (va.size() < 2 || vb.size() < 2) {
                        indistinct.add(String.valueOf(b.get("server")));
                        continue;
                    }
                    double spread = Math.max(Stats.max(va) - Stats.min(va), Stats.max(vb) - Stats.min(vb));
                    if (Math.abs(Stats.median(va) - Stats.median(vb)) <= spread) {
                        indistinct.add(String.valueOf(b.get("server")));
                    }
                }
                Map<String, Object> r = new LinkedHashMap<>();
                r.put("ranked", va.size() >= 2 && indistinct.isEmpty());
                r.put("indistinct_from", indistinct);
                ranking.put(metric, r);
            }
            a.put("ranking", ranking);
        }
    }

    /** The values of {@code metric} over a cell's good repetitions (see {@link #cell}'s {@code per_rep}). */
    static List<Double> repValues(Map<String, Object> cell, String metric) {
        List<Double> out = new ArrayList<>();
        Object l = ReportWriter.map(cell.get("per_rep")).get(metric);
        if (l instanceof List) {
            for (Object o : (List<?>) l) {
                if (o instanceof Number) {
                    out.add(((Number) o).doubleValue());
                }
            }
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    private static Double medianOf(Map<String, Object> cell, String key) {
        if (cell == null) {
            return null;
        }
        Object med = cell.get("median");
        return med instanceof Map ? num((Map<String, Object>) med, key) : null;
    }

    /** One cell: medians, min–max and flags over the repetitions of one workload on one server. */
    static Map<String, Object> cell(String workload, String server, List<Map<String, Object>> reps) {
        List<Double> msgs = new ArrayList<>();
        List<Double> p50 = new ArrayList<>();
        List<Double> p99 = new ArrayList<>();
        List<Double> p999 = new ArrayList<>();
        List<Double> user = new ArrayList<>();
        List<Double> sys = new ArrayList<>();
        List<Double> cpu = new ArrayList<>();
        List<Double> alloc = new ArrayList<>();
        List<Double> srvUtil = new ArrayList<>();
        List<Double> srvSleeps = new ArrayList<>();
        List<Double> cliUtil = new ArrayList<>();
        List<String> errors = new ArrayList<>();
        boolean clientBound = false;
        for (Map<String, Object> r : reps) {
            if (r.get("error") != null) {
                errors.add(String.valueOf(r.get("error")));
                continue;
            }
            msgs.add(num(r, "msgs_per_s"));
            p50.add(num(r, "latency_us", "p50"));
            p99.add(num(r, "latency_us", "p99"));
            p999.add(num(r, "latency_us", "p999"));
            Double u = num(r, "server_cpu", "user_us_per_msg");
            Double s = num(r, "server_cpu", "sys_us_per_msg");
            user.add(u);
            sys.add(s);
            cpu.add(u != null && s != null ? u + s : null);
            alloc.add(num(r, "alloc_bytes_per_msg"));
            Double su = num(r, "server_cpu", "util");
            Double cu = num(r, "client_cpu", "util");
            srvUtil.add(su);
            srvSleeps.add(num(r, "server_cpu", "sleeps_per_msg"));
            cliUtil.add(cu);
            Object sat = r.get("client_cpu") instanceof Map ? ((Map<?, ?>) r.get("client_cpu")).get("saturated") : null;
            // Client-bound: the load generator used its whole core while the server had room left.
            if (Boolean.TRUE.equals(sat) && (su == null || su < 0.9)) {
                clientBound = true;
            }
        }
        Map<String, Object> cell = new LinkedHashMap<>();
        cell.put("workload", workload);
        cell.put("server", server);
        cell.put("repetitions", reps.size());
        cell.put("ok", msgs.size());
        Map<String, Object> med = new LinkedHashMap<>();
        med.put("msgs_per_s", Stats.median(msgs));
        med.put("p50_us", Stats.median(p50));
        med.put("p99_us", Stats.median(p99));
        med.put("p999_us", Stats.median(p999));
        med.put("user_us_per_msg", Stats.median(user));
        med.put("sys_us_per_msg", Stats.median(sys));
        med.put("cpu_us_per_msg", Stats.median(cpu));
        med.put("alloc_bytes_per_msg", Stats.median(alloc));
        med.put("server_util", Stats.median(srvUtil));
        med.put("server_sleeps_per_msg", Stats.median(srvSleeps));
        med.put("client_util", Stats.median(cliUtil));
        cell.put("median", med);
        Map<String, Object> range = new LinkedHashMap<>();
        range.put("msgs_per_s_min", Stats.min(msgs));
        range.put("msgs_per_s_max", Stats.max(msgs));
        range.put("p99_us_min", Stats.min(p99));
        range.put("p99_us_max", Stats.max(p99));
        range.put("user_us_per_msg_min", Stats.min(user));
        range.put("user_us_per_msg_max", Stats.max(user));
        range.put("sys_us_per_msg_min", Stats.min(sys));
        range.put("sys_us_per_msg_max", Stats.max(sys));
        cell.put("range", range);
        // In repetition order, so a reader sees the modes (and whether they follow the order).
        Map<String, Object> perRep = new LinkedHashMap<>();
        perRep.put("msgs_per_s", new ArrayList<Object>(msgs));
        perRep.put("user_us_per_msg", new ArrayList<Object>(user));
        perRep.put("sys_us_per_msg", new ArrayList<Object>(sys));
        cell.put("per_rep", perRep);
        cell.put("modes", modes(msgs, sys));
        cell.put("client_bound", clientBound);
        cell.put("errors", errors);
        cell.put("runs", reps);
        return cell;
    }
}
