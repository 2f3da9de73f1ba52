/* SPDX-License-Identifier: MIT */
/*
 * mdm_store.h - what the DatasetManager needs from one implementation, per
 * database: the modern store (connection managers, mdm_store_modern.c) and
 * the legacy store (the adapter's legacy path, mdm_store_legacy.c) offer
 * the same operations, so routing and shadow runs are written once.
 * `db` is a SQLite file path or a PostgreSQL database name.
 */
#ifndef MDM_STORE_H
#define MDM_STORE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "mdm_conf.h"
#include "mdm_conn.h"
#include "mdm_connconfig.h"
#include "mdm_pool.h"
#include "mdm_status.h"
#include "mdm_table.h"

typedef struct mdm_store mdm_store;
typedef void (*mdm_store_progress)(void *ctx, uint64_t done, uint64_t total);

typedef struct mdm_store_ops {
    const char *name;   /* "modern", "legacy" */
    void (*free)(mdm_store *s);
    mdm_status (*db_exists)(mdm_store *s, const char *db, bool *out, mdm_error *err);
    mdm_status (*db_create)(mdm_store *s, const char *db, mdm_error *err);
    mdm_status (*db_drop)(mdm_store *s, const char *db, mdm_error *err);
    mdm_status (*write)(mdm_store *s, const char *db, const char *table, const mdm_table *t,
                        mdm_if_exists mode, mdm_store_progress fn, void *ctx, mdm_error *err);
    mdm_status (*read)(mdm_store *s, const char *db, const char *table,
                       const mdm_read_opts *o, mdm_table *out, mdm_error *err);
    /* dry: run inside a transaction that is rolled back (shadow candidates) */
    mdm_status (*query)(mdm_store *s, const char *db, const char *sql, const mdm_param *p,
                        size_t n, bool dry, mdm_table *out, mdm_error *err);
    mdm_status (*tables)(mdm_store *s, const char *db, mdm_strlist *out, mdm_error *err);
    mdm_status (*table_info)(mdm_store *s, const char *db, const char *table,
                             mdm_table_info *out, mdm_error *err);
} mdm_store_ops;

struct mdm_store {
    const mdm_store_ops *ops;
};

/* What both stores are made from; strings borrowed for the call. */
typedef struct mdm_store_cfg {
    const char *backend;               /* "sqlite" or "postgresql" */
    mdm_conn_config conn;              /* SQLite options; PostgreSQL server DSN */
    mdm_pool_opts pool;
    const mdm_conf_node *legacy_config;   /* legacy store: the old mapping */
    FILE *warn;
} mdm_store_cfg;

MDM_NODISCARD mdm_status mdm_store_modern_new(const mdm_store_cfg *cfg, mdm_store **out,
                                              mdm_error *err);
/* UNSUPPORTED in a build without legacy/. */
MDM_NODISCARD mdm_status mdm_store_legacy_new(const mdm_store_cfg *cfg, mdm_store **out,
                                              mdm_error *err);

#endif
