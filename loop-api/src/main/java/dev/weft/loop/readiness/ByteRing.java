package dev.weft.loop.readiness;

import java.nio.ByteBuffer;
import org.agrona.BufferUtil;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * A transport's write buffer: a growable ring of off-heap bytes. Appends copy in; the socket
 * drains from the head with at most two segments (one {@code writev}). Memory is allocated on first
 * use, doubles when full, and is freed when the transport closes. Loop thread only.
 */
final class ByteRing {
    private ByteBuffer memory;
    private final UnsafeBuffer view = new UnsafeBuffer(0, 0);
    private long address;
    private int capacity;
    private long head;
    private long tail;

    int size() {
        return (int) (tail - head);
    }

    boolean isEmpty() {
        return tail == head;
    }

    void append(DirectBuffer src, int offset, int length) {
        ensure(length);
        int pos = (int) (tail & (capacity - 1));
        int first = Math.min(length, capacity - pos);
        view.putBytes(pos, src, offset, first);
        if (first < length) {
            view.putBytes(0, src, offset + first, length - first);
        }
        tail += length;
    }

    void append(byte[] src, int offset, int length) {
        ensure(length);
        int pos = (int) (tail & (capacity - 1));
        int first = Math.min(length, capacity - pos);
        view.putBytes(pos, src, offset, first);
        if (first < length) {
            view.putBytes(0, src, offset + first, length - first);
        }
        tail += length;
    }

    /** Appends {@code length} bytes of {@code src} from absolute index {@code index}; its position is not used. */
    void append(ByteBuffer src, int index, int length) {
        ensure(length);
        int pos = (int) (tail & (capacity - 1));
        int first = Math.min(length, capacity - pos);
        view.putBytes(pos, src, index, first);
        if (first < length) {
            view.putBytes(0, src, index + first, length - first);
        }
        tail += length;
    }

    /** Address of the first readable byte. */
    long headAddress() {
        return address + (head & (capacity - 1));
    }

    /** Length of the first contiguous readable segment. */
    int headSegment() {
        int pos = (int) (head & (capacity - 1));
        return (int) Math.min(tail - head, capacity - pos);
    }

    /** Whether the readable bytes wrap around the end of the memory (two segments). */
    boolean wraps() {
        return headSegment() < size();
    }

    long baseAddress() {
        return address;
    }

    void consume(long n) {
        head += n;
        if (head == tail) {
            head = 0;
            tail = 0;
        }
    }

    void clear() {
        head = 0;
        tail = 0;
    }

    void release() {
        if (memory != null) {
            BufferUtil.free(memory);
            memory = null;
            view.wrap(0, 0);
            address = 0;
            capacity = 0;
        }
        head = 0;
        tail = 0;
    }

    private void ensure(int extra) {
        long needed = (tail - head) + (long) extra;
        if (needed <= capacity) {
            return;
        }
        if (needed > (1 << 30)) {
            throw new IllegalStateException("write buffer would exceed 1 GiB (" + needed + " bytes)");
        }
        int newCap = Math.max(4096, Integer.highestOneBit((int) needed - 1) << 1);
        ByteBuffer bigger = ByteBuffer.allocateDirect(newCap);
        UnsafeBuffer nv = new UnsafeBuffer(bigger);
        int size = size();
        int first = headSegment();
        if (size > 0) {
            int pos = (int) (head & (capacity - 1));
            nv.putBytes(0, view, pos, first);
            if (first < size) {
                nv.putBytes(first, view, 0, size - first);
            }
        }
        if (memory != null) {
            BufferUtil.free(memory);
        }
        memory = bigger;
        view.wrap(bigger);
        address = BufferUtil.address(bigger);
        capacity = newCap;
        head = 0;
        tail = size;
    }
}
