package dev.weft.loop.readiness;

import dev.weft.loop.spi.StreamChannel;
import dev.weft.loop.spi.UserHandles;
import dev.weft.loop.spi.DatagramSocket;
import dev.weft.loop.spi.IoDriver;
import dev.weft.loop.spi.NetSocket;
import dev.weft.loop.spi.Poller;
import dev.weft.loop.spi.SocketFactory;
import dev.weft.loop.BaseProtocol;
import dev.weft.loop.ConnectOptions;
import dev.weft.loop.Connection;
import dev.weft.loop.EventLoop;
import dev.weft.loop.LoopFuture;
import dev.weft.loop.Server;
import dev.weft.loop.ServerOptions;
import dev.weft.loop.UnixServerOptions;
import dev.weft.loop.UnixSocketAddress;
import dev.weft.loop.transport.ConnectCore;
import dev.weft.loop.transport.DatagramCore;
import dev.weft.loop.transport.StreamCore;
import dev.weft.loop.DatagramEndpoint;
import dev.weft.loop.DatagramOptions;
import dev.weft.loop.DatagramProtocol;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The {@link IoDriver} of every readiness backend: TCP and Unix domain stream servers, connections
 * and their transports,
 * written once over a backend's {@link Poller} and {@link SocketFactory}.
 *
 * <p><b>Memory.</b> One off-heap read buffer per loop (256 KiB) receives every read; protocols see
 * it through one re-wrapped view, so a read allocates nothing. A 64 KiB off-heap scratch area
 * stages writes from heap arrays, and a small native {@code iovec} array serves gathered writes.
 * Everything here runs on the loop thread but {@link #wakeup()}.
 */
public final class ReadinessDriver implements IoDriver {
    static final int READ_BUFFER_SIZE = 256 * 1024;
    static final int SCRATCH_SIZE = 64 * 1024;
    static final int IOV_MAX = 64;
    static final int PAGE = 4096;

    final String name;
    final EventLoop loop;
    final Poller poller;
    final SocketFactory sockets;
    /** Pipe ends and watched descriptors, or null where the backend offers neither. */
    final UserHandles userHandles;
    private final FdWatches watches;
    private final ReadinessConnect connects = new ReadinessConnect(this);

    /**
     * The read buffer starts on a page boundary. {@code allocateDirect} memory of this size starts
     * a few bytes past one (16 or 32 with glibc's malloc: its chunk header), and the kernel's copies
     * in and out of a buffer that is not cache-line aligned cost more per byte.
     */
    private final ByteBuffer readBacking = ByteBuffer.allocateDirect(READ_BUFFER_SIZE + PAGE);
    final ByteBuffer readMemory = readBacking.alignedSlice(PAGE).limit(READ_BUFFER_SIZE).slice();
    final long readAddress = BufferUtil.address(readMemory);
    final UnsafeBuffer readView = new UnsafeBuffer(0, 0);
    final ByteBuffer scratchMemory = ByteBuffer.allocateDirect(SCRATCH_SIZE);
    final long scratchAddress = BufferUtil.address(scratchMemory);
    final UnsafeBuffer scratch = new UnsafeBuffer(scratchMemory);
    final ByteBuffer iovMemory = ByteBuffer.allocateDirect(IOV_MAX * 16);
    final long iovAddress = BufferUtil.address(iovMemory);
    final UnsafeBuffer iov = new UnsafeBuffer(iovMemory);

    /** Everything open: transports, servers, connects in progress. */
    private final Map<Object, Boolean> live = new IdentityHashMap<>();
    private boolean closed;

    public ReadinessDriver(String name, EventLoop loop, Poller poller, SocketFactory sockets) {
        this(name, loop, poller, sockets, null);
    }

    /** With {@code userHandles}: pipe transports and watched descriptors too. */
    public ReadinessDriver(String name, EventLoop loop, Poller poller, SocketFactory sockets, UserHandles userHandles) {
        this.name = name;
        this.loop = loop;
        this.poller = poller;
        this.sockets = sockets;
        this.userHandles = userHandles;
        this.watches = userHandles == null ? null : new FdWatches(this);
    }

    @Override
    public String backendName() {
        return name;
    }

    @Override
    public int poll(long timeoutNanos) throws IOException {
        return poller.poll(timeoutNanos);
    }

    @Override
    public void wakeup() {
        poller.wakeup();
    }

    @Override
    public Server createServer(Supplier<? extends BaseProtocol> protocolFactory, List<InetSocketAddress> addresses,
                               ServerOptions options) throws IOException {
        return ListenerServer.open(this, protocolFactory, addresses, options);
    }

    @Override
    public Server createHandOffTarget(Supplier<? extends BaseProtocol> protocolFactory, ServerOptions options)
            throws IOException {
        return ListenerServer.open(this, protocolFactory, List.of(), options);
    }

    @Override
    public void handOff(Server acceptor, List<Server> targets) {
        dev.weft.loop.transport.ServerCore.handOffTo(acceptor, targets);
    }

    @Override
    public <P extends BaseProtocol> void connect(Supplier<P> protocolFactory, List<InetSocketAddress> addresses,
                                                 ConnectOptions options, LoopFuture<Connection<P>> result) {
        ConnectCore.start(loop, connects, protocolFactory, addresses, options, result);
    }

    @Override
    public <P extends BaseProtocol> void connectPipe(Supplier<P> protocolFactory, dev.weft.loop.PipeEnd end,
                                                     boolean write, LoopFuture<Connection<P>> result) {
        if (userHandles == null) {
            IoDriver.super.connectPipe(protocolFactory, end, write, result);
            return;
        }
        PipeConnect.connect(this, protocolFactory, end, write, result);
    }

    @Override
    public void addWatch(Object target, boolean write, Runnable callback) {
        if (watches == null) {
            IoDriver.super.addWatch(target, write, callback);
            return;
        }
        watches.add(target, write, callback);
    }

    @Override
    public boolean removeWatch(Object target, boolean write) {
        return watches != null && watches.remove(target, write);
    }

    @Override
    public Server createUnixServer(Supplier<? extends BaseProtocol> protocolFactory, UnixSocketAddress address,
                                   UnixServerOptions options) throws IOException {
        return ListenerServer.openUnix(this, protocolFactory, address, options);
    }

    @Override
    public <P extends BaseProtocol> void connectUnix(Supplier<P> protocolFactory, UnixSocketAddress address,
                                                     LoopFuture<Connection<P>> result) {
        ConnectCore.start(loop, connects, protocolFactory, List.of(address), null, result);
    }

    @Override
    public int maxUnixPathBytes() {
        return sockets.maxUnixPathBytes();
    }

    @Override
    public <P extends DatagramProtocol> void openDatagram(Supplier<P> protocolFactory, InetSocketAddress local,
                                                         InetSocketAddress remote, DatagramOptions options,
                                                         LoopFuture<DatagramEndpoint<P>> result) {
        ReadinessDatagram.open(this, protocolFactory, local, remote, options, result);
    }

    @Override
    public <P extends DatagramProtocol> void openUnixDatagram(Supplier<P> protocolFactory,
                                                             dev.weft.loop.UnixSocketAddress local,
                                                             dev.weft.loop.UnixSocketAddress remote,
                                                             DatagramOptions options,
                                                             LoopFuture<DatagramEndpoint<P>> result) {
        ReadinessDatagram.openUnix(this, protocolFactory, local, remote, result);
    }

    @Override
    public <P extends DatagramProtocol> void adoptDatagram(Supplier<P> protocolFactory, Object socket,
                                                          LoopFuture<DatagramEndpoint<P>> result) {
        if (userHandles == null) {
            IoDriver.super.adoptDatagram(protocolFactory, socket, result);
            return;
        }
        ReadinessDatagram.adopt(this, protocolFactory, socket, result);
    }

    @Override
    public int liveHandles() {
        return live.size();
    }

    void opened(Object handle) {
        live.put(handle, Boolean.TRUE);
    }

    void closed(Object handle) {
        live.remove(handle);
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Object h : new ArrayList<>(live.keySet())) {
            if (h instanceof StreamCore t) {
                t.closeNow();
            } else if (h instanceof ListenerServer s) {
                s.closeListeners();
            } else if (h instanceof DatagramCore d) {
                d.closeNow();
            } else if (h instanceof ConnectCore<?, ?> c) {
                c.closeNow();
            }
        }
        live.clear();
        poller.close();
        BufferUtil.free(readBacking);
        BufferUtil.free(scratchMemory);
        BufferUtil.free(iovMemory);
    }

    /** Closes a UDP socket after taking it off the poller, reporting (not throwing) failures. */
    void closeSocket(DatagramSocket socket, boolean registered) {
        if (registered) {
            try {
                poller.deregister(socket);
            } catch (IOException | RuntimeException e) {
                // Closed right below: a failed deregistration cannot leave a watched descriptor.
            }
        }
        try {
            socket.close();
        } catch (IOException e) {
            loop.callExceptionHandler(new dev.weft.loop.ExceptionContext("closing a socket failed", e, socket));
        }
    }

    /** Closes a socket after taking it off the poller, reporting (not throwing) failures. */
    void closeSocket(StreamChannel socket, boolean registered) {
        if (registered) {
            try {
                poller.deregister(socket);
            } catch (IOException | RuntimeException e) {
                // The socket is closed right after; a failed deregistration only matters if the
                // descriptor stays open, which close below prevents.
            }
        }
        try {
            socket.close();
        } catch (IOException e) {
            loop.callExceptionHandler(new dev.weft.loop.ExceptionContext("closing a socket failed", e, socket));
        }
    }
}
