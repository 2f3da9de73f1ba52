/* SPDX-License-Identifier: MIT */
/*
 * mdm_adapter.h - the BackendAdapter: the old storage interface (LEGACY.md
 * section 10: get_engine, create_table_from_dataframe, query, ...) over
 * modern/, so code written against legacy keeps working while it moves.
 *
 * A thin layer over the router (mdm_router.h) and its stores: an adapter
 * owns one router, made from its options, and an "engine" is just the
 * database it names. Each call asks the router for the route of its
 * operation (a read or a write, the engine's database being the dataset)
 * and calls that store; reads run through mdm_router_run_read, so shadow
 * runs are the router's. impl sets the router's flag: modern, legacy or
 * shadow (legacy answers reads and modern is compared; writes go to
 * legacy), each at 100 %. Builds without legacy/ (MDM_WITH_LEGACY=0) have
 * only modern.
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
#include "mdm_shadow.h"
#include "mdm_status.h"
#include "mdm_table.h"

typedef struct mdm_adapter mdm_adapter;
/* One database, by name: no connection of its own (the stores hold them).
 * Owned by the adapter; valid until mdm_adapter_free(). */
typedef struct mdm_adapter_engine mdm_adapter_engine;

#define MDM_ADAPTER_OPTS_VERSION 2

typedef struct mdm_adapter_opts {
    unsigned version;              /* MDM_ADAPTER_OPTS_VERSION */
    const char *backend;           /* "sqlite" (default) or "postgresql" */
    mdm_impl impl;                 /* MDM_IMPL_MODERN by default */
    /* Template for every engine's connection config: SQLite options, and
     * for PostgreSQL the server's DSN (the engine's database replaces its
     * dbname). backend and path are ignored; path comes from get_engine. */
    mdm_conn_config conn;
    const char *default_path;      /* get_engine(NULL) uses this */
    mdm_pool_opts pool;            /* the modern store's, per database */
    const char *shadow_log;        /* required for MDM_IMPL_SHADOW */
    FILE *warn;                    /* deprecation and shadow-log warnings;
                                      NULL: stderr */
    bool deprecation_warning;      /* true (default): get_engine warns once;
                                      false for callers that knowingly
                                      drive the legacy path (the app) */
    /* Version 2: the rollout's evidence, as `mdm` records it. */
    const char *evidence;          /* shadow runs are counted in this evidence
                                      file (mdm_evidence.h); NULL: not counted */
    const char *expected;          /* the expected-differences list they are
                                      matched against; NULL: none */
    bool shadow_writes;            /* with impl shadow: writes are shadowed too
                                      (mdm_router_run_write); false (default):
                                      legacy alone writes, as before */
} mdm_adapter_opts;

#define MDM_ADAPTER_OPTS_INIT                                                    \
    { MDM_ADAPTER_OPTS_VERSION, "sqlite", MDM_IMPL_MODERN, MDM_CONN_CONFIG_INIT, \
      NULL, MDM_POOL_OPTS_INIT, NULL, NULL, true, NULL, NULL, false }

/*
 * mdm_adapter_new - makes an adapter. opts: copied (strings duplicated);
 * NULL means MDM_ADAPTER_OPTS_INIT. The stores impl needs are made at once
 * (legacy's old mapping is derived by the router from conn). Returns OK,
 * INVALID_ARG (also shadow without a log), CONFIG (unknown backend),
 * UNSUPPORTED (legacy or shadow in a build without legacy/; a backend
 * legacy does not know), NOMEM. Free with mdm_adapter_free().
 */
MDM_NODISCARD mdm_status mdm_adapter_new(mdm_adapter **out, const mdm_adapter_opts *opts,
                                         mdm_error *err);
/* Frees the router (every store and connection) and the adapter. NULL is
 * a no-op. */
void mdm_adapter_free(mdm_adapter *a);

mdm_impl mdm_adapter_impl(const mdm_adapter *a);
/* How many deprecation warnings this adapter printed (0 or 1). */
int mdm_adapter_deprecation_warnings(const mdm_adapter *a);
/* The router's shadow counters (all zero unless impl is shadow). */
void mdm_adapter_shadow_stats(const mdm_adapter *a, mdm_shadow_stats *out);

/* ---- The old interface ------------------------------------------------------
 * Messages follow legacy's: "Failed to create table X: ...", "Failed to read
 * table X: ...", "Failed to execute query: ...". Both implementations are
 * the stores' (mdm_store.h), so what the stores promise holds for both:
 * writes are atomic, names are quoted, one statement per query.
 */

/*
 * get_engine(path): the engine for path (SQLite file; PostgreSQL database
 * name or postgresql:// URL naming one on the configured server), checked
 * with the write route's store: a missing SQLite file is made (as opening
 * it did), a missing PostgreSQL database is NOT_FOUND. Prints
 * "get_engine() is deprecated ..." once per adapter. Another path gives
 * another engine (legacy's singleton silently returned the first one).
 * *out is borrowed.
 */
MDM_NODISCARD mdm_status mdm_adapter_get_engine(mdm_adapter *a, const char *path,
                                                mdm_adapter_engine **out, mdm_error *err);
/* The path the engine was asked for (borrowed). */
const char *mdm_adapter_engine_path(const mdm_adapter_engine *e);

/* create_table_from_dataframe(df, table, engine, if_exists): if_exists NULL
 * is "fail". "replace" is atomic (the legacy store stages and swaps). */
MDM_NODISCARD mdm_status mdm_adapter_create_table_from_dataframe(
    mdm_adapter *a, const mdm_table *df, const char *table, mdm_adapter_engine *engine,
    const char *if_exists, mdm_error *err);

/* query(sql): on the engine most recently returned by get_engine; none:
 * INVALID_ARG "No engine available. Call get_engine() first.". out is
 * replaced on success. */
MDM_NODISCARD mdm_status mdm_adapter_query(mdm_adapter *a, const char *sql, mdm_table *out,
                                           mdm_error *err);

/* read_table_to_dataframe(table, engine, limit): limit NULL or 0 means all
 * rows (the old contract); a negative limit is INVALID_ARG. */
MDM_NODISCARD mdm_status mdm_adapter_read_table_to_dataframe(mdm_adapter *a,
                                                             const char *table,
                                                             mdm_adapter_engine *engine,
                                                             const int64_t *limit,
                                                             mdm_table *out, mdm_error *err);

/* close_connections(): frees the router's stores, closing every
 * connection; engines stay valid and reconnect when used again. Forgets
 * the current engine. Idempotent. */
void mdm_adapter_close_connections(mdm_adapter *a);

/* get_table_info(table, engine): errors unwrapped; missing is NOT_FOUND. */
MDM_NODISCARD mdm_status mdm_adapter_get_table_info(mdm_adapter *a, const char *table,
                                                    mdm_adapter_engine *engine,
                                                    mdm_table_info *out, mdm_error *err);

/* execute_query(sql, engine): all rows (zero columns when none); DML
 * commits. Routed as a write, never shadowed (it may write). */
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
 * Routed as writes. drop closes the store's connections to it first and
 * a missing database is OK; SQLite's drop also removes -wal and -shm. For
 * PostgreSQL, path is a database name or a postgresql:// URL naming one on
 * the configured server. Create of an existing database is EXISTS; a NULL
 * path is INVALID_ARG (legacy fell back to its configured path). */
MDM_NODISCARD mdm_status mdm_adapter_database_exists(mdm_adapter *a, const char *path,
                                                     bool *out, mdm_error *err);
MDM_NODISCARD mdm_status mdm_adapter_create_database(mdm_adapter *a, const char *path,
                                                     mdm_error *err);
MDM_NODISCARD mdm_status mdm_adapter_drop_database(mdm_adapter *a, const char *path,
                                                   mdm_error *err);

#endif
