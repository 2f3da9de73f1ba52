/* SPDX-License-Identifier: MIT */
/*
 * example_backend.c - an in-memory backend written against mdm_backend.h
 * only: each connection is its own database holding tables as mdm_tables.
 * It runs no SQL (execute_query is UNSUPPORTED; the conformance suite reads
 * the missing MDM_CAP_SQL flag) but implements every other operation, so
 * the shared conformance suite runs against it like any other backend.
 */
#include "example_backend.h"

#include <stdlib.h>
#include <string.h>

#include "mdm_sql.h"

typedef struct ex_table {
    char *name;
    mdm_table data;
} ex_table;

typedef struct ex_conn {
    struct mdm_conn base;
    ex_table *tables;
    size_t count;
} ex_conn;

static ex_conn *EX(mdm_conn *c)
{
    return (ex_conn *)c;
}

static ex_table *find(ex_conn *x, const char *name)
{
    for (size_t i = 0; i < x->count; i++)
        if (strcmp(x->tables[i].name, name) == 0)
            return &x->tables[i];
    return NULL;
}

static mdm_status ex_connect(const mdm_conn_config *cfg, mdm_conn **out, mdm_error *err)
{
    (void)cfg;
    ex_conn *x = calloc(1, sizeof *x);
    if (x == NULL)
        return mdm_error_set(err, MDM_ERR_NOMEM, "out of memory");
    x->base.ops = mdm_example_backend();
    *out = &x->base;
    return MDM_OK;
}

static void ex_disconnect(mdm_conn *c)
{
    ex_conn *x = EX(c);
    for (size_t i = 0; i < x->count; i++) {
        free(x->tables[i].name);
        mdm_table_reset(&x->tables[i].data);
    }
    free(x->tables);
    free(x);
}

/* Copies cell (sc, r) of src into column dc of dst. */
static mdm_status copy_cell(mdm_table *dst, size_t dc, const mdm_table *src, size_t sc,
                            size_t r, mdm_error *err)
{
    size_t n;
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
        s = mdm_table_text(src, sc, r, &n);
        return mdm_table_push_text(dst, dc, s, n, err);
    }
}

/* dst gets the columns idx[0..n) of src (with declared types), no rows. */
static mdm_status copy_schema(mdm_table *dst, const mdm_table *src, const size_t *idx, size_t n,
                              mdm_error *err)
{
    mdm_status rc = MDM_OK;
    for (size_t i = 0; rc == MDM_OK && i < n; i++) {
        const mdm_column *col = &src->cols[idx[i]];
        rc = mdm_table_add_column(dst, col->name, col->type, err);
        if (rc == MDM_OK)
            rc = mdm_table_set_decl_type(dst, i, mdm_type_name(col->type), err);
    }
    return rc;
}

/* Appends rows [0, nrows) of src's columns idx[] to dst's columns 0..n. */
static mdm_status copy_rows(mdm_table *dst, const mdm_table *src, const size_t *idx, size_t n,
                            size_t nrows, mdm_error *err)
{
    mdm_status rc = MDM_OK;
    for (size_t r = 0; rc == MDM_OK && r < nrows; r++) {
        for (size_t i = 0; rc == MDM_OK && i < n; i++)
            rc = copy_cell(dst, i, src, idx[i], r, err);
        if (rc == MDM_OK)
            rc = mdm_table_end_row(dst, err);
    }
    return rc;
}

static mdm_status ex_create_table(mdm_conn *c, const char *table, const mdm_table *data,
                                  mdm_if_exists mode, mdm_error *err)
{
    ex_conn *x = EX(c);
    ex_table *t;
    mdm_table fresh;
    size_t *idx = NULL;
    mdm_status rc = mdm_sql_check_ident(MDM_SQL_SQLITE, table, err);
    for (size_t i = 0; rc == MDM_OK && i < data->ncols; i++)
        rc = mdm_sql_check_ident(MDM_SQL_SQLITE, data->cols[i].name, err);
    if (rc != MDM_OK)
        return rc;
    t = find(x, table);
    if (t != NULL && mode == MDM_IF_EXISTS_FAIL)
        return mdm_error_set(err, MDM_ERR_EXISTS, "Failed to create table %s: Table '%s' already exists.",
                             table, table);
    if ((idx = calloc(data->ncols, sizeof *idx)) == NULL)
        return mdm_error_set(err, MDM_ERR_NOMEM, "out of memory");
    mdm_table_init(&fresh);
    if (t != NULL && mode == MDM_IF_EXISTS_APPEND) {
        /* map each stored column to a data column, or NULL-fill it */
        size_t nt = t->data.ncols;
        long *from = calloc(nt ? nt : 1, sizeof *from);
        for (size_t i = 0; i < nt && from; i++)
            from[i] = mdm_table_find_column(data, t->data.cols[i].name);
        for (size_t i = 0; from && rc == MDM_OK && i < data->ncols; i++) {
            long j = mdm_table_find_column(&t->data, data->cols[i].name);
            if (j < 0)
                rc = mdm_error_set(err, MDM_ERR_SQL, "Failed to create table %s: table %s has no "
                                   "column named %s", table, table, data->cols[i].name);
            else if (t->data.cols[j].type != data->cols[i].type)
                rc = mdm_error_set(err, MDM_ERR_TYPE, "Failed to create table %s: column %s is %s, "
                                   "not %s", table, data->cols[i].name,
                                   mdm_type_name(t->data.cols[j].type),
                                   mdm_type_name(data->cols[i].type));
        }
        if (from == NULL)
            rc = mdm_error_set(err, MDM_ERR_NOMEM, "out of memory");
        /* build the appended rows into a copy, then swap (all or nothing) */
        size_t *all = calloc(nt ? nt : 1, sizeof *all);
        for (size_t i = 0; all && i < nt; i++)
            all[i] = i;
        if (rc == MDM_OK && all == NULL)
            rc = mdm_error_set(err, MDM_ERR_NOMEM, "out of memory");
        if (rc == MDM_OK)
            rc = copy_schema(&fresh, &t->data, all, nt, err);
        if (rc == MDM_OK)
            rc = copy_rows(&fresh, &t->data, all, nt, t->data.nrows, err);
        for (size_t r = 0; rc == MDM_OK && r < data->nrows; r++) {
            for (size_t i = 0; rc == MDM_OK && i < nt; i++)
                rc = from[i] < 0 ? mdm_table_push_null(&fresh, i, err)
                                 : copy_cell(&fresh, i, data, (size_t)from[i], r, err);
            if (rc == MDM_OK)
                rc = mdm_table_end_row(&fresh, err);
        }
        free(all);
        free(from);
        if (rc == MDM_OK)
            mdm_table_move(&t->data, &fresh);
    } else {
        for (size_t i = 0; i < data->ncols; i++)
            idx[i] = i;
        rc = copy_schema(&fresh, data, idx, data->ncols, err);
        if (rc == MDM_OK)
            rc = copy_rows(&fresh, data, idx, data->ncols, data->nrows, err);
        if (rc == MDM_OK && t != NULL) {
            mdm_table_move(&t->data, &fresh);   /* replace: swap at the end */
        } else if (rc == MDM_OK) {
            ex_table *tabs = realloc(x->tables, (x->count + 1) * sizeof *tabs);
            char *name = strdup(table);
            if (tabs != NULL)
                x->tables = tabs;
            if (tabs == NULL || name == NULL) {
                free(name);
                rc = mdm_error_set(err, MDM_ERR_NOMEM, "out of memory");
            } else {
                tabs[x->count].name = name;
                mdm_table_init(&tabs[x->count].data);
                mdm_table_move(&tabs[x->count].data, &fresh);
                x->count++;
            }
        }
    }
    mdm_table_reset(&fresh);
    free(idx);
    return rc;
}

static mdm_status not_found(const char *table, mdm_error *err)
{
    return mdm_error_set(err, MDM_ERR_NOT_FOUND, "no such table: %s", table);
}

static mdm_status ex_read_table(mdm_conn *c, const char *table, const mdm_read_opts *opts,
                                mdm_table *out, mdm_error *err)
{
    ex_table *t = find(EX(c), table);
    size_t n, *idx, rows;
    mdm_status rc = MDM_OK;
    if (t == NULL)
        return not_found(table, err);
    n = opts->ncolumns ? opts->ncolumns : t->data.ncols;
    if ((idx = calloc(n ? n : 1, sizeof *idx)) == NULL)
        return mdm_error_set(err, MDM_ERR_NOMEM, "out of memory");
    for (size_t i = 0; rc == MDM_OK && i < n; i++) {
        long j = opts->ncolumns ? mdm_table_find_column(&t->data, opts->columns[i]) : (long)i;
        if (j < 0)
            rc = mdm_error_set(err, MDM_ERR_NOT_FOUND, "no such column: %s", opts->columns[i]);
        else
            idx[i] = (size_t)j;
    }
    rows = t->data.nrows;
    if (opts->has_limit && (uint64_t)opts->limit < rows)
        rows = (size_t)opts->limit;
    if (rc == MDM_OK)
        rc = copy_schema(out, &t->data, idx, n, err);
    if (rc == MDM_OK)
        rc = copy_rows(out, &t->data, idx, n, rows, err);
    free(idx);
    return rc;
}

static mdm_status ex_execute_query(mdm_conn *c, const char *sql, const mdm_param *params,
                                   size_t nparams, mdm_query_result *out, mdm_error *err)
{
    (void)c, (void)sql, (void)params, (void)nparams, (void)out;
    return mdm_error_set(err, MDM_ERR_UNSUPPORTED, "the example backend runs no SQL");
}

static mdm_status ex_table_exists(mdm_conn *c, const char *table, bool *out, mdm_error *err)
{
    (void)err;
    *out = find(EX(c), table) != NULL;
    return MDM_OK;
}

static mdm_status ex_list_tables(mdm_conn *c, mdm_strlist *out, mdm_error *err)
{
    ex_conn *x = EX(c);
    mdm_status rc = MDM_OK;
    for (size_t i = 0; rc == MDM_OK && i < x->count; i++)
        rc = mdm_strlist_push(out, x->tables[i].name, err);
    return rc;
}

static mdm_status ex_table_info(mdm_conn *c, const char *table, mdm_table_info *out,
                                mdm_error *err)
{
    ex_table *t = find(EX(c), table);
    if (t == NULL)
        return not_found(table, err);
    out->name = strdup(table);
    out->columns = calloc(t->data.ncols ? t->data.ncols : 1, sizeof *out->columns);
    if (out->name == NULL || out->columns == NULL)
        return mdm_error_set(err, MDM_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < t->data.ncols; i++) {
        out->columns[i].name = strdup(t->data.cols[i].name);
        out->columns[i].decl_type = strdup(mdm_type_name(t->data.cols[i].type));
        out->columns[i].type = t->data.cols[i].type;
        out->ncolumns++;
        if (out->columns[i].name == NULL || out->columns[i].decl_type == NULL)
            return mdm_error_set(err, MDM_ERR_NOMEM, "out of memory");
    }
    out->row_count = (int64_t)t->data.nrows;
    return MDM_OK;
}

static mdm_status ex_drop_table(mdm_conn *c, const char *table, bool missing_ok, mdm_error *err)
{
    ex_conn *x = EX(c);
    ex_table *t = find(x, table);
    if (t == NULL)
        return missing_ok ? MDM_OK : not_found(table, err);
    free(t->name);
    mdm_table_reset(&t->data);
    *t = x->tables[--x->count];
    return MDM_OK;
}

static mdm_status ex_ping(mdm_conn *c, mdm_error *err)
{
    (void)c, (void)err;
    return MDM_OK;
}

static const mdm_backend_ops example_ops = {
    .version = MDM_BACKEND_OPS_VERSION,
    .name = "example",
    .caps = 0,
    .connect = ex_connect,
    .disconnect = ex_disconnect,
    .create_table = ex_create_table,
    .read_table = ex_read_table,
    .execute_query = ex_execute_query,
    .table_exists = ex_table_exists,
    .list_tables = ex_list_tables,
    .table_info = ex_table_info,
    .drop_table = ex_drop_table,
    .ping = ex_ping,
};

const mdm_backend_ops *mdm_example_backend(void)
{
    return &example_ops;
}
