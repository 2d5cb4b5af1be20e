package dev.weft.loop.testkit;

import dev.weft.loop.BaseProtocol;
import dev.weft.loop.EventLoop;
import dev.weft.loop.Transport;
import java.nio.ByteBuffer;
import org.agrona.DirectBuffer;

/** A transport that forwards every call to another; tests override what they want to see or change. */
public class ForwardingTransport implements Transport {
    protected final Transport delegate;

    public ForwardingTransport(Transport delegate) {
        this.delegate = delegate;
    }

    @Override
    public EventLoop loop() {
        return delegate.loop();
    }

    @Override
    public void write(DirectBuffer data, int offset, int length) {
        delegate.write(data, offset, length);
    }

    @Override
    public void write(byte[] data, int offset, int length) {
        delegate.write(data, offset, length);
    }

    @Override
    public void write(ByteBuffer data) {
        delegate.write(data);
    }

    @Override
    public void writeLines(Iterable<?> parts) {
        delegate.writeLines(parts);
    }

    @Override
    public void writeEof() {
        delegate.writeEof();
    }

    @Override
    public boolean canWriteEof() {
        return delegate.canWriteEof();
    }

    @Override
    public void close() {
        delegate.close();
    }

    @Override
    public void abort() {
        delegate.abort();
    }

    @Override
    public boolean isClosing() {
        return delegate.isClosing();
    }

    @Override
    public void pauseReading() {
        delegate.pauseReading();
    }

    @Override
    public void resumeReading() {
        delegate.resumeReading();
    }

    @Override
    public boolean isReading() {
        return delegate.isReading();
    }

    @Override
    public void setWriteBufferLimits(int high, int low) {
        delegate.setWriteBufferLimits(high, low);
    }

    @Override
    public int getWriteBufferLimitHigh() {
        return delegate.getWriteBufferLimitHigh();
    }

    @Override
    public int getWriteBufferLimitLow() {
        return delegate.getWriteBufferLimitLow();
    }

    @Override
    public int getWriteBufferSize() {
        return delegate.getWriteBufferSize();
    }

    @Override
    public Object extraInfo(String name) {
        return delegate.extraInfo(name);
    }

    @Override
    public BaseProtocol protocol() {
        return delegate.protocol();
    }

    @Override
    public void setProtocol(BaseProtocol protocol) {
        delegate.setProtocol(protocol);
    }
}
