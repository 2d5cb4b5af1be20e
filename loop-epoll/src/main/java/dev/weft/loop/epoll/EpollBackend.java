package dev.weft.loop.epoll;

import com.sun.jna.Native;
import dev.weft.loop.Capability;
import dev.weft.loop.EventLoop;
import dev.weft.loop.spi.IoDriver;
import dev.weft.loop.spi.LoopBackend;
import dev.weft.loop.readiness.ReadinessDriver;
import dev.weft.loop.posix.FastPath;
import dev.weft.loop.posix.Posix;
import dev.weft.loop.posix.PosixSocketFactory;
import dev.weft.loop.posix.PosixUserHandles;
import java.io.IOException;

/**
 * The Linux epoll backend: an {@link EpollPoller} and the POSIX socket layer under the shared
 * readiness transports. {@code auto} picks it on Linux (rank 100); elsewhere it is unavailable and
 * says why. The availability probe (OS, JNA, one {@code epoll_create1} and {@code eventfd}) runs
 * once, on first use, never in the constructor.
 */
public final class EpollBackend implements LoopBackend {
    private static volatile Throwable cause;
    private static volatile boolean probed;

    @Override
    public String name() {
        return "epoll";
    }

    @Override
    public boolean isAvailable() {
        return unavailabilityCause() == null;
    }

    @Override
    public Throwable unavailabilityCause() {
        if (!probed) {
            synchronized (EpollBackend.class) {
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
        return isLinux(System.getProperty("os.name", "")) ? 100 : -1;
    }

    /**
     * {@code "jni fast path"} when read, send, sendmsg, epoll_wait and epoll_ctl go through the JNI
     * library ({@link FastPath}), else {@code "jna (<why>)"}.
     */
    @Override
    public String detail() {
        return EpollPoller.fastPathStatus();
    }

    /** {@code "epoll (jni fast path)"} or {@code "epoll (jna (<why>))"}. */
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
        return new ReadinessDriver(name(), loop, new EpollPoller(), new PosixSocketFactory(),
                new PosixUserHandles(name()));
    }

    static boolean isLinux(String osName) {
        return osName.startsWith("Linux");
    }

    /** Null if epoll works here, else why not. */
    static Throwable probe(String osName) {
        if (!isLinux(osName)) {
            return new UnsupportedOperationException("unsupported on epoll: requires Linux (os.name=" + osName + ")");
        }
        Throwable posix = Posix.unavailabilityCause();
        if (posix != null) {
            return new UnsupportedOperationException("unsupported on epoll: " + posix.getMessage(), posix);
        }
        try {
            int ep = EpollNative.epoll_create1(EpollNative.EPOLL_CLOEXEC);
            if (ep < 0) {
                return new UnsupportedOperationException("unsupported on epoll: "
                        + Posix.error("epoll_create1(EPOLL_CLOEXEC)", Native.getLastError()).getMessage());
            }
            EpollNative.close(ep);
            int ev = EpollNative.eventfd(0, EpollNative.EFD_NONBLOCK | EpollNative.EFD_CLOEXEC);
            if (ev < 0) {
                return new UnsupportedOperationException("unsupported on epoll: "
                        + Posix.error("eventfd(EFD_NONBLOCK|EFD_CLOEXEC)", Native.getLastError()).getMessage());
            }
            EpollNative.close(ev);
            return null;
        } catch (Throwable t) {
            return new UnsupportedOperationException("unsupported on epoll: JNA cannot bind epoll: " + t, t);
        }
    }

    @Override
    public String unsupportedReason(Capability capability) {
        switch (capability) {
            case TCP:
            case PIPES:
            case WATCH_FD:
            case UNIX_STREAM:
            case UNIX_ABSTRACT:
            case DATAGRAM:
            case UNIX_DATAGRAM:
            case SIGNALS:
            case SUBPROCESS:
            case SENDFILE:
                return null;
            default:
                return "not implemented on epoll yet (" + capability.description() + ")";
        }
    }
}
