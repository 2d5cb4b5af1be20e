package dev.weft.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ProcStatTest {
    // A real line from proc(5)'s layout: utime 1234 (field 14), stime 567 (field 15).
    static final String LINE = "4242 (java) S 1 4242 4242 0 -1 4194560 12345 0 0 0 1234 567 0 0 20 0 25 0 "
            + "987654 4096000000 50000 18446744073709551615 1 1 0 0 0 0 0 4096 17663 0 0 0 17 0 0 0 0 0 0";

    @Test
    void shouldReadUtimeAndStimeFromFields14And15() {
        ProcStat.Cpu c = ProcStat.parse(LINE);
        assertEquals(1234, c.userTicks());
        assertEquals(567, c.sysTicks());
    }

    @Test
    void shouldCountFieldsAfterACommandNameWithSpacesAndParentheses() {
        String tricky = LINE.replace("(java)", "(my (weird) cmd 1 2 3)");
        ProcStat.Cpu c = ProcStat.parse(tricky);
        assertEquals(1234, c.userTicks());
        assertEquals(567, c.sysTicks());
    }

    @Test
    void shouldSubtractSnapshots() {
        ProcStat.Cpu d = new ProcStat.Cpu(150, 40).minus(new ProcStat.Cpu(100, 30));
        assertEquals(50, d.userTicks());
        assertEquals(10, d.sysTicks());
    }

    @Test
    void shouldRejectTruncatedOrGarbledLines() {
        assertThrows(IllegalArgumentException.class, () -> ProcStat.parse("4242 java S 1"));
        assertThrows(IllegalArgumentException.class, () -> ProcStat.parse("4242 (java) S 1 2 3"));
        assertThrows(IllegalArgumentException.class, () -> ProcStat.parse(LINE.replace(" 1234 ", " x ")));
    }

    @Test
    void shouldParseThisProcessesOwnStat() throws Exception {
        ProcStat.Cpu c = ProcStat.self();
        assertTrue(c.userTicks() >= 0 && c.sysTicks() >= 0);
        assertTrue(ProcStat.clockTicks() > 0);
    }
}
