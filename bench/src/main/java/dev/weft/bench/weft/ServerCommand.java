package dev.weft.bench.weft;

import dev.weft.loop.EventLoop;
import dev.weft.loop.EventLoopPolicy;
import java.util.Locale;

/**
 * The command line every Weft server subcommand shares ({@code --backend B --port P [--host H] [--udp]};
 * {@code --udp} only where the subcommand serves UDP)
 * and the loop it asks for. A bad command line prints the reason and ends with exit status 2; a
 * backend that cannot run here, with 3.
 */
final class ServerCommand {
    final String host;
    final int port;
    final EventLoop loop;
    /** {@code --udp} was given. */
    final boolean udp;

    /** Thrown after the reason was printed; {@link #code} is the exit status. */
    static final class Exit extends Exception {
        private static final long serialVersionUID = 1L;
        final int code;

        Exit(int code) {
            super(null, null, false, false);
            this.code = code;
        }
    }

    private ServerCommand(String host, int port, EventLoop loop, boolean udp) {
        this.udp = udp;
        this.host = host;
        this.port = port;
        this.loop = loop;
    }

    /**
     * Parses {@code argv} from {@code from} for subcommand {@code name}; {@code defaultBackend} null
     * means {@code --backend} is required.
     */
    static ServerCommand parse(String name, String usage, String defaultBackend, String[] argv, int from)
            throws Exit {
        String backend = defaultBackend;
        String host = "127.0.0.1";
        int port = -1;
        boolean udp = false;
        for (int i = from; i < argv.length; i++) {
            String opt = argv[i];
            if (opt.equals("--udp") && usage.contains("--udp")) {
                udp = true;
                continue;
            }
            if (!opt.equals("--backend") && !opt.equals("--port") && !opt.equals("--host")) {
                return fail(name, "unknown argument '" + opt + "' (usage: " + usage + ")", 2);
            }
            if (i + 1 >= argv.length) {
                return fail(name, "option " + opt + " needs a value", 2);
            }
            String v = argv[++i];
            switch (opt) {
                case "--backend" -> backend = v.toLowerCase(Locale.ROOT);
                case "--host" -> host = v;
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
        if (backend == null || port < 0) {
            return fail(name, "missing " + (backend == null ? "--backend B" : "--port P") + " (usage: " + usage + ")", 2);
        }
        try {
            return new ServerCommand(host, port, EventLoopPolicy.newEventLoop(backend), udp);
        } catch (IllegalArgumentException | IllegalStateException e) {
            return fail(name, e.getMessage(), 3);
        }
    }

    private static ServerCommand fail(String name, String message, int code) throws Exit {
        System.err.println("weft-bench " + name + ": " + message);
        throw new Exit(code);
    }
}
