package dev.weft.loop.spi;

import java.io.IOException;

/**
 * Readiness notification for one loop: the contract that nio, epoll and kqueue implement, and the
 * only thing (with {@link SocketFactory}) a readiness backend must write.
 *
 * <p><b>Contract.</b> {@link #register} a {@link Pollable} (a socket of the same backend's
 * {@link SocketFactory}, a pipe, a raw descriptor or channel) once with an interest set and a
 * handler; {@link #reregister} to change the interest; {@link #deregister} before closing it.
 * {@link #poll} waits and calls {@link ReadyHandler#onReady} on the calling thread for each ready
 * one, with the ready set. Interest and ready sets are bit sets of {@link #READABLE} and
 * {@link #WRITABLE}; an error or hang-up is reported as both (the next read or write says which).
 * A poller that cannot watch the kind given (a raw descriptor on java.nio) fails with
 * {@link IllegalArgumentException} naming it.
 *
 * <p><b>Level-triggered semantics.</b> A socket that stays ready is reported again by the next poll
 * as long as it is ready and interested (an edge-triggered implementation must emulate this, or
 * the transports stall). <b>Spurious events</b> are allowed: a handler must tolerate a ready report
 * whose read or write then would block.
 *
 * <p><b>Threads.</b> Everything runs on the loop thread but {@link #wakeup()}, which any thread may
 * call; wake-ups may coalesce. No method allocates per event after warm-up.
 */
public interface Poller extends AutoCloseable {
    int READABLE = 1;
    int WRITABLE = 2;

    void register(Pollable target, int interest, ReadyHandler handler) throws IOException;

    void reregister(Pollable target, int interest) throws IOException;

    void deregister(Pollable target) throws IOException;

    /** Waits at most {@code timeoutNanos} (0: not at all; negative: forever); returns events dispatched. */
    int poll(long timeoutNanos) throws IOException;

    void wakeup();

    @Override
    void close();

    /** Called on the loop thread with the ready set of a registered socket. */
    @FunctionalInterface
    interface ReadyHandler {
        void onReady(int readyOps);

        /**
         * What a slow-callback report names for this handler's work: its transport (whose protocol
         * class is the callback's identity), or the user's callback. The handler itself by default.
         */
        default Object owner() {
            return this;
        }
    }
}
