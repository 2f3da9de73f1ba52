/* SPDX-License-Identifier: MIT */
/*
 * legacy_db.h - the old storage interface (LEGACY.md §10), in C.
 *
 * This is the stateful design that mdm shipped before the refactoring: one
 * process-wide backend object per backend type (the singleton), which caches
 * one engine (one open database handle) and a read cache. Every quirk of the
 * original is kept on purpose (see legacy/README.md); the adapter offers the
 * same functions over modern/, and the harness compares the two.
 */
#ifndef LEGACY_DB_H
#define LEGACY_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mdm_buf.h"
#include "mdm_conf.h"
#include "mdm_status.h"
#include "mdm_table.h"

/* ---- Objects ----------------------------------------------------------- */

/* A backend: the per-type process-wide singleton. Owned by legacy/; never
 * freed by callers (legacy_reset_all() resets it). */
typedef struct legacy_backend legacy_backend;

/* An engine: one database (SQLite file or PostgreSQL database) and its
 * handle. Owned by its backend. A pointer stays valid until
 * legacy_reset_all(): after legacy_close_connections() the engine is no
 * longer cached, its handle is closed, and using it again reopens the
 * handle (as a disposed SQLAlchemy engine did). */
typedef struct legacy_engine legacy_engine;

/* ---- Errors (LEGACY.md §8) ---------------------------------------------- */

/*
 * The original raised two exception kinds; here every failure is an
 * mdm_status plus message text in mdm_error, and the kind follows from it:
 *
 * - BACKEND: the factory's `Unsupported backend type: X. Supported
 *   backends: ['sqlite', 'postgresql']` (code MDM_ERR_UNSUPPORTED).
 * - STORAGE: `Failed to create table X: ...`, `Failed to read table X: ...`,
 *   `Failed to execute query: ...`, `No engine available. Call get_engine()
 *   first.`, `PostgreSQL user not configured`, and the database-level
 *   `Failed to create database X: ...` / `Failed to drop database X: ...` /
 *   `Failed to check database X: ...`. The code says what happened
 *   underneath (EXISTS for if_exists=fail, NOT_FOUND for a missing table,
 *   SQL for a syntax error, CONNECTION, CONFIG for a missing user, ...).
 * - DRIVER: an error the original let through unwrapped (get_table_info,
 *   table_exists, get_table_names, get_engine's connection errors): the
 *   driver's own message, code from the SQLSTATE or SQLite result code.
 *
 * Messages from a database are the driver's primary message (sqlite3_errmsg,
 * or PostgreSQL's primary message), without SQLAlchemy's "(sqlite3.
 * OperationalError)" decoration and "[SQL: ...]" trailer.
 */
typedef enum legacy_error_kind {
    LEGACY_ERROR_NONE = 0,   /* err->code == MDM_OK */
    LEGACY_ERROR_STORAGE,
    LEGACY_ERROR_BACKEND,
    LEGACY_ERROR_DRIVER
} legacy_error_kind;

/* Classifies a filled error as above (by code and message prefix). */
legacy_error_kind legacy_error_kind_of(const mdm_error *err);
/* "none", "storage", "backend", "driver". */
const char *legacy_error_kind_name(legacy_error_kind kind);

/* ---- The factory and the singleton -------------------------------------- */

/*
 * Returns the process-wide backend for `type` ("sqlite" or "postgresql"),
 * creating it on first use with an empty configuration. Always the same
 * pointer for the same type until legacy_reset_all(). An unknown type fails
 * with UNSUPPORTED and `Unsupported backend type: X. Supported backends:
 * ['sqlite', 'postgresql']` and returns NULL. Not thread-safe (neither was
 * the original).
 */
legacy_backend *legacy_backend_get(const char *type, mdm_error *err);

/* "sqlite" or "postgresql". */
const char *legacy_backend_type(const legacy_backend *b);

/*
 * The old configuration handling (LEGACY.md §2). `config` is the mapping the
 * original passed to the backend's constructor (borrowed; the values needed
 * are copied). NULL or an empty map resets to the defaults.
 *  - sqlite: a nested `sqlite` mapping is used when present, else the whole
 *    mapping; keys path, journal_mode, synchronous, cache_size, mmap_size,
 *    temp_store, pool.{pool_size,max_overflow,timeout}; and a nested
 *    `database: {path: ...}` is special-cased to find the path.
 *  - postgresql: only the nested `postgresql` mapping: host, port, user,
 *    password, sslmode, database_prefix, pool_size, max_overflow,
 *    pool_timeout, pool_recycle.
 * Values are kept as text and used where the original pasted them (a bad
 * port or PRAGMA value fails at connect time, as it did); only the pool
 * numbers must be numbers (CONFIG otherwise, and the defaults stay). Does
 * not touch the cached engine or the read cache.
 */
MDM_NODISCARD mdm_status legacy_backend_configure(legacy_backend *b,
                                                  const mdm_conf_node *config,
                                                  mdm_error *err);

/* The effective settings after legacy_backend_configure(); strings borrowed
 * from the backend, valid until the next configure or reset. */
typedef struct legacy_settings {
    /* SQLite */
    const char *sqlite_path;     /* path from config (or database.path), or NULL */
    const char *journal_mode;    /* "WAL" */
    const char *synchronous;     /* "NORMAL" */
    const char *cache_size;      /* "-64000" */
    const char *mmap_size;       /* "268435456" */
    const char *temp_store;      /* as configured: "MEMORY" */
    int temp_store_value;        /* DEFAULT/FILE/MEMORY -> 0/1/2; unknown -> 2 */
    /* PostgreSQL */
    const char *host;            /* "localhost"; may be a socket directory */
    const char *port;            /* "5432" */
    const char *user;            /* NULL when not configured */
    const char *password;        /* NULL when none */
    const char *sslmode;         /* "prefer" */
    const char *database_prefix; /* "mdm_" */
    /* Pool settings (kept for fidelity; the C port holds one handle) */
    int pool_size;               /* sqlite 5, postgresql 10 */
    int max_overflow;            /* sqlite 10, postgresql 20 */
    double pool_timeout;         /* 30 s (sqlite `timeout`, pg `pool_timeout`) */
    int pool_recycle;            /* postgresql 3600; sqlite -1 (none) */
} legacy_settings;

void legacy_backend_settings(const legacy_backend *b, legacy_settings *out);

/*
 * The singleton's cleanup (as curl_global_cleanup): closes every engine of
 * every backend (cached and retired), frees the read caches and the
 * configuration, and forgets the backends. Pointers to backends and engines
 * obtained before are invalid afterwards. Tests call it in setup/teardown;
 * the harness runs each cell in its own process instead.
 */
void legacy_reset_all(void);

/* ---- The old interface (LEGACY.md §10) ----------------------------------- */

/*
 * get_engine(path): returns the cached engine, opening it first when the
 * backend has none. A second call with a *different* path returns the first
 * engine, silently (the quirk). `path`: SQLite file path (NULL: the
 * configured path); PostgreSQL: a database name, or a `postgresql://` URL
 * used as is. Like create_engine(), nothing connects yet: the handle opens
 * on first use (SQLite: with the PRAGMAs of LEGACY.md §3), so a bad path or
 * server shows up in that call, wrapped in its message. PostgreSQL without
 * a configured user (and not a URL) fails here: CONFIG, `PostgreSQL user
 * not configured`. *out is borrowed (owned by the backend).
 */
MDM_NODISCARD mdm_status legacy_get_engine(legacy_backend *b, const char *path,
                                           legacy_engine **out, mdm_error *err);

/* The path or URL the engine was opened with (borrowed). */
const char *legacy_engine_url(const legacy_engine *e);

/*
 * create_table_from_dataframe(df, table, engine, if_exists): pandas to_sql
 * with index=False. if_exists NULL means "fail" (the default): an existing
 * table gives EXISTS and `Failed to create table X: Table 'X' already
 * exists.`; "replace" drops, creates, then inserts (not atomic);
 * "append" keeps the existing schema (creating the table when missing).
 * Any other value: INVALID_ARG, `Failed to create table X: 'v' is not valid
 * for if_exists`. Does not touch the read cache.
 */
MDM_NODISCARD mdm_status legacy_create_table_from_dataframe(legacy_backend *b,
                                                            const mdm_table *df,
                                                            const char *table,
                                                            legacy_engine *engine,
                                                            const char *if_exists,
                                                            mdm_error *err);

/*
 * query(sql): runs sql on the cached engine and returns a frame (types
 * inferred from the values, as read_sql_query). No cached engine: STORAGE
 * `No engine available. Call get_engine() first.` (INVALID_ARG). Failures:
 * `Failed to execute query: ...`. `out` is reset first; caller resets it.
 */
MDM_NODISCARD mdm_status legacy_query(legacy_backend *b, const char *sql,
                                      mdm_table *out, mdm_error *err);

/*
 * read_table_to_dataframe(table, engine, limit): `SELECT * FROM <table>`
 * plus ` LIMIT <n>` when limit is given and not 0; names pasted, not
 * quoted. limit NULL means None; a negative limit is pasted too. Results
 * come from the backend's read cache under `table:<table>:<limit|None>`
 * when present (whatever the engine; a copy), and results under 100,000
 * rows are stored there for 300 s. Failures: `Failed to read table X:
 * ...`. `out` is reset first; caller resets it.
 */
MDM_NODISCARD mdm_status legacy_read_table_to_dataframe(legacy_backend *b,
                                                        const char *table,
                                                        legacy_engine *engine,
                                                        const int64_t *limit,
                                                        mdm_table *out,
                                                        mdm_error *err);

/* close_connections(): closes the cached engine's handle and forgets it
 * (the engine object stays valid, see legacy_engine). Idempotent. The read
 * cache is kept. */
void legacy_close_connections(legacy_backend *b);

/* One column as SQLAlchemy's inspector reported it. */
typedef struct legacy_column_info {
    char *name;           /* owned */
    char *type;           /* declared type as SQLAlchemy named it, upper
                             case: SQLite as declared ("BIGINT", "FLOAT",
                             "DATETIME"); PostgreSQL "BIGINT", "DOUBLE
                             PRECISION", "TIMESTAMP", ...; owned */
    bool nullable;
    char *default_value;  /* owned; NULL when none */
    bool primary_key;
} legacy_column_info;

typedef struct legacy_table_info {
    char *name;                   /* owned: the table name as given */
    legacy_column_info *columns;  /* column_count entries, owned */
    size_t column_count;
    int64_t row_count;            /* SELECT COUNT(*) FROM <table>, pasted */
} legacy_table_info;

void legacy_table_info_init(legacy_table_info *info);
void legacy_table_info_reset(legacy_table_info *info);   /* NULL is a no-op */

/* get_table_info(table, engine): columns, row count, column count. Errors
 * are not wrapped (DRIVER kind); a missing table is NOT_FOUND. */
MDM_NODISCARD mdm_status legacy_get_table_info(legacy_backend *b, const char *table,
                                               legacy_engine *engine,
                                               legacy_table_info *out,
                                               mdm_error *err);

/* execute_query(sql, engine): runs sql, returns all rows as a frame (zero
 * columns when the statement returns none); DML commits. Failures:
 * `Failed to execute query: ...`. `out` is reset first. */
MDM_NODISCARD mdm_status legacy_execute_query(legacy_backend *b, const char *sql,
                                              legacy_engine *engine,
                                              mdm_table *out, mdm_error *err);

/* table_exists(engine, table): arguments in the reverse order of every
 * other method (the quirk). Exact name match as the inspector lists it. */
MDM_NODISCARD mdm_status legacy_table_exists(legacy_backend *b, legacy_engine *engine,
                                             const char *table, bool *out,
                                             mdm_error *err);

/* A list of owned strings. */
typedef struct legacy_names {
    char **items;
    size_t count;
} legacy_names;

void legacy_names_init(legacy_names *n);
void legacy_names_reset(legacy_names *n);   /* NULL is a no-op */

/* get_table_names(engine): tables in the database, sorted by name (as the
 * inspector returned them). `out` is reset first. */
MDM_NODISCARD mdm_status legacy_get_table_names(legacy_backend *b, legacy_engine *engine,
                                                legacy_names *out, mdm_error *err);

/* database_exists(path): SQLite: the file exists. PostgreSQL: a database of
 * that name (or the URL's database) exists on the server. */
MDM_NODISCARD mdm_status legacy_database_exists(legacy_backend *b, const char *path,
                                                bool *out, mdm_error *err);

/* create_database(path): SQLite: creates the parent folders and an empty
 * database file. PostgreSQL: `CREATE DATABASE <name>`, unquoted. */
MDM_NODISCARD mdm_status legacy_create_database(legacy_backend *b, const char *path,
                                                mdm_error *err);

/* drop_database(path): SQLite: deletes the main file only (the -wal and
 * -shm files stay). PostgreSQL: `DROP DATABASE IF EXISTS <name>`. Does not
 * close the cached engine. */
MDM_NODISCARD mdm_status legacy_drop_database(legacy_backend *b, const char *path,
                                              mdm_error *err);

/*
 * PostgreSQL's _build_connection_string(database): `postgresql://user[:
 * password]@host:port/<database>?sslmode=<mode>`, user and password pasted
 * unescaped (a host that is a socket directory is percent-encoded so libpq
 * can use it). database NULL means the admin database `postgres`. No user:
 * CONFIG, `PostgreSQL user not configured`. Appended to `out`. A SQLite
 * backend gives INVALID_ARG.
 */
MDM_NODISCARD mdm_status legacy_build_connection_string(legacy_backend *b,
                                                        const char *database,
                                                        mdm_buf *out, mdm_error *err);

/* ---- Names and paths (LEGACY.md §9) ------------------------------------- */

#define LEGACY_DATASET_NAME_MAX 100

/*
 * Normalises a dataset name: lowercase, '-' becomes '_'; then only
 * [a-z0-9_] and 1..100 characters are accepted (INVALID_ARG otherwise).
 * `out` needs LEGACY_DATASET_NAME_MAX + 1 bytes.
 */
MDM_NODISCARD mdm_status legacy_normalize_dataset_name(const char *name, char *out,
                                                       mdm_error *err);

/* The mdm home: `MDM_HOME`, else `$HOME/.mdm`. Appended to `out`. */
MDM_NODISCARD mdm_status legacy_home(mdm_buf *out, mdm_error *err);

/*
 * get_database_path(dataset, home): SQLite `<home>/datasets/<name>/
 * dataset.sqlite` (home NULL: legacy_home()); PostgreSQL
 * `<database_prefix><name>` (home ignored). The name is normalised first.
 * Appended to `out`.
 */
MDM_NODISCARD mdm_status legacy_get_database_path(legacy_backend *b,
                                                  const char *dataset,
                                                  const char *home, mdm_buf *out,
                                                  mdm_error *err);

/* ---- Read cache (LEGACY.md §6), for tests and reports -------------------- */

typedef struct legacy_cache_stats {
    size_t entries;
    size_t bytes;      /* estimated size of the cached frames */
    uint64_t hits;
    uint64_t misses;
    uint64_t evictions;
} legacy_cache_stats;

void legacy_backend_cache_stats(const legacy_backend *b, legacy_cache_stats *out);

/* Replaces the clock the cache uses for its 300 s expiry (seconds, any
 * epoch); NULL restores the monotonic clock, and so does
 * legacy_reset_all(). For tests. */
void legacy_set_clock(double (*now)(void));

#endif
