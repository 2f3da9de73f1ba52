#!/usr/bin/env bash
# reset.sh - hyperfine's --prepare step for `make bench` (ci/bench.sh): puts
# the target of a register benchmark back into its empty state before each
# timed run, so every run does the same work. Never timed.
#
#   reset.sh mdm MDM HOME CONFIG IMPL NAME   `mdm remove NAME` (a missing
#                                            dataset is fine), then removes
#                                            HOME/datasets/NAME
#   reset.sh sqlite-typed DB                 a new DB with the typed table train
#   reset.sh sqlite-none DB                  no DB at all
#   reset.sh pg-typed DSN DBNAME             a new database DBNAME with the
#                                            typed table train
#   reset.sh pg-none DSN DBNAME              a new, empty database DBNAME
#   reset.sh pg-drop DSN DBNAME              no database DBNAME
#   reset.sh pg-load DSN DBNAME CSV          (timed, not a reset) what `mdm
#                                            register` does, with psql: a new
#                                            database, the typed table, \copy
#
# The typed table has the column types mdm gives the generated CSV (see
# mdm-gencsv): SQLite BIGINT, FLOAT, BOOLEAN, TEXT, DATETIME; PostgreSQL
# BIGINT, DOUBLE PRECISION, BOOLEAN, TEXT, TIMESTAMP.
set -euo pipefail

SQLITE_TABLE='CREATE TABLE train (id BIGINT, big BIGINT, x FLOAT, y FLOAT, category TEXT, text TEXT, flag BOOLEAN, ts DATETIME)'
PG_TABLE='CREATE TABLE train (id BIGINT, big BIGINT, x DOUBLE PRECISION, y DOUBLE PRECISION, category TEXT, text TEXT, flag BOOLEAN, ts TIMESTAMP)'

rm_sqlite() {
    rm -f "$1" "$1-wal" "$1-shm" "$1-journal"
}

# pg_recreate DSN DBNAME: drops DBNAME (disconnecting anyone) and creates it.
pg_recreate() {
    local dsn=$1 db=$2
    psql -X -q -v ON_ERROR_STOP=1 -d "$dsn" -c "SET client_min_messages TO warning" \
         -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" \
         -c "CREATE DATABASE \"$db\"" >/dev/null
}

case "${1:-}" in
    mdm)
        [ $# -eq 6 ] || { echo "usage: reset.sh mdm MDM HOME CONFIG IMPL NAME" >&2; exit 2; }
        mdm=$2 home=$3 config=$4 impl=$5 name=$6
        args=(--home "$home" --impl "$impl")
        [ -n "$config" ] && args+=(--config "$config")
        "$mdm" "${args[@]}" remove "$name" >/dev/null 2>&1 || true
        rm -rf "${home:?}/datasets/$name"
        ;;
    sqlite-typed)
        rm_sqlite "$2"
        sqlite3 "$2" "$SQLITE_TABLE"
        ;;
    sqlite-none)
        rm_sqlite "$2"
        ;;
    pg-typed)
        pg_recreate "$2" "$3"
        psql -X -q -v ON_ERROR_STOP=1 -d "$2 dbname=$3" -c "$PG_TABLE" >/dev/null
        ;;
    pg-none)
        pg_recreate "$2" "$3"
        ;;
    pg-drop)
        psql -X -q -v ON_ERROR_STOP=1 -d "$2" -c "SET client_min_messages TO warning" \
             -c "DROP DATABASE IF EXISTS \"$3\" WITH (FORCE)" >/dev/null
        ;;
    pg-load)
        psql -X -q -v ON_ERROR_STOP=1 -d "$2" -c "CREATE DATABASE \"$3\"" >/dev/null
        psql -X -q -v ON_ERROR_STOP=1 -d "$2 dbname=$3" -c "$PG_TABLE" \
             -c "\\copy train FROM '$4' WITH (FORMAT csv, HEADER true)" >/dev/null
        ;;
    *)
        echo "usage: reset.sh mdm|sqlite-typed|sqlite-none|pg-typed|pg-none|pg-drop|pg-load ARGS..." >&2
        exit 2
        ;;
esac
