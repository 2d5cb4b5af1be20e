package dev.weft.loop.process;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;

/**
 * {@code kill(2)} for signalling a child by pid: {@link ProcessHandle} can only send TERM and KILL.
 * Bound lazily (JNA direct mapping), so platforms without it never load it.
 */
final class ChildSignals {
    static {
        Native.register(ChildSignals.class, NativeLibrary.getInstance(Platform.C_LIBRARY_NAME));
    }

    private ChildSignals() {
    }

    static native int kill(int pid, int sig);

    /** Sends {@code sig} to {@code pid}; the errno on failure, else 0. */
    static int send(long pid, int sig) {
        int rc = kill((int) pid, sig);
        return rc == 0 ? 0 : Native.getLastError();
    }

    /** The number of a signal name ({@code "TERM"} or {@code "SIGTERM"}) on this OS. */
    static int number(String signal) {
        String name = SubprocessCore.bareSignalName(signal);
        try {
            return new sun.misc.Signal(name).getNumber();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("signal: unknown signal name '" + signal + "'", e);
        }
    }
}
