#!/usr/bin/env bash
# sanitize.sh - the memory and thread checks of issue 8, each a step:
#
#   bash ci/sanitize.sh [asan] [tsan] [valgrind]     (default: all three)
#
#   asan      the whole test suite built with ASan + UBSan
#             (make SAN=address,undefined BUILD=build/san test)
#   tsan      the pool and concurrency binaries built with TSan: the pool
#             unit tests, the fault tests, the CSV reader's (its passes and
#             chunks run on two threads) and the chunked register's, and
#             the load test (small), on SQLite and a throwaway PostgreSQL
#   valgrind  memcheck (--leak-check=full) on build/mdm's main paths:
#             register, load, query, info, list, remove, for each --impl
#
# Build folders: build/san, build/tsan, build/vg (SAN_BUILD_ROOT=DIR moves
# them; SAN_MAKE_ARGS adds make arguments, shell-quoted, for development).
# Each step prints its wall time; the summary goes to reports/sanitize.md.
# Exit 0 only when every step asked for passed.
set -uo pipefail
cd "$(dirname "$0")/.."

root=${SAN_BUILD_ROOT:-build}
extra_make=()
eval "extra_make=(${SAN_MAKE_ARGS:-})"
steps=("$@")
[ ${#steps[@]} -eq 0 ] && steps=(asan tsan valgrind)
mkdir -p reports
summary=reports/sanitize.md
{
    echo "# Sanitizers and valgrind"
    echo
    echo "| step | result | seconds | detail |"
    echo "|---|---|---:|---|"
} >"$summary"

failed=()
pg_dir=""
cleanup() { [ -n "$pg_dir" ] && bash ci/pg.sh stop "$pg_dir"; }
trap cleanup EXIT INT TERM

record() {  # step result seconds detail
    echo "| $1 | $2 | $3 | $4 |" >>"$summary"
    echo "=== sanitize $1: $2 after $3 s${4:+ ($4)}"
    [ "$2" = pass ] || [ "$2" = skipped ] || failed+=("$1")
}

# A PostgreSQL for the steps that run binaries outside ci/run-tests.sh.
need_pg() {
    [ -n "${MDM_PG_DSN:-}" ] && return 0
    local env_lines
    env_lines=$(bash ci/pg.sh start) || { echo "sanitize: cannot start PostgreSQL" >&2; return 1; }
    eval "$env_lines"
    pg_dir=$MDM_PG_DIR
    export MDM_PG_DSN MDM_PG_DIR
}

# ---- ASan + UBSan: the whole suite ------------------------------------------
step_asan() {
    local t0=$SECONDS log=$root/san/test.log
    mkdir -p "$root/san"
    # detect_leaks: LeakSanitizer at exit of every test binary.
    # UBSan stops at the first finding (-fno-sanitize-recover=all).
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:strict_string_checks=1:detect_stack_use_after_return=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        make --no-print-directory "${extra_make[@]}" SAN=address,undefined BUILD="$root/san" test >"$log" 2>&1
    local rc=$?
    local line
    line=$(grep -E '^tests: [0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
    if [ $rc -eq 0 ]; then
        record asan+ubsan pass $((SECONDS - t0)) "${line:-make test passed}"
    else
        grep -E 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|SUMMARY:|FAILED|crashed|^tests:' "$log" | head -n 40 >&2
        record asan+ubsan FAIL $((SECONDS - t0)) "${line:-make test failed}; log $log"
    fi
}

# ---- TSan: pool, concurrency and the CSV reader's threads ----------------------
step_tsan() {
    local t0=$SECONDS b=$root/tsan log=$root/tsan/tsan.log
    local bins=()
    mkdir -p "$b"
    for t in tests/unit/test_pool.c tests/integration/test_faults.c tests/unit/test_csv.c \
        tests/integration/test_dataset_register.c; do
        [ -f "$t" ] && bins+=("$b/tests/$(basename "${t%.c}")")
    done
    if ! make --no-print-directory "${extra_make[@]}" SAN=thread BUILD="$b" "${bins[@]}" "$b/bench/bench_load" >"$log" 2>&1; then
        tail -n 30 "$log" >&2
        record tsan FAIL $((SECONDS - t0)) "build failed; log $log"
        return
    fi
    need_pg || { record tsan FAIL $((SECONDS - t0)) "no PostgreSQL"; return; }
    # halt_on_error: the first race fails the binary; second_deadlock_stack
    # gives both stacks of a lock-order inversion.
    export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:report_signal_unsafe=0"
    local rc=0
    bash ci/run-tests.sh "${bins[@]}" >>"$log" 2>&1 || rc=1
    local line
    line=$(grep -E '^tests: [0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
    "$b/bench/bench_load" --threads 8 --ops 300 --report-dir "$b" >>"$log" 2>&1 || rc=1
    unset TSAN_OPTIONS
    if [ $rc -eq 0 ] && ! grep -q 'WARNING: ThreadSanitizer' "$log"; then
        record tsan pass $((SECONDS - t0)) "${line:-tests passed}; bench_load 8x300 on both backends"
    else
        grep -E -A12 'WARNING: ThreadSanitizer' "$log" | head -n 60 >&2
        grep -E '^load |FAILED|^tests:' "$log" >&2
        record tsan FAIL $((SECONDS - t0)) "${line:-}; log $log"
    fi
}

# ---- valgrind memcheck on the program -------------------------------------------
step_valgrind() {
    local t0=$SECONDS b=$root/vg log=$root/vg/valgrind.log
    mkdir -p "$b"
    if [ ! -f app/main_mdm.c ]; then
        record valgrind skipped 0 "app/main_mdm.c does not exist yet"
        return
    fi
    command -v valgrind >/dev/null || { record valgrind FAIL 0 "valgrind not installed (bash ci/deps.sh)"; return; }
    if ! make --no-print-directory "${extra_make[@]}" BUILD="$b" "$b/mdm" >"$log" 2>&1; then
        tail -n 30 "$log" >&2
        record valgrind FAIL $((SECONDS - t0)) "build failed; log $log"
        return
    fi
    need_pg || true
    local home csv vg=(valgrind --quiet --leak-check=full --show-leak-kinds=definite,indirect,possible
                      --errors-for-leak-kinds=definite,indirect,possible --error-exitcode=99
                      --track-origins=yes --log-file="$b/vg.%p.log")
    home=$(mktemp -d "${TMPDIR:-/tmp}/mdm-vg.XXXXXX")
    csv=$home/train.csv
    printf 'id,name,score,ok,at\n1,alpha,1.5,True,2020-01-02 03:04:05\n2,"b, ""quoted""",,False,2021-12-31\n3,gamma,-2.25,True,\n' >"$csv"
    rm -f "$b"/vg.*.log
    local runs=0 bad=0 cmd
    run_vg() {
        runs=$((runs + 1))
        "${vg[@]}" "$b/mdm" --home "$home" "$@" >>"$log" 2>&1
        local rc=$?
        if [ $rc -eq 99 ] || [ $rc -ge 128 ]; then
            bad=$((bad + 1))
            echo "valgrind: mdm $* -> exit $rc" >&2
        fi
    }
    for impl in legacy modern shadow; do
        run_vg --impl "$impl" register "ds_$impl" "$csv"
        run_vg --impl "$impl" register "ds_$impl" "$csv" --if-exists replace
        run_vg --impl "$impl" register "ds_$impl" "$csv" --if-exists append
        run_vg --impl "$impl" load "ds_$impl"
        run_vg --impl "$impl" load "ds_$impl" --columns id,name --limit 2 --format csv
        run_vg --impl "$impl" load "ds_$impl" --format json
        run_vg --impl "$impl" query "ds_$impl" "SELECT name FROM train WHERE id = :id" --param id=2
        run_vg --impl "$impl" info "ds_$impl"
        run_vg --impl "$impl" list
        # Error paths leak as easily as the happy ones.
        run_vg --impl "$impl" load "no_such_dataset"
        run_vg --impl "$impl" register "ds_$impl" "$csv"
        run_vg --impl "$impl" query "ds_$impl" "SELECT * FROM nowhere"
        run_vg --impl "$impl" remove "ds_$impl"
    done
    run_vg flags
    rm -rf "$home"
    # Any report in a log (leak or invalid access) counts, exit code or not.
    local reports
    reports=$(cat "$b"/vg.*.log 2>/dev/null | grep -cE '^==[0-9]+== (Invalid|Conditional|Use of|Syscall param|Mismatched|Source and destination|.*definitely lost|.*indirectly lost|.*possibly lost)' || true)
    if [ $bad -eq 0 ] && [ "$reports" -eq 0 ]; then
        record valgrind pass $((SECONDS - t0)) "$runs runs of build/mdm, no error, no leak"
    else
        cat "$b"/vg.*.log 2>/dev/null | head -n 80 >&2
        record valgrind FAIL $((SECONDS - t0)) "$bad of $runs runs reported errors or leaks; logs $b/vg.*.log"
    fi
}

for s in "${steps[@]}"; do
    case $s in
        asan) step_asan ;;
        tsan) step_tsan ;;
        valgrind) step_valgrind ;;
        *) echo "usage: sanitize.sh [asan] [tsan] [valgrind]" >&2; exit 2 ;;
    esac
done

echo "sanitize: summary in $summary"
if [ ${#failed[@]} -gt 0 ]; then
    echo "sanitize: FAILED: ${failed[*]}" >&2
    exit 1
fi
echo "sanitize: all steps passed"
