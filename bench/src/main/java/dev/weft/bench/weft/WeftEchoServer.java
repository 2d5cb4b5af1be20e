package dev.weft.bench.weft;

import dev.weft.loop.EventLoop;
import dev.weft.loop.EventLoopPolicy;
import dev.weft.loop.Protocol;
import dev.weft.loop.Server;
import dev.weft.loop.ServerOptions;
import dev.weft.loop.Transport;
import java.net.InetSocketAddress;
import java.util.Locale;
import org.agrona.DirectBuffer;

/**
 * {@code echo-server --backend B --port P [--host 127.0.0.1]}: a quiet Weft echo server for load
 * tests. One loop, {@link ServerOptions#DEFAULTS}; the protocol writes each read view straight
 * back (the transport tries the syscall from the view and copies only what the kernel leaves).
 * Prints one line {@code listening on HOST:PORT backend=B} when ready, nothing afterwards.
 */
public final class WeftEchoServer {
    private WeftEchoServer() {
    }

    /** Pure echo: no allocation, no copy on the path where the kernel takes the whole write. */
    static final class Echo implements Protocol {
        private Transport transport;

        @Override
        public void connectionMade(Transport t) {
            this.transport = t;
        }

        @Override
        public void dataReceived(DirectBuffer data) {
            transport.write(data);
        }

        @Override
        public void connectionLost(Throwable cause) {
            transport = null;
        }
    }

    public static int run(String[] argv, int from) throws Exception {
        String backend = null;
        String host = "127.0.0.1";
        Integer port = null;
        for (int i = from; i < argv.length; i++) {
            String opt = argv[i];
            if (!opt.equals("--backend") && !opt.equals("--port") && !opt.equals("--host")) {
                System.err.println("weft-bench echo-server: unknown argument '" + opt
                        + "' (usage: --backend B --port P [--host 127.0.0.1])");
                return 2;
            }
            if (i + 1 >= argv.length) {
                System.err.println("weft-bench echo-server: option " + opt + " needs a value");
                return 2;
            }
            String v = argv[++i];
            switch (opt) {
                case "--backend":
                    backend = v.toLowerCase(Locale.ROOT);
                    break;
                case "--host":
                    host = v;
                    break;
                default:
                    try {
                        port = Integer.parseInt(v);
                    } catch (NumberFormatException e) {
                        port = -1;
                    }
                    if (port < 0 || port > 65535) {
                        System.err.println("weft-bench echo-server: --port must be an integer in [0, 65535], got '" + v + "'");
                        return 2;
                    }
            }
        }
        if (backend == null || port == null) {
            System.err.println("weft-bench echo-server: missing " + (backend == null ? "--backend B" : "--port P")
                    + " (usage: --backend B --port P [--host 127.0.0.1])");
            return 2;
        }
        EventLoop loop;
        try {
            loop = EventLoopPolicy.newEventLoop(backend);
        } catch (IllegalArgumentException | IllegalStateException e) {
            System.err.println("weft-bench echo-server: " + e.getMessage());
            return 3;
        }
        Server server = loop.runUntilComplete(loop.createServer(Echo::new, host, port, ServerOptions.DEFAULTS));
        InetSocketAddress a = server.addresses().get(0);
        System.out.println("listening on " + a.getAddress().getHostAddress() + ":" + a.getPort()
                + " backend=" + loop.backendName());
        System.out.flush();
        System.err.println("weft-bench echo-server: " + EventLoopPolicy.backend(backend));
        dev.weft.bench.ServerStats.start();
        // Serves until the process is killed.
        loop.runForever();
        return 0;
    }
}
