package dev.weft.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Parses {@code --name value} options and {@code --flag} switches of one subcommand. Every
 * option must be declared; an unknown option, a missing value, a repeated option or a value of the
 * wrong type fails with a {@link UsageException} naming it. Not thread-safe; one instance per parse.
 */
final class Args {
    private final String command;
    private final Map<String, String> values = new LinkedHashMap<>();
    private final List<String> positional = new ArrayList<>();

    private Args(String command) {
        this.command = command;
    }

    /**
     * @param options names (without {@code --}) that take a value
     * @param flags   names (without {@code --}) that take none
     */
    static Args parse(String command, String[] argv, int from, Set<String> options, Set<String> flags) {
        Args a = new Args(command);
        for (int i = from; i < argv.length; i++) {
            String s = argv[i];
            if (s.startsWith("--")) {
                String name = s.substring(2);
                String inline = null;
                int eq = name.indexOf('=');
                if (eq >= 0) {
                    inline = name.substring(eq + 1);
                    name = name.substring(0, eq);
                }
                if (a.values.containsKey(name)) {
                    throw new UsageException(command + ": option --" + name + " given twice");
                }
                if (flags.contains(name)) {
                    if (inline != null) {
                        throw new UsageException(command + ": option --" + name + " takes no value");
                    }
                    a.values.put(name, "true");
                } else if (options.contains(name)) {
                    if (inline == null) {
                        if (i + 1 >= argv.length || argv[i + 1].startsWith("--")) {
                            throw new UsageException(command + ": option --" + name + " needs a value");
                        }
                        inline = argv[++i];
                    }
                    a.values.put(name, inline);
                } else {
                    throw new UsageException(command + ": unknown option --" + name
                            + " (known: " + known(options, flags) + ")");
                }
            } else {
                a.positional.add(s);
            }
        }
        return a;
    }

    private static String known(Set<String> options, Set<String> flags) {
        List<String> all = new ArrayList<>();
        options.forEach(o -> all.add("--" + o));
        flags.forEach(f -> all.add("--" + f));
        all.sort(null);
        return all.isEmpty() ? "none" : String.join(" ", all);
    }

    List<String> positional() {
        return positional;
    }

    /** Fails unless there are exactly {@code n} positional arguments. */
    Args expectPositional(int n, String what) {
        if (positional.size() != n) {
            throw new UsageException(command + ": expected " + (n == 0 ? "no argument" : what)
                    + (positional.isEmpty() ? "" : ", got: " + String.join(" ", positional)));
        }
        return this;
    }

    boolean flag(String name) {
        return values.containsKey(name);
    }

    String string(String name, String dflt) {
        String v = values.get(name);
        return v != null ? v : dflt;
    }

    String required(String name) {
        String v = values.get(name);
        if (v == null) {
            throw new UsageException(command + ": missing required option --" + name);
        }
        return v;
    }

    String choice(String name, String dflt, List<String> allowed) {
        String v = dflt == null ? required(name) : string(name, dflt);
        if (!allowed.contains(v)) {
            throw new UsageException(command + ": --" + name + " must be one of " + allowed + ", got '" + v + "'");
        }
        return v;
    }

    /** An integer option within [min, max]; {@code dflt} null means required. */
    int integer(String name, Integer dflt, int min, int max) {
        String v = values.get(name);
        if (v == null) {
            if (dflt == null) {
                throw new UsageException(command + ": missing required option --" + name);
            }
            return dflt;
        }
        int n;
        try {
            n = Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new UsageException(command + ": --" + name + " must be an integer, got '" + v + "'");
        }
        if (n < min || n > max) {
            throw new UsageException(command + ": --" + name + " must be in [" + min + ", " + max + "], got " + n);
        }
        return n;
    }

    /** A size such as {@code 64}, {@code 1k}, {@code 100KiB}; within [min, max] bytes. */
    int size(String name, Integer dflt, int min, int max) {
        String v = values.get(name);
        if (v == null) {
            if (dflt == null) {
                throw new UsageException(command + ": missing required option --" + name);
            }
            return dflt;
        }
        long n;
        try {
            n = parseSize(v);
        } catch (IllegalArgumentException e) {
            throw new UsageException(command + ": --" + name + " " + e.getMessage());
        }
        if (n < min || n > max) {
            throw new UsageException(command + ": --" + name + " must be in [" + min + ", " + max + "] bytes, got " + n);
        }
        return (int) n;
    }

    static long parseSize(String v) {
        String s = v.trim().toLowerCase(java.util.Locale.ROOT);
        long mult = 1;
        if (s.endsWith("kib") || s.endsWith("k")) {
            mult = 1024;
            s = s.substring(0, s.length() - (s.endsWith("kib") ? 3 : 1));
        } else if (s.endsWith("mib") || s.endsWith("m")) {
            mult = 1024 * 1024;
            s = s.substring(0, s.length() - (s.endsWith("mib") ? 3 : 1));
        } else if (s.endsWith("b")) {
            s = s.substring(0, s.length() - 1);
        }
        try {
            return Math.multiplyExact(Long.parseLong(s.trim()), mult);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException("must be a size like 64, 1KiB or 100k, got '" + v + "'");
        }
    }

    /** A TCP port in [1, 65535] (0 allowed when {@code allowZero}). */
    int port(String name, Integer dflt, boolean allowZero) {
        return integer(name, dflt, allowZero ? 0 : 1, 65535);
    }

    /** A loopback host: only loopback addresses are allowed for benchmark traffic. */
    String loopbackHost(String name, String dflt) {
        String h = string(name, dflt);
        if (!(h.equals("127.0.0.1") || h.equals("::1") || h.equals("localhost") || h.startsWith("127."))) {
            throw new UsageException(command + ": --" + name + " must be a loopback address, got '" + h + "'");
        }
        return h;
    }
}
