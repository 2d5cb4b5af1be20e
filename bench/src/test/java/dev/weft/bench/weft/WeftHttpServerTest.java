package dev.weft.bench.weft;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

class WeftHttpServerTest {
    private static int feed(WeftHttpServer.RequestCounter c, String s) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        return c.feed(new UnsafeBuffer(b), 0, b.length);
    }

    static final String GET = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

    @Test
    void shouldCountPipelinedRequestsInOneRead() {
        assertEquals(3, feed(new WeftHttpServer.RequestCounter(), GET + GET + GET));
    }

    @Test
    void shouldCountARequestWhoseEndIsSplitAcrossReadsAtEveryPosition() {
        String two = GET + GET;
        for (int cut = 0; cut <= two.length(); cut++) {
            WeftHttpServer.RequestCounter c = new WeftHttpServer.RequestCounter();
            int n = feed(c, two.substring(0, cut)) + feed(c, two.substring(cut));
            assertEquals(2, n, "cut at " + cut);
        }
    }

    @Test
    void shouldNotCountLoneLineEndsOrBareNewlines() {
        WeftHttpServer.RequestCounter c = new WeftHttpServer.RequestCounter();
        assertEquals(0, feed(c, "GET / HTTP/1.1\r\nA: b\r\n\n\r\r\n"));
        assertEquals(0, feed(c, "x\r\n\rx\n"));
        assertEquals(1, feed(c, "\r\n\r\n"));
    }

    @Test
    void shouldCountOnlyTheBytesInTheGivenRange() {
        byte[] b = ("xx" + GET + "yy").getBytes(StandardCharsets.US_ASCII);
        WeftHttpServer.RequestCounter c = new WeftHttpServer.RequestCounter();
        assertEquals(0, c.feed(new UnsafeBuffer(b), 2, GET.length() - 1));
        assertEquals(1, c.feed(new UnsafeBuffer(b), 2 + GET.length() - 1, 1));
    }

    @Test
    void shouldHoldTheFixedResponseBackToBackForEveryBatchedRequest() {
        UnsafeBuffer r = WeftHttpServer.responses();
        int len = WeftHttpServer.RESPONSE.length;
        assertEquals(len * WeftHttpServer.MAX_BATCH, r.capacity());
        String last = r.getStringWithoutLengthAscii((WeftHttpServer.MAX_BATCH - 1) * len, len);
        assertEquals(new String(WeftHttpServer.RESPONSE, StandardCharsets.US_ASCII), last);
        String body = last.substring(last.indexOf("\r\n\r\n") + 4);
        assertEquals("Hello, World!", body);
        assertEquals(true, last.contains("Content-Length: " + body.length() + "\r\n"));
    }
}
