/* SPDX-License-Identifier: MIT */
/*
 * cmp_driver.h - one implementation as the cell runner sees it: open it
 * for a cell, point it at a dataset, run one op into a result. There are
 * two drivers, legacy (legacy_* calls, the old way of calling them) and
 * modern (mdm_conn_* on a pooled connection from a registry + connmgr).
 */
#ifndef MDM_CMP_DRIVER_H
#define MDM_CMP_DRIVER_H

#include <stdbool.h>
#include <stddef.h>

#include "cmp_result.h"
#include "cmp_script.h"
#include "mdm_buf.h"
#include "mdm_status.h"
#include "mdm_table.h"

/* Self-test mutations of the modern side (hidden --mutate option). */
#define MDM_CMP_MUTATE_NONE 0u
#define MDM_CMP_MUTATE_NULLS_AS_EMPTY 1u

/* Where a cell's databases live. Borrowed strings. */
typedef struct mdm_cmp_env {
    const char *backend;     /* "sqlite" | "postgresql" */
    const char *cell_dir;    /* temp folder of the cell (SQLite files) */
    const char *pg_dsn;      /* server DSN (MDM_PG_DSN) */
    const char *pg_prefix;   /* database names of this cell: <prefix><dataset> */
    unsigned mutate;         /* MDM_CMP_MUTATE_* */
} mdm_cmp_env;

typedef struct mdm_cmp_driver {
    const char *name;        /* "legacy" | "modern" */
    /* Makes the driver's state for a cell (first dataset: "main"). */
    mdm_status (*open)(const mdm_cmp_env *env, void **state, mdm_error *err);
    void (*close)(void *state);
    /* Runs op (data: the CSV table of a CREATE, else NULL) into out (its
     * state is set by the caller). DATASET and CLOSE are ops too. */
    void (*run)(void *state, const mdm_cmp_op *op, const mdm_table *data, mdm_cmp_result *out);
} mdm_cmp_driver;

const mdm_cmp_driver *mdm_cmp_legacy_driver(void);
const mdm_cmp_driver *mdm_cmp_modern_driver(void);
/* By name; NULL when unknown. */
const mdm_cmp_driver *mdm_cmp_driver_find(const char *name);

/* Dataset location: SQLite "<cell_dir>/<dataset>.sqlite", PostgreSQL the
 * database name "<pg_prefix><dataset>". Appended to out. */
MDM_NODISCARD mdm_status mdm_cmp_dataset_location(const mdm_cmp_env *env, const char *dataset,
                                                  mdm_buf *out, mdm_error *err);

/* Fills out with an error (status and message from err). */
void mdm_cmp_result_set_error(mdm_cmp_result *out, const mdm_error *err);

/* info's answer as a table: columns "column" and "type" (TEXT). */
MDM_NODISCARD mdm_status mdm_cmp_info_table(char *const *names, char *const *types, size_t n,
                                            mdm_table *out, mdm_error *err);

/* exists' answer as a one-cell BOOL table "exists". */
MDM_NODISCARD mdm_status mdm_cmp_bool_table(bool v, mdm_table *out, mdm_error *err);

#endif
