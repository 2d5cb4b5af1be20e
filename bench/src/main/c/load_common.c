/*
 * load_common: the code the native TCP load generators and pingpong share; see load_common.h.
 */
#define _GNU_SOURCE
#include "load_common.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Latency histogram: values below 128 ns exact, above it 64 buckets per power of two (1.6%). */
#define BUCKETS (56 * 64 + 128)

const char *load_prog = "load";
struct load_opts opt;
unsigned char pattern[2 * PAT_LEN];
int phase = WARMUP;
char failure[768];

static uint64_t hist[BUCKETS];
static uint64_t hist_count, hist_sum, hist_max;

uint64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

void fail(const char *fmt, ...) {
    if (failure[0]) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(failure, sizeof failure, fmt, ap);
    va_end(ap);
    phase = STOP;
}

void marker(const char *line) {
    if (opt.markers) {
        printf("%s\n", line);
        fflush(stdout);
    }
}

void load_fill_pattern(void) {
    uint64_t seed = 0x5eedULL;
    for (int i = 0; i < PAT_LEN; i++) {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        pattern[i] = (unsigned char)(seed >> 24);
    }
    memcpy(pattern + PAT_LEN, pattern, PAT_LEN);
}

int load_parse_int(const char *name, const char *v, long lo, long hi, long *out) {
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (errno || *end || end == v || x < lo || x > hi) {
        fprintf(stderr, "%s: --%s: expected an integer in [%ld, %ld], got '%s'\n", load_prog, name, lo, hi, v);
        return -1;
    }
    *out = x;
    return 0;
}

static int is_flag(const char *const *flags, const char *name) {
    for (; flags && *flags; flags++) {
        if (strcmp(*flags, name) == 0) return 1;
    }
    return 0;
}

/* One option with a value: 0 taken, -1 bad value (printed), 1 unknown. */
static int common_option(const char *name, const char *val) {
    long v;
    if (strcmp(name, "host") == 0) opt.host = val;
    else if (strcmp(name, "port") == 0) return load_parse_int(name, val, 1, 65535, &opt.port);
    else if (strcmp(name, "connections") == 0) { if (load_parse_int(name, val, 1, 10000, &v)) return -1; opt.connections = (int)v; }
    else if (strcmp(name, "size") == 0) { if (load_parse_int(name, val, 1, MAX_SIZE, &v)) return -1; opt.size = (int)v; }
    else if (strcmp(name, "pipeline") == 0) { if (load_parse_int(name, val, 1, 1024, &v)) return -1; opt.pipeline = (int)v; }
    else if (strcmp(name, "duration") == 0) { if (load_parse_int(name, val, 1, 3600, &v)) return -1; opt.duration = (int)v; }
    else if (strcmp(name, "warmup") == 0) { if (load_parse_int(name, val, 0, 3600, &v)) return -1; opt.warmup = (int)v; }
    else if (strcmp(name, "pid") == 0) return load_parse_int(name, val, -1, 1L << 30, &opt.pid);
    else return 1;
    return 0;
}

int load_parse_args(int argc, char **argv, const char *const *flags, load_option_fn extra, void (*version)(void)) {
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--markers") == 0) {
            opt.markers = 1;
            continue;
        }
        if (strncmp(a, "--", 2) == 0 && is_flag(flags, a + 2)) {
            extra(a + 2, NULL);
            continue;
        }
        if (strcmp(a, "--version") == 0) {
            version();
            return 1;
        }
        if (strncmp(a, "--", 2) != 0 || i + 1 >= argc) {
            fprintf(stderr, "%s: bad argument '%s' (see the usage in %s.c)\n", load_prog, a, load_prog);
            return 2;
        }
        const char *name = a + 2;
        const char *val = argv[++i];
        int r = common_option(name, val);
        if (r == 1) {
            int taken = extra ? extra(name, val) : 0;
            if (taken == 0) {
                fprintf(stderr, "%s: unknown option '%s'\n", load_prog, a);
                return 2;
            }
            r = taken < 0 ? -1 : 0;
        }
        if (r < 0) return 2;
    }
    if (opt.port < 0) {
        fprintf(stderr, "%s: --port is required\n", load_prog);
        return 2;
    }
    return 0;
}

int load_address(struct sockaddr_in *sa) {
    memset(sa, 0, sizeof *sa);
    sa->sin_family = AF_INET;
    sa->sin_port = htons((uint16_t)opt.port);
    if (inet_pton(AF_INET, opt.host, &sa->sin_addr) != 1) {
        fprintf(stderr, "%s: --host: not an IPv4 address: '%s'\n", load_prog, opt.host);
        return 2;
    }
    return 0;
}

int load_connect(const struct sockaddr_in *sa, int nonblocking, int *pending) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | (nonblocking ? SOCK_NONBLOCK : 0), 0);
    if (fd < 0) {
        fail("socket: %s", strerror(errno));
        return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    int r = connect(fd, (const struct sockaddr *)sa, sizeof *sa);
    if (r < 0 && !(nonblocking && errno == EINPROGRESS)) {
        fail("connect to %s:%d failed: %s", inet_ntoa(sa->sin_addr), ntohs(sa->sin_port), strerror(errno));
        close(fd);
        return -1;
    }
    if (pending) *pending = r < 0;
    return fd;
}

int load_epoll_add(int ep, int fd, uint32_t events, void *ptr) {
    struct epoll_event ev = {.events = events, .data.ptr = ptr};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
        fail("epoll_ctl: %s", strerror(errno));
        return -1;
    }
    return 0;
}

int load_epoll_want(int ep, int fd, uint32_t *interest, uint32_t events, void *ptr) {
    if (events == *interest) return 0;
    struct epoll_event ev = {.events = events, .data.ptr = ptr};
    if (epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev) < 0) {
        fail("epoll_ctl: %s", strerror(errno));
        return -1;
    }
    *interest = events;
    return 0;
}

int load_epoll_wait(int ep, struct epoll_event *evs) {
    int k = epoll_wait(ep, evs, MAX_EVENTS, 50);
    if (k < 0) {
        if (errno == EINTR) return 0;
        fail("epoll_wait: %s", strerror(errno));
    }
    return k;
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

void record(uint64_t v) {
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

int load_proc_cpu(const char *path, long long *user, long long *sys) {
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

int load_window_init(struct load_window *w, int sleeps) {
    memset(w, 0, sizeof *w);
    w->sleeps = sleeps;
    w->sw0 = w->sw1 = -1;
    snprintf(w->statpath, sizeof w->statpath, "/proc/%ld/stat", opt.pid);
    if (opt.pid > 0 && load_proc_cpu(w->statpath, &w->su0, &w->ss0) < 0) {
        fprintf(stderr, "%s: --pid %ld: no such process (%s)\n", load_prog, opt.pid, w->statpath);
        return 2;
    }
    return 0;
}

static uint64_t done_of(const struct load_window *w, int i) {
    return *(const uint64_t *)((const char *)w->done + (size_t)i * w->stride);
}

void load_window_conns(struct load_window *w, const uint64_t *done, size_t stride, int n) {
    w->done = done;
    w->stride = stride;
    w->conns = n;
    w->done_at_start = calloc((size_t)n, sizeof(uint64_t));
}

void load_window_start(struct load_window *w) {
    uint64_t start = now_ns();
    w->measure_at = start + (uint64_t)opt.warmup * 1000000000u;
    w->end_at = w->measure_at + (uint64_t)opt.duration * 1000000000u;
}

int load_window_tick(struct load_window *w, uint64_t total_done) {
    uint64_t n = now_ns();
    if (phase == WARMUP && n >= w->measure_at) {
        if (opt.pid > 0 && load_proc_cpu(w->statpath, &w->su0, &w->ss0) < 0) fail("server process %ld ended", opt.pid);
        if (opt.pid > 0 && w->sleeps) w->sw0 = proc_sleeps(opt.pid);
        getrusage(RUSAGE_SELF, &w->r0);
        for (int i = 0; i < w->conns; i++) w->done_at_start[i] = done_of(w, i);
        w->done0 = total_done;
        w->t0 = now_ns();
        phase = MEASURE;
        marker("measure-start");
        return LOAD_OPENED;
    }
    if (phase == MEASURE && n >= w->end_at) {
        w->done1 = total_done;
        w->t1 = now_ns();
        if (opt.pid > 0 && load_proc_cpu(w->statpath, &w->su1, &w->ss1) < 0) fail("server process %ld ended", opt.pid);
        if (opt.pid > 0 && w->sleeps) w->sw1 = proc_sleeps(opt.pid);
        getrusage(RUSAGE_SELF, &w->r1);
        w->stalled = 0;
        w->first_stalled = -1;
        for (int i = 0; i < w->conns; i++) {
            if (done_of(w, i) == w->done_at_start[i]) {
                w->stalled++;
                if (w->first_stalled < 0) w->first_stalled = i;
            }
        }
        phase = STOP;
        marker("measure-end");
        return LOAD_CLOSED;
    }
    return 0;
}

void load_window_end(struct load_window *w, uint64_t total_done) {
    if (w->t1 != 0) return;
    w->t1 = now_ns();
    w->done1 = total_done;
    if (w->t0 == 0) w->t0 = w->t1;
    getrusage(RUSAGE_SELF, &w->r1);
    if (opt.pid > 0) load_proc_cpu(w->statpath, &w->su1, &w->ss1);
}

static double micros(struct timeval a, struct timeval b) {
    return (double)(b.tv_sec - a.tv_sec) * 1e6 + (double)(b.tv_usec - a.tv_usec);
}

void load_result(const struct load_window *w, struct load_result *r) {
    r->secs = (double)(w->t1 - w->t0) / 1e9;
    if (r->secs <= 0) r->secs = 1e-9;
    r->msgs = w->done1 - w->done0;
    r->ticks = sysconf(_SC_CLK_TCK);
    r->own_user = micros(w->r0.ru_utime, w->r1.ru_utime);
    r->own_sys = micros(w->r0.ru_stime, w->r1.ru_stime);
    r->own_util = (r->own_user + r->own_sys) / 1e6 / r->secs;
}

void json_string(const char *s) {
    putchar('"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') printf("\\%c", *p);
        else if (*p < 0x20) printf("\\u%04x", *p);
        else putchar(*p);
    }
    putchar('"');
}

void json_latency(void) {
    printf("\"latency_us\":{\"p50\":%.3f,\"p99\":%.3f,\"p999\":%.3f,\"max\":%.3f,\"mean\":%.3f,\"samples\":%llu},",
           percentile(0.50) / 1e3, percentile(0.99) / 1e3, percentile(0.999) / 1e3, (double)hist_max / 1e3,
           hist_count ? (double)hist_sum / (double)hist_count / 1e3 : 0.0, (unsigned long long)hist_count);
}

void json_server_cpu(const struct load_window *w, const struct load_result *r) {
    if (opt.pid <= 0) return;
    double du = (double)(w->su1 - w->su0), ds = (double)(w->ss1 - w->ss0);
    if (r->msgs == 0)
        printf("\"server_cpu\":{\"pid\":%ld,\"user_us_per_msg\":null,\"sys_us_per_msg\":null,", opt.pid);
    else
        printf("\"server_cpu\":{\"pid\":%ld,\"user_us_per_msg\":%.6f,\"sys_us_per_msg\":%.6f,", opt.pid,
               du * 1e6 / (double)r->ticks / (double)r->msgs, ds * 1e6 / (double)r->ticks / (double)r->msgs);
    if (w->sleeps) {
        if (r->msgs == 0 || w->sw0 < 0 || w->sw1 < 0) printf("\"sleeps_per_msg\":null,");
        else printf("\"sleeps_per_msg\":%.6f,", (double)(w->sw1 - w->sw0) / (double)r->msgs);
    }
    printf("\"util\":%.6f},", (du + ds) / (double)r->ticks / r->secs);
}

void json_client_cpu(const struct load_window *w, const struct load_result *r) {
    printf("\"client_cpu\":{\"cores\":1,\"util\":%.6f,", r->own_util);
    if (r->msgs == 0) {
        printf("\"user_us_per_msg\":null,\"sys_us_per_msg\":null,");
        if (w->sleeps) printf("\"sleeps_per_msg\":null,");
    } else {
        printf("\"user_us_per_msg\":%.6f,\"sys_us_per_msg\":%.6f,", r->own_user / (double)r->msgs,
               r->own_sys / (double)r->msgs);
        if (w->sleeps) printf("\"sleeps_per_msg\":%.6f,", (double)(w->r1.ru_nvcsw - w->r0.ru_nvcsw) / (double)r->msgs);
    }
    printf("\"saturated\":%s},\"clk_tck\":%ld", r->own_util >= 0.9 ? "true" : "false", r->ticks);
}

void json_end(void) {
    if (failure[0]) {
        printf(",\"error\":");
        json_string(failure);
    }
    printf("}\n");
    fflush(stdout);
}
