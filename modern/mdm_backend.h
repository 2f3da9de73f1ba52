/* SPDX-License-Identifier: MIT */
/*
 * mdm_backend.h - the implementer's API: what a storage backend provides.
 *
 * A backend is one const table of function pointers (mdm_backend_ops) and a
 * connection struct that embeds `struct mdm_conn` as its first member. The
 * table is versioned; required slots must be set, optional ones may be NULL
 * (the mdm_conn_* wrappers then return NOT_IMPLEMENTED). A backend keeps no
 * state outside its connections. Callers use mdm_conn.h instead.
 */
#ifndef MDM_BACKEND_H
#define MDM_BACKEND_H

#include <stdbool.h>
#include <stdint.h>

#include "mdm_conn.h"
#include "mdm_connconfig.h"
#include "mdm_sql.h"
#include "mdm_status.h"
#include "mdm_table.h"

#define MDM_BACKEND_OPS_VERSION 1

/* Capability flags (mdm_backend_ops.caps); the conformance suite reads them
 * the way ADBC's validation suite reads DriverQuirks. */
#define MDM_CAP_SQL          0x1u  /* execute_query runs real SQL */
#define MDM_CAP_TRANSACTIONS 0x2u  /* begin/commit/rollback/in_transaction */
#define MDM_CAP_DATABASES    0x4u  /* database_exists/create/drop */
#define MDM_CAP_STMT_CACHE   0x8u  /* stmt_cache_stats */
#define MDM_CAP_PERSISTENT   0x10u /* data outlives the connection */

struct mdm_backend_ops {
    unsigned version;              /* MDM_BACKEND_OPS_VERSION */
    const char *name;              /* default registry name, e.g. "sqlite" */
    unsigned caps;                 /* MDM_CAP_* */

    /* ---- required ---- */

    /* Opens a connection. *out must be allocated zeroed (calloc) with
     * (*out)->ops set to this table; the pool owns the other base fields.
     * cfg is borrowed for the call only. */
    mdm_status (*connect)(const mdm_conn_config *cfg, mdm_conn **out,
                          mdm_error *err);
    /* Closes and frees; rolls back an open transaction. Never fails. */
    void (*disconnect)(mdm_conn *c);

    mdm_status (*create_table)(mdm_conn *c, const char *table,
                               const mdm_table *data, mdm_if_exists mode,
                               mdm_error *err);
    /* opts is never NULL here (the wrapper substitutes the defaults and
     * checks the limit); out is freshly initialised and empty. */
    mdm_status (*read_table)(mdm_conn *c, const char *table,
                             const mdm_read_opts *opts, mdm_table *out,
                             mdm_error *err);
    /* out is freshly initialised (rows_affected 0). */
    mdm_status (*execute_query)(mdm_conn *c, const char *sql,
                                const mdm_param *params, size_t nparams,
                                mdm_query_result *out, mdm_error *err);
    mdm_status (*table_exists)(mdm_conn *c, const char *table, bool *out,
                               mdm_error *err);
    /* out is freshly initialised; the wrapper sorts it. */
    mdm_status (*list_tables)(mdm_conn *c, mdm_strlist *out, mdm_error *err);
    /* out is freshly initialised. */
    mdm_status (*table_info)(mdm_conn *c, const char *table,
                             mdm_table_info *out, mdm_error *err);
    mdm_status (*drop_table)(mdm_conn *c, const char *table, bool missing_ok,
                             mdm_error *err);

    /* ---- optional (NULL allowed) ---- */

    /* A cheap round trip; CONNECTION when the connection is dead. */
    mdm_status (*ping)(mdm_conn *c, mdm_error *err);
    mdm_status (*begin)(mdm_conn *c, mdm_error *err);
    mdm_status (*commit)(mdm_conn *c, mdm_error *err);
    mdm_status (*rollback)(mdm_conn *c, mdm_error *err);
    bool (*in_transaction)(mdm_conn *c);
    mdm_status (*stmt_cache_stats)(mdm_conn *c, mdm_stmt_cache_stats *out,
                                   mdm_error *err);

    /* Database-level operations: no connection, the config reaches the
     * server (see mdm_database_exists in mdm_conn.h). */
    mdm_status (*database_exists)(const mdm_conn_config *cfg, const char *name,
                                  bool *out, mdm_error *err);
    mdm_status (*create_database)(const mdm_conn_config *cfg, const char *name,
                                  mdm_error *err);
    mdm_status (*drop_database)(const mdm_conn_config *cfg, const char *name,
                                bool missing_ok, mdm_error *err);
};

/*
 * The base every backend connection embeds first:
 *     typedef struct my_conn { struct mdm_conn base; ... } my_conn;
 * Backends set `ops` and leave the rest zeroed; the pool fields are the
 * pool's alone (which pool loaned it, when it was opened, whether it is
 * out) and let release() refuse a stranger or a double release.
 */
struct mdm_conn {
    const mdm_backend_ops *ops;
    void *pool;                /* owning mdm_pool, or NULL */
    int64_t pool_opened_ns;    /* mdm_clock_now_ns() when opened by the pool */
    bool pool_out;             /* loaned out right now */
};

/*
 * mdm_backend_ops_check - checks a table before it is registered: non-NULL,
 * version MDM_BACKEND_OPS_VERSION, a non-empty name and every required slot
 * set; a cap flag whose slots are missing is also refused.
 * Returns MDM_OK or INVALID_ARG naming the first problem ("backend 'x':
 * required slot 'read_table' is NULL").
 */
MDM_NODISCARD mdm_status mdm_backend_ops_check(const mdm_backend_ops *ops,
                                               mdm_error *err);

/* The built-in backends: each file exports exactly one function. */
const mdm_backend_ops *mdm_sqlite_backend(void);
const mdm_backend_ops *mdm_pg_backend(void);

#endif
