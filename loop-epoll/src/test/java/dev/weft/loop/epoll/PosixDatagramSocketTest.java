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
