package dev.weft.bench;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the text {@code wrk --latency} prints (wrk 4.x): requests and duration, Requests/sec,
 * average and percentile latency (the "Latency Distribution" block), socket errors and non-2xx/3xx
 * responses. Time values carry wrk's units ({@code us}, {@code ms}, {@code s}, {@code m},
 * {@code h}) and are returned in microseconds. Stateless.
 */
final class Wrk {
    /** What one wrk run measured. Latencies in µs; a missing percentile is null. */
    record Result(long requests, double seconds, double requestsPerSec, Double avgLatencyUs,
                  Map<String, Double> percentilesUs, long socketErrors, long non2xx3xx) {
        Map<String, Object> toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("requests", requests);
            m.put("seconds", seconds);
            m.put("requests_per_s", requestsPerSec);
            m.put("latency_avg_us", avgLatencyUs);
            m.put("latency_us", new LinkedHashMap<String, Object>(percentilesUs));
            m.put("socket_errors", socketErrors);
            m.put("non_2xx_3xx", non2xx3xx);
            return m;
        }
    }

    private static final Pattern TOTAL = Pattern.compile("^\\s*(\\d+) requests in ([0-9.]+[a-z]+),", Pattern.MULTILINE);
    private static final Pattern RPS = Pattern.compile("^Requests/sec:\\s+([0-9.]+)", Pattern.MULTILINE);
    private static final Pattern AVG = Pattern.compile("^\\s*Latency\\s+([0-9.]+[a-z]+)\\s", Pattern.MULTILINE);
    private static final Pattern PCT = Pattern.compile("^\\s*(50|75|90|99|99\\.9|99\\.99)%\\s+([0-9.]+[a-z]+)\\s*$", Pattern.MULTILINE);
    private static final Pattern ERRORS = Pattern.compile(
            "Socket errors: connect (\\d+), read (\\d+), write (\\d+), timeout (\\d+)");
    private static final Pattern NON2XX = Pattern.compile("Non-2xx or 3xx responses: (\\d+)");

    private Wrk() {
    }

    /** Parses wrk's output; fails with {@link IllegalArgumentException} when the totals are missing. */
    static Result parse(String out) {
        Matcher t = TOTAL.matcher(out);
        Matcher r = RPS.matcher(out);
        if (!t.find() || !r.find()) {
            throw new IllegalArgumentException("not wrk output (no 'N requests in T' or 'Requests/sec:' line): "
                    + (out.length() > 200 ? out.substring(0, 200) + "..." : out));
        }
        long requests = Long.parseLong(t.group(1));
        double seconds = micros(t.group(2)) / 1e6;
        double rps = Double.parseDouble(r.group(1));
        Matcher a = AVG.matcher(out);
        Double avg = a.find() ? micros(a.group(1)) : null;
        Map<String, Double> pct = new LinkedHashMap<>();
        Matcher p = PCT.matcher(out);
        while (p.find()) {
            pct.put("p" + p.group(1).replace(".", ""), micros(p.group(2)));
        }
        long errors = 0;
        Matcher e = ERRORS.matcher(out);
        if (e.find()) {
            for (int i = 1; i <= 4; i++) {
                errors += Long.parseLong(e.group(i));
            }
        }
        Matcher n = NON2XX.matcher(out);
        long non = n.find() ? Long.parseLong(n.group(1)) : 0;
        return new Result(requests, seconds, rps, avg, pct, errors, non);
    }

    /** A wrk time such as {@code 462.00us}, {@code 1.06ms}, {@code 2.00s}, {@code 1.50m}, in µs. */
    static double micros(String v) {
        String s = v.trim().toLowerCase(Locale.ROOT);
        int i = 0;
        while (i < s.length() && (Character.isDigit(s.charAt(i)) || s.charAt(i) == '.')) {
            i++;
        }
        if (i == 0) {
            throw new IllegalArgumentException("not a wrk time: '" + v + "'");
        }
        double n = Double.parseDouble(s.substring(0, i));
        switch (s.substring(i)) {
            case "us":
                return n;
            case "ms":
                return n * 1e3;
            case "s":
                return n * 1e6;
            case "m":
                return n * 60e6;
            case "h":
                return n * 3600e6;
            default:
                throw new IllegalArgumentException("not a wrk time unit in '" + v + "'");
        }
    }
}
