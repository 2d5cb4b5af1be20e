package dev.weft.loop.iocp;

import static dev.weft.loop.iocp.WinConstants.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * Pins every struct size and offset of {@link WinConstants} against what Windows itself writes or
 * reads: the kernel filling OVERLAPPED_ENTRY arrays and OVERLAPPED blocks, reading WSABUF arrays,
 * filling and reading socket addresses.
 */
@EnabledOnOs(OS.WINDOWS)
@Timeout(30)
class WinConstantsTest {
    private static final byte GUARD = (byte) 0xA5;

    @Test
    void shouldMatchOverlappedEntryLayoutFilledByGetQueuedCompletionStatusEx() throws Exception {
        try (CompletionPort port = new CompletionPort(2)) {
            long entries = port.entriesAddress();
            fill(entries, 2 * OVERLAPPED_ENTRY_SIZE, GUARD);
            assertTrue(port.post(0x11223344, 0x0102030405060708L, 0x7f00aabbccdd0010L));
            assertTrue(port.post(0x55667788, 0x1112131415161718L, 0x7f00aabbccdd0020L));
            assertEquals(2, port.dequeue(1000));
            // Packets come out in the order they were posted (one thread, FIFO queue).
            assertEquals(0x0102030405060708L, Mem.getLong(entries + ENTRY_COMPLETION_KEY));
            assertEquals(0x7f00aabbccdd0010L, Mem.getLong(entries + ENTRY_OVERLAPPED));
            assertEquals(0x11223344, Mem.getInt(entries + ENTRY_BYTES));
            long second = entries + OVERLAPPED_ENTRY_SIZE;
            assertEquals(0x1112131415161718L, Mem.getLong(second + ENTRY_COMPLETION_KEY));
            assertEquals(0x7f00aabbccdd0020L, Mem.getLong(second + ENTRY_OVERLAPPED));
            assertEquals(0x55667788, Mem.getInt(second + ENTRY_BYTES));
            // Internal (ULONG_PTR) sits between the pointer and the byte count: written, not ours.
            assertEquals(ENTRY_OVERLAPPED + 8, ENTRY_INTERNAL);
            assertEquals(ENTRY_INTERNAL + 8, ENTRY_BYTES);
        }
    }

    @Test
    void shouldMatchSockaddrInFilledByGetsockname() throws Exception {
        long s = WinSock.open(AF_INET);
        long sa = Mem.allocate(SOCKADDR_STORAGE_SIZE + 16);
        try {
            WinSock.bind(s, new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
            fill(sa, SOCKADDR_STORAGE_SIZE + 16, GUARD);
            long len = sa + SOCKADDR_STORAGE_SIZE + 8;
            Mem.putInt(len, SOCKADDR_STORAGE_SIZE);
            assertEquals(0, Ws2.getsockname(s, sa, len), () -> "getsockname: " + WinError.last());
            assertEquals(SOCKADDR_IN_SIZE, Mem.getInt(len), "the kernel's sizeof(SOCKADDR_IN)");
            assertEquals(AF_INET, Mem.getShort(sa + SA_FAMILY));
            assertNotEquals(0, Mem.getShort(sa + SA_PORT), "an ephemeral port was bound");
            assertEquals(0x7f000001, Integer.reverseBytes(Mem.getInt(sa + SIN_ADDR)), "127.0.0.1, network order");
            // A buffer one byte short of SOCKADDR_IN is refused: 16 is the exact size.
            Mem.putInt(len, SOCKADDR_IN_SIZE - 1);
            assertNotEquals(0, Ws2.getsockname(s, sa, len));
            assertEquals(WSAEFAULT, WinError.last());
        } finally {
            WinSock.close(s);
            Mem.free(sa);
        }
    }

    @Test
    void shouldMatchSockaddrIn6FilledByGetsocknameAndStorageHoldsIt() throws Exception {
        long s = WinSock.open(AF_INET6);
        long sa = Mem.allocate(SOCKADDR_STORAGE_SIZE + 16);
        try {
            WinSock.bind(s, new InetSocketAddress(InetAddress.getByName("::1"), 0));
            fill(sa, SOCKADDR_STORAGE_SIZE + 16, GUARD);
            long len = sa + SOCKADDR_STORAGE_SIZE + 8;
            Mem.putInt(len, SOCKADDR_STORAGE_SIZE);
            assertEquals(0, Ws2.getsockname(s, sa, len), () -> "getsockname: " + WinError.last());
            assertEquals(SOCKADDR_IN6_SIZE, Mem.getInt(len), "the kernel's sizeof(SOCKADDR_IN6)");
            assertEquals(AF_INET6, Mem.getShort(sa + SA_FAMILY));
            assertNotEquals(0, Mem.getShort(sa + SA_PORT));
            assertEquals(0, Mem.getInt(sa + SIN6_FLOWINFO));
            byte[] loopback = new byte[16];
            loopback[15] = 1;
            byte[] raw = new byte[16];
            Mem.copy(sa + SIN6_ADDR, raw, 0, 16);
            assertArrayEquals(loopback, raw, "::1 at SIN6_ADDR");
            assertEquals(0, Mem.getInt(sa + SIN6_SCOPE_ID), "scope id of ::1");
            // Nothing is written past SOCKADDR_IN6 and so nothing past the 128-byte storage either.
            for (int i = SOCKADDR_IN6_SIZE; i < SOCKADDR_STORAGE_SIZE; i++) {
                assertEquals(GUARD, Mem.getByte(sa + i), "byte " + i + " untouched");
            }
            Mem.putInt(len, SOCKADDR_IN6_SIZE - 1);
            assertNotEquals(0, Ws2.getsockname(s, sa, len));
            assertEquals(WSAEFAULT, WinError.last(), "27 bytes are too few: 28 is the exact size");
            // SOCKADDR_STORAGE is used only as room for any address: it must hold the largest one.
            assertTrue(SOCKADDR_STORAGE_SIZE >= SOCKADDR_IN6_SIZE && SOCKADDR_STORAGE_SIZE % 8 == 0);
            // What the kernel filled reads back as the address that was bound.
            InetSocketAddress read = WinSock.readAddress(sa);
            assertEquals(InetAddress.getByName("::1"), read.getAddress());
        } finally {
            WinSock.close(s);
            Mem.free(sa);
        }
    }

    @Test
    void shouldMatchSockaddrLayoutsReadByBind() throws Exception {
        // bind reads what writeAddress laid out: the port the kernel reports is the one we wrote.
        for (String host : new String[] {"127.0.0.1", "::1"}) {
            InetAddress ip = InetAddress.getByName(host);
            long probe = WinSock.open(WinSock.family(new InetSocketAddress(ip, 0)));
            int port;
            try {
                WinSock.bind(probe, new InetSocketAddress(ip, 0));
                port = WinSock.localAddress(probe).getPort();
            } finally {
                WinSock.close(probe);
            }
            long s = WinSock.open(WinSock.family(new InetSocketAddress(ip, 0)));
            try {
                WinSock.bind(s, new InetSocketAddress(ip, port));
                assertEquals(new InetSocketAddress(ip, port), WinSock.localAddress(s));
            } finally {
                WinSock.close(s);
            }
        }
    }

    @Test
    void shouldMatchOverlappedAndWsabufLayoutsInALoopbackTransfer() throws Exception {
        try (CompletionPort port = new CompletionPort(4); Loopback pair = Loopback.open(port)) {
            // Two OVERLAPPED blocks back to back, each followed by guard bytes up to the next.
            long block = Mem.allocate(3 * OVERLAPPED_SIZE);
            long bufs = Mem.allocate(3 * WSABUF_SIZE);
            long data = Mem.allocate(64);
            long recvData = Mem.allocate(64);
            long scratch = Mem.allocate(16);
            try {
                fill(block, 3 * OVERLAPPED_SIZE, (byte) 0);
                fill(block + 2 * OVERLAPPED_SIZE, OVERLAPPED_SIZE, GUARD);
                long recvOv = block;
                long sendOv = block + OVERLAPPED_SIZE;
                // WSABUF array of 2 (stride 16): "abc" then "defgh"; a third entry is a trap.
                for (int i = 0; i < 8; i++) {
                    Mem.putByte(data + i, (byte) ('a' + i));
                }
                Mem.putInt(bufs + WSABUF_LEN, 3);
                Mem.putLong(bufs + WSABUF_BUF, data);
                Mem.putInt(bufs + WSABUF_SIZE + WSABUF_LEN, 5);
                Mem.putLong(bufs + WSABUF_SIZE + WSABUF_BUF, data + 3);
                Mem.putInt(bufs + 2 * WSABUF_SIZE + WSABUF_LEN, 0);
                Mem.putLong(bufs + 2 * WSABUF_SIZE + WSABUF_BUF, 0L);

                long recvBuf = Mem.allocate(WSABUF_SIZE);
                Mem.putInt(recvBuf + WSABUF_LEN, 64);
                Mem.putLong(recvBuf + WSABUF_BUF, recvData);
                Mem.putInt(scratch + 8, 0);
                int rc = Ws2.WSARecv(pair.server, recvBuf, 1, 0L, scratch + 8, recvOv, 0L);
                int error = rc == 0 ? 0 : WinError.last();
                assertTrue(rc == 0 || error == WSA_IO_PENDING, "WSARecv: " + error);
                rc = Ws2.WSASend(pair.client, bufs, 2, 0L, 0, sendOv, 0L);
                error = rc == 0 ? 0 : WinError.last();
                assertTrue(rc == 0 || error == WSA_IO_PENDING, "WSASend: " + error);

                boolean recvDone = false;
                boolean sendDone = false;
                while (!recvDone || !sendDone) {
                    int n = port.dequeue(5000);
                    assertTrue(n > 0, "completions arrive");
                    for (int i = 0; i < n; i++) {
                        if (port.overlapped(i) == recvOv) {
                            recvDone = true;
                            assertEquals(8, port.bytes(i));
                        } else if (port.overlapped(i) == sendOv) {
                            sendDone = true;
                            assertEquals(8, port.bytes(i), "both WSABUFs were sent, the trap was not read");
                        }
                    }
                }
                byte[] got = new byte[8];
                Mem.copy(recvData, got, 0, 8);
                assertEquals("abcdefgh", new String(got, java.nio.charset.StandardCharsets.US_ASCII));
                // OVERLAPPED: Internal holds the NTSTATUS, InternalHigh the byte count.
                assertEquals(STATUS_SUCCESS, Mem.getInt(recvOv + OVERLAPPED_INTERNAL));
                assertEquals(8L, Mem.getLong(recvOv + OVERLAPPED_INTERNAL_HIGH));
                assertEquals(8L, Mem.getLong(sendOv + OVERLAPPED_INTERNAL_HIGH));
                // GetOverlappedResult reads the same fields through the documented layout.
                assertTrue(Kernel32.GetOverlappedResult(pair.server, recvOv, scratch, 0) != 0);
                assertEquals(8, Mem.getInt(scratch));
                // 32 bytes each: the completion of the first did not write into the second's guard.
                for (int i = 0; i < OVERLAPPED_SIZE; i++) {
                    assertEquals(GUARD, Mem.getByte(block + 2 * OVERLAPPED_SIZE + i));
                }
                Mem.free(recvBuf);
            } finally {
                Mem.free(block);
                Mem.free(bufs);
                Mem.free(data);
                Mem.free(recvData);
                Mem.free(scratch);
            }
        }
    }

    @Test
    void shouldLayOutExtensionGuidsAsWindowsDoes() throws Exception {
        // A wrong GUID byte order makes WSAIoctl fail: getting both functions proves the layout.
        long s = WinSock.open(AF_INET);
        try {
            assertNotEquals(null, WinSock.acceptEx(s, AF_INET));
            assertNotEquals(null, WinSock.connectEx(s, AF_INET));
        } finally {
            WinSock.close(s);
        }
    }

    private static void fill(long address, int length, byte value) {
        for (int i = 0; i < length; i++) {
            Mem.putByte(address + i, value);
        }
    }
}
