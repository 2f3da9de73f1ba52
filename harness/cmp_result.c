/* SPDX-License-Identifier: MIT */
/*
 * cmp_result.c - the result file of a cell: 'S' records (op started) and
 * 'R' records (op result with an optional table), host byte order since
 * the same machine reads them. Tables are written column by column and
 * rebuilt through the mdm_table push API.
 */
#include "cmp_result.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void mdm_cmp_result_init(mdm_cmp_result *r)
{
    memset(r, 0, sizeof *r);
    mdm_table_init(&r->table);
}

void mdm_cmp_result_reset(mdm_cmp_result *r)
{
    if (r == NULL)
        return;
    mdm_table_reset(&r->table);
    mdm_cmp_result_init(r);
}

/* ---- writing ------------------------------------------------------------ */

static bool put(FILE *f, const void *p, size_t n)
{
    return n == 0 || fwrite(p, 1, n, f) == n;
}

static bool put_u32(FILE *f, uint32_t v)
{
    return put(f, &v, sizeof v);
}

static bool put_str(FILE *f, const char *s)
{
    uint32_t n = s ? (uint32_t)strlen(s) : UINT32_MAX;
    return put_u32(f, n) && (s == NULL || put(f, s, n));
}

static bool put_column_data(FILE *f, const mdm_table *t, size_t c)
{
    const mdm_column *col = &t->cols[c];
    size_t n = t->nrows;
    if (!put(f, col->nulls, n))
        return false;
    switch (col->type) {
    case MDM_INT64:
    case MDM_TIMESTAMP:
        return put(f, col->v.i64, n * sizeof *col->v.i64);
    case MDM_FLOAT64:
        return put(f, col->v.f64, n * sizeof *col->v.f64);
    case MDM_BOOL:
        return put(f, col->v.b, n);
    case MDM_TEXT: {
        uint64_t bytes = n ? col->off[n] : 0;
        size_t zero = 0;
        if (n == 0)
            return put(f, &bytes, sizeof bytes) && put(f, &zero, sizeof zero);
        return put(f, &bytes, sizeof bytes) && put(f, col->text, (size_t)bytes) &&
               put(f, col->off, (n + 1) * sizeof *col->off);
    }
    }
    return false;
}

static bool put_table(FILE *f, const mdm_table *t)
{
    uint64_t nrows = t->nrows;
    if (!put_u32(f, (uint32_t)t->ncols) || !put(f, &nrows, sizeof nrows))
        return false;
    for (size_t c = 0; c < t->ncols; c++) {
        uint32_t type = (uint32_t)t->cols[c].type;
        if (!put_str(f, t->cols[c].name) || !put_u32(f, type) || !put_str(f, t->cols[c].decl_type))
            return false;
    }
    for (size_t c = 0; c < t->ncols; c++)
        if (!put_column_data(f, t, c))
            return false;
    return true;
}

mdm_status mdm_cmp_result_write_start(FILE *f, uint32_t op, mdm_error *err)
{
    if (!put(f, "S", 1) || !put_u32(f, op) || fflush(f) != 0)
        return mdm_error_set(err, MDM_ERR_IO, "result file: %s", strerror(errno));
    return MDM_OK;
}

mdm_status mdm_cmp_result_write(FILE *f, uint32_t op, const mdm_cmp_result *r, mdm_error *err)
{
    uint32_t head[4] = { op, (uint32_t)r->state, (uint32_t)r->status,
                         (uint32_t)(r->has_table | (r->has_count << 1)) };
    bool ok = put(f, "R", 1) && put(f, head, sizeof head) && put_str(f, r->message) &&
              put(f, &r->count, sizeof r->count) && put(f, &r->seconds, sizeof r->seconds);
    if (ok && r->has_table)
        ok = put_table(f, &r->table);
    if (!ok || fflush(f) != 0)
        return mdm_error_set(err, MDM_ERR_IO, "result file: %s", strerror(errno));
    return MDM_OK;
}

/* ---- reading ------------------------------------------------------------ */

static bool get(FILE *f, void *p, size_t n)
{
    return n == 0 || fread(p, 1, n, f) == n;
}

static bool get_u32(FILE *f, uint32_t *v)
{
    return get(f, v, sizeof *v);
}

/* A string into a malloc'd buffer (*out NULL for a NULL string). */
static bool get_str(FILE *f, char **out)
{
    uint32_t n;
    *out = NULL;
    if (!get_u32(f, &n))
        return false;
    if (n == UINT32_MAX)
        return true;
    *out = malloc((size_t)n + 1);
    if (*out == NULL || !get(f, *out, n))
        return false;
    (*out)[n] = '\0';
    return true;
}

/* Raw data of one column as written by put_column_data. */
typedef struct raw_col {
    mdm_type type;
    uint8_t *nulls;
    void *data;            /* i64/f64/bool array or text bytes */
    size_t *off;           /* TEXT offsets */
} raw_col;

static void raw_free(raw_col *rc, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(rc[i].nulls);
        free(rc[i].data);
        free(rc[i].off);
    }
    free(rc);
}

static bool get_raw(FILE *f, raw_col *rc, size_t nrows)
{
    size_t width = rc->type == MDM_BOOL ? 1 : 8;
    rc->nulls = malloc(nrows + 1);
    if (rc->nulls == NULL || !get(f, rc->nulls, nrows))
        return false;
    if (rc->type != MDM_TEXT) {
        rc->data = malloc(nrows * width + 1);
        return rc->data != NULL && get(f, rc->data, nrows * width);
    }
    uint64_t bytes;
    if (!get(f, &bytes, sizeof bytes))
        return false;
    rc->data = malloc((size_t)bytes + 1);
    rc->off = malloc((nrows + 1) * sizeof *rc->off);
    return rc->data && rc->off && get(f, rc->data, (size_t)bytes) &&
           get(f, rc->off, (nrows + 1) * sizeof *rc->off);
}

static mdm_status push_raw(mdm_table *t, size_t c, const raw_col *rc, size_t r, mdm_error *err)
{
    if (rc->nulls[r])
        return mdm_table_push_null(t, c, err);
    switch (rc->type) {
    case MDM_INT64:
        return mdm_table_push_int64(t, c, ((const int64_t *)rc->data)[r], err);
    case MDM_TIMESTAMP:
        return mdm_table_push_timestamp(t, c, ((const int64_t *)rc->data)[r], err);
    case MDM_FLOAT64:
        return mdm_table_push_float64(t, c, ((const double *)rc->data)[r], err);
    case MDM_BOOL:
        return mdm_table_push_bool(t, c, ((const uint8_t *)rc->data)[r] != 0, err);
    case MDM_TEXT:
        return mdm_table_push_text(t, c, (const char *)rc->data + rc->off[r],
                                   rc->off[r + 1] - rc->off[r] - 1, err);
    }
    return mdm_error_set(err, MDM_ERR_INTERNAL, "bad column type");
}

static mdm_status build_rows(mdm_table *t, const raw_col *raw, size_t nrows, mdm_error *err)
{
    mdm_status rc = mdm_table_reserve(t, nrows, 0, err);
    for (size_t r = 0; r < nrows && rc == MDM_OK; r++) {
        for (size_t c = 0; c < t->ncols && rc == MDM_OK; c++)
            rc = push_raw(t, c, &raw[c], r, err);
        if (rc == MDM_OK)
            rc = mdm_table_end_row(t, err);
    }
    return rc;
}

static mdm_status add_col(FILE *f, mdm_table *t, raw_col *raw, mdm_error *err)
{
    char *name = NULL, *decl = NULL;
    uint32_t type;
    mdm_status rc = MDM_ERR_IO;
    if (!get_str(f, &name) || name == NULL || !get_u32(f, &type) || type > MDM_TIMESTAMP ||
        !get_str(f, &decl))
        goto done;
    raw->type = (mdm_type)type;
    rc = mdm_table_add_column(t, name, raw->type, err);
    if (rc == MDM_OK && decl != NULL)
        rc = mdm_table_set_decl_type(t, t->ncols - 1, decl, err);
done:
    free(name);
    free(decl);
    return rc;
}

static mdm_status get_table(FILE *f, mdm_table *out, mdm_error *err)
{
    uint32_t ncols;
    uint64_t nrows;
    mdm_status rc = MDM_ERR_IO;
    raw_col *raw = NULL;
    if (!get_u32(f, &ncols) || !get(f, &nrows, sizeof nrows) || ncols > 100000)
        return MDM_ERR_IO;
    raw = calloc((size_t)ncols + 1, sizeof *raw);
    if (raw == NULL)
        return mdm_error_set(err, MDM_ERR_NOMEM, "out of memory");
    for (uint32_t c = 0; c < ncols; c++)
        if ((rc = add_col(f, out, &raw[c], err)) != MDM_OK)
            goto done;
    rc = MDM_ERR_IO;
    for (uint32_t c = 0; c < ncols; c++)
        if (!get_raw(f, &raw[c], (size_t)nrows))
            goto done;
    rc = build_rows(out, raw, (size_t)nrows, err);
done:
    raw_free(raw, ncols);
    return rc;
}

/* One 'R' record into r. IO means truncated. */
static mdm_status get_result(FILE *f, mdm_cmp_result *r, uint32_t head[4], mdm_error *err)
{
    char *msg = NULL;
    r->state = (mdm_cmp_state)head[1];
    r->status = (mdm_status)head[2];
    r->has_table = (head[3] & 1) != 0;
    r->has_count = (head[3] & 2) != 0;
    if (!get_str(f, &msg) || !get(f, &r->count, sizeof r->count) ||
        !get(f, &r->seconds, sizeof r->seconds)) {
        free(msg);
        return MDM_ERR_IO;
    }
    snprintf(r->message, sizeof r->message, "%s", msg ? msg : "");
    free(msg);
    return r->has_table ? get_table(f, &r->table, err) : MDM_OK;
}

mdm_status mdm_cmp_results_read(const char *path, mdm_cmp_result *results, size_t nops,
                                long *unfinished, mdm_error *err)
{
    mdm_status rc = MDM_OK;
    char tag;
    uint32_t head[4];
    FILE *f = fopen(path, "rb");
    *unfinished = -1;
    if (f == NULL)
        return MDM_OK;   /* the child died before writing anything */
    while (rc == MDM_OK && get(f, &tag, 1)) {
        if (tag == 'S' && get_u32(f, &head[0]) && head[0] < nops) {
            *unfinished = (long)head[0];
        } else if (tag == 'R' && get(f, head, sizeof head) && head[0] < nops) {
            mdm_cmp_result *r = &results[head[0]];
            mdm_cmp_result_reset(r);
            rc = get_result(f, r, head, err);
            if (rc == MDM_ERR_IO)
                mdm_cmp_result_reset(r);   /* truncated: the op stays unfinished */
            else
                *unfinished = -1;
        } else {
            break;
        }
    }
    fclose(f);
    return rc == MDM_ERR_IO ? MDM_OK : rc;
}
