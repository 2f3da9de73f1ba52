/* SPDX-License-Identifier: MIT */
/*
 * mdm_store_impl.h - adapter-internal: what the router makes the two
 * stores from, and their constructors. Only the router and the stores
 * (and tests of them) include it; it names modern/ types (the connection
 * config), which app/ and harness/ never see.
 */
#ifndef MDM_STORE_IMPL_H
#define MDM_STORE_IMPL_H

#include <stdio.h>

#include "mdm_backend.h"
#include "mdm_conf.h"
#include "mdm_connconfig.h"
#include "mdm_store.h"

/* What both stores are made from, derived by the router from the settings
 * (the server DSN, legacy's old mapping). Borrowed for the call. */
typedef struct mdm_store_cfg {
    const char *backend;               /* "sqlite" or "postgresql" */
    mdm_conn_config conn;              /* SQLite options; PostgreSQL server DSN */
    mdm_pool_opts pool;
    const mdm_conf_node *legacy_config;   /* legacy store: the old mapping */
    FILE *warn;
    unsigned faults;                   /* modern store: MDM_STORE_FAULT_* */
} mdm_store_cfg;

/* The write locks behind db_lock (mdm_store_lock.c): a lock file beside a
 * SQLite database; an advisory lock on the server of `server` (a DSN to
 * its maintenance database). */
MDM_NODISCARD mdm_status mdm_store_lock_file(const char *db, mdm_store_lock **out,
                                             mdm_error *err);
MDM_NODISCARD mdm_status mdm_store_lock_pg(const mdm_backend_ops *ops,
                                           const mdm_conn_config *server, const char *db,
                                           mdm_store_lock **out, mdm_error *err);

MDM_NODISCARD mdm_status mdm_store_modern_new(const mdm_store_cfg *cfg, mdm_store **out,
                                              mdm_error *err);
/* UNSUPPORTED in a build without legacy/. */
MDM_NODISCARD mdm_status mdm_store_legacy_new(const mdm_store_cfg *cfg, mdm_store **out,
                                              mdm_error *err);

#endif
