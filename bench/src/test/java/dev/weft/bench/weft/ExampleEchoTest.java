package dev.weft.bench.weft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.loop.EventLoop;
import dev.weft.loop.LoopFuture;
import dev.weft.loop.Server;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class ExampleEchoTest {
    @Test
    void shouldAnswerReAndCloseAfterTheIdleTimeoutRestartedByData() throws Exception {
        EventLoop loop = EventLoop.builder().backend("nio").build();
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(log, true, StandardCharsets.UTF_8);
        Duration timeout = Duration.ofMillis(400);
        Server server = loop.runUntilComplete(loop.createServer(() -> new ExampleEcho(loop, out, timeout),
                "127.0.0.1", 0, null));
        int port = server.addresses().get(0).getPort();
        CompletableFuture<long[]> client = CompletableFuture.supplyAsync(() -> {
            try (Socket s = new Socket("127.0.0.1", port)) {
                InputStream in = s.getInputStream();
                s.getOutputStream().write("hello".getBytes(StandardCharsets.US_ASCII));
                byte[] reply = in.readNBytes(9);
                assertEquals("Re: hello", new String(reply, StandardCharsets.US_ASCII));
                // Data 250 ms later restarts the 400 ms timer: the connection must outlive 400 ms.
                Thread.sleep(250);
                s.getOutputStream().write("again".getBytes(StandardCharsets.US_ASCII));
                long lastData = System.nanoTime();
                assertEquals("Re: again", new String(in.readNBytes(9), StandardCharsets.US_ASCII));
                int eof = in.read();
                long closedAfter = System.nanoTime() - lastData;
                return new long[] {eof, closedAfter};
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        long[] r = loop.runUntilComplete(LoopFuture.fromStage(loop, client));
        assertEquals(-1, r[0], "the server closes the idle connection");
        assertTrue(r[1] >= TimeUnit.MILLISECONDS.toNanos(390), "closed only after the idle timeout: " + r[1]);
        LoopFuture<Void> settle = loop.createFuture();
        loop.callLater(50, TimeUnit.MILLISECONDS, () -> settle.setResult(null));
        loop.runUntilComplete(settle);
        server.close();
        loop.runUntilComplete(server.waitClosed());
        loop.close();
        String printed = log.toString(StandardCharsets.UTF_8);
        assertTrue(printed.contains("connection made"), printed);
        assertTrue(printed.contains("data received: hello"), printed);
        assertTrue(printed.contains("data received: again"), printed);
        assertTrue(printed.contains("connection timeout, closing."), printed);
        assertTrue(printed.contains("connection lost: null"), printed);
    }
}
