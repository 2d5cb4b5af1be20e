package dev.weft.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.VectorGraphicsEncoder;
import org.knowm.xchart.style.Styler;

/**
 * Writes a report folder from a {@code weft-report/1} document: {@code results.json},
 * {@code charts/*.svg} (XChart), {@code report.md} (links the charts) and {@code index.html}
 * (self-contained: styles and SVG charts inline, opens offline).
 */
final class ReportWriter {
    private ReportWriter() {
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> list(Object o) {
        return o instanceof List ? (List<Map<String, Object>>) o : List.of();
    }

    @SuppressWarnings("unchecked")
    static List<Object> listOf(Object o) {
        return (List<Object>) o;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object o) {
        return o instanceof Map ? (Map<String, Object>) o : Map.of();
    }

    static void write(Path out, Map<String, Object> doc) throws IOException {
        Files.createDirectories(out.resolve("charts"));
        Files.writeString(out.resolve("results.json"), Json.pretty(doc), StandardCharsets.UTF_8);
        Map<String, String> charts = charts(out.resolve("charts"), doc);
        Files.writeString(out.resolve("report.md"), markdown(doc, charts), StandardCharsets.UTF_8);
        Files.writeString(out.resolve("index.html"), html(out, doc, charts), StandardCharsets.UTF_8);
    }

    // ------------------------------------------------------------------ charts

    /** Chart file name (in charts/) to its caption. */
    static Map<String, String> charts(Path dir, Map<String, Object> doc) throws IOException {
        Map<String, String> made = new LinkedHashMap<>();
        List<Map<String, Object>> cells = list(doc.get("cells"));
        for (Map<String, Object> w : list(doc.get("workloads"))) {
            String id = String.valueOf(w.get("id"));
            List<String> names = new ArrayList<>();
            List<Double> msgs = new ArrayList<>();
            List<Double> user = new ArrayList<>();
            List<Double> sys = new ArrayList<>();
            for (Map<String, Object> c : cells) {
                if (!id.equals(c.get("workload"))) {
                    continue;
                }
                Map<String, Object> med = map(c.get("median"));
                names.add(String.valueOf(c.get("server")));
                msgs.add(orZero(Report.num(med, "msgs_per_s")));
                user.add(orZero(Report.num(med, "user_us_per_msg")));
                sys.add(orZero(Report.num(med, "sys_us_per_msg")));
            }
            if (names.isEmpty()) {
                continue;
            }
            CategoryChart t = chart(w.get("label") + ": messages per second (median)", "msgs/s");
            t.getStyler().setLegendVisible(false);
            t.addSeries("msgs/s", names, msgs);
            made.put(save(t, dir, "throughput-" + id), "Throughput, " + w.get("label"));

            // Kernel time beside user time, not stacked on it: kernel time is most of an echo
            // server's cost, and is where this machine's slow mode shows.
            CategoryChart cpu = chart(w.get("label") + ": server CPU µs per message, user beside sys (median)", "µs / message");
            cpu.addSeries("user", names, user);
            cpu.addSeries("sys", names, sys);
            made.put(save(cpu, dir, "cpu-" + id), "Server CPU per message (user beside sys), " + w.get("label"));

            // Every repetition's msgs/s, in order: a cell's modes and its spread at a glance.
            int reps = 0;
            for (Map<String, Object> c : cells) {
                if (id.equals(c.get("workload"))) {
                    reps = Math.max(reps, Report.repValues(c, "msgs_per_s").size());
                }
            }
            if (reps > 1) {
                CategoryChart rc = chart(w.get("label") + ": messages per second in each repetition", "msgs/s");
                for (int r = 0; r < reps; r++) {
                    List<Double> v = new ArrayList<>();
                    for (Map<String, Object> c : cells) {
                        if (id.equals(c.get("workload"))) {
                            List<Double> vals = Report.repValues(c, "msgs_per_s");
                            v.add(r < vals.size() ? vals.get(r) : 0.0);
                        }
                    }
                    rc.addSeries("rep " + (r + 1), names, v);
                }
                made.put(save(rc, dir, "reps-" + id), "Messages per second per repetition, " + w.get("label"));
            }
        }
        // Overview: msgs/s relative to Netty epoll, every workload.
        List<String> ids = new ArrayList<>();
        for (Map<String, Object> w : list(doc.get("workloads"))) {
            ids.add(String.valueOf(w.get("id")));
        }
        Map<String, List<Double>> series = new LinkedHashMap<>();
        for (Map<String, Object> c : cells) {
            String s = String.valueOf(c.get("server"));
            series.computeIfAbsent(s, k -> {
                List<Double> l = new ArrayList<>();
                ids.forEach(i -> l.add(0.0));
                return l;
            });
            int i = ids.indexOf(String.valueOf(c.get("workload")));
            Double r = Report.num(map(c.get("ratios")), "msgs_per_s_vs_netty_epoll");
            if (i >= 0 && r != null) {
                series.get(s).set(i, r);
            }
        }
        extraCharts(dir, doc, made);
        if (!series.isEmpty() && cells.stream().anyMatch(c -> "netty-epoll".equals(c.get("server")))) {
            CategoryChart o = chart("Messages per second relative to Netty epoll (1.0 = Netty epoll)", "× Netty epoll");
            // A horizontal legend does not wrap and cuts off the last servers: list them on the side.
            o.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
            o.getStyler().setLegendLayout(Styler.LegendLayout.Vertical);
            series.forEach((s, v) -> o.addSeries(s, ids, v));
            made.put(save(o, dir, "overview-vs-netty-epoll"), "Throughput relative to Netty epoll, every workload");
        }
        return made;
    }

    /** Charts of the timers, HTTP and JMH sections. */
    static void extraCharts(Path dir, Map<String, Object> doc, Map<String, String> made) throws IOException {
        List<Map<String, Object>> tcells = list(map(doc.get("timers")).get("cells"));
        if (!tcells.isEmpty()) {
            List<String> impls = new ArrayList<>();
            tcells.forEach(c -> {
                if (!impls.contains(String.valueOf(c.get("impl")))) {
                    impls.add(String.valueOf(c.get("impl")));
                }
            });
            CategoryChart t = chart("1M timers: operations per second (median)", "ops/s");
            for (String phase : TimerCell.PHASES) {
                List<Double> v = new ArrayList<>();
                for (String impl : impls) {
                    Double x = null;
                    for (Map<String, Object> c : tcells) {
                        if (impl.equals(c.get("impl")) && phase.equals(c.get("phase"))) {
                            x = Report.num(c, "ops_per_s");
                        }
                    }
                    v.add(orZero(x));
                }
                t.addSeries(phase, impls, v);
            }
            made.put(save(t, dir, "timers"), "1M timers: schedule+cancel and expiry, ops/s");
        }
        List<Map<String, Object>> hcells = list(map(doc.get("http")).get("cells"));
        if (!hcells.isEmpty()) {
            List<String> names = new ArrayList<>();
            List<Double> rps = new ArrayList<>();
            for (Map<String, Object> c : hcells) {
                names.add(String.valueOf(c.get("server")));
                rps.add(orZero(Report.num(map(c.get("median")), "requests_per_s")));
            }
            CategoryChart h = chart("HTTP/1.1 keep-alive plaintext: requests per second (median)", "requests/s");
            h.getStyler().setLegendVisible(false);
            h.addSeries("req/s", names, rps);
            made.put(save(h, dir, "http-throughput"), "HTTP/1.1 plaintext, requests per second");
        }
        Map<String, List<Map<String, Object>>> byClass = new LinkedHashMap<>();
        for (Map<String, Object> b : list(map(doc.get("jmh")).get("benchmarks"))) {
            byClass.computeIfAbsent(String.valueOf(b.get("class")), k -> new ArrayList<>()).add(b);
        }
        for (Map.Entry<String, List<Map<String, Object>>> e : byClass.entrySet()) {
            List<String> labels = new ArrayList<>();
            List<Double> score = new ArrayList<>();
            String unit = String.valueOf(e.getValue().get(0).get("unit"));
            for (Map<String, Object> b : e.getValue()) {
                labels.add(String.valueOf(b.get("label")));
                score.add(orZero(Report.num(b, "score")));
            }
            CategoryChart j = chart("JMH " + e.getKey() + " (" + unit + ", lower is better)", unit);
            j.getStyler().setLegendVisible(false);
            j.addSeries(unit, labels, score);
            made.put(save(j, dir, "jmh-" + e.getKey()), "JMH " + e.getKey());
        }
    }

    /** A titled table of the report beyond TCP echo, with its note and chart files. */
    record Section(String title, String note, List<String> header, List<List<String>> rows, List<String> charts) {
    }

    static List<Section> extraSections(Map<String, Object> doc, Map<String, String> charts) {
        List<Section> out = new ArrayList<>();
        Map<String, Object> timers = map(doc.get("timers"));
        if (timers.get("skipped") == null && !timers.isEmpty()) {
            List<List<String>> rows = new ArrayList<>();
            for (Map<String, Object> c : list(timers.get("cells"))) {
                rows.add(List.of(String.valueOf(c.get("impl")), String.valueOf(c.get("phase")),
                        f(Report.num(c, "ops_per_s"), 0) + " (" + f(Report.num(c, "ops_per_s_min"), 0) + "–" + f(Report.num(c, "ops_per_s_max"), 0) + ")",
                        f(Report.num(c, "ops_per_s_vs_netty_loop"), 2),
                        f(Report.num(c, "alloc_bytes_per_op"), 1)));
            }
            Map<String, Object> errs = map(timers.get("errors"));
            out.add(new Section("Timers: 1M schedule+cancel and expiry", timers.get("method")
                    + (errs.isEmpty() ? "" : " Failures: " + errs), List.of("implementation", "phase", "ops/s median (min–max)",
                    "× Netty loop", "alloc B/op"), rows, present(charts, "timers.svg")));
        }
        Map<String, Object> http = map(doc.get("http"));
        if (http.get("skipped") == null && !http.isEmpty()) {
            List<List<String>> rows = new ArrayList<>();
            for (Map<String, Object> c : list(http.get("cells"))) {
                Map<String, Object> med = map(c.get("median"));
                Map<String, Object> rng = map(c.get("range"));
                List<Map<String, Object>> errs = list(c.get("errors"));
                rows.add(List.of(String.valueOf(c.get("server")),
                        f(Report.num(med, "requests_per_s"), 0) + " (" + f(Report.num(rng, "requests_per_s_min"), 0) + "–"
                                + f(Report.num(rng, "requests_per_s_max"), 0) + ")",
                        f(Report.num(c, "requests_per_s_vs_netty_epoll"), 2),
                        f(Report.num(med, "p50_us"), 0) + " / " + f(Report.num(med, "p99_us"), 0),
                        f(Report.num(med, "user_us_per_req"), 2), f(Report.num(med, "sys_us_per_req"), 2),
                        f(Report.num(med, "alloc_bytes_per_req"), 0),
                        errs.isEmpty() ? "" : String.valueOf(errs.get(0))));
            }
            StringBuilder note = new StringBuilder("Driven by ").append(http.get("tool")).append(": ").append(http.get("command"))
                    .append("; ").append(http.get("repetitions")).append(" repetition(s) of ").append(http.get("duration_s"))
                    .append(" s after ").append(http.get("warmup_s")).append(" s of warm-up. Servers: ");
            List<String> sv = new ArrayList<>();
            for (Map<String, Object> sp : list(http.get("servers"))) {
                sv.add(sp.get("name") + " (" + sp.get("version") + (Boolean.TRUE.equals(sp.get("measured")) ? ")" : "; skipped: " + sp.get("skipped") + ")"));
            }
            note.append(String.join("; ", sv)).append(". Weft and Python parse request boundaries only (CRLF CRLF) and answer with a fixed "
                    + "response; Netty runs its full HttpServerCodec; Node runs its http module (adds Date and Connection headers).");
            out.add(new Section("HTTP/1.1 keep-alive plaintext (Hello, World!)", note.toString(),
                    List.of("server", "req/s median (min–max)", "× Netty epoll", "latency p50 / p99 µs", "user µs/req", "sys µs/req",
                            "alloc B/req", "notes"), rows, present(charts, "http-throughput.svg")));
        }
        Map<String, Object> jmh = map(doc.get("jmh"));
        if (jmh.get("skipped") == null && !jmh.isEmpty()) {
            List<List<String>> rows = new ArrayList<>();
            List<String> chartFiles = new ArrayList<>();
            for (Map<String, Object> b : list(jmh.get("benchmarks"))) {
                Double err = Report.num(b, "score_error");
                rows.add(List.of(String.valueOf(b.get("class")), String.valueOf(b.get("label")),
                        f(Report.num(b, "score"), 2) + (err == null ? "" : " ± " + f(err, 2)), String.valueOf(b.get("unit")),
                        f(Report.num(b, "alloc_bytes_per_op"), 1)));
                String file = "jmh-" + b.get("class") + ".svg";
                if (charts.containsKey(file) && !chartFiles.contains(file)) {
                    chartFiles.add(file);
                }
            }
            out.add(new Section("JMH microbenchmarks", "Settings: " + jmh.get("settings") + ". alloc B/op is -prof gc's "
                    + "gc.alloc.rate.norm. What each benchmark compares is in its class comment (bench/src/main/java/dev/weft/"
                    + "{loop,bench/jmh}/*Bench.java); batched benchmarks divide by the batch size.",
                    List.of("class", "benchmark", "score ± 99.9% error", "unit", "alloc B/op"), rows, chartFiles));
            Map<String, Object> t = map(jmh.get("task_modes"));
            if (!t.isEmpty()) {
                List<List<String>> trows = new ArrayList<>();
                for (Map<String, Object> r : list(t.get("benchmarks"))) {
                    Double ratio = Report.num(r, "handoff_over_virtual");
                    trows.add(List.of(String.valueOf(r.get("benchmark")), f(Report.num(r, "virtual"), 1), f(Report.num(r, "handoff"), 1),
                            ratio == null ? "-" : f(ratio, 1) + "×", String.valueOf(r.get("unit"))));
                }
                Object met = t.get("target_met");
                Double ar = Report.num(t, "await_resume_handoff_over_virtual");
                String note = "TaskBench, one JVM per mode: " + t.get("jvm") + "."
                        + (t.get("virtual_skipped") == null ? "" : " Virtual mode skipped: " + t.get("virtual_skipped") + ".")
                        + " awaitResume is one suspension and resume through the loop; awaitDone awaits a completed future,"
                        + " which returns without suspending. Await/resume: hand-off / virtual = " + (ar == null ? "-" : f(ar, 1) + "×")
                        + "; target (" + t.get("target") + "): "
                        + (met == null ? "not decided (a mode is missing)" : Boolean.TRUE.equals(met) ? "met" : "not met") + ".";
                out.add(new Section("Tasks: virtual-thread vs hand-off mode", note,
                        List.of("benchmark", "virtual", "handoff", "handoff / virtual", "unit"), trows, List.of()));
            }
        }
        Section udp = UdpPart.section(map(doc.get("udp")));
        if (udp != null) {
            out.add(udp);
        }
        out.addAll(TlsCell.sections(doc));
        Section loops = LoopsPart.section(doc);
        if (loops != null) {
            out.add(loops);
        }
        out.addAll(ProcessPart.sections(doc));
        return out;
    }

    private static List<String> present(Map<String, String> charts, String file) {
        return charts.containsKey(file) ? List.of(file) : List.of();
    }

    private static double orZero(Double d) {
        return d == null ? 0.0 : d;
    }

    private static CategoryChart chart(String title, String yTitle) {
        CategoryChart c = new CategoryChartBuilder().width(900).height(420).title(title).yAxisTitle(yTitle).build();
        c.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
        c.getStyler().setPlotGridVerticalLinesVisible(false);
        c.getStyler().setXAxisLabelRotation(20);
        c.getStyler().setAvailableSpaceFill(0.7);
        c.getStyler().setOverlapped(false);
        return c;
    }

    private static String save(CategoryChart c, Path dir, String base) throws IOException {
        VectorGraphicsEncoder.saveVectorGraphic(c, dir.resolve(base).toString(), VectorGraphicsEncoder.VectorGraphicsFormat.SVG);
        return base + ".svg";
    }

    // ------------------------------------------------------------------ text

    static String f(Double d, int decimals) {
        if (d == null) {
            return "–";
        }
        return String.format(Locale.ROOT, "%,." + decimals + "f", d);
    }

    /** Rows of one workload's table: server, msgs/s median (min–max), ratios, latency, CPU, alloc, notes. */
    static List<List<String>> rows(Map<String, Object> doc, String workload) {
        List<List<String>> rows = new ArrayList<>();
        for (Map<String, Object> c : list(doc.get("cells"))) {
            if (!workload.equals(c.get("workload"))) {
                continue;
            }
            Map<String, Object> med = map(c.get("median"));
            Map<String, Object> rng = map(c.get("range"));
            Map<String, Object> rat = map(c.get("ratios"));
            List<String> notes = new ArrayList<>();
            if (Boolean.TRUE.equals(c.get("client_bound"))) {
                notes.add("client-bound");
            }
            Map<String, Object> modes = map(c.get("modes"));
            if (Boolean.TRUE.equals(modes.get("two_modes"))) {
                notes.add("two modes: " + modes.get("slow_reps") + "× ~" + f(Report.num(modes, "slow_msgs_per_s") / 1000, 0) + "k (sys "
                        + f(Report.num(modes, "slow_sys_us_per_msg"), 2) + " µs), " + modes.get("fast_reps") + "× ~"
                        + f(Report.num(modes, "fast_msgs_per_s") / 1000, 0) + "k (sys " + f(Report.num(modes, "fast_sys_us_per_msg"), 2) + " µs)");
            }
            for (String metric : Report.RANKED_BY) {
                Map<String, Object> r = map(map(c.get("ranking")).get(metric));
                List<?> ind = r.get("indistinct_from") instanceof List ? (List<?>) r.get("indistinct_from") : List.of();
                if (Boolean.FALSE.equals(r.get("ranked"))) {
                    String what = metric.equals("msgs_per_s") ? "msgs/s" : "user µs/msg";
                    notes.add(Report.repValues(c, metric).size() < 2 ? "no " + what + " ranking (one repetition)"
                            : "no " + what + " ranking vs " + ind.stream().map(String::valueOf).reduce((x, y) -> x + ", " + y).orElse(""));
                }
            }
            List<Map<String, Object>> errs = list(c.get("errors"));
            if (!errs.isEmpty()) {
                notes.add(errs.size() + " failed run(s): " + errs.get(0));
            }
            rows.add(List.of(String.valueOf(c.get("server")),
                    f(Report.num(med, "msgs_per_s"), 0) + " (" + f(Report.num(rng, "msgs_per_s_min"), 0) + "–"
                            + f(Report.num(rng, "msgs_per_s_max"), 0) + ")",
                    f(Report.num(rat, "msgs_per_s_vs_netty_epoll"), 2),
                    f(Report.num(rat, "msgs_per_s_vs_c_epoll"), 2),
                    perRep(Report.repValues(c, "msgs_per_s")),
                    f(Report.num(med, "p50_us"), 0) + " / " + f(Report.num(med, "p99_us"), 0) + " / " + f(Report.num(med, "p999_us"), 0),
                    f(Report.num(med, "user_us_per_msg"), 2) + " (" + f(Report.num(rng, "user_us_per_msg_min"), 2) + "–"
                            + f(Report.num(rng, "user_us_per_msg_max"), 2) + ")",
                    f(Report.num(med, "sys_us_per_msg"), 2) + " (" + f(Report.num(rng, "sys_us_per_msg_min"), 2) + "–"
                            + f(Report.num(rng, "sys_us_per_msg_max"), 2) + ")",
                    f(Report.num(med, "server_sleeps_per_msg"), 3),
                    f(Report.num(med, "alloc_bytes_per_msg"), 0),
                    String.join("; ", notes)));
        }
        return rows;
    }

    static final List<String> HEADER = List.of("server", "msgs/s median (min–max)", "× Netty epoll", "× C epoll",
            "k msgs/s per repetition", "latency p50 / p99 / p99.9 µs", "user µs/msg median (min–max)", "sys µs/msg median (min–max)",
            "server sleeps/msg", "alloc B/msg", "notes");

    /** Thousands of messages per second of each repetition, in order: "145 190 188". */
    static String perRep(List<Double> v) {
        List<String> out = new ArrayList<>();
        v.forEach(x -> out.add(f(x / 1000, 0)));
        return out.isEmpty() ? "–" : String.join(" ", out);
    }

    static String markdown(Map<String, Object> doc, Map<String, String> charts) {
        StringBuilder sb = new StringBuilder();
        sb.append("# Weft benchmark report\n\n");
        sb.append("Generated ").append(doc.get("generated")).append(Boolean.TRUE.equals(doc.get("quick")) ? " (quick run)" : "")
                .append(". Schema `").append(doc.get("schema")).append("`; raw numbers in `results.json`.\n\n");
        sb.append("Ratios compare medians from this run only; absolute numbers on a shared machine drift between runs.\n\n");
        sb.append("## Machine\n\n");
        map(doc.get("machine")).forEach((k, v) -> sb.append("- ").append(k).append(": ").append(v).append('\n'));
        sb.append("\n## Method\n\n");
        map(doc.get("method")).forEach((k, v) -> sb.append("- ").append(k).append(": ").append(v).append('\n'));
        sb.append("- CPU per message: the server process's utime and stime deltas (/proc/PID/stat) over the measured window, divided by the messages echoed in it\n");
        sb.append("- client-bound: the load generator used ≥ 90% of its core while the server used < 90% of its own; such a cell measures the client, not the server\n");
        sb.append("- server sleeps/msg: voluntary context switches of all the server's threads (/proc/PID/task/*/status) per message: how often it had to be woken (native generator only)\n");
        sb.append("- no ranking: a server's median is no farther from another's than the larger of their spreads (max − min over repetitions); the notes name those servers, and the report claims no order between them\n");
        sb.append("\n## Servers\n\n| server | version | status |\n| --- | --- | --- |\n");
        for (Map<String, Object> s : list(doc.get("servers"))) {
            sb.append("| ").append(s.get("name")).append(" | ").append(s.get("version")).append(" | ")
                    .append(Boolean.TRUE.equals(s.get("measured")) ? "measured" : "skipped: " + s.get("skipped")).append(" |\n");
        }
        if (charts.containsKey("overview-vs-netty-epoll.svg")) {
            sb.append("\n![overview](charts/overview-vs-netty-epoll.svg)\n");
        }
        sb.append("\n## TCP echo\n");
        for (Map<String, Object> w : list(doc.get("workloads"))) {
            String id = String.valueOf(w.get("id"));
            sb.append("\n### ").append(w.get("label")).append(" (`").append(id).append("`)\n\n");
            sb.append("| ").append(String.join(" | ", HEADER)).append(" |\n|");
            HEADER.forEach(h -> sb.append(" --- |"));
            sb.append('\n');
            for (List<String> r : rows(doc, id)) {
                sb.append("| ").append(String.join(" | ", r)).append(" |\n");
            }
            for (String ch : List.of("throughput-" + id + ".svg", "reps-" + id + ".svg", "cpu-" + id + ".svg")) {
                if (charts.containsKey(ch)) {
                    sb.append("\n![").append(charts.get(ch)).append("](charts/").append(ch).append(")\n");
                }
            }
        }
        for (Section sec : extraSections(doc, charts)) {
            sb.append("\n## ").append(sec.title()).append("\n\n").append(sec.note()).append("\n\n");
            sb.append("| ").append(String.join(" | ", sec.header())).append(" |\n|");
            sec.header().forEach(h -> sb.append(" --- |"));
            sb.append('\n');
            for (List<String> r : sec.rows()) {
                sb.append("| ").append(String.join(" | ", r)).append(" |\n");
            }
            for (String ch : sec.charts()) {
                sb.append("\n![").append(charts.get(ch)).append("](charts/").append(ch).append(")\n");
            }
        }
        sb.append("\n## Not measured in this run\n\n");
        for (Map<String, Object> n : list(doc.get("not_measured"))) {
            sb.append("- ").append(n.get("what")).append(": ").append(n.get("reason")).append('\n');
        }
        return sb.toString();
    }

    static String esc(Object o) {
        return String.valueOf(o).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    private static String svg(Path out, String file) throws IOException {
        String s = Files.readString(out.resolve("charts").resolve(file), StandardCharsets.UTF_8);
        int start = s.indexOf("<svg");
        return start >= 0 ? s.substring(start) : s;
    }

    static String html(Path out, Map<String, Object> doc, Map<String, String> charts) throws IOException {
        StringBuilder sb = new StringBuilder();
        sb.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Weft benchmark report</title>\n<style>\n")
                .append("body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}\n")
                .append("table{border-collapse:collapse;margin:1em 0;font-size:14px}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}\n")
                .append("td:first-child,th:first-child,td:last-child{text-align:left}th{background:#f3f3f3}\n")
                .append(".chart svg{max-width:100%;height:auto}.note{color:#555}.bound{color:#a60}\n</style></head><body>\n");
        sb.append("<h1>Weft benchmark report</h1>\n<p class=\"note\">Generated ").append(esc(doc.get("generated")))
                .append(Boolean.TRUE.equals(doc.get("quick")) ? " (quick run)" : "").append(". Raw numbers: <code>results.json</code> (schema <code>")
                .append(esc(doc.get("schema"))).append("</code>). Ratios compare medians of this run only; absolute numbers on a shared machine drift between runs.</p>\n");
        sb.append("<h2>Machine</h2>\n<table>");
        map(doc.get("machine")).forEach((k, v) -> sb.append("<tr><th>").append(esc(k)).append("</th><td>").append(esc(v)).append("</td></tr>"));
        sb.append("</table>\n<h2>Method</h2>\n<table>");
        map(doc.get("method")).forEach((k, v) -> sb.append("<tr><th>").append(esc(k)).append("</th><td>").append(esc(v)).append("</td></tr>"));
        sb.append("</table>\n<p class=\"note\">CPU per message: the server's utime and stime deltas from /proc/PID/stat over the measured window, ")
                .append("divided by the messages echoed in it. <span class=\"bound\">client-bound</span>: the load generator used ≥ 90% of its core ")
                .append("while the server used less than 90% of its own; that cell measures the client. No ranking: a server's median is no ")
                .append("farther from another's than the larger of their spreads (max − min over repetitions); no order is claimed between them.</p>\n");
        sb.append("<h2>Servers</h2>\n<table><tr><th>server</th><th>version</th><th>status</th></tr>");
        for (Map<String, Object> s : list(doc.get("servers"))) {
            sb.append("<tr><td>").append(esc(s.get("name"))).append("</td><td>").append(esc(s.get("version"))).append("</td><td>")
                    .append(Boolean.TRUE.equals(s.get("measured")) ? "measured" : "skipped: " + esc(s.get("skipped"))).append("</td></tr>");
        }
        sb.append("</table>\n");
        if (charts.containsKey("overview-vs-netty-epoll.svg")) {
            sb.append("<div class=\"chart\">").append(svg(out, "overview-vs-netty-epoll.svg")).append("</div>\n");
        }
        sb.append("<h2>TCP echo</h2>\n");
        for (Map<String, Object> w : list(doc.get("workloads"))) {
            String id = String.valueOf(w.get("id"));
            sb.append("<h3>").append(esc(w.get("label"))).append(" <code>").append(esc(id)).append("</code></h3>\n<table><tr>");
            HEADER.forEach(h -> sb.append("<th>").append(esc(h)).append("</th>"));
            sb.append("</tr>");
            for (List<String> r : rows(doc, id)) {
                sb.append("<tr>");
                for (String c : r) {
                    sb.append("<td").append(c.contains("client-bound") ? " class=\"bound\"" : "").append(">").append(esc(c)).append("</td>");
                }
                sb.append("</tr>");
            }
            sb.append("</table>\n");
            for (String ch : List.of("throughput-" + id + ".svg", "reps-" + id + ".svg", "cpu-" + id + ".svg")) {
                if (charts.containsKey(ch)) {
                    sb.append("<div class=\"chart\">").append(svg(out, ch)).append("</div>\n");
                }
            }
        }
        for (Section sec : extraSections(doc, charts)) {
            sb.append("<h2>").append(esc(sec.title())).append("</h2>\n<p class=\"note\">").append(esc(sec.note())).append("</p>\n<table><tr>");
            sec.header().forEach(h -> sb.append("<th>").append(esc(h)).append("</th>"));
            sb.append("</tr>");
            for (List<String> r : sec.rows()) {
                sb.append("<tr>");
                r.forEach(c -> sb.append("<td>").append(esc(c)).append("</td>"));
                sb.append("</tr>");
            }
            sb.append("</table>\n");
            for (String ch : sec.charts()) {
                sb.append("<div class=\"chart\">").append(svg(out, ch)).append("</div>\n");
            }
        }
        sb.append("<h2>Not measured in this run</h2>\n<ul>");
        for (Map<String, Object> n : list(doc.get("not_measured"))) {
            sb.append("<li>").append(esc(n.get("what"))).append(": ").append(esc(n.get("reason"))).append("</li>");
        }
        sb.append("</ul>\n</body></html>\n");
        return sb.toString();
    }
}
