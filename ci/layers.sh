#!/usr/bin/env bash
# layers.sh - fails when a source file includes a header of a folder its
# layer may not see (DESIGN.md: core <- legacy, modern <- adapter <- app;
# harness on top):
#
#   core/     core/
#   legacy/   core/ legacy/
#   modern/   core/ modern/
#   adapter/  core/ legacy/ modern/ adapter/
#   app/      core/ adapter/ app/
#   harness/  core/ adapter/ app/ harness/
#
#   bash ci/layers.sh [ROOT]       (ROOT: the source tree, default: here)
#
# Every `#include "x.h"` of a .c or .h file in those folders is resolved to
# the folder that holds x.h (its own folder first). A forbidden one is
# printed as "file:line: ..." and fails the run; there are no exceptions.
# make test runs this, like ci/no-globals.sh.
set -uo pipefail
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$root" || { echo "layers: no such folder '$root'" >&2; exit 2; }

folders=(core legacy modern adapter app harness)
allowed_for() {
    case $1 in
        core) echo "core" ;;
        legacy) echo "core legacy" ;;
        modern) echo "core modern" ;;
        adapter) echo "core legacy modern adapter" ;;
        app) echo "core adapter app" ;;
        harness) echo "core adapter app harness" ;;
    esac
}

files=()
for d in "${folders[@]}"; do
    for f in "$d"/*.c "$d"/*.h; do
        [ -f "$f" ] && files+=("$f")
    done
done
if [ ${#files[@]} -eq 0 ]; then
    echo "layers: no source files under $root" >&2
    exit 1
fi

# One awk over: the rules, the headers each folder holds, and every quoted
# include ("file:line:text" from grep). An include is
# resolved to its own folder's header first, then to the first folder that
# has one of that name; a name none of ours holds is a library's.
{
    for d in "${folders[@]}"; do echo "RULE $d $(allowed_for "$d")"; done
    for d in "${folders[@]}"; do
        for h in "$d"/*.h; do [ -f "$h" ] && echo "HEADER $d ${h#*/}"; done
    done
    grep -nHE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "${files[@]}" | sed 's/^/INCLUDE /'
} | awk -v nfiles=${#files[@]} '
    $1 == "RULE" {
        for (i = 3; i <= NF; i++) {
            ok[$2, $i] = 1
            shown[$2] = shown[$2] (i > 3 ? ", " : "") $i "/"
        }
        next
    }
    $1 == "HEADER" { if (!(($3) in first)) first[$3] = $2; has[$2, $3] = 1; next }
    $1 == "INCLUDE" {
        rest = substr($0, 9)
        split(rest, p, ":")
        file = p[1]; line = p[2]
        split(file, q, "/"); from = q[1]
        h = rest; sub(/^[^"]*"/, "", h); sub(/".*/, "", h)
        if ((from, h) in has) to = from
        else if (h in first) to = first[h]
        else next
        if ((from, to) in ok) next
        printf "%s:%s: %s/ may not include %s/%s (%s/ may include %s)\n", file, line, from, to, h, from, shown[from] > "/dev/stderr"
        bad++
    }
    END {
        if (bad > 0) {
            printf "layers: %d forbidden include(s) in %d files\n", bad, nfiles > "/dev/stderr"
            exit 1
        }
        printf "layers: %d files, every include within its layer\n", nfiles
    }'
