#!/usr/bin/env bash
# fuzz.sh - placeholder until its issue lands: says so and fails.
echo "make fuzz: not built yet (see the open issues)" >&2
exit 1
