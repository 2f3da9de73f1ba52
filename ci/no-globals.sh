#!/usr/bin/env bash
# no-globals.sh - fails when an object file outside legacy/ holds writable
# static state: an object symbol in .data or .bss (objdump -t). `nm` alone
# is not enough: PIE builds put const function tables in .data.rel.ro,
# which nm reports like writable data. The counters --coverage adds
# (__gcov0.*, __gcov_*) are the compiler's instrumentation, not program
# state, and are left out so that a coverage build can be checked too.
set -euo pipefail
build=${1:-build}
status=0
checked=0
for dir in core modern adapter app harness; do
    for o in $(find "$build/obj/$dir" -name '*.o' 2>/dev/null | sort); do
        checked=$((checked + 1))
        bad=$(objdump -t "$o" | awk '$0 ~ / O / && $4 ~ /^\.(data|bss)/ && $4 !~ /rel\.ro/ && $NF !~ /^__gcov/ {print $4" "$NF}')
        if [ -n "$bad" ]; then
            echo "no-globals: writable static state in $o:" >&2
            echo "$bad" | sed 's/^/    /' >&2
            status=1
        fi
    done
done
if [ "$checked" -eq 0 ]; then
    echo "no-globals: no object files under $build/obj: build first" >&2
    exit 1
fi
[ $status -eq 0 ] && echo "no-globals: $checked object files outside legacy/, no writable static state"
exit $status
