package dev.weft.loop.kqueue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.jna.Native;
import java.nio.ByteBuffer;
import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The {@code struct kevent} layouts and per-OS values: macOS and FreeBSD pinned to their documented
 * headers ({@code <sys/event.h>}: xnu's {@code struct kevent}, FreeBSD 11's, and FreeBSD 12's with
 * {@code int64_t data} and {@code uint64_t ext[4]}); libkqueue's checked against the library itself.
 */
@Timeout(30)
class KqueueNativeTest {
    @Test
    void shouldUseThe32ByteLayoutAndEvfiltUserMinus10OnMacOs() {
        KqueueNative.Abi abi = KqueueNative.Abi.forOs("Mac OS X", "14.5");
        assertSame(KqueueNative.Abi.MACOS, abi);
        assertEquals(32, abi.keventSize);
        assertEquals(-10, abi.evfiltUser);
        assertEquals(0x4, abi.oNonblock);
        assertEquals(35, abi.eagain);
        assertFalse(abi.libkqueue);
    }

    @Test
    void shouldUseThe32ByteLayoutOnFreeBsd11AndThe64ByteOneFrom12() {
        assertEquals(32, KqueueNative.Abi.forOs("FreeBSD", "11.4-RELEASE-p13").keventSize);
        KqueueNative.Abi v12 = KqueueNative.Abi.forOs("FreeBSD", "12.0-RELEASE");
        assertEquals(64, v12.keventSize);
        assertEquals(64, KqueueNative.Abi.forOs("FreeBSD", "14.1-RELEASE").keventSize);
        assertEquals(-11, v12.evfiltUser);
        // FreeBSD 12: {uintptr_t ident; short filter; u_short flags; u_int fflags; int64_t data;
        // void *udata; uint64_t ext[4];}: ext follows udata at 32, four 8-byte words to 64.
        assertEquals(KqueueNative.KEVENT_UDATA + 8, KqueueNative.KEVENT_EXT);
        assertEquals(KqueueNative.KEVENT_EXT + 4 * 8, v12.keventSize);
        assertEquals(0, KqueueNative.Abi.freeBsdMajor("RELEASE"));
        assertEquals(13, KqueueNative.Abi.freeBsdMajor("13.2-STABLE"));
    }

    @Test
    void shouldPinTheFieldOffsetsSharedByEveryLayout() {
        // ident (uintptr_t) 0, filter (short) 8, flags (u_short) 10, fflags (u_int) 12,
        // data (intptr_t / int64_t) 16, udata (void *) 24: the 32-byte layout, and the start of the 64-byte one.
        assertEquals(0, KqueueNative.KEVENT_IDENT);
        assertEquals(8, KqueueNative.KEVENT_FILTER);
        assertEquals(10, KqueueNative.KEVENT_FLAGS);
        assertEquals(12, KqueueNative.KEVENT_FFLAGS);
        assertEquals(16, KqueueNative.KEVENT_DATA);
        assertEquals(24, KqueueNative.KEVENT_UDATA);
        assertEquals(32, KqueueNative.Abi.MACOS.keventSize);
    }

    @Test
    void shouldUseLibkqueueOnLinuxAndNothingElsewhere() {
        KqueueNative.Abi linux = KqueueNative.Abi.forOs("Linux", "6.1.0");
        assertSame(KqueueNative.Abi.LIBKQUEUE, linux);
        assertEquals(32, linux.keventSize);
        assertEquals(-11, linux.evfiltUser);
        assertEquals(0x800, linux.oNonblock);
        assertTrue(linux.libkqueue);
        assertNull(KqueueNative.Abi.forOs("Windows 11", "10.0"));
        assertEquals("kqueue", KqueueNative.Abi.libraryFor("Linux", null));
        assertEquals("c", KqueueNative.Abi.libraryFor("Mac OS X", " "));
        assertEquals("/x/libkqueue.so.0", KqueueNative.Abi.libraryFor("Linux", " /x/libkqueue.so.0 "));
    }

    /**
     * The layout this JVM uses, against the loaded library: an EVFILT_USER event and a readable pipe
     * come back with ident, filter, flags, fflags, data and udata where the offsets say, one
     * {@code keventSize} apart, and nothing is written past the events returned.
     */
    @Test
    void shouldMatchTheLayoutOfTheLoadedLibrary() {
        KqueueTesting.assumeAvailable();
        KqueueNative.Abi abi = KqueueNative.Abi.CURRENT;
        int size = abi.keventSize;
        ByteBuffer mem = ByteBuffer.allocateDirect(8 * size + 16);
        UnsafeBuffer b = new UnsafeBuffer(mem);
        long base = BufferUtil.address(mem);
        int kq = KqueueNative.kqueue();
        assertTrue(kq >= 0, "kqueue() errno " + Native.getLastError());
        int[] pipe = new int[2];
        try {
            long ident = 0x1234_5678_9abcL;
            long udata = 0x0bad_cafe_f00d_beefL;
            long zero = base + 7L * size + 8;
            // A pipe with 5 bytes in it, watched for reading: data counts them. Submitted with an
            // event array (libkqueue 2.3 refuses a read filter without one); what it returns there
            // is level-triggered and comes again below.
            assertEquals(0, KqueueNative.Fd.pipe(base + 7L * size), "pipe errno " + Native.getLastError());
            pipe[0] = b.getInt(7 * size);
            pipe[1] = b.getInt(7 * size + 4);
            b.putLong(7 * size, 0x0102030405L);
            assertEquals(5, KqueueNative.Fd.write(pipe[1], base + 7L * size, 5));
            b.putLong(7 * size + 8, 0);
            b.putLong(7 * size + 16, 0);
            long pipeUdata = 0x5eed_5eedL;
            change(b, size, size, pipe[0], KqueueNative.EVFILT_READ, KqueueNative.EV_ADD, 0, pipeUdata);
            assertTrue(KqueueNative.kevent(kq, base + size, 1, base + 2L * size, 4, zero) >= 0,
                    "EVFILT_READ add errno " + Native.getLastError());
            // An EVFILT_USER event, added and then triggered with fflags copied in.
            change(b, 0, size, ident, abi.evfiltUser, KqueueNative.EV_ADD | KqueueNative.EV_CLEAR, 0, udata);
            assertEquals(0, KqueueNative.kevent(kq, base, 1, 0L, 0, 0L), "EVFILT_USER add errno " + Native.getLastError());
            change(b, 0, size, ident, abi.evfiltUser, 0, KqueueNative.NOTE_TRIGGER | KqueueNative.NOTE_FFCOPY | 0x00abcd, udata);
            assertEquals(0, KqueueNative.kevent(kq, base, 1, 0L, 0, 0L), "NOTE_TRIGGER errno " + Native.getLastError());
            b.setMemory(2 * size, 5 * size, (byte) 0x7f);
            int total = KqueueNative.kevent(kq, 0L, 0, base + 2L * size, 4, zero);
            assertEquals(2, total, "the user event and the pipe (errno " + Native.getLastError() + ")");
            boolean sawUser = false;
            boolean sawPipe = false;
            for (int i = 0; i < total; i++) {
                int at = (2 + i) * size;
                short filter = b.getShort(at + KqueueNative.KEVENT_FILTER);
                if (filter == abi.evfiltUser) {
                    sawUser = true;
                    assertEquals(ident, b.getLong(at + KqueueNative.KEVENT_IDENT));
                    assertEquals(0x00abcd, b.getInt(at + KqueueNative.KEVENT_FFLAGS) & KqueueNative.NOTE_FFLAGSMASK);
                    assertTrue((b.getShort(at + KqueueNative.KEVENT_FLAGS) & KqueueNative.EV_CLEAR) != 0, "EV_CLEAR kept");
                    assertEquals(udata, b.getLong(at + KqueueNative.KEVENT_UDATA));
                } else {
                    sawPipe = true;
                    assertEquals(KqueueNative.EVFILT_READ, filter);
                    assertEquals(pipe[0], b.getLong(at + KqueueNative.KEVENT_IDENT));
                    assertEquals(5, b.getLong(at + KqueueNative.KEVENT_DATA), "bytes readable");
                    assertEquals(pipeUdata, b.getLong(at + KqueueNative.KEVENT_UDATA));
                }
            }
            assertTrue(sawUser && sawPipe);
            for (int at = (2 + total) * size; at < 7 * size; at++) {
                assertEquals((byte) 0x7f, b.getByte(at), "nothing written past the returned events, offset " + at);
            }
            change(b, 0, size, pipe[0], KqueueNative.EVFILT_READ, KqueueNative.EV_DELETE, 0, 0);
            KqueueNative.kevent(kq, base, 1, base + 2L * size, 4, zero);
        } finally {
            if (pipe[0] > 0) {
                KqueueNative.Fd.close(pipe[0]);
                KqueueNative.Fd.close(pipe[1]);
            }
            KqueueNative.Fd.close(kq);
            BufferUtil.free(mem);
        }
    }

    private static void change(UnsafeBuffer b, int at, int size, long ident, short filter, int flags, int fflags, long udata) {
        b.setMemory(at, size, (byte) 0);
        b.putLong(at + KqueueNative.KEVENT_IDENT, ident);
        b.putShort(at + KqueueNative.KEVENT_FILTER, filter);
        b.putShort(at + KqueueNative.KEVENT_FLAGS, (short) flags);
        b.putInt(at + KqueueNative.KEVENT_FFLAGS, fflags);
        b.putLong(at + KqueueNative.KEVENT_UDATA, udata);
    }
}
