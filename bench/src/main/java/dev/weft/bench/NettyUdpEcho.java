package dev.weft.bench;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.socket.nio.NioDatagramChannel;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Set;

/**
 * The Netty 4.2 UDP echo peer: one datagram channel on one event loop thread, every datagram
 * written back to its sender, flushed once per read batch, socket buffers at the system's defaults
 * (as every server of the UDP part). On epoll, {@code recvmmsg} is on
 * ({@link EpollChannelOption#MAX_DATAGRAM_PAYLOAD_SIZE} 2,048 with a fixed 32 KiB receive buffer:
 * up to 16 datagrams per call), as Netty documents for high datagram rates; datagrams above 2,048
 * bytes would be cut short, which the report's sizes never reach. UDP GRO is left off: coalesced
 * reads would need splitting before the echo, and loopback traffic is not coalesced.
 */
final class NettyUdpEcho {
    static final List<String> TRANSPORTS = List.of("epoll", "nio");
    static final int MAX_PAYLOAD = 2048;

    private NettyUdpEcho() {
    }

    @ChannelHandler.Sharable
    static final class EchoHandler extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            DatagramPacket p = (DatagramPacket) msg;
            ctx.write(new DatagramPacket(p.content(), p.sender()), ctx.voidPromise());
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // ICMP port unreachable from a client that left: keep serving
        }
    }

    static int run(String[] argv, int from) throws Exception {
        Args a = Args.parse("netty-udp-echo", argv, from, Set.of("transport", "port", "host"), Set.of())
                .expectPositional(0, "");
        String transport = a.choice("transport", "epoll", TRANSPORTS);
        int port = a.port("port", null, true);
        String host = a.loopbackHost("host", "127.0.0.1");
        Throwable cause = NettyEcho.unavailability(transport);
        if (cause != null) {
            System.err.println("netty-udp-echo: transport " + transport + " is unavailable: " + cause);
            return 3;
        }
        boolean epoll = transport.equals("epoll");
        ServerStats.start();
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        try {
            Bootstrap b = new Bootstrap().group(group)
                    .channel(epoll ? EpollDatagramChannel.class : NioDatagramChannel.class)
                    .handler(new EchoHandler());
            if (epoll) {
                b.option(EpollChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE, MAX_PAYLOAD)
                        .option(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(16 * MAX_PAYLOAD));
            }
            Channel ch = b.bind(host, port).sync().channel();
            InetSocketAddress bound = (InetSocketAddress) ch.localAddress();
            System.out.println("listening on " + bound.getAddress().getHostAddress() + ":" + bound.getPort()
                    + " backend=netty-" + transport + " udp");
            System.out.flush();
            ch.closeFuture().sync();
        } finally {
            group.shutdownGracefully();
        }
        return 0;
    }
}
