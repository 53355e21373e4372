#!/usr/bin/env python3
"""report.py RESULTS_DIR: the Markdown tables of BENCHMARKS.md from bench/run's raw files.

Overhead is the median of a row minus the median of the floor that has the
same launcher (bench/envexec) and so cancels it. The ratio is what starting
/bin/true through the entrypoint costs relative to starting it directly:
(direct + overhead) / direct, with "direct" the launcher-less row.
Also writes scaling.dat for plot.gp. Prints; never fails on a number.
"""
import gzip
import json
import os
import re
import statistics
import sys

out = sys.argv[1]


def load(name):
    """hyperfine's JSON export, kept gzipped in the repository."""
    path = os.path.join(out, name)
    if os.path.exists(path + ".gz"):
        with gzip.open(path + ".gz", "rt") as f:
            return {r["command"]: r for r in json.load(f)["results"]}
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return {r["command"]: r for r in json.load(f)["results"]}


def med(r):
    return statistics.median(r["times"])


def quart(r):
    q = statistics.quantiles(r["times"], n=4)
    return q[0], q[2]


def us(x):
    return f"{x * 1e6:,.0f}"


def tsv(name):
    path = os.path.join(out, name)
    if not os.path.exists(path):
        return {}
    rows = {}
    with open(path) as f:
        for line in f:
            if line.startswith("#") or "\t" not in line:
                continue
            k, v = line.rstrip("\n").split("\t")[:2]
            rows[k] = v
    return rows


lines = []
p = lines.append
main = load("main.json")
scaling = load("scaling.json")
ov = {}
if main:
    direct = med(main["direct exec"])
    floor = med(main["floor: envexec"])
    p("| start /bin/true through | median | IQR | runs | overhead | ratio to direct exec |")
    p("|---|---:|---:|---:|---:|---:|")
    for name, r in main.items():
        m = med(r)
        q1, q3 = quart(r)
        if name == "direct exec":
            o, ratio = "", "1"
        elif name == "floor: envexec":
            o, ratio = f"launcher: {us(m - direct)} µs", "(the floor)"
        else:
            ov[name] = m - floor
            o = f"{us(ov[name])} µs"
            ratio = f"{(direct + ov[name]) / direct:.2f}×"
        p(f"| {name} | {m * 1e3:.3f} ms | {(q3 - q1) * 1e6:,.0f} µs | {len(r['times'])} | {o} | {ratio} |")
    p("")

sov = {}
if scaling:
    ns = sorted({int(k.split()[1]) for k in scaling})
    p("| secrets | floor (same input env) | shim | bash file_env | dash file_env | bash ÷ shim | dash ÷ shim |")
    p("|---:|---:|---:|---:|---:|---:|---:|")
    dat = ["# n floor_extra_us shim_us bash_us dash_us  (overhead over the floor with the same environment)"]
    f0 = med(scaling["floor 0"])
    for n in ns:
        fl = med(scaling[f"floor {n}"])
        s, b, d = (med(scaling[f"{k} {n}"]) - fl for k in ("shim", "bash", "dash"))
        sov[n] = (s, b, d)
        p(f"| {n} | {fl * 1e3:.3f} ms (+{us(fl - f0)} µs) | {us(s)} µs | {us(b)} µs | {us(d)} µs | {b / s:.1f}× | {d / s:.1f}× |")
        dat.append(f"{n} {(fl - f0) * 1e6:.1f} {s * 1e6:.1f} {b * 1e6:.1f} {d * 1e6:.1f}")
    with open(os.path.join(out, "scaling.dat"), "w") as f:
        f.write("\n".join(dat) + "\n")
    p("")

# Go benchmarks: the mean ns/op of each name over its -count runs
gob = {}
path = os.path.join(out, "gobench.txt")
if os.path.exists(path):
    acc = {}
    for line in open(path):
        m = re.match(r"^(Benchmark\S+?)(?:-\d+)?\s+\d+\s+([\d.]+) ns/op", line)
        if m:
            acc.setdefault(m.group(1), []).append(float(m.group(2)))
    gob = {k: statistics.median(v) for k, v in acc.items()}

rss = tsv("rss.tsv")
ins = tsv("instructions.tsv")
sizes = tsv("sizes.tsv")

p("Targets:")
p("")
p("| target | measured | met |")
p("|---|---|---|")


def target(what, measured, ok):
    p(f"| {what} | {measured} | {'yes' if ok else 'no'} |")


if ov:
    s5, g = ov["shim, 5 secrets"], ov["gosu root"]
    target("overhead(shim, 5 secrets) ≤ overhead(gosu)", f"{us(s5)} µs vs {us(g)} µs ({s5 / g:.2f}×)", s5 <= g)
    for n, limit in ((100, 0.5), (1000, 0.25)):
        s, b = ov[f"shim, {n} secrets"], ov[f"bash file_env, {n}"]
        target(f"overhead(shim, {n}) ≤ {limit} × overhead(bash file_env, {n})", f"{us(s)} µs vs {us(b)} µs ({s / b:.3f}×)", s <= limit * b)
    marg = (ov["shim, 1000 secrets"] - ov["shim, 0 secrets"]) / 1000
    orc = gob.get("BenchmarkOpenReadClose/files=1000/eof=false") or gob.get("BenchmarkOpenReadClose")
    own = (sov[1000][0] - sov[0][0]) / 1000 if sov else None
    m = f"{marg * 1e9:,.0f} ns/secret (table 1)"
    if own is not None:
        m += f"; {own * 1e9:,.0f} ns/secret over the floor with the same environment (table 2)"
    if orc:
        m += f"; open/read/close alone: {orc:,.0f} ns"
    target("marginal cost per secret close to one open/read/close", m, bool(orc) and own is not None and own <= 2 * orc * 1e-9)
if rss:
    a, b = int(rss["shim, 5 secrets"]), int(rss["gosu root"])
    target("peak RSS(shim, 5 secrets) ≤ peak RSS(gosu)", f"{a:,} KiB vs {b:,} KiB", a <= b)
if sizes:
    a, b = int(sizes["shim (-ldflags='-s -w')"]), int(sizes["gosu"])
    target("stripped binary ≤ gosu", f"{a:,} B vs {b:,} B ({a / b:.2f}×)", a <= b)
p("")

if rss:
    p("| peak RSS (median) | KiB |")
    p("|---|---:|")
    for k, v in rss.items():
        p(f"| {k} | {int(v):,} |")
    p("")
if ins:
    p("| user-space instructions (to the failed execve) | instructions |")
    p("|---|---:|")
    for k, v in ins.items():
        p(f"| {k} | {int(float(v)):,} |")
    p("")
if sizes:
    p("| binary | bytes | what |")
    p("|---|---:|---|")
    for line in open(os.path.join(out, "sizes.tsv")):
        k, v, what = line.rstrip("\n").split("\t")
        p(f"| {k} | {int(v):,} | {what} |")
    p("")
cnt = os.path.join(out, "counters.tsv")
if os.path.exists(cnt):
    p("| whole start (perf stat, mean) | CPU time | page faults | context switches | syscalls |")
    p("|---|---:|---:|---:|---:|")
    for line in open(cnt):
        if line.startswith("#"):
            continue
        f = line.rstrip("\n").split("\t")
        try:
            p(f"| {f[0]} | {float(f[1]):.2f} ms | {float(f[2]):,.0f} | {float(f[3]):,.0f} | {float(f[4]):,.0f} |")
        except (IndexError, ValueError):
            p(f"| {f[0]} | (not measured) | | | |")
    p("")

# syscalls a secret adds: strace -f -c with 1000 secrets minus with none
def strace_calls(name):
    path = os.path.join(out, name)
    calls = {}
    if os.path.exists(path):
        for line in open(path):
            f = line.split()
            if len(f) >= 5 and f[3].isdigit():
                calls[f[-1]] = int(f[3])
    return calls


s0, s1000 = strace_calls("strace-c-0.txt"), strace_calls("strace-c-1000.txt")
if s0 and s1000:
    p("| syscall | calls, 0 secrets | calls, 1000 secrets | per secret |")
    p("|---|---:|---:|---:|")
    for k in sorted(set(s0) | set(s1000), key=lambda k: -(s1000.get(k, 0) - s0.get(k, 0))):
        d = (s1000.get(k, 0) - s0.get(k, 0)) / 1000
        if abs(d) >= 0.01:
            p(f"| {k} | {s0.get(k, 0)} | {s1000.get(k, 0)} | {d:.2f} |")
    p("")

img = os.path.join(out, "image-size.txt")
if os.path.exists(img):
    p(f"Scratch image (podman image inspect .Size): {open(img).read().strip()} bytes")
    p("")

if gob:
    p("| Go benchmark | ns/op (median of runs) |")
    p("|---|---:|")
    for k, v in gob.items():
        p(f"| {k} | {v:,.0f} |")
    p("")
print("\n".join(lines))
