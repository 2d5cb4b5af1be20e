package dev.weft.bench.weft;

import dev.weft.loop.EventLoop;
import dev.weft.loop.EventLoopPolicy;
import dev.weft.loop.Protocol;
import dev.weft.loop.Server;
import dev.weft.loop.ServerOptions;
import dev.weft.loop.Transport;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * {@code http-server --backend B --port P [--host 127.0.0.1] [--tls [--cert FILE --key FILE]]}: the minimal HTTP/1.1 keep-alive
 * "plaintext" server of the report, on the Weft Protocol API. It answers every request with the
 * same fixed {@code 200 OK}, {@code Hello, World!} response, in order, pipelined requests included.
 *
 * <p><b>What it parses.</b> Only request boundaries: a request ends at the first empty line
 * ({@code CRLF CRLF}). The scan runs over the read view byte by byte, with the part of a boundary
 * seen at the end of one read carried into the next, so it allocates nothing per request or per
 * read. Requests with a body (Content-Length, chunked) are not supported: wrk's GET has none. The
 * responses for the requests completed by one read go out in one write (up to
 * {@value #MAX_BATCH} at a time) from a buffer built once.
 *
 * <p><b>Back-pressure.</b> A client that pipelines requests without reading the responses stops
 * being read while the transport's write buffer is over its high-water mark, so a connection holds
 * at most the high-water mark plus the responses to one read.
 */
public final class WeftHttpServer {
    static final byte[] RESPONSE = ("HTTP/1.1 200 OK\r\n"
            + "Server: weft\r\n"
            + "Content-Type: text/plain\r\n"
            + "Content-Length: 13\r\n"
            + "\r\n"
            + "Hello, World!").getBytes(StandardCharsets.US_ASCII);
    static final int MAX_BATCH = 32;

    private WeftHttpServer() {
    }

    /**
     * Counts requests ending in a byte stream: the number of {@code CRLF CRLF} sequences, fed in
     * pieces. Not thread-safe; one per connection.
     */
    static final class RequestCounter {
        /** How many bytes of "\r\n\r\n" the stream currently ends with (0..3). */
        private int matched;

        /** Bytes {@code [offset, offset + length)} of {@code data}; returns the requests completed in them. */
        int feed(DirectBuffer data, int offset, int length) {
            int m = matched;
            int n = 0;
            for (int i = offset, end = offset + length; i < end; i++) {
                byte b = data.getByte(i);
                if (b == '\r') {
                    m = (m == 2) ? 3 : 1;
                } else if (b == '\n' && (m == 1 || m == 3)) {
                    if (m == 3) {
                        n++;
                        m = 0;
                    } else {
                        m = 2;
                    }
                } else {
                    m = 0;
                }
            }
            matched = m;
            return n;
        }
    }

    static final class Http implements Protocol {
        private final UnsafeBuffer responses;
        private final RequestCounter counter = new RequestCounter();
        private Transport transport;

        Http(UnsafeBuffer responses) {
            this.responses = responses;
        }

        @Override
        public void connectionMade(Transport t) {
            transport = t;
        }

        @Override
        public void dataReceived(DirectBuffer data) {
            int n = counter.feed(data, 0, data.capacity());
            while (n > 0) {
                int k = Math.min(n, MAX_BATCH);
                transport.write(responses, 0, k * RESPONSE.length);
                n -= k;
            }
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

    /** {@code MAX_BATCH} copies of the response, in direct memory, shared by every connection. */
    static UnsafeBuffer responses() {
        UnsafeBuffer b = new UnsafeBuffer(ByteBuffer.allocateDirect(RESPONSE.length * MAX_BATCH));
        for (int i = 0; i < MAX_BATCH; i++) {
            b.putBytes(i * RESPONSE.length, RESPONSE);
        }
        return b;
    }

    public static int run(String[] argv, int from) throws Exception {
        ServerCommand c;
        try {
            c = ServerCommand.parse("http-server", "--backend B --port P [--host 127.0.0.1] [--tls [--cert FILE --key FILE]]", null, argv, from);
        } catch (ServerCommand.Exit e) {
            return e.code;
        }
        EventLoop loop = c.loop;
        UnsafeBuffer responses = responses();
        Server server = loop.runUntilComplete((c.tls == null
                ? loop.createServer(() -> new Http(responses), c.host, c.port, ServerOptions.DEFAULTS)
                : loop.createServer(() -> new Http(responses), c.host, c.port, ServerOptions.DEFAULTS, c.tls)));
        InetSocketAddress a = server.addresses().get(0);
        System.out.println("listening on " + a.getAddress().getHostAddress() + ":" + a.getPort()
                + " backend=" + loop.backendName());
        System.out.flush();
        dev.weft.bench.ServerStats.start();
        loop.runForever();
        return 0;
    }
}
