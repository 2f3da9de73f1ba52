/* SPDX-License-Identifier: MIT */
/*
 * cmp_slt.h - sqllogictest results: turning a result table into the
 * format's value list (type string I/R/T, NULL, (empty), nosort/rowsort/
 * valuesort), hashing it with MD5, and checking it against the values or
 * hash recorded in the file. The parser itself is mdm_cmp_slt_parse().
 */
#ifndef MDM_CMP_SLT_H
#define MDM_CMP_SLT_H

#include <stdbool.h>
#include <stddef.h>

#include "cmp_script.h"
#include "mdm_sql.h"
#include "mdm_table.h"

/* A formatted result: values in result order (rows * ncols entries). */
typedef struct mdm_cmp_slt_values {
    char **items;          /* owned */
    size_t count;
    size_t ncols;
} mdm_cmp_slt_values;

void mdm_cmp_slt_values_init(mdm_cmp_slt_values *v);
void mdm_cmp_slt_values_reset(mdm_cmp_slt_values *v);   /* NULL is a no-op */

/* Formats t by the op's type string (missing letters format as T) and
 * sorts by the op's sort mode. out is replaced. */
MDM_NODISCARD mdm_status mdm_cmp_slt_format(const mdm_cmp_op *op, const mdm_table *t,
                                            mdm_cmp_slt_values *out, mdm_error *err);

/* One REAL as the reference runner prints it: "%.3f" through the SQLite
 * printf of its time (16 significant digits, then zeros; NaN, Inf). */
void mdm_cmp_slt_format_real(double v, char *buf, size_t n);

/* MD5 of every value followed by "\n" (sqllogictest's hash). */
void mdm_cmp_slt_hash(const mdm_cmp_slt_values *v, char hex[33]);

/* Checks v against what the op recorded (values or "N values hashing to
 * H", and the column count of the type string). True when it matches or
 * nothing was recorded; otherwise writes the first difference to msg. */
bool mdm_cmp_slt_check(const mdm_cmp_op *op, const mdm_cmp_slt_values *v, char *msg, size_t n);

/* Compares two formatted results; on a difference writes "row r, column c:
 * 'x' vs 'y'" (or the count) to msg and returns false. */
bool mdm_cmp_slt_equal(const mdm_cmp_slt_values *a, const mdm_cmp_slt_values *b, char *msg,
                       size_t n);

#endif
