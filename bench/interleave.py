#!/usr/bin/env python3
"""bench/interleave.py [--cachegrind] [--rounds N]: the issue 18 rows, one run
of each in turn (shuffled every round), so that a shared machine's drift
falls on all of them alike; bench/run measures row after row instead.

Rows: envexec alone, the floor (goenvexec), shim with 0 and 5 secrets, and
shim with 5 secrets and SHIM_USER=nobody. Uses what bench/run built and
generated in SHIM_BENCH_WORK (default /tmp/shim-bench): run bench/run first.

Default: wall time of posix_spawn to wait of each row starting /bin/true;
prints medians and the overhead over envexec alone, and the ratios to the
floor's. --cachegrind: user-space instructions of each row to a failed
execve, as bench/run counts them (GODEBUG=cpu.rdtscp=off where the host
lacks rdtscp); prints medians and ratios to the floor's.
"""
import os
import random
import statistics as st
import subprocess
import sys
import tempfile
import time

W = os.environ.get("SHIM_BENCH_WORK", "/tmp/shim-bench")
cg = "--cachegrind" in sys.argv
rounds = int(sys.argv[sys.argv.index("--rounds") + 1]) if "--rounds" in sys.argv else (9 if cg else 300)
E = W + "/envexec"
tmp = tempfile.mkdtemp(prefix="shim-interleave-")
os.chmod(tmp, 0o1777)  # the SHIM_USER=nobody row writes its counts here too


def env(n, extra=()):
    path = f"{tmp}/env-{n}-{len(extra)}"
    with open(path, "w") as f:
        f.write(open(f"{W}/fix/{n}/env.shim").read())
        for x in extra:
            f.write(x + "\n")
        if cg and "rdtscp" not in open("/proc/cpuinfo").read():
            f.write("GODEBUG=cpu.rdtscp=off\n")
    return path


rows = {
    "envexec alone": (env(0), []),
    "floor (goenvexec)": (env(0), [W + "/goenvexec"]),
    "shim, 0 secrets": (env(0), [W + "/shim"]),
    "shim, 5 secrets": (env(5), [W + "/shim"]),
    "shim, 5 secrets, SHIM_USER=nobody": (env(5, ["SHIM_USER=nobody"]), [W + "/shim"]),
}
if cg:
    del rows["envexec alone"]
res = {k: [] for k in rows}
devnull = os.open("/dev/null", os.O_RDWR)
warmup = 0 if cg else 20
for r in range(rounds + warmup):
    order = list(rows)
    random.shuffle(order)
    for k in order:
        envf, cmd = rows[k]
        if cg:
            out = f"{tmp}/cg.{r}"
            subprocess.run([E, envf, "/usr/bin/valgrind", "--tool=cachegrind", "--cache-sim=no", "--vgdb=no",
                            f"--cachegrind-out-file={out}"] + cmd + ["/nonexistent/true"],
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            s = [l for l in open(out) if l.startswith("summary:")]
            if s:
                res[k].append(int(s[0].split()[1]))
            os.remove(out)
            continue
        argv = [E, envf] + cmd + ["/bin/true"]
        a = time.perf_counter_ns()
        pid = os.posix_spawn(E, argv, {}, file_actions=[(os.POSIX_SPAWN_DUP2, devnull, 1)])
        os.waitpid(pid, 0)
        b = time.perf_counter_ns()
        if r >= warmup:
            res[k].append((b - a) / 1e3)
med = {k: st.median(v) for k, v in res.items()}
load = " ".join(open("/proc/loadavg").read().split()[:3])
print(f"# {'cachegrind instructions' if cg else 'wall time, µs'}; {rounds} interleaved rounds; load after: {load}")
if cg:
    f = med["floor (goenvexec)"]
    for k, v in res.items():
        print(f"{k}\tmedian {med[k]:,.0f}\tmin {min(v):,}\tmax {max(v):,}\t× floor {med[k] / f:.2f}")
else:
    base = med["envexec alone"]
    f = med["floor (goenvexec)"] - base
    for k, v in res.items():
        q = st.quantiles(v, n=4)
        o = med[k] - base
        print(f"{k}\tmedian {med[k]:,.0f} µs\tIQR {q[2] - q[0]:,.0f} µs\toverhead {o:,.0f} µs\t× floor's {o / f:.2f}")
