package dev.weft.loop.stream;

import dev.weft.loop.LoopFuture;
import dev.weft.loop.task.Tasks;
import dev.weft.loop.tls.Tls;
import dev.weft.loop.tls.TlsOptions;
import dev.weft.loop.Transport;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.concurrent.CompletionException;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The writing side of a stream connection (asyncio's {@code StreamWriter}). {@link #write} never
 * blocks (the transport buffers); {@link #drain()} is where a task waits for the transport's
 * write buffer to go below its high-water mark (the protocol's {@code pauseWriting} /
 * {@code resumeWriting}). Loop thread (task steps) only; {@code drain} and {@code waitClosed} inside a task.
 */
public final class StreamWriter {
    private Transport transport;
    private final StreamProtocol protocol;
    private final StreamReader reader;

    StreamWriter(Transport transport, StreamProtocol protocol, StreamReader reader) {
        this.transport = transport;
        this.protocol = protocol;
        this.reader = reader;
    }

    /** The transport written to: after {@link #startTls}, the TLS transport. */
    public Transport transport() {
        return transport;
    }

    public void write(byte[] data) {
        transport.write(data);
    }

    /** Writes {@code text} as UTF-8. */
    public void write(String text) {
        transport.write(text.getBytes(StandardCharsets.UTF_8));
    }

    /** Writes each part in order (a gathering write where the transport can). */
    public void writeLines(Iterable<byte[]> parts) {
        transport.writeLines(parts);
    }

    public boolean canWriteEof() {
        return transport.canWriteEof();
    }

    /** Closes the write side once buffered bytes are sent. */
    public void writeEof() {
        transport.writeEof();
    }

    /**
     * Waits until the transport is ready for more (its buffer under the high-water mark). Fails with
     * the connection's error, or an {@link IOException} once the connection is lost.
     */
    public void drain() throws IOException {
        Throwable e = reader.exception();
        if (e != null) {
            throw e instanceof IOException io ? io : new IOException(e);
        }
        if (transport.isClosing()) {
            // let connectionLost run, so a closed connection is reported as such
            Tasks.yieldNow();
        }
        protocol.drainHelper();
    }

    /**
     * Upgrades the connection to TLS in place (asyncio's {@code StreamWriter.start_tls}); inside a
     * task. Waits for buffered writes to drain, hands the transport to a TLS layer on the side
     * {@code tls} is for, and returns once the handshake succeeded; from then on this writer and its
     * reader carry plaintext through TLS, and {@link #transport()} is the TLS transport.
     *
     * <p>Bytes the reader received and nobody read yet came after the last plaintext the application
     * read, so they are the start of the peer's TLS stream (a handshake sent right behind a
     * plaintext command): they go to the TLS layer first, nothing is lost.
     *
     * @param serverHostname the name to verify and send as SNI (client side), or null
     * @throws IOException the handshake's failure ({@link javax.net.ssl.SSLHandshakeException} with
     *         the reason), or the connection's; the connection is closed then
     * @throws IllegalStateException when the connection is closing
     */
    public void startTls(TlsOptions tls, String serverHostname) throws IOException {
        Objects.requireNonNull(tls, "tls");
        drain();
        if (transport.isClosing()) {
            throw new IllegalStateException("cannot start TLS: the transport is closing");
        }
        byte[] pending = reader.takeBuffered();
        LoopFuture<Transport> handshake = Tls.startTls(transport, protocol, tls, tls.isServer(), serverHostname,
                pending.length == 0 ? null : new UnsafeBuffer(pending), 0, pending.length);
        Transport t;
        try {
            t = Tasks.await(handshake);
        } catch (CompletionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw e;
        }
        transport = t;
        reader.setTransport(t);
        protocol.replaceTransport(t);
    }

    public void close() {
        transport.close();
    }

    public boolean isClosing() {
        return transport.isClosing();
    }

    /** Waits until the connection is closed (after {@link #close()}); the connection's error if it failed. */
    public void waitClosed() {
        Tasks.await(protocol.closed());
    }

    /** The transport's extra information ({@link Transport#PEER_NAME}, ...), or null. */
    public Object extraInfo(String name) {
        return transport.extraInfo(name);
    }

    @Override
    public String toString() {
        return "StreamWriter[" + transport + "]";
    }
}
