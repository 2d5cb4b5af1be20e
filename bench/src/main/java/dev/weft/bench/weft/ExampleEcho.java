package dev.weft.bench.weft;

import dev.weft.loop.EventLoop;
import dev.weft.loop.EventLoopPolicy;
import dev.weft.loop.Protocol;
import dev.weft.loop.Server;
import dev.weft.loop.ServerOptions;
import dev.weft.loop.TimerHandle;
import dev.weft.loop.Transport;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.agrona.DirectBuffer;

/**
 * The echo server of the seed text, on Weft: it says when a connection is made, prints what it
 * receives, answers {@code "Re: "} followed by the data, and closes a connection that stays silent
 * for {@link #TIMEOUT}; every piece of data restarts that timer ({@code callLater} + {@code cancel}).
 * Kept as the seed wrote it, so it never pauses reading: a client that sends without reading grows
 * it without limit (README, "Embedding", shows the protocol with back-pressure).
 *
 * <p>{@code java -jar weft-bench.jar example-echo --port P [--backend B] [--host 127.0.0.1]}
 */
public final class ExampleEcho implements Protocol {
    public static final Duration TIMEOUT = Duration.ofSeconds(5);
    private static final byte[] PREFIX = "Re: ".getBytes(StandardCharsets.US_ASCII);

    private final EventLoop loop;
    private final PrintStream out;
    private final Duration timeout;
    private Transport transport;
    private TimerHandle idle;

    public ExampleEcho(EventLoop loop, PrintStream out, Duration timeout) {
        this.loop = loop;
        this.out = out;
        this.timeout = timeout;
    }

    private void timedOut() {
        out.println("connection timeout, closing.");
        transport.close();
    }

    @Override
    public void connectionMade(Transport t) {
        out.println("connection made");
        transport = t;
        idle = loop.callLater(timeout, this::timedOut);
    }

    @Override
    public void dataReceived(DirectBuffer data) {
        byte[] bytes = new byte[data.capacity()];
        data.getBytes(0, bytes);
        out.println("data received: " + new String(bytes, StandardCharsets.UTF_8));
        transport.write(PREFIX);
        transport.write(data);
        idle.cancel();
        idle = loop.callLater(timeout, this::timedOut);
    }

    @Override
    public boolean eofReceived() {
        return false;
    }

    @Override
    public void connectionLost(Throwable cause) {
        out.println("connection lost: " + cause);
        idle.cancel();
    }

    /** {@code example-echo --port P [--backend B] [--host H]}. */
    public static int run(String[] argv, int from) {
        ServerCommand c;
        try {
            c = ServerCommand.parse("example-echo", "--port P [--backend B] [--host 127.0.0.1]", "auto", argv, from);
        } catch (ServerCommand.Exit e) {
            return e.code;
        }
        EventLoop loop = c.loop;
        Server server = loop.runUntilComplete(loop.createServer(
                () -> new ExampleEcho(loop, System.out, TIMEOUT), c.host, c.port, ServerOptions.DEFAULTS));
        InetSocketAddress a = server.addresses().get(0);
        System.out.println("listening on " + a.getAddress().getHostAddress() + ":" + a.getPort()
                + " backend=" + loop.backendName());
        loop.runForever();
        return 0;
    }
}
