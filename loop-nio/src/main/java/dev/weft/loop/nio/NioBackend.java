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
        return new ReadinessDriver(name(), loop, new NioPoller(), new NioSocketFactory(staging));
    }

    @Override
    public String unsupportedReason(Capability capability) {
        switch (capability) {
            case TCP:
            case SENDFILE:
                return null;
            default:
                return "not implemented on nio yet (" + capability.description() + ")";
        }
    }
}
