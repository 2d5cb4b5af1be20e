package dev.weft.loop.iocp;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What CreateProcessW takes as text: one command line and one environment block.
 *
 * <p><b>Command line.</b> A Windows child receives a single string and splits it itself; programs
 * built with the Microsoft C runtime (and {@code CommandLineToArgvW}) split it by the rules of
 * "Parsing C command-line arguments": arguments are separated by spaces or tabs; a double quote
 * starts or ends a quoted part; {@code 2n} backslashes before a quote are {@code n} backslashes and
 * the quote delimits, {@code 2n+1} are {@code n} backslashes and a literal quote; other backslashes
 * are literal. {@link #quote} is the inverse (as Python's {@code subprocess.list2cmdline}): each
 * argument round-trips through that parser. Programs that parse their own command line
 * ({@code cmd.exe /c} among them) may read it otherwise.
 *
 * <p>Pure functions; any thread.
 */
final class CommandLine {
    private CommandLine() {
    }

    /** The command line whose MSVCRT parse is {@code argv}. */
    static String quote(List<String> argv) {
        StringBuilder out = new StringBuilder();
        for (String arg : argv) {
            if (out.length() > 0) {
                out.append(' ');
            }
            boolean quoted = arg.isEmpty() || arg.indexOf(' ') >= 0 || arg.indexOf('\t') >= 0;
            if (quoted) {
                out.append('"');
            }
            int backslashes = 0;
            for (int i = 0; i < arg.length(); i++) {
                char c = arg.charAt(i);
                if (c == '\\') {
                    backslashes++;
                } else if (c == '"') {
                    // Each backslash before a quote doubles, and the quote itself is escaped.
                    out.append("\\".repeat(2 * backslashes + 1)).append('"');
                    backslashes = 0;
                } else {
                    out.append("\\".repeat(backslashes)).append(c);
                    backslashes = 0;
                }
            }
            // Backslashes before the closing quote double; elsewhere they stay as they are.
            out.append("\\".repeat(quoted ? 2 * backslashes : backslashes));
            if (quoted) {
                out.append('"');
            }
        }
        return out.toString();
    }

    /**
     * The MSVCRT parse of a command line by the rules above (the later rule for {@code ""} inside a
     * quoted part left out: {@link #quote} never writes it): the reference {@link #quote} is checked
     * against.
     */
    static List<String> parse(String line) {
        List<String> args = new ArrayList<>();
        int i = 0;
        int n = line.length();
        while (true) {
            while (i < n && (line.charAt(i) == ' ' || line.charAt(i) == '\t')) {
                i++;
            }
            if (i >= n) {
                return args;
            }
            StringBuilder arg = new StringBuilder();
            boolean inQuotes = false;
            while (i < n) {
                char c = line.charAt(i);
                if (!inQuotes && (c == ' ' || c == '\t')) {
                    break;
                }
                if (c == '\\') {
                    int start = i;
                    while (i < n && line.charAt(i) == '\\') {
                        i++;
                    }
                    int count = i - start;
                    if (i < n && line.charAt(i) == '"') {
                        arg.append("\\".repeat(count / 2));
                        if (count % 2 == 1) {
                            arg.append('"');
                            i++;
                        }
                    } else {
                        arg.append("\\".repeat(count));
                    }
                } else if (c == '"') {
                    i++;
                    inQuotes = !inQuotes;
                } else {
                    arg.append(c);
                    i++;
                }
            }
            args.add(arg.toString());
        }
    }

    /**
     * The environment block of CREATE_UNICODE_ENVIRONMENT: {@code name=value} entries, each ending in
     * NUL, sorted by name without regard to case (as CreateProcess documents for a block it is
     * given), and a final NUL.
     */
    static String environmentBlock(Map<String, String> env) {
        List<String> names = new ArrayList<>(env.keySet());
        names.sort((a, b) -> {
            int c = a.toUpperCase(Locale.ROOT).compareTo(b.toUpperCase(Locale.ROOT));
            return c != 0 ? c : a.compareTo(b);
        });
        StringBuilder out = new StringBuilder();
        for (String name : names) {
            out.append(name).append('=').append(env.get(name)).append('\0');
        }
        if (names.isEmpty()) {
            // An empty block is two NULs.
            out.append('\0');
        }
        return out.append('\0').toString();
    }
}
