/* SPDX-License-Identifier: MIT */
/*
 * mdm_conn.h - the caller's API of the modern storage layer: one connection
 * (mdm_conn) and the operations on it, each dispatched through the
 * connection's backend table (mdm_backend.h is for backend writers).
 *
 * Every operation takes the connection it works on; nothing is remembered
 * between calls except what the database itself stores (and a per-connection
 * cache of prepared statements: results are never cached). Identifiers are
 * always quoted and values always bound by the backends.
 */
#ifndef MDM_CONN_H
#define MDM_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mdm_connconfig.h"
#include "mdm_status.h"
#include "mdm_table.h"
#include "mdm_values.h"

typedef struct mdm_conn mdm_conn;                  /* see mdm_backend.h */
typedef struct mdm_backend_ops mdm_backend_ops;   /* see mdm_backend.h */

/* The value types (if_exists, read options, parameters, string lists,
 * table info) are core's: mdm_values.h. */

/* The result of execute_query. `table` has the result columns (zero columns
 * when the statement returns no rows, e.g. DDL or DML without RETURNING);
 * `rows_affected` counts rows inserted, updated or deleted by DML, and is 0
 * for anything else. Caller-owned: init, then reset to free. */
typedef struct mdm_query_result {
    mdm_table table;
    int64_t rows_affected;
    const mdm_row_sink *sink;   /* set by the caller after init (borrowed):
                                   result rows are handed over in chunks
                                   as they come (SQLite steps its statement,
                                   PostgreSQL uses single-row mode) */
} mdm_query_result;

void mdm_query_result_init(mdm_query_result *r);
void mdm_query_result_reset(mdm_query_result *r);   /* NULL is a no-op */

/* Per-connection prepared-statement cache counters. */
typedef struct mdm_stmt_cache_stats {
    uint64_t hits;        /* statements reused from the cache */
    uint64_t misses;      /* statements prepared (and cached when possible) */
    uint64_t evictions;   /* statements dropped to make room */
    size_t size;          /* statements cached now */
    size_t capacity;      /* mdm_conn_config.stmt_cache_size */
} mdm_stmt_cache_stats;

/* ---- Opening and closing without a pool --------------------------------- */

/*
 * mdm_conn_open - opens one connection with the given backend.
 *   ops: borrowed; must outlive the connection (backends' tables are static).
 *   cfg: borrowed for the call only.
 *   out: receives the connection; close it with mdm_conn_close().
 * Returns MDM_OK, INVALID_ARG, CONNECTION (server unreachable, file cannot
 * be opened), CONFIG (bad option value) or NOMEM. Pools call this too.
 */
MDM_NODISCARD mdm_status mdm_conn_open(const mdm_backend_ops *ops,
                                       const mdm_conn_config *cfg,
                                       mdm_conn **out, mdm_error *err);

/* Closes a connection from mdm_conn_open() (never one loaned by a pool:
 * release that instead). An open transaction is rolled back. NULL is a
 * no-op. */
void mdm_conn_close(mdm_conn *c);

/* The backend table and its registered name ("sqlite", ...). Borrowed. */
const mdm_backend_ops *mdm_conn_backend(const mdm_conn *c);
const char *mdm_conn_backend_name(const mdm_conn *c);

/* ---- The operations ----------------------------------------------------- */
/* Each returns MDM_OK or an error kind with err filled (its code and a
 * whole message, also for out-of-memory deep in a backend); err is left
 * alone on success, so it can carry an earlier error through clean-up
 * calls. An optional slot the backend does not provide gives
 * NOT_IMPLEMENTED. A NULL connection or a
 * NULL required pointer gives INVALID_ARG. Identifiers are checked by
 * mdm_sql_check_ident (PostgreSQL: at most 63 bytes, never truncated). */

/*
 * mdm_conn_create_table - stores `data` as table `table`.
 *   data: borrowed; at least one column. Declared types (LEGACY.md 5):
 *         SQLite BIGINT, FLOAT, BOOLEAN (0/1), TEXT, DATETIME (text
 *         "YYYY-MM-DD HH:MM:SS.ffffff"); PostgreSQL BIGINT, DOUBLE
 *         PRECISION, BOOLEAN, TEXT, TIMESTAMP. NULL cells become NULL.
 *   mode: FAIL -> EXISTS if the table exists; REPLACE -> drop, create and
 *         load in one transaction (the old table is intact after any
 *         failure); APPEND -> insert into the existing table by column name
 *         (a column the table lacks is SQL "table X has no column named Y"),
 *         or create it when missing.
 * Runs in its own transaction, or in a savepoint when the caller has one
 * open (mdm_conn_begin). Returns OK, INVALID_ARG, EXISTS, SQL, TYPE,
 * CONSTRAINT, CONNECTION, BUSY, ...
 */
MDM_NODISCARD mdm_status mdm_conn_create_table(mdm_conn *c, const char *table,
                                               const mdm_table *data,
                                               mdm_if_exists mode, mdm_error *err);

/*
 * mdm_conn_read_table - reads a table (or some of its columns) into out.
 *   opts: NULL means MDM_READ_OPTS_INIT (all columns, all rows).
 *   out:  initialised by the caller; replaced on success, untouched on error.
 * Rows come in storage order (no ORDER BY). Column types follow the declared
 * types (each column's decl_type is set): BIGINT/INTEGER -> INT64,
 * FLOAT/REAL/DOUBLE -> FLOAT64, BOOLEAN -> BOOL (SQLite 0/1), DATETIME/
 * TIMESTAMP -> TIMESTAMP, TEXT -> TEXT; a stored value that does not fit the
 * declared type widens the column (INT64 -> FLOAT64, anything -> TEXT).
 * Returns OK, NOT_FOUND (table or column), INVALID_ARG (negative limit),
 * SQL, CONNECTION, NOMEM, ...
 */
MDM_NODISCARD mdm_status mdm_conn_read_table(mdm_conn *c, const char *table,
                                             const mdm_read_opts *opts,
                                             mdm_table *out, mdm_error *err);

/*
 * mdm_conn_execute_query - runs one SQL statement with named parameters.
 *   sql:    one statement; `:name` marks a parameter (on PostgreSQL it is
 *           rewritten to $n outside literals, quoted identifiers, comments
 *           and `::` casts). More than one statement is INVALID_ARG.
 *   params: borrowed, nparams entries (NULL when 0); bound by value.
 *   out:    initialised by the caller; replaced on success.
 * Result columns with a declared type are typed as read_table does;
 * expressions are typed from their values (SQLite) or their SQL type
 * (PostgreSQL). DML commits unless the caller has a transaction open.
 * Returns OK, INVALID_ARG (parameter missing/unused), SQL, NOT_FOUND,
 * CONSTRAINT, TYPE, CONNECTION, ...
 */
MDM_NODISCARD mdm_status mdm_conn_execute_query(mdm_conn *c, const char *sql,
                                                const mdm_param *params,
                                                size_t nparams,
                                                mdm_query_result *out,
                                                mdm_error *err);

/* mdm_conn_table_exists - sets *out. Returns OK, INVALID_ARG, CONNECTION... */
MDM_NODISCARD mdm_status mdm_conn_table_exists(mdm_conn *c, const char *table,
                                               bool *out, mdm_error *err);

/* mdm_conn_list_tables - the user tables (no system tables), sorted by name
 * (byte order). out: initialised by the caller; replaced on success. */
MDM_NODISCARD mdm_status mdm_conn_list_tables(mdm_conn *c, mdm_strlist *out,
                                              mdm_error *err);

/* mdm_conn_table_info - name, columns (declared types) and row count.
 * out: initialised by the caller; replaced on success. NOT_FOUND when the
 * table does not exist. */
MDM_NODISCARD mdm_status mdm_conn_table_info(mdm_conn *c, const char *table,
                                             mdm_table_info *out, mdm_error *err);

/* mdm_conn_drop_table - drops a table. missing_ok: a missing table is OK
 * (else NOT_FOUND). */
MDM_NODISCARD mdm_status mdm_conn_drop_table(mdm_conn *c, const char *table,
                                             bool missing_ok, mdm_error *err);

/* ---- Health and transactions (optional slots) --------------------------- */

/* Checks that the connection still works (a round trip). CONNECTION when it
 * is dead. Pools call this at checkout when pre_ping is on. */
MDM_NODISCARD mdm_status mdm_conn_ping(mdm_conn *c, mdm_error *err);

/* Explicit transactions. While one is open, create_table uses a savepoint
 * and execute_query does not commit. commit/rollback with none open is
 * INVALID_ARG. */
MDM_NODISCARD mdm_status mdm_conn_begin(mdm_conn *c, mdm_error *err);
MDM_NODISCARD mdm_status mdm_conn_commit(mdm_conn *c, mdm_error *err);
MDM_NODISCARD mdm_status mdm_conn_rollback(mdm_conn *c, mdm_error *err);
/* True when a transaction is open (also one opened with BEGIN through
 * execute_query). False when the backend has no transactions. */
bool mdm_conn_in_transaction(mdm_conn *c);

/* Prepared-statement cache counters; NOT_IMPLEMENTED for backends without a
 * cache. */
MDM_NODISCARD mdm_status mdm_conn_stmt_cache_stats(mdm_conn *c,
                                                   mdm_stmt_cache_stats *out,
                                                   mdm_error *err);

/* ---- Database-level operations (no connection: they take the config) ----
 * `name` is what one dataset's database is called: SQLite a file path,
 * PostgreSQL a database name on the server that cfg->dsn reaches
 * (one database per dataset, `mdm_<name>`; quoted, never truncated).
 * cfg is borrowed for the call. NOT_IMPLEMENTED for backends without
 * databases. */
MDM_NODISCARD mdm_status mdm_database_exists(const mdm_backend_ops *ops,
                                             const mdm_conn_config *cfg,
                                             const char *name, bool *out,
                                             mdm_error *err);
/* EXISTS when it already exists. SQLite: creates the file (and applies
 * journal_mode); PostgreSQL: CREATE DATABASE. */
MDM_NODISCARD mdm_status mdm_database_create(const mdm_backend_ops *ops,
                                             const mdm_conn_config *cfg,
                                             const char *name, mdm_error *err);
/* missing_ok: a missing database is OK (else NOT_FOUND). SQLite removes the
 * file and its -wal, -shm and -journal files; PostgreSQL drops the database
 * (WITH (FORCE): other sessions are disconnected). */
MDM_NODISCARD mdm_status mdm_database_drop(const mdm_backend_ops *ops,
                                           const mdm_conn_config *cfg,
                                           const char *name, bool missing_ok,
                                           mdm_error *err);

#endif
