package dev.weft.loop.readiness;

import dev.weft.loop.spi.StreamChannel;
import dev.weft.loop.spi.PipeChannel;
import dev.weft.loop.spi.NetSocket;
import dev.weft.loop.spi.Poller;
import dev.weft.loop.BaseProtocol;
import dev.weft.loop.Transport;
import dev.weft.loop.transport.ServerClients;
import dev.weft.loop.transport.StreamCore;
import dev.weft.loop.transport.StreamIo;
import java.io.IOException;
import java.net.SocketOption;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The readiness backends' half of a stream transport: a non-blocking socket registered with the
 * poller, read on READABLE, its write queue drained on WRITABLE. The protocol, the life cycle and
 * flow control are {@link StreamCore}'s.
 *
 * <p><b>Reads</b> land in the driver's read buffer (or a {@link dev.weft.loop.BufferedProtocol}'s
 * off-heap buffer) and reach the protocol as a re-wrapped view: no copy, no allocation.
 * <b>Writes</b> the kernel did not take at once are copied into a {@link ByteRing} and drained on
 * {@link Poller#WRITABLE}, with {@code writev} when the ring wraps.
 *
 * <p><b>Pipes.</b> The same code drives a pipe end ({@link PipeChannel}) one way: a read end never
 * arms WRITABLE; a write end never reads, but where the kind of descriptor allows (pipes, FIFOs,
 * sockets) it keeps READABLE armed, since read readiness on a write end means the reader went away
 * ({@link StreamCore#readerClosed()}), as asyncio's write pipe transport does.
 */
final class ReadinessStream implements StreamIo, Poller.ReadyHandler {
    private final ReadinessDriver driver;
    private final StreamChannel channel;
    /** The socket behind {@link #channel}, or null for a pipe end. */
    private final NetSocket socket;
    /** The pipe end behind {@link #channel}, or null for a socket. */
    private final PipeChannel pipe;
    private final boolean watchReader;
    private final StreamCore core;
    private final ByteRing pending = new ByteRing();
    private boolean registered;
    private int interest = -1;

    ReadinessStream(ReadinessDriver driver, NetSocket socket, BaseProtocol protocol, ServerClients server) {
        this.driver = driver;
        this.channel = socket;
        this.socket = socket;
        this.pipe = null;
        this.watchReader = false;
        this.core = new StreamCore(driver.loop, this, protocol, server);
    }

    /** A one-way transport over a pipe end ({@code direction} READ_ONLY or WRITE_ONLY). */
    ReadinessStream(ReadinessDriver driver, PipeChannel pipe, BaseProtocol protocol, StreamCore.Direction direction) {
        this.driver = driver;
        this.channel = pipe;
        this.socket = null;
        this.pipe = pipe;
        this.watchReader = direction == StreamCore.Direction.WRITE_ONLY && pipe.readerCloseVisible();
        this.core = new StreamCore(driver.loop, this, protocol, null, direction);
    }

    StreamCore transport() {
        return core;
    }

    /** Registers with the poller (no interest yet). */
    void register() throws IOException {
        driver.poller.register(channel, 0, this);
        registered = true;
        interest = 0;
        driver.opened(core);
    }

    /**
     * Takes over a registration made by a connect in progress (whose handler forwards here), so
     * the socket is not deregistered and registered again.
     */
    void adoptRegistration(int currentInterest) {
        registered = true;
        interest = currentInterest;
        driver.opened(core);
    }

    // ------------------------------------------------------------------ readiness

    @Override
    public Object owner() {
        return core != null ? core : this;
    }

    @Override
    public void onReady(int readyOps) {
        if (core.isLost()) {
            return;
        }
        if ((readyOps & Poller.WRITABLE) != 0) {
            if (!pending.isEmpty()) {
                flush();
            } else if (core.wantsWritable()) {
                core.writable();
                updateInterest();
            }
        }
        if ((readyOps & Poller.READABLE) != 0) {
            if (core.wantsRead()) {
                if (core.streamProtocol() != null) {
                    readInto();
                } else {
                    readBuffered();
                }
            } else if (watchReader) {
                core.readerClosed();
            }
        }
    }

    private void readInto() {
        int n;
        try {
            n = channel.read(driver.readAddress, ReadinessDriver.READ_BUFFER_SIZE);
        } catch (IOException e) {
            core.lost(e);
            return;
        }
        if (n > 0) {
            UnsafeBuffer view = driver.readView;
            view.wrap(driver.readAddress, n);
            core.dataReceived(view);
        } else if (n < 0) {
            core.eofReceived();
        }
    }

    private void readBuffered() {
        MutableDirectBuffer buf = core.protocolBuffer(ReadinessDriver.READ_BUFFER_SIZE);
        if (buf == null) {
            return;
        }
        int n;
        try {
            if (buf.byteArray() == null) {
                n = channel.read(buf.addressOffset(), buf.capacity());
            } else {
                n = channel.read(driver.readAddress, Math.min(buf.capacity(), ReadinessDriver.READ_BUFFER_SIZE));
                if (n > 0) {
                    driver.readView.wrap(driver.readAddress, n);
                    buf.putBytes(0, driver.readView, 0, n);
                }
            }
        } catch (IOException e) {
            core.lost(e);
            return;
        }
        if (n > 0) {
            core.bufferUpdated(n);
        } else if (n < 0) {
            core.eofReceived();
        }
    }

    // ------------------------------------------------------------------ StreamIo: writing

    @Override
    public String backendName() {
        return driver.name;
    }

    @Override
    public boolean idle() {
        return pending.isEmpty();
    }

    @Override
    public int sendNow(long address, int length) throws IOException {
        return channel.write(address, length);
    }

    @Override
    public MutableDirectBuffer scratch() {
        return driver.scratch;
    }

    @Override
    public void queue(DirectBuffer src, int offset, int length) {
        pending.append(src, offset, length);
    }

    @Override
    public void queue(byte[] src, int offset, int length) {
        pending.append(src, offset, length);
    }

    @Override
    public void queue(ByteBuffer src, int index, int length) {
        pending.append(src, index, length);
    }

    @Override
    public int queued() {
        return pending.size();
    }

    @Override
    public void kick(boolean tryNow) {
        if (tryNow) {
            flush();
        } else {
            updateInterest();
        }
    }

    /** Writes from the queue until it is empty or the kernel would block; then reports progress. */
    private void flush() {
        while (!pending.isEmpty()) {
            long n;
            try {
                if (pending.wraps()) {
                    UnsafeBuffer iov = driver.iov;
                    int first = pending.headSegment();
                    iov.putLong(0, pending.headAddress());
                    iov.putLong(8, first);
                    iov.putLong(16, pending.baseAddress());
                    iov.putLong(24, pending.size() - first);
                    n = channel.writev(driver.iovAddress, 2);
                } else {
                    n = channel.write(pending.headAddress(), pending.headSegment());
                }
            } catch (IOException e) {
                core.lost(e);
                return;
            }
            if (n <= 0) {
                break;
            }
            pending.consume(n);
        }
        core.drained();
        if (!core.isLost()) {
            updateInterest();
        }
    }

    @Override
    public String sendFileUnsupported(FileChannel file) {
        return socket.sendFileUnsupported(file);
    }

    @Override
    public long sendFile(FileChannel file, long position, long count) throws IOException {
        return socket.sendFile(file, position, count);
    }

    @Override
    public void awaitWritable() {
        updateInterest();
    }

    @Override
    public void shutdownOutput() throws IOException {
        if (socket == null) {
            // StreamCore turns a pipe's writeEof into close: a pipe has no half-close.
            throw new IllegalStateException("a pipe end has no half-close");
        }
        socket.shutdownOutput();
    }

    // ------------------------------------------------------------------ StreamIo: reading, closing

    @Override
    public void readingChanged() {
        updateInterest();
    }

    private void updateInterest() {
        if (!registered || core.isLost()) {
            return;
        }
        int want = 0;
        if (core.wantsRead() || watchReader) {
            want |= Poller.READABLE;
        }
        if (!pending.isEmpty() || core.wantsWritable()) {
            want |= Poller.WRITABLE;
        }
        if (want != interest) {
            try {
                driver.poller.reregister(channel, want);
                interest = want;
            } catch (IOException e) {
                core.lost(e);
            }
        }
    }

    @Override
    public void release(boolean reset) {
        pending.release();
        if (reset && socket != null) {
            try {
                socket.setOption(StandardSocketOptions.SO_LINGER, 0);
            } catch (IOException | RuntimeException e) {
                // Best effort: without linger 0 the peer sees FIN instead of RST.
            }
        }
        driver.closeSocket(channel, registered);
        registered = false;
    }

    @Override
    public void forget() {
        driver.closed(core);
    }

    @Override
    public Object info(String name) {
        if (pipe != null) {
            return Transport.PIPE.equals(name) ? pipe.handle() : null;
        }
        try {
            switch (name) {
                case Transport.PEER_NAME:
                    return unixPath(socket.remoteAddress());
                case Transport.SOCK_NAME:
                    return unixPath(socket.localAddress());
                case Transport.PEER_CRED:
                    return socket.peerCredentials();
                case Transport.SOCKET:
                    return socket.handle();
                default:
                    return null;
            }
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** A Unix socket's address as its path (asyncio's form), any other address as it is. */
    private static Object unixPath(java.net.SocketAddress a) {
        return a instanceof dev.weft.loop.UnixSocketAddress u ? u.path() : a;
    }

    <T> void option(SocketOption<T> option, T value) throws IOException {
        socket.setOption(option, value);
    }
}
