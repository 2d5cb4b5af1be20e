/*
 * pingpong: one connection, one message in flight; prints messages per second and the server's
 * CPU per message read from /proc/PID/stat (user and system microseconds), one line per cell.
 *
 * Usage: pingpong PORT PID [SECONDS=3] [SIZE=64] [CELLS=1]
 * Every echoed byte is checked. Clock ticks are converted with sysconf(_SC_CLK_TCK).
 * The clock, the connection and the /proc reader are load_common.c's:
 *   gcc -O2 -Wall -o pingpong pingpong.c load_common.c
 */
#define _GNU_SOURCE
#include "load_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

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
    char statpath[64];
    snprintf(statpath, sizeof statpath, "/proc/%d/stat", pid);
    load_prog = "pingpong";
    opt.host = "127.0.0.1";
    opt.port = port;
    struct sockaddr_in a;
    if (load_address(&a) != 0) return 1;
    int fd = load_connect(&a, 0, NULL);
    if (fd < 0) { fprintf(stderr, "pingpong: %s\n", failure); return 1; }
    char *out = malloc(size), *in = malloc(size);
    unsigned long long seq = 0;
    for (int c = 0; c < cells; c++) {
        long long u0, s0, u1, s1;
        if (load_proc_cpu(statpath, &u0, &s0) < 0) { fprintf(stderr, "no %s\n", statpath); return 1; }
        double t0 = now_ns() / 1e9, t;
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
            t = now_ns() / 1e9;
        } while (t - t0 < secs);
        load_proc_cpu(statpath, &u1, &s1);
        double us = 1e6 / tck;
        printf("cell %d: %.0f msgs/s, server user %.3f us/msg, sys %.3f us/msg\n", c, msgs / (t - t0),
               (u1 - u0) * us / msgs, (s1 - s0) * us / msgs);
        fflush(stdout);
    }
    close(fd);
    return 0;
}
