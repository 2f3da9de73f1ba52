/* SPDX-License-Identifier: MIT */
/*
 * mdm_tableops.h - two table copies the app needs and core does not offer:
 * a slice of rows (register writes big tables in chunks to report progress)
 * and a projection onto named columns (load --columns over legacy, whose
 * read has no column list).
 */
#ifndef MDM_TABLEOPS_H
#define MDM_TABLEOPS_H

#include <stddef.h>

#include "mdm_status.h"
#include "mdm_table.h"

/* Rows [first, first + n) of src into out (initialised; replaced on
 * success). Column names, types and declared types are kept. */
MDM_NODISCARD mdm_status mdm_app_table_slice(const mdm_table *src, size_t first, size_t n,
                                             mdm_table *out, mdm_error *err);

/* The named columns of src, in the order given, into out (replaced on
 * success). NOT_FOUND "column 'x' not found in table 't'" when one is
 * missing; `table` names the table in that message. */
MDM_NODISCARD mdm_status mdm_app_table_project(const mdm_table *src, const char *table,
                                               const char *const *names, size_t n,
                                               mdm_table *out, mdm_error *err);

#endif
