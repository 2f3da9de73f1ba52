#!/usr/bin/env bash
# fuzz.sh - builds the libFuzzer targets in fuzz/ with clang and runs each
# for a fixed time: `make fuzz FUZZ_SECONDS=N` (default 60; CI uses 20).
#
#   bash ci/fuzz.sh [TARGET...]      build and run (all targets by default)
#   FUZZ_SECONDS=N                   seconds per target
#   FUZZ_BUILD=DIR                   build folder (default build/fuzz)
#   FUZZ_BUILD_ONLY=1                build, do not run
#
# Each target links the core/ (and harness/) sources it needs directly,
# compiled by clang with -fsanitize=fuzzer,address,undefined; nothing goes
# through the gcc-built library. A run starts from the seed corpus in
# fixtures/fuzz/<target>/, the kept crash inputs in
# fixtures/fuzz/regressions/<target>/ (a kept input that fails again stops
# the target at once) and the project's fixtures of that kind; new corpus
# entries stay in the build folder. A crash, leak, sanitizer report or broken invariant stops the
# target, keeps the input under reports/fuzz/ and fails the script (after the
# other targets have run). Summary: reports/fuzz.md.
set -uo pipefail
cd "$(dirname "$0")/.."

seconds=${FUZZ_SECONDS:-60}
build=${FUZZ_BUILD:-build/fuzz}
CC_FUZZ=${CC_FUZZ:-clang}
report_dir=reports/fuzz

command -v "$CC_FUZZ" >/dev/null 2>&1 || {
    echo "fuzz: $CC_FUZZ not found (apt-get install clang libclang-rt-14-dev, or bash ci/deps.sh)" >&2
    exit 1
}
case $seconds in ''|*[!0-9]*) echo "fuzz: FUZZ_SECONDS must be a whole number, not '$seconds'" >&2; exit 2 ;; esac

# target -> the project sources it links beyond core/ (harness parsers are
# added once their files exist; a target whose sources are missing is
# reported as not built and does not fail the run).
all_targets=(csv conf ident scenario sqllogictest)
declare -A extra_srcs=(
    [scenario]="harness/cmp_scenario.c harness/cmp_script.c harness/cmp_slt.c harness/cmp_md5.c modern/mdm_types.c"
    [sqllogictest]="harness/cmp_slt.c harness/cmp_script.c harness/cmp_scenario.c harness/cmp_md5.c modern/mdm_types.c"
)
declare -A extra_hdrs=(
    [scenario]="harness/cmp_script.h"
    [sqllogictest]="harness/cmp_slt.h"
)
# The project's own fixtures seed the fuzzers too (read only: new corpus
# entries go to the build folder).
declare -A fixture_seeds=([csv]="fixtures/data" [scenario]="fixtures/scenarios" [sqllogictest]="fixtures/sql")
# Inputs larger than this add little for these parsers and slow them down.
declare -A max_len=([csv]=16384 [conf]=8192 [ident]=512 [scenario]=8192 [sqllogictest]=8192)

targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=("${all_targets[@]}")

# The Makefile's LIB_PKGS and -lbz2 (no pkg-config file): core reads
# compressed input, so every target that links core needs them.
pkgs=$(sed -n 's/^LIB_PKGS *:= *//p' Makefile)
pkg_cflags=$(pkg-config --cflags $pkgs 2>/dev/null)
pkg_libs="$(pkg-config --libs $pkgs 2>/dev/null) -lbz2"
san="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
# -Werror for fuzz/ only: the project's own sources are held to it by the
# gcc build, and a clang-only warning there must not stop the fuzzing.
cflags="-std=c11 -D_DEFAULT_SOURCE -g -O1 -Wall -Wextra -Icore -Imodern -Iharness -Ifuzz $pkg_cflags"

mkdir -p "$build/obj" "$report_dir"
start_build=$(date +%s)

# Compiles a project source once (instrumented for coverage feedback:
# fuzzer-no-link) and prints its object; rebuilt when it or a header in
# its folder is newer.
obj_of() {
    local src=$1 obj
    obj="$build/obj/${src//\//_}"
    obj="${obj%.c}.o"
    if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ] ||
       [ -n "$(find "$(dirname "$src")" core -name '*.h' -newer "$obj" 2>/dev/null | head -n 1)" ]; then
        "$CC_FUZZ" $cflags $san -fsanitize=fuzzer-no-link -c "$src" -o "$obj" >&2 || {
            echo "fuzz: cannot compile $src" >&2; return 1; }
    fi
    echo "$obj"
}

core_objs=()
for src in core/*.c; do
    obj=$(obj_of "$src") || exit 1
    core_objs+=("$obj")
done

built=()
declare -A note
for t in "${targets[@]}"; do
    src="fuzz/fuzz_$t.c"
    if [ ! -f "$src" ]; then
        note[$t]="no $src"
        continue
    fi
    missing=""
    for f in ${extra_srcs[$t]:-} ${extra_hdrs[$t]:-}; do
        [ -f "$f" ] || missing="$missing $f"
    done
    if [ -n "$missing" ]; then
        note[$t]="not built: waiting for$missing"
        echo "fuzz: $t: not built, missing$missing" >&2
        continue
    fi
    extra_objs=()
    for x in ${extra_srcs[$t]:-}; do
        obj=$(obj_of "$x") || exit 1
        extra_objs+=("$obj")
    done
    if ! "$CC_FUZZ" $cflags -Werror $san -fsanitize=fuzzer "$src" "${extra_objs[@]}" "${core_objs[@]}" \
            $pkg_libs -lpthread -lm -o "$build/fuzz_$t"; then
        echo "fuzz: cannot build $t" >&2
        exit 1
    fi
    built+=("$t")
done
echo "fuzz: built ${built[*]:-nothing} in $(( $(date +%s) - start_build )) s"
[ "${FUZZ_BUILD_ONLY:-0}" = 1 ] && exit 0

status=0
summary=reports/fuzz.md
{
    echo "# Fuzzing"
    echo
    echo "libFuzzer + ASan + UBSan, $seconds s per target, $(date -u +%Y-%m-%dT%H:%M:%SZ)."
    echo
    echo "| target | seeds | executions | exec/s | corpus after | result |"
    echo "|---|---:|---:|---:|---:|---|"
} >"$summary"

for t in "${all_targets[@]}"; do
    case " ${built[*]:-} " in
        *" $t "*) ;;
        *) [ -n "${note[$t]:-}" ] && echo "| $t | | | | | ${note[$t]} |" >>"$summary"; continue ;;
    esac
    seeds="fixtures/fuzz/$t"
    regress="fixtures/fuzz/regressions/$t"
    corpus="$build/corpus/$t"
    artifacts="$build/artifacts/$t"
    mkdir -p "$corpus" "$artifacts" "$seeds"
    rm -f "$artifacts"/*
    nseeds=$(find "$seeds" -type f | wc -l)
    dirs=("$corpus" "$seeds")
    [ -d "$regress" ] && dirs+=("$regress")
    for d in ${fixture_seeds[$t]:-}; do
        [ -d "$d" ] && dirs+=("$d") && nseeds=$((nseeds + $(find "$d" -type f | wc -l)))
    done
    dict=()
    [ -f "fixtures/fuzz/dicts/$t.dict" ] && dict=(-dict="fixtures/fuzz/dicts/$t.dict")
    log="$build/$t.log"
    echo "== fuzz $t: ${seconds}s from $nseeds seeds"
    # ASan's leak check runs at exit and on every crash; UBSan stops at the
    # first finding. -timeout: a single input that takes 10 s is a hang.
    ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        "$build/fuzz_$t" "${dict[@]}" -max_total_time="$seconds" -timeout=10 \
        -rss_limit_mb=2048 -max_len="${max_len[$t]}" -print_final_stats=1 \
        -artifact_prefix="$artifacts/" "${dirs[@]}" >"$log" 2>&1
    rc=$?
    execs=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -Eo '[0-9]+$' | tail -n 1)
    rate=$(grep -Eo 'stat::average_exec_per_sec: *[0-9]+' "$log" | grep -Eo '[0-9]+$' | tail -n 1)
    ncorpus=$(find "$corpus" -type f | wc -l)
    if [ $rc -eq 0 ]; then
        result="no crash"
        echo "   $t: ${execs:-?} executions (${rate:-?}/s), corpus $ncorpus, no crash"
    else
        status=1
        result="FAILED (exit $rc)"
        mkdir -p "$report_dir/$t"
        for a in "$artifacts"/*; do
            [ -f "$a" ] && cp "$a" "$report_dir/$t/" && result="$result, input reports/fuzz/$t/$(basename "$a")"
        done
        echo "   $t: FAILED (exit $rc); the end of its log:" >&2
        grep -v '^#[0-9]' "$log" | tail -n 40 >&2
        echo "   keep the input as a regression: cp reports/fuzz/$t/<crash> $regress/ (replayed by tests/unit/test_fuzz_regressions.c)" >&2
    fi
    echo "| $t | $nseeds | ${execs:-?} | ${rate:-?} | $ncorpus | $result |" >>"$summary"
done
echo "fuzz: summary in $summary"
exit $status
