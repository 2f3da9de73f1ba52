#!/usr/bin/env bash
# pg.sh - a throwaway PostgreSQL server on a Unix socket in a temporary folder.
#
#   eval "$(bash ci/pg.sh start)"   starts one; prints `export MDM_PG_DSN=...`
#                                   and `export MDM_PG_DIR=...`
#   bash ci/pg.sh stop DIR          stops it and removes DIR
#
# Runs initdb (trust authentication, no TCP listener; except for the role
# mdm_pw_test, which must give its password: the tests of secrets need a
# server that checks one), then pg_ctl start;
# when run as root, the server runs as the postgres user. Nothing is left
# behind after stop.
set -euo pipefail

bindir() {
    local d
    d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    [ -n "$d" ] && [ -x "$d/initdb" ] || { echo "pg.sh: no PostgreSQL server binaries (apt-get install postgresql)" >&2; return 1; }
    echo "$d"
}

as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

start() {
    local bin dir port=5432
    bin=$(bindir)
    dir=$(mktemp -d "${TMPDIR:-/tmp}/mdm-pg.XXXXXX")
    chmod 755 "$dir"
    [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$dir"
    as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 \
        --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || {
        cat "$dir/initdb.log" >&2; rm -rf "$dir"; return 1; }
    # First match wins in pg_hba.conf: this line goes before initdb's.
    { echo "local all mdm_pw_test scram-sha-256"; cat "$dir/data/pg_hba.conf"; } >"$dir/pg_hba.new"
    as_owner cp "$dir/pg_hba.new" "$dir/data/pg_hba.conf"
    rm -f "$dir/pg_hba.new"
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-k $dir -c listen_addresses='' -p $port -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
        start >/dev/null 2>&1 || {
        cat "$dir/server.log" >&2 2>/dev/null; rm -rf "$dir"; return 1; }
    echo "export MDM_PG_DIR='$dir'"
    echo "export MDM_PG_DSN='host=$dir port=$port user=postgres dbname=postgres'"
}

stop() {
    local bin dir=${1:?usage: pg.sh stop DIR}
    [ -d "$dir/data" ] || return 0
    bin=$(bindir)
    as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$dir"
}

# restart DIR: stops and starts the same server (fault tests use it).
restart() {
    local bin dir=${1:?usage: pg.sh restart DIR}
    bin=$(bindir)
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 -m fast restart >/dev/null
}

case "${1:-}" in
    start) start ;;
    stop) stop "${2:-}" ;;
    restart) restart "${2:-}" ;;
    *) echo "usage: pg.sh start | stop DIR | restart DIR" >&2; exit 2 ;;
esac
