package dev.weft.bench.weft;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.Arrays;

/**
 * The load {@code echo-server --train SECONDS} drives at itself, so that a JVM recording a start-up
 * cache (JDK 25's {@code -XX:AOTCacheOutput}, JDK 17's {@code -XX:ArchiveClassesAtExit}) sees the
 * classes, and on JDK 25 the method profiles, of the echo path without an outside load generator.
 * One blocking connection over loopback: 64 B ping-pong for the first 70% of the time, then 16 x 64 B
 * sent before the first reply is read (replies that coalesce into one read), then 16 KiB messages
 * (reads and writes in several pieces). Every echoed byte is checked against what was sent.
 *
 * <p>Runs on the calling thread; an instance is not shared between threads.
 */
final class TrainingLoad {
    /** Share of the time spent on 64 B ping-pong, in percent; the rest is split between the two others. */
    static final int PING_PONG_PERCENT = 70;

    private final InetSocketAddress server;
    private final long nanos;
    private long messages;
    private int seq;

    /**
     * @param server the echo server's address
     * @param nanos  how long to drive it, &gt; 0
     */
    TrainingLoad(InetSocketAddress server, long nanos) {
        if (nanos <= 0) {
            throw new IllegalArgumentException("nanos must be > 0, got " + nanos);
        }
        this.server = server;
        this.nanos = nanos;
    }

    /**
     * Drives the server for the time given; returns the messages echoed. Fails with an
     * {@link IOException} naming the message and offset of the first byte echoed wrong, or on any
     * I/O error (the server closing the connection among them).
     */
    long run() throws IOException {
        long start = System.nanoTime();
        long pingPongEnd = start + nanos / 100 * PING_PONG_PERCENT;
        long pipelinedEnd = pingPongEnd + (nanos - (pingPongEnd - start)) / 2;
        long end = start + nanos;
        try (Socket s = new Socket()) {
            s.setTcpNoDelay(true);
            s.connect(server, 10_000);
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            byte[] small = new byte[64];
            byte[] batch = new byte[16 * 64];
            byte[] large = new byte[16 * 1024];
            byte[] back = new byte[large.length];
            do {
                echo(in, out, small, back);
            } while (System.nanoTime() - pingPongEnd < 0);
            do {
                echo(in, out, batch, back);
                messages += 15; // the batch is 16 messages; echo() counted one
            } while (System.nanoTime() - pipelinedEnd < 0);
            do {
                echo(in, out, large, back);
            } while (System.nanoTime() - end < 0);
        }
        return messages;
    }

    private void echo(InputStream in, OutputStream out, byte[] msg, byte[] back) throws IOException {
        int n = msg.length;
        int tag = seq++;
        for (int i = 0; i < n; i++) {
            msg[i] = (byte) (tag * 31 + i);
        }
        out.write(msg);
        int got = 0;
        while (got < n) {
            int r = in.read(back, got, n - got);
            if (r < 0) {
                throw new IOException("the server closed the connection after " + messages + " messages, "
                        + got + " of " + n + " bytes of the next echoed");
            }
            got += r;
        }
        int bad = Arrays.mismatch(msg, 0, n, back, 0, n);
        if (bad >= 0) {
            throw new IOException("message " + tag + " (" + n + " B) came back wrong at byte " + bad + ": sent "
                    + msg[bad] + ", got " + back[bad]);
        }
        messages++;
    }
}
