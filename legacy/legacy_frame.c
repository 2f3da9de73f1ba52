/* SPDX-License-Identifier: MIT */
/*
 * legacy_frame.c - builds frames the way pandas read_sql_query did: the
 * driver's values are collected per column, then each column's type is
 * inferred from the values it actually holds (integers with a NULL become
 * floats, an all-NULL or empty column becomes text, mixed kinds become
 * text). Also the deep copy and size estimate the read cache needs.
 */
#include "legacy_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef union legacy_value {
    int64_t i;   /* INT, BOOL (0/1), TS (micros) */
    double f;    /* FLOAT */
} legacy_value;

struct legacy_colbuf {
    char *name;
    char *decl;
    uint8_t *kind;       /* legacy_vkind per row */
    legacy_value *val;   /* per row */
    size_t *toff;        /* per row: offset of a TEXT cell in text */
    mdm_buf text;        /* TEXT cells, each NUL-terminated */
    unsigned seen;       /* bit (1 << kind) for every kind seen */
};

mdm_status legacy__fb_init(legacy_frame_builder *fb, size_t ncols, mdm_error *err)
{
    fb->ncols = ncols;
    fb->nrows = 0;
    fb->cap = 0;
    fb->cols = calloc(ncols ? ncols : 1, sizeof *fb->cols);
    if (fb->cols == NULL)
        return mdm_error_set(err, MDM_ERR_NOMEM, "out of memory reading a result");
    for (size_t i = 0; i < ncols; i++)
        mdm_buf_init(&fb->cols[i].text);
    return MDM_OK;
}

void legacy__fb_free(legacy_frame_builder *fb)
{
    if (fb->cols == NULL)
        return;
    for (size_t i = 0; i < fb->ncols; i++) {
        legacy_colbuf *c = &fb->cols[i];
        free(c->name);
        free(c->decl);
        free(c->kind);
        free(c->val);
        free(c->toff);
        mdm_buf_reset(&c->text);
    }
    free(fb->cols);
    fb->cols = NULL;
    fb->ncols = 0;
}

mdm_status legacy__fb_set_column(legacy_frame_builder *fb, size_t col,
                                 const char *name, const char *decl, mdm_error *err)
{
    legacy_colbuf *c = &fb->cols[col];
    c->name = strdup(name != NULL ? name : "");
    c->decl = decl != NULL ? strdup(decl) : NULL;
    if (c->name == NULL || (decl != NULL && c->decl == NULL))
        return mdm_error_set(err, MDM_ERR_NOMEM, "out of memory reading a result");
    return MDM_OK;
}

static mdm_status grow(legacy_frame_builder *fb, mdm_error *err)
{
    size_t cap = fb->cap ? fb->cap * 2 : 256;
    for (size_t i = 0; i < fb->ncols; i++) {
        legacy_colbuf *c = &fb->cols[i];
        uint8_t *kind = realloc(c->kind, cap);
        if (kind != NULL)
            c->kind = kind;
        legacy_value *val = realloc(c->val, cap * sizeof *val);
        if (val != NULL)
            c->val = val;
        size_t *toff = realloc(c->toff, cap * sizeof *toff);
        if (toff != NULL)
            c->toff = toff;
        if (kind == NULL || val == NULL || toff == NULL)
            return mdm_error_set(err, MDM_ERR_NOMEM, "out of memory reading a result");
    }
    fb->cap = cap;
    return MDM_OK;
}

mdm_status legacy__fb_begin_row(legacy_frame_builder *fb, mdm_error *err)
{
    return fb->nrows < fb->cap ? MDM_OK : grow(fb, err);
}

static void put(legacy_frame_builder *fb, size_t col, legacy_vkind k)
{
    legacy_colbuf *c = &fb->cols[col];
    c->kind[fb->nrows] = (uint8_t)k;
    c->seen |= 1u << k;
}

void legacy__fb_null(legacy_frame_builder *fb, size_t col)
{
    put(fb, col, LEGACY_V_NULL);
}

void legacy__fb_int(legacy_frame_builder *fb, size_t col, int64_t v)
{
    put(fb, col, LEGACY_V_INT);
    fb->cols[col].val[fb->nrows].i = v;
}

void legacy__fb_float(legacy_frame_builder *fb, size_t col, double v)
{
    put(fb, col, LEGACY_V_FLOAT);
    fb->cols[col].val[fb->nrows].f = v;
}

void legacy__fb_bool(legacy_frame_builder *fb, size_t col, bool v)
{
    put(fb, col, LEGACY_V_BOOL);
    fb->cols[col].val[fb->nrows].i = v ? 1 : 0;
}

void legacy__fb_ts(legacy_frame_builder *fb, size_t col, int64_t micros)
{
    put(fb, col, LEGACY_V_TS);
    fb->cols[col].val[fb->nrows].i = micros;
}

mdm_status legacy__fb_text(legacy_frame_builder *fb, size_t col, const char *s,
                           size_t len, mdm_error *err)
{
    legacy_colbuf *c = &fb->cols[col];
    /* A frame's text cannot hold NUL; like a C string, stop at the first. */
    const char *nul = len ? memchr(s, '\0', len) : NULL;
    if (nul != NULL)
        len = (size_t)(nul - s);
    c->toff[fb->nrows] = c->text.len;
    mdm_status rc = mdm_buf_append(&c->text, s, len);
    if (rc == MDM_OK)
        rc = mdm_buf_putc(&c->text, '\0');
    if (rc != MDM_OK)
        return mdm_error_set(err, rc, "out of memory reading a result");
    put(fb, col, LEGACY_V_TEXT);
    return MDM_OK;
}

void legacy__fb_end_row(legacy_frame_builder *fb)
{
    fb->nrows++;
}

/* pandas' inference over the kinds a column holds. */
static mdm_type infer(unsigned seen)
{
    unsigned values = seen & ~(1u << LEGACY_V_NULL);
    bool nulls = (seen & (1u << LEGACY_V_NULL)) != 0;
    if (values == 0)
        return MDM_TEXT;  /* empty result or all NULL: object dtype */
    if (values == 1u << LEGACY_V_INT)
        return nulls ? MDM_FLOAT64 : MDM_INT64;
    if ((values & ~((1u << LEGACY_V_INT) | (1u << LEGACY_V_FLOAT))) == 0)
        return MDM_FLOAT64;
    if (values == 1u << LEGACY_V_BOOL)
        return MDM_BOOL;
    if (values == 1u << LEGACY_V_TS)
        return MDM_TIMESTAMP;
    return MDM_TEXT;
}

/* A non-text value in a text column, rendered as Python's str() would. */
static size_t render(const legacy_colbuf *c, size_t r, char *buf, size_t n)
{
    switch ((legacy_vkind)c->kind[r]) {
    case LEGACY_V_INT:
        return (size_t)snprintf(buf, n, "%" PRId64, c->val[r].i);
    case LEGACY_V_FLOAT:
        return mdm_format_float64(c->val[r].f, buf, n);
    case LEGACY_V_BOOL:
        return (size_t)snprintf(buf, n, "%s", c->val[r].i ? "True" : "False");
    case LEGACY_V_TS:
        return mdm_format_timestamp(c->val[r].i, buf, n);
    default:
        buf[0] = '\0';
        return 0;
    }
}

static mdm_status push_cell(mdm_table *t, size_t col, mdm_type type,
                            const legacy_colbuf *c, size_t r, mdm_error *err)
{
    legacy_vkind k = (legacy_vkind)c->kind[r];
    char buf[64];
    if (k == LEGACY_V_NULL)
        return mdm_table_push_null(t, col, err);
    switch (type) {
    case MDM_INT64:
        return mdm_table_push_int64(t, col, c->val[r].i, err);
    case MDM_FLOAT64:
        return mdm_table_push_float64(t, col, k == LEGACY_V_INT ? (double)c->val[r].i
                                                                : c->val[r].f, err);
    case MDM_BOOL:
        return mdm_table_push_bool(t, col, c->val[r].i != 0, err);
    case MDM_TIMESTAMP:
        return mdm_table_push_timestamp(t, col, c->val[r].i, err);
    default:
        break;
    }
    if (k == LEGACY_V_TEXT) {
        const char *s = c->text.data + c->toff[r];
        return mdm_table_push_text(t, col, s, strlen(s), err);
    }
    size_t len = render(c, r, buf, sizeof buf);
    return mdm_table_push_text(t, col, buf, len, err);
}

static mdm_status add_columns(legacy_frame_builder *fb, mdm_table *out,
                              mdm_type *types, mdm_error *err)
{
    size_t text_bytes = 0;
    for (size_t i = 0; i < fb->ncols; i++) {
        types[i] = infer(fb->cols[i].seen);
        mdm_status rc = mdm_table_add_column(out, fb->cols[i].name, types[i], err);
        if (rc == MDM_OK)
            rc = mdm_table_set_decl_type(out, i, fb->cols[i].decl, err);
        if (rc != MDM_OK)
            return rc;
        if (fb->cols[i].text.len > text_bytes)
            text_bytes = fb->cols[i].text.len;
    }
    return mdm_table_reserve(out, fb->nrows, text_bytes, err);
}

mdm_status legacy__fb_finish(legacy_frame_builder *fb, mdm_table *out, mdm_error *err)
{
    mdm_type *types = calloc(fb->ncols ? fb->ncols : 1, sizeof *types);
    mdm_status rc = MDM_OK;
    mdm_table_reset(out);
    if (types == NULL) {
        rc = mdm_error_set(err, MDM_ERR_NOMEM, "out of memory reading a result");
        goto done;
    }
    rc = add_columns(fb, out, types, err);
    for (size_t r = 0; rc == MDM_OK && r < fb->nrows; r++) {
        for (size_t i = 0; rc == MDM_OK && i < fb->ncols; i++)
            rc = push_cell(out, i, types[i], &fb->cols[i], r, err);
        if (rc == MDM_OK)
            rc = mdm_table_end_row(out, err);
    }
    if (rc == MDM_OK && fb->ncols == 0)
        out->nrows = fb->nrows;
done:
    free(types);
    if (rc != MDM_OK)
        mdm_table_reset(out);
    return rc;
}

mdm_status legacy__table_copy(mdm_table *dst, const mdm_table *src, mdm_error *err)
{
    mdm_status rc = MDM_OK;
    mdm_table_reset(dst);
    for (size_t i = 0; rc == MDM_OK && i < src->ncols; i++) {
        rc = mdm_table_add_column(dst, src->cols[i].name, src->cols[i].type, err);
        if (rc == MDM_OK)
            rc = mdm_table_set_decl_type(dst, i, src->cols[i].decl_type, err);
    }
    if (rc == MDM_OK && src->ncols > 0)
        rc = mdm_table_append_table(dst, src, err);
    else if (rc == MDM_OK)
        dst->nrows = src->nrows;
    if (rc != MDM_OK)
        mdm_table_reset(dst);
    return rc;
}

size_t legacy__table_bytes(const mdm_table *t)
{
    size_t bytes = sizeof *t;
    for (size_t i = 0; i < t->ncols; i++) {
        const mdm_column *c = &t->cols[i];
        bytes += sizeof *c + strlen(c->name) + t->nrows;  /* name, NULL flags */
        if (c->type == MDM_TEXT)
            bytes += c->text_len + (t->nrows + 1) * sizeof(size_t);
        else
            bytes += t->nrows * (c->type == MDM_BOOL ? 1 : 8);
    }
    return bytes;
}
