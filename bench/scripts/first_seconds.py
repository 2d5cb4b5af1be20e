#!/usr/bin/env python3
"""Ping-pong (1 connection x 64 B) server CPU in the first seconds after start against warm: starts
the echo server STARTS times (pinned to CPU 0), and each time runs the native load generator
(loadgen_epoll, CPU 1) for 0-2 s, 2-4 s and 4-6 s after "listening", then 15 s unmeasured, then two
warm 3 s runs. Prints msgs/s and server user and sys us per message for each window.

usage: first_seconds.py JAR [STARTS] [LOADGEN]
"""
import json, subprocess, sys

JAR = sys.argv[1]
STARTS = int(sys.argv[2]) if len(sys.argv) > 2 else 3
LG = sys.argv[3] if len(sys.argv) > 3 else "bench/target/classes/peers/bin/linux-amd64/loadgen_epoll"


def run(port, pid, duration, warmup):
    out = subprocess.run(["taskset", "-c", "1", LG, "--port", str(port), "--connections", "1", "--size", "64",
                          "--duration", str(duration), "--warmup", str(warmup), "--pid", str(pid)],
                         capture_output=True, text=True).stdout
    d = json.loads([l for l in out.splitlines() if l.startswith("{")][-1])
    s = d["server_cpu"]
    return round(d["msgs_per_s"]), round(s["user_us_per_msg"], 2), round(s["sys_us_per_msg"], 2)


for k in range(STARTS):
    port = 9600 + k
    p = subprocess.Popen(["taskset", "-c", "0", "java", "-Xms256m", "-Xmx256m", "-XX:+UseParallelGC", "-jar", JAR,
                          "echo-server", "--backend", "epoll", "--port", str(port)], stdout=subprocess.PIPE, text=True)
    while not p.stdout.readline().startswith("listening on"):
        pass
    rows = [("0-2s", run(port, p.pid, 2, 0)), ("2-4s", run(port, p.pid, 2, 0)), ("4-6s", run(port, p.pid, 2, 0))]
    run(port, p.pid, 15, 0)
    rows += [("warm", run(port, p.pid, 3, 1)), ("warm", run(port, p.pid, 3, 1))]
    print("start", k + 1, "  ".join(f"{n}: {m}/s user {u} sys {s}" for n, (m, u, s) in rows), flush=True)
    p.terminate()
    p.wait()
