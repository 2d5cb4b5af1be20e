package dev.weft.loop.nio;

import dev.weft.loop.UnixSocketAddress;
import dev.weft.loop.spi.BalancedReusePort;
import dev.weft.loop.spi.NetSocket;
import java.io.IOException;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.net.SocketOption;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.NetworkChannel;
import java.nio.channels.SelectableChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * A socket channel (or server socket channel) behind the {@link NetSocket} calls: TCP, or Unix
 * domain through {@link UnixDomainSocketAddress} (file system paths only: java.nio has no abstract
 * names).
 */
final class NioSocket implements NetSocket {
    private static final boolean LINUX = System.getProperty("os.name", "").startsWith("Linux");

    @Override
    public SelectableChannel channel() {
        return channel;
    }

    final SelectableChannel channel;
    private final SocketChannel stream;
    private final ServerSocketChannel listener;
    private final NioStaging staging;
    private int backlog = 128;
    private SocketAddress pendingBind;

    NioSocket(SocketChannel ch, NioStaging staging) {
        this.channel = ch;
        this.stream = ch;
        this.listener = null;
        this.staging = staging;
    }

    NioSocket(ServerSocketChannel ch, NioStaging staging) {
        this.channel = ch;
        this.stream = null;
        this.listener = ch;
        this.staging = staging;
    }

    @Override
    public int read(long address, int length) throws IOException {
        ByteBuffer b = staging.buffer;
        b.clear().limit(Math.min(length, NioStaging.SIZE));
        int n = stream.read(b);
        if (n > 0) {
            UnsafeBuffer target = staging.target;
            target.wrap(address, n);
            target.putBytes(0, staging.view, 0, n);
        }
        return n;
    }

    @Override
    public int write(long address, int length) throws IOException {
        int n = Math.min(length, NioStaging.SIZE);
        UnsafeBuffer src = staging.target;
        src.wrap(address, n);
        staging.view.putBytes(0, src, 0, n);
        ByteBuffer b = staging.buffer;
        b.clear().limit(n);
        return stream.write(b);
    }

    @Override
    public long writev(long iovAddress, int count) throws IOException {
        UnsafeBuffer iov = staging.target;
        int filled = 0;
        for (int i = 0; i < count && filled < NioStaging.SIZE; i++) {
            iov.wrap(iovAddress, count * 16);
            long base = iov.getLong(i * 16);
            int len = (int) Math.min(iov.getLong(i * 16 + 8), NioStaging.SIZE - filled);
            UnsafeBuffer src = staging.target;
            src.wrap(base, len);
            staging.view.putBytes(filled, src, 0, len);
            filled += len;
        }
        ByteBuffer b = staging.buffer;
        b.clear().limit(filled);
        return stream.write(b);
    }

    @Override
    public String sendFileUnsupported(FileChannel file) {
        if (stream == null) {
            return "a listening socket sends no file";
        }
        // Another FileChannel's transferTo is its own code, which may block the loop: copy instead.
        if (!file.getClass().getName().equals("sun.nio.ch.FileChannelImpl")) {
            return file.getClass().getName() + " is not a JDK file channel";
        }
        return null;
    }

    /**
     * {@link FileChannel#transferTo} into the non-blocking channel: on Linux the JDK calls
     * {@code sendfile(2)} itself, elsewhere it maps or copies. At most {@code Integer.MAX_VALUE}
     * bytes per call (JDK 17's limit).
     */
    @Override
    public long sendFile(FileChannel file, long position, long count) throws IOException {
        return file.transferTo(position, Math.min(count, Integer.MAX_VALUE), stream);
    }

    @Override
    public boolean connect(SocketAddress remote) throws IOException {
        return stream.connect(toNio(remote));
    }

    @Override
    public boolean finishConnect() throws IOException {
        return stream.finishConnect();
    }

    @Override
    public void bind(SocketAddress local) throws IOException {
        if (listener != null) {
            // java.nio binds and listens in one call: keep the address until listen().
            pendingBind = toNio(local);
        } else {
            stream.bind(toNio(local));
        }
    }

    /** java.nio's form of an address: a {@link UnixSocketAddress} becomes a {@link UnixDomainSocketAddress}. */
    private static SocketAddress toNio(SocketAddress a) {
        if (a instanceof UnixSocketAddress u) {
            if (u.isAbstract()) {
                throw new UnsupportedOperationException("unsupported on nio: abstract names (" + u
                        + "): java.nio's UnixDomainSocketAddress takes file system paths only");
            }
            return UnixDomainSocketAddress.of(u.path());
        }
        return a;
    }

    /** The Weft form of an address java.nio reports. */
    private static SocketAddress fromNio(SocketAddress a) {
        return a instanceof UnixDomainSocketAddress u ? UnixSocketAddress.fromKernel(u.getPath().toString()) : a;
    }

    @Override
    public void listen(int backlog) throws IOException {
        this.backlog = backlog;
        SocketAddress a = pendingBind;
        try {
            listener.bind(a, this.backlog);
        } catch (IOException e) {
            IOException named = new IOException("bind/listen on " + a + " failed: " + e.getMessage());
            named.initCause(e);
            throw named;
        }
    }

    @Override
    public NetSocket accept() throws IOException {
        SocketChannel c = listener.accept();
        if (c == null) {
            return null;
        }
        try {
            c.configureBlocking(false);
        } catch (IOException e) {
            c.close();
            throw e;
        }
        return new NioSocket(c, staging);
    }

    /** This connection over {@code otherStaging}: the same channel, another loop's staging memory. */
    NioSocket withStaging(NioStaging otherStaging) {
        if (stream == null) {
            throw new IllegalArgumentException("only an accepted connection can move to another loop: " + this);
        }
        return new NioSocket(stream, otherStaging);
    }

    @Override
    public void shutdownOutput() throws IOException {
        stream.shutdownOutput();
    }

    @Override
    public <T> void setOption(SocketOption<T> option, T value) throws IOException {
        NetworkChannel ch = (NetworkChannel) channel;
        if (option == BalancedReusePort.OPTION) {
            // Only Linux's SO_REUSEPORT spreads connections; the JDK has no SO_REUSEPORT_LB.
            if (!LINUX) {
                throw new UnsupportedOperationException("socket option SO_REUSEPORT_LB: java.nio on "
                        + System.getProperty("os.name") + " has no option that spreads connections over listeners");
            }
            setOption(java.net.StandardSocketOptions.SO_REUSEPORT, (Boolean) value);
            return;
        }
        if (!ch.supportedOptions().contains(option)) {
            throw new UnsupportedOperationException("socket option " + option.name() + " is not supported here");
        }
        ch.setOption(option, value);
    }

    @Override
    public <T> T getOption(SocketOption<T> option) throws IOException {
        return ((NetworkChannel) channel).getOption(option);
    }

    @Override
    public SocketAddress localAddress() throws IOException {
        return fromNio(((NetworkChannel) channel).getLocalAddress());
    }

    @Override
    public SocketAddress remoteAddress() throws IOException {
        return stream == null ? null : fromNio(stream.getRemoteAddress());
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
        return "NioSocket[" + channel + "]";
    }
}
