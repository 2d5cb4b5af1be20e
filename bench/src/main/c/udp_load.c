/*
 * UDP echo load generator and reference server for the Weft benchmark report (Linux).
 *
 *   udp_load load --port P [--host 127.0.0.1] --size S [--flows F] [--window W]
 *                 --warmup SEC --duration SEC
 *     F sockets, each connected to the server, each keeping W datagrams of S bytes in flight: every
 *     echo that comes back sends one more. A flow that hears nothing for 100 ms counts what it has
 *     in flight as lost and sends a fresh window. Datagrams move with recvmmsg/sendmmsg so the
 *     client costs little next to the server. After the measured seconds it stops sending and
 *     drains for 200 ms, then prints one line:
 *       sent=N received=N lost=N seconds=T pps=X
 *     where pps counts echoes received during the measured seconds and lost = sent - received
 *     over the whole run.
 *
 *   udp_load server --port P [--host 127.0.0.1]
 *     the reference: one thread, epoll, recvmmsg of up to 32 datagrams then one sendmmsg of the
 *     same datagrams back to their senders. Prints "listening on HOST:PORT backend=c-recvmmsg".
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 32
#define MAX_FLOWS 64
#define SLOT 2048

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what) {
    perror(what);
    exit(2);
}

static const char *arg(int argc, char **argv, const char *name, const char *def) {
    for (int i = 2; i + 1 < argc; i++) {
        if (strcmp(argv[i], name) == 0) {
            return argv[i + 1];
        }
    }
    return def;
}

static struct sockaddr_in address(const char *host, int port) {
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t) port);
    if (inet_pton(AF_INET, host, &a.sin_addr) != 1) {
        fprintf(stderr, "udp_load: not an IPv4 address: %s\n", host);
        exit(2);
    }
    return a;
}

static int big_buffers(int fd) {
    int v = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof v);
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof v);
    return fd;
}

static int server(int argc, char **argv) {
    const char *host = arg(argc, argv, "--host", "127.0.0.1");
    const char *p = arg(argc, argv, "--port", NULL);
    if (p == NULL) {
        fprintf(stderr, "usage: udp_load server --port P [--host H]\n");
        return 2;
    }
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0); /* buffers at the system's defaults */
    struct sockaddr_in a = address(host, atoi(p));
    if (bind(fd, (struct sockaddr *) &a, sizeof a) != 0) {
        die("bind");
    }
    socklen_t len = sizeof a;
    getsockname(fd, (struct sockaddr *) &a, &len);
    printf("listening on %s:%d backend=c-recvmmsg\n", host, ntohs(a.sin_port));
    fflush(stdout);
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    static char bufs[BATCH][SLOT];
    struct sockaddr_in names[BATCH];
    struct iovec iov[BATCH];
    struct mmsghdr msgs[BATCH];
    for (;;) {
        struct epoll_event got;
        if (epoll_wait(ep, &got, 1, -1) < 0) {
            if (errno == EINTR) {
                continue;
            }
            die("epoll_wait");
        }
        for (;;) {
            for (int i = 0; i < BATCH; i++) {
                iov[i].iov_base = bufs[i];
                iov[i].iov_len = SLOT;
                memset(&msgs[i].msg_hdr, 0, sizeof msgs[i].msg_hdr);
                msgs[i].msg_hdr.msg_name = &names[i];
                msgs[i].msg_hdr.msg_namelen = sizeof names[i];
                msgs[i].msg_hdr.msg_iov = &iov[i];
                msgs[i].msg_hdr.msg_iovlen = 1;
            }
            int n = recvmmsg(fd, msgs, BATCH, MSG_DONTWAIT, NULL);
            if (n <= 0) {
                break;
            }
            for (int i = 0; i < n; i++) {
                iov[i].iov_len = msgs[i].msg_len;
            }
            int done = 0;
            while (done < n) {
                int s = sendmmsg(fd, msgs + done, n - done, 0);
                if (s <= 0) {
                    if (s < 0 && errno != EAGAIN && errno != EINTR) {
                        done++; /* this datagram is refused (ECONNREFUSED from a gone client): skip it */
                    } else if (s < 0 && errno == EAGAIN) {
                        break; /* drop the rest: the kernel's send buffer is full */
                    }
                    continue;
                }
                done += s;
            }
            if (n < BATCH) {
                break;
            }
        }
    }
}

struct flow {
    int fd;
    long inflight;
    double heard;
};

static int load(int argc, char **argv) {
    const char *host = arg(argc, argv, "--host", "127.0.0.1");
    const char *p = arg(argc, argv, "--port", NULL);
    int size = atoi(arg(argc, argv, "--size", "64"));
    int flows = atoi(arg(argc, argv, "--flows", "4"));
    int window = atoi(arg(argc, argv, "--window", "16"));
    double warmup = atof(arg(argc, argv, "--warmup", "1"));
    double duration = atof(arg(argc, argv, "--duration", "5"));
    if (p == NULL || size < 1 || size > SLOT || flows < 1 || flows > MAX_FLOWS || window < 1 || window > 1024
            || duration <= 0 || warmup < 0) {
        fprintf(stderr, "usage: udp_load load --port P [--host H] --size 1..%d [--flows 1..%d] [--window 1..1024]"
                " --warmup SEC --duration SEC\n", SLOT, MAX_FLOWS);
        return 2;
    }
    struct sockaddr_in to = address(host, atoi(p));
    struct flow f[MAX_FLOWS];
    struct pollfd pfd[MAX_FLOWS];
    for (int i = 0; i < flows; i++) {
        f[i].fd = big_buffers(socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0));
        if (f[i].fd < 0 || connect(f[i].fd, (struct sockaddr *) &to, sizeof to) != 0) {
            die("socket/connect");
        }
        f[i].inflight = 0;
        pfd[i].fd = f[i].fd;
        pfd[i].events = POLLIN;
    }
    static char out[BATCH][SLOT];
    static char in[BATCH][SLOT];
    struct iovec oiov[BATCH], iiov[BATCH];
    struct mmsghdr omsg[BATCH], imsg[BATCH];
    memset(omsg, 0, sizeof omsg);
    for (int i = 0; i < BATCH; i++) {
        memset(out[i], 'x', SLOT);
        oiov[i].iov_base = out[i];
        oiov[i].iov_len = (size_t) size;
        omsg[i].msg_hdr.msg_iov = &oiov[i];
        omsg[i].msg_hdr.msg_iovlen = 1;
    }
    unsigned long long sent = 0, received = 0, measured = 0, lost_timeouts = 0;
    double start = now_s();
    double begin = start + warmup, end = begin + duration;
    double t = start;
    for (int i = 0; i < flows; i++) {
        f[i].heard = t;
    }
    int sending = 1;
    while (1) {
        t = now_s();
        if (sending && t >= end) {
            sending = 0;
        }
        if (!sending && t >= end + 0.2) {
            break;
        }
        for (int i = 0; i < flows && sending; i++) {
            if (t - f[i].heard > 0.1 && f[i].inflight > 0) {
                lost_timeouts += (unsigned long long) f[i].inflight;
                f[i].inflight = 0;
            }
            if (f[i].inflight == 0) {
                f[i].heard = t;
            }
            while (f[i].inflight < window) {
                long want = window - f[i].inflight;
                int k = want > BATCH ? BATCH : (int) want;
                int s = sendmmsg(f[i].fd, omsg, k, 0);
                if (s <= 0) {
                    break;
                }
                f[i].inflight += s;
                sent += (unsigned long long) s;
            }
        }
        if (poll(pfd, (nfds_t) flows, 5) <= 0) {
            continue;
        }
        t = now_s();
        for (int i = 0; i < flows; i++) {
            if (!(pfd[i].revents & POLLIN)) {
                continue;
            }
            for (;;) {
                for (int j = 0; j < BATCH; j++) {
                    iiov[j].iov_base = in[j];
                    iiov[j].iov_len = SLOT;
                    memset(&imsg[j].msg_hdr, 0, sizeof imsg[j].msg_hdr);
                    imsg[j].msg_hdr.msg_iov = &iiov[j];
                    imsg[j].msg_hdr.msg_iovlen = 1;
                }
                int n = recvmmsg(f[i].fd, imsg, BATCH, MSG_DONTWAIT, NULL);
                if (n <= 0) {
                    break;
                }
                received += (unsigned long long) n;
                if (t >= begin && t < end) {
                    measured += (unsigned long long) n;
                }
                f[i].inflight = f[i].inflight > n ? f[i].inflight - n : 0;
                f[i].heard = t;
                if (n < BATCH) {
                    break;
                }
            }
        }
    }
    unsigned long long lost = sent > received ? sent - received : 0;
    printf("sent=%llu received=%llu lost=%llu timeouts=%llu seconds=%.3f pps=%.0f\n", sent, received, lost,
           lost_timeouts, duration, measured / duration);
    return 0;
}

int main(int argc, char **argv) {
    if (argc >= 2 && strcmp(argv[1], "load") == 0) {
        return load(argc, argv);
    }
    if (argc >= 2 && strcmp(argv[1], "server") == 0) {
        return server(argc, argv);
    }
    fprintf(stderr, "usage: udp_load load|server ...\n");
    return 2;
}
