package dev.weft.bench.weft;

import dev.weft.loop.EventLoopPolicy;
import dev.weft.loop.spi.LoopBackend;
import java.util.ArrayList;
import java.util.List;

/** The Weft backends on the class path, for the report: {@code [name, unavailability or null]}. */
public final class WeftBackends {
    private WeftBackends() {
    }

    public static List<String[]> list() {
        List<String[]> out = new ArrayList<>();
        for (LoopBackend b : EventLoopPolicy.backends()) {
            String why = null;
            if (!b.isAvailable()) {
                Throwable c = b.unavailabilityCause();
                why = c == null ? "unavailable (no reason given)" : String.valueOf(c.getMessage());
            }
            out.add(new String[] {b.name(), why});
        }
        return out;
    }
}
