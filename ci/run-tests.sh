#!/usr/bin/env bash
# run-tests.sh - runs cmocka test binaries with a throwaway PostgreSQL.
#
# Starts a server (ci/pg.sh) unless MDM_PG_DSN is already set, exports
# MDM_PG_DSN for the tests, runs every binary given, stops the server, and
# prints one closing line "tests: N passed, N failed" (skips are counted
# apart and never as passes). Without PostgreSQL it warns loudly; under
# CI=true that is a failure. JUnit XML goes to reports/tests/.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
pg_dir=""
cleanup() { [ -n "$pg_dir" ] && bash "$here/pg.sh" stop "$pg_dir"; }
trap cleanup EXIT INT TERM

pg_missing=0
if [ -z "${MDM_PG_DSN:-}" ]; then
    if env_lines=$(bash "$here/pg.sh" start); then
        eval "$env_lines"
        pg_dir=$MDM_PG_DIR
    else
        pg_missing=1
        echo "############################################################" >&2
        echo "# WARNING: no PostgreSQL server could be started.           #" >&2
        echo "# PostgreSQL tests are SKIPPED (not passed). Install it:    #" >&2
        echo "#   apt-get install postgresql                              #" >&2
        echo "############################################################" >&2
        if [ "${CI:-}" = "true" ]; then
            echo "run-tests: CI=true and no PostgreSQL: failing" >&2
            exit 1
        fi
    fi
fi
export MDM_PG_DSN="${MDM_PG_DSN:-}"
export MDM_PG_DIR="${pg_dir:-${MDM_PG_DIR:-}}"

mkdir -p reports/tests
passed=0; failed=0; skipped=0; crashed=()
for bin in "$@"; do
    name=$(basename "$bin")
    out=$(mktemp)
    echo "== $name"
    "$bin" >"$out" 2>&1
    rc=$?
    cat "$out"
    p=$(grep -Eo '^\[  PASSED  \] [0-9]+ test' "$out" | awk '{s+=$4} END {print s+0}')
    f=$(grep -Eo '^\[  FAILED  \] [0-9]+ test' "$out" | awk '{s+=$4} END {print s+0}')
    s=$(grep -Eo '^\[  SKIPPED \] [0-9]+ test' "$out" | awk '{s+=$4} END {print s+0}')
    passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
    if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then
        crashed+=("$name (exit $rc)")
        failed=$((failed + 1))
    fi
    # JUnit XML for CI: a second, quiet run would double the time, so the
    # XML comes from the same run only when requested (MDM_JUNIT=1).
    rm -f "$out"
done
echo
[ ${#crashed[@]} -gt 0 ] && echo "crashed or failed outside a test: ${crashed[*]}"
[ "$skipped" -gt 0 ] && echo "skipped (not counted as passed): $skipped"
[ $pg_missing -eq 1 ] && echo "WARNING: PostgreSQL tests did not run"
echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
