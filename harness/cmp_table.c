/* SPDX-License-Identifier: MIT */
/*
 * cmp_table.c - canonically sorting tables for the comparison. Copies go
 * through core (mdm_table_ops.h), so the tables built here obey the same
 * invariants as any other.
 */
#include "cmp_table.h"
#include "mdm_table_ops.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Copies the rows of src listed in order[0..n) (column map: dst col i is
 * src col map[i]) into dst, which has the schema already. */
static mdm_status copy_rows(mdm_table *dst, const mdm_table *src, const size_t *map,
                            const size_t *order, size_t n, mdm_error *err)
{
    mdm_status rc = mdm_table_reserve(dst, n, 0, err);
    for (size_t i = 0; i < n && rc == MDM_OK; i++) {
        size_t r = order ? order[i] : i;
        for (size_t c = 0; c < dst->ncols && rc == MDM_OK; c++)
            rc = mdm_table_push_cell(dst, c, src, map ? map[c] : c, r, err);
        if (rc == MDM_OK)
            rc = mdm_table_end_row(dst, err);
    }
    return rc;
}

static int cmp_double(double a, double b)
{
    if (isnan(a) || isnan(b))
        return isnan(a) - isnan(b);
    if (a != b)
        return a < b ? -1 : 1;
    return signbit(b) - signbit(a);   /* -0.0 before 0.0 */
}

static int cmp_cell(const mdm_table *t, size_t c, size_t a, size_t b)
{
    int na = mdm_table_is_null(t, c, a), nb = mdm_table_is_null(t, c, b);
    if (na || nb)
        return nb - na;
    const mdm_column *col = &t->cols[c];
    switch (col->type) {
    case MDM_INT64:
    case MDM_TIMESTAMP:
        return (col->v.i64[a] > col->v.i64[b]) - (col->v.i64[a] < col->v.i64[b]);
    case MDM_FLOAT64:
        return cmp_double(col->v.f64[a], col->v.f64[b]);
    case MDM_BOOL:
        return (int)col->v.b[a] - (int)col->v.b[b];
    case MDM_TEXT: {
        size_t la, lb;
        const char *sa = mdm_table_text(t, c, a, &la), *sb = mdm_table_text(t, c, b, &lb);
        int d = memcmp(sa, sb, la < lb ? la : lb);
        return d != 0 ? d : (la > lb) - (la < lb);
    }
    }
    return 0;
}

static int cmp_row(const mdm_table *t, size_t a, size_t b)
{
    for (size_t c = 0; c < t->ncols; c++) {
        int d = cmp_cell(t, c, a, b);
        if (d != 0)
            return d;
    }
    return 0;
}

/* Bottom-up merge sort of row indices (stable; the table is the context,
 * so no comparator state outside the call). */
static void sort_index(const mdm_table *t, size_t *idx, size_t *tmp, size_t n)
{
    for (size_t width = 1; width < n; width *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * width) {
            size_t mid = lo + width < n ? lo + width : n;
            size_t hi = lo + 2 * width < n ? lo + 2 * width : n;
            size_t i = lo, j = mid, k = lo;
            while (i < mid || j < hi)
                tmp[k++] = (j >= hi || (i < mid && cmp_row(t, idx[i], idx[j]) <= 0)) ? idx[i++]
                                                                                       : idx[j++];
        }
        memcpy(idx, tmp, n * sizeof *idx);
    }
}

mdm_status mdm_cmp_table_sort(mdm_table *t, mdm_error *err)
{
    mdm_table sorted;
    mdm_status rc;
    size_t n = t->nrows;
    size_t *idx = malloc((n + 1) * sizeof *idx), *tmp = malloc((n + 1) * sizeof *tmp);
    mdm_table_init(&sorted);
    if (idx == NULL || tmp == NULL) {
        rc = mdm_error_set(err, MDM_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++)
        idx[i] = i;
    sort_index(t, idx, tmp, n);
    rc = mdm_table_copy_schema(&sorted, t, err);
    if (rc == MDM_OK)
        rc = copy_rows(&sorted, t, NULL, idx, n, err);
    if (rc == MDM_OK)
        mdm_table_move(t, &sorted);
done:
    mdm_table_reset(&sorted);
    free(idx);
    free(tmp);
    return rc;
}
