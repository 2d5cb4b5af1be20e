package dev.weft.loop.iocp;

import dev.weft.loop.BaseProtocol;
import dev.weft.loop.ConnectOptions;
import dev.weft.loop.transport.ConnectCore;
import dev.weft.loop.transport.ConnectIo;
import dev.weft.loop.transport.StreamCore;
import com.sun.jna.Function;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import static dev.weft.loop.iocp.WinConstants.*;

/**
 * The iocp backend's half of a TCP connect ({@link ConnectCore} owns the order, the happy-eyeballs
 * stagger, the failures, cancellation and the single winner). An attempt is a socket bound to the
 * options' local address or the wildcard of the target's family (ConnectEx wants a bound socket)
 * with one ConnectEx in flight; the winner gets SO_UPDATE_CONNECT_CONTEXT and becomes an
 * {@link IocpStream}. Each attempt owns its completion key and an {@link IoBlock} (one OVERLAPPED,
 * then the target's sockaddr): closing its socket cancels the ConnectEx, which still completes
 * (aborted), and only then are they freed. One per driver; loop thread only.
 */
final class IocpConnect implements ConnectIo<InetSocketAddress> {
    /** The ConnectEx's slot in an attempt's block, and the target's sockaddr behind it. */
    private static final int CONNECT = 0;
    private static final int TARGET = IoBlock.after(1);

    private final IocpDriver driver;

    IocpConnect(IocpDriver driver) {
        this.driver = driver;
    }

    @Override
    public ConnectIo.Attempt attempt(ConnectCore<?, InetSocketAddress> connect, InetSocketAddress target) {
        return new Attempt(connect, target);
    }

    @Override
    public void opened(ConnectCore<?, InetSocketAddress> connect) {
        driver.opened(connect);
    }

    @Override
    public void closed(ConnectCore<?, InetSocketAddress> connect) {
        driver.closed(connect);
    }

    /** One socket with a ConnectEx to one address. */
    private final class Attempt implements ConnectIo.Attempt, Completion {
        private final ConnectCore<?, InetSocketAddress> connect;
        private final InetSocketAddress target;
        private long socket = INVALID_SOCKET;
        private int key = -1;
        /** Made by {@link #start}: the ConnectEx's slot, then the target's sockaddr. */
        private IoBlock ops;

        Attempt(ConnectCore<?, InetSocketAddress> connect, InetSocketAddress target) {
            this.connect = connect;
            this.target = target;
        }

        @Override
        public InetSocketAddress target() {
            return target;
        }

        /** Always in progress when it returns: a ConnectEx that finishes at once is dispatched by the next poll. */
        @Override
        public boolean start() throws IOException {
            ConnectOptions options = connect.options();
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
                local = new InetSocketAddress(InetAddress.getByAddress(new byte[family == AF_INET6 ? 16 : 4]), 0);
            }
            WinSock.bind(socket, local);
            Function connectEx = WinSock.connectEx(socket, family);
            key = driver.register(socket, this);
            ops = new IoBlock(1, SOCKADDR_STORAGE_SIZE);
            long sockaddr = ops.address + TARGET;
            int length = WinSock.writeAddress(target, sockaddr);
            long ov = ops.start(CONNECT);
            int rc = WinSock.connectEx(connectEx, socket, sockaddr, length, ov);
            driver.started(this, ov, rc == 0 ? 0 : -1, rc);
            return false;
        }

        @Override
        public void complete(long overlapped, int error, int bytes) {
            ops.complete(overlapped);
            if (ops.isClosed()) {
                free(); // closed (lost, or cancelled): this was the last use of the memory
                return;
            }
            if (error != 0) {
                connect.failed(this, WinError.exception("ConnectEx(" + target + ")", error));
                return;
            }
            connect.connected(this);
        }

        @Override
        public StreamCore transport(BaseProtocol protocol) throws IOException {
            WinSock.updateContext(socket, SO_UPDATE_CONNECT_CONTEXT, 0L);
            // The stream takes the socket and its key over.
            StreamCore t = new IocpStream(driver, socket, key, protocol, null).transport();
            socket = INVALID_SOCKET;
            key = -1;
            if (ops != null) {
                ops.close();
            }
            free();
            return t;
        }

        /** Closing the socket cancels a ConnectEx in flight; it still completes (aborted). */
        @Override
        public void close() {
            if (socket != INVALID_SOCKET) {
                WinSock.close(socket);
                socket = INVALID_SOCKET;
            }
            if (ops != null) {
                ops.close();
            }
            free();
        }

        /** The driver is closing: as {@link #close}. */
        @Override
        public void closeNow() {
            close();
        }

        /**
         * Once closed and the kernel holds nothing: frees the block and forgets the key (unless a
         * stream took it over).
         */
        private void free() {
            if (ops != null && !ops.freeIfDone()) {
                return;
            }
            if (key >= 0) {
                driver.release(key);
                key = -1;
            }
        }
    }
}
