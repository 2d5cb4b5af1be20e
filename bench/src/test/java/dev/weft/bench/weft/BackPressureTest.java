package dev.weft.bench.weft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.loop.EventLoop;
import dev.weft.loop.LoopFuture;
import dev.weft.loop.Protocol;
import dev.weft.loop.Server;
import dev.weft.loop.Transport;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The servers Weft ships, and the README's embedding example, under a client that sends without
 * reading: each connection must stop reading once its write buffer passes the high-water mark, so
 * what it holds stays under that mark plus what one read produces.
 */
@Timeout(120)
class BackPressureTest {
    /** The readiness backends' read buffer: the most one read can deliver. */
    static final int READ_BUFFER = 256 * 1024;

    /** What a flood did to the server side of its connection. */
    record Flood(long sent, long received, int maxBuffered, boolean reading) {
    }

    /** Forwards to a server protocol and records the largest write buffer seen after each read. */
    static final class Watched implements Protocol {
        final Protocol inner;
        Transport transport;
        long received;
        int maxBuffered;

        Watched(Protocol inner) {
            this.inner = inner;
        }

        @Override
        public void connectionMade(Transport t) {
            transport = t;
            inner.connectionMade(t);
        }

        @Override
        public void dataReceived(DirectBuffer data) {
            received += data.capacity();
            inner.dataReceived(data);
            maxBuffered = Math.max(maxBuffered, transport.getWriteBufferSize());
        }

        @Override
        public boolean eofReceived() {
            return inner.eofReceived();
        }

        @Override
        public void pauseWriting() {
            inner.pauseWriting();
        }

        @Override
        public void resumeWriting() {
            inner.resumeWriting();
        }

        @Override
        public void connectionLost(Throwable cause) {
            inner.connectionLost(cause);
        }
    }

    /**
     * Serves one connection with {@code factory}'s protocol on nio while a blocking client sends
     * {@code total} bytes made of {@code unit} repeated, never reading. Runs until the client sent
     * everything, or the server stopped reading and took nothing more for 300 ms.
     */
    static Flood flood(Supplier<Protocol> factory, byte[] unit, long total) throws Exception {
        EventLoop loop = EventLoop.builder().backend("nio").build();
        List<Watched> side = new ArrayList<>();
        Server server = loop.runUntilComplete(loop.createServer(() -> {
            Watched w = new Watched(factory.get());
            side.add(w);
            return w;
        }, "127.0.0.1", 0, null));
        InetSocketAddress address = server.addresses().get(0);
        Socket client = new Socket(address.getAddress(), address.getPort());
        byte[] chunk = new byte[(64 * 1024 / unit.length) * unit.length];
        for (int i = 0; i < chunk.length; i += unit.length) {
            System.arraycopy(unit, 0, chunk, i, unit.length);
        }
        CompletableFuture<Long> writer = CompletableFuture.supplyAsync(() -> {
            long sent = 0;
            try {
                OutputStream out = client.getOutputStream();
                while (sent < total) {
                    int n = (int) Math.min(chunk.length, total - sent);
                    out.write(chunk, 0, n);
                    sent += n;
                }
            } catch (IOException e) {
                // The client was closed while blocked: the server stopped reading.
            }
            return sent;
        });
        LoopFuture<Void> settled = loop.createFuture();
        long[] last = {-1};
        int[] quiet = {0};
        Runnable[] check = new Runnable[1];
        check[0] = () -> {
            Watched w = side.isEmpty() ? null : side.get(0);
            if (w != null && w.received == last[0] && !w.transport.isReading()) {
                quiet[0]++;
            } else {
                quiet[0] = 0;
            }
            last[0] = w == null ? -1 : w.received;
            if (writer.isDone() || quiet[0] >= 6) {
                settled.setResult(null);
            } else {
                loop.callLater(50, TimeUnit.MILLISECONDS, check[0]);
            }
        };
        loop.callSoon(check[0]);
        loop.runUntilComplete(settled);
        Watched w = side.get(0);
        Flood result = new Flood(0, w.received, w.maxBuffered, w.transport.isReading());
        client.close();
        long sent = loop.runUntilComplete(LoopFuture.fromStage(loop, writer));
        server.close();
        server.abortClients();
        loop.runUntilComplete(server.waitClosed());
        loop.close();
        return new Flood(sent, result.received(), result.maxBuffered(), result.reading());
    }

    @Test
    void shouldStopReadingAnEchoClientThatSendsSixtyFourMebibytesWithoutReading() throws Exception {
        long total = 64L << 20;
        Flood f = flood(WeftEchoServer.Echo::new, "0123456789abcdef".getBytes(StandardCharsets.US_ASCII), total);
        assertTrue(f.maxBuffered() <= Transport.DEFAULT_HIGH_WATER + READ_BUFFER,
                "echo-server buffered " + f.maxBuffered() + " bytes: " + f);
        assertTrue(f.received() < total, "echo-server stopped reading: " + f);
    }

    @Test
    void shouldStopReadingAnHttpClientThatPipelinesWithoutReading() throws Exception {
        byte[] get = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        long total = 16L << 20;
        UnsafeBuffer responses = WeftHttpServer.responses();
        Flood f = flood(() -> new WeftHttpServer.Http(responses), get, total);
        int oneRead = (READ_BUFFER / get.length + 1) * WeftHttpServer.RESPONSE.length;
        assertTrue(f.maxBuffered() <= Transport.DEFAULT_HIGH_WATER + oneRead,
                "http-server buffered " + f.maxBuffered() + " bytes: " + f);
        assertTrue(f.received() < total, "http-server stopped reading: " + f);
    }

    /** The README's embedding example compiles as written and pauses reading as it teaches. */
    @Test
    void shouldCompileTheReadmeEmbeddingExampleAndHaveItStopReadingAFlood(@TempDir Path dir) throws Exception {
        Path readme = Path.of(System.getProperty("basedir", ".")).toAbsolutePath().resolve("../README.md").normalize();
        String text = Files.readString(readme);
        int section = text.indexOf("## Embedding");
        assertTrue(section >= 0, "README has an Embedding section");
        int start = text.indexOf("```java\n", section) + "```java\n".length();
        int end = text.indexOf("```", start);
        String source = text.substring(start, end);
        assertTrue(source.contains("public final class Echo"), source);
        Path file = dir.resolve("Echo.java");
        Files.writeString(file, source);
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        String classpath = location(EventLoop.class) + java.io.File.pathSeparator + location(DirectBuffer.class);
        int rc = javac.run(null, null, null, "--release", "17", "-classpath", classpath,
                "-d", dir.toString(), file.toString());
        assertEquals(0, rc, "the README's example compiles");
        try (URLClassLoader classes = new URLClassLoader(new URL[] {dir.toUri().toURL()},
                BackPressureTest.class.getClassLoader())) {
            Class<?> echo = classes.loadClass("Echo");
            long total = 64L << 20;
            Flood f = flood(() -> {
                try {
                    return (Protocol) echo.getConstructor().newInstance();
                } catch (ReflectiveOperationException e) {
                    throw new IllegalStateException(e);
                }
            }, "README".getBytes(StandardCharsets.US_ASCII), total);
            assertTrue(f.maxBuffered() <= Transport.DEFAULT_HIGH_WATER + READ_BUFFER,
                    "the README's echo buffered " + f.maxBuffered() + " bytes: " + f);
            assertTrue(f.received() < total, "the README's echo stopped reading: " + f);
        }
    }

    private static String location(Class<?> c) throws URISyntaxException {
        return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
    }
}
