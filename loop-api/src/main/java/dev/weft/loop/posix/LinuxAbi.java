package dev.weft.loop.posix;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Linux socket ABI on 64-bit x86_64 and aarch64 (the generic {@code asm-generic} values; MIPS,
 * SPARC, Alpha and PA-RISC differ and are not described). From {@code <sys/socket.h>},
 * {@code <bits/socket.h>}, {@code <asm-generic/socket.h>}, {@code <netinet/in.h>},
 * {@code <netinet/tcp.h>}, {@code <fcntl.h>}, {@code <asm-generic/errno-base.h>} and
 * {@code <asm-generic/errno.h>}; pinned against the installed headers and the running kernel by
 * {@code PosixAbiLinuxTest}.
 */
final class LinuxAbi {
    static final Map<String, Integer> VALUES;
    static final PosixAbi ABI;

    static {
        Map<String, Integer> v = new LinkedHashMap<>();
        v.put("AF_INET", 2);
        v.put("AF_UNIX", 1);
        v.put("AF_INET6", 10);
        v.put("SOCK_STREAM", 1);
        v.put("SOCK_NONBLOCK", 0x800);
        v.put("SOCK_CLOEXEC", 0x80000);
        v.put("HAS_ACCEPT4", 1);
        v.put("SHUT_WR", 1);
        v.put("F_GETFL", 3);
        v.put("F_SETFL", 4);
        v.put("F_SETFD", 2);
        v.put("FD_CLOEXEC", 1);
        v.put("O_NONBLOCK", 0x800);
        v.put("MSG_NOSIGNAL", 0x4000);

        v.put("SOL_SOCKET", 1);
        v.put("SO_REUSEADDR", 2);
        v.put("SO_REUSEPORT", 15);
        // Linux's SO_REUSEPORT spreads connections over the listeners of a port (since 3.9).
        v.put("SO_REUSEPORT_LB", 15);
        v.put("SO_KEEPALIVE", 9);
        v.put("SO_LINGER", 13);
        v.put("SO_SNDBUF", 7);
        v.put("SO_RCVBUF", 8);
        v.put("SO_ERROR", 4);
        v.put("SO_PEERCRED", 17);
        v.put("SO_NOSIGPIPE", 0);
        v.put("IPPROTO_TCP", 6);
        v.put("TCP_NODELAY", 1);
        v.put("IPPROTO_IPV6", 41);
        v.put("IPV6_V6ONLY", 26);

        v.put("EPERM", 1);
        v.put("ENOENT", 2);
        v.put("EINTR", 4);
        v.put("EIO", 5);
        v.put("EBADF", 9);
        v.put("EAGAIN", 11);
        v.put("EWOULDBLOCK", 11);
        v.put("ENOMEM", 12);
        v.put("EACCES", 13);
        v.put("EFAULT", 14);
        v.put("EEXIST", 17);
        v.put("EINVAL", 22);
        v.put("ENFILE", 23);
        v.put("EMFILE", 24);
        v.put("ENOSPC", 28);
        v.put("EPIPE", 32);
        v.put("ENOSYS", 38);
        v.put("EPROTO", 71);
        v.put("ENOTSOCK", 88);
        v.put("EDESTADDRREQ", 89);
        v.put("EMSGSIZE", 90);
        v.put("EPROTOTYPE", 91);
        v.put("ENOPROTOOPT", 92);
        v.put("EPROTONOSUPPORT", 93);
        v.put("EOPNOTSUPP", 95);
        v.put("ENOTSUP", 95);
        v.put("EAFNOSUPPORT", 97);
        v.put("EADDRINUSE", 98);
        v.put("EADDRNOTAVAIL", 99);
        v.put("ENETDOWN", 100);
        v.put("ENETUNREACH", 101);
        v.put("ENETRESET", 102);
        v.put("ECONNABORTED", 103);
        v.put("ECONNRESET", 104);
        v.put("ENOBUFS", 105);
        v.put("EISCONN", 106);
        v.put("ENOTCONN", 107);
        v.put("ESHUTDOWN", 108);
        v.put("ETIMEDOUT", 110);
        v.put("ECONNREFUSED", 111);
        v.put("EHOSTDOWN", 112);
        v.put("EHOSTUNREACH", 113);
        v.put("EALREADY", 114);
        v.put("EINPROGRESS", 115);

        v.put("SOCKADDR_HAS_LEN", 0);
        v.put("sizeof(struct sockaddr_storage)", 128);
        v.put("sizeof(struct sockaddr_in)", 16);
        v.put("offsetof(struct sockaddr_in, sin_port)", 2);
        v.put("offsetof(struct sockaddr_in, sin_addr)", 4);
        v.put("sizeof(struct sockaddr_in6)", 28);
        v.put("offsetof(struct sockaddr_in6, sin6_port)", 2);
        v.put("offsetof(struct sockaddr_in6, sin6_flowinfo)", 4);
        v.put("offsetof(struct sockaddr_in6, sin6_addr)", 8);
        v.put("offsetof(struct sockaddr_in6, sin6_scope_id)", 24);
        v.put("sizeof(struct sockaddr_un)", 110);
        v.put("offsetof(struct sockaddr_un, sun_path)", 2);
        v.put("sizeof(((struct sockaddr_un *)0)->sun_path)", 108);
        v.put("sizeof(struct ucred)", 12);
        v.put("offsetof(struct ucred, pid)", 0);
        v.put("offsetof(struct ucred, uid)", 4);
        v.put("offsetof(struct ucred, gid)", 8);
        v.put("sizeof(struct linger)", 8);
        v.put("offsetof(struct linger, l_onoff)", 0);
        v.put("offsetof(struct linger, l_linger)", 4);
        v.put("sizeof(struct iovec)", 16);
        v.put("offsetof(struct iovec, iov_base)", 0);
        v.put("offsetof(struct iovec, iov_len)", 8);
        v.put("sizeof(struct msghdr)", 56);
        v.put("offsetof(struct msghdr, msg_name)", 0);
        v.put("offsetof(struct msghdr, msg_namelen)", 8);
        v.put("offsetof(struct msghdr, msg_iov)", 16);
        v.put("offsetof(struct msghdr, msg_iovlen)", 24);
        v.put("sizeof(((struct msghdr *)0)->msg_iovlen)", 8);
        v.put("offsetof(struct msghdr, msg_control)", 32);
        v.put("offsetof(struct msghdr, msg_controllen)", 40);
        v.put("offsetof(struct msghdr, msg_flags)", 48);
        VALUES = java.util.Collections.unmodifiableMap(v);
        ABI = new PosixAbi("Linux", VALUES);
    }

    private LinuxAbi() {
    }
}
