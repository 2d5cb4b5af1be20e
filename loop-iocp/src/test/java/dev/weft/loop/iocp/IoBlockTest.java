package dev.weft.loop.iocp;

import static dev.weft.loop.iocp.WinConstants.OVERLAPPED_SIZE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The OVERLAPPED slots and the release rule shared by streams and datagrams (plain memory: runs on every OS). */
class IoBlockTest {
    @Test
    void shouldFreeOnlyOnceClosedAndEverySlotCompleted() {
        long before = Mem.liveAllocations();
        IoBlock block = new IoBlock(3, 64);
        assertEquals(before + 1, Mem.liveAllocations(), "one allocation for the slots and the bytes after them");
        long read = block.start(0);
        long file = block.start(2);
        assertTrue(block.close(), "the first close is the caller's to do");
        assertFalse(block.freeIfDone(), "the kernel still holds two OVERLAPPEDs");
        assertEquals(0, block.complete(read));
        assertFalse(block.freeIfDone(), "the kernel still holds one OVERLAPPED");
        assertEquals(2, block.complete(file));
        assertTrue(block.freeIfDone());
        assertEquals(before, Mem.liveAllocations());
        assertFalse(block.freeIfDone(), "freed once only");
    }

    @Test
    void shouldKeepAnOpenBlockWithNothingInFlight() {
        IoBlock block = new IoBlock(2, 0);
        assertTrue(block.idle());
        assertFalse(block.freeIfDone(), "the handle is still open");
        assertFalse(block.isClosed());
        assertTrue(block.close());
        assertFalse(block.close(), "closed once only");
        assertTrue(block.isClosed());
        assertTrue(block.freeIfDone());
    }

    @Test
    void shouldTrackEachSlotApart() {
        IoBlock block = new IoBlock(2, 0);
        long send = block.start(1);
        assertEquals(block.address + OVERLAPPED_SIZE, send);
        assertEquals(send, block.overlapped(1));
        assertTrue(block.inFlight(1));
        assertFalse(block.inFlight(0));
        assertFalse(block.idle());
        assertEquals(1, block.complete(send));
        assertFalse(block.inFlight(1));
        assertTrue(block.idle());
        block.close();
        assertTrue(block.freeIfDone());
    }

    @Test
    void shouldAnswerMinusOneForAnAddressThatIsNoneOfItsSlots() {
        IoBlock block = new IoBlock(2, 64);
        block.start(0);
        assertEquals(-1, block.complete(block.address + 2L * OVERLAPPED_SIZE), "past the last slot");
        assertEquals(-1, block.complete(block.address + 8), "inside a slot");
        assertEquals(-1, block.complete(block.address - OVERLAPPED_SIZE), "before the block");
        assertTrue(block.inFlight(0), "a foreign address completes nothing");
        assertEquals(0, block.complete(block.address));
        block.close();
        assertTrue(block.freeIfDone());
    }

    @Test
    void shouldZeroTheOverlappedWhenAnOperationStarts() {
        IoBlock block = new IoBlock(1, 8);
        for (int i = 0; i < OVERLAPPED_SIZE; i += 8) {
            Mem.putLong(block.address + i, -1L);
        }
        long ov = block.start(0);
        for (int i = 0; i < OVERLAPPED_SIZE; i += 8) {
            assertEquals(0L, Mem.getLong(ov + i), "byte " + i + " of the OVERLAPPED");
        }
        block.complete(ov);
        block.close();
        assertTrue(block.freeIfDone());
    }

    @Test
    void shouldRefuseASecondStartOnASlotInFlight() {
        IoBlock block = new IoBlock(1, 0);
        long ov = block.start(0);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> block.start(0));
        assertTrue(e.getMessage().contains("slot 0"), e.getMessage());
        block.complete(ov);
        block.close();
        assertTrue(block.freeIfDone());
    }

    @Test
    void shouldRefuseToStartASlotItDoesNotHave() {
        IoBlock block = new IoBlock(2, 0);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> block.start(2));
        assertTrue(e.getMessage().contains("slot") && e.getMessage().contains(": 2"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> block.start(-1));
        assertTrue(block.idle(), "nothing was started");
        block.close();
        assertTrue(block.freeIfDone());
    }

    @Test
    void shouldRefuseASlotCountOrSizeOutOfRangeBeforeAllocating() {
        long before = Mem.liveAllocations();
        IllegalArgumentException none = assertThrows(IllegalArgumentException.class, () -> new IoBlock(0, 8));
        assertTrue(none.getMessage().contains("slots") && none.getMessage().contains(": 0"), none.getMessage());
        IllegalArgumentException many = assertThrows(IllegalArgumentException.class,
                () -> new IoBlock(IoBlock.MAX_SLOTS + 1, 8));
        assertTrue(many.getMessage().contains(": " + (IoBlock.MAX_SLOTS + 1)), many.getMessage());
        IllegalArgumentException negative = assertThrows(IllegalArgumentException.class, () -> new IoBlock(1, -1));
        assertTrue(negative.getMessage().contains("bytesAfter") && negative.getMessage().contains("-1"),
                negative.getMessage());
        assertEquals(before, Mem.liveAllocations());
    }
}
