package dev.weft.bench;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import java.io.File;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Set;

/**
 * {@code netty-tls-echo}: the Netty 4.2 TLS peer, the {@link NettyEcho} server (one event loop
 * thread, epoll where available, else nio; pooled allocator; flush per read batch) with an
 * {@code SslHandler} first in the pipeline. {@code --provider jdk} uses the JDK's {@code SSLEngine},
 * {@code --provider openssl} netty-tcnative's BoringSSL. Netty's defaults otherwise (its
 * {@code SslHandler} in its default mode, except the handshake timeout: 60 s as Weft's and asyncio's;
 * the client picks TLS 1.3 and the cipher).
 */
final class NettyTlsEcho {
    static final List<String> PROVIDERS = List.of("jdk", "openssl");
    static final long HANDSHAKE_TIMEOUT_MS = 60_000;

    private NettyTlsEcho() {
    }

    /** Null when the provider can run here, else why not. */
    static Throwable unavailability(String provider) {
        if (provider.equals("openssl")) {
            return OpenSsl.isAvailable() ? null : OpenSsl.unavailabilityCause();
        }
        return null;
    }

    /** What the provider is, for the report's version column. */
    static String providerVersion(String provider) {
        if (provider.equals("openssl")) {
            return OpenSsl.isAvailable() ? "netty-tcnative " + OpenSsl.versionString() : "netty-tcnative (unavailable)";
        }
        return "JDK SSLEngine";
    }

    static int run(String[] argv, int from) throws Exception {
        Args a = Args.parse("netty-tls-echo", argv, from, Set.of("provider", "port", "host", "cert", "key"), Set.of())
                .expectPositional(0, "");
        String provider = a.choice("provider", "jdk", PROVIDERS);
        int port = a.port("port", null, true);
        String host = a.loopbackHost("host", "127.0.0.1");
        File cert = new File(a.required("cert"));
        File key = new File(a.required("key"));
        Throwable cause = unavailability(provider);
        if (cause != null) {
            System.err.println("netty-tls-echo: provider " + provider + " is unavailable: " + cause);
            return 3;
        }
        SslContext ssl = SslContextBuilder.forServer(cert, key)
                .sslProvider(provider.equals("openssl") ? SslProvider.OPENSSL : SslProvider.JDK)
                .build();
        boolean epoll = Epoll.isAvailable();
        IoHandlerFactory factory = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        Class<? extends ServerChannel> channel = epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
        ServerStats.start();
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, factory);
        try {
            NettyEcho.EchoHandler echo = new NettyEcho.EchoHandler();
            Channel ch = new ServerBootstrap()
                    .group(group)
                    .channel(channel)
                    .option(ChannelOption.SO_BACKLOG, 1024)
                    .option(ChannelOption.SO_REUSEADDR, true)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel c) {
                            SslHandler h = ssl.newHandler(c.alloc());
                            // Weft's and asyncio's default (Netty's own is 10 s).
                            h.setHandshakeTimeoutMillis(HANDSHAKE_TIMEOUT_MS);
                            c.pipeline().addLast(h, echo);
                        }
                    })
                    .bind(host, port).sync().channel();
            InetSocketAddress bound = (InetSocketAddress) ch.localAddress();
            System.out.println("listening on " + bound.getAddress().getHostAddress() + ":" + bound.getPort()
                    + " backend=netty-" + (epoll ? "epoll" : "nio") + "-tls-" + provider);
            System.out.flush();
            ch.closeFuture().sync();
        } finally {
            group.shutdownGracefully();
        }
        return 0;
    }
}
