/* SPDX-License-Identifier: MIT */
/*
 * mdm_table.c - the table container: columns, growth, pushing values and
 * appending tables. Values live in one array per column and text in one
 * buffer per column, so building a table of N rows costs O(log N)
 * allocations, not one per cell.
 */
#include "mdm_table.h"

#include <stdlib.h>
#include <string.h>

static const char *const type_names[] = {
    [MDM_INT64] = "INT64", [MDM_FLOAT64] = "FLOAT64", [MDM_BOOL] = "BOOL",
    [MDM_TEXT] = "TEXT", [MDM_TIMESTAMP] = "TIMESTAMP",
};

const char *mdm_type_name(mdm_type type)
{
    if ((unsigned)type > MDM_TIMESTAMP)
        return "UNKNOWN";
    return type_names[type];
}

void mdm_table_init(mdm_table *t)
{
    t->ncols = 0;
    t->nrows = 0;
    t->cols = NULL;
}

static void column_free(mdm_column *c)
{
    free(c->name);
    free(c->decl_type);
    free(c->nulls);
    free(c->v.i64);
    free(c->text);
    free(c->off);
}

void mdm_table_reset(mdm_table *t)
{
    if (t == NULL)
        return;
    for (size_t i = 0; i < t->ncols; i++)
        column_free(&t->cols[i]);
    free(t->cols);
    mdm_table_init(t);
}

void mdm_table_move(mdm_table *dst, mdm_table *src)
{
    if (dst == src)
        return;
    mdm_table_reset(dst);
    *dst = *src;
    mdm_table_init(src);
}

static size_t value_size(mdm_type type)
{
    switch (type) {
    case MDM_INT64:
    case MDM_TIMESTAMP:
        return sizeof(int64_t);
    case MDM_FLOAT64:
        return sizeof(double);
    case MDM_BOOL:
        return sizeof(uint8_t);
    default:
        return 0;  /* TEXT keeps its values in text/off */
    }
}

mdm_status mdm_table_add_column(mdm_table *t, const char *name, mdm_type type, mdm_error *err)
{
    if (name == NULL)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "column name is missing");
    if ((unsigned)type > MDM_TIMESTAMP)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "column '%s': unknown type %d", name, (int)type);
    if (t->nrows > 0 || (t->ncols > 0 && t->cols[0].count > 0))
        return mdm_error_set(err, MDM_ERR_INVALID_ARG,
                             "cannot add column '%s' to a table that has rows", name);
    mdm_column *cols = realloc(t->cols, (t->ncols + 1) * sizeof *cols);
    if (cols == NULL)
        return mdm_error_set(err, MDM_ERR_NOMEM, "out of memory adding column '%s'", name);
    t->cols = cols;
    mdm_column *c = &cols[t->ncols];
    memset(c, 0, sizeof *c);
    c->type = type;
    c->name = strdup(name);
    if (c->name == NULL)
        return mdm_error_set(err, MDM_ERR_NOMEM, "out of memory adding column '%s'", name);
    t->ncols++;
    return MDM_OK;
}

mdm_status mdm_table_set_decl_type(mdm_table *t, size_t col, const char *decl, mdm_error *err)
{
    if (col >= t->ncols)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "column %zu out of range", col);
    char *copy = NULL;
    if (decl != NULL && (copy = strdup(decl)) == NULL)
        return mdm_error_set(err, MDM_ERR_NOMEM, "out of memory");
    free(t->cols[col].decl_type);
    t->cols[col].decl_type = copy;
    return MDM_OK;
}

long mdm_table_find_column(const mdm_table *t, const char *name)
{
    for (size_t i = 0; i < t->ncols; i++)
        if (strcmp(t->cols[i].name, name) == 0)
            return (long)i;
    return -1;
}

/* Grows a column's per-row arrays to hold `rows` rows. */
static mdm_status column_grow_rows(mdm_column *c, size_t rows)
{
    if (rows <= c->cap)
        return MDM_OK;
    uint8_t *nulls = realloc(c->nulls, rows);
    if (nulls == NULL)
        return MDM_ERR_NOMEM;
    c->nulls = nulls;
    if (c->type == MDM_TEXT) {
        size_t *off = realloc(c->off, (rows + 1) * sizeof *off);
        if (off == NULL)
            return MDM_ERR_NOMEM;
        if (c->off == NULL)
            off[0] = 0;
        c->off = off;
    } else {
        void *v = realloc(c->v.i64, rows * value_size(c->type));
        if (v == NULL)
            return MDM_ERR_NOMEM;
        c->v.i64 = v;
    }
    c->cap = rows;
    return MDM_OK;
}

static mdm_status column_grow_text(mdm_column *c, size_t extra)
{
    size_t need = c->text_len + extra;
    if (need <= c->text_cap)
        return MDM_OK;
    size_t cap = c->text_cap ? c->text_cap : 256;
    while (cap < need)
        cap *= 2;
    char *p = realloc(c->text, cap);
    if (p == NULL)
        return MDM_ERR_NOMEM;
    c->text = p;
    c->text_cap = cap;
    return MDM_OK;
}

mdm_status mdm_table_reserve(mdm_table *t, size_t rows, size_t text_bytes, mdm_error *err)
{
    for (size_t i = 0; i < t->ncols; i++) {
        mdm_column *c = &t->cols[i];
        if (column_grow_rows(c, rows) != MDM_OK ||
            (c->type == MDM_TEXT && column_grow_text(c, text_bytes) != MDM_OK))
            return mdm_error_set(err, MDM_ERR_NOMEM, "out of memory reserving %zu rows", rows);
    }
    return MDM_OK;
}

/* Checks the column and makes room for one more value. */
static mdm_status push_slot(mdm_table *t, size_t col, mdm_type want, mdm_column **out, mdm_error *err)
{
    if (col >= t->ncols)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "column %zu out of range (%zu columns)", col, t->ncols);
    mdm_column *c = &t->cols[col];
    if (want != c->type)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "column '%s' is %s, not %s",
                             c->name, mdm_type_name(c->type), mdm_type_name(want));
    if (c->count > t->nrows)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG,
                             "column '%s' already has a value in row %zu", c->name, t->nrows);
    if (c->count == c->cap && column_grow_rows(c, c->cap ? c->cap * 2 : 16) != MDM_OK)
        return mdm_error_set(err, MDM_ERR_NOMEM, "out of memory growing column '%s'", c->name);
    *out = c;
    return MDM_OK;
}

static mdm_status text_store(mdm_column *c, const char *s, size_t len, mdm_error *err)
{
    if (column_grow_text(c, len + 1) != MDM_OK)
        return mdm_error_set(err, MDM_ERR_NOMEM, "out of memory storing text in '%s'", c->name);
    if (len > 0)
        memcpy(c->text + c->text_len, s, len);
    c->text_len += len;
    c->text[c->text_len++] = '\0';
    c->off[c->count + 1] = c->text_len;
    return MDM_OK;
}

mdm_status mdm_table_push_null(mdm_table *t, size_t col, mdm_error *err)
{
    if (col >= t->ncols)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "column %zu out of range (%zu columns)", col, t->ncols);
    mdm_column *c;
    mdm_status rc = push_slot(t, col, t->cols[col].type, &c, err);
    if (rc != MDM_OK)
        return rc;
    if (c->type == MDM_TEXT) {
        rc = text_store(c, "", 0, err);
        if (rc != MDM_OK)
            return rc;
    } else {
        memset((char *)c->v.i64 + c->count * value_size(c->type), 0, value_size(c->type));
    }
    c->nulls[c->count++] = 1;
    return MDM_OK;
}

mdm_status mdm_table_push_int64(mdm_table *t, size_t col, int64_t v, mdm_error *err)
{
    mdm_column *c;
    mdm_status rc = push_slot(t, col, MDM_INT64, &c, err);
    if (rc != MDM_OK)
        return rc;
    c->v.i64[c->count] = v;
    c->nulls[c->count++] = 0;
    return MDM_OK;
}

mdm_status mdm_table_push_timestamp(mdm_table *t, size_t col, int64_t micros, mdm_error *err)
{
    mdm_column *c;
    mdm_status rc = push_slot(t, col, MDM_TIMESTAMP, &c, err);
    if (rc != MDM_OK)
        return rc;
    c->v.i64[c->count] = micros;
    c->nulls[c->count++] = 0;
    return MDM_OK;
}

mdm_status mdm_table_push_float64(mdm_table *t, size_t col, double v, mdm_error *err)
{
    mdm_column *c;
    mdm_status rc = push_slot(t, col, MDM_FLOAT64, &c, err);
    if (rc != MDM_OK)
        return rc;
    c->v.f64[c->count] = v;
    c->nulls[c->count++] = 0;
    return MDM_OK;
}

mdm_status mdm_table_push_bool(mdm_table *t, size_t col, bool v, mdm_error *err)
{
    mdm_column *c;
    mdm_status rc = push_slot(t, col, MDM_BOOL, &c, err);
    if (rc != MDM_OK)
        return rc;
    c->v.b[c->count] = v ? 1 : 0;
    c->nulls[c->count++] = 0;
    return MDM_OK;
}

mdm_status mdm_table_push_text(mdm_table *t, size_t col, const char *s, size_t len, mdm_error *err)
{
    mdm_column *c;
    mdm_status rc = push_slot(t, col, MDM_TEXT, &c, err);
    if (rc != MDM_OK)
        return rc;
    if (len > 0 && memchr(s, '\0', len) != NULL)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "column '%s': text contains a NUL byte", c->name);
    rc = text_store(c, s, len, err);
    if (rc != MDM_OK)
        return rc;
    c->nulls[c->count++] = 0;
    return MDM_OK;
}

mdm_status mdm_table_end_row(mdm_table *t, mdm_error *err)
{
    for (size_t i = 0; i < t->ncols; i++) {
        if (t->cols[i].count != t->nrows + 1)
            return mdm_error_set(err, MDM_ERR_INVALID_ARG,
                                 "row %zu: column '%s' has %s value", t->nrows,
                                 t->cols[i].name, t->cols[i].count <= t->nrows ? "no" : "more than one");
    }
    t->nrows++;
    return MDM_OK;
}

/* Copies rows [0, nrows) of one column onto the end of dst's column; the
 * caller has grown dst already, so this cannot fail half-way. */
static void append_column(mdm_column *d, const mdm_column *s, size_t nrows)
{
    memcpy(d->nulls + d->count, s->nulls, nrows);
    if (d->type == MDM_TEXT) {
        size_t bytes = s->off[nrows];
        memcpy(d->text + d->text_len, s->text, bytes);
        for (size_t r = 0; r < nrows; r++)
            d->off[d->count + r + 1] = d->text_len + s->off[r + 1];
        d->text_len += bytes;
    } else {
        size_t w = value_size(d->type);
        memcpy((char *)d->v.i64 + d->count * w, s->v.i64, nrows * w);
    }
    d->count += nrows;
}

mdm_status mdm_table_append_table(mdm_table *t, const mdm_table *src, mdm_error *err)
{
    if (t->ncols != src->ncols)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "cannot append a table of %zu columns to one of %zu",
                             src->ncols, t->ncols);
    for (size_t i = 0; i < t->ncols; i++) {
        if (t->cols[i].type != src->cols[i].type)
            return mdm_error_set(err, MDM_ERR_INVALID_ARG, "column %zu ('%s'): cannot append %s to %s", i,
                                 t->cols[i].name, mdm_type_name(src->cols[i].type),
                                 mdm_type_name(t->cols[i].type));
        if (t->cols[i].count != t->nrows)
            return mdm_error_set(err, MDM_ERR_INVALID_ARG, "column '%s' has a row in progress", t->cols[i].name);
    }
    if (src->nrows == 0)
        return MDM_OK;
    /* Grow every column first: a failure then leaves t as it was. */
    for (size_t i = 0; i < t->ncols; i++) {
        mdm_column *d = &t->cols[i];
        if (column_grow_rows(d, d->count + src->nrows) != MDM_OK ||
            (d->type == MDM_TEXT && column_grow_text(d, src->cols[i].off[src->nrows]) != MDM_OK))
            return mdm_error_set(err, MDM_ERR_NOMEM, "out of memory appending to '%s'", d->name);
    }
    for (size_t i = 0; i < t->ncols; i++)
        append_column(&t->cols[i], &src->cols[i], src->nrows);
    t->nrows += src->nrows;
    return MDM_OK;
}

void mdm_table_clear_rows(mdm_table *t)
{
    for (size_t i = 0; i < t->ncols; i++) {
        mdm_column *c = &t->cols[i];
        c->count = 0;
        c->text_len = 0;
        if (c->off != NULL)
            c->off[0] = 0;
    }
    t->nrows = 0;
}

void mdm_table_drop_partial_row(mdm_table *t)
{
    for (size_t i = 0; i < t->ncols; i++) {
        mdm_column *c = &t->cols[i];
        if (c->count > t->nrows) {
            c->count = t->nrows;
            if (c->off != NULL)
                c->text_len = c->off[t->nrows];
        }
    }
}

mdm_status mdm_row_sink_flush(const mdm_row_sink *sink, mdm_table *t, mdm_error *err)
{
    mdm_status rc = sink->rows(sink->ctx, t, err);
    mdm_table_clear_rows(t);
    return rc;
}
