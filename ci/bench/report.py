# SPDX-License-Identifier: MIT
"""report.py - turns one `make bench` run into reports/bench.md,
reports/bench.json, reports/bench.png and reports/bench-scale.png, and
applies the gate.

Input (written by ci/bench.sh under --raw):
  <case>/<command>.json   hyperfine --export-json of one command; <case> is
                          <backend>-<rows>[.<profile>]-<op> (sqlite-100k-register,
                          sqlite-100k.features-register: mdm-gencsv's profiles)
  memory.tsv              case, command, peak RSS in KiB (/usr/bin/time %M) of
                          the register and full-read cases
  skipped.txt             case, command, why it was not run (pandas above
                          BENCH_PANDAS_MAX_ROWS)
  bench_pool.log, bench_csv.log, bench_compare.log   microbenchmark output
  failures.txt            case, command, what failed
Every figure in the report is a median of the same run; ratios compare
commands timed in that run only.

The gate: modern/legacy <= 1.05 on every case, and every legacy and modern
command must have run. Legacy and modern run interleaved in rounds; the
ratio is taken per round (median times) and the gate uses the median of the
round ratios, so a round disturbed by other work on the machine cannot
decide alone, whichever side it hit. Exit 1 when it fails (--gate 1).
Targets are reported as met, not met or not measured; they do not gate.
Issue 16's (the Targets section, on the features profile at every size):
register >= 1.3 x sqlite3 .import into a typed table and >= 1.3 x psql
doing the same job; full read to CSV >= 1.2 x sqlite3 -csv and >= 1.0 x
psql \\copy TO; peak RSS of modern's register and full read <= 64 MiB; time
at the largest size <= 11 x the time at a tenth of it, every case (not
measured unless both sizes ran); and the gate, per profile. Issue 7's
(basic profile) follow them. The scale chart plots time and peak RSS
against rows (log-log) for register and full read; it is drawn from what
was measured and never fails the run.
"""
import argparse
import glob
import json
import os
import platform
import re
import subprocess
import sys

GATE = 1.05
OPS = ["register", "read", "limit", "query"]
OP_TEXT = {
    "register": "register (CSV to table)",
    "read": "full read to CSV",
    "limit": "read with a limit",
    "query": "grouped query",
    "gzregister": "register of the CSV gzip-compressed (tools read it through zcat)",
}
TOOL = {"sqlite": ("sqlite3 .import", "sqlite3 -csv"), "postgresql": ("psql \\copy", "psql \\copy")}
# The commands of the scale chart (reports/bench-scale.png), per op and backend.
SCALE_CMDS = {
    "register": {"sqlite": ["modern", "legacy", "sqlite3 .import", "pandas"],
                 "postgresql": ["modern", "legacy", "psql \\copy", "psql createdb+\\copy", "pandas"]},
    "read": {"sqlite": ["modern", "legacy", "sqlite3 -csv", "pandas"],
             "postgresql": ["modern", "legacy", "psql \\copy", "pandas"]},
}


def slug(name):
    return re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_")


def median(xs):
    xs = sorted(xs)
    n = len(xs)
    return xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2


def load_cases(raw, case_glob="*"):
    """Pools the runs of every JSON file of a command (rounds) per case."""
    runs = {}
    for path in sorted(glob.glob(os.path.join(raw, case_glob, "*.json"))):
        case = os.path.basename(os.path.dirname(path))
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        m = re.search(r"\.r(\d+)\.json$", path)
        for r in data.get("results", []):
            d = runs.setdefault(case, {}).setdefault(r["command"], {"times": [], "user": [],
                                                                    "system": [], "files": 0,
                                                                    "round_medians": {}})
            if m:
                d["round_medians"][int(m.group(1))] = r["median"]
            d["times"] += r.get("times") or [r["median"]]
            d["user"].append(r.get("user") or 0.0)
            d["system"].append(r.get("system") or 0.0)
            d["files"] += 1
    cases = {}
    for case, cmds in runs.items():
        for cmd, d in cmds.items():
            t = d["times"]
            mean = sum(t) / len(t)
            sd = (sum((x - mean) ** 2 for x in t) / (len(t) - 1)) ** 0.5 if len(t) > 1 else 0.0
            cases.setdefault(case, {})[cmd] = {
                "median_s": median(t), "mean_s": mean, "stddev_s": sd,
                "min_s": min(t), "max_s": max(t), "runs": len(t), "rounds": d["files"],
                "user_s": sum(d["user"]) / len(d["user"]),
                "system_s": sum(d["system"]) / len(d["system"]),
                "round_medians": d["round_medians"],
            }
    return cases


def gate_ratio(lg, md):
    """(per-round modern/legacy ratios, their median, the pooled ratio);
    (_, None, None) when either side is missing."""
    if not (lg and md and lg["median_s"] > 0):
        return [], None, None
    pooled = md["median_s"] / lg["median_s"]
    lr, mr = lg.get("round_medians", {}), md.get("round_medians", {})
    round_ratios = [mr[k] / lr[k] for k in sorted(lr) if k in mr and lr[k] > 0]
    return round_ratios, (median(round_ratios) if round_ratios else pooled), pooled


def print_ratio(case_dir):
    """--ratio CASE_DIR: prints the gate's ratio of one case so far and the
    number of rounds; exit status 3 when it is over GATE (bench.sh asks
    after each case, to re-measure one that is over the gate)."""
    raw, case = os.path.split(os.path.normpath(case_dir))
    c = load_cases(raw, glob.escape(case)).get(case, {})
    rounds, ratio, _ = gate_ratio(c.get("legacy"), c.get("modern"))
    if ratio is None:
        sys.exit(f"report.py: {case_dir}: no legacy and modern timings")
    print(f"{ratio:.4f} over {len(rounds)} round(s), gate {GATE}")
    return 3 if ratio > GATE else 0


def split_case(case):
    backend, rows, op = case.rsplit("-", 2) if case.count("-") >= 2 else (case, "", "")
    return backend, rows, op


def profile_of(label):
    """The data profile of a rows label: "100k.features" is features."""
    return label.split(".", 1)[1] if "." in label else "basic"


def label_of(n):
    """The rows label of case names, as bench.sh's label(): 100k, 1M, 10M."""
    n = int(n)
    if n % 1000000 == 0:
        return f"{n // 1000000}M"
    if n % 1000 == 0:
        return f"{n // 1000}k"
    return str(n)


def rows_value(label):
    m = re.fullmatch(r"(\d+)([kM]?)", label.split(".", 1)[0])
    if not m:
        return 0
    return int(m.group(1)) * {"": 1, "k": 1000, "M": 1000000}[m.group(2)]


def fmt_s(x):
    if x is None:
        return "–"
    if x >= 10:
        return f"{x:.1f} s"
    if x >= 1:
        return f"{x:.2f} s"
    return f"{x * 1000:.0f} ms" if x >= 0.01 else f"{x * 1000:.1f} ms"


def fmt_ratio(x):
    return "–" if x is None else f"{x:.2f}"


def fmt_x(x):
    return "–" if x is None else f"{x:.2f} ×"


def fmt_mib(kib):
    return "–" if kib is None else f"{kib / 1024:.0f} MiB"


def read_memory(raw):
    mem = {}
    path = os.path.join(raw, "memory.tsv")
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            for line in f:
                parts = line.rstrip("\n").split("\t")
                if len(parts) == 3 and parts[2].strip().isdigit():
                    mem.setdefault(parts[0], {})[parts[1]] = int(parts[2])
    return mem


def read_lines(raw, name):
    """The non-blank lines of one of bench.sh's lists (none if missing)."""
    path = os.path.join(raw, name)
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as f:
        return [line.rstrip("\n") for line in f if line.strip()]


def read_failures(raw):
    return [line.split("\t") for line in read_lines(raw, "failures.txt")]


def read_rechecked(raw):
    """{case: times re-measured} from bench.sh's rechecked.txt."""
    out = {}
    for case in read_lines(raw, "rechecked.txt"):
        out[case.strip()] = out.get(case.strip(), 0) + 1
    return out


def kv_line(line):
    return dict(re.findall(r"(\w+)=(\S+)", line))


def read_micro(raw):
    micro = {"pool": [], "csv": None, "compare": None, "format": [], "status": {}}
    status = os.path.join(raw, "micro.txt")
    if os.path.exists(status):
        with open(status, encoding="utf-8") as f:
            for line in f:
                parts = line.rstrip("\n").split("\t")
                if len(parts) == 2:
                    micro["status"][parts[0]] = parts[1]
    path = os.path.join(raw, "bench_pool.log")
    if os.path.exists(path):
        for line in open(path, encoding="utf-8"):
            if line.startswith("bench_pool: threads="):
                kv = kv_line(line)
                micro["pool"].append({
                    "threads": int(kv["threads"]), "ops": int(kv["ops"]),
                    "median_s": float(kv["median_s"]), "ops_per_s": float(kv["ops_per_s"]),
                    "waits": int(kv.get("waits", 0)), "created": int(kv.get("created", 0)),
                    "pre_ping": kv.get("pre_ping") == "1",
                    "pool_size": int(kv.get("pool_size", 0)),
                    "max_overflow": int(kv.get("max_overflow", 0)),
                })
    path = os.path.join(raw, "bench_csv.log")
    if os.path.exists(path):
        for line in open(path, encoding="utf-8"):
            m = re.search(r"([\d.]+) MB, (\d+) rows, (\d+) runs: median ([\d.]+) s.*?([\d.]+) MB/s, ([\d.]+) rows/s", line)
            if m:
                micro["csv"] = {"mb": float(m.group(1)), "rows": int(m.group(2)),
                                "runs": int(m.group(3)), "median_s": float(m.group(4)),
                                "mb_per_s": float(m.group(5)), "rows_per_s": float(m.group(6))}
    path = os.path.join(raw, "bench_format.log")
    if os.path.exists(path):
        for line in open(path, encoding="utf-8"):
            m = re.match(r"(format|parse) \((.*?)\)\s+([\d.]+) M doubles/s", line)
            if m:
                micro["format"].append({"direction": m.group(1), "how": m.group(2),
                                        "m_per_s": float(m.group(3))})
    path = os.path.join(raw, "bench_compare.log")
    if os.path.exists(path):
        lines = [l.strip() for l in open(path, encoding="utf-8") if "rows/s" in l]
        if lines:
            main = next((l for l in lines if "mdm_table_equal" in l), lines[0])
            m = re.search(r"([\d.e+]+) rows/s", main)
            micro["compare"] = {"line": main, "lines": lines,
                                "rows_per_s": float(m.group(1)) if m else None}
    return micro


def machine(args):
    info = {"cores": os.cpu_count(), "system": platform.platform(),
            "load_before": args.load_before, "load_after": args.load_after}
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        info["git"] = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                                     text=True, check=False).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, check=False).stdout.strip()
        if dirty:
            info["git"] += " (with uncommitted changes)"
    except OSError:
        pass
    return info


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--ratio":
        return print_ratio(sys.argv[2])
    ap = argparse.ArgumentParser()
    ap.add_argument("--raw", required=True)
    ap.add_argument("--reports", required=True)
    ap.add_argument("--set", default="full")
    ap.add_argument("--sizes", default="")
    ap.add_argument("--csv-sizes", default="")
    ap.add_argument("--limit", default="1000")
    ap.add_argument("--seed", default="")
    ap.add_argument("--runs", default="5")
    ap.add_argument("--warmup", default="1")
    ap.add_argument("--big-rows", type=int, default=0)
    ap.add_argument("--rounds", default="3")
    ap.add_argument("--query", default="")
    ap.add_argument("--started", default="")
    ap.add_argument("--load-before", default="")
    ap.add_argument("--load-after", default="")
    ap.add_argument("--gate", default="1")
    ap.add_argument("--backends", default="sqlite postgresql")
    ap.add_argument("--profiles", default="basic")
    args = ap.parse_args()

    cases = load_cases(args.raw)
    memory = read_memory(args.raw)
    failures = read_failures(args.raw)
    micro = read_micro(args.raw)
    csv_bytes = {}
    for item in args.csv_sizes.split():
        n, b = item.split("=")
        csv_bytes[n] = int(b)   # by rows label: "100k", "100k.features"
    mach = machine(args)

    def order(case):
        b, r, o = split_case(case)
        return (rows_value(r), profile_of(r) != "basic", profile_of(r), 0 if b == "sqlite" else 1,
                OPS.index(o) if o in OPS else 9)

    # ---- legacy vs modern, and the gate ---------------------------------
    rows_out, gate_fail = [], []
    for case in sorted(cases, key=order):
        c = cases[case]
        backend, rows, op = split_case(case)
        lg, md = c.get("legacy"), c.get("modern")
        # The gate's ratio: modern/legacy in each round (the two ran a few
        # seconds apart), then the median over the rounds, so that one round
        # disturbed by other work on the machine (which can hit either side)
        # does not decide. The ratio of the pooled medians is kept beside it.
        round_ratios, ratio, pooled = gate_ratio(lg, md)
        tool_name = TOOL.get(backend, ("", ""))[0 if op in ("register", "gzregister") else 1]
        tool = c.get(tool_name)
        pandas = c.get("pandas")
        entry = {
            "case": case, "backend": backend, "rows": rows_value(rows), "op": op,
            "rows_label": rows, "profile": profile_of(rows),
            "commands": c, "modern_over_legacy": ratio,
            "modern_over_legacy_rounds": round_ratios,
            "modern_over_legacy_pooled": pooled,
            "tool": tool_name if tool else None,
            "tool_over_modern": tool["median_s"] / md["median_s"] if tool and md else None,
            "pandas_over_modern": pandas["median_s"] / md["median_s"] if pandas and md else None,
        }
        if ratio is None:
            entry["gate"] = "missing"
            gate_fail.append(f"{case}: legacy or modern did not run")
        elif ratio > GATE:
            entry["gate"] = "fail"
            gate_fail.append(f"{case}: modern/legacy = {ratio:.3f} > {GATE}")
        else:
            entry["gate"] = "ok"
        rows_out.append(entry)
    for f in failures:
        if len(f) >= 2 and f[1] in ("legacy", "modern"):
            msg = f"{f[0]}: {f[1]}: {f[2] if len(f) > 2 else 'failed'}"
            if msg not in gate_fail:
                gate_fail.append(msg)
    # Every expected case must be there (a case whose commands all failed
    # leaves no JSON at all).
    for n in args.sizes.split():
        label = label_of(n)
        for profile in args.profiles.split():
            suffix = "" if profile == "basic" else "." + profile
            for backend in args.backends.split():
                for op in OPS:
                    case = f"{backend}-{label}{suffix}-{op}"
                    if case not in cases:
                        gate_fail.append(f"{case}: no result")

    # ---- targets -----------------------------------------------------------
    def med(case, cmd):
        c = cases.get(case, {}).get(cmd)
        return c["median_s"] if c else None

    def peak(case, cmd):
        return memory.get(case, {}).get(cmd)

    targets = []

    def target(name, case, measured, goal, text, note="", at_most=False, issue=7,
               rows=None, unit="×", detail=""):
        if measured is None:
            met = None
        else:
            met = measured <= goal if at_most else measured >= goal
        targets.append({"issue": issue, "target": name, "case": case, "rows": rows,
                        "measured": measured, "unit": unit, "goal": goal,
                        "goal_is": "at most" if at_most else "at least",
                        "text": text, "met": met,
                        "status": "not measured" if met is None else ("met" if met else "not met"),
                        "detail": detail, "note": note})

    def ratio_target(name, case, tool_cmd, goal, text, n, issue=16, note=""):
        """tool time / modern time of one case, at least GOAL."""
        m, t = med(case, "modern"), med(case, tool_cmd)
        detail = f"{tool_cmd} {fmt_s(t)} / modern {fmt_s(m)}" if t and m else (
            "modern did not run" if not m else f"{tool_cmd} did not run")
        target(name, case, t / m if t and m else None, goal, text, note, issue=issue, rows=n,
               detail=detail)

    def rss_target(name, case, n):
        kib = peak(case, "modern")
        target(name, case, kib / 1024 if kib else None, 64.0, "peak RSS ≤ 64 MiB", at_most=True,
               issue=16, rows=n, unit="MiB",
               detail=f"modern {fmt_mib(kib)}" if kib else "not measured")

    # The sizes asked for (a size whose cases all failed still gets its
    # targets, as not measured), and any measured beside them.
    sizes = sorted({int(n) for n in args.sizes.split()} | {e["rows"] for e in rows_out if e["rows"]})
    big = max(sizes) if sizes else 0
    profiles = args.profiles.split()

    # Issue 16, on the features profile (full-precision doubles, the data
    # the project did not design for), at every size of the run.
    fsuffix = ".features"
    for n in sizes:
        label = label_of(n) + fsuffix
        ratio_target("SQLite register ≥ 1.3 × sqlite3 .import into a typed table",
                     f"sqlite-{label}-register", "sqlite3 .import", 1.3,
                     ".import time / modern time ≥ 1.3", n)
        ratio_target("PostgreSQL register ≥ 1.3 × psql doing the same job (CREATE DATABASE, typed table, \\copy)",
                     f"postgresql-{label}-register", "psql createdb+\\copy", 1.3,
                     "psql time / modern time ≥ 1.3", n)
        ratio_target("SQLite full read to CSV ≥ 1.2 × sqlite3 -csv",
                     f"sqlite-{label}-read", "sqlite3 -csv", 1.2,
                     "sqlite3 time / modern time ≥ 1.2", n)
        ratio_target("PostgreSQL full read to CSV ≥ 1.0 × psql \\copy (SELECT *) TO",
                     f"postgresql-{label}-read", "psql \\copy", 1.0,
                     "\\copy time / modern time ≥ 1.0", n)
        for backend, name in (("sqlite", "SQLite"), ("postgresql", "PostgreSQL")):
            rss_target(f"{name} register peak RSS ≤ 64 MiB (modern)", f"{backend}-{label}-register", n)
            rss_target(f"{name} full read peak RSS ≤ 64 MiB (modern)", f"{backend}-{label}-read", n)
    # Linear growth: modern's time at the largest size against the size 10
    # times smaller, for every case of the features profile (a register
    # that holds the table, or a sort, shows here before it shows in RSS).
    small = big // 10 if big % 10 == 0 else 0
    if big and small in sizes:
        for backend in args.backends.split():
            for op in OPS:
                c_big = f"{backend}-{label_of(big)}{fsuffix}-{op}"
                c_small = f"{backend}-{label_of(small)}{fsuffix}-{op}"
                tb, ts = med(c_big, "modern"), med(c_small, "modern")
                target(f"Time grows linearly: {backend} {OP_TEXT[op]}, {label_of(big)} / {label_of(small)} rows",
                       c_big, tb / ts if tb and ts else None, 11.0,
                       f"time at {label_of(big)} / time at {label_of(small)} ≤ 11", at_most=True,
                       issue=16, rows=big,
                       detail=f"modern {fmt_s(tb)} / {fmt_s(ts)}" if tb and ts else "not measured")
    else:
        target("Time grows linearly: every case, largest size / the size 10 times smaller",
               "every case", None, 11.0, "time at N rows / time at N/10 rows ≤ 11", at_most=True,
               issue=16, rows=big,
               note=f"this run measured {', '.join(label_of(n) for n in sizes) or 'no size'} rows; "
                    "needs the largest size and the size 10 times smaller (BENCH_SET=full)")
    # The gate, listed with the targets: the worst case of each profile
    # (the gate section has every case).
    for profile in profiles:
        es = [e for e in rows_out if e["profile"] == profile]
        ok = [e for e in es if e["modern_over_legacy"] is not None]
        worst = max(ok, key=lambda e: e["modern_over_legacy"]) if ok else None
        missing = [e["case"] for e in es if e["gate"] == "missing"]
        missing += [g.split(":", 1)[0] for g in gate_fail
                    if g.endswith(": no result") and profile_of(split_case(g.split(":", 1)[0])[1]) == profile]
        target(f"modern/legacy ≤ {GATE} on every case ({profile} profile; the gate)",
               worst["case"] if worst else "every case",
               worst["modern_over_legacy"] if worst else None, GATE,
               f"worst modern/legacy of {len(ok)} cases ≤ {GATE}", at_most=True, issue=16,
               unit="", detail=f"worst of {len(ok)} cases")
        if missing:   # a case that did not run fails the gate, whatever the others measured
            targets[-1]["met"] = False
            targets[-1]["status"] = "not met"
            targets[-1]["note"] = "missing: " + ", ".join(sorted(set(missing)))

    # Issue 16's aim for the conversions themselves: full-precision doubles
    # a second on one core, each way, by the printf-free code (bench_format).
    for direction, text in (("format", "text from a double"), ("parse", "a double from text")):
        f = next((x for x in micro["format"]
                  if x["direction"] == direction and x["how"] == "printf-free"), None)
        target(f"Doubles a second, {text}: ≥ 20 million on one core (printf-free)",
               "bench_format", f["m_per_s"] if f else None, 20.0, "≥ 20 M doubles/s",
               issue=16, unit="M/s",
               detail=f"{direction} (printf-free) {f['m_per_s']:.1f} M/s" if f else "bench_format did not run")

    # Issue 7's targets, on the basic profile (kept as they were; stated for
    # 100k and 1M rows).
    if "basic" in profiles:
        for n in [x for x in sizes if x <= 1000000]:
            label = label_of(n)
            c = f"sqlite-{label}-register"
            ratio_target("SQLite register at least as fast as sqlite3 .import", c, "sqlite3 .import",
                         1.0, ".import time / modern time ≥ 1", n, issue=7)
            ratio_target("SQLite register at least 5 × pandas", c, "pandas", 5.0,
                         "pandas time / modern time ≥ 5", n, issue=7)
            c = f"postgresql-{label}-register"
            ratio_target("PostgreSQL register at least 0.9 × psql \\copy", c, "psql \\copy", 0.9,
                         "\\copy time / modern time ≥ 0.9", n, issue=7)
            ratio_target("PostgreSQL register at least 10 × pandas", c, "pandas", 10.0,
                         "pandas time / modern time ≥ 10", n, issue=7)
        ref = 1000000 if 1000000 in sizes else max([x for x in sizes if x <= 1000000] or [big])
        note = "" if ref == 1000000 else f"stated for 1M rows; this run stopped at {label_of(ref)}"
        ratio_target("Full read at least as fast as sqlite3 -csv", f"sqlite-{label_of(ref)}-read",
                     "sqlite3 -csv", 1.0, "sqlite3 time / modern time ≥ 1", ref, issue=7, note=note)
        ratio_target("Full read at least as fast as psql \\copy ... TO", f"postgresql-{label_of(ref)}-read",
                     "psql \\copy", 1.0, "\\copy time / modern time ≥ 1", ref, issue=7, note=note)
        for backend, name in (("sqlite", "SQLite"), ("postgresql", "PostgreSQL")):
            case = f"{backend}-{label_of(ref)}-register"
            kib, size = peak(case, "modern"), csv_bytes.get(label_of(ref))
            target(f"{name} register peak memory at most 2 × the CSV (modern)", case,
                   kib * 1024 / size if kib and size else None, 2.0, "peak RSS / CSV size ≤ 2", note,
                   at_most=True, issue=7, rows=ref)

    mem_rows = []
    for case in sorted(memory, key=order):
        backend, rows, op = split_case(case)
        mem_rows.append({"case": case, "op": op, "csv_bytes": csv_bytes.get(rows),
                         "peak_kib": memory[case]})

    # Time and peak RSS against rows, for the scale chart and its table: the
    # features profile (the targets' data) when it ran, else the first.
    scale_profile = "features" if "features" in profiles else (profiles[0] if profiles else "basic")
    scale = {}
    for backend in args.backends.split():
        for op in SCALE_CMDS:
            for cmd in SCALE_CMDS[op][backend]:
                pts = []
                for n in sizes:
                    case = f"{backend}-{label_of(n)}{'' if scale_profile == 'basic' else '.' + scale_profile}-{op}"
                    t, kib = med(case, cmd), peak(case, cmd)
                    if t is not None or kib is not None:
                        pts.append({"rows": n, "median_s": t, "peak_kib": kib})
                if pts:
                    scale.setdefault(backend, {}).setdefault(op, {})[cmd] = pts

    # ---- outputs ---------------------------------------------------------
    os.makedirs(args.reports, exist_ok=True)
    gate_ok = not gate_fail
    rechecked = read_rechecked(args.raw)
    skipped = [line.split("\t") for line in read_lines(args.raw, "skipped.txt")]
    result = {
        "set": args.set, "started": args.started, "machine": mach,
        "settings": {"runs_at_least": int(args.runs), "warmup": int(args.warmup),
                     "legacy_modern_rounds": int(args.rounds),
                     "limit": int(args.limit), "seed": args.seed, "query": args.query,
                     "csv_bytes": csv_bytes, "statistic": "median of hyperfine runs"},
        "cases": rows_out, "targets": targets, "memory": mem_rows, "micro": micro,
        "scale": {"profile": scale_profile, "series": scale},
        "skipped": [{"case": f[0], "command": f[1] if len(f) > 1 else "",
                     "why": f[2] if len(f) > 2 else ""} for f in skipped],
        "failures": [{"case": f[0], "command": f[1] if len(f) > 1 else "",
                      "what": f[2] if len(f) > 2 else ""} for f in failures],
        "gate": {"limit": GATE, "passed": gate_ok, "problems": gate_fail,
                 "re_measured": rechecked},
    }
    with open(os.path.join(args.reports, "bench.json"), "w", encoding="utf-8") as f:
        json.dump(result, f, indent=2)

    md = []
    md.append("# Benchmarks: legacy against modern")
    md.append("")
    md.append(f"Set `{args.set}` ({', '.join(label_of(n) for n in sizes)} rows), "
              f"started {args.started}, commit {mach.get('git', '?')}. "
              f"Machine: {mach.get('cores')} cores ({mach.get('cpu', '?')}), "
              f"load average {args.load_before} before and {args.load_after} after "
              "(other work on the machine makes every figure noisy; ratios compare commands of this run only).")
    md.append("")
    md.append(f"Each figure is the median of at least {args.runs} hyperfine runs after {args.warmup} "
              "warm-up run(s), whole processes (start-up included); legacy and modern run "
              f"interleaved in {args.rounds} rounds (order alternating). "
              + (f"At {label_of(args.big_rows)} rows and more (BENCH_BIG_ROWS): 1 round of 2 runs, "
                 "no warm-up, so those figures are noisier. "
                 if args.big_rows and any(n >= args.big_rows for n in sizes) else "") +
              "Data: `mdm-gencsv` seed "
              f"{args.seed}, 8 columns, profiles {args.profiles} (`.features` cases: full-precision "
              "doubles, microsecond timestamps); CSV sizes: "
              + ", ".join(f"{n} rows {b / 1e6:.1f} MB" for n, b in sorted(csv_bytes.items())) + ".")
    md.append("")
    md.append(f"## Legacy against modern (the gate: modern/legacy ≤ {GATE})")
    md.append("")
    md.append("modern/legacy is the median of the per-round ratios (legacy and modern run a few "
              "seconds apart in each round); the times are medians of all runs pooled.")
    md.append("")
    md.append("| case | rows | legacy | modern | modern/legacy | per round | gate |")
    md.append("|---|---|---|---|---|---|---|")
    for e in rows_out:
        c = e["commands"]
        md.append(f"| {e['backend']} {OP_TEXT.get(e['op'], e['op'])} | "
                  f"{e['rows_label']} | "
                  f"{fmt_s(c.get('legacy', {}).get('median_s'))} | "
                  f"{fmt_s(c.get('modern', {}).get('median_s'))} | "
                  f"**{fmt_ratio(e['modern_over_legacy'])}** | "
                  f"{' '.join(f'{x:.2f}' for x in e['modern_over_legacy_rounds']) or '–'} | "
                  f"{ {'ok': 'ok', 'fail': '**FAIL**', 'missing': '**missing**'}[e['gate']]} |")
    md.append("")
    if rechecked:
        md.append("Re-measured (over the gate after the first rounds, so "
                  f"{args.rounds} more rounds were run, up to twice; the gate takes the median over "
                  "all rounds): " + ", ".join(f"{c} ({n} ×)" for c, n in rechecked.items()) + ".")
        md.append("")
    md.append("## Beside the tools a user would reach for")
    md.append("")
    md.append("Speed-up = the tool's median time / modern's (above 1: modern is faster). "
              "The tools read the table modern registered; register targets start empty each run. "
              "The tools run once per case (not interleaved), so these ratios are noisier than the gate's.")
    md.append("")
    md.append("| case | rows | modern | sqlite3 / psql | speed-up | pandas | speed-up |")
    md.append("|---|---|---|---|---|---|---|")
    for e in rows_out:
        c = e["commands"]
        tool = c.get(e["tool"]) if e["tool"] else None
        md.append(f"| {e['backend']} {OP_TEXT.get(e['op'], e['op'])} | "
                  f"{e['rows_label']} | "
                  f"{fmt_s(c.get('modern', {}).get('median_s'))} | "
                  f"{(e['tool'] + ' ' + fmt_s(tool['median_s'])) if tool else '–'} | "
                  f"{fmt_x(e['tool_over_modern'])} | "
                  f"{fmt_s(c.get('pandas', {}).get('median_s'))} | {fmt_x(e['pandas_over_modern'])} |")
    md.append("")
    same_job = []
    key = "psql createdb+\\copy"
    for e in rows_out:
        c = e["commands"]
        if key in c and "modern" in c:
            label = e["rows_label"]
            t = c[key]["median_s"]
            same_job.append(f"{label}: {fmt_s(t)}, speed-up {fmt_x(t / c['modern']['median_s'])}")
    if same_job:
        md.append("mdm register on PostgreSQL also creates the dataset's database; psql doing that same "
                  "job (CREATE DATABASE, the typed table, \\copy): " + "; ".join(same_job) + ".")
        md.append("")
    def target_rows(ts):
        rows = ["| target | case | measured | goal | status |", "|---|---|---|---|---|"]
        for t in ts:
            met = {"met": "met", "not met": "**not met**", "not measured": "not measured"}[t["status"]]
            if t["measured"] is None:
                meas = "–"
            elif t["unit"] == "MiB":
                meas = f"{t['measured']:.0f} MiB"
            else:
                meas = f"{t['measured']:.2f}{' ' + t['unit'] if t['unit'] else ''}"
            if t["detail"] and t["measured"] is not None:
                meas += f" ({t['detail']})"
            note = f" ({t['note']})" if t["note"] else ""
            rows.append(f"| {t['target']}{note} | {t['case']} | {meas} | {t['text']} | {met} |")
        return rows

    t16 = [t for t in targets if t["issue"] == 16]
    t7 = [t for t in targets if t["issue"] == 7]
    md.append("## Targets")
    md.append("")
    count = {k: sum(1 for t in t16 if t["status"] == k) for k in ("met", "not met", "not measured")}
    md.append("Issue 16's targets, on the features profile at every size of this run (ratios: the "
              "tool's median time / modern's; peak RSS of modern's process). Only the gate (the last "
              f"lines) decides the run; the others are reported. {count['met']} met, "
              f"{count['not met']} not met, {count['not measured']} not measured.")
    md.append("")
    targets_from = len(md)
    md += target_rows(t16)
    targets_to = len(md)
    md.append("")
    if t7:
        md.append("Issue 7's targets (basic profile):")
        md.append("")
        md += target_rows(t7)
        md.append("")
    if mem_rows:
        md.append("## Peak memory of register and full read (max RSS of the client process, /usr/bin/time)")
        md.append("")
        md.append("| case | CSV | legacy | modern | sqlite3 / psql | pandas | modern/CSV | pandas/CSV |")
        md.append("|---|---|---|---|---|---|---|---|")
        for e in mem_rows:
            pk, size = e["peak_kib"], e["csv_bytes"]
            backend, _, op = split_case(e["case"])
            tool = pk.get(TOOL.get(backend, ("", ""))[1 if op == "read" else 0])
            mr = pk.get("modern") * 1024 / size if size and pk.get("modern") else None
            pr = pk.get("pandas") * 1024 / size if size and pk.get("pandas") else None
            md.append(f"| {e['case']} | {size / 1048576:.0f} MiB | {fmt_mib(pk.get('legacy'))} | "
                      f"{fmt_mib(pk.get('modern'))} | {fmt_mib(tool)} | {fmt_mib(pk.get('pandas'))} | "
                      f"{fmt_x(mr)} | {fmt_x(pr)} |" if size else f"| {e['case']} | – | | | | | | |")
        md.append("")
        md.append("On PostgreSQL the server does part of the work; only the client's memory is shown.")
        md.append("")
    md.append(f"## Scale ({scale_profile} profile)")
    md.append("")
    if scale:
        md.append("Median time and peak RSS against rows; chart (log-log): `reports/bench-scale.png`.")
        md.append("")
        md.append("| case | command | " + " | ".join(label_of(n) for n in sizes) + " |")
        md.append("|---|---|" + "---|" * len(sizes))
        for backend, ops in scale.items():
            for op, cmds in ops.items():
                for cmd, pts in cmds.items():
                    by = {p["rows"]: p for p in pts}
                    cells = []
                    for n in sizes:
                        p = by.get(n)
                        cells.append("–" if not p else fmt_s(p["median_s"]) +
                                     (f", {fmt_mib(p['peak_kib'])}" if p["peak_kib"] else ""))
                    md.append(f"| {backend} {OP_TEXT.get(op, op)} | {cmd} | " + " | ".join(cells) + " |")
        md.append("")
    else:
        md.append("Nothing measured.")
        md.append("")
    if skipped:
        md.append("Left out: " + "; ".join(f"{f[0]} {f[1] if len(f) > 1 else ''} "
                                          f"({f[2] if len(f) > 2 else 'skipped'})" for f in skipped) + ".")
        md.append("")
    md.append("## Microbenchmarks (in-process)")
    md.append("")
    if micro["pool"]:
        p0 = micro["pool"][0]
        md.append(f"Pool acquire/release on SQLite (`bench_pool`, pool_size {p0['pool_size']}, "
                  f"max_overflow {p0['max_overflow']}, pre_ping {'on' if p0['pre_ping'] else 'off'}):")
        md.append("")
        md.append("| threads | pairs/s | waits | connections opened |")
        md.append("|---|---|---|---|")
        for p in micro["pool"]:
            md.append(f"| {p['threads']} | {p['ops_per_s']:,.0f} | {p['waits']} | {p['created']} |")
        md.append("")
    else:
        md.append(f"Pool: {micro['status'].get('bench_pool', 'no result')}.")
        md.append("")
    if micro["csv"]:
        c = micro["csv"]
        md.append(f"CSV parsing (`bench_csv`, {c['mb']:.0f} MB, {c['rows']:,} rows, median of {c['runs']}): "
                  f"**{c['mb_per_s']:.0f} MB/s**, {c['rows_per_s']:,.0f} rows/s.")
    else:
        md.append(f"CSV parsing: {micro['status'].get('bench_csv', 'no result')}.")
    md.append("")
    if micro["format"]:
        md.append("Full-precision doubles (`bench_format`, millions a second, one core): "
                  + "; ".join(f"{f['direction']} by {f['how']} **{f['m_per_s']:.1f}**"
                              for f in micro["format"]) + ".")
        md.append("")
    if micro["compare"]:
        rps = micro["compare"]["rows_per_s"]
        md.append("Comparison (`bench_compare`, the harness's table comparison)"
                  + (f": **{rps:,.0f} rows/s**." if rps else "."))
        md.append("")
        md += [f"    {l}" for l in micro["compare"]["lines"]]
    else:
        md.append(f"Comparison throughput: {micro['status'].get('bench_compare', 'no result')}.")
    md.append("")
    if failures:
        md.append("## Failures")
        md.append("")
        for f in failures:
            md.append(f"- {' / '.join(f)}")
        md.append("")
    md.append("## Gate")
    md.append("")
    if gate_ok:
        md.append(f"Passed: modern/legacy ≤ {GATE} on every case.")
    else:
        md.append("**Failed:**")
        md.append("")
        md += [f"- {g}" for g in gate_fail]
    md.append("")
    md.append("## Reproduce")
    md.append("")
    md.append("    make bench                 # full set: 100k, 1M and 10M rows, SQLite and PostgreSQL")
    md.append("    BENCH_SET=ci make bench    # the reduced set CI gates on (100k rows)")
    md.append("")
    md.append("Per-command hyperfine exports (JSON and Markdown): `reports/bench/<case>/`. "
              "Charts: `reports/bench.png` (ratios), `reports/bench-scale.png` (time and peak RSS "
              "against rows).")
    md.append("")
    with open(os.path.join(args.reports, "bench.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(md))

    chart(args.reports, rows_out)
    try:
        chart_scale(args.reports, scale, scale_profile, sizes)
    except Exception as exc:   # a chart never fails the run
        print(f"bench: scale chart not drawn: {exc}", file=sys.stderr)

    print("\n".join(md[md.index(f"## Legacy against modern (the gate: modern/legacy ≤ {GATE})"):
                       md.index("## Beside the tools a user would reach for")]))
    print("## Targets (issue 16)")
    print("\n".join(md[targets_from:targets_to]))
    print(f"bench: reports in {args.reports}/bench.md, bench.json, bench.png, bench-scale.png")
    if not gate_ok:
        print("bench: GATE FAILED:", file=sys.stderr)
        for g in gate_fail:
            print(f"  {g}", file=sys.stderr)
        if args.gate != "0":
            return 1
        print("bench: BENCH_GATE=0: not enforced", file=sys.stderr)
    else:
        print(f"bench: gate passed (modern/legacy ≤ {GATE} on {len(rows_out)} cases)")
    return 0


def chart(reports, rows_out):
    """Two panels: modern/legacy time per case (gate line at 1.05), and
    modern's speed-up over the tools (log scale)."""
    dat = os.path.join(reports, "bench", "chart.dat")
    os.makedirs(os.path.dirname(dat), exist_ok=True)
    with open(dat, "w", encoding="utf-8") as f:
        f.write("# label modern/legacy tool/modern pandas/modern\n")
        for e in rows_out:
            label = f"{e['backend'].replace('postgresql', 'pg')} {e['op']} {e['rows_label']}"
            vals = [e["modern_over_legacy"], e["tool_over_modern"], e["pandas_over_modern"]]
            f.write(f"\"{label}\" " + " ".join("NaN" if v is None else f"{v:.4f}" for v in vals) + "\n")
    gp = os.path.join(reports, "bench", "chart.gp")
    png = os.path.join(reports, "bench.png")
    n = max(len(rows_out), 1)
    width = max(900, 60 * n + 200)
    with open(gp, "w", encoding="utf-8") as f:
        f.write(f"""set terminal pngcairo size {width},900 font "sans,10"
set output "{png}"
set datafile missing "NaN"
set multiplot layout 2,1 title "mdm benchmarks (ratios of medians, one run)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set xtics rotate by -35 scale 0
set grid ytics
set key top left
set title "modern time / legacy time (lower is better; gate at {GATE})"
set yrange [0:*]
plot "{dat}" using 2:xtic(1) title "modern/legacy" lc rgb "#4477aa", \\
     {GATE} with lines dt 2 lc rgb "#cc3311" title "gate {GATE}", \\
     1 with lines lc rgb "#444444" notitle
set title "speed-up of modern over the tools (tool time / modern time; log scale)"
set logscale y
set yrange [*:*]
plot "{dat}" using 3:xtic(1) title "sqlite3 / psql" lc rgb "#228833", \\
     "" using 4 title "pandas" lc rgb "#ccbb44", \\
     1 with lines lc rgb "#444444" notitle
unset multiplot
""")
    r = subprocess.run(["gnuplot", gp], capture_output=True, text=True, check=False)
    if r.returncode != 0:
        print(f"bench: gnuplot failed: {r.stderr.strip()}", file=sys.stderr)


def chart_scale(reports, scale, profile, sizes):
    """reports/bench-scale.png: median time and peak RSS against rows,
    log-log, one row of panels per backend and op (register, full read),
    a line per command (modern, legacy, the tools). Drawn from whatever
    was measured: with one size the lines are single points; skipped with
    a printed reason when nothing was, or when gnuplot fails (never fatal)."""
    png = os.path.join(reports, "bench-scale.png")
    if not scale:
        print("bench: scale chart skipped: no register or full read was measured")
        if os.path.exists(png):
            os.remove(png)
        return
    if len(sizes) < 2:
        print(f"bench: scale chart drawn from one size only ({label_of(sizes[0])} rows): points, no lines")
    bdir = os.path.join(reports, "bench")
    os.makedirs(bdir, exist_ok=True)
    colors = {"modern": "#4477aa", "legacy": "#cc3311", "pandas": "#ccbb44",
              "sqlite3 .import": "#228833", "sqlite3 -csv": "#228833", "psql \\copy": "#228833",
              "psql createdb+\\copy": "#66ccee"}
    lo, hi = min(sizes), max(sizes)
    xtics = ", ".join(f'"{label_of(n)}" {n}' for n in sizes)
    panels = [(b, op) for b in ("sqlite", "postgresql") if b in scale for op in ("register", "read")]
    gp = [f'set terminal pngcairo size 1300,{380 * len(panels) + 80} font "sans,10"',
          f'set output "{png}"',
          'set datafile missing "NaN"',
          f'set multiplot layout {len(panels)},2 title "mdm: time and peak RSS against rows '
          f'({profile} profile, log-log; medians of one run)"',
          "set logscale xy", f"set xrange [{lo / 2}:{hi * 2}]", f"set xtics ({xtics})",
          "set grid", "set key top left font ',8'", 'set xlabel "rows"']
    for backend, op in panels:
        cmds = scale[backend].get(op, {})
        for metric, key, scale_by, ylabel in (("time", "median_s", 1.0, "seconds"),
                                              ("peak RSS", "peak_kib", 1 / 1024, "MiB")):
            name = f"scale-{backend}-{op}-{'time' if key == 'median_s' else 'rss'}"
            dat = os.path.join(bdir, name + ".dat")
            series = [c for c, pts in cmds.items() if any(p[key] for p in pts)]
            with open(dat, "w", encoding="utf-8") as f:
                f.write("# rows " + " | ".join(series) + "\n")
                for n in sizes:
                    vals = []
                    for c in series:
                        p = next((p for p in cmds[c] if p["rows"] == n), None)
                        vals.append(f"{p[key] * scale_by:.6g}" if p and p[key] else "NaN")
                    f.write(f"{n} " + " ".join(vals) + "\n")
            gp.append(f'set title "{backend} {OP_TEXT.get(op, op)}: {metric}"')
            gp.append(f'set ylabel "{ylabel}"')
            plots = []
            for i, c in enumerate(series):
                dash = " dt 2" if c == "psql createdb+\\copy" else ""
                title = c.replace("\\", "\\\\")   # gnuplot's double quotes take \ as escape
                plots.append(f'"{dat}" using 1:{i + 2} with linespoints pt 7 lw 2 '
                             f'lc rgb "{colors.get(c, "#777777")}"{dash} title "{title}"')
            if key == "peak_kib" and plots:
                plots.append('64 with lines dt 3 lc rgb "#555555" title "target 64 MiB"')
            if plots:
                gp.append("set yrange [*:*]")
                gp.append("plot " + ", \\\n     ".join(plots))
            else:
                # nothing measured in this panel: an empty frame says so
                gp.append("set yrange [1:10]")
                gp.append('set label 1 "not measured" at graph 0.5, 0.5 center')
                gp.append("plot NaN notitle")
                gp.append("unset label 1")
    gp.append("unset multiplot")
    path = os.path.join(bdir, "chart-scale.gp")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(gp) + "\n")
    r = subprocess.run(["gnuplot", path], capture_output=True, text=True, check=False)
    if r.returncode != 0:
        print(f"bench: scale chart not drawn (gnuplot failed): {r.stderr.strip()}", file=sys.stderr)
    else:
        print(f"bench: scale chart: {png}")


if __name__ == "__main__":
    sys.exit(main())
