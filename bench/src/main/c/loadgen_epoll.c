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
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define PAT_LEN 262147          /* a prime above the largest read: any window is contiguous */
#define MAX_SIZE (256 * 1024)
#define SAMPLE_FROM (16 * 1024)
#define SAMPLE_EVERY 8
#define MAX_EVENTS 256
/* Latency histogram: values below 128 ns exact, above it 64 buckets per power of two (1.6%). */
#define BUCKETS (56 * 64 + 128)

enum { WARMUP, MEASURE, STOP };

struct conn {
    int fd;
    uint64_t queued;   /* stream bytes queued so far */
    uint64_t written;  /* of those, taken by the kernel */
    uint64_t received;
    uint64_t done;     /* messages fully echoed */
    uint64_t done_at_start;
    uint64_t reads;
    uint64_t *sent_at; /* ring of D queue times, ns */
    int want_out;
};

static unsigned char pattern[2 * PAT_LEN];
static unsigned char rbuf[MAX_SIZE];
static uint64_t hist[BUCKETS];
static uint64_t hist_count, hist_sum, hist_max;
static int phase = WARMUP;
static char error[512];

static int size = 64, depth = 1, nconn = 1, duration = 5, warmup = 1, markers = 0, sample = 0;
static long pid = -1;
static uint64_t total_done, rx_bytes, cmp_bytes, short_writes;

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

/*
 * Voluntary context switches of all threads of a process (proc(5), /proc/PID/task/TID/status):
 * how often it went to sleep, so per message how often it had to be woken. -1 when unreadable.
 */
static long long proc_sleeps(long p) {
    char path[96], line[256];
    snprintf(path, sizeof path, "/proc/%ld/task", p);
    DIR *d = opendir(path);
    if (!d) return -1;
    long long total = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        snprintf(path, sizeof path, "/proc/%ld/task/%.20s/status", p, e->d_name);
        FILE *f = fopen(path, "r");
        if (!f) continue; /* the thread ended */
        while (fgets(line, sizeof line, f)) {
            long long v;
            if (sscanf(line, "voluntary_ctxt_switches: %lld", &v) == 1) total += v;
        }
        fclose(f);
    }
    closedir(d);
    return total;
}

static void marker(const char *line) {
    if (markers) {
        printf("%s\n", line);
        fflush(stdout);
    }
}

static void queue_one(struct conn *c, uint64_t t) {
    c->sent_at[(c->queued / (uint64_t)size) % (uint64_t)depth] = t;
    c->queued += (uint64_t)size;
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
    while ((c->done + 1) * (uint64_t)size <= c->received) {
        if (measuring) record(t - c->sent_at[c->done % (uint64_t)depth]);
        c->done++;
        total_done++;
        queue_one(c, t);
    }
    return 0;
}

static int parse_int(const char *name, const char *v, long lo, long hi, long *out) {
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (errno || *end || end == v || x < lo || x > hi) {
        fprintf(stderr, "loadgen_epoll: --%s: expected an integer in [%ld, %ld], got '%s'\n", name, lo, hi, v);
        return -1;
    }
    *out = x;
    return 0;
}

int main(int argc, char **argv) {
    const char *host = "127.0.0.1";
    const char *check = "auto";
    long port = -1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        long v;
        if (strcmp(a, "--markers") == 0) {
            markers = 1;
            continue;
        }
        if (strcmp(a, "--version") == 0) {
            printf("loadgen_epoll.c, gcc %s\n", __VERSION__);
            return 0;
        }
        if (strncmp(a, "--", 2) != 0 || i + 1 >= argc) {
            fprintf(stderr, "loadgen_epoll: bad argument '%s' (see the usage in loadgen_epoll.c)\n", a);
            return 2;
        }
        const char *name = a + 2;
        const char *val = argv[++i];
        if (strcmp(name, "host") == 0) host = val;
        else if (strcmp(name, "check") == 0) {
            if (strcmp(val, "auto") && strcmp(val, "all") && strcmp(val, "sample")) {
                fprintf(stderr, "loadgen_epoll: --check: expected auto, all or sample, got '%s'\n", val);
                return 2;
            }
            check = val;
        } else if (strcmp(name, "port") == 0) { if (parse_int(name, val, 1, 65535, &port)) return 2; }
        else if (strcmp(name, "connections") == 0) { if (parse_int(name, val, 1, 10000, &v)) return 2; nconn = (int)v; }
        else if (strcmp(name, "size") == 0) { if (parse_int(name, val, 1, MAX_SIZE, &v)) return 2; size = (int)v; }
        else if (strcmp(name, "pipeline") == 0) { if (parse_int(name, val, 1, 1024, &v)) return 2; depth = (int)v; }
        else if (strcmp(name, "duration") == 0) { if (parse_int(name, val, 1, 3600, &v)) return 2; duration = (int)v; }
        else if (strcmp(name, "warmup") == 0) { if (parse_int(name, val, 0, 3600, &v)) return 2; warmup = (int)v; }
        else if (strcmp(name, "pid") == 0) { if (parse_int(name, val, -1, 1L << 30, &pid)) return 2; }
        else {
            fprintf(stderr, "loadgen_epoll: unknown option '%s'\n", a);
            return 2;
        }
    }
    if (port < 0) {
        fprintf(stderr, "loadgen_epoll: --port is required\n");
        return 2;
    }
    char statpath[64];
    long long su0 = 0, ss0 = 0, su1 = 0, ss1 = 0, sw0 = -1, sw1 = -1;
    snprintf(statpath, sizeof statpath, "/proc/%ld/stat", pid);
    if (pid > 0 && proc_cpu(statpath, &su0, &ss0) < 0) {
        fprintf(stderr, "loadgen_epoll: --pid %ld: no such process (%s)\n", pid, statpath);
        return 2;
    }
    /* Blocking only where sending everything in flight before reading cannot fill both socket buffers. */
    int blocking = nconn == 1 && (long)size * depth <= 65536;
    sample = strcmp(check, "sample") == 0 || (strcmp(check, "auto") == 0 && size >= SAMPLE_FROM && !blocking);
    if (sample && blocking) {
        fprintf(stderr, "loadgen_epoll: --check sample needs the epoll mode (more than one connection, or over 64 KiB in flight)\n");
        return 2;
    }
    uint64_t seed = 0x5eedULL;
    for (int i = 0; i < PAT_LEN; i++) {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        pattern[i] = (unsigned char)(seed >> 24);
    }
    memcpy(pattern + PAT_LEN, pattern, PAT_LEN);

    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
        fprintf(stderr, "loadgen_epoll: --host: not an IPv4 address: '%s'\n", host);
        return 2;
    }
    struct conn *conns = calloc((size_t)nconn, sizeof *conns);
    int ep = blocking ? -1 : epoll_create1(EPOLL_CLOEXEC);
    uint64_t t = now_ns();
    for (int i = 0; i < nconn && !error[0]; i++) {
        struct conn *c = &conns[i];
        c->sent_at = calloc((size_t)depth, sizeof(uint64_t));
        c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        int one = 1;
        setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (connect(c->fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
            fail("connect to %s:%ld failed: %s", host, port, strerror(errno));
            break;
        }
        if (blocking) {
            struct timeval tv = {.tv_sec = 0, .tv_usec = 100000}; /* to see the phase change on a stall */
            setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        } else {
            fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
            struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
            epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
        }
        for (int k = 0; k < depth; k++) queue_one(c, t);
        if (flush(c) > 0 && !blocking) {
            struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.ptr = c};
            epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
            c->want_out = 1;
        }
    }

    uint64_t start = now_ns();
    uint64_t measure_at = start + (uint64_t)warmup * 1000000000u;
    uint64_t end_at = measure_at + (uint64_t)duration * 1000000000u;
    uint64_t t0 = 0, t1 = 0, done0 = 0, done1 = 0;
    struct rusage r0, r1;
    memset(&r0, 0, sizeof r0);
    memset(&r1, 0, sizeof r1);
    struct epoll_event evs[MAX_EVENTS];
    if (warmup == 0 && !error[0]) measure_at = start;
    while (phase != STOP) {
        uint64_t n = now_ns();
        if (phase == WARMUP && n >= measure_at) {
            if (pid > 0 && proc_cpu(statpath, &su0, &ss0) < 0) fail("server process %ld ended", pid);
            if (pid > 0) sw0 = proc_sleeps(pid);
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
            if (pid > 0) sw1 = proc_sleeps(pid);
            getrusage(RUSAGE_SELF, &r1);
            int stalled = 0, first = -1;
            for (int i = 0; i < nconn; i++) {
                if (conns[i].done == conns[i].done_at_start) {
                    stalled++;
                    if (first < 0) first = i;
                }
            }
            if (stalled)
                fail("%d of %d connections (the first: connection %d) completed no message in the %d s measured window; "
                     "a server that loses bytes stalls a connection", stalled, nconn, first, duration);
            phase = STOP;
            marker("measure-end");
            break;
        }
        if (blocking) {
            struct conn *c = &conns[0];
            if (flush(c) < 0 || on_readable(c) < 0) break;
            continue;
        }
        int k = epoll_wait(ep, evs, MAX_EVENTS, 50);
        if (k < 0 && errno != EINTR) {
            fail("epoll_wait: %s", strerror(errno));
            break;
        }
        for (int i = 0; i < k && phase != STOP; i++) {
            struct conn *c = evs[i].data.ptr;
            if ((evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) && on_readable(c) < 0) break;
            int full = flush(c);
            if (full < 0) break;
            if (full) short_writes++;
            int want = c->written < c->queued;
            if (want != c->want_out) {
                struct epoll_event ev = {.events = EPOLLIN | (want ? EPOLLOUT : 0), .data.ptr = c};
                epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
                c->want_out = want;
            }
        }
    }
    if (t1 == 0) { /* ended early by an error */
        t1 = now_ns();
        done1 = total_done;
        if (t0 == 0) t0 = t1;
        getrusage(RUSAGE_SELF, &r1);
        if (pid > 0) proc_cpu(statpath, &su1, &ss1);
    }
    for (int i = 0; i < nconn; i++) close(conns[i].fd);

    double secs = (double)(t1 - t0) / 1e9;
    if (secs <= 0) secs = 1e-9;
    uint64_t msgs = done1 - done0;
    long ticks = sysconf(_SC_CLK_TCK);
    double own_user = (double)(r1.ru_utime.tv_sec - r0.ru_utime.tv_sec) * 1e6 + (double)(r1.ru_utime.tv_usec - r0.ru_utime.tv_usec);
    double own_sys = (double)(r1.ru_stime.tv_sec - r0.ru_stime.tv_sec) * 1e6 + (double)(r1.ru_stime.tv_usec - r0.ru_stime.tv_usec);
    double own_util = (own_user + own_sys) / 1e6 / secs;
    printf("{\"schema\":\"weft-loadgen/1\",\"generator\":\"c\",\"host\":\"%s\",\"port\":%ld,\"connections\":%d,\"size\":%d,"
           "\"pipeline\":%d,\"mode\":\"%s\",\"check\":\"%s\",",
           host, port, nconn, size, depth, blocking ? "blocking" : "epoll", sample ? "sample" : "all");
    if (rx_bytes == 0) printf("\"compared_fraction\":null,");
    else printf("\"compared_fraction\":%.6f,", (double)cmp_bytes / (double)rx_bytes);
    printf("\"short_writes\":%llu,\"threads\":1,\"warmup_s\":%d,\"duration_s\":%.6f,\"messages\":%llu,\"msgs_per_s\":%.3f,"
           "\"mib_per_s\":%.3f,",
           (unsigned long long)short_writes, warmup, secs, (unsigned long long)msgs, (double)msgs / secs,
           (double)msgs * size / secs / (1 << 20));
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
        if (msgs == 0 || sw0 < 0 || sw1 < 0) printf("\"sleeps_per_msg\":null,");
        else printf("\"sleeps_per_msg\":%.6f,", (double)(sw1 - sw0) / (double)msgs);
        printf("\"util\":%.6f},", (du + ds) / (double)ticks / secs);
    }
    /* One thread: saturated when it used 90% of one CPU. */
    printf("\"client_cpu\":{\"cores\":1,\"util\":%.6f,", own_util);
    if (msgs == 0) printf("\"user_us_per_msg\":null,\"sys_us_per_msg\":null,\"sleeps_per_msg\":null,");
    else printf("\"user_us_per_msg\":%.6f,\"sys_us_per_msg\":%.6f,\"sleeps_per_msg\":%.6f,", own_user / (double)msgs,
                own_sys / (double)msgs, (double)(r1.ru_nvcsw - r0.ru_nvcsw) / (double)msgs);
    printf("\"saturated\":%s},\"clk_tck\":%ld", own_util >= 0.9 ? "true" : "false", ticks);
    if (error[0]) {
        printf(",\"error\":\"");
        for (const char *p = error; *p; p++) {
            if (*p == '"' || *p == '\\') putchar('\\');
            putchar(*p);
        }
        putchar('"');
    }
    printf("}\n");
    fflush(stdout);
    return error[0] ? 1 : 0;
}
