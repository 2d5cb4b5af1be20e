package dev.weft.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportTest {
    static Map<String, Object> run(double msgs, double user, double sys, boolean clientSaturated, double serverUtil) {
        String line = String.format(java.util.Locale.ROOT,
                "{\"schema\":\"weft-loadgen/1\",\"messages\":%d,\"msgs_per_s\":%f,\"latency_us\":{\"p50\":10,\"p99\":20,\"p999\":30},"
                        + "\"server_cpu\":{\"user_us_per_msg\":%f,\"sys_us_per_msg\":%f,\"util\":%f},"
                        + "\"client_cpu\":{\"util\":0.95,\"saturated\":%b}}",
                (long) msgs, msgs, user, sys, serverUtil, clientSaturated);
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) Json.parse(line);
        return m;
    }

    static Map<String, List<Map<String, Object>>> runs() {
        Map<String, List<Map<String, Object>>> r = new LinkedHashMap<>();
        r.put("100x64B|weft-nio", new ArrayList<>(List.of(run(300, 1, 2, false, 1.0), run(100, 1, 2, false, 1.0), run(200, 1, 2, false, 1.0))));
        r.put("100x64B|netty-epoll", new ArrayList<>(List.of(run(100, 2, 2, false, 1.0), run(100, 2, 2, false, 1.0))));
        r.put("100x64B|c-epoll", new ArrayList<>(List.of(run(400, 0.5, 1.5, true, 0.5))));
        return r;
    }

    static Map<String, Object> cellOf(List<Object> cells, String server) {
        for (Object o : cells) {
            Map<?, ?> c = (Map<?, ?>) o;
            if (server.equals(c.get("server"))) {
                @SuppressWarnings("unchecked")
                Map<String, Object> m = (Map<String, Object>) c;
                return m;
            }
        }
        throw new AssertionError("no cell for " + server);
    }

    @Test
    void shouldTakeMediansAndRangesAndRatiosToNettyAndC() {
        List<Object> cells = Report.cells(List.of(Workload.TCP_ECHO.get(1)), runs());
        Map<String, Object> weft = cellOf(cells, "weft-nio");
        assertEquals(200.0, Report.num(weft, "median", "msgs_per_s"));
        assertEquals(100.0, Report.num(weft, "range", "msgs_per_s_min"));
        assertEquals(300.0, Report.num(weft, "range", "msgs_per_s_max"));
        assertEquals(3.0, Report.num(weft, "median", "cpu_us_per_msg"));
        assertEquals(2.0, Report.num(weft, "ratios", "msgs_per_s_vs_netty_epoll"));
        assertEquals(0.5, Report.num(weft, "ratios", "msgs_per_s_vs_c_epoll"));
        assertEquals(0.75, Report.num(weft, "ratios", "cpu_per_msg_vs_netty_epoll"));
        assertEquals(1.0, Report.num(cellOf(cells, "netty-epoll"), "ratios", "msgs_per_s_vs_netty_epoll"));
    }

    @Test
    void shouldFlagCellsWhereTheClientSaturatedBeforeTheServer() {
        List<Object> cells = Report.cells(List.of(Workload.TCP_ECHO.get(1)), runs());
        assertEquals(Boolean.TRUE, cellOf(cells, "c-epoll").get("client_bound"));
        assertEquals(Boolean.FALSE, cellOf(cells, "weft-nio").get("client_bound"));
    }

    @Test
    void shouldKeepFailedRunsOutOfTheMediansButReportThem() {
        Map<String, Object> failed = new LinkedHashMap<>();
        failed.put("error", "echoed bytes differ from those sent at stream offset 64");
        Map<String, Object> c = Report.cell("100x64B", "weft-nio", List.of(run(100, 1, 1, false, 1), failed));
        assertEquals(1L, ((Number) c.get("ok")).longValue());
        assertEquals(100.0, Report.num(c, "median", "msgs_per_s"));
        assertEquals(1, ((List<?>) c.get("errors")).size());
        Map<String, Object> none = Report.cell("100x64B", "weft-nio", List.of(failed));
        assertNull(Report.num(none, "median", "msgs_per_s"));
    }

    @Test
    void shouldKeepTheWholeRunWithinTheBudget() {
        for (int servers = 1; servers <= 12; servers++) {
            int cells = servers * Workload.TCP_ECHO.size();
            Report.Plan q = Report.plan(true, cells, servers);
            assertTrue(Report.estimate(q.reps(), q.warmupS(), q.durationS(), q.serverWarmupS(), cells, servers)
                    <= Report.QUICK_BUDGET_S || q.durationS() == 1, "quick over budget for " + servers);
            Report.Plan f = Report.plan(false, cells, servers);
            assertTrue(Report.estimate(f.reps(), f.warmupS(), f.durationS(), f.serverWarmupS(), cells, servers)
                    <= Report.FULL_BUDGET_S, "full run over budget for " + servers + " servers: " + f);
        }
        assertEquals(5, Report.plan(false, 5, 1).reps());
        assertEquals(3, Report.plan(false, 5, 1, Report.RUN_OVERHEAD_S).reps());
    }

    @Test
    void shouldKeepFiveRepetitionsForTheMachinesServersWithinTheBudget() {
        // Nine servers (this machine's) × five workloads: five interleaved repetitions still fit.
        Report.Plan f = Report.plan(false, 9 * Workload.TCP_ECHO.size(), 9);
        assertEquals(5, f.reps(), f.toString());
        assertTrue(f.durationS() >= 2, f.toString());
    }

    private static Map<String, List<Map<String, Object>>> spreadRuns(double... weft) {
        Map<String, List<Map<String, Object>>> r = new LinkedHashMap<>();
        List<Map<String, Object>> w = new ArrayList<>();
        for (double m : weft) {
            w.add(run(m, 1, 2, false, 1.0));
        }
        r.put("100x64B|weft-epoll", w);
        r.put("100x64B|netty-epoll", new ArrayList<>(List.of(run(140, 2, 2, false, 1.0), run(150, 2.2, 2, false, 1.0),
                run(145, 2.1, 2, false, 1.0))));
        return r;
    }

    @Test
    void shouldClaimNoRankingWhereTheSpreadOfOneServerCoversTheGapToAnother() {
        // weft-epoll lands in a slow (145) or fast (190) mode: spread 45 > gap 190 - 145.
        List<Object> cells = Report.cells(List.of(Workload.TCP_ECHO.get(1)), spreadRuns(190, 145, 192));
        Map<String, Object> weft = cellOf(cells, "weft-epoll");
        Map<?, ?> r = (Map<?, ?>) ((Map<?, ?>) weft.get("ranking")).get("msgs_per_s");
        assertEquals(Boolean.FALSE, r.get("ranked"));
        assertEquals(List.of("netty-epoll"), r.get("indistinct_from"));
        assertEquals(List.of(190.0, 145.0, 192.0), ((Map<?, ?>) weft.get("per_rep")).get("msgs_per_s"));
        // User CPU per message is 1 against 2-2.2 in every repetition: that order stands.
        Map<?, ?> u = (Map<?, ?>) ((Map<?, ?>) weft.get("ranking")).get("user_us_per_msg");
        assertEquals(Boolean.TRUE, u.get("ranked"), u.toString());
    }

    @Test
    void shouldSplitRepetitionsIntoASlowAndAFastModeOnlyAtAWideGap() {
        Map<String, Object> m = Report.modes(java.util.Arrays.asList(190.0, 145.0, 192.0, 147.0, null),
                java.util.Arrays.asList(4.5, 6.3, 4.4, 6.1, null));
        assertEquals(Boolean.TRUE, m.get("two_modes"));
        assertEquals(2, m.get("slow_reps"));
        assertEquals(146.0, Report.num(m, "slow_msgs_per_s"));
        assertEquals(6.2, Report.num(m, "slow_sys_us_per_msg"), 1e-9);
        assertEquals(191.0, Report.num(m, "fast_msgs_per_s"));
        assertEquals(Boolean.FALSE, Report.modes(List.of(190.0, 180.0, 170.0, 185.0), List.of(1.0, 1.0, 1.0, 1.0)).get("two_modes"));
        assertEquals(Boolean.FALSE, Report.modes(List.of(190.0, 145.0), List.of(1.0, 1.0)).get("two_modes"));
    }

    @Test
    void shouldRankServersWhoseGapExceedsBothSpreadsAndNoneWithOneRepetition() {
        List<Object> cells = Report.cells(List.of(Workload.TCP_ECHO.get(1)), spreadRuns(190, 188, 192));
        Map<?, ?> r = (Map<?, ?>) ((Map<?, ?>) cellOf(cells, "weft-epoll").get("ranking")).get("msgs_per_s");
        assertEquals(Boolean.TRUE, r.get("ranked"), r.toString());
        assertEquals(List.of(), r.get("indistinct_from"));
        cells = Report.cells(List.of(Workload.TCP_ECHO.get(1)), spreadRuns(190));
        r = (Map<?, ?>) ((Map<?, ?>) cellOf(cells, "weft-epoll").get("ranking")).get("msgs_per_s");
        assertEquals(Boolean.FALSE, r.get("ranked"));
        assertEquals(List.of("netty-epoll"), r.get("indistinct_from"));
    }

    static Map<String, Object> document() {
        List<ServerSpec> specs = List.of(
                new ServerSpec("weft-nio", "weft", true, p -> List.of(), null, "Weft test"),
                new ServerSpec("netty-epoll", "netty", true, p -> List.of(), null, "Netty test"),
                new ServerSpec("c-epoll", "c", false, p -> List.of(), null, "gcc test"),
                new ServerSpec("node", "node", false, p -> List.of(), "no node on PATH", "-"));
        Map<String, String> skipped = new LinkedHashMap<>();
        skipped.put("node", "no node on PATH");
        return Report.results(true, new Report.Plan(1, 1, 1, 1), specs, specs.subList(0, 3), skipped,
                List.of(Workload.TCP_ECHO.get(1)), runs());
    }

    @Test
    void shouldProduceADocumentThatMatchesItsSchemaAfterARoundTrip() {
        Object reread = Json.parse(Json.pretty(document()));
        assertEquals(List.of(), ResultsSchema.validate(reread));
    }

    @Test
    void shouldRejectDocumentsThatBreakTheSchema() {
        Map<String, Object> doc = document();
        doc.put("schema", "weft-report/0");
        assertFalse(ResultsSchema.validate(doc).isEmpty());

        doc = document();
        ReportWriter.map(ReportWriter.list(doc.get("cells")).get(0).get("median")).remove("p99_us");
        List<String> p = ResultsSchema.validate(doc);
        assertTrue(p.stream().anyMatch(s -> s.contains("median.p99_us")), p.toString());

        doc = document();
        ReportWriter.list(doc.get("cells")).get(0).remove("ranking");
        p = ResultsSchema.validate(doc);
        assertTrue(p.stream().anyMatch(s -> s.contains("ranking")), p.toString());

        doc = document();
        ReportWriter.list(doc.get("cells")).get(0).put("server", "node");
        p = ResultsSchema.validate(doc);
        assertTrue(p.stream().anyMatch(s -> s.contains("not a measured server")), p.toString());

        doc = document();
        ReportWriter.list(doc.get("servers")).get(3).remove("skipped");
        p = ResultsSchema.validate(doc);
        assertTrue(p.stream().anyMatch(s -> s.contains("must say why")), p.toString());
    }

    @Test
    void shouldWriteAFolderWithChartsAndASelfContainedPage(@TempDir Path dir) throws Exception {
        System.setProperty("java.awt.headless", "true");
        ReportWriter.write(dir, document());
        assertTrue(Files.exists(dir.resolve("results.json")));
        assertTrue(Files.exists(dir.resolve("charts/throughput-100x64B.svg")));
        assertTrue(Files.exists(dir.resolve("charts/overview-vs-netty-epoll.svg")));
        String html = Files.readString(dir.resolve("index.html"));
        assertTrue(html.contains("<svg"), "charts are inline");
        assertFalse(html.contains("src=\"http"), "nothing loaded from the network");
        assertTrue(html.contains("client-bound"));
        String md = Files.readString(dir.resolve("report.md"));
        assertTrue(md.contains("| c-epoll |") && md.contains("charts/cpu-100x64B.svg"), md);
        assertTrue(md.contains("charts/reps-100x64B.svg") && md.contains("| 0 0 0 |"), "per-repetition chart and column: " + md);
        assertTrue(md.contains("no msgs/s ranking vs netty-epoll"), md);
        assertTrue(md.contains("no msgs/s ranking (one repetition)"), md);
        assertTrue(md.contains("two modes: 1× ~0k"), "weft-nio's 100 | 200 300 reps: " + md);
        assertTrue(md.contains("skipped: no node on PATH"), md);
    }

    /**
     * Benchmark runs of the packed JMH classes, counted from their annotations: for each
     * {@code @Benchmark} method, its modes times the values of each {@code @Param} of its class,
     * {@code backend} taking {@code backends} values and {@code mode} {@code modes} (what the
     * report's {@code -p backend=...} and {@code -p mode=...} give them).
     */
    private static int annotatedRuns(boolean taskBench, int backends, int modes) throws Exception {
        java.net.URL dir = ReportTest.class.getClassLoader().getResource("dev/weft/bench/jmh");
        assertTrue(dir != null && dir.getProtocol().equals("file"), "the benchmark classes are in a folder: " + dir);
        int runs = 0;
        String[] files = new java.io.File(dir.toURI()).list();
        assertTrue(files != null && files.length > 0, "no benchmark classes in " + dir);
        for (String f : files) {
            if (!f.endsWith(".class") || f.contains("$") || f.endsWith("TaskBench.class") != taskBench) {
                continue;
            }
            Class<?> c = Class.forName("dev.weft.bench.jmh." + f.substring(0, f.length() - 6), false, ReportTest.class.getClassLoader());
            int params = 1;
            for (Class<?> k = c; k != null; k = k.getSuperclass()) {
                for (java.lang.reflect.Field fl : k.getDeclaredFields()) {
                    org.openjdk.jmh.annotations.Param p = fl.getAnnotation(org.openjdk.jmh.annotations.Param.class);
                    if (p != null) {
                        params *= fl.getName().equals("backend") ? backends : fl.getName().equals("mode") ? modes : p.value().length;
                    }
                }
            }
            for (java.lang.reflect.Method m : c.getMethods()) {
                if (m.isAnnotationPresent(org.openjdk.jmh.annotations.Benchmark.class)) {
                    org.openjdk.jmh.annotations.BenchmarkMode mode = m.getAnnotation(org.openjdk.jmh.annotations.BenchmarkMode.class);
                    mode = mode != null ? mode : c.getAnnotation(org.openjdk.jmh.annotations.BenchmarkMode.class);
                    runs += (mode == null ? 1 : mode.value().length) * params;
                }
            }
        }
        return runs;
    }

    @Test
    void shouldPlanOneProgressStepForEachBenchmarkAndParameterCombinationTheJmhSuiteRuns() throws Exception {
        for (int backends : new int[] {1, 2, 3}) {
            assertEquals(annotatedRuns(false, backends, 1), Report.jmhCombinations(backends), backends + " backend(s)");
        }
    }

    @Test
    void shouldPlanTaskBenchInHandoffModeOnlyWhereNoJdk21RunsItsForks() throws Exception {
        String key = "weft.jdk21.home";
        String before = System.getProperty(key);
        System.setProperty(key, "/nonexistent-jdk-home");
        try {
            assertNull(Jmh.taskJvm().java(), Jmh.taskJvm().describe());
            assertEquals(annotatedRuns(true, 1, 1), Report.taskCombinations(false), "each TaskBench benchmark in handoff mode");
            assertEquals(1, Report.taskCombinations(true), "quick: awaitResume only");
        } finally {
            if (before == null) {
                System.clearProperty(key);
            } else {
                System.setProperty(key, before);
            }
        }
    }
}
