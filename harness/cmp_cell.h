/* SPDX-License-Identifier: MIT */
/*
 * cmp_cell.h - one cell of the matrix: a script run on one backend with a
 * writer and a reader implementation (the same one outside the cross
 * matrix), on fresh databases. mdm_cmp_cell_run() is what the forked child
 * executes; it writes every op's result to the cell's result file.
 */
#ifndef MDM_CMP_CELL_H
#define MDM_CMP_CELL_H

#include "cmp_store.h"
#include "cmp_script.h"

/* Exit codes of the child besides 0. */
#define MDM_CMP_CHILD_SETUP_FAILED 3

typedef struct mdm_cmp_cell_spec {
    const mdm_cmp_script *script;
    mdm_cmp_env env;           /* backend, cell folder, PostgreSQL names */
    const char *writer;        /* "legacy" | "modern" */
    const char *reader;
    const char *result_path;   /* where the results go */
    const char *gen_dir;       /* folder of the generated fixtures (gen:NAME) */
} mdm_cmp_cell_spec;

/* Runs the cell in the calling process (the child); returns its exit
 * code: 0, or MDM_CMP_CHILD_SETUP_FAILED with the reason on stderr. */
int mdm_cmp_cell_run(const mdm_cmp_cell_spec *spec);

/* The cell's name for reports and matchers: "legacy", "modern",
 * "legacy>modern" (legacy writes, modern reads), "modern>legacy". */
void mdm_cmp_cell_name(const char *writer, const char *reader, char *buf, size_t n);

/* The CSV path a CREATE op reads: gen:NAME -> <gen_dir>/NAME.csv, else
 * relative to the script's folder. Appended to out. */
MDM_NODISCARD mdm_status mdm_cmp_source_path(const mdm_cmp_script *s, const mdm_cmp_op *op,
                                             const char *gen_dir, mdm_buf *out, mdm_error *err);

#endif
