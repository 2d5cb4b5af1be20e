package dev.weft.loop.posix;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * FreeBSD (12+) socket ABI on amd64 and arm64, from {@code sys/sys/socket.h}, {@code sys/sys/errno.h},
 * {@code sys/netinet/in.h}, {@code sys/netinet6/in6.h}, {@code sys/sys/fcntl.h} and
 * {@code sys/sys/uio.h}. Like Linux it has {@code SOCK_NONBLOCK}, {@code SOCK_CLOEXEC},
 * {@code accept4} (since 10.0) and {@code MSG_NOSIGNAL}; like macOS its sockaddrs start with
 * {@code sin_len}. Not run here: checked when the kqueue backend runs on FreeBSD.
 */
final class FreeBsdAbi {
    static final Map<String, Integer> VALUES;
    static final PosixAbi ABI;

    static {
        Map<String, Integer> v = new LinkedHashMap<>();
        v.put("AF_INET", 2);
        v.put("AF_UNIX", 1);
        v.put("AF_INET6", 28);
        v.put("SOCK_STREAM", 1);
        v.put("SOCK_NONBLOCK", 0x20000000);
        v.put("SOCK_CLOEXEC", 0x10000000);
        v.put("HAS_ACCEPT4", 1);
        v.put("SHUT_WR", 1);
        v.put("F_GETFL", 3);
        v.put("F_SETFL", 4);
        v.put("F_SETFD", 2);
        v.put("FD_CLOEXEC", 1);
        v.put("O_NONBLOCK", 0x4);
        v.put("MSG_NOSIGNAL", 0x20000);

        v.put("SOL_SOCKET", 0xffff);
        v.put("SO_REUSEADDR", 0x4);
        v.put("SO_REUSEPORT", 0x200);
        // SO_REUSEPORT_LB (FreeBSD 12+); its SO_REUSEPORT gives every connection to one listener.
        v.put("SO_REUSEPORT_LB", 0x10000);
        v.put("SO_KEEPALIVE", 0x8);
        v.put("SO_LINGER", 0x80);
        v.put("SO_SNDBUF", 0x1001);
        v.put("SO_RCVBUF", 0x1002);
        v.put("SO_ERROR", 0x1007);
        v.put("SO_PEERCRED", 0);
        v.put("SO_NOSIGPIPE", 0x800);
        v.put("IPPROTO_TCP", 6);
        v.put("TCP_NODELAY", 1);
        v.put("IPPROTO_IPV6", 41);
        v.put("IPV6_V6ONLY", 27);

        v.put("EPERM", 1);
        v.put("ENOENT", 2);
        v.put("EINTR", 4);
        v.put("EIO", 5);
        v.put("EBADF", 9);
        v.put("EAGAIN", 35);
        v.put("EWOULDBLOCK", 35);
        v.put("ENOMEM", 12);
        v.put("EACCES", 13);
        v.put("EFAULT", 14);
        v.put("EEXIST", 17);
        v.put("EINVAL", 22);
        v.put("ENFILE", 23);
        v.put("EMFILE", 24);
        v.put("ENOSPC", 28);
        v.put("EPIPE", 32);
        v.put("ENOSYS", 78);
        v.put("EPROTO", 92);
        v.put("ENOTSOCK", 38);
        v.put("EDESTADDRREQ", 39);
        v.put("EMSGSIZE", 40);
        v.put("EPROTOTYPE", 41);
        v.put("ENOPROTOOPT", 42);
        v.put("EPROTONOSUPPORT", 43);
        v.put("EOPNOTSUPP", 45);
        v.put("ENOTSUP", 45);
        v.put("EAFNOSUPPORT", 47);
        v.put("EADDRINUSE", 48);
        v.put("EADDRNOTAVAIL", 49);
        v.put("ENETDOWN", 50);
        v.put("ENETUNREACH", 51);
        v.put("ENETRESET", 52);
        v.put("ECONNABORTED", 53);
        v.put("ECONNRESET", 54);
        v.put("ENOBUFS", 55);
        v.put("EISCONN", 56);
        v.put("ENOTCONN", 57);
        v.put("ESHUTDOWN", 58);
        v.put("ETIMEDOUT", 60);
        v.put("ECONNREFUSED", 61);
        v.put("EHOSTDOWN", 64);
        v.put("EHOSTUNREACH", 65);
        v.put("EALREADY", 37);
        v.put("EINPROGRESS", 36);

        v.put("SOCKADDR_HAS_LEN", 1);
        v.put("sizeof(struct sockaddr_storage)", 128);
        v.put("sizeof(struct sockaddr_in)", 16);
        v.put("offsetof(struct sockaddr_in, sin_port)", 2);
        v.put("offsetof(struct sockaddr_in, sin_addr)", 4);
        v.put("sizeof(struct sockaddr_in6)", 28);
        v.put("offsetof(struct sockaddr_in6, sin6_port)", 2);
        v.put("offsetof(struct sockaddr_in6, sin6_flowinfo)", 4);
        v.put("offsetof(struct sockaddr_in6, sin6_addr)", 8);
        v.put("offsetof(struct sockaddr_in6, sin6_scope_id)", 24);
        v.put("sizeof(struct sockaddr_un)", 106);
        v.put("offsetof(struct sockaddr_un, sun_path)", 2);
        v.put("sizeof(((struct sockaddr_un *)0)->sun_path)", 104);
        v.put("sizeof(struct ucred)", 0);
        v.put("offsetof(struct ucred, pid)", 0);
        v.put("offsetof(struct ucred, uid)", 0);
        v.put("offsetof(struct ucred, gid)", 0);
        v.put("sizeof(struct linger)", 8);
        v.put("offsetof(struct linger, l_onoff)", 0);
        v.put("offsetof(struct linger, l_linger)", 4);
        v.put("sizeof(struct iovec)", 16);
        v.put("offsetof(struct iovec, iov_base)", 0);
        v.put("offsetof(struct iovec, iov_len)", 8);
        v.put("sizeof(struct msghdr)", 48);
        v.put("offsetof(struct msghdr, msg_name)", 0);
        v.put("offsetof(struct msghdr, msg_namelen)", 8);
        v.put("offsetof(struct msghdr, msg_iov)", 16);
        v.put("offsetof(struct msghdr, msg_iovlen)", 24);
        v.put("sizeof(((struct msghdr *)0)->msg_iovlen)", 4);
        v.put("offsetof(struct msghdr, msg_control)", 32);
        v.put("offsetof(struct msghdr, msg_controllen)", 40);
        v.put("offsetof(struct msghdr, msg_flags)", 44);
        VALUES = java.util.Collections.unmodifiableMap(v);
        ABI = new PosixAbi("FreeBSD", VALUES);
    }

    private FreeBsdAbi() {
    }
}
