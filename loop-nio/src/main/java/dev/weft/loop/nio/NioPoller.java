package dev.weft.loop.nio;

import dev.weft.loop.spi.NetSocket;
import dev.weft.loop.spi.Poller;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.function.Consumer;

/**
 * {@link Poller} over a {@link Selector}. Keys carry the handler as attachment; events are
 * dispatched with {@link Selector#select(Consumer, long)}, which does not build the selected-key
 * set, so a poll allocates nothing. {@link Poller#WRITABLE} on a socket still connecting maps to
 * {@link SelectionKey#OP_CONNECT}, {@link Poller#READABLE} on a listener to
 * {@link SelectionKey#OP_ACCEPT}.
 */
final class NioPoller implements Poller {
    private final Selector selector;
    private int dispatched;
    private final Consumer<SelectionKey> dispatch = this::dispatch;

    NioPoller() throws IOException {
        selector = Selector.open();
    }

    @Override
    public void register(NetSocket socket, int interest, ReadyHandler handler) throws IOException {
        NioSocket s = (NioSocket) socket;
        s.channel.register(selector, ops(s, interest), handler);
    }

    @Override
    public void reregister(NetSocket socket, int interest) throws IOException {
        NioSocket s = (NioSocket) socket;
        SelectionKey k = s.channel.keyFor(selector);
        if (k == null || !k.isValid()) {
            throw new ClosedChannelException();
        }
        k.interestOps(ops(s, interest));
    }

    @Override
    public void deregister(NetSocket socket) {
        SelectionKey k = ((NioSocket) socket).channel.keyFor(selector);
        if (k != null) {
            k.cancel();
        }
    }

    @Override
    public int poll(long timeoutNanos) throws IOException {
        dispatched = 0;
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
        ((ReadyHandler) k.attachment()).onReady(ready);
    }

    private static int ops(NioSocket s, int interest) {
        int ops = 0;
        if ((interest & READABLE) != 0) {
            ops |= s.isListener() ? SelectionKey.OP_ACCEPT : SelectionKey.OP_READ;
        }
        if ((interest & WRITABLE) != 0) {
            ops |= s.isConnectionPending() ? SelectionKey.OP_CONNECT : SelectionKey.OP_WRITE;
        }
        return ops;
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
