package dev.weft.loop.posix;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.weft.loop.UnixSocketAddress;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

/** sockaddr_un as each OS lays it out: exact lengths (abstract names), sun_len on the BSDs. */
class SockAddrUnixTest {
    private final UnsafeBuffer buf = new UnsafeBuffer(new byte[128]);

    @Test
    void shouldPinTheSockaddrUnLayoutOfEveryOs() {
        assertEquals(1, LinuxAbi.ABI.AF_UNIX);
        assertEquals(110, LinuxAbi.ABI.SOCKADDR_UN_SIZE);
        assertEquals(2, LinuxAbi.ABI.SUN_PATH);
        assertEquals(108, LinuxAbi.ABI.SUN_PATH_SIZE);
        assertEquals(17, LinuxAbi.ABI.SO_PEERCRED);
        assertEquals(12, LinuxAbi.ABI.UCRED_SIZE);
        assertEquals(List.of(0, 4, 8), List.of(LinuxAbi.ABI.UCRED_PID, LinuxAbi.ABI.UCRED_UID, LinuxAbi.ABI.UCRED_GID));
        for (PosixAbi bsd : List.of(DarwinAbi.ABI, FreeBsdAbi.ABI)) {
            assertEquals(1, bsd.AF_UNIX, bsd.os);
            assertEquals(106, bsd.SOCKADDR_UN_SIZE, bsd.os);
            assertEquals(2, bsd.SUN_PATH, bsd.os);
            assertEquals(104, bsd.SUN_PATH_SIZE, bsd.os);
            assertEquals(0, bsd.SO_PEERCRED, bsd.os + " has LOCAL_PEERCRED instead");
        }
        for (PosixAbi abi : List.of(LinuxAbi.ABI, DarwinAbi.ABI, FreeBsdAbi.ABI)) {
            assertEquals(abi.SOCKADDR_UN_SIZE, abi.SUN_PATH + abi.SUN_PATH_SIZE, abi.os);
            assertTrue(abi.SOCKADDR_UN_SIZE <= Scratch.ADDR_LEN, "fits the scratch sockaddr area");
        }
    }

    @Test
    void shouldAgreeWithUnixSocketAddressOnTheRunningOsLimit() {
        PosixAbi abi = PosixAbi.current();
        assumeTrue(abi != null, "no POSIX ABI here");
        assertEquals(abi.SUN_PATH_SIZE - 1, UnixSocketAddress.maxPathBytes());
    }

    @Test
    void shouldEncodeAPathWithItsTerminatorOnLinux() throws IOException {
        int len = SockAddr.encodeUnix(LinuxAbi.ABI, buf, 0, UnixSocketAddress.of("/tmp/s"));
        assertEquals(2 + 6 + 1, len);
        assertEquals(1, buf.getShort(0, ByteOrder.nativeOrder()));
        assertEquals("/tmp/s", buf.getStringWithoutLengthAscii(2, 6));
        assertEquals(0, buf.getByte(8));
        assertEquals(UnixSocketAddress.of("/tmp/s"), SockAddr.decodeUnix(LinuxAbi.ABI, buf, 0, len));
    }

    @Test
    void shouldEncodeAnAbstractNameWithExactlyItsBytes() throws IOException {
        String name = "\0weft";
        buf.setMemory(0, 128, (byte) 0x7f);
        int len = SockAddr.encodeUnix(LinuxAbi.ABI, buf, 0, UnixSocketAddress.of(name));
        assertEquals(2 + 5, len, "no strlen, no terminator: the NUL-led name is counted whole");
        assertEquals(0, buf.getByte(2));
        assertEquals(name, SockAddr.decodeUnix(LinuxAbi.ABI, buf, 0, len).path());
        // A name with a NUL inside, as another program may bind, decodes whole.
        byte[] inner = "\0a\0b".getBytes(StandardCharsets.UTF_8);
        buf.putBytes(2, inner);
        assertEquals("\0a\0b", SockAddr.decodeUnix(LinuxAbi.ABI, buf, 0, 2 + inner.length).path());
    }

    @Test
    void shouldWriteSunLenAndAOneByteFamilyOnTheBsds() throws IOException {
        for (PosixAbi bsd : List.of(DarwinAbi.ABI, FreeBsdAbi.ABI)) {
            int len = SockAddr.encodeUnix(bsd, buf, 0, UnixSocketAddress.of("/var/run/x.sock"));
            assertEquals(2 + 15 + 1, len, bsd.os);
            assertEquals(len, buf.getByte(0), bsd.os + " sun_len");
            assertEquals(bsd.AF_UNIX, buf.getByte(1), bsd.os + " sun_family");
            assertEquals("/var/run/x.sock", SockAddr.decodeUnix(bsd, buf, 0, len).path(), bsd.os);
        }
    }

    @Test
    void shouldDecodeAnUnnamedSocketAsAnEmptyPath() {
        assertSame(UnixSocketAddress.UNNAMED, SockAddr.decodeUnix(LinuxAbi.ABI, buf, 0, 2));
        assertEquals("", UnixSocketAddress.UNNAMED.path());
        assertNull(UnixSocketAddress.UNNAMED.toPath());
    }

    @Test
    void shouldRefuseANameThatDoesNotFitSunPath() {
        // 104-byte sun_path: a 104-byte file path has no room for its NUL (fits Linux's 108).
        String path = "/" + "p".repeat(103);
        UnixSocketAddress a = UnixSocketAddress.of(path.substring(0, 100));
        assertEquals(100, a.byteLength());
        IOException e = assertThrows(IOException.class, () -> SockAddr.encodeUnix(DarwinAbi.ABI, buf, 0,
                UnixSocketAddress.fromKernel(path)));
        assertTrue(e.getMessage().contains("104 bytes"), e.getMessage());
    }
}
