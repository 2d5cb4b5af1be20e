package dev.weft.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JmhResultsTest {
    /** The shape JMH 1.37 writes with -rf json and -prof gc (trimmed), two entries. */
    static final String JSON = """
            [
                {
                    "jmhVersion" : "1.37",
                    "benchmark" : "dev.weft.bench.jmh.TimerExpiryBench.expiry",
                    "mode" : "avgt",
                    "threads" : 1,
                    "forks" : 1,
                    "params" : { "impl" : "weft-wheel" },
                    "primaryMetric" : {
                        "score" : 43.17,
                        "scoreError" : "NaN",
                        "scoreConfidence" : [ "NaN", "NaN" ],
                        "scoreUnit" : "ns/op",
                        "rawData" : [ [ 43.0, 43.3 ] ]
                    },
                    "secondaryMetrics" : {
                        "gc.alloc.rate" : { "score" : 0.01, "scoreUnit" : "MB/sec" },
                        "gc.alloc.rate.norm" : { "score" : 0.004, "scoreUnit" : "B/op" },
                        "gc.count" : { "score" : 0.0, "scoreUnit" : "counts" }
                    }
                },
                {
                    "jmhVersion" : "1.37",
                    "benchmark" : "dev.weft.bench.jmh.JnaBench.jnaGetppid",
                    "mode" : "avgt",
                    "primaryMetric" : {
                        "score" : 369.89,
                        "scoreError" : 12.5,
                        "scoreConfidence" : [ NaN, Infinity ],
                        "scoreUnit" : "ns/op"
                    },
                    "secondaryMetrics" : {
                        "\\u00b7gc.alloc.rate.norm" : { "score" : 0.005, "scoreUnit" : "B/op" }
                    }
                }
            ]
            """;

    @Test
    void shouldReadScoresErrorsParametersAndAllocationPerOperation() {
        List<JmhResults.Entry> es = JmhResults.parse(JSON);
        assertEquals(2, es.size());
        JmhResults.Entry e = es.get(0);
        assertEquals("TimerExpiryBench.expiry", e.shortName());
        assertEquals("TimerExpiryBench", e.className());
        assertEquals("expiry [impl=weft-wheel]", e.label());
        assertEquals(43.17, e.score(), 1e-9);
        assertNull(e.scoreError(), "\"NaN\" is no error estimate");
        assertEquals("ns/op", e.unit());
        assertEquals(0.004, e.allocBytesPerOp(), 1e-12);
        JmhResults.Entry j = es.get(1);
        assertEquals("jnaGetppid", j.label());
        assertEquals(12.5, j.scoreError(), 1e-9);
        assertEquals(0.005, j.allocBytesPerOp(), 1e-12, "older JMH names secondary metrics with a leading middle dot");
    }

    @Test
    void shouldLeaveAllocationEmptyWithoutTheGcProfiler() {
        String json = "[{\"benchmark\":\"a.B.c\",\"mode\":\"thrpt\",\"primaryMetric\":{\"score\":1.5,\"scoreUnit\":\"ops/s\"}}]";
        JmhResults.Entry e = JmhResults.parse(json).get(0);
        assertNull(e.allocBytesPerOp());
        assertEquals("B.c", e.shortName());
    }

    @Test
    void shouldNotTouchNaNInsideStrings() {
        assertEquals("[\"NaN\",null,null,\"a\\\"NaN\"]", JmhResults.bareNonFiniteToNull("[\"NaN\",NaN,-Infinity,\"a\\\"NaN\"]"));
    }

    @Test
    void shouldRejectDocumentsThatAreNotJmhResults() {
        assertThrows(IllegalArgumentException.class, () -> JmhResults.parse("{\"benchmark\":\"x\"}"));
        assertThrows(IllegalArgumentException.class, () -> JmhResults.parse("[{\"mode\":\"avgt\"}]"));
        assertThrows(IllegalArgumentException.class,
                () -> JmhResults.parse("[{\"benchmark\":\"a.B.c\",\"primaryMetric\":{\"score\":\"NaN\"}}]"));
        assertThrows(IllegalArgumentException.class, () -> JmhResults.parse("[{"));
    }

    @Test
    void shouldTurnEntriesIntoSchemaObjects() {
        List<Object> js = JmhResults.toJson(JmhResults.parse(JSON));
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) js.get(0);
        assertEquals("TimerExpiryBench", m.get("class"));
        assertEquals(Map.of("impl", "weft-wheel"), m.get("params"));
        assertTrue(m.containsKey("score_error") && m.get("score_error") == null);
    }

    private static JmhResults.Entry task(String method, String mode, double score) {
        return new JmhResults.Entry("dev.weft.bench.jmh.TaskBench." + method, "avgt", Map.of("mode", mode), score, null, "ns/op", 0.1);
    }

    @Test
    void shouldSetTaskModesSideBySideWithTheAwaitResumeRatio() {
        Map<String, Object> t = JmhResults.taskModes(List.of(task("awaitResume", "virtual", 600), task("awaitResume", "handoff", 6000),
                task("createTask", "virtual", 200), task("createTask", "handoff", 100000)), "jdk25", null);
        assertEquals(10.0, (Double) t.get("await_resume_handoff_over_virtual"), 1e-9);
        assertEquals(Boolean.TRUE, t.get("target_met"));
        assertEquals(2, ((List<?>) t.get("benchmarks")).size());
        assertTrue(JmhResults.taskTable(t).contains("met"));

        Map<String, Object> slow = JmhResults.taskModes(List.of(task("awaitResume", "virtual", 1500), task("awaitResume", "handoff", 9000)),
                "jdk25", null);
        assertEquals(Boolean.FALSE, slow.get("target_met"), "over 1 µs fails the target even at 6×");

        Map<String, Object> only = JmhResults.taskModes(List.of(task("awaitResume", "handoff", 9000)), "jdk17", "no JDK 21+");
        assertNull(only.get("await_resume_handoff_over_virtual"));
        assertNull(only.get("target_met"));
        assertEquals("no JDK 21+", only.get("virtual_skipped"));
        assertNull(JmhResults.taskModes(List.of(), "x", null));
    }
}
