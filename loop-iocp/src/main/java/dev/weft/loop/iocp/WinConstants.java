package dev.weft.loop.iocp;

/**
 * Every Windows constant, struct size and field offset this backend hard-codes, for x64 only
 * (pointers and {@code ULONG_PTR} are 8 bytes; {@code DWORD}/{@code ULONG} 4). Each size and offset
 * is checked by {@code WinConstantsTest} against what Windows (or Wine) itself reads or writes.
 *
 * <p>Sources: the Windows SDK headers {@code minwinbase.h} (OVERLAPPED, OVERLAPPED_ENTRY),
 * {@code ws2def.h} / {@code ws2ipdef.h} (WSABUF, SOCKADDR_IN, SOCKADDR_IN6, SOCKADDR_STORAGE, socket
 * options), {@code mswsock.h} (extension GUIDs, SO_UPDATE_*), {@code winerror.h} (error codes).
 */
final class WinConstants {
    private WinConstants() {
    }

    // ---- OVERLAPPED (minwinbase.h) -------------------------------------------------------------
    static final int OVERLAPPED_SIZE = 32;
    /** {@code Internal}: the NTSTATUS of the finished operation. */
    static final int OVERLAPPED_INTERNAL = 0;
    /** {@code InternalHigh}: bytes transferred by the finished operation. */
    static final int OVERLAPPED_INTERNAL_HIGH = 8;
    static final int OVERLAPPED_OFFSET = 16;
    static final int OVERLAPPED_OFFSET_HIGH = 20;
    static final int OVERLAPPED_EVENT = 24;

    // ---- OVERLAPPED_ENTRY (minwinbase.h) -------------------------------------------------------
    static final int OVERLAPPED_ENTRY_SIZE = 32;
    static final int ENTRY_COMPLETION_KEY = 0;
    static final int ENTRY_OVERLAPPED = 8;
    static final int ENTRY_INTERNAL = 16;
    static final int ENTRY_BYTES = 24;

    // ---- WSABUF (ws2def.h) ---------------------------------------------------------------------
    static final int WSABUF_SIZE = 16;
    static final int WSABUF_LEN = 0;
    static final int WSABUF_BUF = 8;

    // ---- socket addresses (ws2def.h, ws2ipdef.h); ports and IPv4 addresses in network order -----
    static final int SOCKADDR_IN_SIZE = 16;
    static final int SOCKADDR_IN6_SIZE = 28;
    static final int SOCKADDR_STORAGE_SIZE = 128;
    static final int SA_FAMILY = 0;
    static final int SA_PORT = 2;
    static final int SIN_ADDR = 4;
    static final int SIN6_FLOWINFO = 4;
    static final int SIN6_ADDR = 8;
    static final int SIN6_SCOPE_ID = 24;

    static final short AF_INET = 2;
    static final short AF_INET6 = 23;
    static final int SOCK_STREAM = 1;
    static final int IPPROTO_TCP = 6;
    static final int IPPROTO_IPV6 = 41;

    // ---- GUID and WSADATA ----------------------------------------------------------------------
    static final int GUID_SIZE = 16;
    /** WSADATA is 408 bytes on x64; WSAStartup gets a bit more room. */
    static final int WSADATA_SIZE = 512;
    static final short WINSOCK_VERSION_2_2 = 0x0202;

    // ---- WSASocketW flags, shutdown, options (winsock2.h, ws2def.h, mswsock.h) -----------------
    static final int WSA_FLAG_OVERLAPPED = 0x01;
    static final int WSA_FLAG_NO_HANDLE_INHERIT = 0x80;
    static final long INVALID_SOCKET = -1L;
    static final int SOCKET_ERROR = -1;
    static final int SD_SEND = 1;
    static final int SD_BOTH = 2;

    static final int SOL_SOCKET = 0xffff;
    static final int SO_REUSEADDR = 0x0004;
    static final int SO_KEEPALIVE = 0x0008;
    static final int SO_LINGER = 0x0080;
    static final int SO_SNDBUF = 0x1001;
    static final int SO_RCVBUF = 0x1002;
    static final int SO_ERROR = 0x1007;
    /** {@code ~SO_REUSEADDR}: no other socket may bind the same address. */
    static final int SO_EXCLUSIVEADDRUSE = ~SO_REUSEADDR;
    static final int SO_UPDATE_ACCEPT_CONTEXT = 0x700B;
    static final int SO_UPDATE_CONNECT_CONTEXT = 0x7010;
    static final int TCP_NODELAY = 0x0001;
    static final int IPV6_V6ONLY = 27;

    /** {@code _IOW('f', 126, u_long)}. */
    static final int FIONBIO = 0x8004667E;
    /** {@code _WSAIORW(IOC_WS2, 6)}. */
    static final int SIO_GET_EXTENSION_FUNCTION_POINTER = 0xC8000006;

    /** WSAID_ACCEPTEX {b5367df1-cbac-11cf-95ca-00805f48a192} as its 16 bytes in memory. */
    static final byte[] WSAID_ACCEPTEX = guid(0xb5367df1, (short) 0xcbac, (short) 0x11cf,
            0x95, 0xca, 0x00, 0x80, 0x5f, 0x48, 0xa1, 0x92);
    /** WSAID_CONNECTEX {25a207b9-ddf3-4660-8ee9-76e58c74063e}. */
    static final byte[] WSAID_CONNECTEX = guid(0x25a207b9, (short) 0xddf3, (short) 0x4660,
            0x8e, 0xe9, 0x76, 0xe5, 0x8c, 0x74, 0x06, 0x3e);

    // ---- completion ports (winbase.h) ----------------------------------------------------------
    static final long INVALID_HANDLE_VALUE = -1L;
    static final int INFINITE = 0xFFFFFFFF;
    static final byte FILE_SKIP_COMPLETION_PORT_ON_SUCCESS = 0x1;
    static final byte FILE_SKIP_SET_EVENT_ON_HANDLE = 0x2;

    // ---- errors (winerror.h, winsock2.h) and NTSTATUS (ntstatus.h) -----------------------------
    static final int ERROR_SUCCESS = 0;
    static final int ERROR_INVALID_HANDLE = 6;
    static final int ERROR_NETNAME_DELETED = 64;
    static final int ERROR_INVALID_PARAMETER = 87;
    static final int WAIT_TIMEOUT = 258;
    static final int ERROR_ABANDONED_WAIT_0 = 735;
    static final int ERROR_OPERATION_ABORTED = 995;
    static final int ERROR_IO_PENDING = 997;
    static final int ERROR_NOT_FOUND = 1168;
    static final int ERROR_CONNECTION_REFUSED = 1225;
    static final int ERROR_PORT_UNREACHABLE = 1234;
    static final int ERROR_CONNECTION_ABORTED = 1236;
    static final int WSAEINTR = 10004;
    static final int WSAEFAULT = 10014;
    static final int WSAEINVAL = 10022;
    static final int WSAEWOULDBLOCK = 10035;
    static final int WSAENOTSOCK = 10038;
    static final int WSAEPROTONOSUPPORT = 10043;
    static final int WSAESOCKTNOSUPPORT = 10044;
    static final int WSAEAFNOSUPPORT = 10047;
    static final int WSAEADDRINUSE = 10048;
    static final int WSAEADDRNOTAVAIL = 10049;
    static final int WSAENETUNREACH = 10051;
    static final int WSAECONNABORTED = 10053;
    static final int WSAECONNRESET = 10054;
    static final int WSAENOTCONN = 10057;
    static final int WSAESHUTDOWN = 10058;
    static final int WSAETIMEDOUT = 10060;
    static final int WSAECONNREFUSED = 10061;
    static final int WSAEHOSTUNREACH = 10065;
    static final int WSANOTINITIALISED = 10093;
    static final int WSA_IO_PENDING = ERROR_IO_PENDING;

    static final int STATUS_SUCCESS = 0;
    static final int STATUS_CANCELLED = 0xC0000120;
    static final int STATUS_IO_TIMEOUT = 0xC00000B5;
    static final int STATUS_LOCAL_DISCONNECT = 0xC000013B;
    static final int STATUS_REMOTE_DISCONNECT = 0xC000013C;
    static final int STATUS_CONNECTION_DISCONNECTED = 0xC000020C;
    static final int STATUS_CONNECTION_RESET = 0xC000020D;
    static final int STATUS_CONNECTION_REFUSED = 0xC0000236;
    static final int STATUS_NETWORK_UNREACHABLE = 0xC000023C;
    static final int STATUS_HOST_UNREACHABLE = 0xC000023D;
    static final int STATUS_PORT_UNREACHABLE = 0xC000023F;
    static final int STATUS_CONNECTION_ABORTED = 0xC0000241;

    /** Lays out a GUID as Windows stores it: Data1..Data3 little-endian, Data4 as bytes. */
    private static byte[] guid(int d1, short d2, short d3, int... d4) {
        byte[] g = new byte[GUID_SIZE];
        for (int i = 0; i < 4; i++) {
            g[i] = (byte) (d1 >>> (8 * i));
        }
        g[4] = (byte) d2;
        g[5] = (byte) (d2 >>> 8);
        g[6] = (byte) d3;
        g[7] = (byte) (d3 >>> 8);
        for (int i = 0; i < 8; i++) {
            g[8 + i] = (byte) d4[i];
        }
        return g;
    }
}
