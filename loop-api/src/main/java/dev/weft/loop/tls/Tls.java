package dev.weft.loop.tls;

import dev.weft.loop.BaseProtocol;
import dev.weft.loop.ConnectOptions;
import dev.weft.loop.Connection;
import dev.weft.loop.EventLoop;
import dev.weft.loop.LoopFuture;
import dev.weft.loop.Server;
import dev.weft.loop.ServerOptions;
import dev.weft.loop.Transport;
import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.function.Supplier;
import org.agrona.DirectBuffer;

/**
 * TLS servers, clients and upgrades over any backend's stream transports; the {@link EventLoop}
 * overloads that take {@link TlsOptions} call these. Loop thread only.
 */
public final class Tls {
    private Tls() {
    }

    /**
     * A server whose connections speak TLS: each accepted connection gets a {@link TlsProtocol} over
     * it, and the protocol from {@code protocolFactory} sees {@code connectionMade} only once the
     * handshake succeeded. A failed handshake closes that connection (its reason is logged at DEBUG
     * on {@code dev.weft.loop.tls}) and the server goes on.
     */
    public static LoopFuture<Server> createServer(EventLoop loop, Supplier<? extends BaseProtocol> protocolFactory,
                                                  String host, int port, ServerOptions options, TlsOptions tls) {
        Objects.requireNonNull(loop, "loop");
        Objects.requireNonNull(protocolFactory, "protocolFactory");
        requireSide(tls, true);
        return loop.createServer(() -> new TlsProtocol(loop, tls, true, null, -1, protocolFactory.get(), true),
                host, port, options);
    }

    /**
     * Connects to {@code host:port} and handshakes; completes, once the application protocol's
     * {@code connectionMade} ran, with the TLS transport and that protocol. {@code serverHostname} is
     * the name sent in SNI and checked against the certificate; null means {@code host}. A failed
     * handshake fails the future with {@link javax.net.ssl.SSLHandshakeException} naming the reason.
     * Cancelling the future aborts the connection.
     */
    public static <P extends BaseProtocol> LoopFuture<Connection<P>> createConnection(
            EventLoop loop, Supplier<P> protocolFactory, String host, int port, ConnectOptions options,
            TlsOptions tls, String serverHostname) {
        Objects.requireNonNull(loop, "loop");
        Objects.requireNonNull(protocolFactory, "protocolFactory");
        Objects.requireNonNull(host, "host");
        requireSide(tls, false);
        String name = serverHostname != null ? serverHostname : host;
        if (tls.hostnameVerification() && name.isEmpty()) {
            throw new IllegalArgumentException("serverHostname must not be empty when host name verification is on: ''");
        }
        LoopFuture<Connection<P>> result = loop.createFuture();
        LoopFuture<Connection<TlsProtocol>> raw = loop.createConnection(
                () -> new TlsProtocol(loop, tls, false, name, port, protocolFactory.get(), true), host, port, options);
        raw.addDoneCallback(r -> {
            if (r.isCancelled() || r.exception() != null) {
                if (!result.isDone()) {
                    if (r.isCancelled()) {
                        result.cancel();
                    } else {
                        result.setException(r.exception());
                    }
                }
                return;
            }
            TlsProtocol tp = r.result().protocol();
            if (result.isDone()) {
                tp.handshake().cancel();
                return;
            }
            tp.handshake().addDoneCallback(h -> {
                if (result.isDone()) {
                    if (!h.isCancelled() && h.exception() == null) {
                        h.result().abort();
                    }
                    return;
                }
                if (h.isCancelled()) {
                    result.cancel();
                } else if (h.exception() != null) {
                    result.setException(h.exception());
                } else {
                    @SuppressWarnings("unchecked")
                    P p = (P) tp.appProtocol();
                    result.setResult(new Connection<>(h.result(), p));
                }
            });
            result.addDoneCallback(f -> {
                if (f.isCancelled()) {
                    tp.handshake().cancel();
                }
            });
        });
        result.addDoneCallback(f -> {
            if (f.isCancelled()) {
                raw.cancel();
            }
        });
        return result;
    }

    /**
     * Upgrades a live connection to TLS (asyncio's {@code start_tls}): {@code transport} is handed to
     * a new TLS layer at once, and the future completes with the TLS transport once the handshake
     * succeeded. {@code protocol} receives the plaintext from then on; its {@code connectionMade} is
     * not called again (it already ran for {@code transport}), its {@code connectionLost} is called
     * once when the connection ends after a successful handshake. On failure the future fails and
     * {@code transport} is closed.
     */
    public static LoopFuture<Transport> startTls(Transport transport, BaseProtocol protocol, TlsOptions tls,
                                                 boolean serverSide, String serverHostname) {
        return startTls(transport, protocol, tls, serverSide, serverHostname, null, 0, 0);
    }

    /**
     * As {@link #startTls(Transport, BaseProtocol, TlsOptions, boolean, String)}, with bytes the old
     * protocol already received that belong to the TLS stream (the start of the peer's handshake
     * read together with the plaintext command before it): they are processed first, before
     * anything the transport delivers later. {@code alreadyReceived} may be null; it is copied.
     */
    public static LoopFuture<Transport> startTls(Transport transport, BaseProtocol protocol, TlsOptions tls,
                                                 boolean serverSide, String serverHostname,
                                                 DirectBuffer alreadyReceived, int offset, int length) {
        Objects.requireNonNull(transport, "transport");
        Objects.requireNonNull(protocol, "protocol");
        requireSide(tls, serverSide);
        EventLoop loop = transport.loop();
        loop.assertInLoop("startTls");
        if (transport.isClosing()) {
            throw new IllegalStateException("cannot start TLS: the transport is closing");
        }
        if (alreadyReceived != null && (offset < 0 || length < 0 || offset > alreadyReceived.capacity() - length)) {
            throw new IndexOutOfBoundsException("offset " + offset + " length " + length + " outside [0, "
                    + alreadyReceived.capacity() + ")");
        }
        int port = -1;
        if (transport.extraInfo(Transport.PEER_NAME) instanceof InetSocketAddress a) {
            port = a.getPort();
        }
        TlsProtocol tp = new TlsProtocol(loop, tls, serverSide, serverHostname, port, protocol, false);
        transport.setProtocol(tp);
        tp.connectionMade(transport);
        if (alreadyReceived != null) {
            tp.feed(alreadyReceived, offset, length);
        }
        return tp.handshake();
    }

    private static void requireSide(TlsOptions tls, boolean server) {
        Objects.requireNonNull(tls, "tls");
        if (tls.isServer() != server) {
            throw new IllegalArgumentException("expected " + (server ? "server" : "client") + " TLS options, got " + tls);
        }
    }
}
