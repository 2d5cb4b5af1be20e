package dev.weft.loop.transport;

import dev.weft.loop.EventLoop;
import dev.weft.loop.LoopFuture;
import dev.weft.loop.Transport;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * What every backend's {@link dev.weft.loop.Server} keeps about itself apart from its sockets:
 * whether it serves, the connections it accepted, and who waits for both to be over
 * ({@code waitClosed}). Loop thread only.
 */
public final class ServerClients {
    private final EventLoop loop;
    private final Set<Transport> clients = new LinkedHashSet<>();
    private final List<LoopFuture<Void>> waiters = new ArrayList<>();
    private boolean serving;

    public ServerClients(EventLoop loop) {
        this.loop = loop;
    }

    /** The server listens from now on. */
    public void startServing() {
        serving = true;
    }

    /** The server stopped listening; waiters are released once no connection is left. */
    public void stopServing() {
        serving = false;
        wakeIfOver();
    }

    public boolean isServing() {
        return serving;
    }

    /** A connection was accepted. */
    public void add(Transport t) {
        clients.add(t);
    }

    /** An accepted connection is gone. */
    public void remove(Transport t) {
        clients.remove(t);
        wakeIfOver();
    }

    public int count() {
        return clients.size();
    }

    /** {@link dev.weft.loop.Server#waitClosed()}. */
    public LoopFuture<Void> waitClosed() {
        loop.assertInLoop("Server.waitClosed");
        LoopFuture<Void> f = loop.createFuture();
        waiters.add(f);
        wakeIfOver();
        return f;
    }

    /** {@link dev.weft.loop.Server#closeClients()}. */
    public void closeAll() {
        loop.assertInLoop("Server.closeClients");
        for (Transport t : new ArrayList<>(clients)) {
            t.close();
        }
    }

    /** {@link dev.weft.loop.Server#abortClients()}. */
    public void abortAll() {
        loop.assertInLoop("Server.abortClients");
        for (Transport t : new ArrayList<>(clients)) {
            t.abort();
        }
    }

    private void wakeIfOver() {
        if (serving || !clients.isEmpty() || waiters.isEmpty()) {
            return;
        }
        for (LoopFuture<Void> w : waiters) {
            if (!w.isDone()) {
                w.setResult(null);
            }
        }
        waiters.clear();
    }
}
