package dev.weft.bench;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Set;

/**
 * The Netty 4.2 peer: a pure echo server on one event loop thread (accept and I/O on the same
 * thread, as a Weft loop does), default pooled allocator and adaptive read sizes, TCP_NODELAY on.
 * Writes are flushed once per read batch ({@code channelReadComplete}), Netty's usual echo shape.
 */
final class NettyEcho {
    static final List<String> TRANSPORTS = List.of("epoll", "nio", "io_uring");

    private NettyEcho() {
    }

    /** Null when the transport can run here, else why not. */
    static Throwable unavailability(String transport) {
        switch (transport) {
            case "epoll":
                return Epoll.isAvailable() ? null : Epoll.unavailabilityCause();
            case "io_uring":
                return IoUring.isAvailable() ? null : IoUring.unavailabilityCause();
            case "nio":
                return null;
            default:
                return new IllegalArgumentException("unknown Netty transport " + transport);
        }
    }

    @ChannelHandler.Sharable
    static final class EchoHandler extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ctx.write(msg, ctx.voidPromise());
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close(); // resets from load generators stopping are expected; stay quiet
        }
    }

    static int run(String[] argv, int from) throws Exception {
        Args a = Args.parse("netty-echo", argv, from, Set.of("transport", "port", "host"), Set.of())
                .expectPositional(0, "");
        String transport = a.choice("transport", "epoll", TRANSPORTS);
        int port = a.port("port", null, true);
        String host = a.loopbackHost("host", "127.0.0.1");
        Throwable cause = unavailability(transport);
        if (cause != null) {
            System.err.println("netty-echo: transport " + transport + " is unavailable: " + cause);
            return 3;
        }
        IoHandlerFactory factory;
        Class<? extends ServerChannel> channel;
        switch (transport) {
            case "epoll":
                factory = EpollIoHandler.newFactory();
                channel = EpollServerSocketChannel.class;
                break;
            case "io_uring":
                factory = IoUringIoHandler.newFactory();
                channel = IoUringServerSocketChannel.class;
                break;
            default:
                factory = NioIoHandler.newFactory();
                channel = NioServerSocketChannel.class;
        }
        ServerStats.start();
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, factory);
        try {
            EchoHandler handler = new EchoHandler();
            Channel ch = new ServerBootstrap()
                    .group(group)
                    .channel(channel)
                    .option(ChannelOption.SO_BACKLOG, 1024)
                    .option(ChannelOption.SO_REUSEADDR, true)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childHandler(handler)
                    .bind(host, port).sync().channel();
            InetSocketAddress bound = (InetSocketAddress) ch.localAddress();
            System.out.println("listening on " + bound.getAddress().getHostAddress() + ":" + bound.getPort()
                    + " backend=netty-" + transport);
            System.out.flush();
            ch.closeFuture().sync();
        } finally {
            group.shutdownGracefully();
        }
        return 0;
    }
}
