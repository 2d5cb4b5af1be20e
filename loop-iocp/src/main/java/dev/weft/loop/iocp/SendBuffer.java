package dev.weft.loop.iocp;

import java.nio.ByteBuffer;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * A linear, growable run of native bytes waiting to be sent: appended at the tail, consumed from the
 * head. A transport keeps two and swaps them: the one a WSASend is reading from is frozen (never
 * appended to, so never moved) until the send completes. Loop thread only.
 */
final class SendBuffer {
    private final UnsafeBuffer view = new UnsafeBuffer(0, 0);
    private long address;
    private int capacity;
    private int head;
    private int tail;

    int size() {
        return tail - head;
    }

    boolean isEmpty() {
        return tail == head;
    }

    long headAddress() {
        return address + head;
    }

    void consume(int n) {
        head += n;
        if (head >= tail) {
            head = 0;
            tail = 0;
        }
    }

    void append(DirectBuffer src, int offset, int length) {
        ensure(length);
        view.putBytes(tail, src, offset, length);
        tail += length;
    }

    void append(byte[] src, int offset, int length) {
        ensure(length);
        view.putBytes(tail, src, offset, length);
        tail += length;
    }

    void append(ByteBuffer src, int index, int length) {
        ensure(length);
        view.putBytes(tail, src, index, length);
        tail += length;
    }

    /** Frees the memory. Only when no send reads from it. */
    void release() {
        Mem.free(address);
        view.wrap(0, 0);
        address = 0;
        capacity = 0;
        head = 0;
        tail = 0;
    }

    private void ensure(int extra) {
        if (tail + (long) extra <= capacity) {
            return;
        }
        int size = size();
        long needed = (long) size + extra;
        if (needed > (1 << 30)) {
            throw new IllegalStateException("write buffer would exceed 1 GiB (" + needed + " bytes)");
        }
        if (needed <= capacity && head > 0) {
            Mem.copy(address + head, address, size);
        } else {
            int newCapacity = Math.max(16 * 1024, Integer.highestOneBit((int) needed - 1) << 1);
            long bigger = Mem.allocate(newCapacity);
            if (size > 0) {
                Mem.copy(address + head, bigger, size);
            }
            Mem.free(address);
            address = bigger;
            capacity = newCapacity;
            view.wrap(address, capacity);
        }
        head = 0;
        tail = size;
    }
}
