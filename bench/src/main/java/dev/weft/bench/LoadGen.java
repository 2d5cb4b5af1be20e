package dev.weft.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code loadgen}: the Java TCP echo load generator, in its own process: the report's fallback
 * where the native one ({@link NativeLoadGen}, same shape, check and output) cannot be built.
 *
 * <p><b>Shape.</b> C connections; each keeps D messages of S bytes in flight: it sends D, then one
 * new message for each one fully echoed (D = 1 is ping-pong). Latency is from queuing a message to
 * receiving its last byte. Echoed bytes are checked against what was sent: the stream of each
 * connection is a window over one fixed pseudo-random pattern. With {@code --check all} (what
 * {@code auto} picks below 16 KiB) every byte is compared, so a reordered, lost or corrupted byte
 * fails the run; {@code --check sample} is below.
 *
 * <p><b>Cost.</b> The generator must outrun the servers it measures, so the Java side copies
 * nothing: messages are written straight from a direct buffer holding the pattern, reads land in a
 * direct buffer and are checked against the pattern with a vectorised compare. What is left is the
 * kernel's work, the same per message as an echo server's on loopback (one copy in, one out), so
 * with large messages a server as fast as the kernel allows would make this generator the bound.
 * Hence {@code --check sample} (what {@code auto} picks for messages of 16 KiB and more in nio
 * mode, on Linux): one read in {@value #SAMPLE_EVERY} per connection is copied and compared, the
 * others are dropped in the kernel uncopied ({@code recv} with {@code MSG_TRUNC}) and only counted.
 * Duplicated bytes, and lost ones while later bytes keep coming, fail the run at the next compared
 * read, since every later offset is shifted; bytes reordered or corrupted fail it only when they
 * land in a compared read. The output says which check ran and the fraction of bytes compared.
 * (Sending from the page cache with {@code sendfile} was tried as well: it did not lower the
 * generator's system time and raised the servers'.)
 *
 * <p><b>Stalls.</b> In either check, a connection that completes no message in the measured window
 * fails the run: with one message in flight, a lost byte leaves its connection waiting for ever.
 *
 * <p><b>Threads.</b> One per core available to this process (taskset counts). {@code blocking}
 * mode gives each connection its own thread with blocking sockets (fewest system calls, best for
 * few connections); {@code nio} spreads connections over one selector per thread (needed for many
 * connections or when D × S could fill both socket buffers). {@code auto} takes blocking when
 * connections ≤ threads and D × S ≤ 64 KiB, else nio.
 *
 * <p><b>Output.</b> One JSON line: messages per second, latency p50/p99/p99.9 (µs), and with
 * {@code --pid} the server's user and sys CPU µs per message from {@code /proc/PID/stat} deltas over
 * the measured window, plus this process's own CPU use so the report can flag client-bound cells.
 */
final class LoadGen {
    static final String SCHEMA = "weft-loadgen/1";
    /** A prime above the largest read (256 KiB), so any read or message is one contiguous window. */
    static final int PAT_LEN = 262_147;
    static final int MAX_SIZE = 256 * 1024;
    /** Two copies of one pseudo-random block, in native memory: writes and checks use it, so the JDK copies nothing. */
    private static final ByteBuffer DIRECT_PATTERN;

    static {
        byte[] p = new byte[PAT_LEN];
        new Random(0x5eedL).nextBytes(p);
        DIRECT_PATTERN = ByteBuffer.allocateDirect(2 * PAT_LEN).put(p).put(p).clear().asReadOnlyBuffer();
    }

    static final int WARMUP = 0;
    static final int MEASURE = 1;
    static final int STOP = 2;

    /** Messages from this size on are checked by sampling when {@code --check auto}. */
    static final int SAMPLE_FROM = 16 * 1024;
    /** In {@code --check sample}, one read in this many (per connection) is compared. */
    static final int SAMPLE_EVERY = 8;

    /**
     * One run. {@code socketBuffer}: {@code SO_SNDBUF} and {@code SO_RCVBUF} of every connection in
     * bytes, set before it connects; 0 leaves the kernel's autotuned buffers (what the command line
     * runs with). A small one makes writes of large messages short by construction.
     */
    record Config(String host, int port, int connections, int size, int pipeline, int durationSec,
                  int warmupSec, long pid, int threads, String mode, String check, boolean markers, int socketBuffer) {
        Config {
            if (socketBuffer < 0) {
                throw new IllegalArgumentException("socketBuffer must be 0 (the kernel's) or a size in bytes, got " + socketBuffer);
            }
        }

        Config(String host, int port, int connections, int size, int pipeline, int durationSec,
               int warmupSec, long pid, int threads, String mode, String check, boolean markers) {
            this(host, port, connections, size, pipeline, durationSec, warmupSec, pid, threads, mode, check, markers, 0);
        }
    }

    private volatile int phase = WARMUP;
    private final AtomicReference<String> error = new AtomicReference<>();
    private final Config cfg;

    LoadGen(Config cfg) {
        this.cfg = cfg;
    }

    static int run(String[] argv, int from) throws Exception {
        Args a = Args.parse("loadgen", argv, from,
                Set.of("port", "host", "connections", "size", "pipeline", "duration", "warmup", "pid", "threads", "mode", "check"),
                Set.of("markers")).expectPositional(0, "");
        int cores = Runtime.getRuntime().availableProcessors();
        Config cfg = new Config(
                a.loopbackHost("host", "127.0.0.1"),
                a.port("port", null, false),
                a.integer("connections", 1, 1, 10_000),
                a.size("size", 64, 1, MAX_SIZE),
                a.integer("pipeline", 1, 1, 1024),
                a.integer("duration", 5, 1, 3600),
                a.integer("warmup", 1, 0, 3600),
                a.integer("pid", -1, -1, Integer.MAX_VALUE),
                a.integer("threads", cores, 1, 1024),
                a.choice("mode", "auto", List.of("auto", "nio", "blocking")),
                a.choice("check", "auto", List.of("auto", "all", "sample")),
                a.flag("markers"));
        if (cfg.pid() > 0 && !java.nio.file.Files.exists(java.nio.file.Path.of("/proc", String.valueOf(cfg.pid()), "stat"))) {
            throw new UsageException("loadgen: --pid " + cfg.pid() + ": no such process (/proc/" + cfg.pid() + "/stat)");
        }
        LoadGen gen = new LoadGen(cfg);
        try {
            gen.resolvedCheck();
        } catch (IllegalArgumentException e) {
            throw new UsageException("loadgen: " + e.getMessage());
        }
        Map<String, Object> out = gen.measure();
        System.out.println(Json.write(out));
        return out.containsKey("error") ? 1 : 0;
    }

    String resolvedMode() {
        if (!cfg.mode().equals("auto")) {
            return cfg.mode();
        }
        return cfg.connections() <= cfg.threads() && (long) cfg.size() * cfg.pipeline() <= 65536 ? "blocking" : "nio";
    }

    /**
     * The check that runs: {@code all}, or {@code sample} (see the class comment).
     *
     * @throws IllegalArgumentException when {@code sample} was asked for and cannot run here
     */
    String resolvedCheck() {
        String mode = resolvedMode();
        if (cfg.check().equals("sample")) {
            if (!mode.equals("nio")) {
                throw new IllegalArgumentException("--check sample needs --mode nio (this run is " + mode
                        + (cfg.mode().equals("auto") ? ", the choice of --mode auto for connections <= threads and D x S <= 64 KiB)" : ")"));
            }
            if (Discard.UNAVAILABLE != null) {
                throw new IllegalArgumentException("--check sample is unsupported here: " + Discard.UNAVAILABLE);
            }
            return "sample";
        }
        if (cfg.check().equals("auto") && mode.equals("nio") && cfg.size() >= SAMPLE_FROM && Discard.UNAVAILABLE == null) {
            return "sample";
        }
        return "all";
    }

    /** Per-thread counters the coordinator reads. */
    abstract static class Worker extends Thread {
        final LogHistogram hist = new LogHistogram();
        volatile long completed;
        /** Echoed bytes received, and of those the ones compared with the pattern. */
        volatile long receivedBytes;
        volatile long comparedBytes;
        /** Writes the kernel took only part of (the socket buffer filled), in nio mode. */
        volatile long shortWrites;

        Worker(String name) {
            super(name);
            setDaemon(true);
        }

        /** Called after the phase turns to STOP, to end a wait that would not see it. */
        void halt() {
        }

        /** How many connections this worker drives. */
        abstract int connections();

        /** Messages completed so far on connection {@code i} of this worker. Thread-safe. */
        abstract long completed(int i);
    }

    Map<String, Object> measure() throws Exception {
        String mode = resolvedMode();
        boolean sample = resolvedCheck().equals("sample");
        InetSocketAddress addr = new InetSocketAddress(cfg.host(), cfg.port());
        List<Worker> workers = new ArrayList<>();
        if (mode.equals("blocking")) {
            for (int c = 0; c < cfg.connections(); c++) {
                SocketChannel ch = open();
                ch.socket().connect(addr, 5000);
                workers.add(new BlockingWorker(ch, c));
            }
        } else {
            int n = Math.min(cfg.threads(), cfg.connections());
            List<List<SocketChannel>> groups = new ArrayList<>();
            for (int t = 0; t < n; t++) {
                groups.add(new ArrayList<>());
            }
            for (int c = 0; c < cfg.connections(); c++) {
                SocketChannel ch = open();
                ch.connect(addr);
                ch.configureBlocking(false);
                groups.get(c % n).add(ch);
            }
            for (int t = 0; t < n; t++) {
                workers.add(new NioWorker(groups.get(t), t, sample));
            }
        }
        for (Worker w : workers) {
            w.start();
        }
        sleepUnlessError(cfg.warmupSec() * 1000L);

        long ticks = ProcStat.clockTicks();
        ProcStat.Cpu srv0 = cfg.pid() > 0 ? ProcStat.read(cfg.pid()) : null;
        ProcStat.Cpu own0 = ProcStat.self();
        long c0 = sum(workers);
        long[][] perConn = perConnection(workers);
        long t0 = System.nanoTime();
        phase = MEASURE;
        marker("measure-start");
        sleepUnlessError(cfg.durationSec() * 1000L);
        long c1 = sum(workers);
        failStalled(workers, perConn);
        long t1 = System.nanoTime();
        ProcStat.Cpu srv1 = cfg.pid() > 0 ? ProcStat.read(cfg.pid()) : null;
        ProcStat.Cpu own1 = ProcStat.self();
        phase = STOP;
        marker("measure-end");
        for (Worker w : workers) {
            w.halt();
        }
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
        out.put("host", cfg.host());
        out.put("port", cfg.port());
        out.put("connections", cfg.connections());
        out.put("size", cfg.size());
        out.put("pipeline", cfg.pipeline());
        out.put("mode", mode);
        out.put("check", sample ? "sample" : "all");
        long rx = 0;
        long cmp = 0;
        long shortWrites = 0;
        for (Worker w : workers) {
            rx += w.receivedBytes;
            cmp += w.comparedBytes;
            shortWrites += w.shortWrites;
        }
        out.put("compared_fraction", rx == 0 ? null : cmp / (double) rx);
        out.put("short_writes", shortWrites);
        out.put("threads", workers.size());
        out.put("warmup_s", cfg.warmupSec());
        out.put("duration_s", secs);
        out.put("messages", msgs);
        out.put("msgs_per_s", msgs / secs);
        out.put("mib_per_s", msgs * (double) cfg.size() / secs / (1 << 20));
        Map<String, Object> lat = new LinkedHashMap<>();
        lat.put("p50", all.percentile(0.50) / 1e3);
        lat.put("p99", all.percentile(0.99) / 1e3);
        lat.put("p999", all.percentile(0.999) / 1e3);
        lat.put("max", all.max() / 1e3);
        lat.put("mean", all.mean() / 1e3);
        lat.put("samples", all.count());
        out.put("latency_us", lat);
        ProcStat.Cpu own = own1.minus(own0);
        double ownUtil = (own.userTicks() + own.sysTicks()) / (double) ticks / secs;
        if (srv0 != null) {
            ProcStat.Cpu d = srv1.minus(srv0);
            Map<String, Object> srv = new LinkedHashMap<>();
            srv.put("pid", cfg.pid());
            srv.put("user_us_per_msg", msgs == 0 ? null : d.userTicks() * 1e6 / ticks / msgs);
            srv.put("sys_us_per_msg", msgs == 0 ? null : d.sysTicks() * 1e6 / ticks / msgs);
            srv.put("util", (d.userTicks() + d.sysTicks()) / (double) ticks / secs);
            out.put("server_cpu", srv);
        }
        Map<String, Object> cl = new LinkedHashMap<>();
        int cores = Runtime.getRuntime().availableProcessors();
        cl.put("cores", cores);
        cl.put("util", ownUtil);
        cl.put("user_us_per_msg", msgs == 0 ? null : own.userTicks() * 1e6 / ticks / msgs);
        cl.put("sys_us_per_msg", msgs == 0 ? null : own.sysTicks() * 1e6 / ticks / msgs);
        // Saturated: the load generator used at least 90% of the cores it may run on.
        cl.put("saturated", ownUtil >= 0.9 * cores);
        out.put("client_cpu", cl);
        out.put("clk_tck", ticks);
        if (error.get() != null) {
            out.put("error", error.get());
        }
        return out;
    }

    /** A socket for one connection, not yet connected: no Nagle delay, and the buffers of {@link Config#socketBuffer}. */
    private SocketChannel open() throws IOException {
        SocketChannel ch = SocketChannel.open();
        ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
        if (cfg.socketBuffer() > 0) {
            ch.setOption(StandardSocketOptions.SO_SNDBUF, cfg.socketBuffer());
            ch.setOption(StandardSocketOptions.SO_RCVBUF, cfg.socketBuffer());
        }
        return ch;
    }

    /** With {@code --markers}, tells the report (reading stdout) when the measured window opens and closes. */
    private void marker(String line) {
        marker(cfg.markers(), line);
    }

    /** Prints {@code line} when {@code markers} is on; shared with {@link TlsLoadGen}. */
    static void marker(boolean markers, String line) {
        if (markers) {
            System.out.println(line);
            System.out.flush();
        }
    }

    private void sleepUnlessError(long millis) throws InterruptedException {
        sleepUnlessError(error, millis);
    }

    /** Sleeps {@code millis}, or less once {@code error} is set; shared with {@link TlsLoadGen}. */
    static void sleepUnlessError(AtomicReference<String> error, long millis) throws InterruptedException {
        long end = System.currentTimeMillis() + millis;
        while (error.get() == null) {
            long left = end - System.currentTimeMillis();
            if (left <= 0) {
                return;
            }
            Thread.sleep(Math.min(left, 50));
        }
    }

    private static long[][] perConnection(List<Worker> workers) {
        long[][] out = new long[workers.size()][];
        for (int w = 0; w < out.length; w++) {
            Worker wk = workers.get(w);
            out[w] = new long[wk.connections()];
            for (int i = 0; i < out[w].length; i++) {
                out[w][i] = wk.completed(i);
            }
        }
        return out;
    }

    /** Fails the run when a connection completed nothing since {@code before} (see the class comment). */
    private void failStalled(List<Worker> workers, long[][] before) {
        int stalled = 0;
        int first = -1;
        int index = 0;
        for (int w = 0; w < before.length; w++) {
            for (int i = 0; i < before[w].length; i++, index++) {
                if (workers.get(w).completed(i) == before[w][i]) {
                    stalled++;
                    first = first < 0 ? index : first;
                }
            }
        }
        if (stalled > 0) {
            fail(stalled + " of " + index + " connections (the first: connection " + first + ") completed no message in the "
                    + cfg.durationSec() + " s measured window; a server that loses bytes stalls a connection");
        }
    }

    private static long sum(List<Worker> workers) {
        long s = 0;
        for (Worker w : workers) {
            s += w.completed;
        }
        return s;
    }

    private void fail(String what) {
        error.compareAndSet(null, what);
        phase = STOP;
    }

    /** Index in the pattern of stream offset {@code off}. */
    static int patternIndex(long off) {
        return (int) (off % PAT_LEN);
    }

    /** How many of stream bytes {@code [from, to)} one send offers: at most one pattern length, so one contiguous window. */
    static int window(long from, long to) {
        return (int) Math.min(to - from, PAT_LEN);
    }

    /** Sends windows of the pattern from the direct pattern buffer. One per worker thread (the view has a position). */
    static final class PatternSender {
        private final ByteBuffer view = DIRECT_PATTERN.duplicate();

        /** Sends {@link #window} bytes from stream offset {@code from}; returns how many the kernel took. */
        int send(SocketChannel ch, long from, long to) throws IOException {
            int p = patternIndex(from);
            view.limit(p + window(from, to)).position(p);
            return ch.write(view);
        }
    }

    /** True when the bytes of {@code got} (position to limit) equal the pattern at stream offset {@code off}. */
    static boolean matches(ByteBuffer got, ByteBuffer pattern, long off) {
        int p = patternIndex(off);
        pattern.limit(p + got.remaining()).position(p);
        return got.mismatch(pattern) < 0;
    }

    /** A thread's own view of the shared direct pattern (positions are per view). */
    static ByteBuffer patternView() {
        return DIRECT_PATTERN.duplicate();
    }

    /**
     * One connection on its own thread, blocking reads and writes on direct buffers. The coordinator
     * closes the channel to end a read that is waiting.
     */
    final class BlockingWorker extends Worker {
        private final SocketChannel ch;
        private final long[] sentAt = new long[cfg.pipeline()];

        BlockingWorker(SocketChannel ch, int id) {
            super("loadgen-blocking-" + id);
            this.ch = ch;
        }

        @Override
        int connections() {
            return 1;
        }

        @Override
        long completed(int i) {
            return completed;
        }

        @Override
        void halt() {
            try {
                ch.close();
            } catch (IOException ignored) {
                // ending the run
            }
        }

        @Override
        public void run() {
            int size = cfg.size();
            int depth = cfg.pipeline();
            ByteBuffer pattern = patternView();
            PatternSender sender = new PatternSender();
            ByteBuffer rbuf = ByteBuffer.allocateDirect(MAX_SIZE);
            long sent = 0;
            long received = 0;
            long done = 0;
            try (SocketChannel c = ch) {
                long now = System.nanoTime();
                for (int k = 0; k < depth; k++) {
                    sentAt[k] = now;
                }
                sent = depth;
                writeAll(c, sender, 0, sent * size);
                while (phase != STOP) {
                    rbuf.clear();
                    int n = c.read(rbuf);
                    if (n < 0) {
                        fail("server closed the connection after " + received + " bytes");
                        return;
                    }
                    rbuf.flip();
                    if (!matches(rbuf, pattern, received)) {
                        fail("echoed bytes differ from those sent at stream offset " + received);
                        return;
                    }
                    received += n;
                    if (received > sent * size) {
                        fail("the server echoed " + received + " bytes, more than the " + sent * size + " sent");
                        return;
                    }
                    receivedBytes = received;
                    comparedBytes = received;
                    now = System.nanoTime();
                    boolean measuring = phase == MEASURE;
                    long from = sent;
                    while ((done + 1) * size <= received) {
                        if (measuring) {
                            hist.record(now - sentAt[(int) (done % depth)]);
                        }
                        done++;
                        sentAt[(int) (sent % depth)] = now;
                        sent++;
                    }
                    completed = done;
                    if (sent > from) {
                        writeAll(c, sender, from * size, sent * size);
                    }
                }
            } catch (IOException e) {
                if (phase != STOP) {
                    fail("connection failed: " + e);
                }
            }
        }

        private void writeAll(SocketChannel c, PatternSender sender, long from, long to) throws IOException {
            while (from < to) {
                from += sender.send(c, from, to);
            }
        }
    }

    /**
     * Per-connection state of an NIO worker. What is still to be written is the stream range
     * {@code [written, queued)}, so nothing is copied to queue a message.
     */
    final class Conn {
        final SocketChannel ch;
        final long[] sentAt = new long[cfg.pipeline()];
        long queued;
        long written;
        long received;
        long done;
        /** {@link #done} for the coordinator's stall check. */
        volatile long doneShared;
        long reads;
        /** The descriptor, for discarding reads in {@code --check sample}; -1 otherwise. */
        final int fd;
        SelectionKey key;

        Conn(SocketChannel ch, boolean sample) {
            this.ch = ch;
            this.fd = sample ? Discard.fd(ch) : -1;
        }

        void queue(long now) {
            sentAt[(int) ((queued / cfg.size()) % sentAt.length)] = now;
            queued += cfg.size();
        }

        /** Writes what is queued; true when the socket buffer filled first (the rest waits for OP_WRITE). */
        boolean flush(PatternSender sender) throws IOException {
            boolean full = false;
            while (written < queued) {
                int want = window(written, queued);
                int n = sender.send(ch, written, queued);
                written += n;
                if (n < want) {
                    full = true;
                    break;
                }
            }
            int ops = written < queued ? SelectionKey.OP_READ | SelectionKey.OP_WRITE : SelectionKey.OP_READ;
            if (key.interestOps() != ops) {
                key.interestOps(ops);
            }
            return full;
        }
    }

    /** Several connections on one selector thread. */
    final class NioWorker extends Worker {
        private final List<Conn> conns = new ArrayList<>();
        private final boolean sample;

        NioWorker(List<SocketChannel> channels, int id, boolean sample) {
            super("loadgen-nio-" + id);
            this.sample = sample;
            for (SocketChannel ch : channels) {
                conns.add(new Conn(ch, sample));
            }
        }

        @Override
        int connections() {
            return conns.size();
        }

        @Override
        long completed(int i) {
            return conns.get(i).doneShared;
        }

        @Override
        public void run() {
            int size = cfg.size();
            int depth = cfg.pipeline();
            long total = 0;
            long received = 0;
            long compared = 0;
            ByteBuffer pattern = patternView();
            PatternSender sender = new PatternSender();
            ByteBuffer rbuf = ByteBuffer.allocateDirect(MAX_SIZE);
            try (Selector sel = Selector.open()) {
                long now = System.nanoTime();
                for (Conn c : conns) {
                    c.key = c.ch.register(sel, SelectionKey.OP_READ, c);
                    for (int k = 0; k < depth; k++) {
                        c.queue(now);
                    }
                    c.flush(sender);
                }
                while (phase != STOP) {
                    if (sel.select(100) == 0) {
                        continue;
                    }
                    boolean measuring = phase == MEASURE;
                    for (SelectionKey k : sel.selectedKeys()) {
                        Conn c = (Conn) k.attachment();
                        if (k.isReadable()) {
                            boolean compare = !sample || c.reads++ % SAMPLE_EVERY == 0;
                            long n;
                            if (compare) {
                                rbuf.clear();
                                n = c.ch.read(rbuf);
                            } else {
                                n = Discard.discard(c.fd, MAX_SIZE);
                            }
                            if (n < 0) {
                                fail("server closed the connection after " + c.received + " bytes");
                                return;
                            }
                            if (n > 0) {
                                if (compare) {
                                    rbuf.flip();
                                    if (!matches(rbuf, pattern, c.received)) {
                                        fail("echoed bytes differ from those sent at stream offset " + c.received);
                                        return;
                                    }
                                    compared += n;
                                }
                                c.received += n;
                                received += n;
                                if (c.received > c.written) {
                                    fail("the server echoed " + c.received + " bytes, more than the " + c.written + " sent");
                                    return;
                                }
                                now = System.nanoTime();
                                while ((c.done + 1) * size <= c.received) {
                                    if (measuring) {
                                        hist.record(now - c.sentAt[(int) (c.done % depth)]);
                                    }
                                    c.done++;
                                    total++;
                                    c.queue(now);
                                }
                                c.doneShared = c.done;
                            }
                        }
                        if (k.isValid() && c.flush(sender)) {
                            shortWrites++;
                        }
                    }
                    sel.selectedKeys().clear();
                    completed = total;
                    receivedBytes = received;
                    comparedBytes = compared;
                }
            } catch (IOException e) {
                if (phase != STOP) {
                    fail("connection failed: " + e);
                }
            } finally {
                for (Conn c : conns) {
                    try {
                        c.ch.close();
                    } catch (IOException ignored) {
                        // closing at the end of the run
                    }
                }
            }
        }
    }
}
