package dev.weft.loop.stream;

import dev.weft.loop.task.Tasks;
import dev.weft.loop.Transport;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * The writing side of a stream connection (asyncio's {@code StreamWriter}). {@link #write} never
 * blocks (the transport buffers); {@link #drain()} is where a task waits for the transport's
 * write buffer to go below its high-water mark (the protocol's {@code pauseWriting} /
 * {@code resumeWriting}). Loop thread (task steps) only; {@code drain} and {@code waitClosed} inside a task.
 */
public final class StreamWriter {
    private final Transport transport;
    private final StreamProtocol protocol;
    private final StreamReader reader;

    StreamWriter(Transport transport, StreamProtocol protocol, StreamReader reader) {
        this.transport = transport;
        this.protocol = protocol;
        this.reader = reader;
    }

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
