package dev.weft.loop.iocp;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;

/**
 * The one ntdll call of the backend: a finished operation's status is an NTSTATUS in its
 * OVERLAPPED's {@code Internal} field; this turns it into the Win32 error the documentation talks
 * about, without a system call per completion. Loaded only on Windows.
 */
final class Ntdll {
    static {
        Native.register(Ntdll.class, NativeLibrary.getInstance("ntdll"));
    }

    private Ntdll() {
    }

    static native int RtlNtStatusToDosError(int status);
}
