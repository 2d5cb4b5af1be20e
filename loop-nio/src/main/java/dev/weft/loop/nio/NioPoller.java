package dev.weft.loop.nio;

import dev.weft.loop.core.LoopProbe;
import dev.weft.loop.spi.Pollable;
import dev.weft.loop.spi.Poller;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.function.Consumer;

/**
 * {@link Poller} over a {@link Selector}. Keys carry the handler as attachment; events are
 * dispatched with {@link Selector#select(Consumer, long)}, which does not build the selected-key
 * set, so a poll allocates nothing. {@link Poller#WRITABLE} on a socket still connecting maps to
 * {@link SelectionKey#OP_CONNECT}, {@link Poller#READABLE} on a listener to
 * {@link SelectionKey#OP_ACCEPT}; other channels (pipes, Unix sockets) map to their read and write
 * operations. Raw descriptors cannot be watched here.
 */
final class NioPoller implements Poller {
    private static final LoopProbe PROBE = LoopProbe.INSTANCE;
    /** Whether this poll's events are timed for a recording of slow callbacks. */
    private boolean timed;

    private final Selector selector;
    private int dispatched;
    private final Consumer<SelectionKey> dispatch = this::dispatch;
    private final Consumer<SelectionKey> ignore = k -> { };
    private boolean polling;
    private boolean flushAfterPoll;

    NioPoller() throws IOException {
        selector = Selector.open();
    }

    @Override
    public void register(Pollable target, int interest, ReadyHandler handler) throws IOException {
        SelectableChannel ch = channel(target);
        if (handler == null) {
            throw new NullPointerException("handler");
        }
        ch.register(selector, ops(ch, interest), handler);
    }

    @Override
    public void reregister(Pollable target, int interest) throws IOException {
        SelectableChannel ch = channel(target);
        SelectionKey k = ch.keyFor(selector);
        if (k == null || !k.isValid()) {
            throw new ClosedChannelException();
        }
        k.interestOps(ops(ch, interest));
    }

    @Override
    public void deregister(Pollable target) {
        SelectableChannel ch = channel(target);
        SelectionKey k = ch.keyFor(selector);
        if (k != null) {
            k.cancel();
            if (ch instanceof ServerSocketChannel) {
                flushCancelled();
            }
        }
    }

    /**
     * A channel with a cancelled key stays open until the selector's next select deregisters it
     * (AbstractSelectableChannel.implCloseChannel), so a closed server would go on listening for one
     * iteration and its address look taken. A select with no wait deregisters it now; inside a poll
     * (a select may not nest) right after it. Level-triggered readiness it passes over is reported
     * again by the next poll.
     */
    private void flushCancelled() {
        if (polling) {
            flushAfterPoll = true;
            return;
        }
        try {
            selector.selectNow(ignore);
        } catch (IOException e) {
            // The selector is failing: the channel closes with it.
        }
    }

    private static SelectableChannel channel(Pollable target) {
        SelectableChannel ch = target == null ? null : target.channel();
        if (ch == null) {
            throw new IllegalArgumentException("the nio poller watches SelectableChannels, not "
                    + (target == null ? "null" : target) + " (unsupported on nio: java.nio cannot watch a raw fd)");
        }
        return ch;
    }

    @Override
    public int poll(long timeoutNanos) throws IOException {
        dispatched = 0;
        timed = PROBE.timeCallbacks();
        polling = true;
        try {
            if (timeoutNanos == 0) {
                selector.selectNow(dispatch);
            } else if (timeoutNanos < 0) {
                selector.select(dispatch);
            } else {
                // Round up: waking before the timer is due would only cost a second poll. (n - 1) / m + 1
                // cannot overflow where n + m - 1 can.
                long ms = (timeoutNanos - 1) / 1_000_000 + 1;
                selector.select(dispatch, ms);
            }
        } finally {
            polling = false;
        }
        if (flushAfterPoll) {
            flushAfterPoll = false;
            flushCancelled();
        }
        return dispatched;
    }

    private void dispatch(SelectionKey k) {
        if (!k.isValid()) {
            return;
        }
        int r = k.readyOps();
        int ready = 0;
        if ((r & (SelectionKey.OP_READ | SelectionKey.OP_ACCEPT)) != 0) {
            ready |= READABLE;
        }
        if ((r & (SelectionKey.OP_WRITE | SelectionKey.OP_CONNECT)) != 0) {
            ready |= WRITABLE;
        }
        dispatched++;
        ReadyHandler h = (ReadyHandler) k.attachment();
        if (timed) {
            PROBE.timedReady(h, ready);
        } else {
            h.onReady(ready);
        }
    }

    private static int ops(SelectableChannel ch, int interest) {
        int valid = ch.validOps();
        int ops = 0;
        if ((interest & READABLE) != 0) {
            ops |= (valid & SelectionKey.OP_ACCEPT) != 0 ? SelectionKey.OP_ACCEPT : SelectionKey.OP_READ;
        }
        if ((interest & WRITABLE) != 0) {
            ops |= ch instanceof SocketChannel sc && sc.isConnectionPending()
                    ? SelectionKey.OP_CONNECT : SelectionKey.OP_WRITE;
        }
        return ops & valid;
    }

    @Override
    public void wakeup() {
        selector.wakeup();
    }

    @Override
    public void close() {
        try {
            selector.close();
        } catch (IOException e) {
            // Nothing is left to release once the selector's close has been attempted.
        }
    }
}
