/*
 * pingpong: one connection, one message in flight; prints messages per second and the server's
 * CPU per message read from /proc/PID/stat (user and system microseconds), one line per cell.
 *
 * Usage: pingpong PORT PID [SECONDS=3] [SIZE=64] [CELLS=1]
 * Every echoed byte is checked. Clock ticks are converted with sysconf(_SC_CLK_TCK).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int cpu(int pid, long long *user, long long *sys) {
    char path[64], buf[4096];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *p = strrchr(buf, ')');
    if (!p) return -1;
    /* fields after ")": state(3) ... utime(14) stime(15) */
    int field = 2;
    for (p++; *p && field < 14; p++) {
        if (*p == ' ') field++;
    }
    return sscanf(p, "%lld %lld", user, sys) == 2 ? 0 : -1;
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: pingpong PORT PID [SECONDS] [SIZE] [CELLS]\n");
        return 2;
    }
    int port = atoi(argv[1]), pid = atoi(argv[2]);
    double secs = argc > 3 ? atof(argv[3]) : 3;
    int size = argc > 4 ? atoi(argv[4]) : 64;
    int cells = argc > 5 ? atoi(argv[5]) : 1;
    long tck = sysconf(_SC_CLK_TCK);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) { perror("connect"); return 1; }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    char *out = malloc(size), *in = malloc(size);
    unsigned long long seq = 0;
    for (int c = 0; c < cells; c++) {
        long long u0, s0, u1, s1;
        if (cpu(pid, &u0, &s0) < 0) { fprintf(stderr, "no /proc/%d/stat\n", pid); return 1; }
        double t0 = now(), t;
        long msgs = 0;
        do {
            for (int k = 0; k < 64; k++, seq++) {
                for (int i = 0; i < size; i += 8) out[i] = (char)(seq >> (i & 31));
                out[size - 1] = (char)seq;
                if (send(fd, out, size, 0) != size) { perror("send"); return 1; }
                int got = 0;
                while (got < size) {
                    ssize_t n = recv(fd, in + got, size - got, 0);
                    if (n <= 0) { perror("recv"); return 1; }
                    got += n;
                }
                if (memcmp(in, out, size) != 0) { fprintf(stderr, "echo differs at %llu\n", seq); return 1; }
                msgs++;
            }
            t = now();
        } while (t - t0 < secs);
        cpu(pid, &u1, &s1);
        double us = 1e6 / tck;
        printf("cell %d: %.0f msgs/s, server user %.3f us/msg, sys %.3f us/msg\n", c, msgs / (t - t0),
               (u1 - u0) * us / msgs, (s1 - s0) * us / msgs);
        fflush(stdout);
    }
    close(fd);
    return 0;
}
