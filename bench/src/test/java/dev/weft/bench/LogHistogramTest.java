package dev.weft.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LogHistogramTest {
    @Test
    void shouldMapEveryValueIntoABucketThatContainsIt() {
        Random r = new Random(1);
        for (int i = 0; i < 200_000; i++) {
            long v = i < 1000 ? i : r.nextLong() >>> (1 + r.nextInt(63));
            int idx = LogHistogram.index(v);
            assertTrue(idx >= 0 && idx < LogHistogram.BUCKETS, "index " + idx + " for " + v);
            assertTrue(LogHistogram.lowest(idx) <= v && v <= LogHistogram.highest(idx),
                    v + " not in [" + LogHistogram.lowest(idx) + ", " + LogHistogram.highest(idx) + "]");
        }
        assertTrue(LogHistogram.index(Long.MAX_VALUE) < LogHistogram.BUCKETS);
    }

    @Test
    void shouldKeepBucketsContiguousAndWithinOneSixtyFourthWide() {
        for (int i = 1; i < LogHistogram.BUCKETS; i++) {
            assertEquals(LogHistogram.highest(i - 1) + 1, LogHistogram.lowest(i), "gap before bucket " + i);
            long lo = LogHistogram.lowest(i);
            long width = LogHistogram.highest(i) - lo + 1;
            assertTrue(lo < 128 ? width == 1 : width * 64 <= lo, "bucket " + i + " too wide");
        }
    }

    @Test
    void shouldReportExactPercentilesForSmallValues() {
        LogHistogram h = new LogHistogram();
        for (int v = 1; v <= 100; v++) {
            h.record(v);
        }
        assertEquals(50, h.percentile(0.5));
        assertEquals(99, h.percentile(0.99));
        assertEquals(100, h.percentile(1.0));
        assertEquals(1, h.percentile(0.0));
        assertEquals(50.5, h.mean(), 1e-9);
        assertEquals(100, h.max());
        assertEquals(1, h.min());
    }

    @Test
    void shouldStayWithinRelativeErrorAndNeverBelowTheTruePercentile() {
        Random r = new Random(7);
        long[] vals = new long[100_000];
        LogHistogram h = new LogHistogram();
        for (int i = 0; i < vals.length; i++) {
            vals[i] = 1000 + (long) (Math.abs(r.nextGaussian()) * 1_000_000);
            h.record(vals[i]);
        }
        Arrays.sort(vals);
        for (double q : new double[] {0.5, 0.9, 0.99, 0.999}) {
            long truth = vals[(int) Math.ceil(q * vals.length) - 1];
            long got = h.percentile(q);
            assertTrue(got >= truth, "p" + q + " " + got + " < " + truth);
            assertTrue(got <= truth + truth / 64 + 1, "p" + q + " " + got + " too far above " + truth);
        }
    }

    @Test
    void shouldMergeHistogramsAsIfRecordedInOne() {
        LogHistogram a = new LogHistogram();
        LogHistogram b = new LogHistogram();
        LogHistogram both = new LogHistogram();
        for (int i = 0; i < 1000; i++) {
            (i % 2 == 0 ? a : b).record(i * 37L);
            both.record(i * 37L);
        }
        a.add(b);
        assertEquals(both.count(), a.count());
        assertEquals(both.percentile(0.99), a.percentile(0.99));
        assertEquals(both.max(), a.max());
        assertEquals(both.mean(), a.mean(), 1e-9);
    }

    @Test
    void shouldRejectNegativeValuesAndBadQuantiles() {
        LogHistogram h = new LogHistogram();
        assertThrows(IllegalArgumentException.class, () -> h.record(-1));
        assertThrows(IllegalArgumentException.class, () -> h.percentile(1.5));
        assertEquals(0, h.percentile(0.5));
    }
}
