package dev.weft.loop.spi;

import dev.weft.loop.PipeEnd;
import java.io.IOException;
import java.nio.channels.SelectableChannel;

/**
 * What a readiness backend does with handles users give it: pipe ends for pipe transports, and
 * descriptors or channels to watch. Handed to {@link dev.weft.loop.readiness.ReadinessDriver} by
 * backends that offer
 * {@link dev.weft.loop.Capability#PIPES} and {@link dev.weft.loop.Capability#WATCH_FD}.
 *
 * <p><b>Bad input</b> fails before anything changes: {@link IllegalArgumentException} naming the
 * argument and its value (a closed descriptor, a regular file, a directory, the wrong direction), or
 * {@link dev.weft.loop.UnsupportedCapabilityException} for a kind this backend cannot use (a raw
 * descriptor on java.nio, a channel where only descriptors can be polled).
 */
public interface UserHandles {
    /**
     * Checks {@code end} for a read ({@code write} false) or write transport and puts it in
     * non-blocking mode. The result owns the descriptor or channel; if this throws, the caller
     * still does.
     */
    PipeChannel openPipe(PipeEnd end, boolean write) throws IOException;

    /**
     * Checks {@code socket} (an {@link Integer} descriptor or a
     * {@link java.nio.channels.DatagramChannel}) for a UDP endpoint and puts it in non-blocking
     * mode. The result owns it; if this throws, the caller still does. The default refuses every socket.
     */
    default DatagramSocket adoptDatagram(Object socket) throws IOException {
        throw new UnsupportedOperationException("UDP endpoints over an existing socket are not implemented by "
                + getClass().getSimpleName());
    }

    /** A descriptor the caller owns, as the poller watches it; never closed by Weft. */
    Pollable watchable(int fd);

    /** A channel the caller owns, as the poller watches it; never closed by Weft. */
    Pollable watchable(SelectableChannel channel);
}
