#!/usr/bin/env bash
# stress.sh - hunts tests whose result depends on timing: runs every test
# binary given, ROUNDS times, beside busy loops that keep every core busy.
#
#   bash ci/stress.sh BIN...            (make test-stress ROUNDS=N runs this)
#
# Environment:
#   ROUNDS=20       rounds; a round runs every binary once
#   HOGS=N          busy loops beside the tests (default: the number of cores)
#   JOBS=1          lanes run at once; each lane has its own PostgreSQL and
#                   temporary folder and takes every JOBS-th round
#   STRESS_TIMEOUT=900  seconds one binary may take before it counts as hung
#   STRESS_DIR=reports/stress   logs; the summary is STRESS_DIR/summary.md
#
# A binary run fails when it exits non-zero, prints a cmocka failure, or
# hangs past STRESS_TIMEOUT. The log of every failed run is kept
# (STRESS_DIR/round-R.BINARY.log); the summary counts failures per test.
# Exit 0 only when no run failed. Not a CI step: 20 rounds take about an
# hour on two cores. The last line reads "test-stress: N passed, N failed"
# (binary runs).
set -uo pipefail
cd "$(dirname "$0")/.."

[ $# -gt 0 ] || { echo "usage: stress.sh BIN..." >&2; exit 2; }
rounds=${ROUNDS:-20}
hogs=${HOGS:-$(nproc)}
jobs=${JOBS:-1}
limit=${STRESS_TIMEOUT:-900}
dir=${STRESS_DIR:-reports/stress}
for v in "$rounds" "$hogs" "$jobs" "$limit"; do
    [[ $v =~ ^[0-9]+$ ]] || { echo "stress: ROUNDS, HOGS, JOBS and STRESS_TIMEOUT take whole numbers, got '$v'" >&2; exit 2; }
done
[ "$jobs" -ge 1 ] || jobs=1
bins=("$@")
for b in "${bins[@]}"; do
    [ -x "$b" ] || { echo "stress: '$b' is not an executable test binary (make tests)" >&2; exit 2; }
done

rm -rf "$dir"
mkdir -p "$dir"
hog_pids=()
lane_pids=()
cleanup() {
    [ ${#hog_pids[@]} -gt 0 ] && kill "${hog_pids[@]}" 2>/dev/null
    [ ${#lane_pids[@]} -gt 0 ] && kill "${lane_pids[@]}" 2>/dev/null
    wait 2>/dev/null
}
trap cleanup EXIT
# Stopped early (Ctrl-C, kill): the lanes go, the summary of what ran stays.
stopped=0
trap 'stopped=1; [ ${#lane_pids[@]} -gt 0 ] && kill "${lane_pids[@]}" 2>/dev/null' INT TERM

# lane N: runs rounds N+1, N+1+JOBS, ... with its own server and TMPDIR,
# appending "round binary rc seconds failed-tests" lines to its results file.
lane() {
    # (lane_pg and lane_tmp are not local: the EXIT trap of the lane's
    # subshell runs after the function has returned)
    local n=$1
    local results=$dir/lane-$n.results
    lane_pg=""
    lane_tmp=$(mktemp -d "${TMPDIR:-/tmp}/mdm-stress.XXXXXX")
    chmod 755 "$lane_tmp"   # like /tmp: tests that drop to nobody must reach their files
    trap '[ -n "$lane_pg" ] && bash ci/pg.sh stop "$lane_pg"; rm -rf "$lane_tmp"' EXIT
    if [ -z "${MDM_PG_DSN:-}" ] || [ "$jobs" -gt 1 ]; then
        local env_lines
        env_lines=$(bash ci/pg.sh start) || { echo "stress: lane $n: no PostgreSQL" >&2; exit 1; }
        eval "$env_lines"
        lane_pg=$MDM_PG_DIR
        export MDM_PG_DSN MDM_PG_DIR
    fi
    : >"$results"
    local r b name log rc fails t0
    for ((r = n + 1; r <= rounds; r += jobs)); do
        for b in "${bins[@]}"; do
            name=$(basename "$b")
            log=$dir/round-$r.$name.log
            t0=$SECONDS
            TMPDIR=$lane_tmp CMOCKA_MESSAGE_OUTPUT=stdout timeout -k 10 "$limit" "$b" >"$log" 2>&1
            rc=$?
            fails=$(grep -E '^\[  (FAILED|ERROR)   ?\] [A-Za-z_]' "$log" | sed -E 's/^\[[^]]*\] //' | sort -u | tr '\n' ' ')
            if [ $rc -eq 0 ] && [ -z "$fails" ]; then
                rm -f "$log"
            else
                # one word each, so the summary can count them as tests
                [ $rc -eq 124 ] && fails="${fails}hung-after-${limit}s "
                [ -z "$fails" ] && fails="exit-$rc-outside-a-test "
                echo "round $r: $name FAILED: $fails(log $log)" >&2
            fi
            echo "$r $name $rc $((SECONDS - t0)) $fails" >>"$results"
        done
        echo "stress: round $r of $rounds done (lane $n)"
    done
}

for ((i = 0; i < hogs; i++)); do
    sh -c 'while :; do :; done' &
    hog_pids+=($!)
done
echo "stress: $rounds rounds of ${#bins[@]} binaries, $hogs busy loops, $jobs lane(s); logs in $dir"
t0=$SECONDS
for ((i = 0; i < jobs; i++)); do
    lane "$i" &
    lane_pids+=($!)
done
lane_rc=0
for p in "${lane_pids[@]}"; do wait "$p" || lane_rc=1; done
lane_pids=()
kill "${hog_pids[@]}" 2>/dev/null
hog_pids=()

cat "$dir"/lane-*.results >"$dir/results" 2>/dev/null
runs=$(wc -l <"$dir/results")
bad=$(awk '$3 != 0 || NF > 4' "$dir/results" | wc -l)
{
    echo "# test-stress"
    echo
    echo "$rounds rounds, ${#bins[@]} binaries, $hogs busy loops, $jobs lane(s), $((SECONDS - t0)) s."
    echo "$runs binary runs, $bad failed."
    [ $stopped -eq 1 ] && echo "Stopped early: $runs of $((rounds * ${#bins[@]})) runs were made."
    echo
    if [ "$bad" -gt 0 ]; then
        echo "| binary | failed runs | failing tests (count) |"
        echo "|---|---:|---|"
        awk '$3 != 0 || NF > 4 {
                 runs[$2]++
                 for (i = 5; i <= NF; i++) tests[$2 " " $i]++
             }
             END {
                 for (b in runs) {
                     line = ""
                     for (k in tests) { split(k, p, " "); if (p[1] == b) line = line p[2] " (" tests[k] ") " }
                     printf "| %s | %d | %s |\n", b, runs[b], line
                 }
             }' "$dir/results" | sort
    fi
    echo
    echo "Slowest binaries (median seconds a run, over the rounds):"
    echo
    echo "| binary | runs | median s | max s |"
    echo "|---|---:|---:|---:|"
    sort -k2,2 -k4,4n "$dir/results" | awk '
        { n[$2]++; t[$2, n[$2]] = $4 }
        END { for (b in n) printf "| %s | %d | %d | %d |\n", b, n[b], t[b, int((n[b] + 1) / 2)], t[b, n[b]] }' |
        sort -t'|' -k4,4nr | head -n 8
} >"$dir/summary.md"
cat "$dir/summary.md"
[ $lane_rc -eq 0 ] || [ $stopped -eq 1 ] || echo "stress: a lane could not run (see above)" >&2
echo "test-stress: $((runs - bad)) passed, $bad failed"
[ "$bad" -eq 0 ] && [ $lane_rc -eq 0 ] && [ "$runs" -eq $((rounds * ${#bins[@]})) ]
