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
 * Build: gcc -O2 -Wall -o tls_load tls_load.c load_common.c -lssl -lcrypto
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/opensslv.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "load_common.h"

#if OPENSSL_VERSION_NUMBER < 0x10101000L
#error "tls_load.c needs OpenSSL 1.1.1 or later (TLS 1.3)"
#endif

#define SUITE "TLS_AES_128_GCM_SHA256"
#define RBUF 65536
#define HANDSHAKE_TIMEOUT_S 60

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
    uint64_t started;   /* handshake mode: when this request's connect began, ns */
    uint64_t *sent_at;  /* ring of D queue times, ns */
};

static unsigned char rbuf[RBUF];
static char negotiated[128];

static int handshakes = 0;
static const char *ca = NULL;
static uint64_t total_done, handshakes_done, resumed, established;
static int ep;
static SSL_CTX *ctx;
static struct sockaddr_in sa;

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
    load_epoll_want(ep, c->fd, &c->interest, events, c);
}

static void queue_one(struct conn *c, uint64_t t) {
    c->sent_at[(c->queued / (uint64_t)opt.size) % (uint64_t)opt.pipeline] = t;
    c->queued += (uint64_t)opt.size;
}

/* Starts a new TCP connection for c (non-blocking connect) and registers it for EPOLLOUT.
 * Returns 1 when it connected at once, 0 while the connect is in progress, -1 on failure. */
static int open_conn(struct conn *c) {
    int pending;
    c->queued = c->written = c->received = 0;
    c->ssl = NULL;
    c->state = CONNECTING;
    c->fd = load_connect(&sa, 1, &pending);
    if (c->fd < 0) return -1;
    c->interest = EPOLLOUT;
    if (load_epoll_add(ep, c->fd, EPOLLOUT, c) < 0) return -1;
    return !pending;
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
            if (c->received == (uint64_t)opt.size) {
                if (measuring) record(t - c->started);
                c->done++;
                total_done++;
                return 1;
            }
        } else {
            while ((c->done + 1) * (uint64_t)opt.size <= c->received) {
                if (measuring) record(t - c->sent_at[c->done % (uint64_t)opt.pipeline]);
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
    else for (int k = 0; k < opt.pipeline; k++) queue_one(c, t);
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

static int option(const char *name, const char *val) {
    if (strcmp(name, "handshakes") == 0 && val == NULL) handshakes = 1;
    else if (strcmp(name, "ca") == 0) ca = val;
    else return 0;
    return 1;
}

static void version(void) {
    printf("tls_load.c, %s, gcc %s\n", OpenSSL_version(OPENSSL_VERSION), __VERSION__);
}

int main(int argc, char **argv) {
    static const char *const flags[] = {"handshakes", NULL};
    load_prog = "tls_load";
    opt = (struct load_opts){.host = "127.0.0.1", .port = -1, .connections = 1, .size = 1024, .pipeline = 1,
                             .duration = 5, .warmup = 1, .pid = -1};
    int parsed = load_parse_args(argc, argv, flags, option, version);
    if (parsed) return parsed == 1 ? 0 : 2;
    if (ca == NULL) {
        fprintf(stderr, "tls_load: --ca is required (PEM certificate(s) to trust)\n");
        return 2;
    }
    int nconn = opt.connections;
    if (handshakes && opt.pipeline != 1) {
        fprintf(stderr, "tls_load: --pipeline: handshake mode sends one message per connection, got %d\n", opt.pipeline);
        return 2;
    }
    if (load_address(&sa)) return 2;
    struct load_window w;
    if (load_window_init(&w, 0)) return 2;
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
    load_fill_pattern();

    ep = epoll_create1(EPOLL_CLOEXEC);
    struct conn *conns = calloc((size_t)nconn, sizeof *conns);
    load_window_conns(&w, &conns[0].done, sizeof conns[0], nconn);
    uint64_t t = now_ns();
    for (int i = 0; i < nconn; i++) {
        conns[i].id = i;
        conns[i].fd = -1;
    }
    for (int i = 0; i < nconn && !failure[0]; i++) {
        struct conn *c = &conns[i];
        c->sent_at = calloc((size_t)opt.pipeline, sizeof(uint64_t));
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
        int k = load_epoll_wait(ep, evs);
        for (int i = 0; i < k && phase != STOP; i++) drive(evs[i].data.ptr);
    }

    load_window_start(&w);
    while (phase != STOP) {
        if (load_window_tick(&w, total_done) == LOAD_CLOSED) {
            if (w.stalled)
                fail("%d of %d %s (the first: %d) completed no %s in the %d s measured window", w.stalled, nconn,
                     handshakes ? "clients" : "connections", w.first_stalled, handshakes ? "handshake request" : "message",
                     opt.duration);
            break;
        }
        int k = load_epoll_wait(ep, evs);
        if (k < 0) break;
        for (int i = 0; i < k && phase != STOP; i++) drive(evs[i].data.ptr);
    }
    load_window_end(&w, total_done);
    for (int i = 0; i < nconn; i++) close_conn(&conns[i]);

    struct load_result r;
    load_result(&w, &r);
    if (r.msgs == 0 && !failure[0]) fail("no message completed in the measured window");
    printf("{\"schema\":\"weft-tls-loadgen/1\",\"generator\":\"c\",\"library\":");
    json_string(OpenSSL_version(OPENSSL_VERSION));
    printf(",\"host\":\"%s\",\"port\":%ld,\"mode\":\"%s\",\"connections\":%d,\"size\":%d,\"pipeline\":%d,\"negotiated\":",
           opt.host, opt.port, handshakes ? "handshakes" : "echo", nconn, opt.size, opt.pipeline);
    if (negotiated[0]) json_string(negotiated);
    else printf("null");
    printf(",\"check\":\"all\",\"handshakes\":%llu,\"resumed\":%llu,\"threads\":1,\"warmup_s\":%d,\"duration_s\":%.6f,"
           "\"messages\":%llu,\"msgs_per_s\":%.3f,",
           (unsigned long long)handshakes_done, (unsigned long long)resumed, opt.warmup, r.secs, (unsigned long long)r.msgs,
           (double)r.msgs / r.secs);
    json_latency();
    json_server_cpu(&w, &r);
    json_client_cpu(&w, &r);
    json_end();
    SSL_CTX_free(ctx);
    return failure[0] ? 1 : 0;
}
