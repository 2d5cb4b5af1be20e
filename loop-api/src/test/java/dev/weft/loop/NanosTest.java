package dev.weft.loop;

import dev.weft.loop.core.Nanos;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class NanosTest {
    private static final long MAX = Long.MAX_VALUE;
    private static final long MIN = Long.MIN_VALUE;

    @Test
    void shouldAddAndSubtractExactlyInRangeAndSaturateOutside() {
        assertEquals(7, Nanos.add(3, 4));
        assertEquals(-1, Nanos.add(3, -4));
        assertEquals(MAX, Nanos.add(MAX - 1, 2));
        assertEquals(MAX, Nanos.add(MAX, MAX));
        assertEquals(MIN, Nanos.add(MIN + 1, -2));
        assertEquals(MIN, Nanos.add(MIN, MIN));
        assertEquals(-1, Nanos.add(MAX, MIN));
        assertEquals(MAX, Nanos.subtract(MAX, -1));
        assertEquals(MAX, Nanos.subtract(1, MIN));
        assertEquals(MIN, Nanos.subtract(MIN, 1));
        assertEquals(MIN, Nanos.subtract(-2, MAX));
        assertEquals(-1, Nanos.subtract(MAX - 1, MAX));
        assertEquals(0, Nanos.subtract(MIN, MIN));
    }

    @Test
    void shouldConvertEveryDurationWithoutThrowing() {
        assertEquals(1_500_000_000L, Nanos.of(Duration.ofMillis(1500)));
        assertEquals(-1_500_000_000L, Nanos.of(Duration.ofMillis(-1500)));
        assertEquals(-1, Nanos.of(Duration.ofNanos(-1)));
        assertEquals(MAX, Nanos.of(Duration.ofNanos(MAX)));
        assertEquals(MIN, Nanos.of(Duration.ofNanos(MIN)));
        assertEquals(MAX, Nanos.of(Duration.ofNanos(MAX).plusNanos(1)));
        assertEquals(MIN, Nanos.of(Duration.ofNanos(MIN).minusNanos(1)));
        assertEquals(MAX, Nanos.of(Duration.ofSeconds(MAX, 999_999_999)));
        assertEquals(MIN, Nanos.of(Duration.ofSeconds(MIN)));
        assertEquals(MAX, Nanos.of(Duration.ofDays(365L * 300)));
    }

    @Test
    void shouldComputeAPollTimeoutThatNeitherOverflowsNorExceedsADay() {
        assertEquals(0, EventLoop.pollTimeout(MIN, 1_000_000_000L), "a deadline near MIN is due");
        assertEquals(0, EventLoop.pollTimeout(1_000_000_000L + MIN, 1_000_000_000L), "time() + MAX + 1 is due");
        assertEquals(0, EventLoop.pollTimeout(5, 5));
        assertEquals(10_000_000, EventLoop.pollTimeout(-5_000_000, -15_000_000));
        assertEquals(TimeUnit.DAYS.toNanos(1), EventLoop.pollTimeout(MAX - 1, -1_000_000_000L),
                "far away across zero: the cap, not a wrapped negative value");
        assertEquals(TimeUnit.DAYS.toNanos(1), EventLoop.pollTimeout(MAX - 1, MIN));
    }
}
