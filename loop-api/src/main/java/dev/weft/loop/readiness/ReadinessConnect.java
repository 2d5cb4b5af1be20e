package dev.weft.loop.readiness;

import dev.weft.loop.BaseProtocol;
import dev.weft.loop.ConnectOptions;
import dev.weft.loop.UnixSocketAddress;
import dev.weft.loop.spi.NetSocket;
import dev.weft.loop.spi.Poller;
import dev.weft.loop.transport.ConnectCore;
import dev.weft.loop.transport.ConnectIo;
import dev.weft.loop.transport.StreamCore;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;

/**
 * The readiness backends' half of a connect ({@link ConnectCore} owns the rest): an attempt is a
 * non-blocking socket connecting to a TCP address (with the connect's options) or a Unix domain
 * socket path, waited for on {@link Poller#WRITABLE} and finished with {@code SO_ERROR}
 * ({@link NetSocket#finishConnect}). A connect that completes at once wins at once, as a Unix
 * domain connect does on Linux and the BSDs (a full backlog fails with EAGAIN rather than waiting).
 * The winner keeps its poller registration: its handler forwards to the stream transport from then
 * on. One per driver; loop thread only.
 */
final class ReadinessConnect implements ConnectIo<SocketAddress> {
    private final ReadinessDriver driver;

    ReadinessConnect(ReadinessDriver driver) {
        this.driver = driver;
    }

    @Override
    public ConnectIo.Attempt attempt(ConnectCore<?, SocketAddress> connect, SocketAddress target) {
        return new Attempt(connect, target);
    }

    @Override
    public void opened(ConnectCore<?, SocketAddress> connect) {
        driver.opened(connect);
    }

    @Override
    public void closed(ConnectCore<?, SocketAddress> connect) {
        driver.closed(connect);
    }

    /** One socket connecting to one address. Its handler forwards to the transport once it has won. */
    private final class Attempt implements ConnectIo.Attempt, Poller.ReadyHandler {
        private final ConnectCore<?, SocketAddress> connect;
        private final SocketAddress target;
        private NetSocket socket;
        private boolean registered;
        private ReadinessStream transport;

        Attempt(ConnectCore<?, SocketAddress> connect, SocketAddress target) {
            this.connect = connect;
            this.target = target;
        }

        @Override
        public SocketAddress target() {
            return target;
        }

        @Override
        public boolean start() throws IOException {
            if (target instanceof InetSocketAddress inet) {
                socket = driver.sockets.openStream(inet.getAddress() instanceof Inet6Address
                        ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET);
                ConnectOptions options = connect.options();
                if (options.tcpNoDelay()) {
                    socket.setOption(StandardSocketOptions.TCP_NODELAY, true);
                }
                if (options.receiveBufferSize() > 0) {
                    socket.setOption(StandardSocketOptions.SO_RCVBUF, options.receiveBufferSize());
                }
                if (options.sendBufferSize() > 0) {
                    socket.setOption(StandardSocketOptions.SO_SNDBUF, options.sendBufferSize());
                }
                if (options.localAddress() != null) {
                    socket.bind(options.localAddress());
                }
            } else if (target instanceof UnixSocketAddress) {
                socket = driver.sockets.openStream(StandardProtocolFamily.UNIX);
            } else {
                throw new IllegalArgumentException("not a TCP or Unix socket address: " + target);
            }
            if (socket.connect(target)) {
                return true;
            }
            driver.poller.register(socket, Poller.WRITABLE, this);
            registered = true;
            return false;
        }

        @Override
        public void onReady(int readyOps) {
            if (transport != null) {
                transport.onReady(readyOps);
                return;
            }
            if (socket == null) {
                return; // closed (lost, or cancelled) after the poller reported it
            }
            try {
                if (!socket.finishConnect()) {
                    return; // spurious wake-up: still connecting, stay registered for WRITABLE
                }
            } catch (IOException e) {
                connect.failed(this, e);
                return;
            }
            connect.connected(this);
        }

        @Override
        public Object owner() {
            return transport != null ? transport.owner() : this;
        }

        @Override
        public StreamCore transport(BaseProtocol protocol) throws IOException {
            ReadinessStream t = new ReadinessStream(driver, socket, protocol, null);
            if (registered) {
                // Keep the registration: this handler forwards to the transport from now on.
                t.adoptRegistration(Poller.WRITABLE);
                transport = t;
            } else {
                t.register();
            }
            socket = null;
            registered = false;
            return t.transport();
        }

        @Override
        public void close() {
            if (socket != null) {
                driver.closeSocket(socket, registered);
                socket = null;
                registered = false;
            }
        }
    }
}
