package dev.weft.loop.iocp;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;

/**
 * The mswsock call of the backend, by JNA direct mapping: {@code TransmitFile}, which mswsock.dll
 * exports (no extension-function lookup needed). Errors are read with {@link WinError#last()} right
 * after the failing call, on the same thread. Loaded only on Windows, on first use.
 */
final class Mswsock {
    static {
        Native.register(Mswsock.class, NativeLibrary.getInstance("mswsock"));
    }

    /** The most bytes one TransmitFile call may be asked to send (2^31 - 2, per its documentation). */
    static final long TRANSMIT_MAX = 0x7FFFFFFEL;

    private Mswsock() {
    }

    /**
     * Sends {@code bytes} of {@code file} on {@code socket}, from the offset in {@code overlapped}'s
     * Offset/OffsetHigh; overlapped, so it returns FALSE with WSA_IO_PENDING while the send runs.
     * Nonzero when it finished at once.
     */
    static native int TransmitFile(long socket, long file, int bytes, int bytesPerSend, long overlapped,
                                   long buffers, int flags);
}
