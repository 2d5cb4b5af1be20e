package dev.weft.loop.epoll;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.weft.loop.spi.Poller;
import dev.weft.loop.posix.PosixSocket;
import dev.weft.loop.posix.PosixSocketFactory;
import dev.weft.loop.testkit.ThreadAllocation;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class EpollPollerTest {
    private EpollPoller poller;
    private ServerSocket server;
    private PosixSocket socket;
    private Socket peer;
    private int lastReady;
    private int calls;
    private final Poller.ReadyHandler handler = ops -> {
        lastReady = ops;
        calls++;
    };

    @BeforeAll
    static void linux() {
        assumeTrue(new EpollBackend().isAvailable(), "epoll unavailable here");
    }

    @BeforeEach
    void connect() throws Exception {
        poller = new EpollPoller(4);
        server = new ServerSocket(0, 8, InetAddress.getByName("127.0.0.1"));
        socket = new PosixSocketFactory().openStream(StandardProtocolFamily.INET);
        if (!socket.connect((InetSocketAddress) server.getLocalSocketAddress())) {
            poller.register(socket, Poller.WRITABLE, handler);
            assertEquals(1, poller.poll(TimeUnit.SECONDS.toNanos(5)));
            assertEquals(Poller.WRITABLE, lastReady & Poller.WRITABLE);
            socket.finishConnect();
            poller.deregister(socket);
            calls = 0;
        }
        peer = server.accept();
    }

    @AfterEach
    void close() throws Exception {
        poller.close();
        socket.close();
        peer.close();
        server.close();
    }

    @Test
    void shouldReportAReadySocketAgainOnEveryPollWhileItStaysReady() throws Exception {
        poller.register(socket, Poller.READABLE, handler);
        assertEquals(0, poller.poll(0), "nothing to read yet");
        peer.getOutputStream().write(new byte[100]);
        for (int i = 0; i < 5; i++) {
            assertEquals(1, poller.poll(TimeUnit.SECONDS.toNanos(5)), "poll " + i);
            assertEquals(Poller.READABLE, lastReady);
        }
        poller.reregister(socket, Poller.READABLE | Poller.WRITABLE);
        assertEquals(1, poller.poll(0));
        assertEquals(Poller.READABLE | Poller.WRITABLE, lastReady);
        poller.deregister(socket);
        assertEquals(0, poller.poll(0), "deregistered: no more events");
        assertEquals(0, poller.registered());
    }

    @Test
    void shouldNotSpinOnAHungUpSocketWithNoInterest() throws Exception {
        poller.register(socket, 0, handler);
        peer.setSoLinger(true, 0);
        peer.close();
        Thread.sleep(50);
        int total = 0;
        for (int i = 0; i < 10; i++) {
            total += poller.poll(0);
        }
        assertTrue(total <= 1, "a hang-up with interest 0 is reported at most once, got " + total);
        if (total == 1) {
            assertEquals(Poller.READABLE | Poller.WRITABLE, lastReady, "error/hang-up reported as both");
        }
        poller.reregister(socket, Poller.READABLE);
        assertEquals(1, poller.poll(0), "interest back: the level is reported");
        assertEquals(Poller.READABLE | Poller.WRITABLE, lastReady);
    }

    @Test
    void shouldWakeABlockedPollFromAnotherThreadAndCoalesceWakeups() throws Exception {
        CountDownLatch polling = new CountDownLatch(1);
        Thread waker = new Thread(() -> {
            try {
                polling.await();
                Thread.sleep(100);
            } catch (InterruptedException e) {
                return;
            }
            poller.wakeup();
        });
        waker.start();
        polling.countDown();
        long t0 = System.nanoTime();
        assertEquals(0, poller.poll(-1), "a wake-up dispatches nothing");
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(20));
        waker.join();
        for (int i = 0; i < 100; i++) {
            poller.wakeup();
        }
        assertEquals(0, poller.poll(-1), "coalesced wake-ups: the eventfd was readable");
        // Consumed: the next poll with a timeout times out instead of returning at once.
        long t1 = System.nanoTime();
        assertEquals(0, poller.poll(TimeUnit.MILLISECONDS.toNanos(50)));
        assertTrue(System.nanoTime() - t1 >= TimeUnit.MILLISECONDS.toNanos(45), "slept: no wake-up left over");
    }

    @Test
    void shouldGrowTheEventArrayWhenAPollFillsIt() throws Exception {
        PosixSocket[] more = new PosixSocket[10];
        Socket[] peers = new Socket[10];
        try {
            poller.register(socket, Poller.WRITABLE, handler);
            for (int i = 0; i < more.length; i++) {
                more[i] = new PosixSocketFactory().openStream(StandardProtocolFamily.INET);
                more[i].connect((InetSocketAddress) server.getLocalSocketAddress());
                peers[i] = server.accept();
                poller.register(more[i], Poller.WRITABLE, handler);
            }
            int first = poller.poll(TimeUnit.SECONDS.toNanos(5));
            assertEquals(4, first, "capacity 4");
            assertEquals(8, poller.poll(TimeUnit.SECONDS.toNanos(5)), "doubled");
            assertEquals(11, poller.poll(TimeUnit.SECONDS.toNanos(5)), "all 11 sockets");
        } finally {
            for (int i = 0; i < more.length; i++) {
                if (more[i] != null) {
                    poller.deregister(more[i]);
                    more[i].close();
                }
                if (peers[i] != null) {
                    peers[i].close();
                }
            }
        }
    }

    @Test
    void shouldAllocateNothingPerPollAndDispatch() throws Exception {
        ThreadAllocation.assumeCounter();
        poller.register(socket, Poller.READABLE | Poller.WRITABLE, handler);
        peer.getOutputStream().write(new byte[10]);
        for (int i = 0; i < 20_000; i++) {
            poller.poll(0);
        }
        // The least of three windows counts (once on kqueue in a loaded run, a single window of
        // this test saw a one-off 7,352 bytes).
        long[] windows = ThreadAllocation.perWindow(3, () -> {
            int before = calls;
            for (int i = 0; i < 10_000; i++) {
                poller.poll(0);
            }
            assertEquals(10_000, calls - before, "the readable, writable socket is reported each time");
        });
        assertTrue(ThreadAllocation.least(windows) < 1024, "allocated " + java.util.Arrays.toString(windows)
                + " bytes in three windows of 10000 polls");
    }

    @Test
    void shouldRefuseSocketsOfOtherBackendsAndDoubleRegistration() throws Exception {
        poller.register(socket, Poller.READABLE, handler);
        assertThrows(IllegalStateException.class, () -> poller.register(socket, Poller.READABLE, handler));
        assertThrows(IllegalArgumentException.class, () -> poller.register(null, Poller.READABLE, handler));
    }
}
