package dev.weft.loop.nio;

import dev.weft.loop.spi.DatagramSocket;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.PortUnreachableException;
import java.net.SocketAddress;
import java.net.SocketOption;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.MembershipKey;
import java.nio.channels.SelectableChannel;
import java.util.ArrayList;
import java.util.List;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * A {@link DatagramChannel} behind the {@link DatagramSocket} calls, through the loop's staging
 * buffer (one copy each way, no allocation; the JDK reuses the sender's address object while the
 * sender stays the same). The staging buffer (256 KiB) is larger than any UDP datagram, so a
 * receive is never truncated; {@link #truncated()} is always false (a DatagramChannel would drop
 * the tail silently).
 *
 * <p><b>Limit.</b> On a connected channel java.nio sends through its write path, which returns 0
 * for an empty buffer without a system call; an empty datagram to the connected peer therefore
 * fails with an {@link IOException} saying so (the endpoint's {@code errorReceived}) instead of
 * vanishing.
 */
final class NioDatagramSocket implements DatagramSocket {
    private final DatagramChannel channel;
    private final StandardProtocolFamily family;
    private final NioStaging staging;
    private final List<MembershipKey> memberships = new ArrayList<>();
    private SocketAddress source;
    private SocketAddress remote;

    NioDatagramSocket(DatagramChannel channel, StandardProtocolFamily family, NioStaging staging) {
        this.channel = channel;
        this.family = family;
        this.staging = staging;
    }

    @Override
    public SelectableChannel channel() {
        return channel;
    }

    @Override
    public StandardProtocolFamily family() {
        return family;
    }

    @Override
    public int receive(long address, int length) throws IOException {
        ByteBuffer b = staging.buffer;
        b.clear().limit(Math.min(length, NioStaging.SIZE));
        SocketAddress from;
        try {
            from = channel.receive(b);
        } catch (PortUnreachableException e) {
            throw refused(e);
        }
        if (from == null) {
            return WOULD_BLOCK;
        }
        source = from;
        int n = b.position();
        if (n > 0) {
            UnsafeBuffer target = staging.target;
            target.wrap(address, n);
            target.putBytes(0, staging.view, 0, n);
        }
        return n;
    }

    private ConnectException refused(PortUnreachableException e) {
        ConnectException c = new ConnectException("ICMP port unreachable"
                + (channel.isConnected() ? " from " + remote() : "") + " (ECONNREFUSED)");
        c.initCause(e);
        return c;
    }

    private Object remote() {
        try {
            return channel.getRemoteAddress();
        } catch (IOException e) {
            return "the peer";
        }
    }

    @Override
    public SocketAddress source() {
        return source;
    }

    @Override
    public boolean truncated() {
        return false;
    }

    @Override
    public int send(long address, int length, SocketAddress target) throws IOException {
        if (length == 0 && remote != null) {
            throw new IOException("java.nio cannot send an empty datagram on a connected DatagramChannel "
                    + "(its write skips empty buffers); use an unconnected endpoint or another backend");
        }
        UnsafeBuffer src = staging.target;
        src.wrap(address, length);
        staging.view.putBytes(0, src, 0, length);
        ByteBuffer b = staging.buffer;
        b.clear().limit(length);
        try {
            int n = channel.send(b, target == null ? remote : target);
            // send returns 0 for "would block" and for a sent empty datagram alike: an empty one
            // counts as sent.
            return n == 0 && length > 0 ? WOULD_BLOCK : n;
        } catch (PortUnreachableException e) {
            throw refused(e);
        }
    }

    @Override
    public void bind(SocketAddress local) throws IOException {
        channel.bind(local);
    }

    @Override
    public void connect(SocketAddress remote) throws IOException {
        channel.connect(remote);
        this.remote = remote;
    }

    @Override
    public <T> void setOption(SocketOption<T> option, T value) throws IOException {
        channel.setOption(option, value);
    }

    @Override
    public <T> T getOption(SocketOption<T> option) throws IOException {
        return channel.getOption(option);
    }

    @Override
    public void joinGroup(InetAddress group, NetworkInterface networkInterface) throws IOException {
        NetworkInterface nif = networkInterface != null ? networkInterface : defaultInterface();
        memberships.add(channel.join(group, nif));
    }

    @Override
    public void leaveGroup(InetAddress group, NetworkInterface networkInterface) throws IOException {
        for (int i = 0; i < memberships.size(); i++) {
            MembershipKey k = memberships.get(i);
            if (k.group().equals(group) && (networkInterface == null || k.networkInterface().equals(networkInterface))) {
                k.drop();
                memberships.remove(i);
                return;
            }
        }
        throw new IllegalArgumentException("group " + group + " was not joined"
                + (networkInterface == null ? "" : " on " + networkInterface.getName()));
    }

    private NetworkInterface defaultInterface() throws IOException {
        NetworkInterface nif = channel.getOption(java.net.StandardSocketOptions.IP_MULTICAST_IF);
        if (nif == null) {
            nif = NetworkInterface.getByInetAddress(InetAddress.getLoopbackAddress());
        }
        if (nif == null) {
            throw new IOException("no network interface for multicast; pass one");
        }
        return nif;
    }

    /** An adopted channel connected to {@code peer} (null: not connected). */
    void adopted(SocketAddress peer) {
        remote = peer;
    }

    @Override
    public SocketAddress remoteAddress() {
        return remote;
    }

    @Override
    public SocketAddress localAddress() throws IOException {
        return channel.getLocalAddress();
    }

    @Override
    public Object handle() {
        return channel;
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }

    @Override
    public String toString() {
        return "NioDatagramSocket[" + channel + "]";
    }
}
