package dev.weft.loop.testkit;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;
import java.io.IOException;

/**
 * The C calls the descriptor suites need to make and use pipes, FIFOs, sockets and eventfds the test
 * owns (Linux values; used only where the backend takes raw descriptors). Blocking, heap arrays.
 */
final class PosixTestCalls {
    static final int O_RDONLY = 0;
    static final int O_WRONLY = 1;
    static final int O_RDWR = 2;
    static final int O_NONBLOCK = 0x800;
    static final int O_DIRECTORY = 0x10000;
    static final int O_CLOEXEC = 0x80000;
    static final int AF_UNIX = 1;
    static final int SOCK_STREAM = 1;
    static final int EAGAIN = 11;

    static {
        Native.register(PosixTestCalls.class, NativeLibrary.getInstance(Platform.C_LIBRARY_NAME));
    }

    private PosixTestCalls() {
    }

    static native int pipe2(int[] fds, int flags);

    static native int socketpair(int domain, int type, int protocol, int[] fds);

    static native int open(String path, int flags);

    static native int eventfd(int initval, int flags);

    static native long read(int fd, byte[] buf, long count);

    static native long write(int fd, byte[] buf, long count);

    static native int close(int fd);

    static native int socket(int domain, int type, int protocol);

    static native int bind(int fd, byte[] addr, int len);

    static native int connect(int fd, byte[] addr, int len);

    static final int AF_INET = 2;
    static final int SOCK_DGRAM = 2;
    static final int F_GETFD = 1;

    /** A {@code struct sockaddr_in} for an IPv4 address (Linux x86_64/aarch64: little-endian family). */
    static byte[] sockaddrIn(java.net.InetSocketAddress a) {
        byte[] b = new byte[16];
        b[0] = (byte) AF_INET;
        b[2] = (byte) (a.getPort() >> 8);
        b[3] = (byte) a.getPort();
        System.arraycopy(a.getAddress().getAddress(), 0, b, 4, 4);
        return b;
    }

    /** A close-on-exec socket; fails with the errno. */
    static int openSocket(int domain, int type) throws IOException {
        return check(socket(domain, type | O_CLOEXEC, 0), "socket(" + domain + ", " + type + ")");
    }

    /** A UDP socket bound to {@code local}, connected to {@code remote} unless null. */
    static int udpSocket(java.net.InetSocketAddress local, java.net.InetSocketAddress remote) throws IOException {
        int fd = openSocket(AF_INET, SOCK_DGRAM);
        try {
            check(bind(fd, sockaddrIn(local), 16), "bind(" + local + ")");
            if (remote != null) {
                check(connect(fd, sockaddrIn(remote), 16), "connect(" + remote + ")");
            }
        } catch (IOException e) {
            close(fd);
            throw e;
        }
        return fd;
    }

    /** Whether {@code fd} is an open descriptor. */
    static boolean isOpen(int fd) {
        return fcntl(fd, F_GETFD, 0) != -1;
    }

    static native int fcntl(int fd, int cmd, int arg);

    static native int posix_openpt(int flags);

    static native int grantpt(int fd);

    static native int unlockpt(int fd);

    static native int ptsname_r(int fd, byte[] buf, long len);

    static final int O_NOCTTY = 0x100;

    /** A pseudo-terminal pair: {master, slave}, both close-on-exec. */
    static int[] openPty() throws IOException {
        int master = check(posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC), "posix_openpt");
        try {
            check(grantpt(master), "grantpt");
            check(unlockpt(master), "unlockpt");
            byte[] name = new byte[128];
            if (ptsname_r(master, name, name.length) != 0) {
                throw new IOException("ptsname_r failed");
            }
            int len = 0;
            while (name[len] != 0) {
                len++;
            }
            int slave = openPath(new String(name, 0, len, java.nio.charset.StandardCharsets.US_ASCII), O_RDWR | O_NOCTTY);
            return new int[] {master, slave};
        } catch (IOException e) {
            close(master);
            throw e;
        }
    }

    static int[] pipe() throws IOException {
        int[] fds = new int[2];
        check(pipe2(fds, O_CLOEXEC), "pipe2");
        return fds;
    }

    static int[] socketPair() throws IOException {
        int[] fds = new int[2];
        check(socketpair(AF_UNIX, SOCK_STREAM | O_CLOEXEC, 0, fds), "socketpair");
        return fds;
    }

    static int openPath(String path, int flags) throws IOException {
        return check(open(path, flags | O_CLOEXEC), "open(" + path + ")");
    }

    /** Writes all of {@code data}, blocking; fails with the errno. */
    static void writeAll(int fd, byte[] data) throws IOException {
        int done = 0;
        byte[] chunk = new byte[64 * 1024];
        while (done < data.length) {
            int n = Math.min(chunk.length, data.length - done);
            System.arraycopy(data, done, chunk, 0, n);
            long w = write(fd, chunk, n);
            if (w < 0) {
                throw new IOException("write(fd " + fd + ") failed: errno " + Native.getLastError());
            }
            done += (int) w;
        }
    }

    /** One read: bytes read, 0 at EOF, -errno on failure. */
    static int readSome(int fd, byte[] buf) {
        long n = read(fd, buf, buf.length);
        return n >= 0 ? (int) n : -Native.getLastError();
    }

    static void closeQuietly(int fd) {
        if (fd >= 0) {
            close(fd);
        }
    }

    private static int check(int r, String call) throws IOException {
        if (r < 0) {
            throw new IOException(call + " failed: errno " + Native.getLastError());
        }
        return r;
    }
}
