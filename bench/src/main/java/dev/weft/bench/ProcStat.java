package dev.weft.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * CPU time of a process from {@code /proc/<pid>/stat} (proc(5)): fields 14 {@code utime} and 15
 * {@code stime}, in clock ticks, summed over all its threads. The command name (field 2) is in
 * parentheses and may itself hold spaces and parentheses, so fields are counted after the last
 * {@code ')'}.
 */
final class ProcStat {
    /** User and system CPU time in clock ticks. */
    record Cpu(long userTicks, long sysTicks) {
        Cpu minus(Cpu o) {
            return new Cpu(userTicks - o.userTicks, sysTicks - o.sysTicks);
        }
    }

    private static volatile long clkTck;

    private ProcStat() {
    }

    /** Parses the content of a {@code /proc/<pid>/stat} file. */
    static Cpu parse(String stat) {
        int close = stat.lastIndexOf(')');
        if (close < 0) {
            throw new IllegalArgumentException("not a /proc stat line (no ')'): " + abbreviate(stat));
        }
        String[] f = stat.substring(close + 1).trim().split("\\s+");
        // f[0] is field 3 (state); utime is field 14 -> f[11], stime field 15 -> f[12]
        if (f.length < 13) {
            throw new IllegalArgumentException("not a /proc stat line (" + (f.length + 2) + " fields): " + abbreviate(stat));
        }
        try {
            return new Cpu(Long.parseLong(f[11]), Long.parseLong(f[12]));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a /proc stat line (utime/stime not numbers): " + abbreviate(stat));
        }
    }

    private static String abbreviate(String s) {
        return s.length() > 80 ? s.substring(0, 80) + "..." : s;
    }

    static Cpu read(long pid) throws IOException {
        return parse(Files.readString(Path.of("/proc", String.valueOf(pid), "stat")));
    }

    static Cpu self() throws IOException {
        return parse(Files.readString(Path.of("/proc/self/stat")));
    }

    /** Clock ticks per second from {@code getconf CLK_TCK} (100 when it cannot be run). */
    static long clockTicks() {
        long t = clkTck;
        if (t == 0) {
            Proc.Result r = Proc.run(List.of("getconf", "CLK_TCK"), 10);
            t = 100;
            if (r.exit() == 0) {
                try {
                    t = Long.parseLong(r.out().trim());
                } catch (NumberFormatException ignored) {
                    // keep 100, the value on every Linux we know
                }
            }
            clkTck = t;
        }
        return t;
    }
}
