package dev.weft.loop.nio;

import dev.weft.loop.spi.NetSocket;
import dev.weft.loop.spi.SocketFactory;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.nio.channels.DatagramChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;

final class NioSocketFactory implements SocketFactory {
    private final NioStaging staging;

    NioSocketFactory(NioStaging staging) {
        this.staging = staging;
    }

    @Override
    public NetSocket openStream(StandardProtocolFamily family) throws IOException {
        SocketChannel ch = SocketChannel.open(family);
        ch.configureBlocking(false);
        return new NioSocket(ch, staging);
    }

    /** The accepted socket over this loop's staging memory (each loop has its own). */
    @Override
    public NetSocket adopt(NetSocket accepted) {
        if (!(accepted instanceof NioSocket n)) {
            throw new IllegalArgumentException("not a java.nio socket: " + accepted);
        }
        return n.withStaging(staging);
    }

    /**
     * One byte less than the OS allows: the JDK refuses a path of {@code sizeof(sun_path) - 1} bytes
     * ("Unix domain path too long"; its limit is {@code sizeof(sun_path) - 2}, JDK 16 to 25).
     */
    @Override
    public int maxUnixPathBytes() {
        return dev.weft.loop.UnixSocketAddress.maxPathBytes() - 1;
    }

    @Override
    public NetSocket openListener(StandardProtocolFamily family) throws IOException {
        ServerSocketChannel ch = ServerSocketChannel.open(family);
        ch.configureBlocking(false);
        return new NioSocket(ch, staging);
    }

    @Override
    public NioDatagramSocket openDatagram(StandardProtocolFamily family) throws IOException {
        if (family == StandardProtocolFamily.UNIX) {
            throw new dev.weft.loop.UnsupportedCapabilityException("nio", dev.weft.loop.Capability.UNIX_DATAGRAM,
                    new NioBackend().unsupportedReason(dev.weft.loop.Capability.UNIX_DATAGRAM));
        }
        DatagramChannel ch = DatagramChannel.open(family);
        try {
            ch.configureBlocking(false);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
        return new NioDatagramSocket(ch, family, staging);
    }
}
