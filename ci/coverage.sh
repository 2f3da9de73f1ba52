#!/usr/bin/env bash
# coverage.sh - placeholder until its issue lands: says so and fails.
echo "make coverage: not built yet (see the open issues)" >&2
exit 1
