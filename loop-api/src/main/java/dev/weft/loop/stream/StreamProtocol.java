package dev.weft.loop.stream;

import dev.weft.loop.EventLoop;
import dev.weft.loop.LoopFuture;
import dev.weft.loop.Protocol;
import dev.weft.loop.task.Task;
import dev.weft.loop.Transport;
import java.io.IOException;
import java.util.ArrayDeque;
import org.agrona.DirectBuffer;

/**
 * The protocol between a transport and a {@link StreamReader} / {@link StreamWriter} pair: feeds the
 * reader, tracks the transport's write flow control for {@link StreamWriter#drain()}, and completes
 * the closed future when the connection is lost. On a server it starts the client handler as a task.
 */
final class StreamProtocol implements Protocol {
    private final EventLoop loop;
    private final StreamReader reader;
    private final Streams.ClientHandler handler;
    private final ArrayDeque<LoopFuture<Void>> drainWaiters = new ArrayDeque<>();
    private final LoopFuture<Void> closed;
    private Transport transport;
    private StreamWriter writer;
    private boolean paused;
    private boolean lost;
    private Throwable lostCause;

    StreamProtocol(EventLoop loop, StreamReader reader, Streams.ClientHandler handler) {
        this.loop = loop;
        this.reader = reader;
        this.handler = handler;
        this.closed = loop.createFuture();
    }

    @Override
    public void connectionMade(Transport t) {
        transport = t;
        reader.setTransport(t);
        writer = new StreamWriter(t, this, reader);
        if (handler != null) {
            Task<Void> task = loop.createTask(() -> {
                handler.handle(reader, writer);
                return null;
            }, "stream-client");
            task.addDoneCallback(f -> {
                if (!f.isCancelled() && f.exception() != null) {
                    loop.callExceptionHandler(new dev.weft.loop.ExceptionContext(
                            "unhandled exception in a client-connected handler", f.exception(), t));
                    t.close();
                }
            });
        }
    }

    @Override
    public void dataReceived(DirectBuffer data) {
        reader.feedData(data);
    }

    @Override
    public boolean eofReceived() {
        reader.feedEof();
        return true;
    }

    @Override
    public void connectionLost(Throwable cause) {
        lost = true;
        lostCause = cause;
        if (cause == null) {
            reader.feedEof();
        } else {
            reader.setException(cause);
        }
        if (!closed.isDone()) {
            if (cause == null) {
                closed.setResult(null);
            } else {
                closed.setException(cause);
                closed.exception();  // reads throw it too; not reported if nobody waits for the close, as in asyncio
            }
        }
        paused = false;
        wakeDrainers(cause);
    }

    @Override
    public void pauseWriting() {
        paused = true;
    }

    @Override
    public void resumeWriting() {
        paused = false;
        wakeDrainers(null);
    }

    private void wakeDrainers(Throwable cause) {
        LoopFuture<Void> w;
        while ((w = drainWaiters.poll()) != null) {
            if (!w.isDone()) {
                if (cause == null) {
                    w.setResult(null);
                } else {
                    w.setException(cause);
                }
            }
        }
    }

    /** After start_tls: the TLS transport replaces the one below it. */
    void replaceTransport(Transport t) {
        transport = t;
    }

    StreamWriter writer() {
        return writer;
    }

    LoopFuture<Void> closed() {
        return closed;
    }

    /** Waits while the transport's write buffer is above its high-water mark. */
    void drainHelper() throws IOException {
        if (lost) {
            throw new IOException("connection lost", lostCause);
        }
        if (!paused) {
            return;
        }
        LoopFuture<Void> w = loop.createFuture();
        drainWaiters.add(w);
        try {
            dev.weft.loop.task.Tasks.await(w);
        } catch (java.util.concurrent.CompletionException e) {
            // await wraps checked failures; drain promises the connection's IOException itself.
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw e;
        } finally {
            drainWaiters.remove(w);
        }
    }
}
