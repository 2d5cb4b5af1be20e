package dev.weft.bench;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/** Summary statistics over repetitions; nulls (missing values) are ignored. Stateless. */
final class Stats {
    private Stats() {
    }

    private static double[] values(List<Double> xs) {
        return xs.stream().filter(Objects::nonNull).filter(d -> !d.isNaN()).mapToDouble(Double::doubleValue).sorted().toArray();
    }

    /** The median (mean of the two middle values for an even count), or null when there is none. */
    static Double median(List<Double> xs) {
        double[] v = values(xs);
        if (v.length == 0) {
            return null;
        }
        int m = v.length / 2;
        return v.length % 2 == 1 ? v[m] : (v[m - 1] + v[m]) / 2;
    }

    static Double min(List<Double> xs) {
        double[] v = values(xs);
        return v.length == 0 ? null : v[0];
    }

    static Double max(List<Double> xs) {
        double[] v = values(xs);
        return v.length == 0 ? null : v[v.length - 1];
    }

    /** {@code a / b}, or null when either is missing or b is not positive. */
    static Double ratio(Double a, Double b) {
        if (a == null || b == null || b <= 0 || a.isNaN() || b.isNaN()) {
            return null;
        }
        return a / b;
    }

    /** Relative spread (max - min) / median, or null. */
    static Double spread(List<Double> xs) {
        Double med = median(xs);
        if (med == null || med == 0) {
            return null;
        }
        return (max(xs) - min(xs)) / med;
    }

    static double[] sorted(List<Double> xs) {
        return Arrays.copyOf(values(xs), values(xs).length);
    }
}
