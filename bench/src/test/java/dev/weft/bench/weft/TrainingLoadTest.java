package dev.weft.bench.weft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class TrainingLoadTest {
    /** A one-connection echo server on a daemon thread that flips the byte at stream offset {@code flipAt} (-1: none). */
    private static ServerSocket echoServer(long flipAt) throws IOException {
        ServerSocket ss = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        Thread t = new Thread(() -> {
            try (Socket s = ss.accept()) {
                InputStream in = s.getInputStream();
                OutputStream out = s.getOutputStream();
                byte[] buf = new byte[4096];
                long offset = 0;
                int n;
                while ((n = in.read(buf)) > 0) {
                    if (flipAt >= offset && flipAt < offset + n) {
                        buf[(int) (flipAt - offset)] ^= 1;
                    }
                    offset += n;
                    out.write(buf, 0, n);
                }
            } catch (IOException ignored) {
                // the test ended the connection
            }
        }, "test-echo");
        t.setDaemon(true);
        t.start();
        return ss;
    }

    @Test
    void shouldGoThroughEveryPhaseAndCountTheMessagesEchoed() throws Exception {
        try (ServerSocket ss = echoServer(-1)) {
            long n = new TrainingLoad((InetSocketAddress) ss.getLocalSocketAddress(), TimeUnit.MILLISECONDS.toNanos(600)).run();
            assertTrue(n > 16, "at least one ping-pong and one batch of 16: " + n);
        }
    }

    @Test
    void shouldFailNamingTheMessageWhenAnEchoComesBackWrong() throws Exception {
        try (ServerSocket ss = echoServer(64 * 3 + 5)) {
            IOException e = assertThrows(IOException.class,
                    () -> new TrainingLoad((InetSocketAddress) ss.getLocalSocketAddress(), TimeUnit.SECONDS.toNanos(5)).run());
            assertTrue(e.getMessage().contains("message 3 (64 B) came back wrong at byte 5"), e.getMessage());
        }
    }

    @Test
    void shouldRefuseANonPositiveDuration() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new TrainingLoad(new InetSocketAddress(InetAddress.getLoopbackAddress(), 1), 0));
        assertTrue(e.getMessage().contains("nanos"), e.getMessage());
    }

    @Test
    void shouldEndTheEchoServerWithStatusZeroAfterTrainingItself() throws Exception {
        for (String backend : new String[] {"nio", "epoll"}) {
            if (backend.equals("epoll") && !System.getProperty("os.name").startsWith("Linux")) {
                continue;
            }
            assertEquals(0, WeftEchoServer.run(new String[] {"echo-server", "--backend", backend, "--port", "0",
                    "--train", "1"}, 1), backend);
        }
    }

    @Test
    void shouldEndALoopGroupEchoServerWithStatusZeroAfterTrainingItself() throws Exception {
        assertEquals(0, WeftEchoServer.run(new String[] {"echo-server", "--backend", "nio", "--port", "0",
                "--loops", "2", "--train", "1"}, 1));
    }
}
