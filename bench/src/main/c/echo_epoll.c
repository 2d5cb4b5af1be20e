/*
 * echo_epoll: the "what the kernel allows" reference of the Weft benchmark report.
 *
 * One thread, level-triggered epoll, non-blocking sockets, TCP_NODELAY. Each readable socket is
 * read once per wakeup into one shared 256 KiB buffer and written straight back; whatever the
 * kernel does not take is kept per connection, reading pauses (EPOLLOUT only) until it drains,
 * so memory stays bounded and order is kept. No logging after the "listening on" line.
 *
 * Usage: echo_epoll --port P [--host 127.0.0.1]
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define READ_MAX (256 * 1024)
#define MAX_EVENTS 256

struct conn {
    int fd;
    char *pending;   /* bytes the kernel did not take yet, or NULL */
    size_t len;      /* pending length */
    size_t off;      /* how much of pending was sent */
};

static char rbuf[READ_MAX];

static void die(const char *what) {
    fprintf(stderr, "echo_epoll: %s: %s\n", what, strerror(errno));
    exit(1);
}

static void drop(int ep, struct conn *c) {
    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    free(c->pending);
    free(c);
}

static void set_events(int ep, struct conn *c, unsigned events) {
    struct epoll_event ev = {.events = events, .data.ptr = c};
    if (epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev) < 0) die("epoll_ctl MOD");
}

/* Sends pending bytes; returns -1 on a fatal error, 0 when some remain, 1 when drained. */
static int flush_pending(struct conn *c) {
    while (c->off < c->len) {
        ssize_t n = send(c->fd, c->pending + c->off, c->len - c->off, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
            return -1;
        }
        c->off += (size_t)n;
    }
    free(c->pending);
    c->pending = NULL;
    c->len = c->off = 0;
    return 1;
}

int main(int argc, char **argv) {
    const char *host = "127.0.0.1";
    int port = -1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
            port = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--host") == 0 && i + 1 < argc) {
            host = argv[++i];
        } else {
            fprintf(stderr, "echo_epoll: bad argument '%s' (usage: --port P [--host H])\n", argv[i]);
            return 2;
        }
    }
    if (port < 0 || port > 65535) {
        fprintf(stderr, "echo_epoll: --port P is required (0..65535)\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);

    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (lfd < 0) die("socket");
    int one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
    if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) {
        fprintf(stderr, "echo_epoll: --host must be an IPv4 address: %s\n", host);
        return 2;
    }
    if (bind(lfd, (struct sockaddr *)&addr, sizeof addr) < 0) die("bind");
    if (listen(lfd, 1024) < 0) die("listen");
    socklen_t alen = sizeof addr;
    getsockname(lfd, (struct sockaddr *)&addr, &alen);

    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) die("epoll_create1");
    struct epoll_event lev = {.events = EPOLLIN, .data.ptr = NULL};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &lev) < 0) die("epoll_ctl ADD listen");

    printf("listening on %s:%d backend=c-epoll\n", host, ntohs(addr.sin_port));
    fflush(stdout);

    struct epoll_event events[MAX_EVENTS];
    for (;;) {
        int n = epoll_wait(ep, events, MAX_EVENTS, -1);
        if (n < 0) {
            if (errno == EINTR) continue;
            die("epoll_wait");
        }
        for (int i = 0; i < n; i++) {
            struct conn *c = events[i].data.ptr;
            if (c == NULL) {
                for (;;) {
                    int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                    if (fd < 0) break; /* EAGAIN, or EMFILE: level-triggered, retried next wait */
                    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    struct conn *nc = calloc(1, sizeof *nc);
                    if (nc == NULL) { close(fd); continue; }
                    nc->fd = fd;
                    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = nc};
                    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) { close(fd); free(nc); }
                }
                continue;
            }
            if (c->pending != NULL) {
                int r = flush_pending(c);
                if (r < 0) { drop(ep, c); continue; }
                if (r > 0) set_events(ep, c, EPOLLIN);
                continue;
            }
            ssize_t got = read(c->fd, rbuf, READ_MAX);
            if (got == 0) { drop(ep, c); continue; }
            if (got < 0) {
                if (errno == EAGAIN || errno == EINTR) continue;
                drop(ep, c);
                continue;
            }
            ssize_t sent = send(c->fd, rbuf, (size_t)got, MSG_NOSIGNAL);
            if (sent < 0) {
                if (errno != EAGAIN && errno != EWOULDBLOCK) { drop(ep, c); continue; }
                sent = 0;
            }
            if (sent < got) {
                size_t rest = (size_t)(got - sent);
                c->pending = malloc(rest);
                if (c->pending == NULL) { drop(ep, c); continue; }
                memcpy(c->pending, rbuf + sent, rest);
                c->len = rest;
                c->off = 0;
                set_events(ep, c, EPOLLOUT);
            }
        }
    }
}
