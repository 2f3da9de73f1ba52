# SPDX-License-Identifier: MIT
"""report.py - turns one `make bench` run into reports/bench.md,
reports/bench.json and reports/bench.png, and applies the gate.

Input (written by ci/bench.sh under --raw):
  <case>/<command>.json   hyperfine --export-json of one command; <case> is
                          <backend>-<rows>[.<profile>]-<op> (sqlite-100k-register,
                          sqlite-100k.features-register: mdm-gencsv's profiles)
  memory.tsv              case, command, peak RSS in KiB (/usr/bin/time %M)
  bench_pool.log, bench_csv.log, bench_compare.log   microbenchmark output
  failures.txt            case, command, what failed
Every figure in the report is a median of the same run; ratios compare
commands timed in that run only.

The gate: modern/legacy <= 1.05 on every case, and every legacy and modern
command must have run. Legacy and modern run interleaved in rounds; the
ratio is taken per round (median times) and the gate uses the median of the
round ratios, so a round disturbed by other work on the machine cannot
decide alone, whichever side it hit. Exit 1 when it fails (--gate 1).
Targets (the issue's) are reported as met or not met; they do not gate.
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
        label = {"100000": "100k", "1000000": "1M"}.get(n, n)
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

    targets = []

    def target(name, case, measured, goal, text, note="", at_most=False):
        if measured is None:
            met = None
        else:
            met = measured <= goal if at_most else measured >= goal
        targets.append({"target": name, "case": case, "measured": measured, "goal": goal,
                        "goal_is": "at most" if at_most else "at least",
                        "text": text, "met": met, "note": note})

    sizes = sorted({e["rows"] for e in rows_out})
    big = max(sizes) if sizes else 0
    for n in sizes:
        label = {100000: "100k", 1000000: "1M"}.get(n, str(n))
        c = f"sqlite-{label}-register"
        m = med(c, "modern")
        t = med(c, "sqlite3 .import")
        p = med(c, "pandas")
        target("SQLite register at least as fast as sqlite3 .import", c,
               t / m if t and m else None, 1.0, ".import time / modern time ≥ 1")
        target("SQLite register at least 5 × pandas", c,
               p / m if p and m else None, 5.0, "pandas time / modern time ≥ 5")
        c = f"postgresql-{label}-register"
        m = med(c, "modern")
        t = med(c, "psql \\copy")
        p = med(c, "pandas")
        target("PostgreSQL register at least 0.9 × psql \\copy", c,
               t / m if t and m else None, 0.9, "\\copy time / modern time ≥ 0.9")
        target("PostgreSQL register at least 10 × pandas", c,
               p / m if p and m else None, 10.0, "pandas time / modern time ≥ 10")
    note = "" if big == 1000000 else "stated for 1M rows; this run stopped at " + (
        {100000: "100k"}.get(big, str(big)))
    label = {100000: "100k", 1000000: "1M"}.get(big, str(big))
    c = f"sqlite-{label}-read"
    m, t = med(c, "modern"), med(c, "sqlite3 -csv")
    target("Full read at least as fast as sqlite3 -csv", c, t / m if t and m else None, 1.0,
           "sqlite3 time / modern time ≥ 1", note)
    c = f"postgresql-{label}-read"
    m, t = med(c, "modern"), med(c, "psql \\copy")
    target("Full read at least as fast as psql \\copy ... TO", c, t / m if t and m else None,
           1.0, "\\copy time / modern time ≥ 1", note)
    # The features profile (full-precision doubles): the targets
    # for data shaped like real data, at every size of the run.
    if "features" in args.profiles.split():
        for n in sizes:
            label = {100000: "100k", 1000000: "1M"}.get(n, str(n)) + ".features"
            c = f"sqlite-{label}-register"
            m, t = med(c, "modern"), med(c, "sqlite3 .import")
            target("SQLite register at least 1.3 × sqlite3 .import (features)", c,
                   t / m if t and m else None, 1.3, ".import time / modern time ≥ 1.3")
            c = f"postgresql-{label}-register"
            m, t = med(c, "modern"), med(c, "psql createdb+\\copy")
            target("PostgreSQL register at least 1.3 × psql doing the same job (features)", c,
                   t / m if t and m else None, 1.3, "createdb+\\copy time / modern time ≥ 1.3")
            c = f"sqlite-{label}-read"
            m, t = med(c, "modern"), med(c, "sqlite3 -csv")
            target("Full read at least 1.2 × sqlite3 -csv (features)", c,
                   t / m if t and m else None, 1.2, "sqlite3 time / modern time ≥ 1.2")
            c = f"postgresql-{label}-read"
            m, t = med(c, "modern"), med(c, "psql \\copy")
            target("Full read at least as fast as psql \\copy ... TO (features)", c,
                   t / m if t and m else None, 1.0, "\\copy time / modern time ≥ 1")
    mem_rows = []
    for case in sorted(memory, key=order):
        backend, rows, op = split_case(case)
        n = rows_value(rows)
        size = csv_bytes.get(rows)
        entry = {"case": case, "csv_bytes": size, "peak_kib": memory[case]}
        mem_rows.append(entry)
        if profile_of(rows) == "features":
            kib = memory[case].get("modern")
            target(f"{'SQLite' if backend == 'sqlite' else 'PostgreSQL'} register peak memory "
                   "at most 64 MiB (modern, features)", case,
                   kib / 1024 if kib else None, 64.0, "peak RSS ≤ 64 MiB", at_most=True)
        elif n == big and size:
            kib = memory[case].get("modern")
            target(f"{'SQLite' if backend == 'sqlite' else 'PostgreSQL'} register peak memory "
                   "at most 2 × the CSV (modern)", case,
                   kib * 1024 / size if kib else None, 2.0, "peak RSS / CSV size ≤ 2", note,
                   at_most=True)

    # ---- outputs ---------------------------------------------------------
    os.makedirs(args.reports, exist_ok=True)
    gate_ok = not gate_fail
    rechecked = read_rechecked(args.raw)
    result = {
        "set": args.set, "started": args.started, "machine": mach,
        "settings": {"runs_at_least": int(args.runs), "warmup": int(args.warmup),
                     "legacy_modern_rounds": int(args.rounds),
                     "limit": int(args.limit), "seed": args.seed, "query": args.query,
                     "csv_bytes": csv_bytes, "statistic": "median of hyperfine runs"},
        "cases": rows_out, "targets": targets, "memory": mem_rows, "micro": micro,
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
    md.append(f"Set `{args.set}` ({', '.join({100000: '100k', 1000000: '1M'}.get(n, str(n)) for n in sizes)} rows), "
              f"started {args.started}, commit {mach.get('git', '?')}. "
              f"Machine: {mach.get('cores')} cores ({mach.get('cpu', '?')}), "
              f"load average {args.load_before} before and {args.load_after} after "
              "(other work on the machine makes every figure noisy; ratios compare commands of this run only).")
    md.append("")
    md.append(f"Each figure is the median of at least {args.runs} hyperfine runs after {args.warmup} "
              "warm-up run(s), whole processes (start-up included); legacy and modern run "
              f"interleaved in {args.rounds} rounds (order alternating). "
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
    md.append("## Targets")
    md.append("")
    md.append("| target | case | measured | goal | met |")
    md.append("|---|---|---|---|---|")
    for t in targets:
        met = "–" if t["met"] is None else ("met" if t["met"] else "**not met**")
        meas = "–" if t["measured"] is None else f"{t['measured']:.2f}"
        note = f" ({t['note']})" if t["note"] else ""
        md.append(f"| {t['target']}{note} | {t['case']} | {meas} | {t['text']} | {met} |")
    md.append("")
    if mem_rows:
        md.append("## Peak memory of register (max RSS of the client process, /usr/bin/time)")
        md.append("")
        md.append("| case | CSV | legacy | modern | sqlite3 / psql | pandas | modern/CSV | pandas/CSV |")
        md.append("|---|---|---|---|---|---|---|---|")
        for e in mem_rows:
            pk, size = e["peak_kib"], e["csv_bytes"]
            backend = split_case(e["case"])[0]
            tool = pk.get(TOOL.get(backend, ("",))[0])
            mr = pk.get("modern") * 1024 / size if size and pk.get("modern") else None
            pr = pk.get("pandas") * 1024 / size if size and pk.get("pandas") else None
            md.append(f"| {e['case']} | {size / 1048576:.0f} MiB | {fmt_mib(pk.get('legacy'))} | "
                      f"{fmt_mib(pk.get('modern'))} | {fmt_mib(tool)} | {fmt_mib(pk.get('pandas'))} | "
                      f"{fmt_x(mr)} | {fmt_x(pr)} |" if size else f"| {e['case']} | – | | | | | | |")
        md.append("")
        md.append("On PostgreSQL the server does part of the work; only the client's memory is shown.")
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
    md.append("    make bench                 # full set: 100k and 1M rows, SQLite and PostgreSQL")
    md.append("    BENCH_SET=ci make bench    # the reduced set CI gates on (100k rows)")
    md.append("")
    md.append("Per-command hyperfine exports (JSON and Markdown): `reports/bench/<case>/`. "
              "Chart: `reports/bench.png`.")
    md.append("")
    with open(os.path.join(args.reports, "bench.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(md))

    chart(args.reports, rows_out)

    print("\n".join(md[md.index(f"## Legacy against modern (the gate: modern/legacy ≤ {GATE})"):
                       md.index("## Beside the tools a user would reach for")]))
    print("\n".join(md[md.index("## Targets"):md.index("## Targets") + 4 + len(targets)]))
    print(f"bench: reports in {args.reports}/bench.md, bench.json, bench.png")
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


if __name__ == "__main__":
    sys.exit(main())
