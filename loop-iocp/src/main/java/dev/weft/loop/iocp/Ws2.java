package dev.weft.loop.iocp;

import com.sun.jna.Function;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;

/**
 * The ws2_32 calls of the backend, by JNA direct mapping (primitives and raw addresses only). A
 * {@code SOCKET} is a {@code long}; {@link WinConstants#INVALID_SOCKET} is -1. Errors are read with
 * {@link WinError#last()} (what JNA saved after the call) right after the failing call, on the same
 * thread; WSAGetLastError is the same per-thread value on Windows, but calling it through JNA later
 * may see it reset.
 *
 * <p>AcceptEx and ConnectEx are not exported by ws2_32: they are Microsoft extensions whose addresses
 * come from {@code WSAIoctl(SIO_GET_EXTENSION_FUNCTION_POINTER)} ({@link #extensionFunction}) and are
 * called through a JNA {@link Function}. Loaded only on Windows.
 */
final class Ws2 {
    static {
        Native.register(Ws2.class, NativeLibrary.getInstance("ws2_32"));
    }

    private Ws2() {
    }

    static native int WSAStartup(short version, long wsaData);

    static native long WSASocketW(int af, int type, int protocol, long protocolInfo, int group, int flags);

    static native int closesocket(long socket);

    static native int bind(long socket, long address, int length);

    static native int listen(long socket, int backlog);

    static native int shutdown(long socket, int how);

    static native int getsockname(long socket, long address, long lengthAddress);

    static native int getpeername(long socket, long address, long lengthAddress);

    static native int setsockopt(long socket, int level, int name, long value, int length);

    static native int getsockopt(long socket, int level, int name, long value, long lengthAddress);

    /** Plain send; on a socket in non-blocking mode it fails with WSAEWOULDBLOCK instead of waiting. */
    static native int send(long socket, long buffer, int length, int flags);

    /** {@code ioctlsocket(s, FIONBIO, &1)} puts the socket in non-blocking mode (overlapped calls ignore it). */
    static native int ioctlsocket(long socket, int command, long argumentAddress);

    static native int WSAIoctl(long socket, int code, long in, int inLength, long out, int outLength,
                               long bytesReturnedAddress, long overlapped, long completionRoutine);

    /** Overlapped receive into {@code count} WSABUFs; flags in/out at {@code flagsAddress}. */
    static native int WSARecv(long socket, long buffers, int count, long bytesAddress, long flagsAddress,
                              long overlapped, long completionRoutine);

    /** Overlapped gathering send from {@code count} WSABUFs. */
    static native int WSASend(long socket, long buffers, int count, long bytesAddress, int flags,
                              long overlapped, long completionRoutine);

    static native int connect(long socket, long address, int length);

    /** Plain sendto (UDP); {@code to} 0 and {@code toLength} 0 on a connected socket. */
    static native int sendto(long socket, long buffer, int length, int flags, long to, int toLength);

    /** Plain recvfrom (UDP); the sender goes to {@code from}, its length in and out at {@code fromLengthAddress}. */
    static native int recvfrom(long socket, long buffer, int length, int flags, long from, long fromLengthAddress);

    /** Overlapped receive of one datagram; the sender goes to {@code from} (kept until completion). */
    static native int WSARecvFrom(long socket, long buffers, int count, long bytesAddress, long flagsAddress,
                                  long from, long fromLengthAddress, long overlapped, long completionRoutine);

    /** Overlapped send of one datagram to {@code to} (kept until completion; 0 on a connected socket). */
    static native int WSASendTo(long socket, long buffers, int count, long bytesAddress, int flags, long to,
                                int toLength, long overlapped, long completionRoutine);

    /**
     * The address of the extension function {@code guid} (16 bytes at {@code guidAddress}) for sockets
     * like {@code socket}; {@code scratch} holds 8 bytes for the pointer and 4 for the byte count.
     */
    static Function extensionFunction(long socket, long guidAddress, long scratch, String name)
            throws dev.weft.loop.NativeIOException {
        int rc = WSAIoctl(socket, WinConstants.SIO_GET_EXTENSION_FUNCTION_POINTER, guidAddress,
                WinConstants.GUID_SIZE, scratch, 8, scratch + 8, 0L, 0L);
        if (rc != 0) {
            throw WinError.exception("WSAIoctl(SIO_GET_EXTENSION_FUNCTION_POINTER, " + name + ")", WinError.last());
        }
        long address = Mem.getLong(scratch);
        if (address == 0) {
            throw WinError.exception("WSAIoctl(SIO_GET_EXTENSION_FUNCTION_POINTER, " + name + ")",
                    WinConstants.WSAEINVAL);
        }
        return Function.getFunction(new com.sun.jna.Pointer(address));
    }
}
