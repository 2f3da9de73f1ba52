#!/usr/bin/env bash
# run-tests.sh - runs cmocka test binaries with a throwaway PostgreSQL.
#
# Starts a server (ci/pg.sh) unless MDM_PG_DSN is already set, exports
# MDM_PG_DSN for the tests, and pgbouncer in front of it (ci/pgbouncer.sh,
# MDM_PGBOUNCER_DSN; when the server's folder MDM_PG_DIR is known and
# MDM_PGBOUNCER_DSN is not set already), runs every binary given, stops them, and
# prints one closing line "tests: N passed, N failed" (skips are counted
# apart and never as passes). Without PostgreSQL it warns loudly; under
# CI=true that is a failure. JUnit XML goes to reports/tests/.
#
# JUnit XML (MDM_JUNIT=1, the default): cmocka 1.1 has one output mode at a
# time, and in its XML mode (CMOCKA_MESSAGE_OUTPUT=xml) it prints none of the
# console lines ("[  PASSED  ] N test(s)", failure texts). So each binary
# runs once, in XML mode, into a folder of its own (CMOCKA_XML_FILE=DIR/%g.xml:
# %g is the group name, and cmocka 1.1 refuses to overwrite an existing file
# without %g); the counts come from the XML, and the console gets one line
# per test in cmocka's style, failure texts included. The files are saved as
# reports/tests/<binary>.xml (<binary>.<group>.xml when a binary runs several
# groups; the testsuite is renamed likewise, since cmocka_run_group_tests
# names every group "tests"). A binary that dies outside a test gets a
# JUnit file with one error case (<binary>.crash.xml). MDM_JUNIT=0 runs cmocka's console output
# as before and writes no XML.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
pg_dir=""
pgb_dir=""
cleanup() {
    [ -n "$pgb_dir" ] && bash "$here/pgbouncer.sh" stop "$pgb_dir"
    [ -n "$pg_dir" ] && bash "$here/pg.sh" stop "$pg_dir"
}
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

if [ -z "${MDM_PGBOUNCER_DSN:-}" ] && [ -n "$MDM_PG_DIR" ]; then
    if env_lines=$(bash "$here/pgbouncer.sh" start "$MDM_PG_DIR"); then
        eval "$env_lines"
        pgb_dir=$MDM_PGBOUNCER_DIR
    else
        echo "# WARNING: pgbouncer could not be started: its tests are SKIPPED (apt-get install pgbouncer)" >&2
        if [ "${CI:-}" = "true" ]; then
            echo "run-tests: CI=true and no pgbouncer: failing" >&2
            exit 1
        fi
    fi
fi
export MDM_PGBOUNCER_DSN="${MDM_PGBOUNCER_DSN:-}"

mkdir -p reports/tests
junit=${MDM_JUNIT:-1}

# xml_escape TEXT: for attribute values and text in the JUnit files we write.
xml_escape() {
    local t=$1
    t=${t//&/&amp;}; t=${t//</&lt;}; t=${t//>/&gt;}; t=${t//\"/&quot;}
    printf '%s' "$t"
}

# junit_render FILE: prints one cmocka-style line per test case of a cmocka
# XML file (failure text indented below), then a line
# "counts P F S" (passed, failed, skipped). A group whose setup or teardown
# failed has errors in the testsuite line but no test case for it: each is
# counted as one failure.
junit_render() {
    awk '
        function attr(line, key,   m) {
            if (match(line, key "=\"[^\"]*\"")) {
                m = substr(line, RSTART + length(key) + 2, RLENGTH - length(key) - 3)
                return m + 0
            }
            return 0
        }
        function finish_case() {
            if (name == "") return
            if (state == "failed") { printf "[  FAILED  ] %s\n%s", name, text; f++ }
            else if (state == "skipped") { printf "[  SKIPPED ] %s\n", name; s++ }
            else { printf "[       OK ] %s\n", name; p++ }
            name = ""; state = ""; text = ""
        }
        /<testsuite / { group = $0; sub(/.*<testsuite name="/, "", group); sub(/".*/, "", group)
                        declared = attr($0, "failures") + attr($0, "errors") }
        /<testcase / { finish_case(); name = $0; sub(/.*<testcase name="/, "", name); sub(/" time=.*/, "", name) }
        /<skipped\/>/ { state = "skipped" }
        /<failure>/ { state = "failed"; infail = 1; sub(/.*<failure><!\[CDATA\[/, "") }
        infail {
            line = $0
            if (index(line, "]]></failure>")) { sub(/\]\]><\/failure>.*/, "", line); infail = 0 }
            text = text "      " line "\n"
            next
        }
        /<\/testcase>/ { finish_case() }
        /<\/testsuite>/ {
            finish_case()
            if (declared > f - gf) {
                extra = declared - (f - gf)
                printf "[  ERROR   ] %s: group setup or teardown failed\n", group
                f += extra
            }
            gf = f
        }
        END { finish_case(); printf "counts %d %d %d\n", p, f, s }
    ' "$1"
}

# junit_crash NAME RC OUTPUT: a JUnit file for a binary that died outside a
# test (a crash, an exit() in a test, or no results at all).
junit_crash() {
    local name=$1 rc=$2 out=$3
    {
        echo '<?xml version="1.0" encoding="UTF-8" ?>'
        echo '<testsuites>'
        echo "  <testsuite name=\"$(xml_escape "$name")\" time=\"0.000\" tests=\"1\" failures=\"0\" errors=\"1\" skipped=\"0\" >"
        echo "    <testcase name=\"$(xml_escape "$name")\" time=\"0.000\" >"
        echo "      <error message=\"exited with status $rc outside a test\"><![CDATA["
        tail -n 50 "$out" | sed 's/]]>/]] >/g'
        echo "]]></error>"
        echo "    </testcase>"
        echo "  </testsuite>"
        echo "</testsuites>"
    } >"reports/tests/$name.crash.xml"
}

passed=0; failed=0; skipped=0; crashed=()
for bin in "$@"; do
    name=$(basename "$bin")
    out=$(mktemp)
    echo "== $name"
    if [ "$junit" = "1" ]; then
        xml_dir=$(mktemp -d)
        rm -f "reports/tests/$name.xml" "reports/tests/$name".*.xml
        CMOCKA_MESSAGE_OUTPUT=xml CMOCKA_XML_FILE="$xml_dir/%g.xml" "$bin" >"$out" 2>&1
        rc=$?
        cat "$out"
        p=0; f=0; s=0
        shopt -s nullglob
        xmls=("$xml_dir"/*.xml)
        shopt -u nullglob
        for x in "${xmls[@]}"; do
            group=$(basename "$x" .xml)
            rendered=$(junit_render "$x")
            printf '%s\n' "$rendered" | grep -v '^counts '
            read -r _ xp xf xs < <(printf '%s\n' "$rendered" | grep '^counts ')
            p=$((p + xp)); f=$((f + xf)); s=$((s + xs))
            if [ ${#xmls[@]} -eq 1 ]; then dest=$name; else dest=$name.$group; fi
            sed "s|<testsuite name=\"[^\"]*\"|<testsuite name=\"$(xml_escape "$dest")\"|" "$x" \
                >"reports/tests/$dest.xml"
        done
        rm -rf "$xml_dir"
        echo "[  PASSED  ] $p test(s)."
        [ "$f" -gt 0 ] && echo "[  FAILED  ] $f test(s)."
        [ "$s" -gt 0 ] && echo "[  SKIPPED ] $s test(s)."
        if { [ $rc -ne 0 ] && [ "$f" -eq 0 ]; } || [ ${#xmls[@]} -eq 0 ]; then
            junit_crash "$name" "$rc" "$out"
        fi
    else
        "$bin" >"$out" 2>&1
        rc=$?
        cat "$out"
        p=$(grep -Eo '^\[  PASSED  \] [0-9]+ test' "$out" | awk '{s+=$4} END {print s+0}')
        f=$(grep -Eo '^\[  FAILED  \] [0-9]+ test' "$out" | awk '{s+=$4} END {print s+0}')
        s=$(grep -Eo '^\[  SKIPPED \] [0-9]+ test' "$out" | awk '{s+=$4} END {print s+0}')
        xmls=(console)
    fi
    passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
    if { [ $rc -ne 0 ] && [ "$f" -eq 0 ]; } || [ ${#xmls[@]} -eq 0 ]; then
        crashed+=("$name (exit $rc)")
        failed=$((failed + 1))
    fi
    rm -f "$out"
done
echo
[ ${#crashed[@]} -gt 0 ] && echo "crashed or failed outside a test: ${crashed[*]}"
[ "$skipped" -gt 0 ] && echo "skipped (not counted as passed): $skipped"
[ $pg_missing -eq 1 ] && echo "WARNING: PostgreSQL tests did not run"
echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
