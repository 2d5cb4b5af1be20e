package dev.weft.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Checks a document against the {@code weft-report/2} schema: the fields a reader of
 * {@code results.json} may rely on, with their types. Returns the problems found (empty: valid).
 * Top level {@code schema, generated, quick, machine, method, servers[], workloads[], cells[],
 * timers{}, http{}, jmh{}, not_measured[]}; each TCP echo cell {@code workload, server, repetitions,
 * ok, median{...}, range{...}, ratios{...}, client_bound, errors[], runs[], per_rep{metric: [values in
 * repetition order]}, ranking{metric: {ranked, indistinct_from[]}}, modes{two_modes, and when true
 * slow_ and fast_ reps, msgs_per_s, sys_us_per_msg}}, each cell naming a listed
 * workload and a measured server (ranking and per_rep for each metric of {@link Report#RANKED_BY}).
 *
 * <p>Version 2 adds three sections, each either {@code {"skipped": reason}} or:
 * {@code timers{count, repetitions, method, cells[{impl, phase, count, repetitions, ops_per_s,
 * ops_per_s_min, ops_per_s_max, alloc_bytes_per_op, ops_per_s_vs_netty_loop}], errors{}, runs[]}};
 * {@code http{tool, command, repetitions, warmup_s, duration_s, servers[{name, kind, version,
 * measured, skipped?}], cells[{server, repetitions, ok, median{...}, range{...}, errors[], runs[],
 * requests_per_s_vs_netty_epoll}]}}; {@code jmh{settings{}, exit, benchmarks[{benchmark, class,
 * label, params{}, mode, score, score_error, unit, alloc_bytes_per_op}], task_modes?{jvm, virtual_skipped,
 * benchmarks[{benchmark, unit, virtual, handoff, handoff_over_virtual}], await_resume_handoff_over_virtual,
 * target, target_met}}}.
 */
final class ResultsSchema {
    static final List<String> MEDIAN_KEYS = List.of("msgs_per_s", "p50_us", "p99_us", "p999_us",
            "user_us_per_msg", "sys_us_per_msg", "cpu_us_per_msg", "alloc_bytes_per_msg", "server_util", "client_util",
            "server_sleeps_per_msg");
    static final List<String> RATIO_KEYS = List.of("msgs_per_s_vs_netty_epoll", "msgs_per_s_vs_c_epoll",
            "cpu_per_msg_vs_netty_epoll", "cpu_per_msg_vs_c_epoll");

    static final List<String> RANGE_KEYS = List.of("msgs_per_s_min", "msgs_per_s_max", "p99_us_min", "p99_us_max",
            "user_us_per_msg_min", "user_us_per_msg_max", "sys_us_per_msg_min", "sys_us_per_msg_max");

    static final List<String> HTTP_MEDIAN_KEYS = List.of("requests_per_s", "p50_us", "p99_us", "user_us_per_req",
            "sys_us_per_req", "alloc_bytes_per_req", "server_util");

    private ResultsSchema() {
    }

    /** True when the section is present and says why it was skipped (then nothing else is checked). */
    private static boolean skippedSection(List<String> p, Map<?, ?> doc, String key) {
        if (!type(p, doc, key, Map.class, "")) {
            return true;
        }
        Map<?, ?> m = (Map<?, ?>) doc.get(key);
        if (m.containsKey("skipped")) {
            if (!(m.get("skipped") instanceof String)) {
                p.add(key + ".skipped: expected String (why the part did not run)");
            }
            return true;
        }
        return false;
    }

    private static void numberOrNull(List<String> p, Map<?, ?> m, String key, String at) {
        if (!m.containsKey(key)) {
            p.add(at + key + ": missing");
        } else if (m.get(key) != null && !(m.get(key) instanceof Number)) {
            p.add(at + key + ": expected a number or null");
        }
    }

    private static void timers(List<String> p, Map<?, ?> doc) {
        if (skippedSection(p, doc, "timers")) {
            return;
        }
        Map<?, ?> t = (Map<?, ?>) doc.get("timers");
        type(p, t, "count", Number.class, "timers.");
        type(p, t, "method", String.class, "timers.");
        type(p, t, "errors", Map.class, "timers.");
        type(p, t, "runs", List.class, "timers.");
        if (type(p, t, "cells", List.class, "timers.")) {
            int i = 0;
            for (Object o : (List<?>) t.get("cells")) {
                String at = "timers.cells[" + i++ + "].";
                if (!(o instanceof Map)) {
                    p.add(at + " is not an object");
                    continue;
                }
                Map<?, ?> c = (Map<?, ?>) o;
                if (type(p, c, "impl", String.class, at) && !TimerCell.IMPLS.contains(c.get("impl"))) {
                    p.add(at + "impl '" + c.get("impl") + "' is not one of " + TimerCell.IMPLS);
                }
                if (type(p, c, "phase", String.class, at) && !TimerCell.PHASES.contains(c.get("phase"))) {
                    p.add(at + "phase '" + c.get("phase") + "' is not one of " + TimerCell.PHASES);
                }
                type(p, c, "repetitions", Number.class, at);
                for (String k : List.of("ops_per_s", "ops_per_s_min", "ops_per_s_max", "alloc_bytes_per_op", "ops_per_s_vs_netty_loop")) {
                    numberOrNull(p, c, k, at);
                }
            }
        }
    }

    private static void http(List<String> p, Map<?, ?> doc) {
        if (skippedSection(p, doc, "http")) {
            return;
        }
        Map<?, ?> h = (Map<?, ?>) doc.get("http");
        type(p, h, "tool", String.class, "http.");
        type(p, h, "command", String.class, "http.");
        type(p, h, "repetitions", Number.class, "http.");
        List<String> measured = new ArrayList<>();
        if (type(p, h, "servers", List.class, "http.")) {
            int i = 0;
            for (Object o : (List<?>) h.get("servers")) {
                String at = "http.servers[" + i++ + "].";
                if (!(o instanceof Map)) {
                    p.add(at + " is not an object");
                    continue;
                }
                Map<?, ?> s = (Map<?, ?>) o;
                type(p, s, "name", String.class, at);
                type(p, s, "version", String.class, at);
                if (type(p, s, "measured", Boolean.class, at)) {
                    if (Boolean.TRUE.equals(s.get("measured"))) {
                        measured.add(String.valueOf(s.get("name")));
                    } else if (!(s.get("skipped") instanceof String)) {
                        p.add(at + "skipped: a server not measured must say why");
                    }
                }
            }
        }
        if (type(p, h, "cells", List.class, "http.")) {
            int i = 0;
            for (Object o : (List<?>) h.get("cells")) {
                String at = "http.cells[" + i++ + "].";
                if (!(o instanceof Map)) {
                    p.add(at + " is not an object");
                    continue;
                }
                Map<?, ?> c = (Map<?, ?>) o;
                if (type(p, c, "server", String.class, at) && !measured.contains(c.get("server"))) {
                    p.add(at + "server '" + c.get("server") + "' is not a measured HTTP server");
                }
                type(p, c, "repetitions", Number.class, at);
                type(p, c, "ok", Number.class, at);
                type(p, c, "errors", List.class, at);
                type(p, c, "runs", List.class, at);
                type(p, c, "range", Map.class, at);
                numbersOrNull(p, c, "median", HTTP_MEDIAN_KEYS, at);
                numberOrNull(p, c, "requests_per_s_vs_netty_epoll", at);
            }
        }
    }

    private static void jmh(List<String> p, Map<?, ?> doc) {
        if (skippedSection(p, doc, "jmh")) {
            return;
        }
        Map<?, ?> j = (Map<?, ?>) doc.get("jmh");
        type(p, j, "settings", Map.class, "jmh.");
        if (type(p, j, "benchmarks", List.class, "jmh.")) {
            int i = 0;
            for (Object o : (List<?>) j.get("benchmarks")) {
                String at = "jmh.benchmarks[" + i++ + "].";
                if (!(o instanceof Map)) {
                    p.add(at + " is not an object");
                    continue;
                }
                Map<?, ?> b = (Map<?, ?>) o;
                type(p, b, "benchmark", String.class, at);
                type(p, b, "class", String.class, at);
                type(p, b, "label", String.class, at);
                type(p, b, "params", Map.class, at);
                type(p, b, "score", Number.class, at);
                type(p, b, "unit", String.class, at);
                numberOrNull(p, b, "score_error", at);
                numberOrNull(p, b, "alloc_bytes_per_op", at);
            }
        }
        if (j.containsKey("task_modes") && type(p, j, "task_modes", Map.class, "jmh.")) {
            Map<?, ?> t = (Map<?, ?>) j.get("task_modes");
            type(p, t, "jvm", String.class, "jmh.task_modes.");
            numberOrNull(p, t, "await_resume_handoff_over_virtual", "jmh.task_modes.");
            if (type(p, t, "benchmarks", List.class, "jmh.task_modes.")) {
                int i = 0;
                for (Object o : (List<?>) t.get("benchmarks")) {
                    String at = "jmh.task_modes.benchmarks[" + i++ + "].";
                    if (!(o instanceof Map)) {
                        p.add(at + " is not an object");
                        continue;
                    }
                    Map<?, ?> r = (Map<?, ?>) o;
                    type(p, r, "benchmark", String.class, at);
                    numberOrNull(p, r, "virtual", at);
                    numberOrNull(p, r, "handoff", at);
                    numberOrNull(p, r, "handoff_over_virtual", at);
                }
            }
        }
    }

    static List<String> validate(Object root) {
        List<String> p = new ArrayList<>();
        if (!(root instanceof Map)) {
            p.add("top level is not an object");
            return p;
        }
        Map<?, ?> doc = (Map<?, ?>) root;
        if (!Report.SCHEMA.equals(doc.get("schema"))) {
            p.add("schema must be '" + Report.SCHEMA + "', got " + doc.get("schema"));
        }
        type(p, doc, "generated", String.class, "");
        type(p, doc, "quick", Boolean.class, "");
        type(p, doc, "machine", Map.class, "");
        type(p, doc, "method", Map.class, "");
        List<String> measured = new ArrayList<>();
        if (type(p, doc, "servers", List.class, "")) {
            int i = 0;
            for (Object o : (List<?>) doc.get("servers")) {
                String at = "servers[" + i++ + "].";
                if (!(o instanceof Map)) {
                    p.add(at + " is not an object");
                    continue;
                }
                Map<?, ?> s = (Map<?, ?>) o;
                type(p, s, "name", String.class, at);
                type(p, s, "kind", String.class, at);
                type(p, s, "version", String.class, at);
                if (type(p, s, "measured", Boolean.class, at)) {
                    if (Boolean.TRUE.equals(s.get("measured"))) {
                        measured.add(String.valueOf(s.get("name")));
                    } else if (!(s.get("skipped") instanceof String)) {
                        p.add(at + "skipped: a server not measured must say why");
                    }
                }
            }
        }
        List<String> workloads = new ArrayList<>();
        if (type(p, doc, "workloads", List.class, "")) {
            int i = 0;
            for (Object o : (List<?>) doc.get("workloads")) {
                String at = "workloads[" + i++ + "].";
                if (!(o instanceof Map)) {
                    p.add(at + " is not an object");
                    continue;
                }
                Map<?, ?> w = (Map<?, ?>) o;
                type(p, w, "id", String.class, at);
                type(p, w, "label", String.class, at);
                type(p, w, "connections", Number.class, at);
                type(p, w, "size", Number.class, at);
                type(p, w, "pipeline", Number.class, at);
                workloads.add(String.valueOf(w.get("id")));
            }
        }
        if (type(p, doc, "cells", List.class, "")) {
            int i = 0;
            for (Object o : (List<?>) doc.get("cells")) {
                String at = "cells[" + i++ + "].";
                if (!(o instanceof Map)) {
                    p.add(at + " is not an object");
                    continue;
                }
                Map<?, ?> c = (Map<?, ?>) o;
                if (type(p, c, "workload", String.class, at) && !workloads.contains(c.get("workload"))) {
                    p.add(at + "workload '" + c.get("workload") + "' is not in workloads");
                }
                if (type(p, c, "server", String.class, at) && !measured.contains(c.get("server"))) {
                    p.add(at + "server '" + c.get("server") + "' is not a measured server");
                }
                type(p, c, "repetitions", Number.class, at);
                type(p, c, "ok", Number.class, at);
                type(p, c, "client_bound", Boolean.class, at);
                type(p, c, "errors", List.class, at);
                type(p, c, "runs", List.class, at);
                type(p, c, "range", Map.class, at);
                numbersOrNull(p, c, "median", MEDIAN_KEYS, at);
                numbersOrNull(p, c, "ratios", RATIO_KEYS, at);
                numbersOrNull(p, c, "range", RANGE_KEYS, at);
                ranking(p, c, at);
                if (type(p, c, "modes", Map.class, at)) {
                    type(p, (Map<?, ?>) c.get("modes"), "two_modes", Boolean.class, at + "modes.");
                }
            }
        }
        timers(p, doc);
        http(p, doc);
        jmh(p, doc);
        LoopsPart.validate(p, doc);
        type(p, doc, "not_measured", List.class, "");
        return p;
    }

    /** A TCP echo cell's per_rep lists and its ranking per metric. */
    private static void ranking(List<String> p, Map<?, ?> c, String at) {
        if (type(p, c, "per_rep", Map.class, at)) {
            for (String metric : Report.RANKED_BY) {
                type(p, (Map<?, ?>) c.get("per_rep"), metric, List.class, at + "per_rep.");
            }
        }
        if (!type(p, c, "ranking", Map.class, at)) {
            return;
        }
        for (String metric : Report.RANKED_BY) {
            String m = at + "ranking.";
            if (type(p, (Map<?, ?>) c.get("ranking"), metric, Map.class, m)) {
                Map<?, ?> r = (Map<?, ?>) ((Map<?, ?>) c.get("ranking")).get(metric);
                type(p, r, "ranked", Boolean.class, m + metric + ".");
                type(p, r, "indistinct_from", List.class, m + metric + ".");
            }
        }
    }

    private static boolean type(List<String> p, Map<?, ?> m, String key, Class<?> t, String at) {
        Object v = m.get(key);
        if (!t.isInstance(v)) {
            p.add(at + key + ": expected " + t.getSimpleName() + ", got " + (v == null ? "nothing" : v.getClass().getSimpleName()));
            return false;
        }
        return true;
    }

    private static void numbersOrNull(List<String> p, Map<?, ?> c, String key, List<String> keys, String at) {
        if (!type(p, c, key, Map.class, at)) {
            return;
        }
        Map<?, ?> m = (Map<?, ?>) c.get(key);
        for (String k : keys) {
            if (!m.containsKey(k)) {
                p.add(at + key + "." + k + ": missing");
            } else if (m.get(k) != null && !(m.get(k) instanceof Number)) {
                p.add(at + key + "." + k + ": expected a number or null");
            }
        }
    }
}
