package dev.weft.loop.kqueue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.jna.Native;
import dev.weft.loop.NativeIOException;
import dev.weft.loop.spi.Poller;
import dev.weft.loop.posix.PosixSocket;
import dev.weft.loop.posix.PosixSocketFactory;
import dev.weft.loop.testkit.ThreadAllocation;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class KqueuePollerTest {
    private KqueuePoller poller;
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
    static void kqueueRuns() {
        KqueueTesting.assumeAvailable();
    }

    @BeforeEach
    void connect() throws Exception {
        poller = new KqueuePoller(4, true);
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
        if (socket.fd() >= 0 && poller.registered() > 0) {
            poller.deregister(socket);
        }
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
        assertEquals(Poller.READABLE | Poller.WRITABLE, lastReady, "both filters folded into one call");
        poller.reregister(socket, Poller.WRITABLE);
        assertEquals(1, poller.poll(0));
        assertEquals(Poller.WRITABLE, lastReady, "the read filter was deleted");
        poller.deregister(socket);
        assertEquals(0, poller.poll(0), "deregistered: no more events");
        assertEquals(0, poller.registered());
    }

    /** dotnet/corefx#30698: a kernel that reported only the first of two filters added in one call. */
    @Test
    void shouldReportBothFiltersAddedInOneCall() throws Exception {
        peer.getOutputStream().write(new byte[10]);
        Thread.sleep(50);
        poller.register(socket, Poller.READABLE | Poller.WRITABLE, handler);
        assertEquals(1, poller.poll(TimeUnit.SECONDS.toNanos(5)), "one socket, one dispatch");
        assertEquals(Poller.READABLE | Poller.WRITABLE, lastReady);
        assertEquals(1, calls);
    }

    /**
     * The peer writes and closes: kqueue sets EV_EOF on the read filter while the data is still
     * buffered. The poller reports readable, and a read gets the data before end of stream.
     */
    @Test
    void shouldDeliverBufferedDataBeforeEndOfStreamWhenThePeerClosed() throws Exception {
        peer.getOutputStream().write(new byte[] {1, 2, 3});
        peer.close();
        Thread.sleep(50);
        poller.register(socket, Poller.READABLE, handler);
        assertEquals(1, poller.poll(TimeUnit.SECONDS.toNanos(5)));
        assertEquals(Poller.READABLE, lastReady);
        ByteBuffer buf = ByteBuffer.allocateDirect(16);
        try {
            assertEquals(3, socket.read(BufferUtil.address(buf), 16), "data first");
            assertEquals(-1, socket.read(BufferUtil.address(buf), 16), "then end of stream");
        } finally {
            BufferUtil.free(buf);
        }
    }

    /** mio#1087: a local shutdown(SHUT_WR) is not the peer's end of stream. */
    @Test
    void shouldNotReportReadableAfterALocalShutdownOfOutput() throws Exception {
        poller.register(socket, Poller.READABLE, handler);
        socket.shutdownOutput();
        assertEquals(-1, peer.getInputStream().read(), "the peer sees our FIN");
        assertEquals(0, poller.poll(TimeUnit.MILLISECONDS.toNanos(100)), "nothing to read: the peer is still open");
        peer.getOutputStream().write(new byte[] {7});
        assertEquals(1, poller.poll(TimeUnit.SECONDS.toNanos(5)));
        ByteBuffer buf = ByteBuffer.allocateDirect(16);
        try {
            assertEquals(1, socket.read(BufferUtil.address(buf), 16), "the peer's data still arrives");
        } finally {
            BufferUtil.free(buf);
        }
    }

    /** A connect that fails shows as a write report (EV_EOF on BSD); the error is read from SO_ERROR. */
    @Test
    void shouldReportAFailedConnectAsWritableAndNameTheErrorFromSoError() throws Exception {
        ServerSocket closed = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"));
        InetSocketAddress target = (InetSocketAddress) closed.getLocalSocketAddress();
        closed.close();
        PosixSocket s = new PosixSocketFactory().openStream(StandardProtocolFamily.INET);
        try {
            boolean failedAtOnce = false;
            try {
                assertTrue(!s.connect(target), "a connect to a closed port cannot succeed");
            } catch (NativeIOException e) {
                failedAtOnce = true;
                assertEquals("ECONNREFUSED", e.errorName());
            }
            assumeTrue(!failedAtOnce, "the connect failed synchronously: nothing to poll");
            int[] seen = new int[1];
            poller.register(s, Poller.WRITABLE, ops -> seen[0] = ops);
            assertEquals(1, poller.poll(TimeUnit.SECONDS.toNanos(5)));
            assertEquals(Poller.WRITABLE, seen[0] & Poller.WRITABLE);
            NativeIOException e = assertThrows(NativeIOException.class, s::finishConnect);
            assertEquals("ECONNREFUSED", e.errorName());
            poller.deregister(s);
        } finally {
            s.close();
        }
    }

    /** Filters go before the descriptor: after deregister, deleting them again finds nothing (ENOENT). */
    @Test
    void shouldDeleteBothFiltersWhenDeregistered() throws Exception {
        assumeTrue(!KqueueNative.Abi.CURRENT.libkqueue, "libkqueue 2.3 returns a failed delete without EV_ERROR");
        poller.register(socket, Poller.READABLE | Poller.WRITABLE, handler);
        poller.deregister(socket);
        int kq = kqueueFd();
        KqueueNative.Abi abi = KqueueNative.Abi.CURRENT;
        ByteBuffer mem = ByteBuffer.allocateDirect(abi.keventSize);
        try {
            UnsafeBuffer b = new UnsafeBuffer(mem);
            for (short filter : new short[] {KqueueNative.EVFILT_READ, KqueueNative.EVFILT_WRITE}) {
                b.setMemory(0, abi.keventSize, (byte) 0);
                b.putLong(KqueueNative.KEVENT_IDENT, socket.fd());
                b.putShort(KqueueNative.KEVENT_FILTER, filter);
                b.putShort(KqueueNative.KEVENT_FLAGS, (short) KqueueNative.EV_DELETE);
                assertEquals(-1, KqueueNative.kevent(kq, BufferUtil.address(mem), 1, 0L, 0, 0L), "filter " + filter);
                assertEquals(KqueueNative.ENOENT, Native.getLastError(), "filter " + filter);
            }
        } finally {
            BufferUtil.free(mem);
        }
        // Deleting filters the kernel already dropped is not an error.
        poller.register(socket, Poller.READABLE, handler);
        poller.reregister(socket, 0);
        poller.deregister(socket);
    }

    private int kqueueFd() throws Exception {
        var f = KqueuePoller.class.getDeclaredField("kq");
        f.setAccessible(true);
        return f.getInt(poller);
    }

    @Test
    void shouldNotReportAHungUpSocketWithNoInterest() throws Exception {
        poller.register(socket, 0, handler);
        peer.setSoLinger(true, 0);
        peer.close();
        Thread.sleep(50);
        int total = 0;
        for (int i = 0; i < 10; i++) {
            total += poller.poll(0);
        }
        assertEquals(0, total, "interest 0: no filter, nothing reported");
        poller.reregister(socket, Poller.READABLE);
        assertEquals(1, poller.poll(0), "interest back: the level is reported");
        assertEquals(Poller.READABLE, lastReady & Poller.READABLE);
    }

    /** The poller under test was made with EVFILT_USER allowed: it is detected at start. */
    @Test
    void shouldDetectEvfiltUserForTheWakeupAtStart() {
        assertEquals("EVFILT_USER", poller.wakeMode());
    }

    @Test
    void shouldTryEvfiltUserUnlessThePipeIsAskedForAndRejectAnUnknownWakeupMode() {
        assertEquals(true, KqueuePoller.tryUserEvent("auto"));
        assertEquals(false, KqueuePoller.tryUserEvent("pipe"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> KqueuePoller.tryUserEvent("eventfd"));
        assertEquals("-Dweft.kqueue.wakeup must be auto or pipe, not 'eventfd'", e.getMessage());
    }

    @Test
    void shouldWakeABlockedPollFromAnotherThreadAndCoalesceWakeups() throws Exception {
        wakeAndCoalesce(poller);
    }

    @Test
    void shouldWakeThroughThePipeWhereEvfiltUserIsNotUsed() throws Exception {
        KqueuePoller piped = new KqueuePoller(4, false);
        try {
            assertEquals("pipe (EVFILT_USER: not tried)", piped.wakeMode());
            wakeAndCoalesce(piped);
        } finally {
            piped.close();
        }
    }

    private static void wakeAndCoalesce(KqueuePoller p) throws Exception {
        CountDownLatch polling = new CountDownLatch(1);
        Thread waker = new Thread(() -> {
            try {
                polling.await();
                Thread.sleep(100);
            } catch (InterruptedException e) {
                return;
            }
            p.wakeup();
        });
        waker.start();
        polling.countDown();
        assertEquals(0, p.poll(-1), "a wake-up dispatches nothing");
        waker.join();
        for (int i = 0; i < 100; i++) {
            p.wakeup();
        }
        assertEquals(0, p.poll(-1), "coalesced wake-ups");
        // Consumed (EV_CLEAR, or the pipe drained): the next poll with a timeout sleeps it out.
        for (int i = 0; i < 3; i++) {
            long t1 = System.nanoTime();
            assertEquals(0, p.poll(TimeUnit.MILLISECONDS.toNanos(50)));
            assertTrue(System.nanoTime() - t1 >= TimeUnit.MILLISECONDS.toNanos(45), "slept: no wake-up left over");
        }
        p.wakeup();
        assertEquals(0, p.poll(TimeUnit.SECONDS.toNanos(5)));
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
            Thread.sleep(50);
            assertEquals(4, poller.poll(TimeUnit.SECONDS.toNanos(5)), "capacity 4");
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
        Thread.sleep(50);
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
