package dev.weft.loop.posix;

import dev.weft.loop.UnixSocketAddress;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Encodes and decodes {@code sockaddr_in} / {@code sockaddr_in6} / {@code sockaddr_un} in native memory, following one
 * {@link PosixAbi}'s layout (a two-byte family on Linux; {@code sin_len} then a one-byte family on
 * the BSDs). Ports and IPv4 addresses are in network byte order, the family in host order.
 * Stateless, thread-safe; the memory belongs to the caller.
 */
final class SockAddr {
    private SockAddr() {
    }

    /**
     * Writes {@code address} at {@code offset} of {@code buf} (an {@link Inet4Address} as
     * {@code sockaddr_in}, an {@link Inet6Address} as {@code sockaddr_in6}) and returns its length.
     */
    static int encode(PosixAbi abi, UnsafeBuffer buf, int offset, InetSocketAddress address) throws IOException {
        if (address.isUnresolved()) {
            throw new IOException("cannot use unresolved address " + address);
        }
        InetAddress ia = address.getAddress();
        int port = address.getPort();
        buf.setMemory(offset, abi.SOCKADDR_STORAGE_SIZE, (byte) 0);
        if (ia instanceof Inet4Address) {
            int len = abi.SOCKADDR_IN_SIZE;
            family(abi, buf, offset, abi.AF_INET, len);
            buf.putShort(offset + abi.SIN_PORT, (short) port, ByteOrder.BIG_ENDIAN);
            buf.putBytes(offset + abi.SIN_ADDR, ia.getAddress());
            return len;
        }
        Inet6Address i6 = (Inet6Address) ia;
        int len = abi.SOCKADDR_IN6_SIZE;
        family(abi, buf, offset, abi.AF_INET6, len);
        buf.putShort(offset + abi.SIN6_PORT, (short) port, ByteOrder.BIG_ENDIAN);
        buf.putBytes(offset + abi.SIN6_ADDR, i6.getAddress());
        buf.putInt(offset + abi.SIN6_SCOPE_ID, i6.getScopeId(), ByteOrder.nativeOrder());
        return len;
    }

    /**
     * As {@link #encode}, but an IPv4 address goes out as IPv4-mapped IPv6 ({@code ::ffff:a.b.c.d}),
     * for an {@code AF_INET6} socket.
     */
    static int encodeAs6(PosixAbi abi, UnsafeBuffer buf, int offset, InetSocketAddress address) throws IOException {
        if (address.isUnresolved() || !(address.getAddress() instanceof Inet4Address)) {
            return encode(abi, buf, offset, address);
        }
        byte[] v4 = address.getAddress().getAddress();
        buf.setMemory(offset, abi.SOCKADDR_STORAGE_SIZE, (byte) 0);
        int len = abi.SOCKADDR_IN6_SIZE;
        family(abi, buf, offset, abi.AF_INET6, len);
        buf.putShort(offset + abi.SIN6_PORT, (short) address.getPort(), ByteOrder.BIG_ENDIAN);
        buf.putByte(offset + abi.SIN6_ADDR + 10, (byte) 0xff);
        buf.putByte(offset + abi.SIN6_ADDR + 11, (byte) 0xff);
        buf.putBytes(offset + abi.SIN6_ADDR + 12, v4);
        return len;
    }

    /**
     * Writes {@code address} as {@code sockaddr_un} and returns the length to pass to bind/connect.
     * The length counts exactly the name's bytes, so an abstract name (leading NUL) is taken whole,
     * with no terminator and nothing after it; a file system path is followed by its NUL.
     */
    static int encodeUnix(PosixAbi abi, UnsafeBuffer buf, int offset, UnixSocketAddress address) throws IOException {
        byte[] name = address.path().getBytes(StandardCharsets.UTF_8);
        boolean abstractName = address.isAbstract();
        int room = abstractName ? abi.SUN_PATH_SIZE : abi.SUN_PATH_SIZE - 1;
        if (name.length == 0 || name.length > room) {
            throw new IOException("Unix socket path of " + name.length + " bytes does not fit sun_path ("
                    + abi.SUN_PATH_SIZE + " bytes on " + abi.os + "): " + address);
        }
        buf.setMemory(offset, abi.SOCKADDR_UN_SIZE, (byte) 0);
        int len = abi.SUN_PATH + name.length + (abstractName ? 0 : 1);
        family(abi, buf, offset, abi.AF_UNIX, len);
        buf.putBytes(offset + abi.SUN_PATH, name);
        return len;
    }

    /**
     * Reads the {@code sockaddr_un} at {@code offset} whose length the kernel returned as
     * {@code len}: an unnamed socket ({@code len} covers no path) gives {@link UnixSocketAddress#UNNAMED},
     * an abstract name all {@code len - SUN_PATH} bytes (NULs included), a path the bytes before its NUL.
     */
    static UnixSocketAddress decodeUnix(PosixAbi abi, UnsafeBuffer buf, int offset, int len) {
        int n = Math.min(len, abi.SOCKADDR_UN_SIZE) - abi.SUN_PATH;
        if (n <= 0) {
            return UnixSocketAddress.UNNAMED;
        }
        int start = offset + abi.SUN_PATH;
        if (buf.getByte(start) != 0) {
            int end = 0;
            while (end < n && buf.getByte(start + end) != 0) {
                end++;
            }
            n = end;
        } else if (n == 1) {
            return UnixSocketAddress.UNNAMED; // a BSD kernel may report the bare family and one NUL
        }
        byte[] name = new byte[n];
        buf.getBytes(start, name);
        return UnixSocketAddress.fromKernel(new String(name, StandardCharsets.UTF_8));
    }

    private static void family(PosixAbi abi, UnsafeBuffer buf, int offset, int family, int len) {
        if (abi.SOCKADDR_HAS_LEN) {
            buf.putByte(offset, (byte) len);
            buf.putByte(offset + 1, (byte) family);
        } else {
            buf.putShort(offset, (short) family, ByteOrder.nativeOrder());
        }
    }

    /** The family field of the sockaddr at {@code offset}. */
    static int family(PosixAbi abi, UnsafeBuffer buf, int offset) {
        return abi.SOCKADDR_HAS_LEN ? buf.getByte(offset + 1) & 0xff : buf.getShort(offset, ByteOrder.nativeOrder()) & 0xffff;
    }

    /**
     * Reads the sockaddr at {@code offset}; null for a family other than IPv4/IPv6 (an unbound
     * socket reports {@code AF_UNSPEC}). An IPv4-mapped IPv6 address decodes as IPv4, as java.net
     * does.
     */
    static InetSocketAddress decode(PosixAbi abi, UnsafeBuffer buf, int offset) {
        int family = family(abi, buf, offset);
        try {
            if (family == abi.AF_INET) {
                byte[] a = new byte[4];
                buf.getBytes(offset + abi.SIN_ADDR, a);
                int port = buf.getShort(offset + abi.SIN_PORT, ByteOrder.BIG_ENDIAN) & 0xffff;
                return new InetSocketAddress(InetAddress.getByAddress(a), port);
            }
            if (family == abi.AF_INET6) {
                byte[] a = new byte[16];
                buf.getBytes(offset + abi.SIN6_ADDR, a);
                int port = buf.getShort(offset + abi.SIN6_PORT, ByteOrder.BIG_ENDIAN) & 0xffff;
                int scope = buf.getInt(offset + abi.SIN6_SCOPE_ID, ByteOrder.nativeOrder());
                InetAddress ia = InetAddress.getByAddress(a);
                if (ia instanceof Inet6Address && scope != 0) {
                    ia = Inet6Address.getByAddress(null, a, scope);
                }
                return new InetSocketAddress(ia, port);
            }
            return null;
        } catch (UnknownHostException e) {
            throw new IllegalStateException("a 4- or 16-byte address was refused", e);
        }
    }
}
