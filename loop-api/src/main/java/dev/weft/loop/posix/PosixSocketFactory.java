package dev.weft.loop.posix;

import com.sun.jna.Native;
import dev.weft.loop.NativeIOException;
import dev.weft.loop.spi.SocketFactory;
import java.io.IOException;
import java.net.StandardProtocolFamily;

/**
 * Makes {@link PosixSocket}s: {@code socket(AF_INET|AF_INET6|AF_UNIX, SOCK_STREAM|SOCK_NONBLOCK|SOCK_CLOEXEC)}
 * in one call where the OS has those flags (Linux, FreeBSD), else {@code socket} then
 * {@code fcntl(F_SETFD, FD_CLOEXEC)} and {@code fcntl(F_SETFL, O_NONBLOCK)} (macOS). IPv6 sockets
 * are dual-stack ({@code IPV6_V6ONLY} off, as java.net does; the BSDs default to on). Where
 * {@code MSG_NOSIGNAL} is missing, {@code SO_NOSIGPIPE} is set. UDP sockets move datagrams in
 * {@code recvmmsg}/{@code sendmmsg} batches unless the factory is made
 * {@link #withoutDatagramBatches() without them}. Immutable and thread-safe.
 */
public final class PosixSocketFactory implements SocketFactory {
    private final PosixAbi abi;
    private final boolean fcntlFlags;
    private final boolean datagramBatches;

    /** Fails with the layer's {@link Posix#unavailabilityCause()} where it cannot work. */
    public PosixSocketFactory() {
        this(false, true);
    }

    /**
     * A factory whose UDP sockets move one datagram per {@code recvfrom}/{@code sendto}: for a
     * backend whose OS has no {@code recvmmsg}/{@code sendmmsg} batches. Fails as {@link #PosixSocketFactory()}.
     */
    public static PosixSocketFactory withoutDatagramBatches() {
        return new PosixSocketFactory(false, false);
    }

    /** {@code forceFcntl}: take the macOS path (flags set by fcntl after the call) on any OS; for tests. */
    PosixSocketFactory(boolean forceFcntl) {
        this(forceFcntl, true);
    }

    private PosixSocketFactory(boolean forceFcntl, boolean datagramBatches) {
        this.datagramBatches = datagramBatches;
        Throwable cause = Posix.unavailabilityCause();
        if (cause != null) {
            throw new IllegalStateException("the POSIX socket layer is unavailable: " + cause.getMessage(), cause);
        }
        abi = PosixAbi.current();
        fcntlFlags = forceFcntl || abi.SOCK_NONBLOCK == 0 || !abi.HAS_ACCEPT4;
    }

    @Override
    public PosixSocket openStream(StandardProtocolFamily family) throws IOException {
        return open(family, false);
    }

    @Override
    public PosixSocket openListener(StandardProtocolFamily family) throws IOException {
        return open(family, true);
    }

    /**
     * A UDP socket (INET6 dual-stack), or for UNIX a Unix datagram socket; Linux only; with batches
     * unless made {@link #withoutDatagramBatches() without}.
     */
    @Override
    public PosixDatagramSocket openDatagram(StandardProtocolFamily family) throws IOException {
        if (family == StandardProtocolFamily.UNIX) {
            return PosixDatagramSocket.openUnix(fcntlFlags, datagramBatches);
        }
        if (family != StandardProtocolFamily.INET && family != StandardProtocolFamily.INET6) {
            throw new UnsupportedOperationException("protocol family " + family + " is not supported for UDP");
        }
        return PosixDatagramSocket.open(family == StandardProtocolFamily.INET6, fcntlFlags, datagramBatches);
    }

    private PosixSocket open(StandardProtocolFamily family, boolean listener) throws IOException {
        boolean inet6 = false;
        boolean unix = false;
        if (family == StandardProtocolFamily.INET6) {
            inet6 = true;
        } else if (family == StandardProtocolFamily.UNIX) {
            unix = true;
        } else if (family != StandardProtocolFamily.INET) {
            throw new UnsupportedOperationException("protocol family " + family + " is not supported for stream sockets");
        }
        int domain = unix ? abi.AF_UNIX : inet6 ? abi.AF_INET6 : abi.AF_INET;
        int type = abi.SOCK_STREAM | (fcntlFlags ? 0 : abi.SOCK_NONBLOCK | abi.SOCK_CLOEXEC);
        int fd = LibC.socket(domain, type, 0);
        if (fd < 0) {
            throw Posix.error("socket(" + (unix ? "AF_UNIX" : inet6 ? "AF_INET6" : "AF_INET") + ", SOCK_STREAM)",
                    Native.getLastError());
        }
        PosixSocket s = new PosixSocket(fd, listener, inet6, fcntlFlags);
        s.unix = unix;
        try {
            if (fcntlFlags) {
                configureByFcntl(fd);
            }
            if (inet6) {
                setInt(fd, abi.IPPROTO_IPV6, abi.IPV6_V6ONLY, 0, "IPV6_V6ONLY");
            }
        } catch (IOException | RuntimeException e) {
            try {
                s.close();
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        return s;
    }

    /** Non-blocking and close-on-exec by fcntl, plus SO_NOSIGPIPE where the OS has it. */
    static void configureByFcntl(int fd) throws NativeIOException {
        PosixAbi abi = PosixAbi.current();
        LibCVarargs c = LibCVarargs.INSTANCE;
        if (c.fcntl(fd, abi.F_SETFD, abi.FD_CLOEXEC) == -1) {
            throw Posix.error("fcntl(fd " + fd + ", F_SETFD, FD_CLOEXEC)", Native.getLastError());
        }
        int flags = c.fcntl(fd, abi.F_GETFL);
        if (flags == -1 || c.fcntl(fd, abi.F_SETFL, flags | abi.O_NONBLOCK) == -1) {
            throw Posix.error("fcntl(fd " + fd + ", F_SETFL, O_NONBLOCK)", Native.getLastError());
        }
        if (abi.SO_NOSIGPIPE != 0) {
            setInt(fd, abi.SOL_SOCKET, abi.SO_NOSIGPIPE, 1, "SO_NOSIGPIPE");
        }
    }

    private static void setInt(int fd, int level, int name, int value, String what) throws NativeIOException {
        Scratch s = Scratch.get();
        s.buffer.putInt(Scratch.OPT, value);
        if (LibC.setsockopt(fd, level, name, s.opt(), 4) != 0) {
            throw Posix.error("setsockopt(fd " + fd + ", " + what + ")", Native.getLastError());
        }
    }
}
