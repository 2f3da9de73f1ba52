/* SPDX-License-Identifier: MIT */
/*
 * mdm_adapter.h - the BackendAdapter: the old storage interface (LEGACY.md
 * section 10: get_engine, create_table_from_dataframe, query, ...) over
 * modern/, so code written against legacy keeps working while it moves.
 *
 * An adapter is a caller-owned object; an "engine" is a connection manager
 * (a pool) for one database path, owned by the adapter. The implementation
 * behind the methods is chosen when the adapter is made: modern (the
 * adaptation), legacy (a pass-through to legacy/, the "legacy path") or
 * shadow (legacy answers, modern is compared; writes go to legacy). Builds
 * without legacy/ (MDM_WITH_LEGACY=0) have only modern.
 */
#ifndef MDM_ADAPTER_H
#define MDM_ADAPTER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "mdm_conf.h"
#include "mdm_conn.h"
#include "mdm_connconfig.h"
#include "mdm_flag.h"
#include "mdm_pool.h"
#include "mdm_registry.h"
#include "mdm_shadow.h"
#include "mdm_status.h"
#include "mdm_table.h"

typedef struct mdm_adapter mdm_adapter;
/* One database: a pool for the modern side, the legacy engine for the
 * legacy side. Owned by the adapter; valid until mdm_adapter_free(). */
typedef struct mdm_adapter_engine mdm_adapter_engine;

#define MDM_ADAPTER_OPTS_VERSION 1

typedef struct mdm_adapter_opts {
    unsigned version;              /* MDM_ADAPTER_OPTS_VERSION */
    const char *backend;           /* "sqlite" (default) or "postgresql" */
    mdm_impl impl;                 /* MDM_IMPL_MODERN by default */
    const mdm_registry *registry;  /* borrowed; NULL: the built-ins */
    /* Template for every engine's connection config: SQLite options, and
     * for PostgreSQL the server's DSN (the engine's database replaces its
     * dbname). backend and path are ignored; path comes from get_engine. */
    mdm_conn_config conn;
    const char *default_path;      /* get_engine(NULL) uses this */
    mdm_pool_opts pool;            /* per engine */
    const char *shadow_log;        /* required for MDM_IMPL_SHADOW */
    /* The old config mapping handed to legacy_backend_configure (legacy
     * and shadow); NULL keeps legacy's defaults. Borrowed for the call. */
    const mdm_conf_node *legacy_config;
    FILE *warn;                    /* deprecation and shadow-log warnings;
                                      NULL: stderr */
    bool deprecation_warning;      /* true (default): get_engine warns once;
                                      false for callers that knowingly
                                      drive the legacy path (the app) */
} mdm_adapter_opts;

#define MDM_ADAPTER_OPTS_INIT                                                    \
    { MDM_ADAPTER_OPTS_VERSION, "sqlite", MDM_IMPL_MODERN, NULL,                 \
      MDM_CONN_CONFIG_INIT, NULL, MDM_POOL_OPTS_INIT, NULL, NULL, NULL, true }

/*
 * mdm_adapter_new - makes an adapter. opts: copied (strings duplicated);
 * NULL means MDM_ADAPTER_OPTS_INIT. Returns OK, INVALID_ARG, CONFIG (unknown
 * backend: the factory's message), UNSUPPORTED (legacy or shadow in a build
 * without legacy/), NOMEM. Free with mdm_adapter_free().
 */
MDM_NODISCARD mdm_status mdm_adapter_new(mdm_adapter **out, const mdm_adapter_opts *opts,
                                         mdm_error *err);
/* Closes every engine and frees the adapter. NULL is a no-op. */
void mdm_adapter_free(mdm_adapter *a);

mdm_impl mdm_adapter_impl(const mdm_adapter *a);
/* How many deprecation warnings this adapter printed (0 or 1). */
int mdm_adapter_deprecation_warnings(const mdm_adapter *a);
/* The shadow runner's counters (all zero unless impl is shadow). */
void mdm_adapter_shadow_stats(const mdm_adapter *a, mdm_shadow_stats *out);

/* ---- The old interface ------------------------------------------------------
 * Messages follow legacy's: "Failed to create table X: ...", "Failed to read
 * table X: ...", "Failed to execute query: ...". Where modern differs from
 * legacy on purpose it is said below (each difference is tested).
 */

/*
 * get_engine(path): the engine for path (SQLite file; PostgreSQL database
 * name or postgresql:// URL), made on first use and checked with one
 * connection. Prints "get_engine() is deprecated ..." once per adapter.
 * Difference: another path gives another engine (legacy silently returned
 * the first one). *out is borrowed.
 */
MDM_NODISCARD mdm_status mdm_adapter_get_engine(mdm_adapter *a, const char *path,
                                                mdm_adapter_engine **out, mdm_error *err);
/* The path the engine was asked for (borrowed). */
const char *mdm_adapter_engine_path(const mdm_adapter_engine *e);

/* create_table_from_dataframe(df, table, engine, if_exists): if_exists NULL
 * is "fail". Difference: "replace" is atomic (legacy dropped first). */
MDM_NODISCARD mdm_status mdm_adapter_create_table_from_dataframe(
    mdm_adapter *a, const mdm_table *df, const char *table, mdm_adapter_engine *engine,
    const char *if_exists, mdm_error *err);

/* query(sql): on the engine most recently returned by get_engine; none:
 * INVALID_ARG "No engine available. Call get_engine() first.". out is
 * replaced on success. */
MDM_NODISCARD mdm_status mdm_adapter_query(mdm_adapter *a, const char *sql, mdm_table *out,
                                           mdm_error *err);

/* read_table_to_dataframe(table, engine, limit): limit NULL or 0 means all
 * rows (the old contract). Differences: no read cache (a write is seen at
 * once), the name is quoted, a negative limit is INVALID_ARG. */
MDM_NODISCARD mdm_status mdm_adapter_read_table_to_dataframe(mdm_adapter *a,
                                                             const char *table,
                                                             mdm_adapter_engine *engine,
                                                             const int64_t *limit,
                                                             mdm_table *out, mdm_error *err);

/* close_connections(): closes every engine's connections; engines stay
 * valid and reconnect when used again. Forgets the current engine.
 * Idempotent. */
void mdm_adapter_close_connections(mdm_adapter *a);

/* get_table_info(table, engine): errors unwrapped; missing is NOT_FOUND.
 * Difference: columns carry name and declared type only. */
MDM_NODISCARD mdm_status mdm_adapter_get_table_info(mdm_adapter *a, const char *table,
                                                    mdm_adapter_engine *engine,
                                                    mdm_table_info *out, mdm_error *err);

/* execute_query(sql, engine): all rows (zero columns when none); DML
 * commits. Never shadowed (it may write). */
MDM_NODISCARD mdm_status mdm_adapter_execute_query(mdm_adapter *a, const char *sql,
                                                   mdm_adapter_engine *engine,
                                                   mdm_table *out, mdm_error *err);

/* table_exists(engine, table): the old argument order, kept. */
MDM_NODISCARD mdm_status mdm_adapter_table_exists(mdm_adapter *a, mdm_adapter_engine *engine,
                                                  const char *table, bool *out,
                                                  mdm_error *err);

/* get_table_names(engine): sorted. out is replaced on success. */
MDM_NODISCARD mdm_status mdm_adapter_get_table_names(mdm_adapter *a,
                                                     mdm_adapter_engine *engine,
                                                     mdm_strlist *out, mdm_error *err);

/* database_exists(path), create_database(path), drop_database(path).
 * drop closes that engine's connections first and a missing database is
 * OK. For PostgreSQL, path is a database name or a postgresql:// URL
 * naming one (the statement then runs on that server's "postgres"
 * database). Differences: SQLite's drop also removes -wal and -shm;
 * PostgreSQL names are quoted; create of an existing database is EXISTS;
 * a NULL path is INVALID_ARG (legacy fell back to its configured path). */
MDM_NODISCARD mdm_status mdm_adapter_database_exists(mdm_adapter *a, const char *path,
                                                     bool *out, mdm_error *err);
MDM_NODISCARD mdm_status mdm_adapter_create_database(mdm_adapter *a, const char *path,
                                                     mdm_error *err);
MDM_NODISCARD mdm_status mdm_adapter_drop_database(mdm_adapter *a, const char *path,
                                                   mdm_error *err);

#endif
