package dev.weft.bench;

/**
 * A histogram of non-negative {@code long} values (nanoseconds here) in log-linear buckets, the
 * HdrHistogram layout with 7 bits of sub-bucket: values below 128 are exact; above, each power of
 * two is split into 64 equal buckets, so a reported percentile is within 1/64 (1.6%) of the true
 * value, and never below it (the bucket's highest value is reported). Fixed memory (3,712 counters),
 * O(1) record, no allocation. Not thread-safe: one per thread, then {@link #add} them.
 */
final class LogHistogram {
    /** Values reach 2^63 - 1, whose top bit is 62: exponents 0..56, so 56 * 64 + 128 buckets. */
    static final int BUCKETS = 56 * 64 + 128;

    private final long[] counts = new long[BUCKETS];
    private long total;
    private long sum;
    private long min = Long.MAX_VALUE;
    private long max;

    static int index(long v) {
        if (v < 128) {
            return (int) v;
        }
        int e = 63 - Long.numberOfLeadingZeros(v) - 6;
        return e * 64 + (int) (v >>> e);
    }

    /** The smallest value that lands in bucket {@code idx}. */
    static long lowest(int idx) {
        if (idx < 128) {
            return idx;
        }
        int e = idx / 64 - 1;
        long sub = idx - e * 64L;
        return sub << e;
    }

    /** The largest value that lands in bucket {@code idx}. */
    static long highest(int idx) {
        if (idx < 128) {
            return idx;
        }
        int e = idx / 64 - 1;
        long sub = idx - e * 64L;
        return ((sub + 1) << e) - 1;
    }

    void record(long v) {
        if (v < 0) {
            throw new IllegalArgumentException("negative value " + v);
        }
        counts[index(v)]++;
        total++;
        sum += v;
        if (v < min) {
            min = v;
        }
        if (v > max) {
            max = v;
        }
    }

    void add(LogHistogram o) {
        for (int i = 0; i < BUCKETS; i++) {
            counts[i] += o.counts[i];
        }
        total += o.total;
        sum += o.sum;
        min = Math.min(min, o.min);
        max = Math.max(max, o.max);
    }

    void reset() {
        java.util.Arrays.fill(counts, 0);
        total = 0;
        sum = 0;
        min = Long.MAX_VALUE;
        max = 0;
    }

    long count() {
        return total;
    }

    long max() {
        return max;
    }

    long min() {
        return total == 0 ? 0 : min;
    }

    double mean() {
        return total == 0 ? 0 : (double) sum / total;
    }

    /**
     * The value at quantile {@code q} in [0, 1]: the highest value of the bucket holding the
     * ceil(q * count)-th smallest recorded value, capped by the maximum recorded. 0 when empty.
     */
    long percentile(double q) {
        if (q < 0 || q > 1 || Double.isNaN(q)) {
            throw new IllegalArgumentException("quantile must be in [0, 1]: " + q);
        }
        if (total == 0) {
            return 0;
        }
        long rank = Math.max(1, (long) Math.ceil(q * total));
        long seen = 0;
        for (int i = 0; i < BUCKETS; i++) {
            seen += counts[i];
            if (seen >= rank) {
                return Math.min(highest(i), max);
            }
        }
        return max;
    }
}
