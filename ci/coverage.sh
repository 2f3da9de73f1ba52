#!/usr/bin/env bash
# coverage.sh - `make coverage`: builds with --coverage -O0, runs the unit,
# integration and migration tests (ci/run-tests.sh, with a throwaway
# PostgreSQL), captures with lcov (branches on), writes the HTML report into
# reports/coverage/ and a per-folder summary (lines, functions, branches) to
# the terminal and reports/coverage.md, then applies the gate.
#
# The gate: 100 % of lines and of functions in every file of modern/ and
# adapter/ (COVERAGE_GATE_DIRS); branch coverage is reported, not gated. On
# failure it names each file with its uncovered lines and functions. Code may
# be left out only with lcov's markers (LCOV_EXCL_LINE, LCOV_EXCL_START ...
# LCOV_EXCL_STOP, LCOV_EXCL_BR_LINE) and a reason in the same comment, e.g.
#     abort();  /* LCOV_EXCL_LINE: unreachable, the enum is checked above */
# A marker without a reason (a ':' and some words after it) fails the gate;
# every exclusion is listed in reports/coverage.md.
#
# Environment: COVERAGE_BUILD (build/coverage), COVERAGE_GATE_DIRS
# ("modern adapter"), COVERAGE_GATE=0 (report only), REPORTS (reports).
# Files captured: every source file compiled into the tests, including those
# no test touched (an --initial capture is merged in, so a file that never
# ran counts as 0 %, never as missing). Left out: system headers, tests/.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

build=${COVERAGE_BUILD:-build/coverage}
reports=${REPORTS:-reports}
gate_dirs=${COVERAGE_GATE_DIRS:-modern adapter}
rc_opts=(--rc lcov_branch_coverage=1)

step() { printf '\ncoverage: %s\n' "$*"; }
# Debian 12's lcov 1.16 prints "Subroutine ... redefined at /usr/bin/geninfo
# line N" on every capture (a packaging wart, harmless): hide only those.
lcov() { command lcov "$@" 2> >(grep -v '^Subroutine .* redefined at /usr/bin/geninfo' >&2); }
die() { echo "coverage: $*" >&2; exit 1; }

for tool in lcov genhtml gcov; do
    command -v "$tool" >/dev/null || die "$tool not found (run 'make deps')"
done
if [ -x /usr/bin/python3 ]; then python=/usr/bin/python3; else python=python3; fi

step "building with --coverage into $build"
make --no-print-directory COVERAGE=1 BUILD="$build" tests programs ||
    die "build failed"

shopt -s nullglob
tests=("$build"/tests/*)
shopt -u nullglob
[ ${#tests[@]} -gt 0 ] || die "no test binaries under $build/tests"

# Counters from an earlier run would add up: start from zero.
find "$build/obj" -name '*.gcda' -delete

step "baseline (every compiled file at 0 %)"
lcov --quiet "${rc_opts[@]}" --capture --initial --directory "$build/obj" \
     --base-directory "$root" --output-file "$build/base.info" ||
    die "lcov --initial failed"

step "running ${#tests[@]} test binaries"
bash ci/run-tests.sh "${tests[@]}"
tests_rc=$?

step "capturing"
lcov --quiet "${rc_opts[@]}" --capture --directory "$build/obj" \
     --base-directory "$root" --output-file "$build/run.info" ||
    die "lcov --capture failed"
lcov --quiet "${rc_opts[@]}" --add-tracefile "$build/base.info" \
     --add-tracefile "$build/run.info" --output-file "$build/all.info" ||
    die "lcov --add-tracefile failed"
# Keep this repository's sources only: drop system headers and the tests.
lcov --quiet "${rc_opts[@]}" --extract "$build/all.info" "$root/*" \
     --output-file "$build/repo.info" || die "lcov --extract failed"
lcov --quiet "${rc_opts[@]}" --remove "$build/repo.info" "$root/tests/*" \
     --output-file "$build/coverage.info" || die "lcov --remove failed"

step "HTML report"
rm -rf "$reports/coverage"
mkdir -p "$reports/coverage"
genhtml --quiet "${rc_opts[@]}" --branch-coverage --function-coverage --legend \
        --title "mdm $(git rev-parse --short HEAD 2>/dev/null || echo '')" \
        --prefix "$root" --output-directory "$reports/coverage" \
        "$build/coverage.info" >/dev/null || die "genhtml failed"
cp "$build/coverage.info" "$reports/coverage/coverage.info"

step "summary"
COVERAGE_GATE=${COVERAGE_GATE:-1} "$python" - "$root" "$build/coverage.info" \
    "$reports/coverage.md" "$gate_dirs" <<'PY'
import os, re, sys

root, info_path, md_path, gate_dirs = sys.argv[1:5]
gate_dirs = gate_dirs.split()
gate_on = os.environ.get("COVERAGE_GATE", "1") != "0"

# ---- parse the lcov tracefile ------------------------------------------
files = {}
cur = None
with open(info_path, encoding="utf-8", errors="replace") as f:
    for line in f:
        line = line.rstrip("\n")
        if line.startswith("SF:"):
            path = os.path.relpath(line[3:], root)
            cur = files.setdefault(path, {"lines": {}, "fn_line": {}, "fn_hits": {},
                                          "br": {}})
        elif cur is None:
            continue
        elif line.startswith("DA:"):
            ln, cnt = line[3:].split(",")[:2]
            cur["lines"][int(ln)] = cur["lines"].get(int(ln), 0) + int(cnt)
        elif line.startswith("FN:"):
            ln, name = line[3:].split(",", 1)
            cur["fn_line"][name] = int(ln)
        elif line.startswith("FNDA:"):
            cnt, name = line[5:].split(",", 1)
            cur["fn_hits"][name] = cur["fn_hits"].get(name, 0) + int(cnt)
        elif line.startswith("BRDA:"):
            ln, blk, br, taken = line[5:].split(",")
            key = (int(ln), blk, br)
            t = 0 if taken == "-" else int(taken)
            cur["br"][key] = cur["br"].get(key, 0) + t
        elif line == "end_of_record":
            cur = None

def counts(d):
    lf = len(d["lines"]); lh = sum(1 for c in d["lines"].values() if c > 0)
    fnf = len(d["fn_line"]); fnh = sum(1 for n in d["fn_line"] if d["fn_hits"].get(n, 0) > 0)
    brf = len(d["br"]); brh = sum(1 for c in d["br"].values() if c > 0)
    return lf, lh, fnf, fnh, brf, brh

def pct(hit, found):
    return "–" if found == 0 else f"{100.0 * hit / found:.1f} %"

def folder(path):
    return path.split("/", 1)[0] + "/" if "/" in path else "./"

# ---- per folder --------------------------------------------------------
folders = {}
for path, d in files.items():
    agg = folders.setdefault(folder(path), [0] * 6)
    for i, v in enumerate(counts(d)):
        agg[i] += v
total = [sum(a[i] for a in folders.values()) for i in range(6)]

def row(name, c):
    lf, lh, fnf, fnh, brf, brh = c
    return (f"| {name} | {pct(lh, lf)} ({lh}/{lf}) | {pct(fnh, fnf)} ({fnh}/{fnf}) "
            f"| {pct(brh, brf)} ({brh}/{brf}) |")

table = ["| folder | lines | functions | branches |", "|---|---|---|---|"]
for name in sorted(folders):
    table.append(row(name, folders[name]))
table.append(row("**total**", total))

# ---- sources that were never compiled into a test ----------------------
ignored_dirs = {"tests", "build", "reports", "fixtures", "ci", ".ci", ".git"}
missing = []
for g in gate_dirs:
    d = os.path.join(root, g)
    if not os.path.isdir(d):
        continue
    for fn in sorted(os.listdir(d)):
        if fn.endswith(".c") and f"{g}/{fn}" not in files:
            missing.append(f"{g}/{fn}")

# ---- exclusions and their reasons --------------------------------------
marker = re.compile(r"LCOV_EXCL_(LINE|START|BR_LINE|BR_START)\b(.*)")
exclusions, unexplained = [], []
for g in gate_dirs:
    d = os.path.join(root, g)
    if not os.path.isdir(d):
        continue
    for fn in sorted(os.listdir(d)):
        if not fn.endswith((".c", ".h")):
            continue
        with open(os.path.join(d, fn), encoding="utf-8", errors="replace") as f:
            for no, text in enumerate(f, 1):
                m = marker.search(text)
                if not m:
                    continue
                reason = m.group(2).strip().lstrip(":-– ").rstrip("*/ ").strip()
                where = f"{g}/{fn}:{no}"
                exclusions.append((where, m.group(1), reason))
                if len(reason.split()) < 2:
                    unexplained.append(where)

# ---- the gate ----------------------------------------------------------
def ranges(nums):
    out, start, prev = [], None, None
    for n in sorted(nums):
        if start is None:
            start = prev = n
        elif n == prev + 1:
            prev = n
        else:
            out.append(f"{start}" if start == prev else f"{start}-{prev}")
            start = prev = n
    if start is not None:
        out.append(f"{start}" if start == prev else f"{start}-{prev}")
    return ",".join(out)

failures = []
gate_rows = []
for path in sorted(files):
    if folder(path).rstrip("/") not in gate_dirs:
        continue
    d = files[path]
    lf, lh, fnf, fnh, brf, brh = counts(d)
    gate_rows.append(row(path, (lf, lh, fnf, fnh, brf, brh)))
    lines = [ln for ln, c in d["lines"].items() if c == 0]
    fns = sorted((d["fn_line"][n], n) for n in d["fn_line"] if d["fn_hits"].get(n, 0) == 0)
    if lines or fns:
        failures.append((path, lf - lh, lines, fns))

summary = "\n".join(table)
print(summary)
md = ["# Coverage", "",
      "Per folder (lcov, `make coverage`; tests/ and system headers left out):", "",
      summary, "",
      f"Gate: 100 % of lines and functions in {', '.join(g + '/' for g in gate_dirs)}; "
      "branches reported only. HTML: `reports/coverage/index.html`.", ""]
if gate_rows:
    md += ["## Gated files", "", "| file | lines | functions | branches |",
           "|---|---|---|---|"] + gate_rows + [""]
if failures:
    md += ["## Uncovered in gated folders", ""]
    for path, n, lines, fns in failures:
        md.append(f"- `{path}`: {n} line(s) uncovered: {ranges(lines) or '–'}"
                  + (f"; function(s) never called: "
                     + ", ".join(f'{name} (line {ln})' for ln, name in fns) if fns else ""))
    md.append("")
if missing:
    md += ["## Gated sources not compiled into any test", ""]
    md += [f"- `{m}`" for m in missing] + [""]
md += ["## Exclusions (LCOV_EXCL markers)", ""]
if exclusions:
    md += [f"- `{w}` {kind}: {reason or '**no reason given**'}" for w, kind, reason in exclusions]
else:
    md.append("None.")
md.append("")
os.makedirs(os.path.dirname(md_path) or ".", exist_ok=True)
with open(md_path, "w", encoding="utf-8") as f:
    f.write("\n".join(md))

bad = False
if failures:
    bad = True
    print(f"\ncoverage: below 100 % of lines/functions in {', '.join(gate_dirs)}:", file=sys.stderr)
    for path, n, lines, fns in failures:
        r = ranges(lines) or "-"
        if len(r) > 160:
            r = r[:r.rfind(",", 0, 160)] + ",... (all in " + md_path + ")"
        print(f"  {path}: {n} uncovered line(s): {r}", file=sys.stderr)
        for ln, name in fns[:8]:
            print(f"  {path}:{ln}: function {name} never called", file=sys.stderr)
        if len(fns) > 8:
            print(f"  {path}: ... and {len(fns) - 8} more function(s) never called", file=sys.stderr)
if missing:
    bad = True
    print("\ncoverage: gated sources compiled into no test binary:", file=sys.stderr)
    for m in missing:
        print(f"  {m}", file=sys.stderr)
if unexplained:
    bad = True
    print("\ncoverage: LCOV_EXCL markers without a reason (write 'LCOV_EXCL_LINE: why'):",
          file=sys.stderr)
    for w in unexplained:
        print(f"  {w}", file=sys.stderr)
for g in gate_dirs:
    if not any(folder(p).rstrip("/") == g for p in files) and g + "/" not in [m[:len(g) + 1] for m in missing]:
        print(f"coverage: warning: no sources in {g}/", file=sys.stderr)
print(f"\ncoverage: report in {os.path.join(os.path.dirname(md_path), 'coverage', 'index.html')}, summary in {md_path}")
if bad and gate_on:
    print("coverage: GATE FAILED", file=sys.stderr)
    sys.exit(1)
print("coverage: gate " + ("passed" if not bad else "failed (COVERAGE_GATE=0: not enforced)"))
PY
gate_rc=$?

if [ $tests_rc -ne 0 ]; then
    echo "coverage: some tests failed (see above); the numbers cover the tests that ran" >&2
    exit 1
fi
exit $gate_rc
