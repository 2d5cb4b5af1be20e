package dev.weft.loop.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.loop.Server;
import dev.weft.loop.task.TaskTestBase;
import dev.weft.loop.task.Tasks;
import dev.weft.loop.Transport;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

class StreamTest extends TaskTestBase {
    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static String s(byte[] b) {
        return new String(b, StandardCharsets.US_ASCII);
    }

    @Test
    void shouldStreamLinesThroughAnEchoServer() {
        List<String> got = run(() -> {
            Server server = Streams.startServer((r, w) -> {
                byte[] line;
                while ((line = r.readLine()).length > 0) {
                    w.write(line);
                    w.drain();
                }
                w.close();
            }, "127.0.0.1", 0);
            int port = server.addresses().get(0).getPort();
            Streams.StreamPair c = Streams.openConnection("127.0.0.1", port);
            assertTrue(c.writer().extraInfo(Transport.PEER_NAME) instanceof InetSocketAddress);
            List<String> lines = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                c.writer().write("line " + i + "\n");
            }
            c.writer().drain();
            c.writer().writeEof();
            byte[] line;
            while ((line = c.reader().readLine()).length > 0) {
                lines.add(s(line));
            }
            assertTrue(c.reader().atEof());
            c.writer().close();
            c.writer().waitClosed();
            server.close();
            Tasks.await(server.waitClosed());
            return lines;
        });
        assertEquals(100, got.size());
        assertEquals("line 0\n", got.get(0));
        assertEquals("line 99\n", got.get(99));
    }

    @Test
    void shouldReadExactlyUntilAndAtEofFromAFedReader() {
        run(() -> {
            StreamReader r = new StreamReader();
            r.feedData(b("abc;def\r\nxyz"), 0, 12);
            r.feedEof();
            assertEquals("abc;", s(r.readUntil(b(";"), b("\r\n"))));
            assertEquals("def\r\n", s(r.readUntil(b(";"), b("\r\n"))));
            assertEquals("xy", s(r.readExactly(2)));
            IncompleteReadException e = assertThrows(IncompleteReadException.class, () -> r.readExactly(5));
            assertEquals("z", s(e.partial()));
            assertTrue(r.atEof());
            assertEquals(0, r.read(10).length);
            return null;
        });
    }

    @Test
    void shouldDiscardALineLongerThanTheLimitAndKeepTheRest() {
        run(() -> {
            StreamReader r = new StreamReader(16);
            byte[] longLine = new byte[40];
            Arrays.fill(longLine, (byte) 'a');
            longLine[39] = '\n';
            r.feedData(longLine, 0, longLine.length);
            r.feedData(b("short\n"), 0, 6);
            LimitOverrunException e = assertThrows(LimitOverrunException.class, r::readLine);
            assertEquals(39, e.consumed());
            assertEquals(6, r.buffered(), "the long line and its separator are gone");
            assertEquals("short\n", s(r.readLine()));
            return null;
        });
    }

    @Test
    void shouldClearTheBufferWhenReadLineFindsNoSeparatorWithinTheLimit() {
        run(() -> {
            StreamReader r = new StreamReader(4);
            r.feedData(b("abcdefgh"), 0, 8);
            assertThrows(LimitOverrunException.class, r::readLine);
            assertEquals(0, r.buffered());
            r.feedData(b("ij\nkl\n"), 0, 6);
            assertEquals("ij\n", s(r.readLine()), "the rest of the long line");
            assertEquals("kl\n", s(r.readLine()));
            return null;
        });
    }

    @Test
    void shouldKeepTheBytesWhenReadUntilOverrunsTheLimit() {
        run(() -> {
            StreamReader r = new StreamReader(4);
            r.feedData(b("abcdefgh;"), 0, 9);
            assertThrows(LimitOverrunException.class, () -> r.readUntil(b(";")));
            assertEquals(9, r.buffered(), "readUntil consumes nothing on overrun");
            return null;
        });
    }

    @Test
    void shouldCountTheLimitAgainstTheBytesBeforeAMultiByteSeparator() {
        run(() -> {
            StreamReader r = new StreamReader(3);
            r.feedData(b("xyAA"), 0, 4);
            loop.callLater(Duration.ofMillis(2), () -> r.feedData(b("A"), 0, 1));
            assertEquals("xyAAA", s(r.readUntil(b("AAA"))));
            StreamReader over = new StreamReader(3);
            over.feedData(b("wxyzAA"), 0, 6);
            assertThrows(LimitOverrunException.class, () -> over.readUntil(b("AAA")));
            return null;
        });
    }

    @Test
    void shouldReadOnAfterALongLineWithTheDefaultLimitOverASocket() {
        run(() -> {
            Server server = Streams.startServer((r, w) -> {
                byte[] big = new byte[StreamReader.DEFAULT_LIMIT + 10];
                Arrays.fill(big, (byte) 'x');
                w.write(big);
                w.write("\nend\n");
                w.drain();
                w.close();
            }, "127.0.0.1", 0);
            Streams.StreamPair c = Streams.openConnection("127.0.0.1", server.addresses().get(0).getPort());
            int overruns = 0;
            List<String> lines = new ArrayList<>();
            byte[] line;
            while (true) {
                try {
                    line = c.reader().readLine();
                } catch (LimitOverrunException x) {
                    // the line is dropped: one overrun, then the rest of the stream
                    assertTrue(++overruns <= 3, "the same overrun again and again");
                    continue;
                }
                if (line.length == 0) {
                    break;
                }
                lines.add(s(line));
            }
            assertTrue(overruns >= 1, "the long line overran the limit");
            assertEquals("end\n", lines.get(lines.size() - 1));
            for (String l : lines.subList(0, lines.size() - 1)) {
                assertTrue(l.matches("x*\n"), "only a tail of the long line may come through: " + l.length());
            }
            c.writer().close();
            c.writer().waitClosed();
            server.close();
            Tasks.await(server.waitClosed());
            return null;
        });
    }

    @Test
    void shouldLeaveTheStreamUsableAfterCancellationAtEveryAwaitPoint() {
        run(() -> {
            Server server = Streams.startServer((r, w) -> {
                // sends "hello world\n" in pieces, with pauses where the client times out
                for (String piece : new String[] {"he", "llo", " wor", "ld\n", "tail"}) {
                    Tasks.sleep(30);
                    w.write(piece);
                    w.drain();
                }
                w.close();
            }, "127.0.0.1", 0);
            Streams.StreamPair c = Streams.openConnection("127.0.0.1", server.addresses().get(0).getPort());
            StreamReader r = c.reader();
            int timeouts = 0;
            byte[] line = null;
            while (line == null) {
                try {
                    line = Tasks.waitFor(loopTask(() -> r.readLine()), Duration.ofMillis(5));
                } catch (TimeoutException e) {
                    timeouts++;
                }
            }
            assertEquals("hello world\n", s(line));
            assertTrue(timeouts >= 4, "cancelled at each wait: " + timeouts);
            byte[] tail = null;
            while (tail == null) {
                try {
                    tail = Tasks.waitFor(loopTask(() -> r.readExactly(4)), Duration.ofMillis(5));
                } catch (TimeoutException e) {
                    timeouts++;
                }
            }
            assertEquals("tail", s(tail));
            assertEquals(0, r.read(-1).length);
            c.writer().close();
            c.writer().waitClosed();
            server.close();
            Tasks.await(server.waitClosed());
            return null;
        });
    }

    private <T> dev.weft.loop.task.Task<T> loopTask(dev.weft.loop.task.Coroutine<T> body) {
        return loop.createTask(body);
    }
}
