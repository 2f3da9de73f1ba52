#!/usr/bin/env bash
# pgbouncer.sh - a throwaway pgbouncer (Debian's package) in transaction
# pooling mode, on a Unix socket in a temporary folder, in front of the
# throwaway PostgreSQL of ci/pg.sh.
#
#   eval "$(bash ci/pgbouncer.sh start PGDIR)"   starts one in front of the
#                                  server whose socket is in PGDIR; prints
#                                  `export MDM_PGBOUNCER_DSN=...` and
#                                  `export MDM_PGBOUNCER_DIR=...`
#   bash ci/pgbouncer.sh stop DIR  stops it and removes DIR
#
# Configuration (written to DIR/pgbouncer.ini):
# - `* = host=PGDIR port=5432`: a wildcard database entry, because mdm
#   makes one database per dataset and connects to each by name;
# - pool_mode = transaction: each transaction may run on another server
#   connection, so nothing may rely on session state (SETs, named prepared
#   statements, session advisory locks);
# - auth_type = trust with the user listed in auth_file (pgbouncer wants
#   every user there even under trust), as the server itself trusts local
#   connections;
# - no TCP listener (listen_addr empty), port 6432 on the socket.
# When run as root, pgbouncer runs as the postgres user (it refuses root).
set -euo pipefail

as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

start() {
    local pgdir=${1:?usage: pgbouncer.sh start PGDIR} dir port=6432
    command -v pgbouncer >/dev/null 2>&1 || [ -x /usr/sbin/pgbouncer ] || {
        echo "pgbouncer.sh: no pgbouncer (apt-get install pgbouncer)" >&2; return 1; }
    local bin
    bin=$(command -v pgbouncer 2>/dev/null || echo /usr/sbin/pgbouncer)
    dir=$(mktemp -d "${TMPDIR:-/tmp}/mdm-pgb.XXXXXX")
    chmod 755 "$dir"
    cat >"$dir/pgbouncer.ini" <<EOF
[databases]
* = host=$pgdir port=5432

[pgbouncer]
listen_addr =
listen_port = $port
unix_socket_dir = $dir
auth_type = trust
auth_file = $dir/userlist.txt
admin_users = postgres
pool_mode = transaction
max_client_conn = 400
default_pool_size = 20
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid
EOF
    echo '"postgres" ""' >"$dir/userlist.txt"
    [ "$(id -u)" -eq 0 ] && chown -R postgres:postgres "$dir"
    as_owner "$bin" -d "$dir/pgbouncer.ini" >"$dir/start.log" 2>&1 || {
        cat "$dir/start.log" "$dir/pgbouncer.log" >&2 2>/dev/null; rm -rf "$dir"; return 1; }
    # -d returns once the daemon forked; wait for its socket.
    for _ in $(seq 1 100); do
        [ -S "$dir/.s.PGSQL.$port" ] && break
        sleep 0.1
    done
    [ -S "$dir/.s.PGSQL.$port" ] || {
        echo "pgbouncer.sh: pgbouncer did not start" >&2; cat "$dir/pgbouncer.log" >&2 2>/dev/null
        stop "$dir"; return 1; }
    echo "export MDM_PGBOUNCER_DIR='$dir'"
    echo "export MDM_PGBOUNCER_DSN='host=$dir port=$port user=postgres dbname=postgres'"
}

stop() {
    local dir=${1:?usage: pgbouncer.sh stop DIR} pid
    [ -f "$dir/pgbouncer.ini" ] || return 0
    if [ -f "$dir/pgbouncer.pid" ]; then
        pid=$(cat "$dir/pgbouncer.pid")
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 1 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -9 "$pid" 2>/dev/null || true
    fi
    rm -rf "$dir"
}

case "${1:-}" in
    start) start "${2:-}" ;;
    stop) stop "${2:-}" ;;
    *) echo "usage: pgbouncer.sh start PGDIR | stop DIR" >&2; exit 2 ;;
esac
