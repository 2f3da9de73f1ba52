#!/usr/bin/env bash
# deps.sh - installs the Debian packages mdm needs to build, test, compare,
# measure coverage and benchmark (pgbouncer: the tests run mdm through it). As root it runs apt-get; otherwise it
# prints the exact apt-get line and fails.
set -euo pipefail

PKGS=(build-essential pkg-config libsqlite3-dev sqlite3 libpq-dev postgresql
      libyaml-dev zlib1g-dev libbz2-dev liblzma-dev libzstd-dev libarchive-dev
      libcmocka-dev lcov hyperfine gnuplot-nox binutils
      python3-pandas python3-sqlalchemy python3-psycopg2 time
      clang libclang-rt-14-dev valgrind pgbouncer man-db)

missing=()
for p in "${PKGS[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$p")
    fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

line="apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
    echo "deps: missing packages: ${missing[*]}" >&2
    echo "deps: run as root:  apt-get update && $line" >&2
    exit 1
fi
echo "deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
