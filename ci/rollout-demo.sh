#!/usr/bin/env bash
# rollout-demo.sh - a whole rollout from legacy to "legacy can be removed"
# on SQLite, as the README shows it: 8 datasets, four reads (or writes) of
# every dataset between decisions, `mdm rollout advance` after each round.
# Prints every command and its output; with --report FILE.png also writes
# the report and, when Debian's chromium is installed, a screenshot of it.
#
#   bash ci/rollout-demo.sh [--report docs/rollout-report.png]
#
# Takes about 30 s. Uses build/mdm (make it first) and a temporary home.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
mdm="$here/build/mdm"
png=""
[ "${1:-}" = "--report" ] && png="$2"
[ -x "$mdm" ] || { echo "rollout-demo: no build/mdm (run make)" >&2; exit 2; }
work=$(mktemp -d "${TMPDIR:-/tmp}/mdm-rollout.XXXXXX")
trap 'rm -rf "$work"' EXIT
cat >"$work/mdm.yaml" <<EOF
rollout:
  expected_differences: $here/fixtures/expected-differences
  policy:
    step: 50
    min_comparisons: 30
    max_mismatch_rate: 0.1
    max_candidate_error_rate: 0.1
    max_p99_latency_ratio: 3
EOF
cd "$work"   # relative paths in what mdm prints

run() {   # prints and runs one mdm command
    echo "\$ mdm $*"
    "$mdm" --home home --config mdm.yaml "$@"
}
quiet() { "$mdm" --home home --config mdm.yaml "$@" >/dev/null; }

for d in 0 1 2 3 4 5 6 7; do quiet register "d$d" "$here/fixtures/data/people.csv"; done
reads() { for _ in 1 2 3 4; do for d in 0 1 2 3 4 5 6 7; do quiet load "d$d"; done; done; }
writes() {
    for r in 1 2 3 4; do
        mode=append; [ $((r % 2)) -eq 0 ] && mode=replace
        for d in 0 1 2 3 4 5 6 7; do
            quiet register "d$d" "$here/fixtures/data/people.csv" --if-exists "$mode"
        done
    done
}

run rollout advance          # start: reads shadow
reads
run rollout status
run rollout advance          # reads modern 50%
reads
run rollout advance          # hold: half the datasets give half the evidence
reads
run rollout advance          # reads modern 100%
run rollout advance          # writes shadow
writes
run rollout status
run rollout advance          # writes modern 50%
writes
writes
run rollout advance          # writes modern 100%
run rollout advance          # done
run rollout history --format csv
if [ -n "$png" ]; then
    run rollout report -o report.html
    cp "$work/report.html" "${png%.png}.html"
    if command -v chromium >/dev/null; then
        chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
            --window-size=1100,1500 --screenshot="$png" "file://$work/report.html" 2>/dev/null
        echo "report: $png"
    else
        echo "report: ${png%.png}.html (no chromium for a picture: apt-get install chromium)"
    fi
fi
