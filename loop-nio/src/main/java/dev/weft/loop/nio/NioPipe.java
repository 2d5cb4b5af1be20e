package dev.weft.loop.nio;

import dev.weft.loop.spi.PipeChannel;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.WritableByteChannel;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * A pipe end on java.nio: a non-blocking {@link SelectableChannel} that reads or writes bytes
 * ({@link java.nio.channels.Pipe.SourceChannel}, {@link java.nio.channels.Pipe.SinkChannel}, a socket
 * channel). Bytes pass through the loop's {@link NioStaging} buffer, as for sockets. Made by
 * {@link NioUserHandles}; loop thread only.
 */
final class NioPipe implements PipeChannel {
    private final SelectableChannel channel;
    private final ReadableByteChannel in;
    private final WritableByteChannel out;
    private final NioStaging staging;

    NioPipe(SelectableChannel channel, NioStaging staging) {
        this.channel = channel;
        this.in = channel instanceof ReadableByteChannel r ? r : null;
        this.out = channel instanceof WritableByteChannel w ? w : null;
        this.staging = staging;
    }

    @Override
    public SelectableChannel channel() {
        return channel;
    }

    /**
     * Only a channel that can be selected for reading (a socket) shows its reader going away while
     * idle; a {@link java.nio.channels.Pipe.SinkChannel} cannot, so a write to it finds out.
     */
    @Override
    public boolean readerCloseVisible() {
        return (channel.validOps() & SelectionKey.OP_READ) != 0;
    }

    @Override
    public Object handle() {
        return channel;
    }

    @Override
    public int read(long address, int length) throws IOException {
        ByteBuffer b = staging.buffer;
        b.clear().limit(Math.min(length, NioStaging.SIZE));
        int n = in.read(b);
        if (n > 0) {
            UnsafeBuffer target = staging.target;
            target.wrap(address, n);
            target.putBytes(0, staging.view, 0, n);
        }
        return n;
    }

    @Override
    public int write(long address, int length) throws IOException {
        int n = Math.min(length, NioStaging.SIZE);
        UnsafeBuffer src = staging.target;
        src.wrap(address, n);
        staging.view.putBytes(0, src, 0, n);
        ByteBuffer b = staging.buffer;
        b.clear().limit(n);
        return out.write(b);
    }

    /** Copies the segments into the staging buffer (up to its size) and writes them at once. */
    @Override
    public long writev(long iovAddress, int count) throws IOException {
        UnsafeBuffer iov = new UnsafeBuffer(iovAddress, count * 16);
        int filled = 0;
        UnsafeBuffer src = staging.target;
        for (int i = 0; i < count && filled < NioStaging.SIZE; i++) {
            long base = iov.getLong(i * 16);
            int len = (int) Math.min(iov.getLong(i * 16 + 8), NioStaging.SIZE - filled);
            src.wrap(base, len);
            staging.view.putBytes(filled, src, 0, len);
            filled += len;
        }
        ByteBuffer b = staging.buffer;
        b.clear().limit(filled);
        return out.write(b);
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }

    @Override
    public String toString() {
        return "NioPipe[" + channel + "]";
    }
}
