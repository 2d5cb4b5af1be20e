package dev.weft.loop.posix;

import com.sun.jna.Native;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The constants and struct layouts of one operating system's socket ABI, read from one per-OS table
 * ({@link LinuxAbi}, {@link DarwinAbi}, {@link FreeBsdAbi}). Every field is required: a table that
 * misses a name fails when it is loaded, not at the call that needs it. Values only (no native
 * calls); immutable, thread-safe.
 *
 * <p>Only 64-bit ABIs are described ({@code iovec} of 16 bytes, 8-byte pointers).
 */
final class PosixAbi {
    final String os;

    // socket(2), shutdown(2), fcntl(2)
    final int AF_UNIX;
    final int AF_INET;
    final int AF_INET6;
    final int SOCK_STREAM;
    /** 0 where socket(2)/accept4(2) take no such flag (macOS): fcntl(2) is used instead. */
    final int SOCK_NONBLOCK;
    final int SOCK_CLOEXEC;
    final boolean HAS_ACCEPT4;
    final int SHUT_WR;
    final int F_GETFL;
    final int F_SETFL;
    final int F_SETFD;
    final int FD_CLOEXEC;
    final int O_NONBLOCK;
    /** 0 where send(2) has no such flag (macOS): {@link #SO_NOSIGPIPE} is set on each socket instead. */
    final int MSG_NOSIGNAL;

    // socket options
    final int SOL_SOCKET;
    final int SO_REUSEADDR;
    final int SO_REUSEPORT;
    /**
     * The option that lets several listeners share a port with the kernel spreading new connections
     * over them: SO_REUSEPORT on Linux, SO_REUSEPORT_LB on FreeBSD; 0 where absent (macOS).
     */
    final int SO_REUSEPORT_LB;
    final int SO_KEEPALIVE;
    /** The option whose struct linger counts seconds (SO_LINGER_SEC on macOS, where SO_LINGER counts ticks). */
    final int SO_LINGER;
    final int SO_SNDBUF;
    final int SO_RCVBUF;
    final int SO_ERROR;
    /** 0 where absent (Linux uses {@link #MSG_NOSIGNAL}). */
    final int SO_NOSIGPIPE;
    /** 0 where absent (macOS and FreeBSD have LOCAL_PEERCRED with another struct instead). */
    final int SO_PEERCRED;
    final int IPPROTO_TCP;
    final int TCP_NODELAY;
    final int IPPROTO_IPV6;
    final int IPV6_V6ONLY;

    // errno values the code branches on
    final int EPERM;
    final int EINTR;
    final int EBADF;
    final int EAGAIN;
    final int EWOULDBLOCK;
    final int EINPROGRESS;
    final int EALREADY;
    final int ENOTCONN;
    final int EISCONN;
    final int ECONNREFUSED;
    final int ECONNRESET;
    final int EPIPE;
    final int EMFILE;
    final int ENFILE;
    final int ENOBUFS;
    final int ENOMEM;
    final int ECONNABORTED;
    final int ENOPROTOOPT;
    final int EIO;
    final int EINVAL;
    final int EMSGSIZE;

    // struct layouts (bytes)
    /** BSD sockaddrs start with a length byte, then a one-byte family; Linux has a two-byte family. */
    final boolean SOCKADDR_HAS_LEN;
    final int SOCKADDR_STORAGE_SIZE;
    final int SOCKADDR_IN_SIZE;
    final int SIN_PORT;
    final int SIN_ADDR;
    final int SOCKADDR_IN6_SIZE;
    final int SIN6_PORT;
    final int SIN6_FLOWINFO;
    final int SIN6_ADDR;
    final int SIN6_SCOPE_ID;
    /** {@code sockaddr_un}: the family (and on the BSDs {@code sun_len}) then {@code sun_path}. */
    final int SOCKADDR_UN_SIZE;
    final int SUN_PATH;
    /** 108 on Linux, 104 on macOS and FreeBSD; a file system path needs one byte of it for its NUL. */
    final int SUN_PATH_SIZE;
    /** {@code struct ucred} of {@code SO_PEERCRED} (pid, uid, gid, 4 bytes each); 0 where absent. */
    final int UCRED_SIZE;
    final int UCRED_PID;
    final int UCRED_UID;
    final int UCRED_GID;
    final int LINGER_SIZE;
    final int L_ONOFF;
    final int L_LINGER;
    final int IOVEC_SIZE;
    final int IOV_BASE;
    final int IOV_LEN;
    final int MSGHDR_SIZE;
    final int MSG_NAME;
    final int MSG_NAMELEN;
    final int MSG_IOV;
    final int MSG_IOVLEN;
    /** 8 (size_t) on Linux, 4 (int) on the BSDs. */
    final int MSG_IOVLEN_SIZE;
    final int MSG_CONTROL;
    final int MSG_CONTROLLEN;
    final int MSG_FLAGS;

    private final Map<Integer, String> errnoNames = new HashMap<>();

    PosixAbi(String os, Map<String, Integer> v) {
        this.os = os;
        AF_UNIX = get(v, "AF_UNIX");
        AF_INET = get(v, "AF_INET");
        AF_INET6 = get(v, "AF_INET6");
        SOCK_STREAM = get(v, "SOCK_STREAM");
        SOCK_NONBLOCK = get(v, "SOCK_NONBLOCK");
        SOCK_CLOEXEC = get(v, "SOCK_CLOEXEC");
        HAS_ACCEPT4 = get(v, "HAS_ACCEPT4") != 0;
        SHUT_WR = get(v, "SHUT_WR");
        F_GETFL = get(v, "F_GETFL");
        F_SETFL = get(v, "F_SETFL");
        F_SETFD = get(v, "F_SETFD");
        FD_CLOEXEC = get(v, "FD_CLOEXEC");
        O_NONBLOCK = get(v, "O_NONBLOCK");
        MSG_NOSIGNAL = get(v, "MSG_NOSIGNAL");
        SOL_SOCKET = get(v, "SOL_SOCKET");
        SO_REUSEADDR = get(v, "SO_REUSEADDR");
        SO_REUSEPORT = get(v, "SO_REUSEPORT");
        SO_REUSEPORT_LB = get(v, "SO_REUSEPORT_LB");
        SO_KEEPALIVE = get(v, "SO_KEEPALIVE");
        SO_LINGER = get(v, "SO_LINGER");
        SO_SNDBUF = get(v, "SO_SNDBUF");
        SO_RCVBUF = get(v, "SO_RCVBUF");
        SO_ERROR = get(v, "SO_ERROR");
        SO_NOSIGPIPE = get(v, "SO_NOSIGPIPE");
        SO_PEERCRED = get(v, "SO_PEERCRED");
        IPPROTO_TCP = get(v, "IPPROTO_TCP");
        TCP_NODELAY = get(v, "TCP_NODELAY");
        IPPROTO_IPV6 = get(v, "IPPROTO_IPV6");
        IPV6_V6ONLY = get(v, "IPV6_V6ONLY");
        EPERM = get(v, "EPERM");
        EINTR = get(v, "EINTR");
        EBADF = get(v, "EBADF");
        EAGAIN = get(v, "EAGAIN");
        EWOULDBLOCK = get(v, "EWOULDBLOCK");
        EINPROGRESS = get(v, "EINPROGRESS");
        EALREADY = get(v, "EALREADY");
        ENOTCONN = get(v, "ENOTCONN");
        EISCONN = get(v, "EISCONN");
        ECONNREFUSED = get(v, "ECONNREFUSED");
        ECONNRESET = get(v, "ECONNRESET");
        EPIPE = get(v, "EPIPE");
        EMFILE = get(v, "EMFILE");
        ENFILE = get(v, "ENFILE");
        ENOBUFS = get(v, "ENOBUFS");
        ENOMEM = get(v, "ENOMEM");
        ECONNABORTED = get(v, "ECONNABORTED");
        ENOPROTOOPT = get(v, "ENOPROTOOPT");
        EIO = get(v, "EIO");
        EINVAL = get(v, "EINVAL");
        EMSGSIZE = get(v, "EMSGSIZE");
        SOCKADDR_HAS_LEN = get(v, "SOCKADDR_HAS_LEN") != 0;
        SOCKADDR_STORAGE_SIZE = get(v, "sizeof(struct sockaddr_storage)");
        SOCKADDR_IN_SIZE = get(v, "sizeof(struct sockaddr_in)");
        SIN_PORT = get(v, "offsetof(struct sockaddr_in, sin_port)");
        SIN_ADDR = get(v, "offsetof(struct sockaddr_in, sin_addr)");
        SOCKADDR_IN6_SIZE = get(v, "sizeof(struct sockaddr_in6)");
        SIN6_PORT = get(v, "offsetof(struct sockaddr_in6, sin6_port)");
        SIN6_FLOWINFO = get(v, "offsetof(struct sockaddr_in6, sin6_flowinfo)");
        SIN6_ADDR = get(v, "offsetof(struct sockaddr_in6, sin6_addr)");
        SIN6_SCOPE_ID = get(v, "offsetof(struct sockaddr_in6, sin6_scope_id)");
        SOCKADDR_UN_SIZE = get(v, "sizeof(struct sockaddr_un)");
        SUN_PATH = get(v, "offsetof(struct sockaddr_un, sun_path)");
        SUN_PATH_SIZE = get(v, "sizeof(((struct sockaddr_un *)0)->sun_path)");
        UCRED_SIZE = get(v, "sizeof(struct ucred)");
        UCRED_PID = get(v, "offsetof(struct ucred, pid)");
        UCRED_UID = get(v, "offsetof(struct ucred, uid)");
        UCRED_GID = get(v, "offsetof(struct ucred, gid)");
        LINGER_SIZE = get(v, "sizeof(struct linger)");
        L_ONOFF = get(v, "offsetof(struct linger, l_onoff)");
        L_LINGER = get(v, "offsetof(struct linger, l_linger)");
        IOVEC_SIZE = get(v, "sizeof(struct iovec)");
        IOV_BASE = get(v, "offsetof(struct iovec, iov_base)");
        IOV_LEN = get(v, "offsetof(struct iovec, iov_len)");
        MSGHDR_SIZE = get(v, "sizeof(struct msghdr)");
        MSG_NAME = get(v, "offsetof(struct msghdr, msg_name)");
        MSG_NAMELEN = get(v, "offsetof(struct msghdr, msg_namelen)");
        MSG_IOV = get(v, "offsetof(struct msghdr, msg_iov)");
        MSG_IOVLEN = get(v, "offsetof(struct msghdr, msg_iovlen)");
        MSG_IOVLEN_SIZE = get(v, "sizeof(((struct msghdr *)0)->msg_iovlen)");
        MSG_CONTROL = get(v, "offsetof(struct msghdr, msg_control)");
        MSG_CONTROLLEN = get(v, "offsetof(struct msghdr, msg_controllen)");
        MSG_FLAGS = get(v, "offsetof(struct msghdr, msg_flags)");
        for (Map.Entry<String, Integer> e : v.entrySet()) {
            String k = e.getKey();
            if (k.length() > 1 && k.charAt(0) == 'E' && Character.isUpperCase(k.charAt(1))) {
                // Aliases (EWOULDBLOCK = EAGAIN, EOPNOTSUPP = ENOTSUP) keep the canonical name.
                errnoNames.merge(e.getValue(), k, (a, b) -> preferred(a, b));
            }
        }
    }

    private static String preferred(String a, String b) {
        if (a.equals("EWOULDBLOCK") || a.equals("ENOTSUP") || a.equals("EDEADLOCK")) {
            return b;
        }
        return a;
    }

    private static int get(Map<String, Integer> v, String name) {
        Integer i = v.get(name);
        if (i == null) {
            throw new IllegalStateException("the ABI table misses " + name);
        }
        return i;
    }

    /** The symbolic name of {@code errno} ({@code "EAGAIN"}), or {@code "errno <n>"} if the table lacks it. */
    String errnoName(int errno) {
        String n = errnoNames.get(errno);
        return n != null ? n : "errno " + errno;
    }

    /** The table of the OS this JVM runs on, or null where none fits (with {@link #unsupportedReason()}). */
    static PosixAbi current() {
        return Holder.CURRENT;
    }

    /** Why {@link #current()} is null, or null if it is not. */
    static String unsupportedReason() {
        return Holder.REASON;
    }

    /** The table for an {@code os.name} value, or null. Per-OS values only; no native code runs. */
    static PosixAbi forOsName(String osName) {
        String n = osName.toLowerCase(Locale.ROOT);
        if (n.startsWith("linux")) {
            return LinuxAbi.ABI;
        }
        if (n.startsWith("mac") || n.startsWith("darwin")) {
            return DarwinAbi.ABI;
        }
        if (n.startsWith("freebsd")) {
            return FreeBsdAbi.ABI;
        }
        return null;
    }

    private static final class Holder {
        static final PosixAbi CURRENT;
        static final String REASON;

        static {
            String osName = System.getProperty("os.name", "?");
            PosixAbi abi = forOsName(osName);
            String reason = null;
            if (abi == null) {
                reason = "no POSIX socket ABI table for os.name=" + osName + " (Linux, macOS and FreeBSD have one)";
            } else if (Native.POINTER_SIZE != 8) {
                reason = "the POSIX socket layer needs a 64-bit JVM (pointer size " + Native.POINTER_SIZE + ")";
                abi = null;
            }
            CURRENT = abi;
            REASON = reason;
        }
    }
}
