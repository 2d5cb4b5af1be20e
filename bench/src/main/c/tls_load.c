/*
 * tls_load: the native TLS load generator of the Weft benchmark report's TLS part (Linux, OpenSSL 3).
 *
 * Shape (that of the Java tls-loadgen, TlsLoadGen.java): every connection offers TLS 1.3 with
 * TLS_AES_128_GCM_SHA256 only and trusts only the certificate(s) in --ca; no SNI, no ALPN, no host
 * name check (the Java client checks none either).
 *   echo:       C connections, each keeping D messages of S bytes in flight (D = 1 is ping-pong): it
 *               sends D, then one more for each one fully echoed. Every echoed byte is compared with
 *               what was sent (each connection's stream is a window over one pseudo-random pattern).
 *               The warm-up starts once every connection finished its handshake.
 *   handshakes: C clients, each in a loop: connect, full handshake, send S bytes, read and check
 *               their echo, send close_notify, close. No session is cached or offered, so none
 *               resumes (the output counts resumed ones: 0).
 * One thread, non-blocking sockets under level-triggered epoll: the report pins it to a CPU of its
 * own, where a second thread would only share that CPU.
 *
 * Output: one JSON line, the fields of the Java generator (schema weft-tls-loadgen/1) plus
 * "generator":"c": messages (or handshakes) per second, latency percentiles (us: from queuing a
 * message to its last byte echoed; in handshake mode from connect to close), with --pid the
 * server's user and sys us per message (/proc/PID/stat deltas over the measured window), and this
 * process's own CPU, so a client-bound cell can be flagged. A connection (or client) that completes
 * nothing in the measured window fails the run. With --markers, "measure-start" and "measure-end"
 * lines tell a reader when the window opens and closes. Exit status: 0 done, 1 the run failed (the
 * JSON says why), 2 bad arguments.
 *
 * Usage: tls_load --version
 *        tls_load --port P --ca PEM [--host 127.0.0.1] [--connections C] [--size S] [--pipeline D]
 *                 [--handshakes] [--duration SEC] [--warmup SEC] [--pid PID] [--markers]
 * Build: gcc -O2 -Wall -o tls_load tls_load.c -lssl -lcrypto
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/opensslv.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#if OPENSSL_VERSION_NUMBER < 0x10101000L
#error "tls_load.c needs OpenSSL 1.1.1 or later (TLS 1.3)"
#endif

#define SUITE "TLS_AES_128_GCM_SHA256"
#define PAT_LEN 262147          /* a prime above the largest message: any window is contiguous */
#define MAX_SIZE (256 * 1024)
#define RBUF 65536
#define MAX_EVENTS 256
#define HANDSHAKE_TIMEOUT_S 60
/* Latency histogram: values below 128 ns exact, above it 64 buckets per power of two (1.6%). */
#define BUCKETS (56 * 64 + 128)

enum { WARMUP, MEASURE, STOP };
enum { CONNECTING, HANDSHAKING, RUNNING };

struct conn {
    int id;
    int fd;
    SSL *ssl;
    int state;
    uint32_t interest;  /* the epoll events registered for fd */
    uint64_t queued;    /* stream bytes queued so far */
    uint64_t written;   /* of those, taken by SSL_write */
    uint64_t received;
    uint64_t done;      /* messages fully echoed (handshake mode: requests completed) */
    uint64_t done_at_start;
    uint64_t started;   /* handshake mode: when this request's connect began, ns */
    uint64_t *sent_at;  /* ring of D queue times, ns */
};

static unsigned char pattern[2 * PAT_LEN];
static unsigned char rbuf[RBUF];
static uint64_t hist[BUCKETS];
static uint64_t hist_count, hist_sum, hist_max;
static int phase = WARMUP;
static char error[768];
static char negotiated[128];

static int size = 1024, depth = 1, nconn = 1, duration = 5, warmup = 1, markers = 0, handshakes = 0;
static long pid = -1;
static uint64_t total_done, handshakes_done, resumed, established;
static int ep;
static SSL_CTX *ctx;
static struct sockaddr_in sa;

static uint64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static void fail(const char *fmt, ...) {
    if (error[0]) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(error, sizeof error, fmt, ap);
    va_end(ap);
    phase = STOP;
}

static int bucket(uint64_t v) {
    if (v < 128) return (int)v;
    int e = 63 - __builtin_clzll(v) - 6;
    return e * 64 + (int)(v >> e);
}

/* The largest value of bucket idx: a percentile is never reported below the true value. */
static uint64_t highest(int idx) {
    if (idx < 128) return (uint64_t)idx;
    int e = idx / 64 - 1;
    uint64_t sub = (uint64_t)idx - (uint64_t)e * 64;
    return ((sub + 1) << e) - 1;
}

static void record(uint64_t v) {
    hist[bucket(v)]++;
    hist_count++;
    hist_sum += v;
    if (v > hist_max) hist_max = v;
}

static double percentile(double q) {
    if (hist_count == 0) return 0;
    uint64_t rank = (uint64_t)(q * (double)hist_count);
    if (rank >= hist_count) rank = hist_count - 1;
    uint64_t seen = 0;
    for (int i = 0; i < BUCKETS; i++) {
        seen += hist[i];
        if (seen > rank) {
            uint64_t h = highest(i);
            return (double)(h < hist_max ? h : hist_max);
        }
    }
    return (double)hist_max;
}

/* utime and stime (clock ticks) of a process: fields 14 and 15 of /proc/PID/stat, after the last ')'. */
static int proc_cpu(const char *path, long long *user, long long *sys) {
    char buf[2048];
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *p = strrchr(buf, ')');
    if (!p) return -1;
    p++;
    for (int field = 3; field <= 13; field++) {
        while (*p == ' ') p++;
        while (*p && *p != ' ') p++;
    }
    if (sscanf(p, " %lld %lld", user, sys) != 2) return -1;
    return 0;
}

static void marker(const char *line) {
    if (markers) {
        printf("%s\n", line);
        fflush(stdout);
    }
}

/* Why the last TLS call on c failed, in words: OpenSSL's queue, the certificate check, or errno. */
static void tls_failure(struct conn *c, const char *what, int err) {
    int saved = errno;
    char reason[256] = "";
    unsigned long e = ERR_get_error();
    if (e != 0) ERR_error_string_n(e, reason, sizeof reason);
    long v = SSL_get_verify_result(c->ssl);
    ERR_clear_error();
    int eof = err == SSL_ERROR_SYSCALL && e == 0 && saved == 0;
#ifdef SSL_R_UNEXPECTED_EOF_WHILE_READING
    eof |= err == SSL_ERROR_SSL && ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING;
#endif
    if (v != X509_V_OK)
        fail("connection %d: %s failed: certificate check: %s", c->id, what, X509_verify_cert_error_string(v));
    else if (err == SSL_ERROR_ZERO_RETURN)
        fail("connection %d: %s: the server sent close_notify after %llu of %llu bytes", c->id, what,
             (unsigned long long)c->received, (unsigned long long)c->written);
    else if (eof)
        fail("connection %d: %s: the server closed the connection without close_notify after %llu of %llu bytes", c->id,
             what, (unsigned long long)c->received, (unsigned long long)c->written);
    else if (err == SSL_ERROR_SYSCALL && e == 0)
        fail("connection %d: %s failed: %s", c->id, what, strerror(saved));
    else
        fail("connection %d: %s failed: %s", c->id, what, reason[0] ? reason : "unknown TLS error");
}

static void want(struct conn *c, uint32_t events) {
    if (events == c->interest) return;
    struct epoll_event ev = {.events = events, .data.ptr = c};
    if (epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev) < 0) fail("epoll_ctl: %s", strerror(errno));
    c->interest = events;
}

static void queue_one(struct conn *c, uint64_t t) {
    c->sent_at[(c->queued / (uint64_t)size) % (uint64_t)depth] = t;
    c->queued += (uint64_t)size;
}

/* Starts a new TCP connection for c (non-blocking connect) and registers it for EPOLLOUT.
 * Returns 1 when it connected at once, 0 while the connect is in progress, -1 on failure. */
static int open_conn(struct conn *c) {
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0) {
        fail("socket: %s", strerror(errno));
        return -1;
    }
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c->queued = c->written = c->received = 0;
    c->ssl = NULL;
    c->state = CONNECTING;
    int r = connect(c->fd, (struct sockaddr *)&sa, sizeof sa);
    if (r < 0 && errno != EINPROGRESS) {
        fail("connect to %s:%d failed: %s", inet_ntoa(sa.sin_addr), ntohs(sa.sin_port), strerror(errno));
        return -1;
    }
    c->interest = EPOLLOUT;
    struct epoll_event ev = {.events = EPOLLOUT, .data.ptr = c};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) < 0) {
        fail("epoll_ctl: %s", strerror(errno));
        return -1;
    }
    return r == 0;
}

/* Ends c's connection: close_notify (without waiting for the server's), then close. */
static void close_conn(struct conn *c) {
    if (c->ssl) {
        if (c->state == RUNNING) SSL_shutdown(c->ssl);
        SSL_free(c->ssl);
        c->ssl = NULL;
    }
    if (c->fd >= 0) close(c->fd);
    c->fd = -1;
}

/* Sends what is queued. Returns the epoll events it waits for (0: all sent), or -1 on failure. */
static int flush(struct conn *c) {
    while (c->written < c->queued) {
        uint64_t left = c->queued - c->written;
        size_t n;
        /* Partial writes on: each call takes at least one record; a retry may move and grow. */
        int r = SSL_write_ex(c->ssl, pattern + c->written % PAT_LEN, left < PAT_LEN ? (size_t)left : PAT_LEN, &n);
        if (r <= 0) {
            int err = SSL_get_error(c->ssl, r);
            if (err == SSL_ERROR_WANT_WRITE) return EPOLLOUT;
            if (err == SSL_ERROR_WANT_READ) return EPOLLIN;
            tls_failure(c, "SSL_write", err);
            return -1;
        }
        c->written += n;
    }
    return 0;
}

/* Reads what OpenSSL and the socket hold; checks, counts and re-queues. Returns 1 when the
 * handshake-mode request completed, -1 when the run must end, else 0. */
static int drain(struct conn *c, int *blocked_on) {
    *blocked_on = 0;
    for (;;) {
        size_t n;
        int r = SSL_read_ex(c->ssl, rbuf, RBUF, &n);
        if (r <= 0) {
            int err = SSL_get_error(c->ssl, r);
            if (err == SSL_ERROR_WANT_READ) return 0;
            if (err == SSL_ERROR_WANT_WRITE) {
                *blocked_on = EPOLLOUT;
                return 0;
            }
            tls_failure(c, "SSL_read", err);
            return -1;
        }
        if (c->received + n > c->written) {
            fail("connection %d: the server echoed %llu bytes, more than the %llu sent", c->id,
                 (unsigned long long)(c->received + n), (unsigned long long)c->written);
            return -1;
        }
        if (memcmp(rbuf, pattern + c->received % PAT_LEN, n) != 0) {
            uint64_t at = c->received;
            while (rbuf[at - c->received] == pattern[at % PAT_LEN]) at++;
            fail("echoed bytes differ from those sent at stream offset %llu", (unsigned long long)at);
            return -1;
        }
        c->received += n;
        uint64_t t = now_ns();
        int measuring = phase == MEASURE;
        if (handshakes) {
            if (c->received == (uint64_t)size) {
                if (measuring) record(t - c->started);
                c->done++;
                total_done++;
                return 1;
            }
        } else {
            while ((c->done + 1) * (uint64_t)size <= c->received) {
                if (measuring) record(t - c->sent_at[c->done % (uint64_t)depth]);
                c->done++;
                total_done++;
                queue_one(c, t);
            }
        }
        /* Nothing decrypted or buffered left: whatever comes next is in the kernel, and epoll says so. */
        if (SSL_pending(c->ssl) == 0 && !SSL_has_pending(c->ssl)) return 0;
    }
}

static void on_handshake(struct conn *c) {
    handshakes_done++;
    if (SSL_session_reused(c->ssl)) resumed++;
    if (!negotiated[0]) {
        const SSL_CIPHER *cipher = SSL_get_current_cipher(c->ssl);
        snprintf(negotiated, sizeof negotiated, "%s %s", SSL_get_version(c->ssl),
                 cipher ? SSL_CIPHER_standard_name(cipher) : "?");
    }
    c->state = RUNNING;
    if (!handshakes) established++;
    uint64_t t = now_ns();
    if (handshakes) queue_one(c, t);
    else for (int k = 0; k < depth; k++) queue_one(c, t);
}

/* Moves c as far as it can go without blocking, then registers what it waits for. */
static void drive(struct conn *c) {
    for (;;) {
        if (phase == STOP) return;
        if (c->state == CONNECTING) {
            int soerr = 0;
            socklen_t len = sizeof soerr;
            if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0 || soerr != 0) {
                fail("connect to %s:%d failed: %s", inet_ntoa(sa.sin_addr), ntohs(sa.sin_port),
                     strerror(soerr ? soerr : errno));
                return;
            }
            c->ssl = SSL_new(ctx);
            if (!c->ssl || !SSL_set_fd(c->ssl, c->fd)) {
                fail("SSL_new: out of memory");
                return;
            }
            SSL_set_connect_state(c->ssl);
            c->state = HANDSHAKING;
        }
        if (c->state == HANDSHAKING) {
            int r = SSL_connect(c->ssl);
            if (r <= 0) {
                int err = SSL_get_error(c->ssl, r);
                if (err == SSL_ERROR_WANT_READ) want(c, EPOLLIN);
                else if (err == SSL_ERROR_WANT_WRITE) want(c, EPOLLOUT);
                else tls_failure(c, "TLS handshake", err);
                return;
            }
            on_handshake(c);
        }
        /* RUNNING: send, read, send what the reads re-queued. drain() leaves nothing in OpenSSL's
         * buffers, so what arrives next is in the kernel, where epoll (level-triggered) sees it:
         * reading again now would mostly cost a read(2) that finds nothing. */
        int in_on;
        int out_on = flush(c);
        if (out_on < 0) return;
        uint64_t before = c->queued;
        int r = drain(c, &in_on);
        if (r < 0) return;
        if (r == 0 && c->queued != before && !out_on) {
            out_on = flush(c);
            if (out_on < 0) return;
        }
        if (r == 1) {
            close_conn(c);
            if (phase == STOP) return;
            c->started = now_ns();
            if (open_conn(c) <= 0) return; /* in progress: EPOLLOUT says when it is done */
            continue;
        }
        want(c, EPOLLIN | (uint32_t)out_on | (uint32_t)in_on);
        return;
    }
}

static int parse_int(const char *name, const char *v, long lo, long hi, long *out) {
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (errno || *end || end == v || x < lo || x > hi) {
        fprintf(stderr, "tls_load: --%s: expected an integer in [%ld, %ld], got '%s'\n", name, lo, hi, v);
        return -1;
    }
    *out = x;
    return 0;
}

static void json_string(const char *s) {
    putchar('"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') printf("\\%c", *p);
        else if (*p < 0x20) printf("\\u%04x", *p);
        else putchar(*p);
    }
    putchar('"');
}

int main(int argc, char **argv) {
    const char *host = "127.0.0.1";
    const char *ca = NULL;
    long port = -1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        long v;
        if (strcmp(a, "--markers") == 0) {
            markers = 1;
            continue;
        }
        if (strcmp(a, "--handshakes") == 0) {
            handshakes = 1;
            continue;
        }
        if (strcmp(a, "--version") == 0) {
            printf("tls_load.c, %s, gcc %s\n", OpenSSL_version(OPENSSL_VERSION), __VERSION__);
            return 0;
        }
        if (strncmp(a, "--", 2) != 0 || i + 1 >= argc) {
            fprintf(stderr, "tls_load: bad argument '%s' (see the usage in tls_load.c)\n", a);
            return 2;
        }
        const char *name = a + 2;
        const char *val = argv[++i];
        if (strcmp(name, "host") == 0) host = val;
        else if (strcmp(name, "ca") == 0) ca = val;
        else if (strcmp(name, "port") == 0) { if (parse_int(name, val, 1, 65535, &port)) return 2; }
        else if (strcmp(name, "connections") == 0) { if (parse_int(name, val, 1, 10000, &v)) return 2; nconn = (int)v; }
        else if (strcmp(name, "size") == 0) { if (parse_int(name, val, 1, MAX_SIZE, &v)) return 2; size = (int)v; }
        else if (strcmp(name, "pipeline") == 0) { if (parse_int(name, val, 1, 1024, &v)) return 2; depth = (int)v; }
        else if (strcmp(name, "duration") == 0) { if (parse_int(name, val, 1, 3600, &v)) return 2; duration = (int)v; }
        else if (strcmp(name, "warmup") == 0) { if (parse_int(name, val, 0, 3600, &v)) return 2; warmup = (int)v; }
        else if (strcmp(name, "pid") == 0) { if (parse_int(name, val, -1, 1L << 30, &pid)) return 2; }
        else {
            fprintf(stderr, "tls_load: unknown option '%s'\n", a);
            return 2;
        }
    }
    if (port < 0) {
        fprintf(stderr, "tls_load: --port is required\n");
        return 2;
    }
    if (ca == NULL) {
        fprintf(stderr, "tls_load: --ca is required (PEM certificate(s) to trust)\n");
        return 2;
    }
    if (handshakes && depth != 1) {
        fprintf(stderr, "tls_load: --pipeline: handshake mode sends one message per connection, got %d\n", depth);
        return 2;
    }
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
        fprintf(stderr, "tls_load: --host: not an IPv4 address: '%s'\n", host);
        return 2;
    }
    char statpath[64];
    long long su0 = 0, ss0 = 0, su1 = 0, ss1 = 0;
    snprintf(statpath, sizeof statpath, "/proc/%ld/stat", pid);
    if (pid > 0 && proc_cpu(statpath, &su0, &ss0) < 0) {
        fprintf(stderr, "tls_load: --pid %ld: no such process (%s)\n", pid, statpath);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN); /* OpenSSL's socket BIO writes with write(2), not send(MSG_NOSIGNAL) */

    ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx || !SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) || !SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION)
        || !SSL_CTX_set_ciphersuites(ctx, SUITE)) {
        fprintf(stderr, "tls_load: this OpenSSL (%s) cannot offer TLS 1.3 with %s only\n", OpenSSL_version(OPENSSL_VERSION), SUITE);
        return 2;
    }
    if (SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1) {
        char reason[256] = "";
        ERR_error_string_n(ERR_get_error(), reason, sizeof reason);
        fprintf(stderr, "tls_load: --ca %s: no PEM certificate read from it (%s)\n", ca, reason);
        return 2;
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    /* No client session cache and no SSL_set_session: every handshake is a full one. */
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    /* One read(2) fetches as many records as the socket holds; drain() empties OpenSSL's buffer. */
    SSL_CTX_set_read_ahead(ctx, 1);

    uint64_t seed = 0x5eedULL;
    for (int i = 0; i < PAT_LEN; i++) {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        pattern[i] = (unsigned char)(seed >> 24);
    }
    memcpy(pattern + PAT_LEN, pattern, PAT_LEN);

    ep = epoll_create1(EPOLL_CLOEXEC);
    struct conn *conns = calloc((size_t)nconn, sizeof *conns);
    uint64_t t = now_ns();
    for (int i = 0; i < nconn && !error[0]; i++) {
        struct conn *c = &conns[i];
        c->id = i;
        c->fd = -1;
        c->sent_at = calloc((size_t)depth, sizeof(uint64_t));
        c->started = t;
        if (open_conn(c) > 0) drive(c);
    }

    struct epoll_event evs[MAX_EVENTS];
    uint64_t handshake_deadline = now_ns() + (uint64_t)HANDSHAKE_TIMEOUT_S * 1000000000u;
    /* Echo: the warm-up starts once every connection finished its handshake. */
    while (!handshakes && phase != STOP && established < (uint64_t)nconn) {
        if (now_ns() > handshake_deadline) {
            fail("%llu of %d connections made no handshake in %d s", (unsigned long long)(nconn - established), nconn,
                 HANDSHAKE_TIMEOUT_S);
            break;
        }
        int k = epoll_wait(ep, evs, MAX_EVENTS, 50);
        if (k < 0 && errno != EINTR) fail("epoll_wait: %s", strerror(errno));
        for (int i = 0; i < k && phase != STOP; i++) drive(evs[i].data.ptr);
    }

    uint64_t start = now_ns();
    uint64_t measure_at = start + (uint64_t)warmup * 1000000000u;
    uint64_t end_at = measure_at + (uint64_t)duration * 1000000000u;
    uint64_t t0 = 0, t1 = 0, done0 = 0, done1 = 0;
    struct rusage r0, r1;
    memset(&r0, 0, sizeof r0);
    memset(&r1, 0, sizeof r1);
    while (phase != STOP) {
        uint64_t n = now_ns();
        if (phase == WARMUP && n >= measure_at) {
            if (pid > 0 && proc_cpu(statpath, &su0, &ss0) < 0) fail("server process %ld ended", pid);
            getrusage(RUSAGE_SELF, &r0);
            for (int i = 0; i < nconn; i++) conns[i].done_at_start = conns[i].done;
            done0 = total_done;
            t0 = now_ns();
            phase = MEASURE;
            marker("measure-start");
        } else if (phase == MEASURE && n >= end_at) {
            done1 = total_done;
            t1 = now_ns();
            if (pid > 0 && proc_cpu(statpath, &su1, &ss1) < 0) fail("server process %ld ended", pid);
            getrusage(RUSAGE_SELF, &r1);
            int stalled = 0, first = -1;
            for (int i = 0; i < nconn; i++) {
                if (conns[i].done == conns[i].done_at_start) {
                    stalled++;
                    if (first < 0) first = i;
                }
            }
            if (stalled)
                fail("%d of %d %s (the first: %d) completed no %s in the %d s measured window", stalled, nconn,
                     handshakes ? "clients" : "connections", first, handshakes ? "handshake request" : "message", duration);
            phase = STOP;
            marker("measure-end");
            break;
        }
        int k = epoll_wait(ep, evs, MAX_EVENTS, 50);
        if (k < 0 && errno != EINTR) {
            fail("epoll_wait: %s", strerror(errno));
            break;
        }
        for (int i = 0; i < k && phase != STOP; i++) drive(evs[i].data.ptr);
    }
    if (t1 == 0) { /* ended early by an error */
        t1 = now_ns();
        done1 = total_done;
        if (t0 == 0) t0 = t1;
        getrusage(RUSAGE_SELF, &r1);
        if (pid > 0) proc_cpu(statpath, &su1, &ss1);
    }
    for (int i = 0; i < nconn; i++) close_conn(&conns[i]);

    double secs = (double)(t1 - t0) / 1e9;
    if (secs <= 0) secs = 1e-9;
    uint64_t msgs = done1 - done0;
    long ticks = sysconf(_SC_CLK_TCK);
    double own_user = (double)(r1.ru_utime.tv_sec - r0.ru_utime.tv_sec) * 1e6 + (double)(r1.ru_utime.tv_usec - r0.ru_utime.tv_usec);
    double own_sys = (double)(r1.ru_stime.tv_sec - r0.ru_stime.tv_sec) * 1e6 + (double)(r1.ru_stime.tv_usec - r0.ru_stime.tv_usec);
    double own_util = (own_user + own_sys) / 1e6 / secs;
    if (msgs == 0 && !error[0]) fail("no message completed in the measured window");
    printf("{\"schema\":\"weft-tls-loadgen/1\",\"generator\":\"c\",\"library\":");
    json_string(OpenSSL_version(OPENSSL_VERSION));
    printf(",\"host\":\"%s\",\"port\":%ld,\"mode\":\"%s\",\"connections\":%d,\"size\":%d,\"pipeline\":%d,\"negotiated\":",
           host, port, handshakes ? "handshakes" : "echo", nconn, size, depth);
    if (negotiated[0]) json_string(negotiated);
    else printf("null");
    printf(",\"check\":\"all\",\"handshakes\":%llu,\"resumed\":%llu,\"threads\":1,\"warmup_s\":%d,\"duration_s\":%.6f,"
           "\"messages\":%llu,\"msgs_per_s\":%.3f,",
           (unsigned long long)handshakes_done, (unsigned long long)resumed, warmup, secs, (unsigned long long)msgs,
           (double)msgs / secs);
    printf("\"latency_us\":{\"p50\":%.3f,\"p99\":%.3f,\"p999\":%.3f,\"max\":%.3f,\"mean\":%.3f,\"samples\":%llu},",
           percentile(0.50) / 1e3, percentile(0.99) / 1e3, percentile(0.999) / 1e3, (double)hist_max / 1e3,
           hist_count ? (double)hist_sum / (double)hist_count / 1e3 : 0.0, (unsigned long long)hist_count);
    if (pid > 0) {
        double du = (double)(su1 - su0), ds = (double)(ss1 - ss0);
        if (msgs == 0)
            printf("\"server_cpu\":{\"pid\":%ld,\"user_us_per_msg\":null,\"sys_us_per_msg\":null,", pid);
        else
            printf("\"server_cpu\":{\"pid\":%ld,\"user_us_per_msg\":%.6f,\"sys_us_per_msg\":%.6f,", pid,
                   du * 1e6 / (double)ticks / (double)msgs, ds * 1e6 / (double)ticks / (double)msgs);
        printf("\"util\":%.6f},", (du + ds) / (double)ticks / secs);
    }
    /* One thread: saturated when it used 90% of one CPU. */
    printf("\"client_cpu\":{\"cores\":1,\"util\":%.6f,", own_util);
    if (msgs == 0) printf("\"user_us_per_msg\":null,\"sys_us_per_msg\":null,");
    else printf("\"user_us_per_msg\":%.6f,\"sys_us_per_msg\":%.6f,", own_user / (double)msgs, own_sys / (double)msgs);
    printf("\"saturated\":%s},\"clk_tck\":%ld", own_util >= 0.9 ? "true" : "false", ticks);
    if (error[0]) {
        printf(",\"error\":");
        json_string(error);
    }
    printf("}\n");
    fflush(stdout);
    SSL_CTX_free(ctx);
    return error[0] ? 1 : 0;
}
