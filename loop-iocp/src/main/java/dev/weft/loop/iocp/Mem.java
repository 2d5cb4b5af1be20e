package dev.weft.loop.iocp;

import org.agrona.UnsafeApi;

/**
 * Raw native memory: allocation and little-endian field access by absolute address (x64 is little
 * endian, as the structs it reads). No bounds checks; callers own the ranges they touch.
 */
final class Mem {
    private static final java.util.concurrent.atomic.AtomicLong LIVE = new java.util.concurrent.atomic.AtomicLong();

    private Mem() {
    }

    /** Allocates {@code size} bytes, zeroed. Free with {@link #free}. */
    static long allocate(long size) {
        long address = UnsafeApi.allocateMemory(size);
        UnsafeApi.setMemory(address, size, (byte) 0);
        LIVE.incrementAndGet();
        return address;
    }

    static void free(long address) {
        if (address != 0) {
            UnsafeApi.freeMemory(address);
            LIVE.decrementAndGet();
        }
    }

    /** Blocks allocated and not yet freed, in this process (for tests that check what is kept or leaked). */
    static long liveAllocations() {
        return LIVE.get();
    }

    static void zero(long address, long size) {
        UnsafeApi.setMemory(address, size, (byte) 0);
    }

    static void copy(long from, long to, long size) {
        UnsafeApi.copyMemory(from, to, size);
    }

    static void copy(byte[] from, int offset, long to, int length) {
        UnsafeApi.copyMemory(from, UnsafeApi.arrayBaseOffset(byte[].class) + offset, null, to, length);
    }

    static void copy(long from, byte[] to, int offset, int length) {
        UnsafeApi.copyMemory(null, from, to, UnsafeApi.arrayBaseOffset(byte[].class) + offset, length);
    }

    static long getLong(long address) {
        return UnsafeApi.getLong(address);
    }

    static void putLong(long address, long value) {
        UnsafeApi.putLong(address, value);
    }

    static int getInt(long address) {
        return UnsafeApi.getInt(address);
    }

    static void putInt(long address, int value) {
        UnsafeApi.putInt(address, value);
    }

    static short getShort(long address) {
        return UnsafeApi.getShort(address);
    }

    static void putShort(long address, short value) {
        UnsafeApi.putShort(address, value);
    }

    static byte getByte(long address) {
        return UnsafeApi.getByte(address);
    }

    static void putByte(long address, byte value) {
        UnsafeApi.putByte(address, value);
    }
}
