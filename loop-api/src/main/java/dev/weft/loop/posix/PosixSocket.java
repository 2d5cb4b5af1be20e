package dev.weft.loop.posix;

import com.sun.jna.Native;
import dev.weft.loop.NativeIOException;
import dev.weft.loop.PeerCredentials;
import dev.weft.loop.UnixSocketAddress;
import dev.weft.loop.spi.NetSocket;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketOption;
import java.net.StandardSocketOptions;
import java.nio.channels.FileChannel;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * A non-blocking, close-on-exec stream socket (TCP, or Unix domain) on a file descriptor, through the C library (JNA
 * direct mapping; {@code read}, {@code send} and {@code sendmsg} through the JNI {@link FastPath}
 * when it is loaded). Made by {@link PosixSocketFactory}; polled by a native backend through
 * {@link #fd()}.
 *
 * <p><b>Hot path.</b> {@link #read}, {@link #write}, {@link #writev} and {@link #accept} make one
 * system call each (more only on EINTR) with primitive arguments, allocate nothing, and report
 * "would block" (EAGAIN) as 0 or null, never as an exception. A dead peer gives EPIPE, never SIGPIPE:
 * {@code send}/{@code sendmsg} carry {@code MSG_NOSIGNAL} (Linux, FreeBSD), or the socket has
 * {@code SO_NOSIGPIPE} (macOS).
 *
 * <p><b>Errors</b> are {@link dev.weft.loop.NativeIOException}s naming the call, its subject, the
 * errno name and its description.
 *
 * <p><b>Threads.</b> Not thread-safe: one thread at a time (the loop's). Argument memory
 * (sockaddr, option values, msghdr) is per-thread scratch, so an address query from another thread
 * does not corrupt a call on the loop thread. After {@link #close()} every call fails with EBADF on
 * descriptor -1, never on a reused number.
 */
public final class PosixSocket implements NetSocket {
    private static final PosixAbi ABI = PosixAbi.current();
    private static final int EAGAIN = ABI.EAGAIN;
    private static final int EWOULDBLOCK = ABI.EWOULDBLOCK;
    private static final int EINTR = ABI.EINTR;
    private static final int MSG_NOSIGNAL = ABI.MSG_NOSIGNAL;
    /** read, send and sendmsg through JNI when the library loaded (see {@link FastPath}), else JNA. */
    private static final boolean FAST = FastPath.AVAILABLE;

    private int fd;
    private final boolean listener;
    private final boolean inet6;
    private final boolean fcntlFlags;
    /** AF_UNIX: addresses are {@link UnixSocketAddress}es. Set by the factory; inherited by accept. */
    boolean unix;
    private SocketAddress remote;
    private SocketAddress connectTarget;
    private int errorSeen;

    PosixSocket(int fd, boolean listener, boolean inet6, boolean fcntlFlags) {
        this.fd = fd;
        this.listener = listener;
        this.inet6 = inet6;
        this.fcntlFlags = fcntlFlags;
    }

    /** The descriptor, or -1 once closed. */
    public int fd() {
        return fd;
    }

    /** Whether this is a listening socket (made by {@link PosixSocketFactory#openListener}). */
    public boolean isListener() {
        return listener;
    }

    @Override
    public int read(long address, int length) throws IOException {
        for (;;) {
            long n = FAST ? FastPath.read(fd, address, length) : LibC.read(fd, address, length);
            if (n > 0) {
                return (int) n;
            }
            if (n == 0) {
                if (errorSeen != 0 && length != 0) {
                    int e = errorSeen;
                    errorSeen = 0;
                    throw Posix.error("read(fd " + fd + ")", e);
                }
                return length == 0 ? 0 : -1;
            }
            int e = FAST ? (int) -n : Native.getLastError();
            if (e == EAGAIN || e == EWOULDBLOCK) {
                return 0;
            }
            if (e != EINTR) {
                throw Posix.error("read(fd " + fd + ")", e);
            }
        }
    }

    @Override
    public int write(long address, int length) throws IOException {
        for (;;) {
            long n = FAST ? FastPath.send(fd, address, length, MSG_NOSIGNAL)
                    : LibC.send(fd, address, length, MSG_NOSIGNAL);
            if (n >= 0) {
                return (int) n;
            }
            int e = FAST ? (int) -n : Native.getLastError();
            if (e == EAGAIN || e == EWOULDBLOCK) {
                return 0;
            }
            if (e != EINTR) {
                throw Posix.error("send(fd " + fd + ")", e);
            }
        }
    }

    /**
     * Gathering write through {@code sendmsg(2)} (writev has no flags argument, and
     * {@code MSG_NOSIGNAL} is what keeps SIGPIPE away on Linux).
     */
    @Override
    public long writev(long iovAddress, int count) throws IOException {
        Scratch s = Scratch.get();
        UnsafeBuffer b = s.buffer;
        int h = Scratch.MSGHDR;
        b.setMemory(h, ABI.MSGHDR_SIZE, (byte) 0);
        b.putLong(h + ABI.MSG_IOV, iovAddress);
        if (ABI.MSG_IOVLEN_SIZE == 8) {
            b.putLong(h + ABI.MSG_IOVLEN, count);
        } else {
            b.putInt(h + ABI.MSG_IOVLEN, count);
        }
        for (;;) {
            long n = FAST ? FastPath.sendmsg(fd, s.msghdr(), MSG_NOSIGNAL) : LibC.sendmsg(fd, s.msghdr(), MSG_NOSIGNAL);
            if (n >= 0) {
                return n;
            }
            int e = FAST ? (int) -n : Native.getLastError();
            if (e == EAGAIN || e == EWOULDBLOCK) {
                return 0;
            }
            if (e != EINTR) {
                throw Posix.error("sendmsg(fd " + fd + ")", e);
            }
        }
    }

    /** Null on Linux for a JDK file channel (its descriptor is what {@code sendfile(2)} reads). */
    @Override
    public String sendFileUnsupported(FileChannel file) {
        if (!"Linux".equals(ABI.os)) {
            return "no sendfile(2) with Linux semantics on " + ABI.os;
        }
        if (listener) {
            return "a listening socket sends no file";
        }
        return FileDescriptors.unsupported(file);
    }

    /**
     * Linux {@code sendfile(2)} with an explicit offset (the file's position does not move), at most
     * 0x7ffff000 bytes per call (the kernel's cap, sendfile(2) NOTES). EINVAL, ENOSYS or EOPNOTSUPP
     * (a file the kernel cannot map, such as a pipe or some /proc files) become
     * {@link dev.weft.loop.SendfileNotAvailableException}, so the caller can copy instead.
     */
    @Override
    public long sendFile(FileChannel file, long position, long count) throws IOException {
        int in = FileDescriptors.of(file);
        if (in < 0) {
            throw new java.nio.channels.ClosedChannelException();
        }
        Scratch s = Scratch.get();
        long n = Math.min(count, 0x7ffff000L);
        for (;;) {
            s.buffer.putLong(Scratch.OPT, position);
            long k = LinuxCalls.sendfile(fd, in, s.opt(), n);
            if (k >= 0) {
                return k;
            }
            int e = Native.getLastError();
            if (e == EAGAIN || e == EWOULDBLOCK) {
                return 0;
            }
            if (e == EINTR) {
                continue;
            }
            String name = ABI.errnoName(e);
            if (name.equals("EINVAL") || name.equals("ENOSYS") || name.equals("EOPNOTSUPP") || name.equals("ENOTSUP")) {
                throw new dev.weft.loop.SendfileNotAvailableException("sendfile(fd " + fd + ", file fd " + in
                        + ") failed: " + name + " (" + e + "): " + Posix.strerror(e),
                        Posix.error("sendfile(fd " + fd + ", file fd " + in + ")", e));
            }
            throw Posix.error("sendfile(fd " + fd + ", file fd " + in + ")", e);
        }
    }

    @Override
    public boolean connect(SocketAddress remote) throws IOException {
        Scratch s = Scratch.get();
        int len = encode(s, remote);
        connectTarget = remote;
        if (LibC.connect(fd, s.addr(), len) == 0) {
            this.remote = remote;
            return true;
        }
        int e = Native.getLastError();
        // EINTR: the connect goes on asynchronously (connect(2), POSIX "EINTR"); wait as for EINPROGRESS.
        if (e == ABI.EINPROGRESS || e == EINTR) {
            return false;
        }
        if (unix && (e == EAGAIN || e == EWOULDBLOCK)) {
            // A Unix stream connect does not go on in the background: EAGAIN means the listener's
            // backlog is full and nothing was started (unix(7)).
            throw new NativeIOException("connect(" + remote + ")", e, Posix.errnoName(e),
                    Posix.strerror(e) + " (the server's backlog is full)");
        }
        throw Posix.error("connect(" + remote + ")", e);
    }

    /**
     * Hands over a socket error that a readiness backend found in an event for this socket, for
     * {@link #finishConnect()} and for a {@link #read} that would otherwise report a plain end of
     * stream. For event sources that read {@code SO_ERROR} and so clear it: libkqueue reports a
     * failed connect or a reset with {@code EV_EOF} and the error in {@code fflags}, taken from
     * {@code SO_ERROR}, after which the connect's error reads 0 and a read after the reset returns
     * 0. An errno of 0 is ignored. Loop thread only.
     */
    public void socketErrorSeen(int errno) {
        if (errno != 0) {
            errorSeen = errno;
        }
    }

    @Override
    public boolean finishConnect() throws IOException {
        int err = getIntOption(ABI.SOL_SOCKET, ABI.SO_ERROR, "SO_ERROR");
        if (err == 0 && errorSeen != 0) {
            err = errorSeen;
        }
        errorSeen = 0;
        if (err != 0) {
            throw Posix.error("connect(" + connectTarget + ")", err);
        }
        Scratch s = Scratch.get();
        s.buffer.putInt(Scratch.ADDR_LEN, ABI.SOCKADDR_STORAGE_SIZE);
        if (LibC.getpeername(fd, s.addr(), s.addrLen()) != 0) {
            int e = Native.getLastError();
            if (e == ABI.ENOTCONN) {
                return false;
            }
            throw Posix.error("getpeername(fd " + fd + ")", e);
        }
        remote = connectTarget;
        return true;
    }

    @Override
    public void bind(SocketAddress local) throws IOException {
        Scratch s = Scratch.get();
        int len = encode(s, local);
        if (LibC.bind(fd, s.addr(), len) != 0) {
            throw Posix.error("bind(" + local + ")", Native.getLastError());
        }
    }

    @Override
    public void listen(int backlog) throws IOException {
        if (LibC.listen(fd, backlog) != 0) {
            throw Posix.error("listen(fd " + fd + ")", Native.getLastError());
        }
    }

    @Override
    public PosixSocket accept() throws IOException {
        for (;;) {
            int c = fcntlFlags ? LibC.accept(fd, 0L, 0L)
                    : LibC.accept4(fd, 0L, 0L, ABI.SOCK_NONBLOCK | ABI.SOCK_CLOEXEC);
            if (c >= 0) {
                if (fcntlFlags) {
                    PosixSocketFactory.configureByFcntl(c);
                }
                PosixSocket accepted = new PosixSocket(c, false, inet6, fcntlFlags);
                accepted.unix = unix;
                return accepted;
            }
            int e = Native.getLastError();
            if (e == EAGAIN || e == EWOULDBLOCK) {
                return null;
            }
            if (e != EINTR) {
                throw Posix.error((fcntlFlags ? "accept(fd " : "accept4(fd ") + fd + ")", e);
            }
        }
    }

    @Override
    public void shutdownOutput() throws IOException {
        if (LibC.shutdown(fd, ABI.SHUT_WR) != 0) {
            throw Posix.error("shutdown(fd " + fd + ", SHUT_WR)", Native.getLastError());
        }
    }

    @Override
    public <T> void setOption(SocketOption<T> option, T value) throws IOException {
        if (value == null) {
            throw new IllegalArgumentException("null value for socket option " + option.name());
        }
        if (option == StandardSocketOptions.SO_LINGER) {
            int secs = (Integer) value;
            Scratch s = Scratch.get();
            s.buffer.putInt(Scratch.OPT + ABI.L_ONOFF, secs < 0 ? 0 : 1);
            s.buffer.putInt(Scratch.OPT + ABI.L_LINGER, Math.max(0, secs));
            setRaw(ABI.SOL_SOCKET, ABI.SO_LINGER, ABI.LINGER_SIZE, "SO_LINGER");
            return;
        }
        if (option == StandardSocketOptions.SO_RCVBUF || option == StandardSocketOptions.SO_SNDBUF) {
            int size = (Integer) value;
            if (size < 0) {
                throw new IllegalArgumentException("negative " + option.name() + ": " + size);
            }
        }
        int level = level(option);
        int name = name(option);
        int v = value instanceof Boolean bool ? (bool ? 1 : 0) : (Integer) value;
        Scratch.get().buffer.putInt(Scratch.OPT, v);
        setRaw(level, name, 4, option.name());
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T> T getOption(SocketOption<T> option) throws IOException {
        if (option == StandardSocketOptions.SO_LINGER) {
            getRaw(ABI.SOL_SOCKET, ABI.SO_LINGER, ABI.LINGER_SIZE, "SO_LINGER");
            UnsafeBuffer b = Scratch.get().buffer;
            int on = b.getInt(Scratch.OPT + ABI.L_ONOFF);
            return (T) Integer.valueOf(on == 0 ? -1 : b.getInt(Scratch.OPT + ABI.L_LINGER));
        }
        int v = getIntOption(level(option), name(option), option.name());
        if (option.type() == Boolean.class) {
            return (T) Boolean.valueOf(v != 0);
        }
        return (T) Integer.valueOf(v);
    }

    private static int level(SocketOption<?> o) {
        if (o == StandardSocketOptions.TCP_NODELAY) {
            return ABI.IPPROTO_TCP;
        }
        name(o);
        return ABI.SOL_SOCKET;
    }

    private static int name(SocketOption<?> o) {
        if (o == StandardSocketOptions.TCP_NODELAY) {
            return ABI.TCP_NODELAY;
        } else if (o == StandardSocketOptions.SO_REUSEADDR) {
            return ABI.SO_REUSEADDR;
        } else if (o == StandardSocketOptions.SO_REUSEPORT) {
            return ABI.SO_REUSEPORT;
        } else if (o == dev.weft.loop.spi.BalancedReusePort.OPTION) {
            if (ABI.SO_REUSEPORT_LB == 0) {
                throw new UnsupportedOperationException("socket option SO_REUSEPORT_LB: " + System.getProperty("os.name")
                        + " has no option that spreads connections over listeners of one port");
            }
            return ABI.SO_REUSEPORT_LB;
        } else if (o == StandardSocketOptions.SO_KEEPALIVE) {
            return ABI.SO_KEEPALIVE;
        } else if (o == StandardSocketOptions.SO_RCVBUF) {
            return ABI.SO_RCVBUF;
        } else if (o == StandardSocketOptions.SO_SNDBUF) {
            return ABI.SO_SNDBUF;
        }
        throw new UnsupportedOperationException("socket option " + o.name() + " is not supported here");
    }

    private void setRaw(int level, int name, int len, String what) throws IOException {
        if (LibC.setsockopt(fd, level, name, Scratch.get().opt(), len) != 0) {
            throw Posix.error("setsockopt(fd " + fd + ", " + what + ")", Native.getLastError());
        }
    }

    private void getRaw(int level, int name, int len, String what) throws IOException {
        Scratch s = Scratch.get();
        s.buffer.putLong(Scratch.OPT, 0L);
        s.buffer.putInt(Scratch.OPT_LEN, len);
        if (LibC.getsockopt(fd, level, name, s.opt(), s.optLen()) != 0) {
            throw Posix.error("getsockopt(fd " + fd + ", " + what + ")", Native.getLastError());
        }
    }

    private int getIntOption(int level, int name, String what) throws IOException {
        getRaw(level, name, 4, what);
        return Scratch.get().buffer.getInt(Scratch.OPT);
    }

    @Override
    public SocketAddress localAddress() throws IOException {
        Scratch s = Scratch.get();
        s.buffer.putInt(Scratch.ADDR_LEN, ABI.SOCKADDR_STORAGE_SIZE);
        if (LibC.getsockname(fd, s.addr(), s.addrLen()) != 0) {
            throw Posix.error("getsockname(fd " + fd + ")", Native.getLastError());
        }
        return decode(s);
    }

    @Override
    public SocketAddress remoteAddress() throws IOException {
        SocketAddress r = remote;
        if (r != null || listener) {
            return r;
        }
        Scratch s = Scratch.get();
        s.buffer.putInt(Scratch.ADDR_LEN, ABI.SOCKADDR_STORAGE_SIZE);
        if (LibC.getpeername(fd, s.addr(), s.addrLen()) != 0) {
            int e = Native.getLastError();
            if (e == ABI.ENOTCONN) {
                return null;
            }
            throw Posix.error("getpeername(fd " + fd + ")", e);
        }
        r = decode(s);
        remote = r;
        return r;
    }

    /** The sockaddr for {@code address} in the scratch area; its length. */
    private int encode(Scratch s, SocketAddress address) throws IOException {
        if (unix) {
            if (!(address instanceof UnixSocketAddress u)) {
                throw new IllegalArgumentException("an AF_UNIX socket needs a UnixSocketAddress, got " + address);
            }
            return SockAddr.encodeUnix(ABI, s.buffer, Scratch.ADDR, u);
        }
        if (!(address instanceof InetSocketAddress a)) {
            throw new IllegalArgumentException("a TCP socket needs an InetSocketAddress, got " + address);
        }
        return inet6 ? SockAddr.encodeAs6(ABI, s.buffer, Scratch.ADDR, a) : SockAddr.encode(ABI, s.buffer, Scratch.ADDR, a);
    }

    /** The sockaddr the kernel wrote to the scratch area (its length at ADDR_LEN). */
    private SocketAddress decode(Scratch s) {
        return unix ? SockAddr.decodeUnix(ABI, s.buffer, Scratch.ADDR, s.buffer.getInt(Scratch.ADDR_LEN))
                : SockAddr.decode(ABI, s.buffer, Scratch.ADDR);
    }

    /** {@code SO_PEERCRED} of a Unix socket on Linux; null on TCP or where the OS lacks the option. */
    @Override
    public PeerCredentials peerCredentials() throws IOException {
        if (!unix || ABI.SO_PEERCRED == 0 || listener) {
            return null;
        }
        getRaw(ABI.SOL_SOCKET, ABI.SO_PEERCRED, ABI.UCRED_SIZE, "SO_PEERCRED");
        UnsafeBuffer b = Scratch.get().buffer;
        return new PeerCredentials(b.getInt(Scratch.OPT + ABI.UCRED_PID), b.getInt(Scratch.OPT + ABI.UCRED_UID),
                b.getInt(Scratch.OPT + ABI.UCRED_GID));
    }

    @Override
    public Object handle() {
        return fd;
    }

    @Override
    public void close() throws IOException {
        int f = fd;
        if (f >= 0) {
            fd = -1;
            Posix.close(f, "fd " + f);
        }
    }

    @Override
    public String toString() {
        return "PosixSocket[fd " + fd + (unix ? ", unix" : "") + (listener ? ", listener" : "") + "]";
    }
}
