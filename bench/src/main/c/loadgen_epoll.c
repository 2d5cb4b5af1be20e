/*
 * loadgen_epoll: the native TCP echo load generator of the Weft benchmark report.
 *
 * Closed loop: C connections, each keeping D messages of S bytes in flight; it sends D, then one
 * new message for each one fully echoed (D = 1 is ping-pong). One thread: the report pins it to a
 * CPU of its own with taskset, so a second thread would only share that CPU. One connection with
 * at most 64 KiB in flight runs with a blocking socket (send, recv: two system calls per message);
 * anything else runs non-blocking over level-triggered epoll, one recv per readable socket per
 * wake-up.
 *
 * Check: each connection's byte stream is a window over one fixed pseudo-random pattern, so every
 * echoed byte is compared with what was sent ("all"). From 16 KiB messages ("auto"), one read in 8
 * per connection is compared and the others are dropped uncopied in the kernel (recv MSG_TRUNC)
 * ("sample"): duplicated or lost bytes shift every later offset and fail the next compared read.
 * A connection that completes nothing in the measured window fails the run.
 *
 * Output: one JSON line, the fields of the Java generator (schema weft-loadgen/1) plus
 * "generator":"c": messages per second, latency percentiles (us, from queuing a message to its
 * last byte echoed), with --pid the server's user and sys us per message (/proc/PID/stat deltas
 * over the measured window) and this process's own CPU, so a client-bound cell can be flagged;
 * for both, sleeps per message (voluntary context switches: how often each had to be woken).
 * With --markers, "measure-start" and "measure-end" lines tell a reader when the window opens and
 * closes. Exit status: 0 done, 1 the run failed (the JSON says why), 2 bad arguments.
 *
 * Usage: loadgen_epoll --version
 *        loadgen_epoll --port P [--host 127.0.0.1] [--connections C] [--size S] [--pipeline D]
 *                      [--duration SEC] [--warmup SEC] [--pid PID] [--check auto|all|sample] [--markers]
 * Build: gcc -O2 -Wall -o loadgen_epoll loadgen_epoll.c load_common.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "load_common.h"

#define SAMPLE_FROM (16 * 1024)
#define SAMPLE_EVERY 8

struct conn {
    int fd;
    uint32_t interest; /* the epoll events registered for fd */
    uint64_t queued;   /* stream bytes queued so far */
    uint64_t written;  /* of those, taken by the kernel */
    uint64_t received;
    uint64_t done;     /* messages fully echoed */
    uint64_t reads;
    uint64_t *sent_at; /* ring of D queue times, ns */
};

static unsigned char rbuf[MAX_SIZE];
static const char *check = "auto";
static int sample = 0;
static uint64_t total_done, rx_bytes, cmp_bytes, short_writes;

static void queue_one(struct conn *c, uint64_t t) {
    c->sent_at[(c->queued / (uint64_t)opt.size) % (uint64_t)opt.pipeline] = t;
    c->queued += (uint64_t)opt.size;
}

/* Sends what is queued; returns 1 when the socket buffer filled first, -1 on error. */
static int flush(struct conn *c) {
    while (c->written < c->queued) {
        uint64_t left = c->queued - c->written;
        size_t want = left < PAT_LEN ? (size_t)left : PAT_LEN;
        ssize_t n = send(c->fd, pattern + c->written % PAT_LEN, want, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) return 1;
            fail("send failed: %s", strerror(errno));
            return -1;
        }
        c->written += (uint64_t)n;
        if ((size_t)n < want) return 1;
    }
    return 0;
}

/* Reads once from c; checks, counts and re-queues. Returns -1 when the run must end. */
static int on_readable(struct conn *c) {
    int compare = !sample || c->reads++ % SAMPLE_EVERY == 0;
    ssize_t n = compare ? recv(c->fd, rbuf, MAX_SIZE, 0) : recv(c->fd, NULL, MAX_SIZE, MSG_TRUNC | MSG_DONTWAIT);
    if (n < 0) {
        if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) return 0;
        fail("connection failed: recv: %s", strerror(errno));
        return -1;
    }
    if (n == 0) {
        fail("server closed the connection after %llu bytes", (unsigned long long)c->received);
        return -1;
    }
    if (compare) {
        if (memcmp(rbuf, pattern + c->received % PAT_LEN, (size_t)n) != 0) {
            fail("echoed bytes differ from those sent at stream offset %llu", (unsigned long long)c->received);
            return -1;
        }
        cmp_bytes += (uint64_t)n;
    }
    c->received += (uint64_t)n;
    rx_bytes += (uint64_t)n;
    if (c->received > c->written) {
        fail("the server echoed %llu bytes, more than the %llu sent", (unsigned long long)c->received,
             (unsigned long long)c->written);
        return -1;
    }
    uint64_t t = now_ns();
    int measuring = phase == MEASURE;
    while ((c->done + 1) * (uint64_t)opt.size <= c->received) {
        if (measuring) record(t - c->sent_at[c->done % (uint64_t)opt.pipeline]);
        c->done++;
        total_done++;
        queue_one(c, t);
    }
    return 0;
}

static int option(const char *name, const char *val) {
    if (strcmp(name, "check") != 0) return 0;
    if (strcmp(val, "auto") && strcmp(val, "all") && strcmp(val, "sample")) {
        fprintf(stderr, "loadgen_epoll: --check: expected auto, all or sample, got '%s'\n", val);
        return -1;
    }
    check = val;
    return 1;
}

static void version(void) {
    printf("loadgen_epoll.c, gcc %s\n", __VERSION__);
}

int main(int argc, char **argv) {
    load_prog = "loadgen_epoll";
    opt = (struct load_opts){.host = "127.0.0.1", .port = -1, .connections = 1, .size = 64, .pipeline = 1,
                             .duration = 5, .warmup = 1, .pid = -1};
    int parsed = load_parse_args(argc, argv, NULL, option, version);
    if (parsed) return parsed == 1 ? 0 : 2;
    struct load_window w;
    if (load_window_init(&w, 1)) return 2;
    int nconn = opt.connections, depth = opt.pipeline, size = opt.size;
    /* Blocking only where sending everything in flight before reading cannot fill both socket buffers. */
    int blocking = nconn == 1 && (long)size * depth <= 65536;
    sample = strcmp(check, "sample") == 0 || (strcmp(check, "auto") == 0 && size >= SAMPLE_FROM && !blocking);
    if (sample && blocking) {
        fprintf(stderr, "loadgen_epoll: --check sample needs the epoll mode (more than one connection, or over 64 KiB in flight)\n");
        return 2;
    }
    load_fill_pattern();

    struct sockaddr_in sa;
    if (load_address(&sa)) return 2;
    struct conn *conns = calloc((size_t)nconn, sizeof *conns);
    for (int i = 0; i < nconn; i++) conns[i].fd = -1;
    load_window_conns(&w, &conns[0].done, sizeof conns[0], nconn);
    int ep = blocking ? -1 : epoll_create1(EPOLL_CLOEXEC);
    uint64_t t = now_ns();
    for (int i = 0; i < nconn && !failure[0]; i++) {
        struct conn *c = &conns[i];
        c->sent_at = calloc((size_t)depth, sizeof(uint64_t));
        c->fd = load_connect(&sa, 0, NULL);
        if (c->fd < 0) break;
        if (blocking) {
            struct timeval tv = {.tv_sec = 0, .tv_usec = 100000}; /* to see the phase change on a stall */
            setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        } else {
            fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
            c->interest = EPOLLIN;
            if (load_epoll_add(ep, c->fd, EPOLLIN, c) < 0) break;
        }
        for (int k = 0; k < depth; k++) queue_one(c, t);
        if (flush(c) > 0 && !blocking) load_epoll_want(ep, c->fd, &c->interest, EPOLLIN | EPOLLOUT, c);
    }

    load_window_start(&w);
    struct epoll_event evs[MAX_EVENTS];
    while (phase != STOP) {
        if (load_window_tick(&w, total_done) == LOAD_CLOSED) {
            if (w.stalled)
                fail("%d of %d connections (the first: connection %d) completed no message in the %d s measured window; "
                     "a server that loses bytes stalls a connection", w.stalled, nconn, w.first_stalled, opt.duration);
            break;
        }
        if (blocking) {
            struct conn *c = &conns[0];
            if (flush(c) < 0 || on_readable(c) < 0) break;
            continue;
        }
        int k = load_epoll_wait(ep, evs);
        if (k < 0) break;
        for (int i = 0; i < k && phase != STOP; i++) {
            struct conn *c = evs[i].data.ptr;
            if ((evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) && on_readable(c) < 0) break;
            int full = flush(c);
            if (full < 0) break;
            if (full) short_writes++;
            uint32_t want = EPOLLIN | (c->written < c->queued ? EPOLLOUT : 0);
            load_epoll_want(ep, c->fd, &c->interest, want, c);
        }
    }
    load_window_end(&w, total_done);
    for (int i = 0; i < nconn; i++) {
        if (conns[i].fd >= 0) close(conns[i].fd);
    }

    struct load_result r;
    load_result(&w, &r);
    printf("{\"schema\":\"weft-loadgen/1\",\"generator\":\"c\",\"host\":\"%s\",\"port\":%ld,\"connections\":%d,\"size\":%d,"
           "\"pipeline\":%d,\"mode\":\"%s\",\"check\":\"%s\",",
           opt.host, opt.port, nconn, size, depth, blocking ? "blocking" : "epoll", sample ? "sample" : "all");
    if (rx_bytes == 0) printf("\"compared_fraction\":null,");
    else printf("\"compared_fraction\":%.6f,", (double)cmp_bytes / (double)rx_bytes);
    printf("\"short_writes\":%llu,\"threads\":1,\"warmup_s\":%d,\"duration_s\":%.6f,\"messages\":%llu,\"msgs_per_s\":%.3f,"
           "\"mib_per_s\":%.3f,",
           (unsigned long long)short_writes, opt.warmup, r.secs, (unsigned long long)r.msgs, (double)r.msgs / r.secs,
           (double)r.msgs * size / r.secs / (1 << 20));
    json_latency();
    json_server_cpu(&w, &r);
    json_client_cpu(&w, &r);
    json_end();
    return failure[0] ? 1 : 0;
}
