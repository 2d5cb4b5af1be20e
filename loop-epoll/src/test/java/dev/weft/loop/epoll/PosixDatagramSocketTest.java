package dev.weft.loop.epoll;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.weft.loop.posix.PosixDatagramSocket;
import dev.weft.loop.posix.PosixSocketFactory;
import dev.weft.loop.spi.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

/** The POSIX datagram socket on its own: truncation, sender reuse, would-block, Unix senders. */
class PosixDatagramSocketTest {
    @Test
    void shouldReportTruncationWhenTheDatagramIsLongerThanTheBuffer() throws Exception {
        assumeTrue(new EpollBackend().isAvailable(), "epoll unavailable");
        PosixSocketFactory f = new PosixSocketFactory();
        ByteBuffer mem = ByteBuffer.allocateDirect(256);
        long addr = BufferUtil.address(mem);
        UnsafeBuffer view = new UnsafeBuffer(mem);
        try (Closer a = new Closer(f.openDatagram(StandardProtocolFamily.INET));
             Closer b = new Closer(f.openDatagram(StandardProtocolFamily.INET))) {
            InetSocketAddress lo = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
            a.s.bind(lo);
            b.s.bind(lo);
            assertEquals(DatagramSocket.WOULD_BLOCK, a.s.receive(addr, 256), "nothing queued yet");
            for (int i = 0; i < 100; i++) {
                view.putByte(i, (byte) i);
            }
            assertEquals(100, b.s.send(addr, 100, a.s.localAddress()));
            assertEquals(0, b.s.send(addr, 0, a.s.localAddress()));
            int n = -2;
            for (int i = 0; i < 100 && (n = a.s.receive(addr + 128, 10)) == DatagramSocket.WOULD_BLOCK; i++) {
                Thread.sleep(10);
            }
            assertEquals(10, n, "only the buffer's length is delivered");
            assertTrue(a.s.truncated(), "MSG_TRUNC reported the longer datagram");
            assertEquals(9, view.getByte(128 + 9));
            InetSocketAddress first = (InetSocketAddress) a.s.source();
            assertEquals(b.s.localAddress(), first);
            for (int i = 0; i < 100 && (n = a.s.receive(addr + 128, 10)) == DatagramSocket.WOULD_BLOCK; i++) {
                Thread.sleep(10);
            }
            assertEquals(0, n, "the empty datagram");
            assertFalse(a.s.truncated());
            assertSame(first, a.s.source(), "the same sender decodes to the same object");
        } finally {
            BufferUtil.free(mem);
        }
    }

    @Test
    void shouldKeepTwoSendersTakingTurnsCachedWhateverTheirHashes() throws Exception {
        assumeTrue(new EpollBackend().isAvailable(), "epoll unavailable");
        PosixSocketFactory f = new PosixSocketFactory();
        try (Closer a = new Closer(f.openDatagram(StandardProtocolFamily.INET))) {
            java.lang.reflect.Method sender = PosixDatagramSocket.class.getDeclaredMethod("sender",
                    UnsafeBuffer.class, int.class, int.class);
            sender.setAccessible(true);
            // 2,000 peers each take turns with one fixed peer: with 64 slots some of them share its
            // hash bucket, and a cache that lets the two evict each other decodes it afresh.
            UnsafeBuffer fixed = sockaddrIn(40_000);
            for (int port = 41_000; port < 43_000; port++) {
                UnsafeBuffer other = sockaddrIn(port);
                Object first = sender.invoke(a.s, fixed, 0, 16);
                assertEquals(new InetSocketAddress(InetAddress.getLoopbackAddress(), port),
                        sender.invoke(a.s, other, 0, 16));
                assertSame(first, sender.invoke(a.s, fixed, 0, 16), "peer 40000 after peer " + port);
            }
        }
    }

    /** A Linux sockaddr_in for 127.0.0.1:{@code port}. */
    private static UnsafeBuffer sockaddrIn(int port) {
        UnsafeBuffer b = new UnsafeBuffer(new byte[16]);
        b.putShort(0, (short) 2, java.nio.ByteOrder.LITTLE_ENDIAN);
        b.putShort(2, (short) port, java.nio.ByteOrder.BIG_ENDIAN);
        b.putBytes(4, new byte[] {127, 0, 0, 1});
        return b;
    }

    @Test
    void shouldReceiveABatchInOrderWithEachDatagramsOwnSender() throws Exception {
        assumeTrue(new EpollBackend().isAvailable(), "epoll unavailable");
        PosixSocketFactory f = new PosixSocketFactory();
        ByteBuffer mem = ByteBuffer.allocateDirect(64);
        long addr = BufferUtil.address(mem);
        UnsafeBuffer view = new UnsafeBuffer(mem);
        try (Closer a = new Closer(f.openDatagram(StandardProtocolFamily.INET));
             Closer b = new Closer(f.openDatagram(StandardProtocolFamily.INET));
             Closer c = new Closer(f.openDatagram(StandardProtocolFamily.INET))) {
            assumeTrue(a.s.batchSize() > 0, "batches turned off");
            InetSocketAddress lo = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
            a.s.bind(lo);
            b.s.bind(lo);
            c.s.bind(lo);
            assertEquals(DatagramSocket.WOULD_BLOCK, a.s.receiveBatch(), "nothing queued yet");
            InetSocketAddress to = (InetSocketAddress) a.s.localAddress();
            int total = a.s.batchSize() + 4;
            for (int i = 0; i < total; i++) {
                view.putInt(0, i);
                assertEquals(i % 3, (i % 2 == 0 ? b : c).s.send(addr, i % 3, to));
            }
            java.util.List<Integer> lengths = new java.util.ArrayList<>();
            java.util.List<java.net.SocketAddress> senders = new java.util.ArrayList<>();
            int calls = 0;
            for (int spin = 0; spin < 200 && lengths.size() < total; spin++) {
                int n = a.s.receiveBatch();
                if (n == DatagramSocket.WOULD_BLOCK) {
                    Thread.sleep(5);
                    continue;
                }
                assertTrue(n >= 1 && n <= a.s.batchSize(), "batch of " + n);
                calls++;
                for (int i = 0; i < n; i++) {
                    lengths.add(a.s.batchLength(i));
                    senders.add(a.s.batchSource(i));
                    assertFalse(a.s.batchTruncated(i));
                }
            }
            assertEquals(total, lengths.size());
            assertTrue(calls < total, "several datagrams per call (" + calls + " calls for " + total + ")");
            InetSocketAddress fromB = (InetSocketAddress) b.s.localAddress();
            InetSocketAddress fromC = (InetSocketAddress) c.s.localAddress();
            for (int i = 0; i < total; i++) {
                assertEquals(i % 3, lengths.get(i), "datagram " + i + " in the kernel's order");
                assertEquals(i % 2 == 0 ? fromB : fromC, senders.get(i), "datagram " + i + "'s own sender");
            }
            assertSame(senders.get(0), senders.get(2), "a recent sender decodes to the same object");
            assertSame(senders.get(1), senders.get(3));
        } finally {
            BufferUtil.free(mem);
        }
    }

    @Test
    void shouldSendStagedDatagramsInOneCallInOrderToTheirTargets() throws Exception {
        assumeTrue(new EpollBackend().isAvailable(), "epoll unavailable");
        PosixSocketFactory f = new PosixSocketFactory();
        try (Closer a = new Closer(f.openDatagram(StandardProtocolFamily.INET));
             java.net.DatagramSocket b = new java.net.DatagramSocket(0, InetAddress.getLoopbackAddress());
             java.net.DatagramSocket c = new java.net.DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            assumeTrue(a.s.batchSize() > 0, "batches turned off");
            a.s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            b.setSoTimeout(5000);
            c.setSoTimeout(5000);
            InetSocketAddress toB = (InetSocketAddress) b.getLocalSocketAddress();
            InetSocketAddress toC = (InetSocketAddress) c.getLocalSocketAddress();
            UnsafeBuffer data = new UnsafeBuffer(new byte[8]);
            int n = a.s.batchSize();
            for (int i = 0; i < n; i++) {
                data.putInt(0, i);
                assertTrue(a.s.stage(data, 4, i % 2 == 0 ? toB : toC), "staged " + i);
            }
            assertFalse(a.s.stage(data, 4, toB), "the batch is full");
            assertEquals(n, a.s.staged());
            int sent = 0;
            while (sent < n) {
                int k = a.s.sendStaged(sent);
                assertTrue(k > 0, "sendmmsg took " + k);
                sent += k;
            }
            a.s.clearStaged();
            assertEquals(0, a.s.staged());
            for (int i = 0; i < n; i++) {
                java.net.DatagramPacket p = new java.net.DatagramPacket(new byte[8], 8);
                (i % 2 == 0 ? b : c).receive(p);
                assertEquals(4, p.getLength());
                assertEquals(i, ByteBuffer.wrap(p.getData()).order(java.nio.ByteOrder.nativeOrder()).getInt(0),
                        "datagram " + i + " in order at its target");
            }
        }
    }

    // ------------------------------------------------------------------ GSO and GRO

    /** Whether this run expects UDP GSO and GRO: batches and GSO not switched off, a kernel of 5.0 or later. */
    private static boolean gsoExpected() {
        if ("false".equalsIgnoreCase(System.getProperty(PosixDatagramSocket.BATCH_PROPERTY, "true").trim())
                || "false".equalsIgnoreCase(System.getProperty(PosixDatagramSocket.GSO_PROPERTY, "true").trim())) {
            return false;
        }
        String[] v = System.getProperty("os.version", "0.0").split("[.-]");
        int major = Integer.parseInt(v[0]);
        int minor = v.length > 1 && v[1].matches("\\d+") ? Integer.parseInt(v[1]) : 0;
        return major > 5 || (major == 5 && minor >= 0);
    }

    @Test
    void shouldProbeGsoAndGroWhenOpenedUnlessSwitchedOff() throws Exception {
        assumeTrue(new EpollBackend().isAvailable(), "epoll unavailable");
        PosixSocketFactory f = new PosixSocketFactory();
        try (Closer a = new Closer(f.openDatagram(StandardProtocolFamily.INET));
             Closer b = new Closer(f.openDatagram(StandardProtocolFamily.INET6))) {
            assertEquals(gsoExpected(), a.s.segmentsSends(), "UDP_SEGMENT on this kernel (" + System.getProperty("os.version") + ")");
            assertEquals(gsoExpected(), a.s.coalescesReceives(), "UDP_GRO");
            assertEquals(gsoExpected(), b.s.segmentsSends(), "UDP_SEGMENT over IPv6");
            assertEquals(gsoExpected(), b.s.coalescesReceives(), "UDP_GRO over IPv6");
        }
    }

    /** Stages datagrams of these lengths (-1: skip) to the targets, each starting with its index; sends them all. */
    private static void stageAndSend(PosixDatagramSocket s, int[] lengths, InetSocketAddress[] targets) throws Exception {
        UnsafeBuffer data = new UnsafeBuffer(new byte[2048]);
        for (int i = 0; i < lengths.length; i++) {
            data.setMemory(0, lengths[i], (byte) ('a' + i));
            if (lengths[i] >= 4) {
                data.putInt(0, i);
            }
            assertTrue(s.stage(data, lengths[i], targets[i]), "staged " + i);
        }
        int sent = 0;
        while (sent < lengths.length) {
            int k = s.sendStaged(sent);
            assertTrue(k > 0, "sendmmsg took " + k);
            sent += k;
        }
        assertEquals(lengths.length, sent);
        s.clearStaged();
    }

    private static void assertDatagram(int index, int length, UnsafeBuffer got, int gotLength) {
        assertEquals(length, gotLength, "datagram " + index + "'s length");
        if (length >= 4) {
            assertEquals(index, got.getInt(0), "datagram " + index + " in order");
        }
        for (int k = 4; k < length; k++) {
            assertEquals((byte) ('a' + index), got.getByte(k), "datagram " + index + " byte " + k);
        }
    }

    @Test
    void shouldReceiveASegmentedRunCoalescedAndSplitItIntoItsDatagrams() throws Exception {
        assumeTrue(new EpollBackend().isAvailable(), "epoll unavailable");
        PosixSocketFactory f = new PosixSocketFactory();
        try (Closer a = new Closer(f.openDatagram(StandardProtocolFamily.INET));
             Closer r = new Closer(f.openDatagram(StandardProtocolFamily.INET))) {
            assumeTrue(a.s.batchSize() > 0, "batches turned off");
            InetSocketAddress lo = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
            a.s.bind(lo);
            r.s.bind(lo);
            InetSocketAddress to = (InetSocketAddress) r.s.localAddress();
            // A run of 300-byte datagrams ending with a shorter one, an empty one, a run of 50s ending with a 7.
            int[] lengths = {300, 300, 300, 300, 300, 300, 300, 300, 120, 0, 50, 50, 50, 7};
            InetSocketAddress[] targets = new InetSocketAddress[lengths.length];
            java.util.Arrays.fill(targets, to);
            stageAndSend(a.s, lengths, targets);
            int got = 0;
            int messages = 0;
            UnsafeBuffer view = new UnsafeBuffer(0, 0);
            for (int spin = 0; spin < 200 && got < lengths.length; spin++) {
                int n = r.s.receiveBatch();
                if (n == DatagramSocket.WOULD_BLOCK) {
                    Thread.sleep(5);
                    continue;
                }
                messages += r.s.batchMessages();
                for (int i = 0; i < n; i++) {
                    assertTrue(got < lengths.length, "no more datagrams than were sent");
                    view.wrap(r.s.batchAddress(i), r.s.batchLength(i));
                    assertDatagram(got, lengths[got], view, r.s.batchLength(i));
                    assertEquals(a.s.localAddress(), r.s.batchSource(i), "datagram " + got + "'s sender");
                    assertFalse(r.s.batchTruncated(i));
                    got++;
                }
            }
            assertEquals(lengths.length, got);
            if (gsoExpected()) {
                assertEquals(3, messages, "two runs sent segmented and received coalesced, and the empty datagram");
            } else {
                assertEquals(lengths.length, messages, "one message per datagram without GSO and GRO");
            }
            assertEquals(DatagramSocket.WOULD_BLOCK, r.s.receiveBatch(), "nothing more");
        }
    }

    @Test
    void shouldKeepEachBoundaryOrderAndTargetOfSegmentedRunsForReceiversWithoutGro() throws Exception {
        assumeTrue(new EpollBackend().isAvailable(), "epoll unavailable");
        PosixSocketFactory f = new PosixSocketFactory();
        try (Closer a = new Closer(f.openDatagram(StandardProtocolFamily.INET6));
             java.net.DatagramSocket b = new java.net.DatagramSocket(0, InetAddress.getLoopbackAddress());
             java.net.DatagramSocket c = new java.net.DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            assumeTrue(a.s.batchSize() > 0, "batches turned off");
            a.s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            b.setSoTimeout(5000);
            c.setSoTimeout(5000);
            InetSocketAddress toB = (InetSocketAddress) b.getLocalSocketAddress();
            InetSocketAddress toC = (InetSocketAddress) c.getLocalSocketAddress();
            int[] lengths = {200, 200, 200, 10, 200, 200, 0, 64, 64, 64, 64, 64, 64, 100, 100, 30};
            InetSocketAddress[] targets = {toB, toB, toB, toB, toC, toC, toC, toB, toB, toB, toB, toB, toB, toC, toB, toB};
            stageAndSend(a.s, lengths, targets);
            for (int i = 0; i < lengths.length; i++) {
                java.net.DatagramPacket p = new java.net.DatagramPacket(new byte[2048], 2048);
                (targets[i] == toB ? b : c).receive(p);
                assertDatagram(i, lengths[i], new UnsafeBuffer(p.getData()), p.getLength());
            }
        }
    }

    @Test
    void shouldSendARunTheKernelRefusesToSegmentAgainDatagramByDatagram() throws Exception {
        assumeTrue(new EpollBackend().isAvailable(), "epoll unavailable");
        PosixSocketFactory f = new PosixSocketFactory();
        try (Closer a = new Closer(f.openDatagram(StandardProtocolFamily.INET));
             java.net.DatagramSocket b = new java.net.DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            assumeTrue(a.s.batchSize() > 0, "batches turned off");
            a.s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            // SO_NO_CHECK (no UDP checksum) makes the kernel refuse UDP_SEGMENT with EINVAL.
            assertEquals(0, NoCheck.setsockopt(a.s.fd(), 1, 11, new int[] {1}, 4), "setsockopt(SO_NO_CHECK)");
            b.setSoTimeout(5000);
            InetSocketAddress toB = (InetSocketAddress) b.getLocalSocketAddress();
            boolean before = a.s.segmentsSends();
            for (int round = 0; round < 6; round++) {
                int[] lengths = {400 - round, 400 - round, 400 - round, 9};
                InetSocketAddress[] targets = {toB, toB, toB, toB};
                stageAndSend(a.s, lengths, targets);
                for (int i = 0; i < lengths.length; i++) {
                    java.net.DatagramPacket p = new java.net.DatagramPacket(new byte[2048], 2048);
                    b.receive(p);
                    assertDatagram(i, lengths[i], new UnsafeBuffer(p.getData()), p.getLength());
                }
            }
            assertEquals(gsoExpected(), before);
            assertFalse(a.s.segmentsSends(), "after repeated refusals the socket stops segmenting");
        }
    }

    /** setsockopt with an int array, for options the socket layer does not expose. */
    static final class NoCheck {
        static {
            com.sun.jna.Native.register(NoCheck.class, com.sun.jna.NativeLibrary.getInstance(com.sun.jna.Platform.C_LIBRARY_NAME));
        }

        static native int setsockopt(int fd, int level, int name, int[] value, int len);
    }

    @Test
    void shouldDecodeUnixSendersWhosePathsDifferOnlyInTheirLastByte() throws Exception {
        assumeTrue(new EpollBackend().isAvailable(), "epoll unavailable");
        PosixSocketFactory f = new PosixSocketFactory();
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory(java.nio.file.Path.of("/tmp"), "weft-udg");
        String prefix = dir.resolve("a-sender-path-longer-than-thirty-two-bytes-").toString();
        dev.weft.loop.UnixSocketAddress to = dev.weft.loop.UnixSocketAddress.of(dir.resolve("r").toString());
        dev.weft.loop.UnixSocketAddress one = dev.weft.loop.UnixSocketAddress.of(prefix + "1");
        dev.weft.loop.UnixSocketAddress two = dev.weft.loop.UnixSocketAddress.of(prefix + "2");
        ByteBuffer mem = ByteBuffer.allocateDirect(64);
        long addr = BufferUtil.address(mem);
        try (Closer r = new Closer(f.openDatagram(StandardProtocolFamily.UNIX));
             Closer a = new Closer(f.openDatagram(StandardProtocolFamily.UNIX));
             Closer b = new Closer(f.openDatagram(StandardProtocolFamily.UNIX));
             Closer u = new Closer(f.openDatagram(StandardProtocolFamily.UNIX))) {
            assertEquals(StandardProtocolFamily.UNIX, r.s.family());
            r.s.bind(to);
            a.s.bind(one);
            b.s.bind(two);
            assertEquals(one, a.s.localAddress());
            java.util.List<java.net.SocketAddress> senders = new java.util.ArrayList<>();
            // a twice in a row: the cache is direct-mapped (64 slots), so a sender sent between
            // the two could share a's slot and evict it, one run in 64, by the temp dir's name.
            for (Closer c : new Closer[] {a, a, b, u}) {
                assertEquals(3, c.s.send(addr, 3, to));
                int n = DatagramSocket.WOULD_BLOCK;
                for (int i = 0; i < 100 && (n = r.s.receive(addr + 32, 32)) == DatagramSocket.WOULD_BLOCK; i++) {
                    Thread.sleep(10);
                }
                assertEquals(3, n);
                senders.add(r.s.source());
            }
            assertEquals(java.util.List.of(one, one, two, dev.weft.loop.UnixSocketAddress.UNNAMED), senders);
            assertSame(senders.get(0), senders.get(1), "the same sender decodes to the same object");
        } finally {
            BufferUtil.free(mem);
            try (var files = java.nio.file.Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static final class Closer implements AutoCloseable {
        final PosixDatagramSocket s;

        Closer(PosixDatagramSocket s) {
            this.s = s;
        }

        @Override
        public void close() throws Exception {
            s.close();
        }
    }
}
