/* SPDX-License-Identifier: MIT */
/*
 * mdm_table_ops.h - copies of tables, built cell by cell through the push
 * API so every invariant of mdm_table holds for the copy: one cell, a
 * schema, a slice of rows (register writes big tables in chunks to report
 * progress), a projection onto named columns (legacy's reads have no column
 * list) and a one-column table of strings (lists of names). The store, the
 * adapter and the harness all use these; there is no second copy.
 */
#ifndef MDM_TABLE_OPS_H
#define MDM_TABLE_OPS_H

#include <stdbool.h>
#include <stddef.h>

#include "mdm_status.h"
#include "mdm_table.h"

/* Pushes cell (src_col, row) of src into dst's column dst_col (same type). */
MDM_NODISCARD mdm_status mdm_table_push_cell(mdm_table *dst, size_t dst_col,
                                             const mdm_table *src, size_t src_col, size_t row,
                                             mdm_error *err);

/* Adds src's columns (names, types, declared types) to dst, which has none. */
MDM_NODISCARD mdm_status mdm_table_copy_schema(mdm_table *dst, const mdm_table *src,
                                               mdm_error *err);

/* Rows [first, first + n) of src into out (initialised; replaced on
 * success). Column names, types and declared types are kept. INVALID_ARG
 * when the range passes the last row. */
MDM_NODISCARD mdm_status mdm_table_slice(const mdm_table *src, size_t first, size_t n,
                                         mdm_table *out, mdm_error *err);

/* The named columns of src, in the order given, into out (replaced on
 * success). NOT_FOUND "column 'x' not found in table 't'" when one is
 * missing (table may be NULL: "column 'x' not found"). */
MDM_NODISCARD mdm_status mdm_table_project(const mdm_table *src, const char *table,
                                           const char *const *names, size_t n, mdm_table *out,
                                           mdm_error *err);

/* A table of one TEXT column `name` holding values[0..n), into out
 * (replaced on success). */
MDM_NODISCARD mdm_status mdm_table_from_strings(const char *name, const char *const *values,
                                                size_t n, mdm_table *out, mdm_error *err);

/* A copy of src whose TEXT NULLs are '' (a self-test's deliberate fault:
 * a writer that loses NULLs), into out (replaced on success). */
MDM_NODISCARD mdm_status mdm_table_nulls_as_empty(const mdm_table *src, mdm_table *out,
                                                  mdm_error *err);

/* Copies of a and b (same column count) with only the columns that agree
 * in name and type, into pa and pb (initialised), so that a type difference
 * (often an expected one) does not hide the values of every other column.
 * False when nothing is left to compare (or none differs, or no memory).
 * The harness and shadow mode both compare the rest this way. */
bool mdm_table_agreeing(const mdm_table *a, const mdm_table *b, mdm_table *pa, mdm_table *pb,
                        mdm_error *err);

#endif
