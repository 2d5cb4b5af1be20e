package dev.weft.loop.jfr;

import java.util.Set;
import jdk.jfr.SettingControl;

/**
 * The {@code lagThreshold} setting of {@code dev.weft.LoopLag}: a JFR time span ({@code "20 ms"});
 * with several recordings, the smallest. A value that does not parse leaves the previous one.
 */
public final class LagThreshold extends SettingControl {
    static final String DEFAULT = "20 ms";

    private volatile String value = DEFAULT;
    private volatile long nanos = parse(DEFAULT);

    /** Made by JFR through its public constructor. */
    public LagThreshold() {
    }

    long nanos() {
        return nanos;
    }

    @Override
    public String combine(Set<String> values) {
        String best = null;
        long bestNanos = Long.MAX_VALUE;
        for (String v : values) {
            long n = parse(v);
            if (n >= 0 && n < bestNanos) {
                bestNanos = n;
                best = v;
            }
        }
        return best == null ? DEFAULT : best;
    }

    @Override
    public void setValue(String text) {
        long n = parse(text);
        if (n >= 0) {
            nanos = n;
            value = text;
        }
    }

    @Override
    public String getValue() {
        return value;
    }

    /**
     * A JFR time span ({@code "<number> <unit>"}, units ns, us, ms, s, m, h, d; or {@code "0"}) in
     * nanoseconds, saturated at {@link Long#MAX_VALUE}; -1 when it does not parse.
     */
    static long parse(String text) {
        if (text == null) {
            return -1;
        }
        String t = text.trim();
        if (t.equals("0")) {
            return 0;
        }
        int i = 0;
        while (i < t.length() && Character.isDigit(t.charAt(i))) {
            i++;
        }
        if (i == 0) {
            return -1;
        }
        long n;
        try {
            n = Long.parseLong(t.substring(0, i));
        } catch (NumberFormatException e) {
            return -1;
        }
        long unit;
        switch (t.substring(i).trim()) {
            case "ns": unit = 1L; break;
            case "us": unit = 1_000L; break;
            case "ms": unit = 1_000_000L; break;
            case "s": unit = 1_000_000_000L; break;
            case "m": unit = 60_000_000_000L; break;
            case "h": unit = 3_600_000_000_000L; break;
            case "d": unit = 86_400_000_000_000L; break;
            default: return -1;
        }
        return n > Long.MAX_VALUE / unit ? Long.MAX_VALUE : n * unit;
    }
}
