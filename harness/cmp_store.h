/* SPDX-License-Identifier: MIT */
/*
 * cmp_store.h - a cell's work on the stores the program uses. The harness
 * has no driver of its own: a cell makes a router from settings (as `mdm`
 * does from its config: adapter/mdm_router.h), takes a writer store and a
 * reader store from it (the same one outside the cross matrix), and runs
 * each op of the script on the store whose role it is. So `make compare`
 * certifies the code `mdm` runs: the legacy store's staged-and-swapped
 * writes and inlined parameters, the modern store's pools and chunks.
 */
#ifndef MDM_CMP_STORE_H
#define MDM_CMP_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include "cmp_result.h"
#include "cmp_script.h"
#include "mdm_buf.h"
#include "mdm_router.h"
#include "mdm_status.h"
#include "mdm_table.h"

/* Self-test mutations (hidden --mutate option): faults switched on inside
 * the modern store (MDM_STORE_FAULT_*), never in the harness. */
#define MDM_CMP_MUTATE_NONE 0u
#define MDM_CMP_MUTATE_NULLS_AS_EMPTY MDM_STORE_FAULT_NULLS_AS_EMPTY
#define MDM_CMP_MUTATE_TRAILING_SPACES MDM_STORE_FAULT_TRAILING_SPACES

/* Where a cell's databases live. Borrowed strings. */
typedef struct mdm_cmp_env {
    const char *backend;     /* "sqlite" | "postgresql" */
    const char *cell_dir;    /* temp folder of the cell (SQLite files) */
    const char *pg_dsn;      /* server DSN (MDM_PG_DSN) */
    const char *pg_prefix;   /* database names of this cell: <prefix><dataset> */
    unsigned mutate;         /* MDM_CMP_MUTATE_* */
} mdm_cmp_env;

/* A router for env's backend and server, with the program's defaults for
 * everything else (pools, SQLite options) and env's mutations. */
MDM_NODISCARD mdm_status mdm_cmp_router_new(const mdm_cmp_env *env, mdm_router **out,
                                            mdm_error *err);

/* Dataset location: SQLite "<cell_dir>/<dataset>.sqlite", PostgreSQL the
 * database name "<pg_prefix><dataset>". Appended to out. */
MDM_NODISCARD mdm_status mdm_cmp_dataset_location(const mdm_cmp_env *env, const char *dataset,
                                                  mdm_buf *out, mdm_error *err);

/* Runs op on store s against database db (data: the CSV table of a
 * CREATE, else NULL) into out (its state is set by the caller). DATASET,
 * CLOSE and HALT are the cell's, not the store's. */
void mdm_cmp_store_run(mdm_store *s, const char *db, const mdm_cmp_op *op,
                       const mdm_table *data, mdm_cmp_result *out);

/* Fills out with an error (status and message from err). */
void mdm_cmp_result_set_error(mdm_cmp_result *out, const mdm_error *err);

/* The server's version ("15.4"), or CONNECTION naming why not. */
MDM_NODISCARD mdm_status mdm_cmp_pg_version(const char *dsn, char *buf, size_t n,
                                            mdm_error *err);

#endif
