package dev.weft.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class StatsTest {
    @Test
    void shouldTakeTheMiddleValueOrTheMeanOfTheTwoMiddleOnes() {
        assertEquals(3.0, Stats.median(List.of(5.0, 1.0, 3.0)));
        assertEquals(2.5, Stats.median(List.of(4.0, 1.0, 3.0, 2.0)));
        assertEquals(7.0, Stats.median(List.of(7.0)));
    }

    @Test
    void shouldIgnoreMissingValues() {
        List<Double> xs = Arrays.asList(null, 4.0, Double.NaN, 2.0, null);
        assertEquals(3.0, Stats.median(xs));
        assertEquals(2.0, Stats.min(xs));
        assertEquals(4.0, Stats.max(xs));
        assertNull(Stats.median(Arrays.asList(null, null)));
        assertNull(Stats.min(List.of()));
    }

    @Test
    void shouldGiveNoRatioWithoutAPositiveBase() {
        assertEquals(2.0, Stats.ratio(10.0, 5.0));
        assertNull(Stats.ratio(10.0, 0.0));
        assertNull(Stats.ratio(null, 5.0));
        assertNull(Stats.ratio(10.0, null));
    }

    @Test
    void shouldMeasureSpreadRelativeToTheMedian() {
        assertEquals(0.5, Stats.spread(List.of(8.0, 10.0, 13.0)), 1e-12);
    }
}
