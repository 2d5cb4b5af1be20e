package dev.weft.loop.iocp;

import com.sun.jna.Function;
import dev.weft.loop.NativeIOException;
import dev.weft.loop.Transport;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import static dev.weft.loop.iocp.WinConstants.*;

/**
 * Socket helpers over {@link Ws2}: overlapped TCP sockets, address conversion, options, and the
 * AcceptEx/ConnectEx extension functions (looked up once per address family).
 *
 * <p>Not on the hot path (set-up and teardown only); methods allocate a little scratch memory.
 * Thread-safe.
 */
final class WinSock {
    private static volatile boolean started;
    private static final Function[] ACCEPT_EX = new Function[2];
    private static final Function[] CONNECT_EX = new Function[2];

    private WinSock() {
    }

    /** WSAStartup(2.2), once per process. */
    static synchronized void startup() throws NativeIOException {
        if (started) {
            return;
        }
        long data = Mem.allocate(WSADATA_SIZE);
        try {
            int rc = Ws2.WSAStartup(WINSOCK_VERSION_2_2, data);
            if (rc != 0) {
                throw WinError.exception("WSAStartup(2.2)", rc);
            }
            started = true;
        } finally {
            Mem.free(data);
        }
    }

    static short family(InetSocketAddress address) {
        return address.getAddress() instanceof Inet6Address ? AF_INET6 : AF_INET;
    }

    /** A non-inheritable overlapped TCP socket of {@code family}. */
    static long open(short family) throws NativeIOException {
        startup();
        long s = Ws2.WSASocketW(family, SOCK_STREAM, IPPROTO_TCP, 0L, 0,
                WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
        if (s == INVALID_SOCKET) {
            throw WinError.exception("WSASocketW(" + (family == AF_INET6 ? "AF_INET6" : "AF_INET") + ", SOCK_STREAM)",
                    WinError.last());
        }
        return s;
    }

    static void close(long socket) {
        if (socket != INVALID_SOCKET && socket != 0) {
            Ws2.closesocket(socket);
        }
    }

    /** Writes {@code address} as SOCKADDR_IN or SOCKADDR_IN6 at {@code to} (zeroed first); returns its length. */
    static int writeAddress(InetSocketAddress address, long to) {
        InetAddress ip = address.getAddress();
        int port = address.getPort();
        if (ip instanceof Inet6Address) {
            Mem.zero(to, SOCKADDR_IN6_SIZE);
            Mem.putShort(to + SA_FAMILY, AF_INET6);
            Mem.putShort(to + SA_PORT, Short.reverseBytes((short) port));
            byte[] raw = ip.getAddress();
            Mem.copy(raw, 0, to + SIN6_ADDR, 16);
            Mem.putInt(to + SIN6_SCOPE_ID, ((Inet6Address) ip).getScopeId());
            return SOCKADDR_IN6_SIZE;
        }
        Mem.zero(to, SOCKADDR_IN_SIZE);
        Mem.putShort(to + SA_FAMILY, AF_INET);
        Mem.putShort(to + SA_PORT, Short.reverseBytes((short) port));
        Mem.copy(ip.getAddress(), 0, to + SIN_ADDR, 4);
        return SOCKADDR_IN_SIZE;
    }

    /** Reads a SOCKADDR_IN or SOCKADDR_IN6 at {@code from}. */
    static InetSocketAddress readAddress(long from) {
        short family = Mem.getShort(from + SA_FAMILY);
        int port = Short.toUnsignedInt(Short.reverseBytes(Mem.getShort(from + SA_PORT)));
        try {
            if (family == AF_INET6) {
                byte[] raw = new byte[16];
                Mem.copy(from + SIN6_ADDR, raw, 0, 16);
                int scope = Mem.getInt(from + SIN6_SCOPE_ID);
                InetAddress ip = InetAddress.getByAddress(raw);
                if (ip instanceof Inet6Address && scope != 0) {
                    ip = Inet6Address.getByAddress(null, raw, scope);
                }
                return new InetSocketAddress(ip, port);
            }
            if (family == AF_INET) {
                byte[] raw = new byte[4];
                Mem.copy(from + SIN_ADDR, raw, 0, 4);
                return new InetSocketAddress(Inet4Address.getByAddress(raw), port);
            }
        } catch (UnknownHostException impossible) {
            throw new IllegalStateException(impossible);
        }
        throw new IllegalArgumentException("unknown address family " + family);
    }

    static void bind(long socket, InetSocketAddress local) throws NativeIOException {
        long sa = Mem.allocate(SOCKADDR_STORAGE_SIZE);
        try {
            int length = writeAddress(local, sa);
            if (Ws2.bind(socket, sa, length) != 0) {
                throw WinError.exception("bind(" + local + ")", WinError.last());
            }
        } finally {
            Mem.free(sa);
        }
    }

    static void listen(long socket, int backlog) throws NativeIOException {
        if (Ws2.listen(socket, backlog) != 0) {
            throw WinError.exception("listen", WinError.last());
        }
    }

    static InetSocketAddress localAddress(long socket) throws NativeIOException {
        return name(socket, true);
    }

    static InetSocketAddress remoteAddress(long socket) throws NativeIOException {
        return name(socket, false);
    }

    /**
     * A socket transport's extra info: {@code peername} ({@code remote}), {@code sockname}
     * ({@code local}), {@code socket} (the SOCKET as a Long); null for any other name.
     */
    static Object info(String name, long socket, InetSocketAddress local, InetSocketAddress remote) {
        switch (name) {
            case Transport.PEER_NAME:
                return remote;
            case Transport.SOCK_NAME:
                return local;
            case Transport.SOCKET:
                return socket;
            default:
                return null;
        }
    }

    private static InetSocketAddress name(long socket, boolean local) throws NativeIOException {
        long sa = Mem.allocate(SOCKADDR_STORAGE_SIZE + 4);
        try {
            long len = sa + SOCKADDR_STORAGE_SIZE;
            Mem.putInt(len, SOCKADDR_STORAGE_SIZE);
            int rc = local ? Ws2.getsockname(socket, sa, len) : Ws2.getpeername(socket, sa, len);
            if (rc != 0) {
                throw WinError.exception(local ? "getsockname" : "getpeername", WinError.last());
            }
            return readAddress(sa);
        } finally {
            Mem.free(sa);
        }
    }

    static void setInt(long socket, int level, int option, int value, String name) throws NativeIOException {
        long v = Mem.allocate(8);
        try {
            Mem.putInt(v, value);
            if (Ws2.setsockopt(socket, level, option, v, 4) != 0) {
                throw WinError.exception("setsockopt(" + name + ")", WinError.last());
            }
        } finally {
            Mem.free(v);
        }
    }

    static int getInt(long socket, int level, int option, String name) throws NativeIOException {
        long v = Mem.allocate(8);
        try {
            Mem.putInt(v + 4, 4);
            if (Ws2.getsockopt(socket, level, option, v, v + 4) != 0) {
                throw WinError.exception("getsockopt(" + name + ")", WinError.last());
            }
            return Mem.getInt(v);
        } finally {
            Mem.free(v);
        }
    }

    /**
     * Sets SO_UPDATE_ACCEPT_CONTEXT (value: the listening socket) or SO_UPDATE_CONNECT_CONTEXT (no
     * value) so that getsockname, getpeername and shutdown work on a socket made by AcceptEx/ConnectEx.
     */
    static void updateContext(long socket, int option, long listener) throws NativeIOException {
        long v = Mem.allocate(8);
        try {
            Mem.putLong(v, listener);
            int length = option == SO_UPDATE_ACCEPT_CONTEXT ? 8 : 0;
            if (Ws2.setsockopt(socket, SOL_SOCKET, option, length == 0 ? 0L : v, length) != 0) {
                throw WinError.exception(option == SO_UPDATE_ACCEPT_CONTEXT
                        ? "setsockopt(SO_UPDATE_ACCEPT_CONTEXT)" : "setsockopt(SO_UPDATE_CONNECT_CONTEXT)",
                        WinError.last());
            }
        } finally {
            Mem.free(v);
        }
    }

    static Function acceptEx(long socket, short family) throws NativeIOException {
        return extension(ACCEPT_EX, socket, family, WSAID_ACCEPTEX, "AcceptEx");
    }

    static Function connectEx(long socket, short family) throws NativeIOException {
        return extension(CONNECT_EX, socket, family, WSAID_CONNECTEX, "ConnectEx");
    }

    private static Function extension(Function[] cache, long socket, short family, byte[] guid, String name)
            throws NativeIOException {
        int slot = family == AF_INET6 ? 1 : 0;
        synchronized (cache) {
            Function f = cache[slot];
            if (f == null) {
                long scratch = Mem.allocate(GUID_SIZE + 16);
                try {
                    Mem.copy(guid, 0, scratch, GUID_SIZE);
                    f = Ws2.extensionFunction(socket, scratch, scratch + GUID_SIZE, name);
                } finally {
                    Mem.free(scratch);
                }
                cache[slot] = f;
            }
            return f;
        }
    }

    /**
     * Calls AcceptEx(listener, accepted, buffer, 0, addressLength, addressLength, &bytes, overlapped).
     * Returns 0 if it completed at once, else the WSA error (WSA_IO_PENDING while in flight).
     */
    static int acceptEx(Function acceptEx, long listener, long accepted, long buffer, int addressLength,
                        long bytesAddress, long overlapped) {
        int ok = acceptEx.invokeInt(new Object[] {listener, accepted, buffer, 0, addressLength, addressLength,
            bytesAddress, overlapped});
        return ok != 0 ? 0 : WinError.last();
    }

    /** Calls ConnectEx(socket, name, length, NULL, 0, NULL, overlapped); 0 or the WSA error. */
    static int connectEx(Function connectEx, long socket, long name, int length, long overlapped) {
        int ok = connectEx.invokeInt(new Object[] {socket, name, length, 0L, 0, 0L, overlapped});
        return ok != 0 ? 0 : WinError.last();
    }
}
