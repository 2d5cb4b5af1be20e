package dev.weft.loop.process;

import dev.weft.loop.BaseProtocol;
import dev.weft.loop.EventLoop;
import dev.weft.loop.Transport;
import java.nio.ByteBuffer;
import org.agrona.DirectBuffer;

/**
 * The child's stdin as its subprocess transport hands it out: the loop's write pipe transport,
 * except that once it is closing (closed, or the child closed its end or exited) writes and
 * {@code writeEof} are dropped instead of failing, as asyncio's pipe transports drop them; a loss
 * reaches the writer's {@code drain()} through {@code pipeConnectionLost}. Loop thread only.
 */
final class StdinTransport implements Transport {
    private final Transport pipe;

    /** Wraps the write pipe transport {@code pipe}, which stays the subprocess transport's. */
    StdinTransport(Transport pipe) {
        this.pipe = pipe;
    }

    private boolean drop() {
        pipe.loop().assertInLoop("write");
        return pipe.isClosing();
    }

    @Override
    public EventLoop loop() {
        return pipe.loop();
    }

    @Override
    public void write(DirectBuffer data, int offset, int length) {
        if (!drop()) {
            pipe.write(data, offset, length);
        }
    }

    @Override
    public void write(byte[] data, int offset, int length) {
        if (!drop()) {
            pipe.write(data, offset, length);
        }
    }

    @Override
    public void write(ByteBuffer data) {
        if (!drop()) {
            pipe.write(data);
        }
    }

    @Override
    public void writeLines(Iterable<?> parts) {
        if (!drop()) {
            pipe.writeLines(parts);
        }
    }

    @Override
    public void writeEof() {
        if (!drop()) {
            pipe.writeEof();
        }
    }

    @Override
    public boolean canWriteEof() {
        return pipe.canWriteEof();
    }

    @Override
    public void close() {
        pipe.close();
    }

    @Override
    public void abort() {
        pipe.abort();
    }

    @Override
    public boolean isClosing() {
        return pipe.isClosing();
    }

    @Override
    public void pauseReading() {
        pipe.pauseReading();
    }

    @Override
    public void resumeReading() {
        pipe.resumeReading();
    }

    @Override
    public boolean isReading() {
        return pipe.isReading();
    }

    @Override
    public void setWriteBufferLimits(int high, int low) {
        pipe.setWriteBufferLimits(high, low);
    }

    @Override
    public int getWriteBufferLimitHigh() {
        return pipe.getWriteBufferLimitHigh();
    }

    @Override
    public int getWriteBufferLimitLow() {
        return pipe.getWriteBufferLimitLow();
    }

    @Override
    public int getWriteBufferSize() {
        return pipe.getWriteBufferSize();
    }

    @Override
    public Object extraInfo(String name) {
        return pipe.extraInfo(name);
    }

    /** Null: a subprocess pipe reports to its {@link dev.weft.loop.SubprocessProtocol}. */
    @Override
    public BaseProtocol protocol() {
        return null;
    }

    @Override
    public void setProtocol(BaseProtocol protocol) {
        throw new UnsupportedOperationException("the pipes of a subprocess report to its SubprocessProtocol");
    }

    @Override
    public String toString() {
        return "StdinTransport[" + pipe + "]";
    }
}
