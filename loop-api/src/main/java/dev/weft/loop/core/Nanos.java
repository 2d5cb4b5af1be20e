package dev.weft.loop.core;

import java.time.Duration;

/**
 * Saturating arithmetic on the loop's clock. Times are points on a signed 64-bit line of
 * nanoseconds; a sum or difference that would leave it stops at {@link Long#MIN_VALUE} or
 * {@link Long#MAX_VALUE} instead of wrapping, so "far in the past" stays in the past and "far in the
 * future" stays in the future. Stateless; thread-safe.
 */
public final class Nanos {
    private static final long MAX_SECONDS = Long.MAX_VALUE / 1_000_000_000L;

    private Nanos() {
    }

    /** {@code a + b}, saturated. */
    public static long add(long a, long b) {
        long r = a + b;
        // Overflow only when both operands have the same sign and the result has the other.
        if (((a ^ r) & (b ^ r)) < 0) {
            return a < 0 ? Long.MIN_VALUE : Long.MAX_VALUE;
        }
        return r;
    }

    /** {@code a - b}, saturated. */
    public static long subtract(long a, long b) {
        long r = a - b;
        // Overflow only when the operands have different signs and the result has b's sign.
        if (((a ^ b) & (a ^ r)) < 0) {
            return a < 0 ? Long.MIN_VALUE : Long.MAX_VALUE;
        }
        return r;
    }

    /** {@code d} in nanoseconds, saturated (where {@link Duration#toNanos()} throws). */
    public static long of(Duration d) {
        long s = d.getSeconds();
        if (s > MAX_SECONDS) {
            return Long.MAX_VALUE;
        }
        if (s < -MAX_SECONDS - 1) {
            return Long.MIN_VALUE;
        }
        // A Duration is seconds plus 0..999,999,999 ns; for negative seconds borrow one second so
        // that the product stays in range.
        return s < 0 ? add((s + 1) * 1_000_000_000L, d.getNano() - 1_000_000_000L)
                : add(s * 1_000_000_000L, d.getNano());
    }
}
