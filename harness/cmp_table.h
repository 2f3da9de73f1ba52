/* SPDX-License-Identifier: MIT */
/*
 * cmp_table.h - table helpers the harness needs on top of core's mdm_table:
 * copying cells and schemas, projecting columns (legacy has no column list
 * on reads), sorting rows into a canonical order (for operations that
 * promise no order) and the deliberate mutations of the harness self-test.
 */
#ifndef MDM_CMP_TABLE_H
#define MDM_CMP_TABLE_H

#include <stddef.h>

#include "mdm_status.h"
#include "mdm_table.h"

/* Adds src's columns (names, types, declared types) to dst, which has none. */
MDM_NODISCARD mdm_status mdm_cmp_table_copy_schema(mdm_table *dst, const mdm_table *src,
                                                   mdm_error *err);

/* Pushes cell (src_col, row) of src into dst's column dst_col (same type). */
MDM_NODISCARD mdm_status mdm_cmp_table_push_cell(mdm_table *dst, size_t dst_col,
                                                 const mdm_table *src, size_t src_col,
                                                 size_t row, mdm_error *err);

/* out = src's columns `names` in that order (NOT_FOUND naming a missing
 * column). out is replaced on success. */
MDM_NODISCARD mdm_status mdm_cmp_table_project(const mdm_table *src, char *const *names,
                                               size_t n, mdm_table *out, mdm_error *err);

/* Sorts src's rows into a canonical order (NULL first, then by value,
 * column by column) in place: equal multisets of rows become equal. */
MDM_NODISCARD mdm_status mdm_cmp_table_sort(mdm_table *t, mdm_error *err);

/* Self-test mutation: TEXT NULLs become '' (a modern that loses NULLs). */
MDM_NODISCARD mdm_status mdm_cmp_table_nulls_as_empty(const mdm_table *src, mdm_table *out,
                                                      mdm_error *err);

/* A table of one TEXT column `name` and the given values. */
MDM_NODISCARD mdm_status mdm_cmp_table_from_strings(const char *name, char *const *values,
                                                    size_t n, mdm_table *out, mdm_error *err);

#endif
