package dev.weft.loop.nio;

import dev.weft.loop.Capability;
import dev.weft.loop.PipeEnd;
import dev.weft.loop.UnsupportedCapabilityException;
import dev.weft.loop.spi.DatagramSocket;
import dev.weft.loop.spi.PipeChannel;
import dev.weft.loop.spi.Pollable;
import dev.weft.loop.spi.UserHandles;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.channels.DatagramChannel;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.SelectableChannel;
import java.nio.channels.WritableByteChannel;

/**
 * Pipe ends and watched handles on java.nio: channels only, since a {@link java.nio.channels.Selector}
 * cannot watch a raw descriptor. A pipe end must be an open {@link SelectableChannel} that is a
 * {@link ReadableByteChannel} (read pipe) or {@link WritableByteChannel} (write pipe); it is put in
 * non-blocking mode. A watched channel must already be non-blocking: it stays the caller's, and
 * its mode is not changed behind the caller's back.
 */
final class NioUserHandles implements UserHandles {
    static final String RAW_FD = "java.nio cannot watch a raw descriptor";

    private final NioStaging staging;

    NioUserHandles(NioStaging staging) {
        this.staging = staging;
    }

    @Override
    public PipeChannel openPipe(PipeEnd end, boolean write) throws IOException {
        SelectableChannel ch = end.channel();
        if (ch == null) {
            throw new UnsupportedCapabilityException("nio", Capability.PIPES, RAW_FD + " (pipe fd " + end.fd()
                    + "); pass a Pipe.SourceChannel, a Pipe.SinkChannel or another SelectableChannel");
        }
        if (!ch.isOpen()) {
            throw new IllegalArgumentException("pipe: " + ch + " is closed");
        }
        if (write && !(ch instanceof WritableByteChannel)) {
            throw new IllegalArgumentException("pipe: " + ch + " is not a WritableByteChannel; a write pipe needs one");
        }
        if (!write && !(ch instanceof ReadableByteChannel)) {
            throw new IllegalArgumentException("pipe: " + ch + " is not a ReadableByteChannel; a read pipe needs one");
        }
        ch.configureBlocking(false);
        return new NioPipe(ch, staging);
    }

    /**
     * An open {@link DatagramChannel}: put in non-blocking mode and, if unbound, bound to an
     * ephemeral port of its family (what java.nio does at its first send or receive), so that its
     * family is known. A raw descriptor is refused.
     */
    @Override
    public DatagramSocket adoptDatagram(Object socket) throws IOException {
        if (!(socket instanceof DatagramChannel ch)) {
            throw new UnsupportedCapabilityException("nio", Capability.DATAGRAM, "java.nio cannot use a raw"
                    + " descriptor (socket fd " + socket + "); pass a DatagramChannel");
        }
        if (!ch.isOpen()) {
            throw new IllegalArgumentException("socket: " + ch + " is closed");
        }
        InetSocketAddress local = (InetSocketAddress) ch.getLocalAddress();
        InetSocketAddress remote = (InetSocketAddress) ch.getRemoteAddress();
        ch.configureBlocking(false);
        if (local == null) {
            ch.bind(null);
            local = (InetSocketAddress) ch.getLocalAddress();
        }
        StandardProtocolFamily family = local.getAddress() instanceof Inet6Address
                ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET;
        NioDatagramSocket s = new NioDatagramSocket(ch, family, staging);
        s.adopted(remote);
        return s;
    }

    @Override
    public Pollable watchable(int fd) {
        throw new UnsupportedCapabilityException("nio", Capability.WATCH_FD, RAW_FD + " (fd " + fd
                + "); watch a SelectableChannel instead");
    }

    @Override
    public Pollable watchable(SelectableChannel channel) {
        if (!channel.isOpen()) {
            throw new IllegalArgumentException("channel: " + channel + " is closed");
        }
        if (channel.isBlocking()) {
            throw new IllegalArgumentException("channel: " + channel + " is in blocking mode; call"
                    + " configureBlocking(false) before watching it");
        }
        return Pollable.of(channel);
    }
}
