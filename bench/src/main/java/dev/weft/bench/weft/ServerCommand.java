package dev.weft.bench.weft;

import dev.weft.loop.EventLoop;
import dev.weft.loop.EventLoopPolicy;
import java.util.Locale;

/**
 * The command line every Weft server subcommand shares ({@code --backend B --port P [--host H]
 * [--tls [--cert FILE --key FILE]]}) and the loop it asks for; {@code --tls} serves TLS (see
 * {@link TlsSetup}). A bad command line prints the reason and ends with exit status 2; a
 * backend that cannot run here, with 3.
 */
final class ServerCommand {
    final String host;
    final int port;
    final EventLoop loop;
    /** Server TLS options, or null for plaintext. */
    final dev.weft.loop.tls.TlsOptions tls;

    /** Thrown after the reason was printed; {@link #code} is the exit status. */
    static final class Exit extends Exception {
        private static final long serialVersionUID = 1L;
        final int code;

        Exit(int code) {
            super(null, null, false, false);
            this.code = code;
        }
    }

    private ServerCommand(String host, int port, EventLoop loop, dev.weft.loop.tls.TlsOptions tls) {
        this.host = host;
        this.port = port;
        this.loop = loop;
        this.tls = tls;
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
        boolean tls = false;
        String cert = null;
        String key = null;
        for (int i = from; i < argv.length; i++) {
            String opt = argv[i];
            if (opt.equals("--tls")) {
                tls = true;
                continue;
            }
            if (!opt.equals("--backend") && !opt.equals("--port") && !opt.equals("--host")
                    && !opt.equals("--cert") && !opt.equals("--key")) {
                return fail(name, "unknown argument '" + opt + "' (usage: " + usage + ")", 2);
            }
            if (i + 1 >= argv.length) {
                return fail(name, "option " + opt + " needs a value", 2);
            }
            String v = argv[++i];
            switch (opt) {
                case "--backend" -> backend = v.toLowerCase(Locale.ROOT);
                case "--host" -> host = v;
                case "--cert" -> cert = v;
                case "--key" -> key = v;
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
        if (!tls && (cert != null || key != null)) {
            return fail(name, "--cert and --key need --tls", 2);
        }
        dev.weft.loop.tls.TlsOptions tlsOptions = null;
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
            return new ServerCommand(host, port, EventLoopPolicy.newEventLoop(backend), tlsOptions);
        } catch (IllegalArgumentException | IllegalStateException e) {
            return fail(name, e.getMessage(), 3);
        }
    }

    private static ServerCommand fail(String name, String message, int code) throws Exit {
        System.err.println("weft-bench " + name + ": " + message);
        throw new Exit(code);
    }
}
