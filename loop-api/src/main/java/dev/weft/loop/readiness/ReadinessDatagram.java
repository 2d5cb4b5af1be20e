package dev.weft.loop.readiness;

import dev.weft.loop.DatagramEndpoint;
import dev.weft.loop.DatagramOptions;
import dev.weft.loop.DatagramProtocol;
import dev.weft.loop.DatagramTruncatedException;
import dev.weft.loop.LoopFuture;
import dev.weft.loop.Transport;
import dev.weft.loop.UnixSocketAddress;
import dev.weft.loop.spi.DatagramSocket;
import dev.weft.loop.spi.Poller;
import dev.weft.loop.transport.DatagramCore;
import dev.weft.loop.transport.DatagramIo;
import dev.weft.loop.transport.UnixSocketFile;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.util.function.Supplier;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The readiness backends' half of a datagram endpoint (UDP, or a Unix datagram socket): a
 * non-blocking {@link DatagramSocket} registered with the poller. On READABLE it receives datagrams
 * and hands each to {@link DatagramCore} as a re-wrapped view, up to {@link #READS_PER_EVENT} per
 * event so one busy endpoint cannot starve the loop. A socket with batches ({@link DatagramSocket#batchSize()} above 0: epoll's, with
 * {@code recvmmsg}) receives a batch per call and the core stages the replies sent meanwhile, which
 * leave in one {@code sendmmsg} when the batch is delivered; a batch that did not fill the socket's
 * batch ends the event, since level-triggered readiness reports what arrives later. Other
 * sockets receive one datagram per call into the driver's read buffer (256 KiB, larger than any
 * UDP datagram, so nothing is truncated there). Datagrams already received in a batch are still
 * delivered if the protocol pauses reading in the middle of it (they have left the kernel); after
 * {@code close()} they are dropped. On WRITABLE the core drains its queue. Allocates nothing per
 * datagram.
 *
 * <p><b>Unix datagram sockets.</b> A bound path is prepared and removed on release by
 * {@link UnixSocketFile}. An unconnected one drains its queue on a 1 ms timer instead of WRITABLE
 * (see {@code retryByTimer}).
 */
final class ReadinessDatagram implements DatagramIo, Poller.ReadyHandler {
    static final int READS_PER_EVENT = 64;

    private final ReadinessDriver driver;
    private final DatagramSocket socket;
    private DatagramCore core;
    private boolean registered;
    private int interest;
    /** The file of a Unix socket bound to a path, removed on release; else null. */
    private UnixSocketFile unixFile;
    /**
     * An unconnected Unix socket: Linux reports it writable while the receiver it sends to is full
     * ({@code unix_dgram_poll} checks a connected peer's queue only), so its write queue is retried
     * every {@value #UNIX_RETRY_MILLIS} ms instead of on WRITABLE, which would spin.
     */
    private boolean retryByTimer;
    private dev.weft.loop.TimerHandle retry;
    static final int UNIX_RETRY_MILLIS = 1;

    private ReadinessDatagram(ReadinessDriver driver, DatagramSocket socket) {
        this.driver = driver;
        this.socket = socket;
    }

    static <P extends DatagramProtocol> void open(ReadinessDriver driver, Supplier<P> factory, InetSocketAddress local,
                                                  InetSocketAddress remote, DatagramOptions options,
                                                  LoopFuture<DatagramEndpoint<P>> result) {
        StandardProtocolFamily family = options.family();
        if (family == null) {
            boolean six = (local != null && local.getAddress() instanceof Inet6Address)
                    || (remote != null && remote.getAddress() instanceof Inet6Address);
            family = six ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET;
        }
        if (family == StandardProtocolFamily.INET) {
            for (InetSocketAddress a : new InetSocketAddress[] {local, remote}) {
                if (a != null && a.getAddress() instanceof Inet6Address) {
                    result.setException(new IllegalArgumentException("address " + a + " is IPv6 but family is INET"));
                    return;
                }
            }
        }
        DatagramSocket socket;
        try {
            socket = driver.sockets.openDatagram(family);
        } catch (IOException | RuntimeException e) {
            result.setException(e);
            return;
        }
        ReadinessDatagram io = new ReadinessDatagram(driver, socket);
        try {
            if (options.reusePort()) {
                socket.setOption(StandardSocketOptions.SO_REUSEPORT, true);
            }
            if (options.allowBroadcast()) {
                socket.setOption(StandardSocketOptions.SO_BROADCAST, true);
            }
            if (options.multicastTtl() >= 0) {
                socket.setOption(StandardSocketOptions.IP_MULTICAST_TTL, options.multicastTtl());
            }
            if (options.multicastLoop() != null) {
                socket.setOption(StandardSocketOptions.IP_MULTICAST_LOOP, options.multicastLoop());
            }
            if (local != null) {
                socket.bind(local);
            }
            if (remote != null) {
                socket.connect(remote);
            }
        } catch (IOException | RuntimeException e) {
            driver.closeSocket(socket, false);
            result.setException(e);
            return;
        }
        io.start(factory, remote, result);
    }

    /**
     * A Unix datagram endpoint: {@code local}'s path made ready by {@link UnixSocketFile} (a stale
     * socket file removed after a refused probe, a live socket or another file refused with
     * "Address already in use"), then bound, {@code remote} connected. Whatever fails closes the
     * socket and removes the file it bound.
     */
    static <P extends DatagramProtocol> void openUnix(ReadinessDriver driver, Supplier<P> factory,
                                                      UnixSocketAddress local, UnixSocketAddress remote,
                                                      LoopFuture<DatagramEndpoint<P>> result) {
        UnixSocketFile file;
        DatagramSocket socket;
        try {
            file = local == null ? null : UnixSocketFile.prepare(local, true);
            socket = driver.sockets.openDatagram(StandardProtocolFamily.UNIX);
        } catch (IOException | RuntimeException e) {
            result.setException(e);
            return;
        }
        ReadinessDatagram io = new ReadinessDatagram(driver, socket);
        try {
            if (local != null) {
                socket.bind(local);
                io.unixFile = file;
                file.bound();
            }
            if (remote != null) {
                socket.connect(remote);
            }
        } catch (IOException | RuntimeException e) {
            io.release();
            result.setException(e);
            return;
        }
        io.retryByTimer = remote == null;
        io.start(factory, remote, result);
    }

    /**
     * An endpoint over the caller's socket: {@link dev.weft.loop.spi.UserHandles#adoptDatagram}
     * checks it and throws for bad input (the caller keeps it); from then on the endpoint owns it,
     * connected to the socket's peer if it has one.
     */
    static <P extends DatagramProtocol> void adopt(ReadinessDriver driver, Supplier<P> factory, Object handle,
                                                   LoopFuture<DatagramEndpoint<P>> result) {
        DatagramSocket socket;
        try {
            socket = driver.userHandles.adoptDatagram(handle);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("socket: cannot use " + handle + ": " + e.getMessage(), e);
        }
        SocketAddress remote;
        try {
            remote = socket.remoteAddress();
        } catch (IOException | RuntimeException e) {
            driver.closeSocket(socket, false);
            result.setException(e);
            return;
        }
        new ReadinessDatagram(driver, socket).start(factory, remote, result);
    }

    /** Makes the protocol, registers the socket and starts the endpoint on the next iteration; owns the socket. */
    private <P extends DatagramProtocol> void start(Supplier<P> factory, SocketAddress remote,
                                                    LoopFuture<DatagramEndpoint<P>> result) {
        ReadinessDatagram io = this;
        P protocol;
        try {
            protocol = factory.get();
            if (protocol == null) {
                throw new NullPointerException("protocol factory returned null");
            }
            driver.poller.register(socket, 0, io);
            io.registered = true;
        } catch (IOException | RuntimeException e) {
            io.release();
            result.setException(e);
            return;
        }
        DatagramCore core = new DatagramCore(driver.loop, io, protocol, remote);
        io.core = core;
        driver.opened(core);
        driver.loop.callSoon(() -> {
            if (result.isDone()) {
                core.closeNow();
                driver.closed(core);
                return;
            }
            core.start();
            result.setResult(new DatagramEndpoint<>(core, protocol));
        });
    }

    @Override
    public Object owner() {
        return core != null ? core : this;
    }

    @Override
    public void onReady(int readyOps) {
        if (core.isLost()) {
            return;
        }
        if ((readyOps & Poller.WRITABLE) != 0 && core.hasQueued()) {
            core.flush();
        }
        if ((readyOps & Poller.READABLE) != 0) {
            receive();
        }
    }

    private void receive() {
        if (socket.batchSize() > 0) {
            receiveBatches();
            return;
        }
        UnsafeBuffer view = driver.readView;
        for (int i = 0; i < READS_PER_EVENT && core.wantsRead(); i++) {
            int n;
            try {
                n = socket.receive(driver.readAddress, ReadinessDriver.READ_BUFFER_SIZE);
            } catch (IOException e) {
                core.errorReceived(e);
                return;
            }
            if (n == DatagramSocket.WOULD_BLOCK) {
                return;
            }
            view.wrap(driver.readAddress, n);
            core.datagramReceived(view, socket.source());
            if (socket.truncated() && !core.isLost()) {
                core.errorReceived(new DatagramTruncatedException("datagram from " + socket.source()
                        + " was longer than the " + ReadinessDriver.READ_BUFFER_SIZE + "-byte receive buffer; "
                        + n + " bytes delivered", n));
            }
        }
    }

    private void receiveBatches() {
        UnsafeBuffer view = driver.readView;
        for (int total = 0; total < READS_PER_EVENT && core.wantsRead(); ) {
            int n;
            try {
                n = socket.receiveBatch();
            } catch (IOException e) {
                core.errorReceived(e);
                return;
            }
            if (n == DatagramSocket.WOULD_BLOCK) {
                return;
            }
            core.beginBatch();
            for (int i = 0; i < n && !core.isLost() && !core.isClosingNow(); i++) {
                int len = socket.batchLength(i);
                SocketAddress from = socket.batchSource(i);
                view.wrap(socket.batchAddress(i), len);
                core.datagramReceived(view, from);
                if (socket.batchTruncated(i) && !core.isLost()) {
                    core.errorReceived(new DatagramTruncatedException("datagram from " + from
                            + " was longer than the " + len + "-byte receive slot; " + len + " bytes delivered", len));
                }
            }
            core.endBatch();
            total += n;
            if (!socket.batchFilled()) {
                return;
            }
        }
    }

    @Override
    public boolean stage(org.agrona.DirectBuffer data, int length, SocketAddress target) throws IOException {
        return socket.stage(data, length, target);
    }

    @Override
    public int staged() {
        return socket.staged();
    }

    @Override
    public int sendStaged(int from) throws IOException {
        int n = socket.sendStaged(from);
        return n == DatagramSocket.WOULD_BLOCK ? -1 : n;
    }

    @Override
    public long stagedAddress(int i) {
        return socket.stagedAddress(i);
    }

    @Override
    public int stagedLength(int i) {
        return socket.stagedLength(i);
    }

    @Override
    public SocketAddress stagedTarget(int i) {
        return socket.stagedTarget(i);
    }

    @Override
    public void clearStaged() {
        socket.clearStaged();
    }

    @Override
    public String backendName() {
        return driver.name;
    }

    @Override
    public boolean inet6() {
        return socket.family() == StandardProtocolFamily.INET6;
    }

    @Override
    public boolean unix() {
        return socket.family() == StandardProtocolFamily.UNIX;
    }

    @Override
    public boolean sendNow(long address, int length, SocketAddress target) throws IOException {
        return socket.send(address, length, target) != DatagramSocket.WOULD_BLOCK;
    }

    @Override
    public org.agrona.MutableDirectBuffer scratch() {
        return driver.scratch;
    }

    @Override
    public void interestChanged() {
        if (!registered || core.isLost()) {
            return;
        }
        int want = 0;
        if (core.wantsRead()) {
            want |= Poller.READABLE;
        }
        if (core.hasQueued()) {
            if (retryByTimer) {
                scheduleRetry();
            } else {
                want |= Poller.WRITABLE;
            }
        }
        if (want != interest) {
            try {
                driver.poller.reregister(socket, want);
                interest = want;
            } catch (IOException e) {
                core.errorReceived(e);
            }
        }
    }

    private void scheduleRetry() {
        if (retry == null) {
            retry = driver.loop.callLater(UNIX_RETRY_MILLIS, java.util.concurrent.TimeUnit.MILLISECONDS, () -> {
                retry = null;
                if (!core.isLost() && core.hasQueued()) {
                    core.flush();
                }
            });
        }
    }

    /** Closes the socket, then removes the file of a bound Unix path unless it was replaced. */
    @Override
    public void release() {
        if (retry != null) {
            retry.cancel();
            retry = null;
        }
        driver.closeSocket(socket, registered);
        registered = false;
        UnixSocketFile file = unixFile;
        unixFile = null;
        if (file != null) {
            IOException e = file.release();
            if (e != null) {
                driver.loop.callExceptionHandler(new dev.weft.loop.ExceptionContext(
                        "removing the datagram endpoint's socket file failed", e, owner()));
            }
        }
    }

    @Override
    public void forget() {
        driver.closed(core);
    }

    @Override
    public Object info(String name) {
        try {
            switch (name) {
                case Transport.SOCK_NAME:
                    // A Unix socket's names are path strings, as on Unix streams and in asyncio.
                    SocketAddress a = socket.localAddress();
                    return a instanceof UnixSocketAddress u ? u.path() : a;
                case Transport.SOCKET:
                    return socket.handle();
                default:
                    return null;
            }
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    @Override
    public void joinGroup(InetAddress group, NetworkInterface nif, boolean join) throws IOException {
        if (join) {
            socket.joinGroup(group, nif);
        } else {
            socket.leaveGroup(group, nif);
        }
    }
}
