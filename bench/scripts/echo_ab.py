#!/usr/bin/env python3
"""Interleaved TCP echo rounds between named echo servers, for A/B checks such as "not worse than
before this change": every server started once, pinned to CPU 0, and warmed up; the native load
generator (bench/src/main/c/loadgen_epoll.c) pinned to CPU 1; in each round every cell visits every
server, the order alternating between rounds. Before each round it waits (up to --max-wait s) until
at most --quiet-limit other tasks are runnable, and records how many were, since on a shared
machine other work moves every figure. Prints one line per run, then per cell and server the
median and best of msgs/s and of server user and sys us per message.

usage: echo_ab.py --loadgen BIN [--rounds N] [--duration S] [--warmup S] [--cells 100x64,1x64]
                  [--json FILE] [--logs DIR] NAME=COMMAND ...   (COMMAND holds {port})
example: echo_ab.py --loadgen ~/.cache/weft-bench/*/loadgen_epoll \
             "old=java -Xms256m -Xmx256m -XX:+UseParallelGC -jar old.jar echo-server --backend epoll --port {port}" \
             "new=java -Xms256m -Xmx256m -XX:+UseParallelGC -jar new.jar echo-server --backend epoll --port {port}"
"""
import argparse, json, os, shlex, signal, socket, statistics, subprocess, sys, time


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def start(name, cmd, logs):
    port = free_port()
    args = ["taskset", "-c", "0"] + shlex.split(cmd.format(port=port))
    p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=open(os.path.join(logs, f"{name}.log"), "a"),
                         stdin=subprocess.PIPE, text=True)
    while True:
        l = p.stdout.readline()
        if not l:
            raise SystemExit(f"{name} ended before listening")
        if l.startswith("listening on"):
            return p, port


def others_running(samples=20):
    """Mean number of runnable tasks besides this sampler over about a second (/proc/loadavg field 4)."""
    tot = 0
    for _ in range(samples):
        with open("/proc/loadavg") as f:
            tot += int(f.read().split()[3].split("/")[0]) - 1
        time.sleep(1.0 / samples)
    return tot / samples


def wait_quiet(limit, max_wait):
    start = time.time()
    while True:
        o = others_running()
        if o <= limit or time.time() - start > max_wait:
            return o, time.time() - start
        time.sleep(3)


def run(lg, port, pid, conns, size, duration, warmup):
    out = subprocess.run(["taskset", "-c", "1", lg, "--port", str(port), "--connections", str(conns), "--size", str(size),
                          "--duration", str(duration), "--warmup", str(warmup), "--pid", str(pid)],
                         capture_output=True, text=True)
    line = [l for l in out.stdout.splitlines() if l.startswith("{")]
    return json.loads(line[-1]) if line else {"error": out.stderr.strip()}


def summary(results):
    cells = {}
    for r in results:
        if not r["error"] and r["msgs_per_s"] and r["user"] is not None:
            cells.setdefault((r["cell"], r["server"]), []).append(r)
    print(f"{'cell':7} {'server':16} {'runs':>4} {'msgs/s median':>13} {'max':>9} {'user us/msg med':>15} {'min':>6} "
          f"{'sys us/msg med':>14} {'min':>6}")
    for (cell, server), rs in cells.items():
        m, u, y = [x["msgs_per_s"] for x in rs], [x["user"] for x in rs], [x["sys"] for x in rs]
        print(f"{cell:7} {server:16} {len(rs):4d} {statistics.median(m):13,.0f} {max(m):9,.0f} {statistics.median(u):15.3f} "
              f"{min(u):6.3f} {statistics.median(y):14.3f} {min(y):6.3f}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--loadgen", required=True)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--duration", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--server-warmup", type=int, default=3)
    ap.add_argument("--cells", default="100x64,1x64")
    ap.add_argument("--json")
    ap.add_argument("--logs", default=".")
    ap.add_argument("--quiet-limit", type=float, default=1.0)
    ap.add_argument("--max-wait", type=float, default=90)
    ap.add_argument("servers", nargs="+")
    a = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    servers = []
    for s in a.servers:
        name, cmd = s.split("=", 1)
        servers.append((name, cmd))
    procs = {}
    try:
        for name, cmd in servers:
            procs[name] = start(name, cmd, a.logs)
        for name, (p, port) in procs.items():
            run(a.loadgen, port, p.pid, 100, 64, a.server_warmup, 0)
        results = []
        names = [n for n, _ in servers]
        for r in range(a.rounds):
            o, w = wait_quiet(a.quiet_limit, a.max_wait)
            print(f"round {r + 1}: {o:.1f} others runnable after waiting {w:.0f}s", flush=True)
            for cell in a.cells.split(","):
                c, s = (int(x) for x in cell.split("x"))
                order = names if r % 2 == 0 else names[::-1]
                for n in order:
                    p, port = procs[n]
                    others, waited = others_running(5), 0
                    res = run(a.loadgen, port, p.pid, c, s, a.duration, a.warmup)
                    sc = res.get("server_cpu", {})
                    cc = res.get("client_cpu", {})
                    row = {"round": r + 1, "cell": cell, "server": n, "msgs_per_s": res.get("msgs_per_s"),
                           "user": sc.get("user_us_per_msg"), "sys": sc.get("sys_us_per_msg"), "srv_util": sc.get("util"),
                           "srv_sleeps": sc.get("sleeps_per_msg"), "cli_sleeps": cc.get("sleeps_per_msg"),
                           "cli_util": cc.get("util"), "p50": res.get("latency_us", {}).get("p50"), "error": res.get("error"),
                           "others": others, "waited": waited}
                    results.append(row)
                    if a.json:
                        with open(a.json, "w") as f:
                            json.dump(results, f)
                    print(f"round {r + 1} {cell:7} {n:16} {row['msgs_per_s'] or 0:10,.0f} msgs/s  user {row['user'] or 0:.3f}  "
                          f"sys {row['sys'] or 0:.3f} us/msg  srv {row['srv_util'] or 0:.2f} cli {row['cli_util'] or 0:.2f}  "
                          f"sleeps/msg srv {row['srv_sleeps'] or 0:.3f} cli {row['cli_sleeps'] or 0:.3f}  others {others:.1f} waited {waited:.0f}s"
                          + (f"  ERROR {row['error']}" if row["error"] else ""), flush=True)
        summary(results)
    finally:
        for p, _ in procs.values():
            p.terminate()
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()


if __name__ == "__main__":
    main()
