package dev.weft.bench.weft;

import dev.weft.loop.EventLoop;
import dev.weft.loop.EventLoopPolicy;
import dev.weft.loop.tls.TlsOptions;
import java.util.Locale;

/**
 * The command line every Weft server subcommand shares ({@code --backend B --port P [--host H]
 * [--tls [--cert FILE --key FILE]] [--udp]}, or {@code --backend B --unix PATH} where the subcommand listens
 * on a Unix domain socket instead) and the loop it asks for; {@code --tls} serves TLS (see
 * {@link TlsSetup}). A bad command line prints the reason and ends with exit status 2; a backend that
 * cannot run here, with 3.
 */
final class ServerCommand {
    final String host;
    final int port;
    /** The Unix socket path of {@code --unix}, or null for TCP. */
    final String unixPath;
    /** The loop, or null with {@code --loops N}: then {@link #backend} names the group's backend. */
    final EventLoop loop;
    /** {@code --loops N}: serve on an {@code EventLoopGroup} of N loops; 0 when not given (one loop). */
    final int loops;
    /** The backend asked for. */
    final String backend;
    /** The server's TLS options with {@code --tls}, else null. */
    final TlsOptions tls;
    /** {@code --udp}: serve UDP instead of TCP (only where the subcommand's usage lists it). */
    final boolean udp;
    /**
     * {@code --train SECONDS} (only where the subcommand's usage lists it): drive the server with
     * its own load for that long, then end; 0 when not given.
     */
    final int trainSeconds;
    /**
     * {@code --warm SECONDS} (only where the subcommand's usage lists it): drive the server with
     * its own load for that long before saying it is listening; 0 when not given.
     */
    final int warmSeconds;

    /** Thrown after the reason was printed; {@link #code} is the exit status. */
    static final class Exit extends Exception {
        private static final long serialVersionUID = 1L;
        final int code;

        Exit(int code) {
            super(null, null, false, false);
            this.code = code;
        }
    }

    private ServerCommand(String host, int port, String unixPath, EventLoop loop, TlsOptions tls, boolean udp,
                          int loops, String backend, int trainSeconds, int warmSeconds) {
        this.trainSeconds = trainSeconds;
        this.warmSeconds = warmSeconds;
        this.loops = loops;
        this.backend = backend;
        this.udp = udp;
        this.host = host;
        this.port = port;
        this.unixPath = unixPath;
        this.loop = loop;
        this.tls = tls;
    }

    /**
     * Parses {@code argv} from {@code from} for subcommand {@code name}; {@code defaultBackend} null
     * means {@code --backend} is required.
     */
    static ServerCommand parse(String name, String usage, String defaultBackend, String[] argv, int from)
            throws Exit {
        return parse(name, usage, defaultBackend, argv, from, false);
    }

    /** As above; {@code unix}: {@code --unix PATH} is accepted in place of {@code --host/--port}. */
    static ServerCommand parse(String name, String usage, String defaultBackend, String[] argv, int from,
                               boolean unix) throws Exit {
        String backend = defaultBackend;
        String host = "127.0.0.1";
        boolean hostGiven = false;
        int port = -1;
        String unixPath = null;
        boolean tls = false;
        boolean udp = false;
        String cert = null;
        String key = null;
        int loops = 0;
        int train = 0;
        int warm = 0;
        for (int i = from; i < argv.length; i++) {
            String opt = argv[i];
            if (opt.equals("--tls")) {
                tls = true;
                continue;
            }
            if (opt.equals("--udp") && usage.contains("--udp")) {
                udp = true;
                continue;
            }
            boolean known = opt.equals("--backend") || opt.equals("--port") || opt.equals("--host")
                    || opt.equals("--cert") || opt.equals("--key") || (unix && opt.equals("--unix"))
                    || (opt.equals("--loops") && usage.contains("--loops"))
                    || (opt.equals("--train") && usage.contains("--train"))
                    || (opt.equals("--warm") && usage.contains("--warm"));
            if (!known) {
                return fail(name, "unknown argument '" + opt + "' (usage: " + usage + ")", 2);
            }
            if (i + 1 >= argv.length) {
                return fail(name, "option " + opt + " needs a value", 2);
            }
            String v = argv[++i];
            switch (opt) {
                case "--backend" -> backend = v.toLowerCase(Locale.ROOT);
                case "--host" -> {
                    host = v;
                    hostGiven = true;
                }
                case "--cert" -> cert = v;
                case "--key" -> key = v;
                case "--loops" -> {
                    try {
                        loops = Integer.parseInt(v);
                    } catch (NumberFormatException e) {
                        loops = -1;
                    }
                    if (loops < 1 || loops > 1024) {
                        return fail(name, "--loops must be an integer in [1, 1024], got '" + v + "'", 2);
                    }
                }
                case "--train", "--warm" -> {
                    int secs;
                    try {
                        secs = Integer.parseInt(v);
                    } catch (NumberFormatException e) {
                        secs = -1;
                    }
                    if (secs < 1 || secs > 3600) {
                        return fail(name, opt + " must be a number of seconds in [1, 3600], got '" + v + "'", 2);
                    }
                    if (opt.equals("--train")) {
                        train = secs;
                    } else {
                        warm = secs;
                    }
                }
                case "--unix" -> {
                    if (v.isEmpty()) {
                        return fail(name, "--unix needs a socket path, got an empty string", 2);
                    }
                    // A command line cannot carry NUL: "@name" stands for the abstract name "\0name", as ss(8) shows it.
                    unixPath = v.startsWith("@") ? "\0" + v.substring(1) : v;
                }
                default -> {
                    try {
                        port = Integer.parseInt(v);
                    } catch (NumberFormatException e) {
                        port = -1;
                    }
                    if (port < 0 || port > 65535) {
                        return fail(name, "--port must be an integer in [0, 65535], got '" + v + "'", 2);
                    }
                }
            }
        }
        if (unixPath != null && (port >= 0 || hostGiven)) {
            return fail(name, "--unix PATH replaces --host and --port; give one or the other (usage: " + usage + ")", 2);
        }
        if (backend == null || (port < 0 && unixPath == null)) {
            return fail(name, "missing " + (backend == null ? "--backend B" : unix ? "--port P or --unix PATH" : "--port P")
                    + " (usage: " + usage + ")", 2);
        }
        if (udp && (tls || unixPath != null)) {
            return fail(name, "--udp serves UDP on --host/--port; it does not combine with --tls or --unix", 2);
        }
        if (loops > 0 && (tls || udp)) {
            return fail(name, "--loops serves TCP or --unix on a loop group; it does not combine with --tls or --udp", 2);
        }
        if ((train > 0 || warm > 0) && (tls || udp || unixPath != null)) {
            return fail(name, (train > 0 ? "--train" : "--warm")
                    + " drives plain TCP (--port); it does not combine with --tls, --udp or --unix", 2);
        }
        if (warm > 0 && (train > 0 || loops > 0)) {
            return fail(name, "--warm serves one loop after warming it; it does not combine with --train or --loops", 2);
        }
        if (!tls && (cert != null || key != null)) {
            return fail(name, "--cert and --key need --tls", 2);
        }
        TlsOptions tlsOptions = null;
        if (tls) {
            try {
                tlsOptions = TlsSetup.options(name, cert, key);
            } catch (IllegalArgumentException e) {
                return fail(name, e.getMessage(), 2);
            } catch (Exception e) {
                return fail(name, "cannot set up TLS: " + e.getMessage(), 1);
            }
        }
        try {
            if (loops > 0) {
                // The group makes its loops; check the backend now, as a single loop would.
                EventLoopPolicy.backend(backend);
                return new ServerCommand(host, port, unixPath, null, tlsOptions, udp, loops, backend, train, warm);
            }
            return new ServerCommand(host, port, unixPath, EventLoopPolicy.newEventLoop(backend), tlsOptions, udp, 0,
                    backend, train, warm);
        } catch (IllegalArgumentException | IllegalStateException e) {
            return fail(name, e.getMessage(), 3);
        }
    }

    private static ServerCommand fail(String name, String message, int code) throws Exit {
        System.err.println("weft-bench " + name + ": " + message);
        throw new Exit(code);
    }
}
