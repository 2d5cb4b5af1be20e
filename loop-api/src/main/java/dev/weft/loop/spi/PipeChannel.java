package dev.weft.loop.spi;

/**
 * One end of a pipe, FIFO, socket or character device that a pipe transport owns, adopted by
 * {@link UserHandles#openPipe}: non-blocking, closed with the transport.
 */
public interface PipeChannel extends StreamChannel {
    /**
     * Whether, on the write end, read readiness means the reading end went away, so a write
     * transport should watch for it (pipes, FIFOs and sockets, as asyncio; not terminals, where it
     * means typed input).
     */
    boolean readerCloseVisible();

    /** What {@code Transport.extraInfo("pipe")} returns: the fd number or the channel. */
    Object handle();
}
