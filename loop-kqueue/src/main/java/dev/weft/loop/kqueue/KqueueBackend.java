package dev.weft.loop.kqueue;

import com.sun.jna.Native;
import dev.weft.loop.Capability;
import dev.weft.loop.EventLoop;
import dev.weft.loop.spi.IoDriver;
import dev.weft.loop.spi.LoopBackend;
import dev.weft.loop.readiness.ReadinessDriver;
import dev.weft.loop.posix.Posix;
import dev.weft.loop.posix.PosixSocketFactory;
import java.io.IOException;
import java.util.Locale;

/**
 * The kqueue backend (macOS, FreeBSD): a {@link KqueuePoller} and the POSIX socket layer under the
 * shared readiness transports. {@code auto} picks it on macOS and FreeBSD (rank 100). On Linux it
 * runs over libkqueue, a user-space kqueue, for testing only: it is available when that library
 * loads (from {@code -Dweft.kqueue.library=/path/libkqueue.so.0}, {@code jna.library.path} or the
 * system's library path) and must be named ({@code -Dweft.loop.backend=kqueue}): {@code auto} never
 * picks it there (rank -1). Elsewhere it is unavailable and says why. The probe (OS, the POSIX layer,
 * the library, one {@code kqueue()}) runs once, on first use, never in the constructor.
 */
public final class KqueueBackend implements LoopBackend {
    private static volatile Throwable cause;
    private static volatile boolean probed;

    @Override
    public String name() {
        return "kqueue";
    }

    @Override
    public boolean isAvailable() {
        return unavailabilityCause() == null;
    }

    @Override
    public Throwable unavailabilityCause() {
        if (!probed) {
            synchronized (KqueueBackend.class) {
                if (!probed) {
                    cause = probe(System.getProperty("os.name", "?"));
                    probed = true;
                }
            }
        }
        return cause;
    }

    @Override
    public int autoPriority() {
        return autoPriority(System.getProperty("os.name", ""));
    }

    static int autoPriority(String osName) {
        return isBsd(osName) ? 100 : -1;
    }

    /** {@code "jna, <library>"}: kevent has no JNI fast path; the library is libkqueue's path on Linux. */
    @Override
    public String detail() {
        return "jna, " + KqueueNative.Abi.libraryFor(System.getProperty("os.name", ""),
                System.getProperty(KqueueNative.LIBRARY_PROPERTY));
    }

    @Override
    public String toString() {
        return name() + " (" + detail() + ")";
    }

    @Override
    public IoDriver open(EventLoop loop) throws IOException {
        Throwable c = unavailabilityCause();
        if (c != null) {
            throw new IOException(c.getMessage(), c);
        }
        KqueueNative.Abi abi = KqueueNative.Abi.CURRENT;
        return new ReadinessDriver(name(), loop, new KqueuePoller(), PosixSocketFactory.withoutDatagramBatches(),
                new KqueueUserHandles(name(), abi != null && abi.libkqueue));
    }

    static boolean isBsd(String osName) {
        String n = osName.toLowerCase(Locale.ROOT);
        return n.startsWith("mac") || n.startsWith("darwin") || n.startsWith("freebsd");
    }

    static boolean isLinux(String osName) {
        return osName.startsWith("Linux");
    }

    /** Null if kqueue works here, else why not. */
    static Throwable probe(String osName) {
        if (!isBsd(osName) && !isLinux(osName)) {
            return new UnsupportedOperationException("unsupported on kqueue: requires macOS or FreeBSD"
                    + " (or libkqueue on Linux, for tests) (os.name=" + osName + ")");
        }
        Throwable posix = Posix.unavailabilityCause();
        if (posix != null) {
            return new UnsupportedOperationException("unsupported on kqueue: " + posix.getMessage(), posix);
        }
        String library = KqueueNative.Abi.libraryFor(osName, System.getProperty(KqueueNative.LIBRARY_PROPERTY));
        try {
            int kq = KqueueNative.kqueue();
            if (kq < 0) {
                return new UnsupportedOperationException("unsupported on kqueue: "
                        + Posix.error("kqueue()", Native.getLastError()).getMessage());
            }
            KqueueNative.Fd.close(kq);
            return null;
        } catch (Throwable t) {
            if (isLinux(osName)) {
                return new UnsupportedOperationException("unsupported on kqueue: on Linux it runs only over"
                        + " libkqueue, which did not load (library '" + library + "'): set -D"
                        + KqueueNative.LIBRARY_PROPERTY + "=/path/to/libkqueue.so.0 or put it on jna.library.path"
                        + " (loop-kqueue/libkqueue/run-tests.sh fetches Debian's); cause: " + firstLine(t), t);
            }
            return new UnsupportedOperationException("unsupported on kqueue: JNA cannot bind kqueue in '"
                    + library + "': " + firstLine(t), t);
        }
    }

    private static String firstLine(Throwable t) {
        String s = String.valueOf(t);
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    /**
     * Unix stream sockets, pipe transports, watched descriptors and signal handlers are the POSIX
     * layer's and the JVM's, as on epoll; for the others the reason says why they are missing, or
     * offered on Linux (over libkqueue) only.
     */
    @Override
    public String unsupportedReason(Capability capability) {
        return unsupportedReason(capability, System.getProperty("os.name", ""));
    }

    static String unsupportedReason(Capability capability, String osName) {
        switch (capability) {
            case TCP:
            case UNIX_STREAM:
            case PIPES:
            case WATCH_FD:
            case SIGNALS:
            case SUBPROCESS:
                return null;
            case UNIX_ABSTRACT:
                return "abstract names (a leading NUL) are Linux's; macOS and FreeBSD have none";
            case DATAGRAM:
                return isLinux(osName) ? null : "the POSIX layer's UDP sockets use Linux's constants (MSG_TRUNC,"
                        + " SO_BROADCAST and the IP multicast options differ on macOS and FreeBSD), so UDP runs"
                        + " only over libkqueue on Linux";
            case UNIX_DATAGRAM:
                return isLinux(osName) ? null : "the POSIX layer's datagram sockets use Linux's constants and"
                        + " batch layout, so Unix datagram sockets run only over libkqueue on Linux";
            case SENDFILE:
                return "the kernel path would be the BSD sendfile(2) (file first, socket second, the count"
                        + " returned through a pointer), which libkqueue on Linux cannot run and which is not"
                        + " bound; sendfile copies through the transport";
            default:
                return "not implemented on kqueue yet (" + capability.description() + ")";
        }
    }
}
