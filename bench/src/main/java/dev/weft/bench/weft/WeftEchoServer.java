package dev.weft.bench.weft;

import dev.weft.loop.Capability;
import dev.weft.loop.DatagramEndpoint;
import dev.weft.loop.DatagramProtocol;
import dev.weft.loop.DatagramTransport;
import dev.weft.loop.EventLoop;
import dev.weft.loop.EventLoopGroup;
import dev.weft.loop.GroupServer;
import dev.weft.loop.UnsupportedCapabilityException;
import dev.weft.loop.EventLoopPolicy;
import dev.weft.loop.Protocol;
import dev.weft.loop.Server;
import dev.weft.loop.ServerOptions;
import dev.weft.loop.Transport;
import dev.weft.loop.UnixServerOptions;
import dev.weft.loop.UnsupportedCapabilityException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.CompletionException;
import java.util.Locale;
import org.agrona.DirectBuffer;

/**
 * {@code echo-server --backend B (--port P [--host 127.0.0.1] [--tls [--cert FILE --key FILE]] [--udp] | --unix PATH)}: a quiet Weft
 * echo server for load tests, on TCP, UDP ({@code --udp}: datagrams go back to their sender) or on
 * a Unix domain stream socket (backends with
 * {@code UNIX_STREAM}; a stale socket file at PATH is replaced, a live one refused; {@code @name}
 * is the Linux abstract name {@code \0name}). One loop, {@link ServerOptions#DEFAULTS}; the protocol writes each read view straight
 * back (the transport tries the syscall from the view and copies only what the kernel leaves).
 * With {@code --udp}, one UDP endpoint sends every datagram back to its sender; a backend without
 * {@link Capability#DATAGRAM} ends the process with status 3 and the backend's reason.
 * A peer that sends without reading cannot grow the server: while the transport's write buffer is
 * over its high-water mark the connection stops reading, so each connection holds at most the
 * high-water mark plus one read. Prints one line {@code listening on HOST:PORT backend=B} (or
 * {@code listening on unix:PATH backend=B}) when ready, nothing afterwards.
 *
 * <p>{@code --loops N} serves TCP (or {@code --unix}) on an {@link EventLoopGroup} of N loops, each on
 * its own thread: a balanced SO_REUSEPORT listener per loop where the OS has one, else one acceptor
 * handing connections to the loops in turn. Same line when ready.
 *
 * <p>{@code --train SECONDS} (TCP only): once listening, the server drives itself with a
 * {@link TrainingLoad} from another thread for that long, then stops and ends the process (status
 * 0, or 1 when an echo came back wrong). It is the training run of a start-up cache: run under
 * {@code -XX:AOTCacheOutput=FILE} (JDK 25+) or {@code -XX:ArchiveClassesAtExit=FILE} (JDK 17+),
 * the JVM writes at its exit what a later start with {@code -XX:AOTCache=FILE} or
 * {@code -XX:SharedArchiveFile=FILE} then finds ready (see {@code bench/README.md}).
 *
 * <p>{@code --warm SECONDS} (TCP, one loop): the same load for that long before the server prints
 * that it is listening, then it serves as without; the line comes that much later.
 */
public final class WeftEchoServer {
    static final String USAGE = "--backend B (--port P [--host 127.0.0.1] [--tls [--cert FILE --key FILE]] [--udp] | --unix PATH)"
            + " [--loops N] [--train SECONDS | --warm SECONDS]";

    private WeftEchoServer() {
    }

    /**
     * Pure echo: no allocation, no copy on the path where the kernel takes the whole write. Reading
     * pauses while writing is paused (back-pressure).
     */
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
        public void pauseWriting() {
            transport.pauseReading();
        }

        @Override
        public void resumeWriting() {
            transport.resumeReading();
        }

        @Override
        public void connectionLost(Throwable cause) {
            transport = null;
        }
    }

    /** Sends every datagram back to its sender, from the receive view: no allocation, no copy. */
    static final class DatagramEcho implements DatagramProtocol {
        private DatagramTransport transport;

        @Override
        public void connectionMade(DatagramTransport t) {
            this.transport = t;
        }

        @Override
        public void datagramReceived(DirectBuffer data, java.net.SocketAddress from) {
            transport.sendto(data, 0, data.capacity(), from);
        }
    }

    /** {@code --loops N}: the echo on a group of N loops; returns when the group ends (never, unless killed). */
    private static int runGroup(ServerCommand c) throws InterruptedException {
        EventLoopGroup group;
        try {
            group = EventLoopGroup.builder().backend(c.backend).loops(c.loops).name("echo").build();
        } catch (IllegalArgumentException | IllegalStateException e) {
            System.err.println("weft-bench echo-server: " + e.getMessage());
            return 3;
        }
        GroupServer server;
        try {
            server = (c.unixPath != null
                    ? group.createUnixServer(Echo::new, c.unixPath, UnixServerOptions.DEFAULTS)
                    : group.createServer(Echo::new, c.host, c.port, ServerOptions.DEFAULTS)).toCompletableFuture().join();
        } catch (IllegalArgumentException | CompletionException e) {
            Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
            System.err.println("weft-bench echo-server: " + cause.getMessage());
            group.close();
            return cause instanceof UnsupportedOperationException ? 3 : cause instanceof IllegalArgumentException ? 2 : 1;
        }
        String backend = group.loop(0).backendName();
        if (c.unixPath != null) {
            System.out.println("listening on unix:" + server.boundAddresses().get(0) + " backend=" + backend);
        } else {
            InetSocketAddress a = server.addresses().get(0);
            System.out.println("listening on " + a.getAddress().getHostAddress() + ":" + a.getPort() + " backend=" + backend);
        }
        System.out.flush();
        System.err.println("weft-bench echo-server: " + EventLoopPolicy.backend(backend) + "; " + group.size()
                + " loops, " + (server.listenerPerLoop() ? "a listener per loop (SO_REUSEPORT)" : "one acceptor handing off"));
        dev.weft.bench.ServerStats.start();
        Training training = c.trainSeconds > 0
                ? Training.start(server.addresses().get(0), c.trainSeconds, () -> group.shutdownGracefully(Duration.ofSeconds(5)))
                : null;
        group.terminationFuture().toCompletableFuture().join();
        return training == null ? 0 : training.finish();
    }

    /** The server's own load ({@code --train}, {@code --warm}) on its own thread; {@code done} runs when it ends, however it ends. */
    private static final class Training {
        private final Thread thread;
        private volatile long messages;
        private volatile Throwable failure;
        private final long startNanos = System.nanoTime();

        private Training(InetSocketAddress server, int seconds, Runnable done) {
            thread = new Thread(() -> {
                try {
                    messages = new TrainingLoad(server, TimeUnit.SECONDS.toNanos(seconds)).run();
                } catch (Throwable t) {
                    failure = t;
                } finally {
                    done.run();
                }
            }, "training-load");
            thread.setDaemon(true);
        }

        static Training start(InetSocketAddress server, int seconds, Runnable done) {
            Training t = new Training(server, seconds, done);
            t.thread.start();
            return t;
        }

        /** Waits for the load to end; prints its outcome on stderr; returns the exit status. */
        int finish() throws InterruptedException {
            thread.join();
            double secs = (System.nanoTime() - startNanos) / 1e9;
            if (failure != null) {
                System.err.println("weft-bench echo-server: own load failed: " + failure);
                return 1;
            }
            System.err.printf(Locale.ROOT, "weft-bench echo-server: own load: %d messages in %.1f s%n", messages, secs);
            return 0;
        }
    }

    public static int run(String[] argv, int from) throws Exception {
        ServerCommand c;
        try {
            c = ServerCommand.parse("echo-server", USAGE, null, argv, from, true);
        } catch (ServerCommand.Exit e) {
            return e.code;
        }
        if (c.loops > 0) {
            return runGroup(c);
        }
        EventLoop loop = c.loop;
        if (c.unixPath != null && c.tls != null) {
            System.err.println("weft-bench echo-server: --tls serves TCP only here; give --port, not --unix");
            loop.close();
            return 2;
        }
        if (c.udp) {
            InetSocketAddress a;
            if (!loop.supports(Capability.DATAGRAM)) {
                try {
                    loop.requireCapability(Capability.DATAGRAM);
                } catch (UnsupportedCapabilityException e) {
                    System.err.println("weft-bench echo-server: " + e.getMessage());
                }
                return 3;
            }
            DatagramEndpoint<DatagramEcho> ep = loop.runUntilComplete(loop.createDatagramEndpoint(DatagramEcho::new,
                    InetSocketAddress.createUnresolved(c.host, c.port), null, null));
            a = (InetSocketAddress) ep.transport().extraInfo(Transport.SOCK_NAME);
            System.out.println("listening on " + a.getAddress().getHostAddress() + ":" + a.getPort()
                    + " backend=" + loop.backendName());
        } else if (c.unixPath != null) {
            Server server;
            try {
                server = loop.runUntilComplete(loop.createUnixServer(Echo::new, c.unixPath, UnixServerOptions.DEFAULTS));
            } catch (UnsupportedCapabilityException e) {
                System.err.println("weft-bench echo-server: " + e.getMessage());
                loop.close();
                return 3;
            } catch (IllegalArgumentException e) {
                System.err.println("weft-bench echo-server: " + e.getMessage());
                loop.close();
                return 2;
            } catch (CompletionException e) {
                System.err.println("weft-bench echo-server: " + e.getCause().getMessage());
                loop.close();
                return 1;
            }
            System.out.println("listening on unix:" + server.boundAddresses().get(0) + " backend=" + loop.backendName());
        } else {
            Server server = loop.runUntilComplete(c.tls == null
                    ? loop.createServer(Echo::new, c.host, c.port, ServerOptions.DEFAULTS)
                    : loop.createServer(Echo::new, c.host, c.port, ServerOptions.DEFAULTS, c.tls));
            InetSocketAddress a = server.addresses().get(0);
            if (c.warmSeconds > 0) {
                Training warming = Training.start(a, c.warmSeconds, loop::stop);
                loop.runForever();
                if (warming.finish() != 0) {
                    return 1;
                }
            }
            System.out.println("listening on " + a.getAddress().getHostAddress() + ":" + a.getPort()
                    + " backend=" + loop.backendName());
            if (c.trainSeconds > 0) {
                System.out.flush();
                Training training = Training.start(a, c.trainSeconds, loop::stop);
                loop.runForever();
                server.close();
                loop.runUntilComplete(server.waitClosed());
                return training.finish();
            }
        }
        System.out.flush();
        System.err.println("weft-bench echo-server: " + EventLoopPolicy.backend(loop.backendName()));
        dev.weft.bench.ServerStats.start();
        // Serves until the process is killed.
        loop.runForever();
        return 0;
    }
}
