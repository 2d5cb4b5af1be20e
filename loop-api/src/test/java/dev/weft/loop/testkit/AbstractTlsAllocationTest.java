package dev.weft.loop.testkit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.weft.loop.EventLoop;
import dev.weft.loop.LoopFuture;
import dev.weft.loop.Server;
import dev.weft.loop.ServerOptions;
import dev.weft.loop.tls.TlsOptions;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * After the handshake, a TLS echo costs the loop thread what {@code SSLEngine} itself allocates per
 * record and nothing more: Weft's own code (the TLS layer, the transport, the loop) allocates nothing
 * per record. TLS 1.3 {@code TLS_AES_128_GCM_SHA256}, 1 KiB messages, one record each way.
 *
 * <p>The engine's own share is measured in the same JVM on the test thread: a server engine built
 * from the same context unwraps one 1 KiB record and wraps one, with heap buffers as the TLS layer
 * uses and through the same array forms of {@code wrap} and {@code unwrap}, after the same warm-up.
 * Both figures are printed; the test fails when the loop thread allocates 1 byte or more per message
 * beyond the engine's. The measurement runs in a child JVM with escape analysis off (see the test),
 * started with this JVM's class path and flags.
 */
@Timeout(180)
public abstract class AbstractTlsAllocationTest {
    static final int SIZE = 1024;
    static final int WARMUP = 30_000;
    static final int MEASURED = 20_000;
    static final int WINDOWS = 3;
    static final String SUITE = "TLS_AES_128_GCM_SHA256";

    protected abstract String backend();

    private static com.sun.management.ThreadMXBean allocationCounter() {
        java.lang.management.ThreadMXBean std = ManagementFactory.getThreadMXBean();
        assumeTrue(std instanceof com.sun.management.ThreadMXBean, "needs per-thread allocation counters");
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) std;
        assumeTrue(mx.isThreadAllocatedMemorySupported(), "needs per-thread allocation counters");
        mx.setThreadAllocatedMemoryEnabled(true);
        return mx;
    }

    @Test
    void shouldAllocateNothingBeyondTheEnginePerTlsRecordAfterWarmUp() throws Exception {
        allocationCounter();
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (arg.startsWith("--add-") || arg.startsWith("--enable-native-access") || arg.startsWith("-D")
                    || arg.startsWith("-Xss")) {
                cmd.add(arg);
            }
        }
        // Escape analysis off in the measuring JVM: with it on, whether an engine-internal object is
        // scalar-replaced depends on how the caller was inlined, so the engine alone (in a tight loop)
        // and the engine under the TLS layer differ by tens of bytes that are the engine's either way.
        cmd.addAll(List.of("-XX:-DoEscapeAnalysis", "-XX:+UseParallelGC", "-cp", System.getProperty("java.class.path"),
                Probe.class.getName(), backend()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out;
        try (InputStream in = p.getInputStream()) {
            out = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
        assertTrue(p.waitFor(150, TimeUnit.SECONDS), "the measuring JVM did not end");
        String result = null;
        for (String line : out.split("\n")) {
            if (line.startsWith(RESULT)) {
                result = line;
            }
        }
        assertTrue(p.exitValue() == 0 && result != null, "the measuring JVM failed (exit " + p.exitValue() + "): " + out);
        String[] f = result.substring(RESULT.length()).trim().split(" ");
        double perMessage = Double.parseDouble(f[0]);
        double engine = Double.parseDouble(f[1]);
        String windows = f[2];
        System.out.printf("TLS echo on %s, 1 KiB records (%s, escape analysis off): loop thread %.1f B/message, "
                + "SSLEngine alone %.1f B (one unwrap + one wrap), Weft's own %.1f B%n", backend(), SUITE, perMessage, engine,
                perMessage - engine);
        assertTrue(perMessage - engine < 1.0, "the loop thread allocated " + perMessage + " bytes per echoed 1 KiB TLS message"
                + " (windows " + windows + " per " + MEASURED + "), the engine alone " + engine
                + " per unwrap + wrap; Weft's own code should allocate nothing per record");
    }

    static final String RESULT = "tls-allocation ";

    /** The measuring JVM: prints {@code tls-allocation LOOP_BYTES ENGINE_BYTES WINDOWS} per message. */
    public static final class Probe {
        private Probe() {
        }

        public static void main(String[] args) throws Exception {
            double[] r = measure(args[0]);
            System.out.println(RESULT + r[0] + " " + r[1] + " " + Arrays.toString(new long[] {(long) r[2], (long) r[3],
                    (long) r[4]}).replace(" ", ""));
            System.exit(0);
        }
    }

    /** Loop-thread bytes per echoed message, the engine's alone, and the windows' raw bytes. */
    static double[] measure(String backend) throws Exception {
        com.sun.management.ThreadMXBean mx = allocationCounter();
        double engine = engineBytesPerEcho(mx);

        EventLoop loop = EventLoop.builder().backend(backend).build();
        TlsOptions tls = TlsOptions.server(TestCerts.get().serverContext()).withCipherSuites(SUITE);
        CompletableFuture<Integer> portF = new CompletableFuture<>();
        CompletableFuture<Void> stop = new CompletableFuture<>();
        long[] loopThreadId = new long[1];
        Thread loopThread = new Thread(() -> {
            loopThreadId[0] = Thread.currentThread().getId();
            Server server = loop.runUntilComplete(loop.createServer(() -> new TestProtocols.Echo(loop), "127.0.0.1", 0,
                    ServerOptions.DEFAULTS, tls));
            portF.complete(server.addresses().get(0).getPort());
            loop.runUntilComplete(LoopFuture.fromStage(loop, stop));
            server.close();
            server.abortClients();
            loop.runUntilComplete(server.waitClosed());
            loop.close();
        }, "weft-loop-under-test");
        loopThread.start();
        int port = portF.get(30, TimeUnit.SECONDS);
        long allocated = Long.MAX_VALUE;
        long[] windows = new long[WINDOWS];
        try (SSLSocket s = client(port)) {
            assertEquals(SUITE, s.getSession().getCipherSuite());
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            byte[] msg = new byte[SIZE];
            byte[] back = new byte[SIZE];
            for (int i = 0; i < WARMUP; i++) {
                pingPong(out, in, msg, back, i);
            }
            // As in AbstractAllocationTest: a one-off allocation is warm-up, a per-record one shows
            // in every window; one window of the three must be within the engine's share.
            long budget = (long) Math.ceil(engine * MEASURED) + MEASURED;
            for (int w = 0; w < WINDOWS; w++) {
                long before = mx.getThreadAllocatedBytes(loopThreadId[0]);
                for (int i = 0; i < MEASURED; i++) {
                    pingPong(out, in, msg, back, i);
                }
                windows[w] = mx.getThreadAllocatedBytes(loopThreadId[0]) - before;
                allocated = Math.min(allocated, windows[w]);
                if (windows[w] < budget) {
                    break;
                }
            }
        } finally {
            stop.complete(null);
            loopThread.join(30_000);
        }
        return new double[] {(double) allocated / MEASURED, engine, windows[0], windows[1], windows[2]};
    }

    private static SSLSocket client(int port) throws Exception {
        Socket plain = new Socket("127.0.0.1", port);
        plain.setTcpNoDelay(true);
        SSLSocket s = (SSLSocket) TestCerts.get().clientContext().getSocketFactory()
                .createSocket(plain, "localhost", port, true);
        s.setEnabledProtocols(new String[] {"TLSv1.3"});
        s.setEnabledCipherSuites(new String[] {SUITE});
        s.startHandshake();
        return s;
    }

    private static void pingPong(OutputStream out, InputStream in, byte[] msg, byte[] back, int i) throws Exception {
        msg[0] = (byte) i;
        msg[SIZE - 1] = (byte) (i >> 8);
        out.write(msg);
        int got = 0;
        while (got < SIZE) {
            int n = in.read(back, got, SIZE - got);
            if (n < 0) {
                throw new java.io.EOFException("server closed after " + got + " bytes");
            }
            got += n;
        }
        assertArrayEquals(msg, back);
    }

    /**
     * Bytes a server {@code SSLEngine} allocates on this thread for one echo: unwrapping one 1 KiB
     * record and wrapping one, heap buffers reused, after {@value #WARMUP} of them.
     */
    static double engineBytesPerEcho(com.sun.management.ThreadMXBean mx) throws Exception {
        SSLEngine client = TestCerts.get().clientContext().createSSLEngine("localhost", 443);
        client.setUseClientMode(true);
        client.setEnabledProtocols(new String[] {"TLSv1.3"});
        client.setEnabledCipherSuites(new String[] {SUITE});
        SSLEngine server = TestCerts.get().serverContext().createSSLEngine();
        server.setUseClientMode(false);
        int packet = server.getSession().getPacketBufferSize();
        int plain = server.getSession().getApplicationBufferSize();
        ByteBuffer c2s = ByteBuffer.allocate(packet * 2);
        ByteBuffer s2c = ByteBuffer.allocate(packet * 2);
        ByteBuffer clientIn = ByteBuffer.allocate(plain * 2);
        ByteBuffer serverIn = ByteBuffer.allocate(plain * 2);
        ByteBuffer serverOut = ByteBuffer.allocate(plain);
        ByteBuffer clientOut = ByteBuffer.allocate(SIZE);
        handshake(client, server, c2s, s2c, clientIn, serverIn);
        // The array forms, as the TLS layer calls them: the single-buffer forms add an array per call.
        ByteBuffer[] serverInArray = {serverIn};
        ByteBuffer[] serverOutArray = {serverOut};
        long best = Long.MAX_VALUE;
        long tid = Thread.currentThread().getId();
        for (int round = 0; round < 2 + WINDOWS; round++) {
            int n = round < 2 ? WARMUP / 2 : MEASURED;
            long serverBytes = 0;
            for (int i = 0; i < n; i++) {
                // Client side, not counted: one record to the server.
                clientOut.clear();
                clientOut.put(0, (byte) i);
                c2s.clear();
                client.wrap(clientOut, c2s);
                c2s.flip();
                long before = mx.getThreadAllocatedBytes(tid);
                serverIn.clear();
                server.unwrap(c2s, serverInArray, 0, 1);
                serverIn.flip();
                serverOut.clear();
                serverOut.put(serverIn);
                serverOut.flip();
                s2c.clear();
                server.wrap(serverOutArray, 0, 1, s2c);
                serverBytes += mx.getThreadAllocatedBytes(tid) - before;
                s2c.flip();
                clientIn.clear();
                client.unwrap(s2c, clientIn);
            }
            if (round >= 2) {
                best = Math.min(best, serverBytes);
            }
        }
        return (double) best / MEASURED;
    }

    private static void handshake(SSLEngine client, SSLEngine server, ByteBuffer c2s, ByteBuffer s2c,
                                  ByteBuffer clientIn, ByteBuffer serverIn) throws Exception {
        ByteBuffer empty = ByteBuffer.allocate(0);
        client.beginHandshake();
        server.beginHandshake();
        for (int i = 0; i < 1000; i++) {
            boolean done = true;
            for (SSLEngine e : new SSLEngine[] {client, server}) {
                ByteBuffer out = e == client ? c2s : s2c;
                ByteBuffer in = e == client ? s2c : c2s;
                ByteBuffer app = e == client ? clientIn : serverIn;
                HandshakeStatus hs = e.getHandshakeStatus();
                Runnable task;
                while ((task = e.getDelegatedTask()) != null) {
                    task.run();
                }
                if (hs == HandshakeStatus.NEED_WRAP) {
                    e.wrap(empty, out);
                } else if (hs == HandshakeStatus.NEED_UNWRAP || hs == HandshakeStatus.NEED_UNWRAP_AGAIN) {
                    in.flip();
                    SSLEngineResult r = e.unwrap(in, app);
                    in.compact();
                    app.clear();
                    if (r.getStatus() == SSLEngineResult.Status.BUFFER_UNDERFLOW && hs != HandshakeStatus.NEED_UNWRAP_AGAIN) {
                        done &= false;
                    }
                }
                done &= e.getHandshakeStatus() == HandshakeStatus.NOT_HANDSHAKING;
            }
            if (done && c2s.position() == 0 && s2c.position() == 0) {
                return;
            }
            if (done) {
                // Post-handshake messages (the server's session ticket) still in flight.
                c2s.flip();
                server.unwrap(c2s, serverIn);
                c2s.compact();
                s2c.flip();
                client.unwrap(s2c, clientIn);
                s2c.compact();
                clientIn.clear();
                serverIn.clear();
            }
        }
        throw new AssertionError("in-memory TLS handshake did not finish: client " + client.getHandshakeStatus()
                + ", server " + server.getHandshakeStatus());
    }
}
