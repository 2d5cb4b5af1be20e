package dev.weft.bench.jmh;

import dev.weft.loop.ConnectOptions;
import dev.weft.loop.Connection;
import dev.weft.loop.EventLoop;
import dev.weft.loop.Protocol;
import dev.weft.loop.Transport;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.concurrent.TimeUnit;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The write path: one operation writes 64 bytes to a connected loopback TCP socket (TCP_NODELAY)
 * whose peer, a plain thread, reads and discards everything.
 *
 * <ul>
 *   <li>{@code weftTransportWrite}: {@link Transport#write(DirectBuffer)} of a 64-byte direct view on
 *       the Weft backend named by {@code backend} (the {@code jmh} subcommand passes every backend
 *       available at run time). The transport tries {@code send} from the caller's memory and copies
 *       only what the kernel did not take; when anything was left buffered the benchmark thread runs
 *       the loop until it is flushed, so that cost is in the figure too.</li>
 *   <li>{@code jdkSocketChannelWrite}: a blocking {@link SocketChannel#write} of a 64-byte direct
 *       {@link ByteBuffer}: the JDK's floor for the same system call.</li>
 * </ul>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class WriteBench {
    static final int SIZE = 64;

    @Param({"nio"})
    public String backend;

    private ServerSocketChannel listener;
    private Thread drain;
    private EventLoop loop;
    private Transport transport;
    private SocketChannel jdk;
    private final UnsafeBuffer view = new UnsafeBuffer(ByteBuffer.allocateDirect(SIZE));
    private final ByteBuffer jdkBuf = ByteBuffer.allocateDirect(SIZE);

    /** Discards what it reads. */
    static final class Sink implements Protocol {
        @Override
        public void connectionMade(Transport t) {
        }

        @Override
        public void dataReceived(DirectBuffer data) {
        }

        @Override
        public void connectionLost(Throwable cause) {
        }
    }

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        listener = ServerSocketChannel.open();
        listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 4);
        int port = ((InetSocketAddress) listener.getLocalAddress()).getPort();
        drain = new Thread(this::drainAll, "drain");
        drain.setDaemon(true);
        drain.start();
        loop = EventLoop.builder().backend(backend).build();
        Connection<Sink> c = loop.runUntilComplete(loop.createConnection(Sink::new, "127.0.0.1", port,
                ConnectOptions.DEFAULTS.withTcpNoDelay(true)));
        transport = c.transport();
        jdk = SocketChannel.open(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        jdk.setOption(StandardSocketOptions.TCP_NODELAY, true);
        for (int i = 0; i < SIZE; i++) {
            view.putByte(i, (byte) i);
            jdkBuf.put(i, (byte) i);
        }
    }

    private void drainAll() {
        try {
            while (true) {
                SocketChannel s = listener.accept();
                Thread t = new Thread(() -> {
                    ByteBuffer b = ByteBuffer.allocateDirect(256 * 1024);
                    try (s) {
                        while (s.read(b) >= 0) {
                            b.clear();
                        }
                    } catch (IOException ignored) {
                        // closed at tear-down
                    }
                }, "drain-conn");
                t.setDaemon(true);
                t.start();
            }
        } catch (IOException ignored) {
            // listener closed at tear-down
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        transport.abort();
        loop.close();
        jdk.close();
        listener.close();
    }

    @Benchmark
    public int weftTransportWrite() {
        transport.write(view);
        int left = transport.getWriteBufferSize();
        while (left > 0) {
            loop.runOnce();
            left = transport.getWriteBufferSize();
        }
        return left;
    }

    @Benchmark
    public int jdkSocketChannelWrite() throws IOException {
        jdkBuf.clear();
        return jdk.write(jdkBuf);
    }
}
