package dev.weft.loop;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * A server of an {@link EventLoopGroup}: one {@link Server} part per loop, each confined to its
 * loop (a listener of its own, or the connections handed to it by the first part's listener).
 * Every method here is thread-safe; each acts on a part through its loop's thread.
 */
public final class GroupServer {
    /** How the parts share the connections. */
    enum Kind {
        /** One loop: a plain server. */
        SINGLE,
        /** One balanced SO_REUSEPORT listener per loop. */
        LISTENER_PER_LOOP,
        /** The first part accepts and hands connections to every part in turn. */
        HAND_OFF
    }

    private final List<Server> parts;
    private final Kind kind;

    GroupServer(List<Server> parts, Kind kind) {
        this.parts = List.copyOf(parts);
        this.kind = kind;
    }

    /** The parts, one per loop that serves, in the group's loop order; each confined to its {@link Server#loop()}. */
    public List<Server> servers() {
        return parts;
    }

    /** The bound TCP addresses (real ports), the same on every loop; empty for a Unix server. */
    public List<InetSocketAddress> addresses() {
        return parts.isEmpty() ? List.of() : parts.get(0).addresses();
    }

    /** Every address listened on (see {@link Server#boundAddresses()}). */
    public List<SocketAddress> boundAddresses() {
        return parts.isEmpty() ? List.of() : parts.get(0).boundAddresses();
    }

    /** True where each loop has a listener of its own that the kernel balances. */
    public boolean listenerPerLoop() {
        return kind == Kind.LISTENER_PER_LOOP;
    }

    /**
     * Stops accepting: closes every listener (and makes each part close what is still handed to it);
     * accepted connections stay open. Completes once every part is closed. Idempotent.
     */
    public CompletionStage<Void> close() {
        return eachPart(s -> {
            s.close();
            return null;
        }).thenApply(x -> null);
    }

    /** Completes once every part is closed and every connection it accepted is gone. */
    public CompletionStage<Void> waitClosed() {
        List<CompletableFuture<Void>> all = new ArrayList<>();
        for (Server s : parts) {
            if (!s.loop().isClosed()) {
                // A part whose loop is closed has nothing left open.
                all.add(EventLoopGroup.onLoop(s.loop(), l -> s.waitClosed()).exceptionally(e -> null));
            }
        }
        return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new));
    }

    /** Calls {@link Transport#close()} on every live connection of every part. */
    public CompletionStage<Void> closeClients() {
        return eachPart(s -> {
            s.closeClients();
            return null;
        }).thenApply(x -> null);
    }

    /** The live connections of each part, in {@link #servers()} order (a closed loop counts 0). */
    public CompletionStage<List<Integer>> connectionCounts() {
        return eachPart(Server::connectionCount).thenApply(l -> {
            List<Integer> out = new ArrayList<>(l.size());
            for (Integer n : l) {
                out.add(n == null ? 0 : n);
            }
            return out;
        });
    }

    private <T> CompletableFuture<List<T>> eachPart(java.util.function.Function<Server, T> action) {
        List<CompletableFuture<T>> all = new ArrayList<>();
        for (Server s : parts) {
            CompletableFuture<T> one = new CompletableFuture<>();
            if (s.loop().isClosed()) {
                one.complete(null);
            } else {
                try {
                    s.loop().execute(() -> {
                        try {
                            one.complete(action.apply(s));
                        } catch (Throwable t) {
                            one.completeExceptionally(t);
                        }
                    });
                } catch (IllegalStateException closed) {
                    one.complete(null);
                }
            }
            all.add(one);
        }
        return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).thenApply(x -> {
            List<T> out = new ArrayList<>(all.size());
            for (CompletableFuture<T> f : all) {
                out.add(f.join());
            }
            return out;
        });
    }

    @Override
    public String toString() {
        return "GroupServer[" + kind + ", " + boundAddresses() + ", " + parts.size() + " loops]";
    }
}
