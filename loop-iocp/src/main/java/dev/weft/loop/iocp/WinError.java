package dev.weft.loop.iocp;

import dev.weft.loop.NativeIOException;
import static dev.weft.loop.iocp.WinConstants.*;

/** Turns Windows error codes into {@link NativeIOException}s naming the call and the error. */
final class WinError {
    private static final int FORMAT_MESSAGE_FROM_SYSTEM = 0x00001000;
    private static final int FORMAT_MESSAGE_IGNORE_INSERTS = 0x00000200;

    private WinError() {
    }

    /**
     * The calling thread's last error, as JNA saved it right after the last native call. Calling
     * GetLastError or WSAGetLastError through JNA instead is unreliable: the JVM's own Win32 calls
     * between the two (TlsGetValue, for one) reset it.
     */
    static int last() {
        return com.sun.jna.Native.getLastError();
    }

    static NativeIOException exception(String call, int error) {
        return new NativeIOException(call, error, name(error), describe(error));
    }

    /** Symbolic name of the errors this backend meets; {@code ERROR_<n>} for the others. */
    static String name(int error) {
        switch (error) {
            case ERROR_SUCCESS: return "ERROR_SUCCESS";
            case ERROR_INVALID_HANDLE: return "ERROR_INVALID_HANDLE";
            case ERROR_NETNAME_DELETED: return "ERROR_NETNAME_DELETED";
            case ERROR_INVALID_PARAMETER: return "ERROR_INVALID_PARAMETER";
            case WAIT_TIMEOUT: return "WAIT_TIMEOUT";
            case ERROR_ABANDONED_WAIT_0: return "ERROR_ABANDONED_WAIT_0";
            case ERROR_OPERATION_ABORTED: return "ERROR_OPERATION_ABORTED";
            case ERROR_IO_PENDING: return "ERROR_IO_PENDING";
            case ERROR_NOT_FOUND: return "ERROR_NOT_FOUND";
            case ERROR_CONNECTION_REFUSED: return "ERROR_CONNECTION_REFUSED";
            case ERROR_PORT_UNREACHABLE: return "ERROR_PORT_UNREACHABLE";
            case ERROR_CONNECTION_ABORTED: return "ERROR_CONNECTION_ABORTED";
            case WSAEINTR: return "WSAEINTR";
            case WSAEFAULT: return "WSAEFAULT";
            case WSAEINVAL: return "WSAEINVAL";
            case WSAEWOULDBLOCK: return "WSAEWOULDBLOCK";
            case WSAENOTSOCK: return "WSAENOTSOCK";
            case WSAEPROTONOSUPPORT: return "WSAEPROTONOSUPPORT";
            case WSAESOCKTNOSUPPORT: return "WSAESOCKTNOSUPPORT";
            case WSAEAFNOSUPPORT: return "WSAEAFNOSUPPORT";
            case WSAEADDRINUSE: return "WSAEADDRINUSE";
            case WSAEADDRNOTAVAIL: return "WSAEADDRNOTAVAIL";
            case WSAENETUNREACH: return "WSAENETUNREACH";
            case WSAECONNABORTED: return "WSAECONNABORTED";
            case WSAECONNRESET: return "WSAECONNRESET";
            case WSAENOTCONN: return "WSAENOTCONN";
            case WSAESHUTDOWN: return "WSAESHUTDOWN";
            case WSAETIMEDOUT: return "WSAETIMEDOUT";
            case WSAECONNREFUSED: return "WSAECONNREFUSED";
            case WSAEHOSTUNREACH: return "WSAEHOSTUNREACH";
            case WSANOTINITIALISED: return "WSANOTINITIALISED";
            default: return "ERROR_" + error;
        }
    }

    /** The system's text for {@code error} (FormatMessageW), or a fallback when it has none. */
    static String describe(int error) {
        char[] text = new char[512];
        int n;
        try {
            n = Kernel32.FormatMessageW(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, 0L, error, 0,
                    text, text.length, 0L);
        } catch (LinkageError notWindows) {
            n = 0;
        }
        if (n <= 0) {
            // Wine's FormatMessageW has no text for the Winsock codes.
            String known = winsockText(error);
            return known != null ? known : "Windows error " + error;
        }
        return new String(text, 0, n).trim();
    }

    private static String winsockText(int error) {
        switch (error) {
            case WSAEPROTONOSUPPORT: return "Protocol not supported";
            case WSAESOCKTNOSUPPORT: return "Socket type not supported";
            case WSAEAFNOSUPPORT: return "Address family not supported by protocol family";
            case WSAEADDRINUSE: return "Address already in use";
            case WSAEADDRNOTAVAIL: return "Cannot assign requested address";
            case WSAENETUNREACH: return "Network is unreachable";
            case WSAECONNABORTED: return "Software caused connection abort";
            case WSAECONNRESET: return "Connection reset by peer";
            case WSAENOTCONN: return "Socket is not connected";
            case WSAESHUTDOWN: return "Cannot send after socket shutdown";
            case WSAETIMEDOUT: return "Connection timed out";
            case WSAECONNREFUSED: return "Connection refused";
            case WSAEHOSTUNREACH: return "No route to host";
            default: return null;
        }
    }

    /** Whether {@code error} means the peer reset or aborted the connection. */
    static boolean isReset(int error) {
        return error == WSAECONNRESET || error == ERROR_NETNAME_DELETED || error == WSAECONNABORTED
                || error == ERROR_CONNECTION_ABORTED;
    }
}
