package dev.weft.loop.nio;

import dev.weft.loop.Capability;
import dev.weft.loop.EventLoop;
import dev.weft.loop.spi.IoDriver;
import dev.weft.loop.spi.LoopBackend;
import dev.weft.loop.readiness.ReadinessDriver;
import java.io.IOException;

/**
 * The java.nio backend: a {@link java.nio.channels.Selector} and socket channels. Available on
 * every JVM; {@code auto} picks it only when no native backend fits.
 */
public final class NioBackend implements LoopBackend {
    @Override
    public String name() {
        return "nio";
    }

    @Override
    public boolean isAvailable() {
        return true;
    }

    @Override
    public Throwable unavailabilityCause() {
        return null;
    }

    @Override
    public int autoPriority() {
        return 10;
    }

    @Override
    public IoDriver open(EventLoop loop) throws IOException {
        NioStaging staging = new NioStaging();
        return new ReadinessDriver(name(), loop, new NioPoller(), new NioSocketFactory(staging),
                new NioUserHandles(staging));
    }

    @Override
    public String unsupportedReason(Capability capability) {
        switch (capability) {
            case TCP:
            case PIPES:
            case WATCH_FD:
                // Pipes and watching take SelectableChannels; a raw descriptor fails with NioUserHandles.RAW_FD.
            case UNIX_STREAM:
            case DATAGRAM:
            case SIGNALS:
            case SUBPROCESS:
            case SENDFILE:
                return null;
            case UNIX_DATAGRAM:
                return "java.nio's DatagramChannel has no UNIX family (JEP 380 gave it to SocketChannel and "
                        + "ServerSocketChannel only; no JDK through 25 has it), so Unix datagram sockets cannot be "
                        + "opened (the epoll backend has them)";
            case UNIX_ABSTRACT:
                return "abstract names (a leading NUL) cannot be reached: java.nio's UnixDomainSocketAddress "
                        + "takes file system paths only (the epoll backend has them)";
            default:
                return "not implemented on nio yet (" + capability.description() + ")";
        }
    }
}
