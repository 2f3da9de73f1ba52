/* SPDX-License-Identifier: MIT */
/*
 * mdm_adapter_internal.h - the legacy path as a const table of functions
 * (mdm_adapter_legacy.c), called by the legacy store (mdm_store_legacy.c)
 * only. A build without legacy/ gets a NULL table (and no legacy store)
 * instead of empty stand-in functions.
 * Handles are legacy_backend and legacy_engine pointers, opaque here.
 */
#ifndef MDM_ADAPTER_INTERNAL_H
#define MDM_ADAPTER_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "mdm_conf.h"
#include "mdm_conn.h"
#include "mdm_status.h"
#include "mdm_table.h"

typedef struct mdm__legacy_iface {
    /* The process-wide legacy backend for `backend`, configured with cfg
     * when cfg is not NULL. */
    mdm_status (*open)(const char *backend, const mdm_conf_node *cfg, void **out,
                       mdm_error *err);
    mdm_status (*get_engine)(void *b, const char *path, void **out, mdm_error *err);
    mdm_status (*create_table)(void *b, const mdm_table *df, const char *table, void *e,
                               const char *if_exists, mdm_error *err);
    mdm_status (*read_table)(void *b, const char *table, void *e, const int64_t *limit,
                             mdm_table *out, mdm_error *err);
    void (*close_connections)(void *b);
    mdm_status (*table_info)(void *b, const char *table, void *e, mdm_table_info *out,
                             mdm_error *err);
    mdm_status (*execute_query)(void *b, const char *sql, void *e, mdm_table *out,
                                mdm_error *err);
    mdm_status (*table_exists)(void *b, void *e, const char *table, bool *out,
                               mdm_error *err);
    mdm_status (*table_names)(void *b, void *e, mdm_strlist *out, mdm_error *err);
    mdm_status (*database_exists)(void *b, const char *path, bool *out, mdm_error *err);
    mdm_status (*create_database)(void *b, const char *path, mdm_error *err);
    mdm_status (*drop_database)(void *b, const char *path, mdm_error *err);
} mdm__legacy_iface;

/* The legacy path, or NULL in a build without legacy/. */
const mdm__legacy_iface *mdm__adapter_legacy(void);

#endif
