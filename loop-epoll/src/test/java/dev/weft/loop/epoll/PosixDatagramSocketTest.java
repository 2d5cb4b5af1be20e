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

/** The POSIX UDP socket on its own: truncation, sender reuse, would-block. */
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
            InetSocketAddress first = a.s.source();
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
            InetSocketAddress to = a.s.localAddress();
            int total = a.s.batchSize() + 4;
            for (int i = 0; i < total; i++) {
                view.putInt(0, i);
                assertEquals(i % 3, (i % 2 == 0 ? b : c).s.send(addr, i % 3, to));
            }
            java.util.List<Integer> lengths = new java.util.ArrayList<>();
            java.util.List<InetSocketAddress> senders = new java.util.ArrayList<>();
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
            InetSocketAddress fromB = b.s.localAddress();
            InetSocketAddress fromC = c.s.localAddress();
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
