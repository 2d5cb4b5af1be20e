package dev.weft.loop.nio;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.weft.loop.spi.NetSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import org.agrona.BufferUtil;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A connection accepted on one loop and adopted by another (EventLoopGroup's hand-off) must read and
 * write through the adopting loop's staging memory: two loop threads sharing one staging buffer
 * would corrupt each other's bytes.
 */
@Timeout(30)
class NioSocketAdoptTest {
    @Test
    void shouldReadThroughTheAdoptingLoopsStagingMemory() throws Exception {
        NioStaging acceptorStaging = new NioStaging();
        NioStaging adopterStaging = new NioStaging();
        NioSocketFactory acceptorLoop = new NioSocketFactory(acceptorStaging);
        NioSocketFactory adopterLoop = new NioSocketFactory(adopterStaging);
        NetSocket listener = acceptorLoop.openListener(StandardProtocolFamily.INET);
        try (SocketChannel peer = SocketChannel.open()) {
            listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            listener.listen(8);
            peer.connect(listener.localAddress());
            NetSocket accepted = null;
            for (int i = 0; i < 1000 && accepted == null; i++) {
                accepted = listener.accept();
                if (accepted == null) {
                    Thread.sleep(5);
                }
            }
            NetSocket adopted = adopterLoop.adopt(accepted);
            acceptorStaging.view.setMemory(0, 64, (byte) 0x5a);
            peer.write(ByteBuffer.wrap("handed over".getBytes()));
            ByteBuffer into = ByteBuffer.allocateDirect(64);
            int n = 0;
            for (int i = 0; i < 1000 && n <= 0; i++) {
                n = adopted.read(BufferUtil.address(into), 64);
                if (n <= 0) {
                    Thread.sleep(5);
                }
            }
            assertEquals(11, n);
            byte[] got = new byte[11];
            into.get(got);
            assertEquals("handed over", new String(got));
            for (int i = 0; i < 64; i++) {
                assertEquals((byte) 0x5a, acceptorStaging.view.getByte(i), "the acceptor loop's staging byte " + i
                        + " was used by the adopting loop");
            }
            adopted.close();
        } finally {
            listener.close();
        }
    }
}
