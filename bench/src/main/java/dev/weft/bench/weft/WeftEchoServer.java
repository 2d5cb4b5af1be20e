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
 * {@code echo-server --backend B --port P [--host 127.0.0.1] [--tls [--cert FILE --key FILE]]}: a quiet Weft echo server for load
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
        ServerCommand c;
        try {
            c = ServerCommand.parse("echo-server", "--backend B --port P [--host 127.0.0.1] [--tls [--cert FILE --key FILE]]", null, argv, from);
        } catch (ServerCommand.Exit e) {
            return e.code;
        }
        EventLoop loop = c.loop;
        Server server = loop.runUntilComplete((c.tls == null
                ? loop.createServer(Echo::new, c.host, c.port, ServerOptions.DEFAULTS)
                : loop.createServer(Echo::new, c.host, c.port, ServerOptions.DEFAULTS, c.tls)));
        InetSocketAddress a = server.addresses().get(0);
        System.out.println("listening on " + a.getAddress().getHostAddress() + ":" + a.getPort()
                + " backend=" + loop.backendName());
        System.out.flush();
        System.err.println("weft-bench echo-server: " + EventLoopPolicy.backend(loop.backendName()));
        dev.weft.bench.ServerStats.start();
        // Serves until the process is killed.
        loop.runForever();
        return 0;
    }
}
