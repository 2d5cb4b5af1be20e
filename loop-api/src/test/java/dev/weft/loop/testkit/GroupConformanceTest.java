package dev.weft.loop.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.weft.loop.Capability;
import dev.weft.loop.Connection;
import dev.weft.loop.EventLoop;
import dev.weft.loop.EventLoopGroup;
import dev.weft.loop.GroupServer;
import dev.weft.loop.LoopFuture;
import dev.weft.loop.Protocol;
import dev.weft.loop.Server;
import dev.weft.loop.ServerOptions;
import dev.weft.loop.Transport;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link EventLoopGroup} on one backend: servers spread over two loops (a listener per loop where
 * the kernel balances a port, one acceptor handing off otherwise), client connections round-robin,
 * confinement errors naming both loops, one loop closing while the other serves, graceful shutdown.
 * The test's own loop is the client side; every test ends with the group terminated and the
 * suite's check for live handles and leaked descriptors.
 */
@Timeout(180)
public abstract class GroupConformanceTest extends LoopTestSupport {
    private EventLoopGroup group;

    /** Whether the kernel under this backend balances one port over several listeners (Linux, FreeBSD). */
    protected boolean balancesListeners() {
        return System.getProperty("os.name", "").startsWith("Linux");
    }

    private EventLoopGroup group(EventLoopGroup.Spread spread) {
        group = EventLoopGroup.builder().backend(backend()).loops(2).name("g").spread(spread).build();
        return group;
    }

    @AfterEach
    void shutDownGroup() throws Exception {
        if (group != null) {
            group.shutdownGracefully(Duration.ZERO).toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }

    private static <T> T get(java.util.concurrent.CompletionStage<T> stage) {
        try {
            return stage.toCompletableFuture().get(60, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new AssertionError(e.getCause());
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** Echoes; records the thread that made it and the one it was connected on, per loop name. */
    private static final class LoopEcho implements Protocol {
        final Map<String, AtomicInteger> perLoop;
        final String madeOn = Thread.currentThread().getName();
        Transport transport;

        LoopEcho(Map<String, AtomicInteger> perLoop) {
            this.perLoop = perLoop;
        }

        @Override
        public void connectionMade(Transport t) {
            transport = t;
            String owner = t.loop().name();
            // The factory ran on the loop that owns the connection, on that loop's thread.
            String key = madeOn.equals(owner) && t.loop().inLoopThread() ? owner : "wrong thread: " + madeOn + " for " + owner;
            perLoop.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
        }

        @Override
        public void dataReceived(DirectBuffer data) {
            transport.write(data);
        }
    }

    /** Sends its payload, checks every byte echoed, then closes; {@code done} holds a mismatch or null. */
    private static final class CheckingClient implements Protocol {
        final byte[] payload;
        final byte[] got;
        final LoopFuture<String> done;
        int received;
        Transport transport;

        CheckingClient(EventLoop loop, int index) {
            Random r = new Random(index);
            payload = new byte[1 + r.nextInt(16 * 1024)];
            r.nextBytes(payload);
            got = new byte[payload.length];
            done = loop.createFuture();
        }

        @Override
        public void connectionMade(Transport t) {
            transport = t;
            t.write(payload);
        }

        @Override
        public void dataReceived(DirectBuffer data) {
            int n = data.capacity();
            if (received + n > got.length) {
                finish("more bytes than sent: " + (received + n) + " > " + got.length);
                return;
            }
            data.getBytes(0, got, received, n);
            received += n;
            if (received == got.length) {
                finish(Arrays.equals(payload, got) ? null : "echoed bytes differ");
            }
        }

        @Override
        public void connectionLost(Throwable cause) {
            finish(received == got.length ? null : "lost after " + received + " of " + got.length + ": " + cause);
        }

        private void finish(String problem) {
            if (!done.isDone()) {
                done.setResult(problem);
                transport.close();
            }
        }
    }

    /** {@code n} connections from the test's loop, all open at once, each payload checked. */
    private void serveAndCheck(GroupServer server, int n, boolean unix) {
        List<LoopFuture<String>> results = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            CheckingClient c = new CheckingClient(loop, i);
            LoopFuture<Connection<CheckingClient>> conn = unix
                    ? loop.createUnixConnection(() -> c, server.boundAddresses().get(0).toString())
                    : loop.createConnection(() -> c, "127.0.0.1", server.addresses().get(0).getPort(), null);
            results.add(c.done);
            conn.addDoneCallback(f -> {
                if (f.isCancelled() || f.peekException() != null) {
                    c.done.setResult("connect failed: " + f.exception());
                }
            });
        }
        List<String> problems = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String p = await(results.get(i));
            if (p != null) {
                problems.add("connection " + i + ": " + p);
            }
        }
        assertEquals(List.of(), problems);
    }

    private void thousandConnections(EventLoopGroup.Spread spread, boolean expectListenerPerLoop) {
        EventLoopGroup g = group(spread);
        Map<String, AtomicInteger> perLoop = new ConcurrentHashMap<>();
        GroupServer server = get(g.createServer(() -> new LoopEcho(perLoop), "127.0.0.1", 0,
                ServerOptions.DEFAULTS.withBacklog(1024)));
        assertEquals(expectListenerPerLoop, server.listenerPerLoop(), server.toString());
        assertEquals(2, server.servers().size());
        serveAndCheck(server, 1000, false);
        assertEquals(Map.of("g-loop-0", 1000 - count(perLoop, "g-loop-1"), "g-loop-1", count(perLoop, "g-loop-1")),
                counts(perLoop), "connections per loop, each made on its owner's thread");
        assertTrue(count(perLoop, "g-loop-0") > 0 && count(perLoop, "g-loop-1") > 0, "both loops served: " + perLoop);
        get(server.close());
        get(server.waitClosed());
    }

    private static int count(Map<String, AtomicInteger> m, String k) {
        AtomicInteger a = m.get(k);
        return a == null ? 0 : a.get();
    }

    private static Map<String, Integer> counts(Map<String, AtomicInteger> m) {
        Map<String, Integer> out = new java.util.TreeMap<>();
        m.forEach((k, v) -> out.put(k, v.get()));
        return out;
    }

    @Test
    void shouldServeAThousandConnectionsOnTwoLoopsWithAListenerEachCheckingEveryByte() {
        assumeTrue(balancesListeners(), "the kernel here does not balance one port over several listeners");
        thousandConnections(EventLoopGroup.Spread.AUTO, true);
    }

    @Test
    void shouldServeAThousandConnectionsOnTwoLoopsThroughOneAcceptorCheckingEveryByte() {
        thousandConnections(EventLoopGroup.Spread.HAND_OFF, false);
    }

    @Test
    void shouldSpreadAUnixServerOverBothLoops() throws IOException {
        assumeTrue(loop.supports(Capability.UNIX_STREAM), "no Unix stream sockets on " + backend());
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "weft-g");
        try {
            EventLoopGroup g = group(EventLoopGroup.Spread.AUTO);
            Map<String, AtomicInteger> perLoop = new ConcurrentHashMap<>();
            GroupServer server = get(g.createUnixServer(() -> new LoopEcho(perLoop), dir.resolve("s").toString(), null));
            serveAndCheck(server, 100, true);
            assertEquals(Map.of("g-loop-0", 50, "g-loop-1", 50), counts(perLoop), "handed off in turn");
            get(server.close());
            assertFalse(Files.exists(dir.resolve("s")), "closing the group server removes the socket file");
        } finally {
            Files.deleteIfExists(dir.resolve("s"));
            Files.delete(dir);
        }
    }

    @Test
    void shouldRoundRobinClientConnectionsOverTheLoops() {
        EventLoopGroup g = group(EventLoopGroup.Spread.AUTO);
        Server server = await(loop.createServer(() -> new TestProtocols.Echo(loop), "127.0.0.1", 0, null));
        int port = server.addresses().get(0).getPort();
        List<String> loops = new ArrayList<>();
        List<Connection<Protocol>> conns = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            Connection<Protocol> c = whileLoopRuns(() ->
                    get(g.createConnection(() -> (Protocol) data -> { }, "127.0.0.1", port, null)));
            loops.add(c.transport().loop().name());
            conns.add(c);
        }
        String first = loops.get(0);
        String second = first.equals("g-loop-0") ? "g-loop-1" : "g-loop-0";
        assertEquals(List.of(first, second, first, second), loops);
        for (Connection<Protocol> c : conns) {
            get(onOwner(c.transport().loop(), () -> {
                c.transport().close();
                return null;
            }));
        }
        server.close();
        await(server.waitClosed());
    }

    private static <T> CompletableFuture<T> onOwner(EventLoop l, java.util.concurrent.Callable<T> work) {
        CompletableFuture<T> cf = new CompletableFuture<>();
        l.execute(() -> {
            try {
                cf.complete(work.call());
            } catch (Throwable t) {
                cf.completeExceptionally(t);
            }
        });
        return cf;
    }

    @Test
    void shouldNameBothLoopsWhenALoopsObjectIsUsedFromAnotherLoop() {
        EventLoopGroup g = group(EventLoopGroup.Spread.HAND_OFF);
        List<LoopEcho> made = new CopyOnWriteArrayList<>();
        Map<String, AtomicInteger> perLoop = new ConcurrentHashMap<>();
        GroupServer server = get(g.createServer(() -> {
            LoopEcho e = new LoopEcho(perLoop);
            made.add(e);
            return e;
        }, "127.0.0.1", 0, null));
        int port = server.addresses().get(0).getPort();
        whileLoopRuns(() -> {
            try (Socket s = new Socket("127.0.0.1", port)) {
                s.getOutputStream().write(1);
                assertEquals(1, s.getInputStream().read());
                Transport onLoop0 = made.get(0).transport;
                assertEquals("g-loop-0", onLoop0.loop().name());
                EventLoop other = g.loop(1);
                Throwable fromTransport = get(onOwner(other, () -> assertThrows(IllegalStateException.class,
                        () -> onLoop0.write(new byte[] {1}))));
                assertEquals("Transport.write must be called from the loop thread of g-loop-0 (g-loop-0), not from the"
                        + " thread of another loop, g-loop-1 (g-loop-1); use g-loop-0.callSoonThreadsafe to hand work"
                        + " to the loop", fromTransport.getMessage());
                LoopFuture<String> future = get(onOwner(g.loop(0), () -> g.loop(0).<String>createFuture()));
                Throwable fromFuture = get(onOwner(other, () -> assertThrows(IllegalStateException.class,
                        () -> future.setResult("x"))));
                assertTrue(fromFuture.getMessage().startsWith("LoopFuture.setResult must be called from the loop thread"
                        + " of g-loop-0 (g-loop-0), not from the thread of another loop, g-loop-1"), fromFuture.getMessage());
                assertFalse(get(onOwner(g.loop(0), future::isDone)), "the failed call changed nothing");
            }
            return null;
        });
        get(server.close());
    }

    /** A line protocol: answers each byte with the name of the loop serving the connection. */
    private static final class WhoAmI implements Protocol {
        Transport transport;

        @Override
        public void connectionMade(Transport t) {
            transport = t;
        }

        @Override
        public void dataReceived(DirectBuffer data) {
            byte[] name = (transport.loop().name() + "\n").getBytes(StandardCharsets.US_ASCII);
            for (int i = 0; i < data.capacity(); i++) {
                transport.write(name);
            }
        }
    }

    private static String ask(Socket s) throws IOException {
        s.getOutputStream().write('?');
        s.getOutputStream().flush();
        StringBuilder b = new StringBuilder();
        InputStream in = s.getInputStream();
        for (int c = in.read(); c != '\n'; c = in.read()) {
            if (c < 0) {
                throw new IOException("EOF");
            }
            b.append((char) c);
        }
        return b.toString();
    }

    private void closingOneLoop(EventLoopGroup.Spread spread) {
        EventLoopGroup g = group(spread);
        GroupServer server = get(g.createServer(WhoAmI::new, "127.0.0.1", 0, null));
        int port = server.addresses().get(0).getPort();
        whileLoopRuns(() -> {
            List<Socket> on0 = new ArrayList<>();
            List<Socket> on1 = new ArrayList<>();
            List<Socket> all = new ArrayList<>();
            try {
                for (int i = 0; i < 64 && (on0.size() < 2 || on1.size() < 2); i++) {
                    Socket s = new Socket("127.0.0.1", port);
                    s.setSoTimeout(20_000);
                    all.add(s);
                    (ask(s).equals("g-loop-0") ? on0 : on1).add(s);
                }
                assertTrue(on0.size() >= 2 && on1.size() >= 2, "both loops got connections: " + on0.size() + "/" + on1.size());
                g.loop(1).execute(g.loop(1)::stop);
                for (int i = 0; i < 500 && !g.loop(1).isClosed(); i++) {
                    Thread.sleep(10);
                }
                assertTrue(g.loop(1).isClosed(), "loop 1 closed after stop");
                for (Socket s : on1) {
                    assertThrows(IOException.class, () -> ask(s), "a connection of the closed loop is gone");
                }
                for (Socket s : on0) {
                    assertEquals("g-loop-0", ask(s), "the other loop's connections still work");
                }
                for (int i = 0; i < 8; i++) {
                    try (Socket s = new Socket("127.0.0.1", port)) {
                        s.setSoTimeout(20_000);
                        assertEquals("g-loop-0", ask(s), "new connections go to the open loop");
                    }
                }
                assertEquals("g-loop-0", g.next().name());
                assertEquals("g-loop-0", g.next().name());
            } finally {
                for (Socket s : all) {
                    s.close();
                }
            }
            return null;
        });
        get(server.close());
    }

    @Test
    void shouldKeepTheOtherLoopsConnectionsWorkingWhenOneLoopClosesWithAListenerEach() {
        assumeTrue(balancesListeners(), "the kernel here does not balance one port over several listeners");
        closingOneLoop(EventLoopGroup.Spread.AUTO);
    }

    @Test
    void shouldKeepTheOtherLoopsConnectionsWorkingWhenOneLoopClosesWithOneAcceptor() {
        closingOneLoop(EventLoopGroup.Spread.HAND_OFF);
    }

    @Test
    void shouldCloseAConnectionHandedToALoopThatClosesBeforeTakingIt() {
        EventLoopGroup g = group(EventLoopGroup.Spread.HAND_OFF);
        GroupServer server = get(g.createServer(WhoAmI::new, "127.0.0.1", 0, null));
        int port = server.addresses().get(0).getPort();
        java.util.concurrent.CountDownLatch blocked = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        whileLoopRuns(() -> {
            try (Socket first = new Socket("127.0.0.1", port); Socket second = new Socket()) {
                first.setSoTimeout(20_000);
                assertEquals("g-loop-0", ask(first), "the first connection stays with the acceptor's loop");
                // Loop 1 busy: what is handed to it waits in its inbox.
                g.loop(1).execute(() -> {
                    blocked.countDown();
                    try {
                        release.await(30, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
                assertTrue(blocked.await(30, TimeUnit.SECONDS));
                second.connect(new InetSocketAddress("127.0.0.1", port));
                second.setSoTimeout(10_000);
                try (Socket third = new Socket("127.0.0.1", port)) {
                    third.setSoTimeout(20_000);
                    // Accepted after the second, so the second has been handed to loop 1 by now.
                    assertEquals("g-loop-0", ask(third));
                }
                g.loop(1).stop();
                release.countDown();
                for (int i = 0; i < 1000 && !g.loop(1).isClosed(); i++) {
                    Thread.sleep(10);
                }
                assertTrue(g.loop(1).isClosed());
                int end;
                try {
                    end = second.getInputStream().read();
                } catch (java.net.SocketTimeoutException e) {
                    throw new AssertionError("the connection handed to the closed loop was left open", e);
                } catch (IOException e) {
                    end = -1;
                }
                assertEquals(-1, end, "the connection handed to the closed loop is closed");
            }
            return null;
        });
        get(server.close());
    }

    @Test
    void shouldStopAcceptingThenWaitForConnectionsOnGracefulShutdown() {
        EventLoopGroup g = group(EventLoopGroup.Spread.AUTO);
        GroupServer server = get(g.createServer(WhoAmI::new, "127.0.0.1", 0, null));
        int port = server.addresses().get(0).getPort();
        whileLoopRuns(() -> {
            try (Socket s = new Socket("127.0.0.1", port)) {
                s.setSoTimeout(20_000);
                String owner = ask(s);
                CompletableFuture<Void> done = g.shutdownGracefully(Duration.ofSeconds(60)).toCompletableFuture();
                // Listeners close first: a new connection is refused while the open one is served.
                ConnectException refused = null;
                for (int i = 0; i < 500 && refused == null; i++) {
                    try (Socket late = new Socket("127.0.0.1", port)) {
                        Thread.sleep(10);
                    } catch (ConnectException e) {
                        refused = e;
                    } catch (SocketException e) {
                        // A connect that raced the listener's close: Windows (and Wine) reset a
                        // connection still in the closing listener's backlog. Try again.
                    }
                }
                assertInstanceOf(ConnectException.class, refused, "listeners closed");
                assertEquals(owner, ask(s), "the open connection is still served");
                assertFalse(done.isDone(), "the group waits for its open connection");
                assertThrows(IllegalStateException.class, () -> g.createConnection(() -> (Protocol) data -> { }, "127.0.0.1",
                        port, null));
                s.close();
                done.get(30, TimeUnit.SECONDS);
                assertTrue(g.isTerminated());
                for (EventLoop l : g.loops()) {
                    assertTrue(l.isClosed(), l + " closed");
                }
            }
            return null;
        });
    }

    @Test
    void shouldAbortConnectionsLeftOpenWhenTheShutdownTimeoutPasses() {
        EventLoopGroup g = group(EventLoopGroup.Spread.AUTO);
        GroupServer server = get(g.createServer(WhoAmI::new, "127.0.0.1", 0, null));
        int port = server.addresses().get(0).getPort();
        whileLoopRuns(() -> {
            try (Socket s = new Socket("127.0.0.1", port)) {
                s.setSoTimeout(20_000);
                ask(s);
                g.shutdownGracefully(Duration.ofMillis(200)).toCompletableFuture().get(30, TimeUnit.SECONDS);
                assertTrue(g.isTerminated());
                assertThrows(IOException.class, () -> ask(s), "the connection left open was closed with its loop");
            }
            return null;
        });
    }

    @Test
    void shouldRefuseBadArgumentsNamingThem() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> EventLoopGroup.builder().loops(0));
        assertEquals("loops must be >= 1: 0", e.getMessage());
        EventLoopGroup g = group(EventLoopGroup.Spread.AUTO);
        e = assertThrows(IllegalArgumentException.class, () -> g.createServer(WhoAmI::new, "127.0.0.1", 70000, null));
        assertEquals("port out of range 0..65535: 70000", e.getMessage());
        assertNotEquals(null, g.toString());
    }
}
