/* SPDX-License-Identifier: MIT */
/*
 * mdm_table_compare.c - type-aware equality of two tables and the report of
 * their first difference. This is the rule the harness and the shadow mode
 * use: NULL is not "", 1 (INT64) is not 1.0 (FLOAT64), and floats compare
 * by their bits unless a tolerance is given.
 */
#include "mdm_table.h"

#include <math.h>
#include <stdarg.h>
#include <string.h>

static void diff_text(char *dst, size_t n, const char *fmt, ...) MDM_PRINTF(3, 4);
static void diff_text(char *dst, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(dst, n, fmt, ap);
    va_end(ap);
}

const char *mdm_table_render_cell(const mdm_table *t, size_t c, size_t r, char *buf, size_t n)
{
    if (mdm_table_is_null(t, c, r)) {
        snprintf(buf, n, "NULL");
        return buf;
    }
    switch (t->cols[c].type) {
    case MDM_INT64:
        snprintf(buf, n, "%lld", (long long)mdm_table_int64(t, c, r));
        break;
    case MDM_FLOAT64:
        mdm_format_float64(mdm_table_float64(t, c, r), buf, n);
        break;
    case MDM_BOOL:
        snprintf(buf, n, "%s", mdm_table_bool(t, c, r) ? "True" : "False");
        break;
    case MDM_TIMESTAMP:
        mdm_format_timestamp(mdm_table_timestamp(t, c, r), buf, n);
        break;
    case MDM_TEXT:
        snprintf(buf, n, "'%s'", mdm_table_text(t, c, r, NULL));
        break;
    }
    return buf;
}

static bool float_equal(double a, double b, double tol, bool zero_signs_equal)
{
    if (tol <= 0.0)
        return memcmp(&a, &b, sizeof a) == 0 || (isnan(a) && isnan(b)) ||
               (zero_signs_equal && a == 0.0 && b == 0.0);
    if (isnan(a) || isnan(b))
        return isnan(a) && isnan(b);
    if (isinf(a) || isinf(b))
        return a == b;
    double scale = fmax(1.0, fmax(fabs(a), fabs(b)));
    return fabs(a - b) <= tol * scale;
}

static bool cell_equal(const mdm_table *a, const mdm_table *b, size_t c, size_t r,
                       const mdm_compare_opts *o)
{
    bool na = mdm_table_is_null(a, c, r), nb = mdm_table_is_null(b, c, r);
    if (na || nb)
        return na && nb;
    switch (a->cols[c].type) {
    case MDM_INT64:
    case MDM_TIMESTAMP:
        return a->cols[c].v.i64[r] == b->cols[c].v.i64[r];
    case MDM_FLOAT64:
        return float_equal(a->cols[c].v.f64[r], b->cols[c].v.f64[r], o->float_tolerance,
                           o->zero_signs_equal);
    case MDM_BOOL:
        return a->cols[c].v.b[r] == b->cols[c].v.b[r];
    case MDM_TEXT: {
        size_t la, lb;
        const char *sa = mdm_table_text(a, c, r, &la), *sb = mdm_table_text(b, c, r, &lb);
        return la == lb && memcmp(sa, sb, la) == 0;
    }
    }
    return false;
}

static void fill_cell(mdm_table_diff *d, const mdm_table *a, const mdm_table *b, size_t c, size_t r)
{
    char va[128], vb[128];
    d->kind = MDM_DIFF_VALUE;
    d->column = c;
    d->row = r;
    snprintf(d->column_name, sizeof d->column_name, "%s", a->cols[c].name);
    mdm_table_render_cell(a, c, r, va, sizeof va);
    mdm_table_render_cell(b, c, r, vb, sizeof vb);
    diff_text(d->left, sizeof d->left, "%s (%s)", va, mdm_type_name(a->cols[c].type));
    diff_text(d->right, sizeof d->right, "%s (%s)", vb, mdm_type_name(b->cols[c].type));
    diff_text(d->message, sizeof d->message, "row %zu, column '%s': %s vs %s", r, d->column_name,
              d->left, d->right);
}

/* Schema checks; returns false (with diff filled) at the first mismatch. */
static bool schema_equal(const mdm_table *a, const mdm_table *b, const mdm_compare_opts *o,
                         mdm_table_diff *d)
{
    if (a->ncols != b->ncols) {
        d->kind = MDM_DIFF_COLUMN_COUNT;
        diff_text(d->left, sizeof d->left, "%zu columns", a->ncols);
        diff_text(d->right, sizeof d->right, "%zu columns", b->ncols);
        diff_text(d->message, sizeof d->message, "column count: %s vs %s", d->left, d->right);
        return false;
    }
    for (size_t c = 0; c < a->ncols; c++) {
        const mdm_column *ca = &a->cols[c], *cb = &b->cols[c];
        const char *what = NULL, *la = NULL, *lb = NULL;
        if (strcmp(ca->name, cb->name) != 0) {
            d->kind = MDM_DIFF_COLUMN_NAME, what = "name", la = ca->name, lb = cb->name;
        } else if (ca->type != cb->type) {
            d->kind = MDM_DIFF_COLUMN_TYPE, what = "type";
            la = mdm_type_name(ca->type), lb = mdm_type_name(cb->type);
        } else if (o->check_decl_types &&
                   strcmp(ca->decl_type ? ca->decl_type : "", cb->decl_type ? cb->decl_type : "") != 0) {
            d->kind = MDM_DIFF_DECL_TYPE, what = "declared type";
            la = ca->decl_type ? ca->decl_type : "(none)", lb = cb->decl_type ? cb->decl_type : "(none)";
        }
        if (what != NULL) {
            d->column = c;
            snprintf(d->column_name, sizeof d->column_name, "%s", ca->name);
            diff_text(d->left, sizeof d->left, "%s", la);
            diff_text(d->right, sizeof d->right, "%s", lb);
            diff_text(d->message, sizeof d->message, "column %zu %s: '%s' vs '%s'", c, what, d->left,
                      d->right);
            return false;
        }
    }
    if (a->nrows != b->nrows) {
        d->kind = MDM_DIFF_ROW_COUNT;
        diff_text(d->left, sizeof d->left, "%zu rows", a->nrows);
        diff_text(d->right, sizeof d->right, "%zu rows", b->nrows);
        diff_text(d->message, sizeof d->message, "row count: %s vs %s", d->left, d->right);
        return false;
    }
    return true;
}

bool mdm_table_equal(const mdm_table *a, const mdm_table *b, const mdm_compare_opts *opts,
                     mdm_table_diff *diff)
{
    const mdm_compare_opts defaults = MDM_COMPARE_OPTS_INIT;
    const mdm_compare_opts *o = opts ? opts : &defaults;
    mdm_table_diff scratch;
    mdm_table_diff *d = diff ? diff : &scratch;
    memset(d, 0, sizeof *d);
    if (!schema_equal(a, b, o, d))
        return false;
    /* Row-major order, so the reported difference is the first one a
     * person reading both outputs top to bottom would meet. */
    for (size_t r = 0; r < a->nrows; r++) {
        for (size_t c = 0; c < a->ncols; c++) {
            if (!cell_equal(a, b, c, r, o)) {
                fill_cell(d, a, b, c, r);
                return false;
            }
        }
    }
    d->kind = MDM_DIFF_NONE;
    return true;
}

const char *mdm_diff_kind_name(mdm_diff_kind kind)
{
    switch (kind) {
    case MDM_DIFF_NONE: return "none";
    case MDM_DIFF_COLUMN_COUNT: return "column_count";
    case MDM_DIFF_COLUMN_NAME: return "column_name";
    case MDM_DIFF_COLUMN_TYPE: return "column_type";
    case MDM_DIFF_DECL_TYPE: return "decl_type";
    case MDM_DIFF_ROW_COUNT: return "row_count";
    case MDM_DIFF_VALUE: return "value";
    }
    return "unknown";
}
