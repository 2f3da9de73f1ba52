#!/usr/bin/env bash
# compare.sh - `make compare`: runs build/mdm-compare over every scenario and
# sqllogictest file in fixtures/, on SQLite and PostgreSQL, cross matrix
# included, writing reports/compare.{md,json,junit.xml}; then 30 s (at most
# 60: MDM_RANDOM_TIME) of mdm-compare --random with a fixed seed
# (MDM_RANDOM_SEED), writing reports/random.{md,json}.
#
#   bash ci/compare.sh [BUILD_DIR] [mdm-compare options...]
#
# PostgreSQL: the server MDM_PG_DSN names when set; otherwise a throwaway
# one (ci/pg.sh), stopped again at the end. Without PostgreSQL it says so
# loudly and runs SQLite only; under CI=true that is a failure. The exit
# status is mdm-compare's (non-zero on any unexpected difference); its last
# line is the summary.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build}
shift || true
bin="$build/mdm-compare"
if [ ! -x "$bin" ]; then
    echo "compare: $bin is missing: run 'make' first" >&2
    exit 2
fi

pg_dir=""
cleanup() { [ -n "$pg_dir" ] && bash "$here/pg.sh" stop "$pg_dir"; }
trap cleanup EXIT INT TERM

pg_missing=0
if [ -z "${MDM_PG_DSN:-}" ]; then
    if env_lines=$(bash "$here/pg.sh" start); then
        eval "$env_lines"
        pg_dir=$MDM_PG_DIR
        export MDM_PG_DSN
    else
        pg_missing=1
        echo "############################################################" >&2
        echo "# WARNING: no PostgreSQL server could be started.           #" >&2
        echo "# make compare runs on SQLite ONLY. Install PostgreSQL:     #" >&2
        echo "#   apt-get install postgresql   (or set MDM_PG_DSN)        #" >&2
        echo "############################################################" >&2
    fi
fi

ci_fail=0
if [ $pg_missing -eq 1 ] && [ "${CI:-}" = "true" ]; then
    echo "compare: CI=true and no PostgreSQL: this run fails after SQLite" >&2
    ci_fail=1
fi
mkdir -p reports
"$bin" --report-dir reports --gen-dir "$build/gen" "$@"
rc=$?
# Then generated cases (issue 14): a fixed seed for a bounded time, so a
# run is repeatable; reports/random.{md,json}, shrunk unexpected
# differences in reports/random/. MDM_RANDOM_TIME=0 skips it.
random_time=${MDM_RANDOM_TIME:-30}
if [ "$random_time" != "0" ]; then
    "$bin" --random --seed "${MDM_RANDOM_SEED:-14}" --time "$random_time" \
        --report-dir reports --gen-dir "$build/gen" "$@"
    rrc=$?
    [ $rc -eq 0 ] && rc=$rrc
fi
[ $ci_fail -eq 1 ] && [ $rc -eq 0 ] && rc=1
exit $rc
