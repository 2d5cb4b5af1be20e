package dev.weft.loop.iocp;

import java.util.Locale;
import static dev.weft.loop.iocp.WinConstants.*;

/**
 * Why this backend has no Unix domain stream sockets here: the iocp backend's answer for
 * {@link dev.weft.loop.Capability#UNIX_STREAM}. On Windows it makes one AF_UNIX stream socket as the
 * backend makes its TCP sockets (WSASocketW, overlapped, not inheritable), closes it, and keeps what
 * it saw:
 *
 * <ul>
 *   <li>the call failed (Wine 8.0, where this backend is tested: its ws2_32 knows no AF_UNIX and
 *       answers WSAEAFNOSUPPORT): the reason names the call and the error;</li>
 *   <li>the call worked (Windows 10 1803 and later): the reason is that the transports over such
 *       sockets are not written, because the only Windows this backend runs on here, Wine, could not
 *       run them.</li>
 * </ul>
 * Off Windows nothing is called (the backend is unavailable there anyway).
 *
 * <p>Thread-safe: the probe runs once, when the holder class is initialised; later calls read a
 * final field.
 */
final class AfUnixSupport {
    static final short AF_UNIX = 1;

    private AfUnixSupport() {
    }

    /** The reason the backend gives for lacking UNIX_STREAM on this system; never null. */
    static String unsupportedReason() {
        return Holder.REASON;
    }

    private static final class Holder {
        static final String REASON = probe();
    }

    private static String probe() {
        String os = System.getProperty("os.name", "");
        if (!os.toLowerCase(Locale.ROOT).startsWith("windows")) {
            return "Unix domain stream sockets are not written for iocp (and this is not Windows: os.name=" + os + ")";
        }
        try {
            WinSock.startup();
        } catch (dev.weft.loop.NativeIOException | LinkageError e) {
            return "Unix domain stream sockets are not written for iocp (WSAStartup failed, so AF_UNIX was not"
                    + " probed: " + e.getMessage() + ")";
        }
        long s = Ws2.WSASocketW(AF_UNIX, SOCK_STREAM, 0, 0L, 0, WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
        if (s == INVALID_SOCKET) {
            return refusedBecause(WinError.last());
        }
        WinSock.close(s);
        return "Unix domain stream sockets are not written for iocp: this system makes AF_UNIX sockets, but the"
                + " backend is tested only under Wine 8, which has none, so no transport over them was run";
    }

    /** The reason when WSASocketW(AF_UNIX, SOCK_STREAM) failed with {@code error}. */
    static String refusedBecause(int error) {
        return "this system makes no AF_UNIX stream socket: " + call() + " failed with "
                + WinError.name(error) + " (" + error + "): " + WinError.describe(error)
                + " (Wine 8 has no AF_UNIX; Windows 10 1803 and later have it, but this backend's transports"
                + " over it are not written)";
    }

    /** The call the probe makes, as the reason names it. */
    static String call() {
        return "WSASocketW(AF_UNIX, SOCK_STREAM, 0, NULL, 0, WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT)";
    }
}
