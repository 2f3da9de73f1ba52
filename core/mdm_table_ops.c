/* SPDX-License-Identifier: MIT */
/*
 * mdm_table_ops.c - copies of tables, cell by cell through the push API
 * (mdm_table_ops.h).
 */
#include "mdm_table_ops.h"

#include <stdlib.h>
#include <string.h>

mdm_status mdm_table_push_cell(mdm_table *dst, size_t dc, const mdm_table *src, size_t sc,
                               size_t r, mdm_error *err)
{
    size_t len = 0;
    const char *s;
    if (mdm_table_is_null(src, sc, r))
        return mdm_table_push_null(dst, dc, err);
    switch (src->cols[sc].type) {
    case MDM_INT64: return mdm_table_push_int64(dst, dc, mdm_table_int64(src, sc, r), err);
    case MDM_FLOAT64: return mdm_table_push_float64(dst, dc, mdm_table_float64(src, sc, r), err);
    case MDM_BOOL: return mdm_table_push_bool(dst, dc, mdm_table_bool(src, sc, r), err);
    case MDM_TIMESTAMP:
        return mdm_table_push_timestamp(dst, dc, mdm_table_timestamp(src, sc, r), err);
    default:
        s = mdm_table_text(src, sc, r, &len);
        return mdm_table_push_text(dst, dc, s, len, err);
    }
}

/* Adds src's column sc to dst (name, type, declared type). */
static mdm_status copy_column_def(mdm_table *dst, const mdm_table *src, size_t sc, mdm_error *err)
{
    const mdm_column *c = &src->cols[sc];
    mdm_status rc = mdm_table_add_column(dst, c->name, c->type, err);
    if (rc == MDM_OK && c->decl_type != NULL)
        rc = mdm_table_set_decl_type(dst, dst->ncols - 1, c->decl_type, err);
    return rc;
}

mdm_status mdm_table_copy_schema(mdm_table *dst, const mdm_table *src, mdm_error *err)
{
    mdm_status rc = MDM_OK;
    for (size_t c = 0; c < src->ncols && rc == MDM_OK; c++)
        rc = copy_column_def(dst, src, c, err);
    return rc;
}

/* Copies rows [first, first + n) of the columns map[0..ncols) of src. */
static mdm_status copy_rows(const mdm_table *src, const size_t *map, size_t ncols, size_t first,
                            size_t n, mdm_table *out, mdm_error *err)
{
    mdm_table t;
    mdm_status rc = MDM_OK;
    mdm_table_init(&t);
    for (size_t c = 0; rc == MDM_OK && c < ncols; c++)
        rc = copy_column_def(&t, src, map[c], err);
    if (rc == MDM_OK)
        rc = mdm_table_reserve(&t, n, 0, err);
    for (size_t r = first; rc == MDM_OK && r < first + n; r++) {
        for (size_t c = 0; rc == MDM_OK && c < ncols; c++)
            rc = mdm_table_push_cell(&t, c, src, map[c], r, err);
        if (rc == MDM_OK)
            rc = mdm_table_end_row(&t, err);
    }
    if (rc == MDM_OK)
        mdm_table_move(out, &t);
    mdm_table_reset(&t);
    return rc;
}

static mdm_status with_map(size_t ncols, size_t **out, mdm_error *err)
{
    *out = calloc(ncols ? ncols : 1, sizeof **out);
    return *out != NULL ? MDM_OK : mdm_error_set(err, MDM_ERR_NOMEM, "out of memory");
}

mdm_status mdm_table_slice(const mdm_table *src, size_t first, size_t n, mdm_table *out,
                               mdm_error *err)
{
    size_t *map = NULL;
    if (first > src->nrows || n > src->nrows - first)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "slice [%zu, +%zu) out of %zu rows",
                             first, n, src->nrows);
    mdm_status rc = with_map(src->ncols, &map, err);
    for (size_t c = 0; rc == MDM_OK && c < src->ncols; c++)
        map[c] = c;
    if (rc == MDM_OK)
        rc = copy_rows(src, map, src->ncols, first, n, out, err);
    free(map);
    return rc;
}

mdm_status mdm_table_project(const mdm_table *src, const char *table,
                             const char *const *names, size_t n, mdm_table *out, mdm_error *err)
{
    size_t *map = NULL;
    mdm_status rc = with_map(n, &map, err);
    for (size_t i = 0; rc == MDM_OK && i < n; i++) {
        long c = mdm_table_find_column(src, names[i]);
        if (c < 0 && table != NULL)
            rc = mdm_error_set(err, MDM_ERR_NOT_FOUND, "column '%s' not found in table '%s'",
                               names[i], table);
        else if (c < 0)
            rc = mdm_error_set(err, MDM_ERR_NOT_FOUND, "column '%s' not found", names[i]);
        else
            map[i] = (size_t)c;
    }
    if (rc == MDM_OK)
        rc = copy_rows(src, map, n, 0, src->nrows, out, err);
    free(map);
    return rc;
}

mdm_status mdm_table_from_strings(const char *name, const char *const *values, size_t n,
                                  mdm_table *out, mdm_error *err)
{
    mdm_table t;
    mdm_table_init(&t);
    mdm_status rc = mdm_table_add_column(&t, name, MDM_TEXT, err);
    for (size_t i = 0; i < n && rc == MDM_OK; i++) {
        rc = mdm_table_push_text(&t, 0, values[i], strlen(values[i]), err);
        if (rc == MDM_OK)
            rc = mdm_table_end_row(&t, err);
    }
    if (rc == MDM_OK)
        mdm_table_move(out, &t);
    mdm_table_reset(&t);
    return rc;
}

mdm_status mdm_table_nulls_as_empty(const mdm_table *src, mdm_table *out, mdm_error *err)
{
    mdm_table t;
    mdm_table_init(&t);
    mdm_status rc = mdm_table_copy_schema(&t, src, err);
    for (size_t r = 0; r < src->nrows && rc == MDM_OK; r++) {
        for (size_t c = 0; c < src->ncols && rc == MDM_OK; c++) {
            if (src->cols[c].type == MDM_TEXT && mdm_table_is_null(src, c, r))
                rc = mdm_table_push_text(&t, c, "", 0, err);
            else
                rc = mdm_table_push_cell(&t, c, src, c, r, err);
        }
        if (rc == MDM_OK)
            rc = mdm_table_end_row(&t, err);
    }
    if (rc == MDM_OK)
        mdm_table_move(out, &t);
    mdm_table_reset(&t);
    return rc;
}

/* Copies of a and b with only the columns that agree in name and type,
 * so that a type difference (often an expected one) does not hide the
 * values of every other column. False when nothing is left to compare. */
bool mdm_table_agreeing(const mdm_table *a, const mdm_table *b, mdm_table *pa, mdm_table *pb,
                        mdm_error *err)
{
    char **names = calloc(a->ncols + 1, sizeof *names);
    size_t n = 0;
    bool ok = names != NULL && a->ncols == b->ncols;
    for (size_t c = 0; ok && c < a->ncols; c++)
        if (strcmp(a->cols[c].name, b->cols[c].name) == 0 && a->cols[c].type == b->cols[c].type)
            names[n++] = a->cols[c].name;
    ok = ok && n > 0 && n < a->ncols &&
         mdm_table_project(a, NULL, (const char *const *)names, n, pa, err) == MDM_OK &&
         mdm_table_project(b, NULL, (const char *const *)names, n, pb, err) == MDM_OK;
    free(names);
    return ok;
}
