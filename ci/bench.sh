#!/usr/bin/env bash
# bench.sh - `make bench`: legacy against modern, and both against the tools a
# user would reach for instead, timed with hyperfine on the same generated
# CSV files; then the in-process microbenchmarks; then the reports and the
# gate.
#
#   bash ci/bench.sh [BUILD]          (make bench; BUILD defaults to build)
#
# Cases, at each size (100k, 1M and 10M rows; BENCH_SET=ci: 100k only), for each
# data profile of mdm-gencsv (BENCH_PROFILES, "basic features": short
# decimals, and features with full-precision doubles, microsecond
# timestamps and true/false; case names of the features profile read
# sqlite-100k.features-register), on SQLite and on PostgreSQL (a throwaway
# server from ci/pg.sh):
#   register  mdm register (legacy, modern) | sqlite3 .import into a typed
#             table / psql \copy FROM into a typed table | pandas read_csv +
#             to_sql
#   read      mdm load --format csv | sqlite3 -csv SELECT * / psql \copy TO |
#             pandas read_sql_query + to_csv
#   limit     the same with a limit of BENCH_LIMIT rows (1000)
#   query     SELECT category, COUNT(*), AVG(x) FROM train GROUP BY category
# Every command: hyperfine (no shell: --shell=none), BENCH_WARMUP warm-up
# runs (1), at least
# BENCH_RUNS timed runs (5), --export-json and --export-markdown into
# reports/bench/. Register runs start from an empty target (--prepare,
# ci/bench/reset.sh). Reads, limits and queries of the tools run on the table
# modern registered (same data, same types), legacy and modern on their own.
# Peak memory of each register and of each full read (legacy, modern and
# the tools): one more run under /usr/bin/time -f %M.
# pandas runs only up to BENCH_PANDAS_MAX_ROWS rows (1000000): at 10M rows
# one register through pandas takes minutes and gigabytes, and hyperfine
# would run it six times; the report says where it was left out.
# Sizes of BENCH_BIG_ROWS rows (10000000) and more run every command in 1
# round of 2 runs with no warm-up: one legacy register of 10M rows into
# PostgreSQL takes minutes, and 5 rounds with warm-ups would take hours.
# The register of the gzip-compressed CSV runs at the largest size up to
# BENCH_GZ_MAX_ROWS (1000000).
# Microbenchmarks: build/bench/bench_pool (acquire/release at 1, 4, 16
# threads), bench_csv (CSV parsing MB/s), bench_compare (rows/s),
# bench_format (full-precision doubles/s, text from double and back) when built.
#
# Legacy and modern run interleaved in rounds (bench_pair below); the tools
# run once per case, so their ratios to modern are noisier.
#
# Reports: reports/bench.md, reports/bench.json, reports/bench.png, and
# reports/bench-scale.png (time and peak RSS against rows, log-log, of
# register and full read; drawn when at least one size was measured)
# (ci/bench/report.py). The gate: modern/legacy <= 1.05 on every case (the
# median over the rounds of the per-round ratio of median times;
# BENCH_GATE=0: report only); a case whose mdm command fails fails too.
# The report's Targets section lists issue 16's targets (features profile,
# every size: register and full read against the tools, peak RSS of
# modern's register and full read, linear growth from each size to the one
# 10 times larger, and the gate itself) as met / not met / not measured;
# only the gate decides the exit status.
#
# Environment: BENCH_SET (full | ci), BENCH_SIZES (rows, overrides the
# set's), BENCH_PROFILES, BENCH_RUNS, BENCH_ROUNDS, BENCH_WARMUP,
# BENCH_LIMIT, BENCH_SEED (42), BENCH_RECHECK (2: re-measurements of a case
# over the gate), BENCH_BACKENDS ("sqlite postgresql"), BENCH_TOOLS=0 (mdm
# only), BENCH_PANDAS_MAX_ROWS (1000000), BENCH_BIG_ROWS (10000000),
# BENCH_GZ_MAX_ROWS (1000000), BENCH_POOL_OPS, REPORTS (reports),
# PYTHON (/usr/bin/python3: Debian's pandas).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

build=${1:-build}
set_name=${BENCH_SET:-full}
reports=${REPORTS:-reports}
case "$reports" in /*) ;; *) reports="$root/$reports" ;; esac
runs=${BENCH_RUNS:-5}
warmup=${BENCH_WARMUP:-1}
limit=${BENCH_LIMIT:-1000}
seed=${BENCH_SEED:-42}
backends=${BENCH_BACKENDS:-sqlite postgresql}
with_tools=${BENCH_TOOLS:-1}
pandas_max=${BENCH_PANDAS_MAX_ROWS:-1000000}
big_rows=${BENCH_BIG_ROWS:-10000000}
gz_max=${BENCH_GZ_MAX_ROWS:-1000000}
read -r -a profiles <<<"${BENCH_PROFILES:-basic features}"
if [ -z "${PYTHON:-}" ]; then
    if [ -x /usr/bin/python3 ]; then PYTHON=/usr/bin/python3; else PYTHON=python3; fi
fi
QUERY='SELECT category, COUNT(*), AVG(x) FROM train GROUP BY category'

case "$set_name" in
    ci) sizes=(100000); pool_ops=${BENCH_POOL_OPS:-100000} ;;
    full) sizes=(100000 1000000 10000000); pool_ops=${BENCH_POOL_OPS:-400000} ;;
    *) echo "bench: BENCH_SET must be 'full' or 'ci', not '$set_name'" >&2; exit 2 ;;
esac
if [ -n "${BENCH_SIZES:-}" ]; then read -r -a sizes <<<"$BENCH_SIZES"; fi   # a quick check of the script
[ "$runs" -ge 5 ] || echo "bench: warning: BENCH_RUNS=$runs (the issue asks for at least 5)" >&2

mdm="$root/$build/mdm"
gencsv="$root/$build/mdm-gencsv"
data="$root/$build/bench-data"
work="$root/$build/bench-work"
out="$reports/bench"

die() { echo "bench: $*" >&2; exit 1; }
for tool in hyperfine sqlite3 psql gnuplot; do
    command -v "$tool" >/dev/null || die "$tool not found (run 'make deps')"
done
[ -x /usr/bin/time ] || die "/usr/bin/time not found (Debian package 'time'; run 'make deps')"
[ -x "$mdm" ] || die "$mdm not built (make bench builds it; BUILD=$build)"
[ -x "$gencsv" ] || die "$gencsv not built"
if [ "$with_tools" = "1" ]; then
    "$PYTHON" -c 'import pandas, sqlalchemy, psycopg2' 2>/dev/null ||
        die "$PYTHON cannot import pandas, sqlalchemy and psycopg2 (Debian: python3-pandas python3-sqlalchemy python3-psycopg2)"
fi

rm -rf "$work" "$out"
mkdir -p "$data" "$work" "$out"
: >"$out/memory.tsv"
: >"$out/micro.txt"
: >"$out/failures.txt"
: >"$out/rechecked.txt"
: >"$out/skipped.txt"
started=$(date -u +%Y-%m-%dT%H:%M:%SZ)
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- PostgreSQL -------------------------------------------------------------
pg_dir=""
cleanup() { if [ -n "$pg_dir" ]; then bash "$root/ci/pg.sh" stop "$pg_dir"; fi; }
trap cleanup EXIT INT TERM
if [[ " $backends " == *" postgresql "* ]]; then
    env_lines=$(bash "$root/ci/pg.sh" start) || die "cannot start PostgreSQL (ci/pg.sh)"
    eval "$env_lines"
    pg_dir=$MDM_PG_DIR
    pg_dsn=$MDM_PG_DSN
fi

# The mdm config for each backend. SQLite needs none (the default backend,
# datasets under --home); PostgreSQL gets a file pointing at the server.
sqlite_config=""
pg_config="$work/postgresql.yaml"
if [ -n "$pg_dir" ]; then
    bash "$root/ci/bench/mdm-config.sh" postgresql "$pg_dsn" >"$pg_config"
fi

# ---- data -------------------------------------------------------------------
# label ROWS: the rows label of case names (100k, 1M, 10M; report.py reads
# it back the same way)
label() {
    if [ $(( $1 % 1000000 )) -eq 0 ]; then echo "$(( $1 / 1000000 ))M"
    elif [ $(( $1 % 1000 )) -eq 0 ]; then echo "$(( $1 / 1000 ))k"
    else echo "$1"; fi
}
# psuffix PROFILE: what the profile adds to a case's rows label and file name
psuffix() { [ "$1" = basic ] || printf '.%s' "$1"; }
csv_of() { printf '%s/train_%s%s.csv' "$data" "$1" "$(psuffix "$2")"; }
for n in "${sizes[@]}"; do
    for p in "${profiles[@]}"; do
        f=$(csv_of "$n" "$p")
        stamp="${f%.csv}.seed"
        if [ ! -s "$f" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$seed" ]; then
            echo "bench: generating $f ($n rows, profile $p, seed $seed)"
            "$gencsv" "$n" --seed "$seed" --profile "$p" -o "$f"
            echo "$seed" >"$stamp"
        fi
    done
done

# ---- helpers ----------------------------------------------------------------
rounds=${BENCH_ROUNDS:-5}
set_runs=$runs set_rounds=$rounds set_warmup=$warmup
# size_settings ROWS: runs, rounds, warm-up and min_runs for a size: the
# set's, or 1 round of 2 runs with no warm-up from BENCH_BIG_ROWS rows on.
size_settings() {
    if [ "$1" -ge "$big_rows" ]; then
        runs=2 rounds=1 warmup=0
    else
        runs=$set_runs rounds=$set_rounds warmup=$set_warmup
    fi
    min_runs=$(( (runs + rounds - 1) / rounds ))
    [ "$min_runs" -ge 2 ] || min_runs=2    # hyperfine needs 2 for its statistics
}
size_settings 0

# bench_cmd CASE NAME PREPARE COMMAND [ROUND [WARMUP]]: one hyperfine run of
# one command (its own JSON and Markdown, so that a failing tool cannot hide
# the others). PREPARE may be empty. A failure is recorded, never fatal here.
bench_cmd() {
    local case=$1 name=$2 prepare=$3 cmd=$4 round=${5:-} wu=${6:-$warmup}
    local dir="$out/$case" file
    file=$(printf '%s' "$name" | tr -c 'A-Za-z0-9.' '_')${round:+.r$round}
    local n=$runs
    [ -n "$round" ] && n=$min_runs
    local args=(--warmup "$wu" --min-runs "$n" --style basic --shell=none -n "$name"
                --export-json "$dir/$file.json" --export-markdown "$dir/$file.md")
    mkdir -p "$dir"
    [ -n "$prepare" ] && args+=(--prepare "$prepare")
    echo
    echo "### $case: $name${round:+ (round $round of $rounds)}"
    if ! hyperfine "${args[@]}" "$cmd"; then
        echo "$case	$name	hyperfine failed: $cmd" >>"$out/failures.txt"
        rm -f "$dir/$file.json"
        echo "bench: $case: $name FAILED (see above)" >&2
        return 1
    fi
}

# tool_cmd: bench_cmd for the tools beside mdm; their failure is recorded
# (and reported) but never stops the run.
tool_cmd() {
    bench_cmd "$@" || true
}

# pg_alive: is the throwaway server still answering? After a failure on
# PostgreSQL this tells a dead server (recorded once; the remaining
# PostgreSQL cases are skipped) from a failing command.
pg_gone=0
pg_alive() {
    [ $pg_gone -eq 0 ] || return 1
    if ! psql -X -q -At -d "$pg_dsn" -c 'SELECT 1' >/dev/null 2>&1; then
        pg_gone=1
        echo "postgresql	server	the throwaway PostgreSQL server stopped answering; later PostgreSQL cases skipped" >>"$out/failures.txt"
        echo "bench: the PostgreSQL server ($pg_dir) stopped answering" >&2
        return 1
    fi
}

# bench_pair CASE PREP_LEGACY CMD_LEGACY PREP_MODERN CMD_MODERN: legacy and
# modern, interleaved in BENCH_ROUNDS rounds (5) of at least
# max(2, ceil(BENCH_RUNS / rounds)) runs each, the order alternating (L M,
# M L, ...), so that a change in the machine's load hits both alike. The
# report takes modern/legacy per round and gates on the median over the
# rounds (a round disturbed by other work cannot decide on its own, for
# either side). Warm-up in the first round only.
#
# A case over the gate is re-measured before it may fail: BENCH_RECHECK
# (2) times, BENCH_ROUNDS more rounds each, and the gate then takes the
# median over all its rounds. A real regression stays over the line in
# every round; a burst of other work on a 2-core machine does not. The
# report says which cases were re-measured.
recheck=${BENCH_RECHECK:-2}
bench_rounds() {
    local case=$1 pl=$2 cl=$3 pm=$4 cm=$5 first=$6 last=$7 r wu
    for ((r = first; r <= last; r++)); do
        wu=0; [ $r -eq 1 ] && wu=$warmup
        if [ $((r % 2)) -eq 1 ]; then
            bench_cmd "$case" legacy "$pl" "$cl" $r $wu || return 1
            bench_cmd "$case" modern "$pm" "$cm" $r $wu || return 1
        else
            bench_cmd "$case" modern "$pm" "$cm" $r $wu || return 1
            bench_cmd "$case" legacy "$pl" "$cl" $r $wu || return 1
        fi
    done
}

# pair_over_gate CASE: true when the median over the rounds so far of
# modern/legacy is above the gate (ci/bench/report.py --ratio, which owns
# the limit: exit 3 when over it).
pair_over_gate() {
    local rc=0
    printf 'bench: %s: modern/legacy = ' "$1"
    "$PYTHON" "$root/ci/bench/report.py" --ratio "$out/$1" || rc=$?
    [ $rc -eq 3 ]
}

bench_pair() {
    local case=$1 done_rounds=$rounds k
    bench_rounds "$@" 1 "$rounds" || return 0
    for ((k = 1; k <= recheck; k++)); do
        pair_over_gate "$case" || return 0
        echo "bench: $case: over the gate; re-measuring ($k of $recheck)"
        echo "$case" >>"$out/rechecked.txt"
        bench_rounds "$@" $((done_rounds + 1)) $((done_rounds + rounds)) || return 0
        done_rounds=$((done_rounds + rounds))
    done
    pair_over_gate "$case" || true
}

# peak_mem CASE NAME PREPARE COMMAND: one more run under /usr/bin/time;
# appends "case name KiB" to memory.tsv.
peak_mem() {
    local case=$1 name=$2 prepare=$3 cmd=$4 kib
    [ -n "$prepare" ] && bash -c "$prepare" >/dev/null 2>&1
    if kib=$(/usr/bin/time -f '%M' -o "$work/time.out" bash -c "$cmd" >/dev/null 2>"$work/time.err" &&
             tail -n 1 "$work/time.out"); then
        printf '%s\t%s\t%s\n' "$case" "$name" "$kib" >>"$out/memory.tsv"
    else
        echo "bench: $case: peak memory of $name not measured: $(tail -n 3 "$work/time.err")" >&2
    fi
}

q() { printf '%q' "$1"; }

# pandas_ok ROWS CASE: whether pandas runs at this size (BENCH_PANDAS_MAX_ROWS);
# when it does not, skipped.txt says so for the report.
pandas_ok() {
    [ "$1" -le "$pandas_max" ] && return 0
    printf '%s\tpandas\tnot run above BENCH_PANDAS_MAX_ROWS=%s rows\n' "$2" "$pandas_max" >>"$out/skipped.txt"
    return 1
}

# mdm_cmd IMPL CONFIG ARGS...: the quoted mdm command line.
mdm_cmd() {
    local impl=$1 config=$2; shift 2
    local s
    s="$(q "$mdm") --home $(q "$work/home") --impl $impl"
    [ -n "$config" ] && s+=" --config $(q "$config")"
    for a in "$@"; do s+=" $(q "$a")"; done
    printf '%s' "$s"
}

# Where modern's dataset lives, for the tools to read the same table.
sqlite_dataset_file() { printf '%s/home/datasets/%s/dataset.sqlite' "$work" "$1"; }
pg_conninfo() { printf '%s dbname=%s' "$pg_dsn" "$1"; }
pg_url() { printf 'postgresql+psycopg2://postgres@/%s?host=%s&port=5432' "$1" "$pg_dir"; }

# pg_dataset_db NAME: the database mdm put dataset NAME in (found on the
# server; mdm_<name> by the design, or one schema per dataset otherwise).
pg_dataset_db() {
    psql -X -At -d "$pg_dsn" -c "SELECT datname FROM pg_database WHERE datname IN ('mdm_$1', '$1') LIMIT 1"
}

# ---- the cases --------------------------------------------------------------
run_size_backend() {
    local n=$1 backend=$2 profile=$3 csv tag
    csv=$(csv_of "$n" "$profile")
    tag="$backend-$(label "$n")$(psuffix "$profile")"
    if [ "$backend" = postgresql ] && ! pg_alive; then
        return 0
    fi
    local config=""
    [ "$backend" = postgresql ] && config=$pg_config
    size_settings "$n"

    # register
    local c="$tag-register" prep_l prep_m cmd_l cmd_m
    prep_l="bash $(q "$root/ci/bench/reset.sh") mdm $(q "$mdm") $(q "$work/home") $(q "$config") legacy bench_legacy"
    prep_m="bash $(q "$root/ci/bench/reset.sh") mdm $(q "$mdm") $(q "$work/home") $(q "$config") modern bench_modern"
    cmd_l=$(mdm_cmd legacy "$config" register bench_legacy "$csv")
    cmd_m=$(mdm_cmd modern "$config" register bench_modern "$csv")
    bench_pair "$c" "$prep_l" "$cmd_l" "$prep_m" "$cmd_m"
    # one more run each for the peak memory; it leaves the datasets
    # registered for the reads below
    peak_mem "$c" legacy "$prep_l" "$cmd_l"
    peak_mem "$c" modern "$prep_m" "$cmd_m"
    if [ "$with_tools" = "1" ]; then
        if [ "$backend" = sqlite ]; then
            local db="$work/sqlite3-import.sqlite" pdb="$work/pandas.sqlite"
            tool_cmd "$c" "sqlite3 .import" "bash $(q "$root/ci/bench/reset.sh") sqlite-typed $(q "$db")" \
                "sqlite3 $(q "$db") $(q ".import --csv --skip 1 $csv train")"
            peak_mem "$c" "sqlite3 .import" "bash $(q "$root/ci/bench/reset.sh") sqlite-typed $(q "$db")" \
                "sqlite3 $(q "$db") $(q ".import --csv --skip 1 $csv train")"
            if pandas_ok "$n" "$c"; then
                tool_cmd "$c" "pandas" "bash $(q "$root/ci/bench/reset.sh") sqlite-none $(q "$pdb")" \
                    "$PYTHON $(q "$root/ci/bench/pandas_bench.py") register $(q "sqlite:///$pdb") $(q "$csv")"
                peak_mem "$c" "pandas" "bash $(q "$root/ci/bench/reset.sh") sqlite-none $(q "$pdb")" \
                    "$PYTHON $(q "$root/ci/bench/pandas_bench.py") register $(q "sqlite:///$pdb") $(q "$csv")"
            fi
        else
            tool_cmd "$c" "psql \\copy" "bash $(q "$root/ci/bench/reset.sh") pg-typed $(q "$pg_dsn") mdm_bench_psql" \
                "psql -X -q -v ON_ERROR_STOP=1 -d $(q "$(pg_conninfo mdm_bench_psql)") -c $(q "\\copy train FROM '$csv' WITH (FORMAT csv, HEADER true)")"
            peak_mem "$c" "psql \\copy" "bash $(q "$root/ci/bench/reset.sh") pg-typed $(q "$pg_dsn") mdm_bench_psql" \
                "psql -X -q -v ON_ERROR_STOP=1 -d $(q "$(pg_conninfo mdm_bench_psql)") -c $(q "\\copy train FROM '$csv' WITH (FORMAT csv, HEADER true)")"
            # the same job as mdm register: a new database, a typed table, the load
            tool_cmd "$c" "psql createdb+\\copy" "bash $(q "$root/ci/bench/reset.sh") pg-drop $(q "$pg_dsn") mdm_bench_psql" \
                "bash $(q "$root/ci/bench/reset.sh") pg-load $(q "$pg_dsn") mdm_bench_psql $(q "$csv")"
            if pandas_ok "$n" "$c"; then
                tool_cmd "$c" "pandas" "bash $(q "$root/ci/bench/reset.sh") pg-none $(q "$pg_dsn") mdm_bench_pandas" \
                    "$PYTHON $(q "$root/ci/bench/pandas_bench.py") register $(q "$(pg_url mdm_bench_pandas)") $(q "$csv")"
                peak_mem "$c" "pandas" "bash $(q "$root/ci/bench/reset.sh") pg-none $(q "$pg_dsn") mdm_bench_pandas" \
                    "$PYTHON $(q "$root/ci/bench/pandas_bench.py") register $(q "$(pg_url mdm_bench_pandas)") $(q "$csv")"
            fi
        fi
    fi

    # read, limit, query
    local sq_db="" pg_db=""
    if [ "$backend" = sqlite ]; then
        sq_db=$(sqlite_dataset_file bench_modern)
    else
        pg_db=$(pg_dataset_db bench_modern) || pg_db=""
    fi
    local op cl cm
    for op in read limit query; do
        c="$tag-$op"
        if [ "$backend" = postgresql ] && ! pg_alive; then
            return 0
        fi
        case $op in
            read) cl=$(mdm_cmd legacy "$config" load bench_legacy --format csv)
                  cm=$(mdm_cmd modern "$config" load bench_modern --format csv) ;;
            limit) cl=$(mdm_cmd legacy "$config" load bench_legacy --limit "$limit" --format csv)
                   cm=$(mdm_cmd modern "$config" load bench_modern --limit "$limit" --format csv) ;;
            query) cl=$(mdm_cmd legacy "$config" query bench_legacy "$QUERY" --format csv)
                   cm=$(mdm_cmd modern "$config" query bench_modern "$QUERY" --format csv) ;;
        esac
        bench_pair "$c" "" "$cl" "" "$cm"
        # the full read's peak memory, as for register: whether a read of
        # the whole table streams or holds it (issue 16: <= 64 MiB)
        if [ $op = read ]; then
            peak_mem "$c" legacy "" "$cl"
            peak_mem "$c" modern "" "$cm"
        fi
        [ "$with_tools" = "1" ] || continue
        local sql tcmd pcmd=""
        case $op in
            read) sql="SELECT * FROM train" ;;
            limit) sql="SELECT * FROM train LIMIT $limit" ;;
            query) sql=$QUERY ;;
        esac
        if [ "$backend" = sqlite ]; then
            if [ -f "$sq_db" ]; then
                tcmd="sqlite3 -csv -header $(q "$sq_db") $(q "$sql")"
                tool_cmd "$c" "sqlite3 -csv" "" "$tcmd"
                if [ $op = read ]; then peak_mem "$c" "sqlite3 -csv" "" "$tcmd"; fi
                if pandas_ok "$n" "$c"; then
                    case $op in
                        read) pcmd="$PYTHON $(q "$root/ci/bench/pandas_bench.py") load $(q "sqlite:///$sq_db")" ;;
                        limit) pcmd="$PYTHON $(q "$root/ci/bench/pandas_bench.py") load $(q "sqlite:///$sq_db") $limit" ;;
                        query) pcmd="$PYTHON $(q "$root/ci/bench/pandas_bench.py") query $(q "sqlite:///$sq_db") $(q "$sql")" ;;
                    esac
                fi
            else
                echo "$c	tools	modern's dataset file not found at $sq_db" >>"$out/failures.txt"
            fi
        else
            if [ -n "$pg_db" ]; then
                tcmd="psql -X -q -v ON_ERROR_STOP=1 -d $(q "$(pg_conninfo "$pg_db")") -c $(q "\\copy ($sql) TO STDOUT WITH (FORMAT csv, HEADER true)")"
                tool_cmd "$c" "psql \\copy" "" "$tcmd"
                if [ $op = read ]; then peak_mem "$c" "psql \\copy" "" "$tcmd"; fi
                if pandas_ok "$n" "$c"; then
                    case $op in
                        read) pcmd="$PYTHON $(q "$root/ci/bench/pandas_bench.py") load $(q "$(pg_url "$pg_db")")" ;;
                        limit) pcmd="$PYTHON $(q "$root/ci/bench/pandas_bench.py") load $(q "$(pg_url "$pg_db")") $limit" ;;
                        query) pcmd="$PYTHON $(q "$root/ci/bench/pandas_bench.py") query $(q "$(pg_url "$pg_db")") $(q "$sql")" ;;
                    esac
                fi
            else
                echo "$c	tools	modern's PostgreSQL database for bench_modern not found" >>"$out/failures.txt"
            fi
        fi
        if [ -n "$pcmd" ]; then
            tool_cmd "$c" "pandas" "" "$pcmd"
            if [ $op = read ]; then peak_mem "$c" "pandas" "" "$pcmd"; fi
        fi
    done
}

# register of the gzip-compressed CSV (issue 18), at the largest size up to
# BENCH_GZ_MAX_ROWS and
# the first profile: legacy and modern (gated like every pair) and the
# tools fed by zcat: zcat | sqlite3 .import, zcat | psql \copy FROM STDIN.
run_gz_register() {
    local n=$1 backend=$2 profile=$3 csv gz tag c config=""
    csv=$(csv_of "$n" "$profile")
    gz="$csv.gz"
    tag="$backend-$(label "$n")$(psuffix "$profile")"
    c="$tag-gzregister"
    if [ "$backend" = postgresql ] && ! pg_alive; then
        return 0
    fi
    [ "$backend" = postgresql ] && config=$pg_config
    size_settings "$n"
    if [ ! -s "$gz" ] || [ "$gz" -ot "$csv" ]; then
        gzip -6 -c "$csv" >"$gz.tmp" && mv "$gz.tmp" "$gz"
    fi
    local prep_l prep_m
    prep_l="bash $(q "$root/ci/bench/reset.sh") mdm $(q "$mdm") $(q "$work/home") $(q "$config") legacy bench_legacy_gz"
    prep_m="bash $(q "$root/ci/bench/reset.sh") mdm $(q "$mdm") $(q "$work/home") $(q "$config") modern bench_modern_gz"
    bench_pair "$c" "$prep_l" "$(mdm_cmd legacy "$config" register bench_legacy_gz "$gz")" \
        "$prep_m" "$(mdm_cmd modern "$config" register bench_modern_gz "$gz")"
    peak_mem "$c" modern "$prep_m" "$(mdm_cmd modern "$config" register bench_modern_gz "$gz")"
    [ "$with_tools" = "1" ] || return 0
    if [ "$backend" = sqlite ]; then
        local db="$work/sqlite3-import-gz.sqlite"
        tool_cmd "$c" "sqlite3 .import" "bash $(q "$root/ci/bench/reset.sh") sqlite-typed $(q "$db")" \
            "bash -c $(q "zcat $(q "$gz") | sqlite3 $(q "$db") $(q ".import --csv --skip 1 /dev/stdin train")")"
    else
        tool_cmd "$c" "psql \\copy" "bash $(q "$root/ci/bench/reset.sh") pg-typed $(q "$pg_dsn") mdm_bench_psql" \
            "bash -c $(q "zcat $(q "$gz") | psql -X -q -v ON_ERROR_STOP=1 -d $(q "$(pg_conninfo mdm_bench_psql)") -c $(q "\\copy train FROM STDIN WITH (FORMAT csv, HEADER true)")")"
    fi
}

for n in "${sizes[@]}"; do
    for p in "${profiles[@]}"; do
        for backend in $backends; do
            run_size_backend "$n" "$backend" "$p"
        done
    done
done
gz_rows=""
for n in "${sizes[@]}"; do
    if [ "$n" -le "$gz_max" ]; then gz_rows=$n; fi
done
for backend in $backends; do
    if [ -n "$gz_rows" ]; then run_gz_register "$gz_rows" "$backend" "${profiles[0]}"; fi
done
size_settings 0

# ---- microbenchmarks --------------------------------------------------------
# bench_csv parses the largest file below BENCH_BIG_ROWS rows (MB/s do not
# need 1.3 GB, and it holds the whole table)
micro_rows=${sizes[0]}
for n in "${sizes[@]}"; do
    if [ "$n" -lt "$big_rows" ]; then micro_rows=$n; fi
done
largest=$(csv_of "$micro_rows" "${profiles[0]}")
micro() {
    local name=$1; shift
    local bin="$root/$build/bench/$name"
    if [ ! -x "$bin" ]; then
        echo "$name	not built" >>"$out/micro.txt"
        return 0
    fi
    echo
    echo "### micro: $name $*"
    if ! "$bin" "$@" 2>&1 | tee "$out/$name.log"; then
        echo "$name	failed" >>"$out/micro.txt"
        echo "micro	$name	failed" >>"$out/failures.txt"
        return 0
    fi
    echo "$name	ok" >>"$out/micro.txt"
}
micro bench_pool --threads 1,4,16 --ops "$pool_ops" --runs "$runs"
micro bench_csv --runs "$runs" "$largest"
micro bench_compare    # fixed: 2 x 1M rows, best of 5
micro bench_format --runs "$runs"   # doubles/s both ways, full precision

# ---- reports and the gate ---------------------------------------------------
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
csv_sizes=""
for n in "${sizes[@]}"; do
    for p in "${profiles[@]}"; do
        csv_sizes+="$(label "$n")$(psuffix "$p")=$(stat -c %s "$(csv_of "$n" "$p")") "
    done
done
"$PYTHON" "$root/ci/bench/report.py" \
    --raw "$out" --reports "$reports" --set "$set_name" \
    --sizes "${sizes[*]}" --profiles "${profiles[*]}" --csv-sizes "$csv_sizes" --limit "$limit" --seed "$seed" \
    --runs "$runs" --rounds "$rounds" --warmup "$warmup" --big-rows "$big_rows" --query "$QUERY" \
    --started "$started" --load-before "$load_before" --load-after "$load_after" \
    --backends "$backends" --gate "${BENCH_GATE:-1}"
