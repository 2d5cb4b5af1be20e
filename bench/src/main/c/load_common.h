/*
 * load_common: what the native TCP load generators of the Weft benchmark report share
 * (loadgen_epoll.c, tls_load.c): the options both take, the pattern each connection's byte stream
 * is a window of, TCP connections under level-triggered epoll, the measured window (warm-up,
 * measurement, CPU of the server and of this process), the latency histogram and the JSON fields
 * both print. pingpong.c takes the clock, the connection and the /proc CPU reader from here too.
 * Each binary is one of those files compiled with load_common.c:
 *   gcc -O2 -Wall -o loadgen_epoll loadgen_epoll.c load_common.c
 * One thread: nothing here is thread-safe. Failures go through fail(): the first one is kept and
 * ends the run (phase STOP); the JSON line reports it.
 */
#ifndef LOAD_COMMON_H
#define LOAD_COMMON_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/resource.h>

#define PAT_LEN 262147          /* a prime above the largest message and read: any window is contiguous */
#define MAX_SIZE (256 * 1024)
#define MAX_EVENTS 256

enum { WARMUP, MEASURE, STOP };

/* The options both generators take; main() sets its defaults before load_parse_args. */
struct load_opts {
    const char *host;
    long port;          /* -1 until given; required */
    int connections;    /* C */
    int size;           /* S, bytes per message */
    int pipeline;       /* D, messages in flight per connection */
    int duration;       /* measured seconds */
    int warmup;         /* seconds before the measured window */
    int markers;        /* print measure-start and measure-end */
    long pid;           /* the server's process, or -1 */
};

/* The program's name: the prefix of every message it prints ("loadgen_epoll", "tls_load"). */
extern const char *load_prog;
extern struct load_opts opt;
/* Two copies of one pseudo-random block of PAT_LEN bytes, filled by load_fill_pattern(). */
extern unsigned char pattern[2 * PAT_LEN];
extern int phase;
/* The first failure, or "" while the run is good. */
extern char failure[768];

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t now_ns(void);
/* Keeps the first failure and ends the run (phase STOP); later ones are dropped. */
void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* With --markers, prints line and flushes: a reader of stdout sees it at once. */
void marker(const char *line);
void load_fill_pattern(void);

/*
 * An option load_parse_args does not know, offered to the program: val is NULL for a flag (one of
 * the names in flags). Returns 1 when taken, 0 when unknown, -1 when its value is bad (it printed why).
 */
typedef int (*load_option_fn)(const char *name, const char *val);

/*
 * Parses argv into opt (host, port, connections, size, pipeline, duration, warmup, pid, markers,
 * version); flags (NULL-terminated, or NULL) and extra are the program's own. --port is required.
 * Returns 0 to run, 1 when --version was printed (by version), 2 after printing what is wrong.
 */
int load_parse_args(int argc, char **argv, const char *const *flags, load_option_fn extra, void (*version)(void));
/* Checks that an option's value is an integer in [lo, hi]; prints the option and value and returns -1 if not. */
int load_parse_int(const char *name, const char *v, long lo, long hi, long *out);
/* opt.host and opt.port as an address; 2 after printing why the host is not an IPv4 address, else 0. */
int load_address(struct sockaddr_in *sa);

/*
 * A TCP socket to sa with TCP_NODELAY, connected: blocking (nonblocking = 0), or non-blocking with
 * the connect maybe still in progress (*pending = 1; EPOLLOUT tells when it is done). Returns the
 * descriptor, or -1 after fail().
 */
int load_connect(const struct sockaddr_in *sa, int nonblocking, int *pending);
/* Registers fd in ep for events with ptr as its data; -1 after fail(). */
int load_epoll_add(int ep, int fd, uint32_t events, void *ptr);
/* Changes fd's registered events (*interest) to events, unless they are those already; -1 after fail(). */
int load_epoll_want(int ep, int fd, uint32_t *interest, uint32_t events, void *ptr);
/* Waits up to 50 ms (so the loop sees the window's deadlines); the number of events, 0 on EINTR, -1 after fail(). */
int load_epoll_wait(int ep, struct epoll_event *evs);

/* Records one latency, ns, in the histogram (64 buckets per power of two: 1.6%). */
void record(uint64_t v);

/*
 * utime and stime (clock ticks, sysconf(_SC_CLK_TCK)) of a process from its stat file (path:
 * "/proc/PID/stat"): fields 14 and 15, counted after the last ')'. 0, or -1 when unreadable.
 */
int load_proc_cpu(const char *path, long long *user, long long *sys);

/*
 * The measured window: warm-up, then the measured seconds, over which the messages completed, the
 * server's CPU (with --pid) and this process's CPU are counted. With sleeps, also voluntary
 * context switches of both. The program keeps each connection's count of completed messages;
 * load_window_conns says where, so that connections completing nothing can be found.
 */
struct load_window {
    int sleeps;
    char statpath[64];
    const uint64_t *done;   /* the first connection's completed messages */
    size_t stride;          /* bytes from one connection's counter to the next */
    int conns;
    uint64_t *done_at_start;
    int stalled;            /* connections that completed nothing in the window, once closed */
    int first_stalled;
    uint64_t measure_at, end_at, t0, t1, done0, done1;
    long long su0, ss0, su1, ss1, sw0, sw1;
    struct rusage r0, r1;
};

enum { LOAD_OPENED = 1, LOAD_CLOSED = 2 };

/* Checks opt.pid; 2 after printing that there is no such process, else 0. The window is not timed yet. */
int load_window_init(struct load_window *w, int sleeps);
/* Where the n counters of completed messages are: done, then every stride bytes. */
void load_window_conns(struct load_window *w, const uint64_t *done, size_t stride, int n);
/* Times the window from now: opt.warmup seconds, then opt.duration measured. */
void load_window_start(struct load_window *w);
/*
 * Opens the window when the warm-up is over (LOAD_OPENED, prints measure-start), or closes it when
 * the measured seconds are over (LOAD_CLOSED, phase STOP, prints measure-end; w->stalled counts
 * the connections that completed nothing); else 0. total_done: messages completed so far.
 */
int load_window_tick(struct load_window *w, uint64_t total_done);
/* After the run: closes a window that an error ended early. */
void load_window_end(struct load_window *w, uint64_t total_done);

/* What the window measured, for the JSON line. */
struct load_result {
    double secs;
    uint64_t msgs;
    long ticks;
    double own_user, own_sys, own_util;  /* this process: us over the window, CPUs used */
};

void load_result(const struct load_window *w, struct load_result *r);

/* s as a JSON string, quotes and escapes included. */
void json_string(const char *s);
/* "latency_us":{p50, p99, p999, max, mean (us), samples}, with the trailing comma. */
void json_latency(void);
/* With --pid, "server_cpu":{...}, with the trailing comma; nothing without. */
void json_server_cpu(const struct load_window *w, const struct load_result *r);
/* "client_cpu":{...},"clk_tck":N: this process's CPU (one thread: saturated at 90% of one CPU). */
void json_client_cpu(const struct load_window *w, const struct load_result *r);
/* The failure, if any, and the end of the JSON line; flushes stdout. */
void json_end(void);

#endif
