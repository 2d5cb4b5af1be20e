package dev.weft.loop.testkit;

import dev.weft.loop.EventLoop;
import dev.weft.loop.LoopFuture;
import dev.weft.loop.Protocol;
import dev.weft.loop.Transport;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import org.agrona.DirectBuffer;

/** Protocols the conformance suite drives. */
public final class TestProtocols {
    private TestProtocols() {
    }

    /**
     * Echoes what it receives and honours flow control: when its transport pauses writing it pauses
     * reading, so its write buffer stays under the high-water mark plus one read.
     */
    public static final class Echo implements Protocol {
        public Transport transport;
        public int maxWriteBuffer;
        public long received;
        public int pauses;
        public final LoopFuture<Throwable> lost;

        public Echo(EventLoop loop) {
            lost = loop.createFuture();
        }

        @Override
        public void connectionMade(Transport t) {
            transport = t;
        }

        @Override
        public void dataReceived(DirectBuffer data) {
            received += data.capacity();
            transport.write(data);
            maxWriteBuffer = Math.max(maxWriteBuffer, transport.getWriteBufferSize());
        }

        @Override
        public void pauseWriting() {
            pauses++;
            transport.pauseReading();
        }

        @Override
        public void resumeWriting() {
            transport.resumeReading();
        }

        @Override
        public void connectionLost(Throwable cause) {
            lost.setResult(cause);
        }
    }

    /**
     * Echoes through the heap: each read is copied into its own array and written back with
     * {@code write(byte[])} and {@code write(ByteBuffer)} in turn (the overloads that stage heap
     * bytes through memory the loop shares). Pauses reading while writing is paused.
     */
    public static final class HeapEcho implements Protocol {
        private final byte[] copy = new byte[256 * 1024];
        private final ByteBuffer copyView = ByteBuffer.wrap(copy);
        private Transport transport;
        private boolean viaByteBuffer;

        @Override
        public void connectionMade(Transport t) {
            transport = t;
        }

        @Override
        public void dataReceived(DirectBuffer data) {
            int n = data.capacity();
            for (int done = 0; done < n; done += copy.length) {
                int k = Math.min(copy.length, n - done);
                data.getBytes(done, copy, 0, k);
                if (viaByteBuffer) {
                    copyView.clear().limit(k);
                    transport.write(copyView);
                } else {
                    transport.write(copy, 0, k);
                }
                viaByteBuffer = !viaByteBuffer;
            }
        }

        @Override
        public void pauseWriting() {
            transport.pauseReading();
        }

        @Override
        public void resumeWriting() {
            transport.resumeReading();
        }
    }

    /** Collects everything received; futures for connection made, EOF and connection lost. */
    public static class Collector implements Protocol {
        public Transport transport;
        public final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        public final LoopFuture<Transport> made;
        public final LoopFuture<Void> eof;
        public final LoopFuture<Throwable> lost;
        public boolean keepOpenOnEof;
        public int dataCalls;
        private final EventLoop loop;
        private LoopFuture<Integer> waitingFor;
        private int waitingSize;

        public Collector(EventLoop loop) {
            this.loop = loop;
            made = loop.createFuture();
            eof = loop.createFuture();
            lost = loop.createFuture();
        }

        @Override
        public void connectionMade(Transport t) {
            transport = t;
            made.setResult(t);
        }

        @Override
        public void dataReceived(DirectBuffer data) {
            dataCalls++;
            byte[] b = new byte[data.capacity()];
            data.getBytes(0, b);
            bytes.write(b, 0, b.length);
            checkWaiter();
        }

        @Override
        public boolean eofReceived() {
            eof.setResult(null);
            return keepOpenOnEof;
        }

        @Override
        public void connectionLost(Throwable cause) {
            lost.setResult(cause);
            if (waitingFor != null && !waitingFor.isDone()) {
                waitingFor.setResult(bytes.size());
            }
        }

        /** A future done once at least {@code n} bytes arrived (or the connection was lost). */
        public LoopFuture<Integer> atLeast(int n) {
            waitingFor = loop.createFuture();
            waitingSize = n;
            checkWaiter();
            return waitingFor;
        }

        private void checkWaiter() {
            if (waitingFor != null && !waitingFor.isDone() && bytes.size() >= waitingSize) {
                waitingFor.setResult(bytes.size());
            }
        }
    }
}
