package dev.weft.loop.iocp;

import dev.weft.loop.BaseProtocol;
import dev.weft.loop.ConnectOptions;
import dev.weft.loop.Connection;
import dev.weft.loop.LoopFuture;
import dev.weft.loop.spi.ConnectFailures;
import dev.weft.loop.transport.StreamCore;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.function.Supplier;
import static dev.weft.loop.iocp.WinConstants.*;

/**
 * A TCP connect in progress with ConnectEx: tries each address in turn, one at a time (a
 * happy-eyeballs delay is refused by {@link IocpDriver#connect}). ConnectEx wants a bound
 * socket: the options' local address or the wildcard of the family; the first that accepts gets
 * SO_UPDATE_CONNECT_CONTEXT and becomes an {@link IocpStream} whose {@code connectionMade} runs
 * before the result completes. Cancelling the result closes the socket; the OVERLAPPED is freed when
 * the cancelled ConnectEx has completed.
 */
final class IocpConnect<P extends BaseProtocol> implements Completion {
    private final IocpDriver driver;
    private final Supplier<P> factory;
    private final List<InetSocketAddress> addresses;
    private final ConnectOptions options;
    private final LoopFuture<Connection<P>> result;
    private int index;
    private long socket = INVALID_SOCKET;
    private int key = -1;
    private boolean pending;
    private long block;
    private InetSocketAddress target;
    private final ConnectFailures failures = new ConnectFailures();

    IocpConnect(IocpDriver driver, Supplier<P> factory, List<InetSocketAddress> addresses, ConnectOptions options,
                LoopFuture<Connection<P>> result) {
        this.driver = driver;
        this.factory = factory;
        this.addresses = addresses;
        this.options = options;
        this.result = result;
        driver.opened(this);
        result.addDoneCallback(f -> {
            if (f.isCancelled()) {
                closeNow();
            }
        });
    }

    /** Starts the connect to the next address, or fails the result when none is left. */
    void next() {
        while (!result.isDone()) {
            if (index >= addresses.size()) {
                free();
                driver.closed(this);
                result.setException(failures.toException());
                return;
            }
            target = addresses.get(index++);
            try {
                short family = WinSock.family(target);
                socket = WinSock.open(family);
                if (options.tcpNoDelay()) {
                    WinSock.setInt(socket, IPPROTO_TCP, TCP_NODELAY, 1, "TCP_NODELAY");
                }
                if (options.receiveBufferSize() > 0) {
                    WinSock.setInt(socket, SOL_SOCKET, SO_RCVBUF, options.receiveBufferSize(), "SO_RCVBUF");
                }
                if (options.sendBufferSize() > 0) {
                    WinSock.setInt(socket, SOL_SOCKET, SO_SNDBUF, options.sendBufferSize(), "SO_SNDBUF");
                }
                InetSocketAddress local = options.localAddress();
                if (local == null) {
                    local = new InetSocketAddress(InetAddress.getByAddress(
                            new byte[family == AF_INET6 ? 16 : 4]), 0);
                }
                WinSock.bind(socket, local);
                key = driver.register(socket, this);
                if (block == 0) {
                    block = Mem.allocate(OVERLAPPED_SIZE + SOCKADDR_STORAGE_SIZE);
                }
                int length = WinSock.writeAddress(target, block + OVERLAPPED_SIZE);
                Mem.zero(block, OVERLAPPED_SIZE);
                pending = true;
                int rc = WinSock.connectEx(WinSock.connectEx(socket, family), socket, block + OVERLAPPED_SIZE, length,
                        block);
                driver.started(this, block, rc == 0 ? 0 : -1, rc);
                return;
            } catch (IOException e) {
                failed(e);
            }
        }
    }

    @Override
    public void complete(long overlapped, int error, int bytes) {
        pending = false;
        if (socket == INVALID_SOCKET) {
            // Cancelled: the socket is closed; this was the last use of the memory.
            free();
            return;
        }
        if (error != 0) {
            failed(WinError.exception("ConnectEx(" + target + ")", error));
            next();
            return;
        }
        connected();
    }

    private void connected() {
        long s = socket;
        int k = key;
        socket = INVALID_SOCKET;
        key = -1;
        free();
        P protocol;
        StreamCore t;
        try {
            WinSock.updateContext(s, SO_UPDATE_CONNECT_CONTEXT, 0L);
            protocol = factory.get();
            if (protocol == null) {
                throw new IllegalStateException("the protocol factory returned null");
            }
            t = new IocpStream(driver, s, k, protocol, null).transport();
        } catch (Throwable e) {
            WinSock.close(s);
            driver.release(k);
            driver.closed(this);
            result.setException(e);
            return;
        }
        driver.closed(this);
        t.start();
        if (!result.isDone()) {
            result.setResult(new Connection<>(t, protocol));
        } else {
            t.abort();
        }
    }

    private void failed(IOException e) {
        closeSocket();
        free();
        failures.add(target, e);
    }

    /** Closing the socket cancels a ConnectEx in flight; it still completes (aborted). */
    private void closeSocket() {
        if (socket != INVALID_SOCKET) {
            WinSock.close(socket);
            socket = INVALID_SOCKET;
        }
    }

    /** Forgets the key and frees the OVERLAPPED, unless the kernel still owns them. */
    private void free() {
        if (pending) {
            return;
        }
        if (key >= 0) {
            driver.release(key);
            key = -1;
        }
        if (block != 0) {
            Mem.free(block);
            block = 0;
        }
    }

    @Override
    public void closeNow() {
        closeSocket();
        driver.closed(this);
        free();
    }
}
