package dev.weft.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Checks a document against the {@code weft-report/1} schema: the fields a reader of
 * {@code results.json} may rely on, with their types. Returns the problems found (empty: valid).
 * Version 1: top level {@code schema, generated, quick, machine, method, servers[], workloads[],
 * cells[], not_measured[]}; each cell {@code workload, server, repetitions, ok, median{...},
 * range{...}, ratios{...}, client_bound, errors[], runs[]}, each cell naming a listed workload and a
 * measured server.
 */
final class ResultsSchema {
    static final List<String> MEDIAN_KEYS = List.of("msgs_per_s", "p50_us", "p99_us", "p999_us",
            "user_us_per_msg", "sys_us_per_msg", "cpu_us_per_msg", "alloc_bytes_per_msg", "server_util", "client_util");
    static final List<String> RATIO_KEYS = List.of("msgs_per_s_vs_netty_epoll", "msgs_per_s_vs_c_epoll",
            "cpu_per_msg_vs_netty_epoll", "cpu_per_msg_vs_c_epoll");

    private ResultsSchema() {
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
            }
        }
        type(p, doc, "not_measured", List.class, "");
        return p;
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
