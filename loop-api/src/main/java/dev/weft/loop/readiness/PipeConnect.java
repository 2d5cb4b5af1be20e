package dev.weft.loop.readiness;

import dev.weft.loop.spi.PipeChannel;
import dev.weft.loop.spi.UserHandles;
import dev.weft.loop.BaseProtocol;
import dev.weft.loop.Connection;
import dev.weft.loop.LoopFuture;
import dev.weft.loop.PipeEnd;
import dev.weft.loop.transport.StreamCore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.function.Supplier;

/**
 * Makes a pipe transport of a readiness backend: the end is checked and adopted by the backend's
 * {@link UserHandles}, driven by a one-way {@link ReadinessStream}, and started on the next loop
 * iteration, as asyncio's pipe transports call {@code connection_made} through {@code call_soon}.
 */
final class PipeConnect {
    private PipeConnect() {
    }

    /**
     * Throws (the caller keeps {@code end}) for bad input or when the end cannot be adopted; after
     * that the transport owns it and every failure completes {@code result} instead.
     */
    static <P extends BaseProtocol> void connect(ReadinessDriver driver, Supplier<P> factory, PipeEnd end,
                                                 boolean write, LoopFuture<Connection<P>> result) {
        PipeChannel pipe;
        try {
            pipe = driver.userHandles.openPipe(end, write);
        } catch (IOException e) {
            throw new UncheckedIOException("pipe: cannot use " + end + ": " + e.getMessage(), e);
        }
        P protocol;
        StreamCore core;
        try {
            protocol = factory.get();
            if (protocol == null) {
                throw new IllegalStateException("the protocol factory returned null");
            }
            ReadinessStream stream = new ReadinessStream(driver, pipe, protocol,
                    write ? StreamCore.Direction.WRITE_ONLY : StreamCore.Direction.READ_ONLY);
            stream.register();
            core = stream.transport();
        } catch (Throwable e) {
            driver.closeSocket(pipe, false);
            result.setException(e);
            return;
        }
        driver.loop.callSoon(() -> {
            if (result.isDone()) {
                // Cancelled meanwhile: nobody will see the transport.
                core.abort();
                return;
            }
            core.start();
            result.setResult(new Connection<>(core, protocol));
        });
    }
}
