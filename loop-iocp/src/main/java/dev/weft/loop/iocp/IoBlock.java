package dev.weft.loop.iocp;

import static dev.weft.loop.iocp.WinConstants.OVERLAPPED_SIZE;

/**
 * The native memory of one handle's overlapped operations, in one allocation: {@code slots}
 * OVERLAPPEDs first (slot {@code i} at offset {@code i * OVERLAPPED_SIZE}), then the bytes the owner
 * lays out behind them (from {@link #after(int)}). It records which slots the kernel holds and
 * whether the handle is closed.
 *
 * <p><b>Ownership.</b> The kernel owns an operation's OVERLAPPED and buffers from its start until its
 * completion is dequeued, even after the handle is closed or the operation cancelled (it then
 * completes with ERROR_OPERATION_ABORTED). The block is therefore freed only once the handle is
 * closed and no slot is in flight; {@link #freeIfDone()} reports that moment, once, so the owner
 * releases its completion key and whatever else it holds then.
 *
 * <p><b>Threads.</b> Loop thread only. Allocates nothing after construction.
 */
final class IoBlock {
    /** The most slots one block tracks (one bit each). */
    static final int MAX_SLOTS = 31;

    /** The block's first byte; valid until {@link #freeIfDone()} returns true. */
    final long address;
    private final int slots;
    private int inFlight;
    private boolean closed;
    private boolean freed;

    /** Allocates {@code slots} zeroed OVERLAPPEDs followed by {@code bytesAfter} zeroed bytes. */
    IoBlock(int slots, long bytesAfter) {
        if (slots < 1 || slots > MAX_SLOTS) {
            throw new IllegalArgumentException("slots out of range 1.." + MAX_SLOTS + ": " + slots);
        }
        if (bytesAfter < 0) {
            throw new IllegalArgumentException("bytesAfter is negative: " + bytesAfter);
        }
        this.slots = slots;
        this.address = Mem.allocate(after(slots) + bytesAfter);
    }

    /** The offset of the first byte after {@code slots} OVERLAPPEDs, where an owner's own fields begin. */
    static int after(int slots) {
        return slots * OVERLAPPED_SIZE;
    }

    /** The address of {@code slot}'s OVERLAPPED. */
    long overlapped(int slot) {
        return address + (long) slot * OVERLAPPED_SIZE;
    }

    /**
     * Zeroes {@code slot}'s OVERLAPPED and marks it held by the kernel; returns its address, for the
     * operation the caller starts at once. Every start is matched by one {@link #complete}.
     */
    long start(int slot) {
        if (slot < 0 || slot >= slots) {
            throw new IllegalArgumentException("slot out of range 0.." + (slots - 1) + ": " + slot);
        }
        int bit = 1 << slot;
        if ((inFlight & bit) != 0) {
            throw new IllegalStateException("slot " + slot + " already has an operation in flight");
        }
        long ov = overlapped(slot);
        Mem.zero(ov, OVERLAPPED_SIZE);
        inFlight |= bit;
        return ov;
    }

    /**
     * The slot whose OVERLAPPED is at {@code overlapped}, now back from the kernel; -1 when the address
     * is none of this block's slots.
     */
    int complete(long overlapped) {
        long offset = overlapped - address;
        if (offset < 0 || offset % OVERLAPPED_SIZE != 0 || offset / OVERLAPPED_SIZE >= slots) {
            return -1;
        }
        int slot = (int) (offset / OVERLAPPED_SIZE);
        inFlight &= ~(1 << slot);
        return slot;
    }

    /** Whether the kernel holds {@code slot}'s operation. */
    boolean inFlight(int slot) {
        return (inFlight & (1 << slot)) != 0;
    }

    /** Whether no operation is in flight. */
    boolean idle() {
        return inFlight == 0;
    }

    /** Whether the handle has been closed. */
    boolean isClosed() {
        return closed;
    }

    /** Records that the handle is closed: true the first time only, when the caller closes it. */
    boolean close() {
        if (closed) {
            return false;
        }
        closed = true;
        return true;
    }

    /**
     * Frees the block if the handle is closed and nothing is in flight: true the one time it does
     * (the owner then releases its key), false before and after.
     */
    boolean freeIfDone() {
        if (freed || !closed || inFlight != 0) {
            return false;
        }
        freed = true;
        Mem.free(address);
        return true;
    }
}
