/* SPDX-License-Identifier: MIT */
/*
 * cmp_diff.h - the comparison of one op's results: a cell against the
 * control cell (legacy writes and reads) and, for sqllogictest records,
 * against what the file recorded. Schema (names, types), values by type,
 * row counts, order where the op promises one, errors by kind; each
 * difference keeps the first difference's row, column and both values.
 */
#ifndef MDM_CMP_DIFF_H
#define MDM_CMP_DIFF_H

#include <stdbool.h>
#include <stddef.h>

#include "cmp_result.h"
#include "cmp_script.h"

#define MDM_CMP_NO_OP ((size_t)-1)

typedef struct mdm_cmp_diff {
    size_t op;             /* op index, or MDM_CMP_NO_OP for the whole cell */
    char kind[24];         /* "value", "row_count", "column_type", "error", ... */
    char message[900];     /* the first difference, one line */
    long expect;           /* index of the matching expected entry, or -1 */
    bool reported;         /* a recorded result of another engine (--slt-engine):
                              reported, never fails the run */
} mdm_cmp_diff;

typedef struct mdm_cmp_diffs {
    mdm_cmp_diff *items;
    size_t count;
} mdm_cmp_diffs;

void mdm_cmp_diffs_init(mdm_cmp_diffs *d);
void mdm_cmp_diffs_reset(mdm_cmp_diffs *d);   /* NULL is a no-op */
MDM_NODISCARD mdm_status mdm_cmp_diffs_add(mdm_cmp_diffs *d, size_t op, const char *kind,
                                           const char *message, mdm_error *err);

/* Puts tables that the op does not promise an order for into canonical
 * row order (scenario ops with rowsort). Call once per loaded result. */
MDM_NODISCARD mdm_status mdm_cmp_result_normalize(const mdm_cmp_op *op, mdm_cmp_result *r,
                                                  mdm_error *err);

/* Compares op `i`'s result in cell x with the control's; appends the
 * first difference, and after a column type difference also the first
 * difference among the columns that agree (so an expected type difference
 * cannot hide a value bug elsewhere). Labels name the two sides in
 * messages. Both must have run. */
MDM_NODISCARD mdm_status mdm_cmp_compare_op(const mdm_cmp_script *s, size_t i,
                                            const mdm_cmp_result *ctl, const char *ctl_label,
                                            const mdm_cmp_result *x, const char *x_label,
                                            mdm_cmp_diffs *out, mdm_error *err);

/* sqllogictest: checks op `i`'s result against the file (statement ok or
 * error, recorded values or hash); appends at most one "result" difference. */
MDM_NODISCARD mdm_status mdm_cmp_check_recorded(const mdm_cmp_script *s, size_t i,
                                                const mdm_cmp_result *x, mdm_cmp_diffs *out,
                                                mdm_error *err);

/* sqllogictest labels: queries with the same label must give the same
 * result; appends a "result" difference for each that does not. */
MDM_NODISCARD mdm_status mdm_cmp_check_labels(const mdm_cmp_script *s, const mdm_cmp_result *res,
                                              mdm_cmp_diffs *out, mdm_error *err);

/* One line about a result: "ok, 3 rows", "error not_found: ...". */
void mdm_cmp_result_describe(const mdm_cmp_result *r, char *buf, size_t n);

#endif
