#!/usr/bin/env python3
"""report.py RESULTS_DIR ENTRYPOINTS: the Markdown tables of BENCHMARKS.md.

Reads bench/run's raw files in RESULTS_DIR and the row list (bench/entrypoints)
to find rows by kind and number of secrets. The first table holds every
target's number; the counts follow, then the times. Also writes scaling.dat
for plot.gp. Prints; never fails on a number: a missing file or row is shown
as "-".

Definitions:
  counts     one run of the entrypoint to a failed execve (/nonexistent/true):
             user-space instructions from cachegrind (median of the runs), the
             rest from perf stat (mean of the runs)
  overhead   median wall time of a row minus that of the floor, the same
             launcher (bench/envexec) exec'ing /bin/true directly
  ratio      (direct + overhead) / direct: how many times slower starting
             /bin/true through the entrypoint is than starting it directly
  per secret (X at N secrets - X at 0) / N, for the same kind of entrypoint
  × floor    shim's count or overhead divided by that of the card's own floor
             (kind gofloor: bench/go/goenvexec, the Go runtime with
             envconfig's init, only exec'ing), the three targets of issue 18
"""
import gzip
import json
import os
import re
import statistics
import sys

out = sys.argv[1]
listing = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(__file__), "entrypoints")

# --- the row list ---------------------------------------------------------------
ROWS = []  # dicts: name kind n tables
for line in open(listing):
    if not line.strip() or line.lstrip().startswith("#"):
        continue
    f = [x.strip() for x in line.split("|")]
    ROWS.append({"name": f[0], "kind": f[1], "n": int(f[2]), "tables": f[4].split()})


def row(kind, n=0, table=None):
    """the name of the row of this kind and n (in this table), or None"""
    for r in ROWS:
        if r["kind"] == kind and r["n"] == n and (table is None or table in r["tables"]):
            return r["name"]
    return None


def path(name):
    return os.path.join(out, name)


def load_hf(name):
    """hyperfine's JSON export, kept gzipped in the repository: name -> times"""
    for p, op in ((path(name + ".gz"), gzip.open), (path(name), open)):
        if os.path.exists(p):
            with op(p, "rt") as f:
                return {r["command"]: r["times"] for r in json.load(f)["results"]}
    return {}


def tsv_header(name):
    """a TSV with a header line: name -> {column: value}"""
    if not os.path.exists(path(name)):
        return {}
    with open(path(name)) as f:
        lines = [l.rstrip("\n").split("\t") for l in f if l.strip() and not l.startswith("#")]
    head, rows = lines[0], lines[1:]
    return {r[0]: dict(zip(head, r)) for r in rows}


def tsv_pairs(name):
    if not os.path.exists(path(name)):
        return {}
    rows = {}
    for line in open(path(name)):
        if line.startswith("#") or "\t" not in line:
            continue
        k, v = line.rstrip("\n").split("\t")[:2]
        rows[k] = v
    return rows


def num(x):
    try:
        return float(x)
    except (TypeError, ValueError):
        return None


def fmt(x, nd=0):
    if x is None:
        return "-"
    return f"{x:,.{nd}f}"


def us(x):
    return "-" if x is None else f"{x * 1e6:,.0f} µs"


lines = []
p = lines.append

counts = tsv_header("counts.tsv")
mach = {}
if os.path.exists(path("machine.txt")):
    for l in open(path("machine.txt")):
        m = re.match(r"machcost: (\w+) ([\d.]+)", l)
        if m:
            mach[m.group(1)] = float(m.group(2))
fault_ns, call_ns = mach.get("fault_ns"), mach.get("syscall_ns")
hf = load_hf("main.json")
scaling = load_hf("scaling.json")
rss = tsv_pairs("rss.tsv")
sizes = tsv_pairs("sizes.tsv")


def c(kind, n, col):
    name = row(kind, n, "counts")
    return num(counts.get(name, {}).get(col)) if name else None


INS, PF, CS, NT, SC, CPU = "instructions", "page faults", "context switches", "new tasks", "syscalls", "task-clock ms"


def per_secret(kind, n, col):
    a, b = c(kind, n, col), c(kind, 0, col)
    return None if a is None or b is None else (a - b) / n


med = {k: statistics.median(v) for k, v in hf.items()}
floor_name = row("floor", 0, "time")
direct_name = row("direct", 0, "time")


def overhead(name):
    if name in med and floor_name in med:
        return med[name] - med[floor_name]
    return None


# the machine's load around the hyperfine run (main-load.txt): a time taken
# with more runnable tasks than half the cores is not judged against a limit
busy = None
if os.path.exists(path("main-load.txt")):
    t = open(path("main-load.txt")).read()
    loads = [float(x) for x in re.findall(r"(?:before|after): ([\d.]+)", t)]
    cores = re.search(r"cores: (\d+)", t)
    if loads and cores and max(loads) > int(cores.group(1)) / 2:
        busy = f"not judged: load {max(loads):.1f} on {cores.group(1)} cores"


def ok_time(x, limit):
    return busy if busy else ok(x, limit)


def ok(x, limit):
    if x is None or limit is None:
        return "-"
    return "yes" if x <= limit else "**no**"


# --- 0. issue 18: shim against the card's own floor -------------------------------------
# The floor (kind gofloor, bench/go/goenvexec) is a Go program built like shim
# that imports envconfig and only execs: the runtime and envconfig's init,
# which shim cannot avoid while the card names envconfig.
gf_c = row("gofloor", 0, "counts")
gf_t = row("gofloor", 0, "time")
fi, ff = c("gofloor", 0, INS), c("gofloor", 0, PF)
s0_i, su_i = c("shim", 0, INS), c("shim-user", 5, INS)
o5, ogf = overhead(row("shim", 5, "time")), overhead(gf_t)


def ratio_row(what, x, base, limit, judge=ok, show=fmt):
    r = x / base if x is not None and base else None
    p(f"| {what} | {show(x)} | {show(base)} | {'-' if r is None else f'{r:.2f}×'} | ≤ {limit}× | {judge(r, limit)} |")


p("| target (issue 18): shim against the floor, a Go program built like shim that imports envconfig and only execs | shim | floor | ratio | target | met |")
p("|---|---:|---:|---:|---:|---|")
ratio_row("user-space instructions, no settings (0 secrets, no SHIM_*)", s0_i, fi, 1.1)
ratio_row("user-space instructions, 5 secrets and SHIM_USER=nobody", su_i, fi, 1.35)
ratio_row("wall-time overhead over envexec alone, 5 secrets (hyperfine median)", o5, ogf, 1.15, ok_time, us)
p("")
if counts:
    p("| against the floor, one start to the failed execve | instructions | × floor | page faults | × floor | "
      "new tasks (threads started) | context switches | system calls | wall-time overhead | × floor's | peak RSS KiB | stripped binary bytes |")
    p("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    fsize = num(sizes.get("goenvexec (floor: Go exec + envconfig)"))
    ssize = num(sizes.get("shim (-ldflags='-s -w')"))
    for kind, n, size in (("gofloor", 0, fsize), ("gofloor", 5, None), ("shim", 0, ssize), ("shim", 5, ssize),
                          ("shim-user", 5, ssize), ("peer", None, num(sizes.get("goexec (Go runtime only)")))):
        name = row(kind, n, "counts") if n is not None else "Go exec (goexec, the runtime alone)"
        if not name or name not in counts:
            continue
        d = counts[name]
        i, f = num(d.get(INS)), num(d.get(PF))
        ov = overhead(name) if name in med else None
        rs = num(rss.get(name))
        p(f"| {name} | {fmt(i)} | {f'{i / fi:.2f}×' if i and fi else '-'} | {fmt(f)} | {f'{f / ff:.2f}×' if f and ff else '-'} | "
          f"{fmt(num(d.get(NT)))} | {fmt(num(d.get(CS)))} | {fmt(num(d.get(SC)))} | {us(ov)} | "
          f"{f'{ov / ogf:.2f}×' if ov is not None and ogf else '-'} | {fmt(rs)} | "
          f"{fmt(size)}{f' ({size / fsize:.2f}×)' if size and fsize and size != fsize else ''} |")
    p("")

# --- 1. the targets, every number from this run ------------------------------------------
p("| target (issue 13) | measured | limit | met |")
p("|---|---:|---:|---|")
s5 = row("shim", 5, "counts")
i5, f5 = c("shim", 5, INS), c("shim", 5, PF)
p(f"| shim, 5 secrets, no SHIM_* setting: user-space instructions | {fmt(i5)} | 640,000 | {ok(i5, 640000)} |")
p(f"| shim, 5 secrets, no SHIM_* setting: page faults | {fmt(f5)} | 235 | {ok(f5, 235)} |")
gosu_i = num(counts.get("gosu root", {}).get(INS))
iu = c("shim-user", 5, INS)
lim = 1.1 * gosu_i if gosu_i else None
p(f"| shim, 5 secrets, SHIM_USER=nobody: instructions ≤ 1.1 × gosu root's ({fmt(gosu_i)}) | {fmt(iu)}"
  f"{f' ({iu / gosu_i:.2f}×)' if iu and gosu_i else ''} | {fmt(lim)} | {ok(iu, lim)} |")
for n in (100, 1000):
    x = per_secret("shim", n, INS)
    p(f"| instructions per secret, {n} secrets | {fmt(x)} | 5,000 | {ok(x, 5000)} |")
for n in (100, 1000):
    x = per_secret("shim", n, SC)
    p(f"| system calls per secret, {n} secrets | {fmt(x, 2)} | 4.1 | {ok(x, 4.1)} |")
o5, og = overhead(row("shim", 5, "time")), overhead("gosu root")
p(f"| wall-time overhead, 5 secrets, ≤ 1.3 × gosu root's ({us(og)}, same hyperfine run) | {us(o5)}"
  f"{f' ({o5 / og:.2f}×)' if o5 is not None and og else ''} | {us(1.3 * og) if og else '-'} | {ok_time(o5, 1.3 * og if og else None)} |")
for n in (100, 1000):
    os_, ob = overhead(row("shim", n, "time")), overhead(row("bash", n, "time"))
    fs, fb = c("shim", n, PF), c("bash", n, PF)
    ratio = f"{os_ / ob:.2f}× bash's {us(ob)}" if os_ is not None and ob else "-"
    p(f"| wall-time overhead, {n} secrets, against bash file_env; page faults shim / bash | {us(os_)} ({ratio}); "
      f"faults {fmt(fs)} / {fmt(fb)} | reported | {busy or ''} |")
ss, sg = num(sizes.get("shim (-ldflags='-s -w')")), num(sizes.get("gosu"))
p(f"| stripped binary against gosu's ({fmt(sg)} B) | {fmt(ss)} B{f' ({ss / sg:.2f}×)' if ss and sg else ''} | {fmt(sg)} B | {ok(ss, sg)} |")
rs, rg = num(rss.get(row("shim", 5, "rss"))), num(rss.get("gosu root"))
p(f"| peak RSS, 5 secrets, against gosu root's ({fmt(rg)} KiB) | {fmt(rs)} KiB{f' ({rs / rg:.2f}×)' if rs and rg else ''} | {fmt(rg)} KiB | {ok(rs, rg)} |")
p("")

# --- 2. counts --------------------------------------------------------------------
if counts:
    p("| one start, to the failed execve | instructions | spread | page faults | context switches | new tasks | system calls | CPU time | faults + calls at this machine's cost |")
    p("|---|---:|---:|---:|---:|---:|---:|---:|---:|")

    def cell(d, col, nd=0):
        v, lo, hi = num(d.get(col)), num(d.get(col + " min")), num(d.get(col + " max"))
        if v is None:
            return "-"
        if lo is None or hi is None or lo == hi:
            return fmt(v, nd)
        return f"{fmt(v, nd)} ({fmt(lo, nd)}–{fmt(hi, nd)})"

    def kcost(d):
        f, sc = num(d.get(PF)), num(d.get(SC))
        if None in (f, sc, fault_ns, call_ns):
            return "-"
        return f"{(f * fault_ns + sc * call_ns) / 1e6:.2f} ms"

    for r in ROWS:
        if "counts" not in r["tables"] or r["name"] not in counts:
            continue
        d = counts[r["name"]]
        i, lo, hi = num(d.get(INS)), num(d.get(INS + " min")), num(d.get(INS + " max"))
        spread = f"{(hi - lo) / i * 100:.1f} %" if i and lo is not None and hi is not None else "-"
        p(f"| {r['name']} | {fmt(i)} | {spread} | {cell(d, PF)} | {cell(d, CS)} | "
          f"{cell(d, NT)} | {cell(d, SC)} | {fmt(num(d.get(CPU)), 2)} ms | {kcost(d)} |")
    p("")
    any_row = next(iter(counts.values()))
    p(f"Instructions: cachegrind, median of {any_row.get('runs', '?')} runs; spread is (max − min) / median. "
      f"The other columns: perf stat, median of {any_row.get('perf runs', '?')} runs (min–max in brackets). "
      "Every run ends in a failed execve of /nonexistent/true; the kernel's instructions are not counted.")
    if fault_ns:
        p(f"The last column prices the faults and system calls at what bench/machcost measured on this machine: "
          f"{fault_ns:,.0f} ns a fault (first touch of an anonymous page), {call_ns:,.0f} ns a getppid round trip. "
          "On another machine a fault may cost a fifth of that, so the counts are what to compare.")
    p("")
    notes = path("counts-notes.txt")
    if os.path.exists(notes) and open(notes).read().strip():
        p("Notes: " + "; ".join(l.strip() for l in open(notes) if l.strip()) + ".")
        p("")

    # --- 3. per secret ---------------------------------------------------------------
    p("| per secret, (N − 0) / N | instructions, 100 | instructions, 1000 | system calls, 100 | system calls, 1000 | page faults, 1000 |")
    p("|---|---:|---:|---:|---:|---:|")
    for kind, what in (("shim", "shim"), ("shim-user", "shim, SHIM_USER=nobody"), ("loop-c", "open/read/close loop (C)"),
                       ("loop-go", "open/read/close loop (Go)"), ("bash", "bash file_env"), ("dash", "dash file_env")):
        vals = [per_secret(kind, 100, INS), per_secret(kind, 1000, INS), per_secret(kind, 100, SC),
                per_secret(kind, 1000, SC), per_secret(kind, 1000, PF)]
        if all(v is None for v in vals):
            continue
        p(f"| {what} | {fmt(vals[0])} | {fmt(vals[1])} | {fmt(vals[2], 2)} | {fmt(vals[3], 2)} | {fmt(vals[4], 3)} |")
    p("")

# --- 4. wall time, one hyperfine run ------------------------------------------------------
if hf:
    direct = med.get(direct_name)
    og = overhead("gosu root")
    p("| start /bin/true through (one hyperfine run) | median | IQR | runs | overhead | ratio to direct exec | overhead ÷ gosu's |")
    p("|---|---:|---:|---:|---:|---:|---:|")
    for r in ROWS:
        name = r["name"]
        if "time" not in r["tables"] or name not in hf:
            continue
        m = med[name]
        q = statistics.quantiles(hf[name], n=4)
        if name == direct_name:
            o, ratio, rg = "", "1", ""
        elif name == floor_name:
            o, ratio, rg = f"launcher: {us(m - direct)}", "(the floor)", ""
        else:
            ov = overhead(name)
            o = us(ov)
            ratio = f"{(direct + ov) / direct:.2f}×"
            rg = f"{ov / og:.2f}" if og else "-"
        p(f"| {name} | {m * 1e3:.3f} ms | {(q[2] - q[0]) * 1e6:,.0f} µs | {len(hf[name])} | {o} | {ratio} | {rg} |")
    p("")

# --- 5. scaling -----------------------------------------------------------------------------
if scaling:
    smed = {k: statistics.median(v) for k, v in scaling.items()}
    ns = sorted({r["n"] for r in ROWS if "scaling" in r["tables"] and r["kind"] == "shim"})
    p("| secrets | floor (same input env) | shim | bash file_env | dash file_env | bash ÷ shim | dash ÷ shim |")
    p("|---:|---:|---:|---:|---:|---:|---:|")
    dat = ["# n floor_extra_us shim_us bash_us dash_us  (overhead over the floor with the same environment)"]
    f0 = smed.get(row("floor", 0, "scaling"))
    for n in ns:
        fl = smed.get(row("floor", n, "scaling"))
        vals = [smed.get(row(k, n, "scaling")) for k in ("shim", "bash", "dash")]
        if fl is None or f0 is None or None in vals:
            continue
        s, b, d = (v - fl for v in vals)
        p(f"| {n} | {fl * 1e3:.3f} ms (+{(fl - f0) * 1e6:,.0f} µs) | {us(s)} | {us(b)} | {us(d)} | {b / s:.1f}× | {d / s:.1f}× |")
        dat.append(f"{n} {(fl - f0) * 1e6:.1f} {s * 1e6:.1f} {b * 1e6:.1f} {d * 1e6:.1f}")
    with open(path("scaling.dat"), "w") as f:
        f.write("\n".join(dat) + "\n")
    p("")

# --- 6. memory and size ----------------------------------------------------------------------
if rss:
    p("| peak RSS (median, /usr/bin/time -f %M) | KiB |")
    p("|---|---:|")
    for r in ROWS:
        if r["name"] in rss:
            p(f"| {r['name']} | {int(rss[r['name']]):,} |")
    p("")
if sizes:
    p("| binary | bytes | what |")
    p("|---|---:|---|")
    for line in open(path("sizes.tsv")):
        k, v, what = line.rstrip("\n").split("\t")
        p(f"| {k} | {int(v):,} | {what} |")
    p("")
if os.path.exists(path("nm-packages.tsv")):
    p("| package (symbols in shim's binary, go tool nm) | bytes |")
    p("|---|---:|")
    for line in list(open(path("nm-packages.tsv")))[:20]:
        v, k = line.rstrip("\n").split("\t")
        p(f"| {k} | {int(v):,} |")
    p("")

# --- 7. build settings and packages (bench/variants) -------------------------------------------
for name, title in (("variants.tsv", "shim built with a setting (bench/variants)"),
                    ("packages.tsv", "goexec with one of shim's imports added (bench/variants)")):
    v = tsv_header(name)
    if not v:
        continue
    head = list(next(iter(v.values())).keys())
    p(f"| {title} | " + " | ".join(head[1:]) + " |")
    p("|---|" + "---:|" * (len(head) - 1))
    for k, d in v.items():
        cells = []
        for h in head[1:]:
            x = num(d[h])
            cells.append(d[h] if x is None else (f"{x:+,.0f}" if h.startswith("Δ") else fmt(x, 2 if x != int(x) else 0)))
        p(f"| {k} | " + " | ".join(cells) + " |")
    p("")

# --- 7b. instructions by package (bench/variants profile) ----------------------------------------
prof = {}
for label in ("goexec", "goenvexec", "0", "5", "5-user", "1000"):
    f = path(f"packages-{label}.tsv")
    if os.path.exists(f):
        prof[label] = {}
        for line in open(f):
            v, k = line.rstrip("\n").split("\t")
            prof[label][k] = int(v)
if prof:
    cols = [l for l in ("goexec", "goenvexec", "0", "5", "5-user", "1000") if l in prof]
    names = {"goexec": "goexec (runtime alone)", "goenvexec": "floor: goenvexec (+ envconfig)", "0": "shim, 0 secrets",
             "5": "shim, 5 secrets", "5-user": "shim, 5, SHIM_USER=nobody",
             "1000": "shim, 1000 secrets"}
    keys = sorted({k for l in cols for k in prof[l]}, key=lambda k: -max(prof[l].get(k, 0) for l in cols))
    keys = [k for k in keys if k == "(total)" or max(prof[l].get(k, 0) for l in cols) >= 3000][:22]
    p("| user-space instructions by package (cachegrind, one median run) | " + " | ".join(names[l] for l in cols) + " |")
    p("|---|" + "---:|" * len(cols))
    for k in keys:
        p(f"| {k} | " + " | ".join(fmt(prof[l].get(k)) if k in prof[l] else "·" for l in cols) + " |")
    p("")

# --- 8. Go benchmarks --------------------------------------------------------------------------
gob = {}
if os.path.exists(path("gobench.txt")):
    acc = {}
    for line in open(path("gobench.txt")):
        m = re.match(r"^(Benchmark\S+?)(?:-\d+)?\s+\d+\s+([\d.]+) ns/op", line)
        if m:
            acc.setdefault(m.group(1), []).append(float(m.group(2)))
    gob = {k: statistics.median(v) for k, v in acc.items()}
if gob:
    p("| Go benchmark | ns/op (median of runs) |")
    p("|---|---:|")
    for k, v in gob.items():
        p(f"| {k} | {v:,.0f} |")
    p("")
print("\n".join(lines))
