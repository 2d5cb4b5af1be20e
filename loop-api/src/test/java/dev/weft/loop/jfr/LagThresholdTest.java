package dev.weft.loop.jfr;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Set;
import org.junit.jupiter.api.Test;

class LagThresholdTest {
    @Test
    void shouldParseJfrTimeSpans() {
        assertEquals(0, LagThreshold.parse("0"));
        assertEquals(20_000_000L, LagThreshold.parse("20 ms"));
        assertEquals(5_000L, LagThreshold.parse("5us"));
        assertEquals(2_000_000_000L, LagThreshold.parse(" 2 s "));
        assertEquals(Long.MAX_VALUE, LagThreshold.parse("999999999999 d"));
        assertEquals(-1, LagThreshold.parse("fast"));
        assertEquals(-1, LagThreshold.parse("20 parsecs"));
        assertEquals(-1, LagThreshold.parse(null));
    }

    @Test
    void shouldCombineRecordingsToTheSmallestThreshold() {
        LagThreshold t = new LagThreshold();
        assertEquals("5 ms", t.combine(Set.of("1 s", "5 ms", "20 ms")));
        assertEquals(LagThreshold.DEFAULT, t.combine(Set.of("nonsense")));
    }

    @Test
    void shouldKeepThePreviousValueWhenTheNewOneDoesNotParse() {
        LagThreshold t = new LagThreshold();
        t.setValue("7 ms");
        t.setValue("soon");
        assertEquals("7 ms", t.getValue());
        assertEquals(7_000_000L, t.nanos());
    }
}
