#!/usr/bin/env python3
"""Ping-pong (1 connection x 64 B) server CPU in the first seconds after start against warm, with
the server's user CPU split per thread. Each start: the server (pinned to CPU 0) is started, and
from its "listening on" line the native load generator (loadgen_epoll, CPU 1) runs 0-2 s, 2-4 s
and 4-6 s, then 15 s unmeasured, then two warm 3 s windows (after 1 s of warm-up each). For every
window it prints msgs/s, the server's user and sys us per message (the load generator's figures,
from /proc/PID/stat), and the user us per message of each thread group, read from
/proc/PID/task/*/stat when the load generator opens and closes its measured window:

  loop   the loop thread(s): the launcher's main thread (named "java", one loop), "echo-*" (--loops N)
  C2, C1 the JIT compiler threads
  GC     the garbage collector's and the VM thread (safepoints)
  other  every other live thread (by name with --verbose)
  gone   the process's user ticks minus the live threads' sum: threads that ended inside the window,
         and the kernel's process-wide scaling of the tick samples (proc(5): it differs per thread)

Several configurations (NAME=COMMAND, COMMAND holding {port}) are started in turn, the order
alternating between starts (A B, B A, ...), so that the machine's drift touches them alike. Before
each start it waits (up to --max-wait s) until at most --quiet-limit other tasks are runnable and
records the load. The end is a Markdown table per configuration and window: median and range over
the starts. Ticks are 10 ms (CLK_TCK 100), so a 2 s ping-pong window resolves about 0.1 us/msg.

usage: first_seconds.py JAR [STARTS] [LOADGEN]                 (JDK 17 on PATH, the original run)
       first_seconds.py --starts 3 --loadgen BIN [--jit-log DIR] [--json FILE] NAME=COMMAND ...
example: first_seconds.py --loadgen bench/target/classes/peers/bin/linux-amd64/loadgen_epoll \\
             "jdk17=java -Xms256m -Xmx256m -XX:+UseParallelGC -jar bench/target/weft-bench.jar echo-server --backend epoll --port {port}" \\
             "jdk25-aot=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java -XX:AOTCache=weft.aot -Xms256m ... --port {port}"
With --jit-log DIR, each server also writes -Xlog:jit+compilation=debug to DIR/NAME-K.log, and each
window line counts the methods compiled inside it, by tier.
"""
import argparse, json, os, re, shlex, socket, statistics, subprocess, sys, time

TICK_US = 1e6 / os.sysconf("SC_CLK_TCK")
DEFAULT_LG = "bench/target/classes/peers/bin/linux-amd64/loadgen_epoll"
WINDOWS = [("0-2s", 2, 0), ("2-4s", 2, 0), ("4-6s", 2, 0), (None, 15, 0), ("warm", 3, 1), ("warm", 3, 1)]
GROUPS = ["loop", "C2", "C1", "GC", "other", "gone"]


def group_of(name):
    if name in ("java", "main") or name.startswith("echo"):
        return "loop"
    if name.startswith("C2 Compiler"):
        return "C2"
    if name.startswith("C1 Compiler"):
        return "C1"
    if name.startswith("GC Thread") or name.startswith("G1 ") or name == "VM Thread" or name.startswith("ParGC"):
        return "GC"
    return "other"


def task_times(pid):
    """{tid: (name, utime, stime, on-CPU ns)} of the live threads, and the process's (utime, stime); times in
    ticks but the on-CPU time (user + sys, exact: /proc/PID/task/TID/schedstat, first field)."""
    threads = {}
    base = f"/proc/{pid}/task"
    for tid in os.listdir(base):
        try:
            with open(f"{base}/{tid}/stat") as f:
                s = f.read()
            with open(f"{base}/{tid}/schedstat") as f:
                ns = int(f.read().split()[0])
        except OSError:
            continue  # ended meanwhile
        name = s[s.index("(") + 1:s.rindex(")")]
        fields = s[s.rindex(")") + 2:].split()
        threads[tid] = (name, int(fields[11]), int(fields[12]), ns)
    with open(f"/proc/{pid}/stat") as f:
        s = f.read()
    fields = s[s.rindex(")") + 2:].split()
    return threads, (int(fields[11]), int(fields[12]))


def split(before, after, msgs):
    """User us per message per group, per thread name (threads alive at the end), and on-CPU us
    (user + sys, exact) per message per group of the live threads."""
    (t0, p0), (t1, p1) = before, after
    groups = dict.fromkeys(GROUPS, 0.0)
    cpu = dict.fromkeys(GROUPS[:-1], 0.0)
    names = {}
    live = 0
    for tid, (name, u1, _, ns1) in t1.items():
        u0, ns0 = (t0[tid][1], t0[tid][3]) if tid in t0 else (0, 0)
        d = u1 - u0
        live += d
        groups[group_of(name)] += d
        cpu[group_of(name)] += (ns1 - ns0) / 1000
        names[name] = names.get(name, 0) + d
    # Threads that ended took their ticks with them; the process figure is also scaled differently.
    groups["gone"] = (p1[0] - p0[0]) - live
    per = lambda ticks: round(ticks * TICK_US / msgs, 2) if msgs else None
    return ({g: per(v) for g, v in groups.items()},
            {n: per(v) for n, v in sorted(names.items(), key=lambda kv: -kv[1]) if v},
            {g: round(v / msgs, 2) if msgs else None for g, v in cpu.items()})


def loadgen(lg, port, pid, duration, warmup):
    """Runs the load generator; returns its JSON and the per-thread snapshots at its window's edges."""
    p = subprocess.Popen(["taskset", "-c", "1", lg, "--port", str(port), "--connections", "1", "--size", "64",
                          "--duration", str(duration), "--warmup", str(warmup), "--pid", str(pid), "--markers"],
                         stdout=subprocess.PIPE, text=True)
    snaps, times, last = {}, {}, None
    for line in p.stdout:
        line = line.strip()
        if line in ("measure-start", "measure-end"):
            snaps[line] = task_times(pid)
            times[line] = time.monotonic()
        elif line.startswith("{"):
            last = json.loads(line)
    p.wait()
    if last is None or "error" in last or len(snaps) != 2:
        raise SystemExit(f"load generator failed: {last}")
    return last, snaps["measure-start"], snaps["measure-end"], times["measure-start"], times["measure-end"]


def others_running(samples=10):
    tot = 0
    for _ in range(samples):
        with open("/proc/loadavg") as f:
            tot += int(f.read().split()[3].split("/")[0]) - 1
        time.sleep(0.5 / samples)
    return tot / samples


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


JIT_LINE = re.compile(r"\[(\d+\.\d+)s\].*?\s(\d+)\s+[%sbn!]*\s*(\d)\s+([\w$.]+::[\w$<>]+)")


def jit_counts(path, t0, t1):
    """Methods compiled between JVM uptimes t0 and t1 (seconds), by tier (and those of dev.weft);
    None without a log. The uptimes are taken from this script's clock at the server's spawn."""
    counts = {}
    try:
        with open(path) as f:
            for line in f:
                m = JIT_LINE.search(line)
                if m and "made not entrant" not in line and t0 <= float(m.group(1)) < t1:
                    tier = "C2" if m.group(3) == "4" else "C1"
                    counts[tier] = counts.get(tier, 0) + 1
                    if m.group(4).startswith("dev.weft."):
                        counts[tier + " weft"] = counts.get(tier + " weft", 0) + 1
    except OSError:
        return None
    return counts


def one_start(name, cmd, k, args):
    port = free_port()
    argv = shlex.split(cmd.format(port=port))
    jit_log = None
    if args.jit_log:
        jit_log = os.path.join(args.jit_log, f"{name}-{k}.log")
        at = next(i for i, a in enumerate(argv) if os.path.basename(a) == "java")
        argv.insert(at + 1, f"-Xlog:jit+compilation=debug:file={jit_log}:uptime")
    quiet = others_running()
    with open("/proc/loadavg") as f:
        load1 = f.read().split()[0]
    spawned = time.monotonic()
    p = subprocess.Popen(["taskset", "-c", "0"] + argv, stdout=subprocess.PIPE, stdin=subprocess.PIPE,
                         stderr=subprocess.DEVNULL if not args.verbose else None, text=True)
    while True:
        l = p.stdout.readline()
        if not l:
            raise SystemExit(f"{name}: the server ended before listening: {argv}")
        if l.startswith("listening on"):
            break
    listening = time.monotonic() - spawned
    rows = []
    try:
        for label, duration, warmup in WINDOWS:
            d, before, after, t0, t1 = loadgen(args.loadgen, port, p.pid, duration, warmup)
            if label is None:
                continue
            s = d["server_cpu"]
            groups, names, cpu = split(before, after, d["messages"])
            row = {"config": name, "start": k, "window": label, "msgs_per_s": round(d["msgs_per_s"]),
                   "user_us_per_msg": round(s["user_us_per_msg"], 2), "sys_us_per_msg": round(s["sys_us_per_msg"], 2),
                   "groups": groups, "threads": names, "on_cpu": cpu, "load1": load1, "others_runnable": quiet,
                   "listening_s": round(listening, 2)}
            if jit_log:
                row["jit"] = jit_counts(jit_log, t0 - spawned, t1 - spawned)
            rows.append(row)
    finally:
        p.stdin.close()
        p.terminate()
        p.wait()
    return rows


def fmt(row, verbose):
    g = row["groups"]
    s = (f"  {row['window']:5} {row['msgs_per_s']:6}/s user {row['user_us_per_msg']:5} sys {row['sys_us_per_msg']:5} | "
         + " ".join(f"{n} {g[n]}" for n in GROUPS))
    if row.get("on_cpu"):
        s += " | on-CPU " + " ".join(f"{n} {v}" for n, v in row["on_cpu"].items() if n in ("loop", "C2", "C1"))
    if row.get("jit") is not None:
        s += " | compiled " + " ".join(f"{t} {c}" for t, c in sorted(row["jit"].items()))
    if verbose:
        s += "\n        " + ", ".join(f"{n} {v}" for n, v in row["threads"].items())
    return s


def summary(rows, configs):
    print("\n| config | window | user us/msg | x warm | " + " | ".join(GROUPS) + " | on-CPU loop, C2, C1 | msgs/s |")
    print("| --- | --- | --- | --- | " + " | ".join("---" for _ in GROUPS) + " | --- | --- |")
    rng = lambda xs: f"{statistics.median(xs):.2f} ({min(xs):.2f}-{max(xs):.2f})" if len(xs) > 1 else f"{xs[0]:.2f}"
    for name in configs:
        # Each start's own warm figure (the mean of its two warm windows) is what its windows are divided by.
        warm = {}
        for r in rows:
            if r["config"] == name and r["window"] == "warm":
                warm.setdefault(r["start"], []).append(r["user_us_per_msg"])
        warm = {k: statistics.mean(v) or float("nan") for k, v in warm.items()}
        for w in ["0-2s", "2-4s", "4-6s", "warm"]:
            rs = [r for r in rows if r["config"] == name and r["window"] == w]
            if not rs:
                continue
            cells = [rng([r["user_us_per_msg"] for r in rs]), rng([r["user_us_per_msg"] / warm[r["start"]] for r in rs])]
            cells += [f"{statistics.median(r['groups'][g] for r in rs):.2f}" for g in GROUPS]
            if all(r.get("on_cpu") for r in rs):
                cells.append(", ".join(f"{statistics.median(r['on_cpu'][g] for r in rs):.2f}" for g in ("loop", "C2", "C1")))
            else:
                cells.append("")
            cells.append(f"{statistics.median(r['msgs_per_s'] for r in rs):.0f}")
            print(f"| {name} | {w} | " + " | ".join(cells) + " |")
    print("\n(user us/msg and x warm: median (min-max) over the starts; x warm: the window's user us/msg over its"
          " start's warm mean; groups: median user us/msg; on-CPU: user + sys us/msg from schedstat, exact;"
          " warm: both warm windows of every start)")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("legacy", nargs="*", help="JAR [STARTS] [LOADGEN], or NAME=COMMAND ...")
    ap.add_argument("--starts", type=int, default=3)
    ap.add_argument("--loadgen", default=DEFAULT_LG)
    ap.add_argument("--jit-log", metavar="DIR")
    ap.add_argument("--json", metavar="FILE", help="append one JSON line per window")
    ap.add_argument("--quiet-limit", type=float, default=1.0)
    ap.add_argument("--max-wait", type=float, default=60)
    ap.add_argument("--verbose", action="store_true", help="per-thread names; the servers' stderr")
    args = ap.parse_args()
    configs = {}
    if args.legacy and "=" not in args.legacy[0]:
        jar = args.legacy[0]
        if len(args.legacy) > 1:
            args.starts = int(args.legacy[1])
        if len(args.legacy) > 2:
            args.loadgen = args.legacy[2]
        configs["jdk17"] = ("java -Xms256m -Xmx256m -XX:+UseParallelGC -jar " + shlex.quote(jar)
                            + " echo-server --backend epoll --port {port}")
    else:
        for c in args.legacy:
            name, _, cmd = c.partition("=")
            configs[name] = cmd
    if not configs:
        ap.error("give JAR or NAME=COMMAND")
    if args.jit_log:
        os.makedirs(args.jit_log, exist_ok=True)
    print("uptime:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip(), flush=True)
    names = list(configs)
    rows = []
    for k in range(1, args.starts + 1):
        for name in (names if k % 2 else names[::-1]):
            waited = time.monotonic()
            while others_running() > args.quiet_limit and time.monotonic() - waited < args.max_wait:
                pass
            rs = one_start(name, configs[name], k, args)
            rows += rs
            r0 = rs[0]
            print(f"{name} start {k} (listening after {r0['listening_s']} s; load {r0['load1']}, "
                  f"{r0['others_runnable']:.1f} others runnable)", flush=True)
            for r in rs:
                print(fmt(r, args.verbose), flush=True)
            if args.json:
                with open(args.json, "a") as f:
                    for r in rs:
                        f.write(json.dumps(r) + "\n")
    summary(rows, names)
    print("uptime:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())


if __name__ == "__main__":
    main()
