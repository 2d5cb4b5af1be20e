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

/** The timers, HTTP and JMH parts of the report: cells, schema sections, output. */
class ExtraPartsTest {
    static Map<String, Object> timerLine(String impl, String phase, boolean warmup, double ops, double alloc) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("impl", impl);
        m.put("phase", phase);
        m.put("warmup", warmup);
        m.put("count", 1_000_000L);
        m.put("ops_per_s", ops);
        m.put("alloc_bytes_per_op", alloc);
        return m;
    }

    static List<Map<String, Object>> timerLines() {
        return List.of(
                timerLine("weft-loop", "schedule_cancel", true, 1.0, 500),
                timerLine("weft-loop", "schedule_cancel", false, 600, 40),
                timerLine("weft-loop", "schedule_cancel", false, 400, 40),
                timerLine("weft-loop", "schedule_cancel", false, 500, 41),
                timerLine("netty-loop", "schedule_cancel", false, 250, 64),
                timerLine("netty-loop", "expiry", false, 100, 68),
                timerLine("weft-loop", "expiry", false, 150, 40));
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> find(List<Object> cells, String key, String value, String key2, String value2) {
        for (Object o : cells) {
            Map<String, Object> c = (Map<String, Object>) o;
            if (value.equals(c.get(key)) && (key2 == null || value2.equals(c.get(key2)))) {
                return c;
            }
        }
        throw new AssertionError("no cell " + value + " " + value2);
    }

    @Test
    void shouldTakeTimerMediansWithoutTheWarmupAndRatiosToNettysLoop() {
        List<Object> cells = TimerCell.cells(timerLines());
        assertEquals(4, cells.size());
        Map<String, Object> w = find(cells, "impl", "weft-loop", "phase", "schedule_cancel");
        assertEquals(3, ((Number) w.get("repetitions")).intValue(), "the warm-up run is left out");
        assertEquals(500.0, (Double) w.get("ops_per_s"), 1e-9);
        assertEquals(400.0, (Double) w.get("ops_per_s_min"), 1e-9);
        assertEquals(600.0, (Double) w.get("ops_per_s_max"), 1e-9);
        assertEquals(40.0, (Double) w.get("alloc_bytes_per_op"), 1e-9);
        assertEquals(2.0, (Double) w.get("ops_per_s_vs_netty_loop"), 1e-9);
        assertEquals(1.5, (Double) find(cells, "impl", "weft-loop", "phase", "expiry").get("ops_per_s_vs_netty_loop"), 1e-9);
    }

    @Test
    void shouldLeaveTheTimerRatioEmptyWithoutNetty() {
        List<Object> cells = TimerCell.cells(List.of(timerLine("weft-loop", "expiry", false, 150, 40)));
        assertNull(find(cells, "impl", "weft-loop", null, null).get("ops_per_s_vs_netty_loop"));
    }

    static Map<String, Object> wrkRun(String wrkText, double user, double sys, Double alloc) {
        Map<String, Object> m = new LinkedHashMap<>(Wrk.parse(wrkText).toJson());
        m.put("user_us_per_req", user);
        m.put("sys_us_per_req", sys);
        m.put("server_util", 1.0);
        if (alloc != null) {
            m.put("alloc_bytes_per_req", alloc);
        }
        return m;
    }

    static String wrkText(long requests, double rps, int errors) {
        return "  " + requests + " requests in 2.00s, 1MB read\n"
                + (errors > 0 ? "  Socket errors: connect 0, read " + errors + ", write 0, timeout 0\n" : "")
                + "     50%  100.00us\n     99%    1.00ms\nRequests/sec: " + rps + "\n";
    }

    static Map<String, List<Map<String, Object>>> httpRuns() {
        Map<String, List<Map<String, Object>>> runs = new LinkedHashMap<>();
        runs.put("weft-nio", List.of(wrkRun(wrkText(200, 100, 0), 2, 4, 1.0), wrkRun(wrkText(600, 300, 0), 2, 4, 3.0),
                wrkRun(wrkText(400, 200, 0), 2, 4, 2.0)));
        runs.put("netty-epoll", List.of(wrkRun(wrkText(200, 100, 3), 10, 4, 1000.0)));
        Map<String, Object> failed = new LinkedHashMap<>();
        failed.put("error", "wrk exited 1");
        runs.put("node", List.of(failed, wrkRun(wrkText(100, 50, 0), 10, 10, null)));
        return runs;
    }

    @Test
    void shouldTakeHttpMediansRangesRatiosAndReportErrors() {
        List<Object> cells = HttpCell.cells(httpRuns());
        Map<String, Object> w = find(cells, "server", "weft-nio", null, null);
        Map<?, ?> med = (Map<?, ?>) w.get("median");
        assertEquals(200.0, (Double) med.get("requests_per_s"), 1e-9);
        assertEquals(100.0, (Double) med.get("p50_us"), 1e-9);
        assertEquals(1000.0, (Double) med.get("p99_us"), 1e-9);
        assertEquals(2.0, (Double) med.get("alloc_bytes_per_req"), 1e-9);
        assertEquals(300.0, (Double) ((Map<?, ?>) w.get("range")).get("requests_per_s_max"), 1e-9);
        assertEquals(2.0, (Double) w.get("requests_per_s_vs_netty_epoll"), 1e-9);
        Map<String, Object> n = find(cells, "server", "netty-epoll", null, null);
        assertTrue(((List<?>) n.get("errors")).get(0).toString().contains("3 socket errors"), n.toString());
        Map<String, Object> node = find(cells, "server", "node", null, null);
        assertEquals(2, ((Number) node.get("repetitions")).intValue());
        assertEquals(1, ((Number) node.get("ok")).intValue());
        assertNull(((Map<?, ?>) node.get("median")).get("alloc_bytes_per_req"));
    }

    /** The report document of {@link ReportTest#document()} with all three parts filled in. */
    static Map<String, Object> document() {
        Map<String, Object> doc = ReportTest.document();
        Map<String, Object> timers = new LinkedHashMap<>();
        timers.put("count", 1_000_000);
        timers.put("repetitions", 3);
        timers.put("method", "test");
        timers.put("cells", TimerCell.cells(timerLines()));
        timers.put("errors", new LinkedHashMap<>());
        timers.put("runs", new ArrayList<>(timerLines()));
        doc.put("timers", timers);
        Map<String, Object> http = new LinkedHashMap<>();
        http.put("tool", "wrk 4.1.0");
        http.put("command", "wrk -t1 -c64");
        http.put("repetitions", 3);
        http.put("warmup_s", 1);
        http.put("duration_s", 2);
        List<Object> servers = new ArrayList<>();
        for (String s : List.of("weft-nio", "netty-epoll", "node", "uvloop")) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", s);
            m.put("kind", "x");
            m.put("version", "v");
            m.put("measured", !s.equals("uvloop"));
            if (s.equals("uvloop")) {
                m.put("skipped", "uvloop is not importable");
            }
            servers.add(m);
        }
        http.put("servers", servers);
        http.put("cells", HttpCell.cells(httpRuns()));
        doc.put("http", http);
        Map<String, Object> jmh = new LinkedHashMap<>();
        jmh.put("settings", Map.of("forks", 1));
        jmh.put("exit", 0);
        jmh.put("benchmarks", JmhResults.toJson(JmhResults.parse(JmhResultsTest.JSON)));
        doc.put("jmh", jmh);
        return doc;
    }

    @Test
    void shouldAcceptAFullDocumentAfterARoundTripAndSkippedParts() {
        assertEquals(List.of(), ResultsSchema.validate(Json.parse(Json.pretty(document()))));
        assertEquals(List.of(), ResultsSchema.validate(Json.parse(Json.pretty(ReportTest.document()))),
                "parts that did not run say so");
    }

    @Test
    void shouldRejectBrokenTimersHttpAndJmhSections() {
        Map<String, Object> doc = document();
        doc.remove("jmh");
        assertTrue(ResultsSchema.validate(doc).stream().anyMatch(s -> s.startsWith("jmh")));

        doc = document();
        doc.put("http", Map.of("skipped", 3));
        assertTrue(ResultsSchema.validate(doc).stream().anyMatch(s -> s.contains("http.skipped")));

        doc = document();
        ReportWriter.list(ReportWriter.map(doc.get("timers")).get("cells")).get(0).put("phase", "sleep");
        assertTrue(ResultsSchema.validate(doc).stream().anyMatch(s -> s.contains("phase 'sleep'")));

        doc = document();
        ReportWriter.list(ReportWriter.map(doc.get("http")).get("cells")).get(0).put("server", "uvloop");
        assertTrue(ResultsSchema.validate(doc).stream().anyMatch(s -> s.contains("not a measured HTTP server")));

        doc = document();
        ReportWriter.map(ReportWriter.list(ReportWriter.map(doc.get("http")).get("cells")).get(0).get("median")).remove("p99_us");
        assertTrue(ResultsSchema.validate(doc).stream().anyMatch(s -> s.contains("median.p99_us")));

        doc = document();
        ReportWriter.list(ReportWriter.map(doc.get("jmh")).get("benchmarks")).get(0).put("score", "fast");
        assertTrue(ResultsSchema.validate(doc).stream().anyMatch(s -> s.contains("jmh.benchmarks[0].score")));

        doc = document();
        ReportWriter.list(ReportWriter.map(doc.get("jmh")).get("benchmarks")).get(1).remove("alloc_bytes_per_op");
        assertTrue(ResultsSchema.validate(doc).stream().anyMatch(s -> s.contains("alloc_bytes_per_op: missing")));
    }

    @Test
    void shouldWriteTablesAndChartsForEveryPart(@TempDir Path dir) throws Exception {
        System.setProperty("java.awt.headless", "true");
        ReportWriter.write(dir, document());
        assertTrue(Files.exists(dir.resolve("charts/timers.svg")));
        assertTrue(Files.exists(dir.resolve("charts/http-throughput.svg")));
        assertTrue(Files.exists(dir.resolve("charts/jmh-TimerExpiryBench.svg")));
        assertTrue(Files.exists(dir.resolve("charts/jmh-JnaBench.svg")));
        String md = Files.readString(dir.resolve("report.md"));
        assertTrue(md.contains("## Timers: 1M schedule+cancel and expiry"), md);
        assertTrue(md.contains("| weft-loop | schedule_cancel | 500 (400–600) | 2.00 | 40.0 |"), md);
        assertTrue(md.contains("| weft-nio | 200 (100–300) | 2.00 |"), md);
        assertTrue(md.contains("uvloop (v; skipped: uvloop is not importable)"), md);
        assertTrue(md.contains("| TimerExpiryBench | expiry [impl=weft-wheel] | 43.17 | ns/op | 0.0 |"), md);
        assertTrue(md.contains("| JnaBench | jnaGetppid | 369.89 ± 12.50 | ns/op | 0.0 |"), md);
        String html = Files.readString(dir.resolve("index.html"));
        assertTrue(html.contains("<h2>JMH microbenchmarks</h2>"));
        assertFalse(html.contains("src=\"http"));
    }

    @Test
    void shouldPlanQuickAndDefaultRunsWithinTheirTotalTimes() {
        // A machine like this one: 8 echo servers, 5 HTTP servers, one Weft backend.
        int servers = 8;
        int httpServers = 5;
        Report.Plan q = Report.plan(true, servers * Workload.QUICK.size(), servers);
        double quick = Report.estimate(q.reps(), q.warmupS(), q.durationS(), q.serverWarmupS(), servers * Workload.QUICK.size(), servers)
                + Report.timersEstimate(true) + Report.HttpPlan.of(true).estimate(httpServers)
                + Report.jmhEstimate(1, true);
        assertTrue(quick <= 180, "quick run estimated at " + quick + " s");
        Report.Plan f = Report.plan(false, servers * Workload.TCP_ECHO.size(), servers);
        double full = Report.estimate(f.reps(), f.warmupS(), f.durationS(), f.serverWarmupS(), servers * Workload.TCP_ECHO.size(), servers)
                + Report.timersEstimate(false) + Report.HttpPlan.of(false).estimate(httpServers)
                + Report.jmhEstimate(1, false);
        assertTrue(full <= 1200, "default run estimated at " + full + " s");
    }
}
