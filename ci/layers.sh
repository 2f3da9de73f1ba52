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
# printed as "file:line: ..." and fails the run, unless it is listed in
# ROOT/ci/layers.allow: the includes that were there when the gate came in,
# each to be removed by the redesign of issue 12. That list may only
# shrink: an entry that no longer occurs fails too, so it is deleted when
# the include goes. make test runs this, like ci/no-globals.sh.
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

allow=ci/layers.allow
[ -f "$allow" ] || allow=/dev/null
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

# One awk over: the rules, the headers each folder holds, the allowances,
# and every quoted include ("file:line:text" from grep). An include is
# resolved to its own folder's header first, then to the first folder that
# has one of that name; a name none of ours holds is a library's.
{
    for d in "${folders[@]}"; do echo "RULE $d $(allowed_for "$d")"; done
    for d in "${folders[@]}"; do
        for h in "$d"/*.h; do [ -f "$h" ] && echo "HEADER $d ${h#*/}"; done
    done
    sed -E '/^[[:space:]]*(#|$)/d; s/^/ALLOW /' "$allow"
    grep -nHE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "${files[@]}" | sed 's/^/INCLUDE /'
} | awk -v allow="$allow" -v nfiles=${#files[@]} '
    $1 == "RULE" {
        for (i = 3; i <= NF; i++) {
            ok[$2, $i] = 1
            shown[$2] = shown[$2] (i > 3 ? ", " : "") $i "/"
        }
        next
    }
    $1 == "HEADER" { if (!(($3) in first)) first[$3] = $2; has[$2, $3] = 1; next }
    $1 == "ALLOW" { listed[$2 " " $3] = 1; next }
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
        key = file " " to "/" h
        if (key in listed) { used[key] = 1; grand++; next }
        printf "%s:%s: %s/ may not include %s/%s (%s/ may include %s)\n", file, line, from, to, h, from, shown[from] > "/dev/stderr"
        bad++
    }
    END {
        for (k in listed) if (!(k in used)) {
            printf "%s: \"%s\" no longer occurs: delete the line (the list may only shrink)\n", allow, k > "/dev/stderr"
            stale++
        }
        if (bad + stale > 0) {
            printf "layers: %d forbidden include(s), %d stale allowance(s) in %d files\n", bad, stale, nfiles > "/dev/stderr"
            exit 1
        }
        printf "layers: %d files, no include outside its layer but the %d listed in %s (to go)\n", nfiles, grand, allow
    }'
