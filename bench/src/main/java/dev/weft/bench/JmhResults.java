package dev.weft.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Reads JMH's JSON result file ({@code -rf json}): one entry per benchmark and parameter
 * combination, with the primary score and, from {@code -prof gc}, {@code gc.alloc.rate.norm}
 * (bytes allocated per operation). JMH writes non-finite numbers either as strings ({@code "NaN"})
 * or, in some versions and fields, bare ({@code NaN}); both read as null. Secondary metric names
 * with JMH's older {@code "·"} prefix are accepted too. Stateless.
 */
final class JmhResults {
    static final String ALLOC_NORM = "gc.alloc.rate.norm";

    /**
     * @param benchmark  the full name, {@code package.Class.method}
     * @param params     JMH parameters ({@code impl}, {@code backend}), possibly empty
     * @param score      the primary metric, in {@code unit}
     * @param scoreError the 99.9% half-interval, or null when JMH could not compute it
     * @param allocBytesPerOp {@code gc.alloc.rate.norm} in B/op, or null without {@code -prof gc}
     */
    record Entry(String benchmark, String mode, Map<String, String> params, double score, Double scoreError,
                 String unit, Double allocBytesPerOp) {
        /** {@code Class.method}. */
        String shortName() {
            int m = benchmark.lastIndexOf('.');
            int c = m > 0 ? benchmark.lastIndexOf('.', m - 1) : -1;
            return benchmark.substring(c + 1);
        }

        String className() {
            String s = shortName();
            int dot = s.indexOf('.');
            return dot > 0 ? s.substring(0, dot) : s;
        }

        /** {@code method} followed by its parameters, for example {@code scheduleCancel [impl=weft-wheel]}. */
        String label() {
            String s = shortName();
            String method = s.substring(s.indexOf('.') + 1);
            if (params.isEmpty()) {
                return method;
            }
            StringBuilder sb = new StringBuilder(method).append(" [");
            params.forEach((k, v) -> sb.append(sb.charAt(sb.length() - 1) == '[' ? "" : ", ").append(k).append('=').append(v));
            return sb.append(']').toString();
        }
    }

    private JmhResults() {
    }

    /** Parses a JMH JSON result document; fails with {@link IllegalArgumentException} naming what is wrong. */
    static List<Entry> parse(String json) {
        Object root;
        try {
            root = Json.parse(bareNonFiniteToNull(json));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("not a JMH JSON result: " + e.getMessage(), e);
        }
        if (!(root instanceof List)) {
            throw new IllegalArgumentException("not a JMH JSON result: the top level is not an array");
        }
        List<Entry> out = new ArrayList<>();
        int i = 0;
        for (Object o : (List<?>) root) {
            String at = "entry " + i++ + ": ";
            if (!(o instanceof Map)) {
                throw new IllegalArgumentException(at + "not an object");
            }
            Map<?, ?> m = (Map<?, ?>) o;
            if (!(m.get("benchmark") instanceof String)) {
                throw new IllegalArgumentException(at + "no benchmark name");
            }
            if (!(m.get("primaryMetric") instanceof Map)) {
                throw new IllegalArgumentException(at + "no primaryMetric");
            }
            Map<?, ?> pm = (Map<?, ?>) m.get("primaryMetric");
            Double score = number(pm.get("score"));
            if (score == null) {
                throw new IllegalArgumentException(at + "primaryMetric.score is not a finite number: " + pm.get("score"));
            }
            Map<String, String> params = new LinkedHashMap<>();
            if (m.get("params") instanceof Map) {
                ((Map<?, ?>) m.get("params")).forEach((k, v) -> params.put(String.valueOf(k), String.valueOf(v)));
            }
            Double alloc = null;
            if (m.get("secondaryMetrics") instanceof Map) {
                for (Map.Entry<?, ?> e : ((Map<?, ?>) m.get("secondaryMetrics")).entrySet()) {
                    String name = String.valueOf(e.getKey());
                    if (name.startsWith("\u00b7")) {
                        name = name.substring(1);
                    }
                    if (name.equals(ALLOC_NORM) && e.getValue() instanceof Map) {
                        alloc = number(((Map<?, ?>) e.getValue()).get("score"));
                    }
                }
            }
            out.add(new Entry((String) m.get("benchmark"), String.valueOf(m.get("mode")), params, score,
                    number(pm.get("scoreError")), String.valueOf(pm.get("scoreUnit")), alloc));
        }
        return out;
    }

    /** A finite number, or null (absent, a string such as "NaN", or not finite). */
    static Double number(Object o) {
        if (o instanceof Number) {
            double d = ((Number) o).doubleValue();
            return Double.isFinite(d) ? d : null;
        }
        return null;
    }

    /** Replaces bare {@code NaN}, {@code Infinity} and {@code -Infinity} outside strings with {@code null}. */
    static String bareNonFiniteToNull(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        boolean inString = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (inString) {
                sb.append(c);
                if (c == '\\' && i + 1 < s.length()) {
                    sb.append(s.charAt(++i));
                } else if (c == '"') {
                    inString = false;
                }
            } else if (c == '"') {
                inString = true;
                sb.append(c);
            } else if (s.startsWith("NaN", i)) {
                sb.append("null");
                i += 2;
            } else if (s.startsWith("-Infinity", i)) {
                sb.append("null");
                i += 8;
            } else if (s.startsWith("Infinity", i)) {
                sb.append("null");
                i += 7;
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    /** The entries as {@code results.json} objects. */
    static List<Object> toJson(List<Entry> es) {
        List<Object> out = new ArrayList<>();
        for (Entry e : es) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("benchmark", e.benchmark());
            m.put("class", e.className());
            m.put("label", e.label());
            m.put("params", new LinkedHashMap<String, Object>(e.params()));
            m.put("mode", e.mode());
            m.put("score", e.score());
            m.put("score_error", e.scoreError());
            m.put("unit", e.unit());
            m.put("alloc_bytes_per_op", e.allocBytesPerOp());
            out.add(m);
        }
        return out;
    }

    /** TaskBench's class name, whose {@code mode} parameter is the task mode. */
    static final String TASK_CLASS = "TaskBench";
    /** Issue 4's target for the await/resume round trip. */
    static final String TASK_TARGET = "virtual ≤ 1000 ns per await/resume and ≥ 5× faster than handoff";

    /**
     * TaskBench side by side: per benchmark method, the score in each mode and handoff / virtual;
     * and for {@code awaitResume}, whether the target ({@value #TASK_TARGET}) is met (null when a
     * mode is missing). {@code jvm} describes the forks' JVM; {@code virtualSkipped} is why the
     * virtual mode did not run, or null. Null when TaskBench has no results.
     */
    static Map<String, Object> taskModes(List<Entry> es, String jvm, String virtualSkipped) {
        Map<String, Map<String, Entry>> byMethod = new LinkedHashMap<>();
        for (Entry e : es) {
            if (e.className().equals(TASK_CLASS) && e.params().containsKey("mode")) {
                String s = e.shortName();
                byMethod.computeIfAbsent(s.substring(s.indexOf('.') + 1), k -> new LinkedHashMap<>()).put(e.params().get("mode"), e);
            }
        }
        if (byMethod.isEmpty()) {
            return null;
        }
        List<Object> rows = new ArrayList<>();
        Double awaitRatio = null;
        Double awaitVirtual = null;
        for (Map.Entry<String, Map<String, Entry>> m : byMethod.entrySet()) {
            Entry v = m.getValue().get("virtual");
            Entry h = m.getValue().get("handoff");
            Double ratio = v != null && h != null && v.score() > 0 ? h.score() / v.score() : null;
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("benchmark", m.getKey());
            row.put("unit", (v != null ? v : h).unit());
            row.put("virtual", v == null ? null : v.score());
            row.put("handoff", h == null ? null : h.score());
            row.put("handoff_over_virtual", ratio);
            rows.add(row);
            if (m.getKey().equals("awaitResume")) {
                awaitRatio = ratio;
                awaitVirtual = v == null ? null : v.score();
            }
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("jvm", jvm);
        out.put("virtual_skipped", virtualSkipped);
        out.put("benchmarks", rows);
        out.put("await_resume_handoff_over_virtual", awaitRatio);
        out.put("target", TASK_TARGET);
        out.put("target_met", awaitRatio == null || awaitVirtual == null ? null : awaitVirtual <= 1000 && awaitRatio >= 5);
        return out;
    }

    /** {@link #taskModes} as plain text, for the {@code jmh} subcommand. */
    static String taskTable(Map<String, Object> t) {
        StringBuilder sb = new StringBuilder("TaskBench by mode (" + t.get("jvm") + ")\n");
        if (t.get("virtual_skipped") != null) {
            sb.append("virtual skipped: ").append(t.get("virtual_skipped")).append('\n');
        }
        sb.append(String.format(Locale.ROOT, "%-22s %12s %12s %10s%n", "benchmark", "virtual", "handoff", "h/v"));
        for (Object o : (List<?>) t.get("benchmarks")) {
            Map<?, ?> r = (Map<?, ?>) o;
            sb.append(String.format(Locale.ROOT, "%-22s %12s %12s %10s%n", r.get("benchmark"), fmt(r.get("virtual"), "%.1f"),
                    fmt(r.get("handoff"), "%.1f"), fmt(r.get("handoff_over_virtual"), "%.1f×")));
        }
        sb.append("target (").append(TASK_TARGET).append("): ")
                .append(t.get("target_met") == null ? "not decided (a mode is missing)" : (Boolean) t.get("target_met") ? "met" : "NOT met")
                .append('\n');
        return sb.toString();
    }

    private static String fmt(Object v, String f) {
        return v instanceof Number ? String.format(Locale.ROOT, f, ((Number) v).doubleValue()) : "-";
    }

    /** A plain-text table: benchmark, score ± error, unit, B/op. */
    static String table(List<Entry> es) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%-62s %14s %10s %10s%n", "benchmark", "score", "unit", "alloc B/op"));
        for (Entry e : es) {
            String score = String.format(Locale.ROOT, "%.2f", e.score())
                    + (e.scoreError() == null ? "" : String.format(Locale.ROOT, " ± %.2f", e.scoreError()));
            sb.append(String.format(Locale.ROOT, "%-62s %14s %10s %10s%n", e.className() + "." + e.label(), score, e.unit(),
                    e.allocBytesPerOp() == null ? "-" : String.format(Locale.ROOT, "%.1f", e.allocBytesPerOp())));
        }
        return sb.toString();
    }
}
