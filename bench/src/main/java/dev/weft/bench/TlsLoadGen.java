package dev.weft.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManagerFactory;

/**
 * {@code tls-loadgen}: the TLS load generator of the report's TLS part, in its own process.
 *
 * <p><b>Shape.</b> Every connection offers TLS 1.3 with {@code TLS_AES_128_GCM_SHA256} only, so
 * every server runs that suite, and trusts the one certificate given with {@code --ca}. In echo mode
 * C connections each keep one message of S bytes in flight (ping-pong) and check every echoed byte
 * against what was sent. In {@code --handshakes} mode C threads each loop: connect, full handshake,
 * send 64 bytes, read their echo, close; the session is invalidated first, so no connection resumes
 * a session and each one is a full handshake (certificate signed and verified, key exchange).
 *
 * <p><b>Cost.</b> One thread per connection with the JDK's blocking {@code SSLSocket}: the client
 * pays the same record cost as a JDK server, so against a faster server it can be the bound; the
 * report drives the servers with the native {@code tls_load.c} (same shape and output) when it is
 * built, and with this one otherwise. The output states the client's CPU use ({@code client_cpu.util} and {@code saturated}, at 90% or more
 * of the cores it may run on) so the report can flag such cells.
 *
 * <p><b>Output.</b> One JSON line: messages (or handshakes) per second, latency p50/p99 (µs),
 * the negotiated protocol and suite, and with {@code --pid} the server's user and system CPU µs per
 * message from {@code /proc/PID/stat} deltas over the measured window.
 */
final class TlsLoadGen {
    static final String SCHEMA = "weft-tls-loadgen/1";
    static final String PROTOCOL = "TLSv1.3";
    static final String SUITE = "TLS_AES_128_GCM_SHA256";
    /** Bytes sent and echoed per connection in handshake mode. */
    static final int HANDSHAKE_PAYLOAD = 64;
    static final int CONNECT_TIMEOUT_S = 60;

    record Config(String host, int port, int connections, int size, int durationSec, int warmupSec, long pid,
                  boolean handshakes, Path ca, boolean markers) {
    }

    private final Config cfg;
    private final AtomicReference<String> error = new AtomicReference<>();
    private final AtomicReference<String> negotiated = new AtomicReference<>();
    private volatile boolean stop;
    /** Counted down by each echo connection once its handshake is done (at once in handshake mode). */
    private CountDownLatch connected;
    private final SSLSocketFactory factory;
    private final byte[] pattern;

    TlsLoadGen(Config cfg) throws Exception {
        this.cfg = cfg;
        this.factory = clientContext(cfg.ca()).getSocketFactory();
        this.pattern = new byte[2 * Math.max(cfg.size(), HANDSHAKE_PAYLOAD) + 1];
        new Random(0x5eedL).nextBytes(pattern);
    }

    /** A client context trusting only the certificate(s) in the PEM file {@code ca}. */
    static SSLContext clientContext(Path ca) throws Exception {
        KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
        ks.load(null, null);
        CertificateFactory cf = CertificateFactory.getInstance("X.509");
        int i = 0;
        try (InputStream in = Files.newInputStream(ca)) {
            for (Certificate c : cf.generateCertificates(in)) {
                ks.setCertificateEntry("ca" + i++, c);
            }
        }
        if (i == 0) {
            throw new UsageException("tls-loadgen: --ca " + ca + ": no PEM certificate in it");
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }

    static int run(String[] argv, int from) throws Exception {
        Args a = Args.parse("tls-loadgen", argv, from,
                Set.of("port", "host", "connections", "size", "duration", "warmup", "pid", "ca"),
                Set.of("handshakes", "markers")).expectPositional(0, "");
        Config cfg = new Config(
                a.loopbackHost("host", "127.0.0.1"),
                a.port("port", null, false),
                a.integer("connections", 1, 1, 2000),
                a.size("size", 1024, 1, 1 << 20),
                a.integer("duration", 5, 1, 3600),
                a.integer("warmup", 1, 0, 3600),
                a.integer("pid", -1, -1, Integer.MAX_VALUE),
                a.flag("handshakes"),
                Path.of(a.required("ca")),
                a.flag("markers"));
        if (!Files.isReadable(cfg.ca())) {
            throw new UsageException("tls-loadgen: --ca " + cfg.ca() + ": not a readable file");
        }
        Map<String, Object> out = new TlsLoadGen(cfg).measure();
        System.out.println(Json.write(out));
        return out.containsKey("error") ? 1 : 0;
    }

    private SSLSocket open() throws IOException {
        Socket plain = new Socket();
        plain.setTcpNoDelay(true);
        plain.connect(new InetSocketAddress(cfg.host(), cfg.port()), 5000);
        SSLSocket s = (SSLSocket) factory.createSocket(plain, cfg.host(), cfg.port(), true);
        s.setEnabledProtocols(new String[] {PROTOCOL});
        s.setEnabledCipherSuites(new String[] {SUITE});
        s.setUseClientMode(true);
        s.startHandshake();
        if (negotiated.get() == null) {
            negotiated.compareAndSet(null, s.getSession().getProtocol() + " " + s.getSession().getCipherSuite());
        }
        return s;
    }

    /** One client thread: its counters are read by the coordinator. */
    private final class Worker extends Thread {
        final LogHistogram hist = new LogHistogram();
        volatile long completed;
        volatile boolean measuring;

        Worker(int i) {
            super("tls-loadgen-" + i);
            setDaemon(true);
        }

        @Override
        public void run() {
            try {
                if (cfg.handshakes()) {
                    handshakes();
                } else {
                    echo();
                }
            } catch (Exception e) {
                if (!stop) {
                    error.compareAndSet(null, getName() + ": " + e);
                }
            }
        }

        private void echo() throws IOException {
            int size = cfg.size();
            byte[] in = new byte[size];
            try (SSLSocket s = open()) {
                connected.countDown();
                OutputStream os = s.getOutputStream();
                InputStream is = s.getInputStream();
                int off = 0;
                int period = pattern.length - size;
                while (!stop) {
                    long t0 = System.nanoTime();
                    os.write(pattern, off, size);
                    readFully(is, in, size);
                    if (!Arrays.equals(in, 0, size, pattern, off, off + size)) {
                        throw new IOException("echoed bytes differ from those sent");
                    }
                    off = (off + size) % period;
                    if (measuring) {
                        hist.record(System.nanoTime() - t0);
                    }
                    completed++;
                }
            }
        }

        private void handshakes() throws IOException {
            byte[] in = new byte[HANDSHAKE_PAYLOAD];
            while (!stop) {
                long t0 = System.nanoTime();
                SSLSocket s = open();
                try {
                    s.getOutputStream().write(pattern, 0, HANDSHAKE_PAYLOAD);
                    readFully(s.getInputStream(), in, HANDSHAKE_PAYLOAD);
                    if (!Arrays.equals(in, 0, HANDSHAKE_PAYLOAD, pattern, 0, HANDSHAKE_PAYLOAD)) {
                        throw new IOException("echoed bytes differ from those sent");
                    }
                    // No resumption: the next connection makes a full handshake.
                    s.getSession().invalidate();
                } finally {
                    s.close();
                }
                if (measuring) {
                    hist.record(System.nanoTime() - t0);
                }
                completed++;
            }
        }
    }

    private static void readFully(InputStream is, byte[] b, int n) throws IOException {
        int got = 0;
        while (got < n) {
            int r = is.read(b, got, n - got);
            if (r < 0) {
                throw new IOException("server closed the connection after " + got + " of " + n + " echoed bytes");
            }
            got += r;
        }
    }

    Map<String, Object> measure() throws Exception {
        List<Worker> workers = new ArrayList<>();
        for (int i = 0; i < cfg.connections(); i++) {
            workers.add(new Worker(i));
        }
        connected = new CountDownLatch(cfg.handshakes() ? 0 : cfg.connections());
        for (Worker w : workers) {
            w.start();
        }
        // Warm-up starts once every echo connection made its handshake.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(CONNECT_TIMEOUT_S);
        while (!connected.await(50, TimeUnit.MILLISECONDS) && error.get() == null) {
            if (System.nanoTime() > deadline) {
                error.compareAndSet(null, connected.getCount() + " of " + cfg.connections() + " connections made no handshake in "
                        + CONNECT_TIMEOUT_S + " s");
            }
        }
        sleepUnlessError(cfg.warmupSec() * 1000L);
        long ticks = ProcStat.clockTicks();
        ProcStat.Cpu srv0 = cfg.pid() > 0 ? ProcStat.read(cfg.pid()) : null;
        ProcStat.Cpu own0 = ProcStat.self();
        for (Worker w : workers) {
            w.measuring = true;
        }
        long c0 = sum(workers);
        long t0 = System.nanoTime();
        marker("measure-start");
        sleepUnlessError(cfg.durationSec() * 1000L);
        long c1 = sum(workers);
        long t1 = System.nanoTime();
        ProcStat.Cpu srv1 = cfg.pid() > 0 ? ProcStat.read(cfg.pid()) : null;
        ProcStat.Cpu own1 = ProcStat.self();
        marker("measure-end");
        stop = true;
        for (Worker w : workers) {
            w.join(3000);
        }
        LogHistogram all = new LogHistogram();
        for (Worker w : workers) {
            all.add(w.hist);
        }
        double secs = (t1 - t0) / 1e9;
        long msgs = c1 - c0;
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("schema", SCHEMA);
        out.put("generator", "java");
        out.put("mode", cfg.handshakes() ? "handshakes" : "echo");
        out.put("connections", cfg.connections());
        out.put("size", cfg.handshakes() ? HANDSHAKE_PAYLOAD : cfg.size());
        out.put("negotiated", negotiated.get());
        out.put("warmup_s", cfg.warmupSec());
        out.put("duration_s", secs);
        out.put("messages", msgs);
        out.put("msgs_per_s", msgs / secs);
        Map<String, Object> lat = new LinkedHashMap<>();
        lat.put("p50", all.percentile(0.50) / 1e3);
        lat.put("p99", all.percentile(0.99) / 1e3);
        lat.put("samples", all.count());
        out.put("latency_us", lat);
        if (srv0 != null) {
            ProcStat.Cpu d = srv1.minus(srv0);
            Map<String, Object> srv = new LinkedHashMap<>();
            srv.put("pid", cfg.pid());
            srv.put("user_us_per_msg", msgs == 0 ? null : d.userTicks() * 1e6 / ticks / msgs);
            srv.put("sys_us_per_msg", msgs == 0 ? null : d.sysTicks() * 1e6 / ticks / msgs);
            srv.put("util", (d.userTicks() + d.sysTicks()) / (double) ticks / secs);
            out.put("server_cpu", srv);
        }
        ProcStat.Cpu own = own1.minus(own0);
        double ownUtil = (own.userTicks() + own.sysTicks()) / (double) ticks / secs;
        int cores = Runtime.getRuntime().availableProcessors();
        Map<String, Object> cl = new LinkedHashMap<>();
        cl.put("cores", cores);
        cl.put("util", ownUtil);
        cl.put("saturated", ownUtil >= 0.9 * cores);
        out.put("client_cpu", cl);
        if (msgs == 0 && error.get() == null) {
            error.set("no message completed in the measured window");
        }
        if (error.get() != null) {
            out.put("error", error.get());
        }
        return out;
    }

    private static long sum(List<Worker> workers) {
        long s = 0;
        for (Worker w : workers) {
            s += w.completed;
        }
        return s;
    }

    private void marker(String line) {
        LoadGen.marker(cfg.markers(), line);
    }

    private void sleepUnlessError(long millis) throws InterruptedException {
        LoadGen.sleepUnlessError(error, millis);
    }
}
