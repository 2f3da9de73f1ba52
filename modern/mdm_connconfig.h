/* SPDX-License-Identifier: MIT */
/*
 * mdm_connconfig.h - ConnectionConfig: what a backend needs to open one
 * connection (backend name, SQLite file and PRAGMAs, PostgreSQL conninfo).
 *
 * A caller-owned plain struct of borrowed strings, filled with
 * MDM_CONN_CONFIG_INIT and then edited. Whoever keeps a config past the call
 * it was given to (the pool, the connection manager) takes a deep copy with
 * mdm_conn_config_dup(), so the caller's strings need only live for the call.
 */
#ifndef MDM_CONNCONFIG_H
#define MDM_CONNCONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "mdm_status.h"

#define MDM_CONN_CONFIG_VERSION 1

/*
 * SQLite settings applied to every new connection (the defaults are the
 * ones legacy applied, LEGACY.md section 3). A NULL string leaves SQLite's
 * own default in place; a negative number likewise.
 */
typedef struct mdm_sqlite_opts {
    const char *journal_mode;   /* "WAL" (PRAGMA journal_mode) */
    const char *synchronous;    /* "NORMAL" (OFF, NORMAL, FULL, EXTRA) */
    int busy_timeout_ms;        /* 5000 (sqlite3_busy_timeout) */
    int64_t cache_size;         /* -64000 (KiB when negative) */
    int64_t mmap_size;          /* 268435456 */
    const char *temp_store;     /* "MEMORY" (DEFAULT, FILE, MEMORY) */
    bool create;                /* true: create the file if missing */
    bool read_only;             /* false: open read-write */
    bool reader;                /* false. true: the connection only reads (a
                                   store's read pool): journal_mode is left as
                                   the file has it, and a file it cannot read
                                   without writing beside it (the -wal and -shm
                                   of a WAL file in a folder the user cannot
                                   write, or on a full disk) is opened again
                                   immutable when no -wal holds changes
                                   (sqlite_backend.c) */
    bool guard;                 /* false. true: execute_query refuses what
                                   mdm_sql_check_sqlite_query() refuses (ATTACH,
                                   DETACH, VACUUM, PRAGMAs that set), through an
                                   authorizer: UNSUPPORTED */
} mdm_sqlite_opts;

typedef struct mdm_conn_config {
    unsigned version;           /* MDM_CONN_CONFIG_VERSION */
    const char *backend;        /* registry name: "sqlite", "postgresql", ... */
    /* SQLite (and file-based backends): database file, ":memory:" or a
     * "file:" URI. Every pooled connection opens the same path. */
    const char *path;
    mdm_sqlite_opts sqlite;
    /* PostgreSQL: a libpq conninfo string ("host=... dbname=...") or URI
     * ("postgresql://..."); NULL or "" uses the PG* environment variables. */
    const char *dsn;
    /* PostgreSQL: schema used for everything (search_path) when datasets
     * live one schema per dataset; NULL uses the server default. The
     * schema must exist. */
    const char *pg_schema;
    int connect_timeout_s;      /* 10; 0 waits forever (PostgreSQL) */
    /* Prepared statements cached per connection (SQLite and PostgreSQL);
     * 0 disables the cache. Results are never cached. */
    int stmt_cache_size;        /* 64 */
} mdm_conn_config;

#define MDM_SQLITE_OPTS_INIT \
    { "WAL", "NORMAL", 5000, -64000, 268435456, "MEMORY", true, false, false, false }

#define MDM_CONN_CONFIG_INIT \
    { MDM_CONN_CONFIG_VERSION, NULL, NULL, MDM_SQLITE_OPTS_INIT, NULL, NULL, 10, 64 }

/*
 * mdm_conn_config_dup - deep copy of a config (every string duplicated).
 *   src: borrowed; must have version MDM_CONN_CONFIG_VERSION.
 *   out: receives a new config; caller frees with mdm_conn_config_free().
 * Returns MDM_OK, INVALID_ARG (NULL src or wrong version) or NOMEM.
 */
MDM_NODISCARD mdm_status mdm_conn_config_dup(const mdm_conn_config *src,
                                             mdm_conn_config **out,
                                             mdm_error *err);

/* Frees a config made by mdm_conn_config_dup(). NULL is a no-op. */
void mdm_conn_config_free(mdm_conn_config *cfg);

#endif
