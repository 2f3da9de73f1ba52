/* SPDX-License-Identifier: MIT */
/*
 * cmp_store.c - one op of a script on one store (cmp_store.h), the shapes
 * of results that are not tables in the store interface (info, exists),
 * and the router a cell is given.
 */
#include "cmp_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mdm_table_ops.h"

mdm_status mdm_cmp_router_new(const mdm_cmp_env *env, mdm_router **out, mdm_error *err)
{
    mdm_store_settings set;
    mdm_flag_settings flags;
    mdm_pool_opts pool = MDM_POOL_OPTS_INIT;
    memset(&set, 0, sizeof set);
    set.backend = env->backend;
    set.pg_dsn = env->pg_dsn;
    set.pool = pool;
    set.faults = env->mutate;
    mdm_flag_settings_init(&flags);   /* unused: a cell names its stores */
    mdm_router_opts ro = {&set, &flags, NULL, NULL, NULL, NULL};
    return mdm_router_new(out, &ro, err);
}

mdm_status mdm_cmp_dataset_location(const mdm_cmp_env *env, const char *dataset, mdm_buf *out,
                                    mdm_error *err)
{
    mdm_status rc;
    if (strcmp(env->backend, "postgresql") == 0)
        rc = mdm_buf_printf(out, "%s%s", env->pg_prefix, dataset);
    else
        rc = mdm_buf_printf(out, "%s/%s.sqlite", env->cell_dir, dataset);
    return rc != MDM_OK ? mdm_error_set(err, rc, "out of memory") : MDM_OK;
}

void mdm_cmp_result_set_error(mdm_cmp_result *out, const mdm_error *err)
{
    out->status = err->code != MDM_OK ? err->code : MDM_ERR_INTERNAL;
    snprintf(out->message, sizeof out->message, "%s", err->message);
    out->has_table = false;
    out->has_count = false;
    mdm_table_reset(&out->table);
}

/* ---- ops ---------------------------------------------------------------- */

static mdm_status op_read(mdm_store *s, const char *db, const mdm_cmp_op *op,
                          mdm_cmp_result *out, mdm_error *err)
{
    mdm_read_opts opts = MDM_READ_OPTS_INIT;
    opts.columns = (const char *const *)op->columns;
    opts.ncolumns = op->ncolumns;
    opts.has_limit = op->has_limit;
    opts.limit = op->limit;
    mdm_status rc = s->ops->read(s, db, op->table, &opts, &out->table, err);
    out->has_table = rc == MDM_OK;
    return rc;
}

static void to_param(const mdm_cmp_param *p, mdm_param *out)
{
    out->name = p->name;
    out->value.type = p->type;
    out->value.is_null = p->is_null;
    if (p->type == MDM_TEXT)
        out->value.v.text.s = p->text, out->value.v.text.len = strlen(p->text);
    else if (p->type == MDM_FLOAT64)
        out->value.v.f64 = p->f64;
    else if (p->type == MDM_BOOL)
        out->value.v.b = p->i64 != 0;
    else
        out->value.v.i64 = p->i64;
}

static mdm_status op_sql(mdm_store *s, const char *db, const mdm_cmp_op *op,
                         mdm_cmp_result *out, mdm_error *err)
{
    mdm_table t;
    mdm_param *params = calloc(op->nparams + 1, sizeof *params);
    if (params == NULL)
        return mdm_error_set(err, MDM_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < op->nparams; i++)
        to_param(&op->params[i], &params[i]);
    mdm_table_init(&t);
    mdm_status rc = s->ops->query(s, db, op->sql, params, op->nparams, false, &t, err);
    if (rc == MDM_OK && op->kind == MDM_CMP_OP_QUERY) {
        mdm_table_move(&out->table, &t);
        out->has_table = true;
    }
    mdm_table_reset(&t);
    free(params);
    return rc;
}

/* info's answer as a table: columns "column" and "type" (TEXT), and the
 * row count beside it. */
static mdm_status op_info(mdm_store *s, const char *db, const mdm_cmp_op *op,
                          mdm_cmp_result *out, mdm_error *err)
{
    mdm_table_info ti;
    mdm_table t;
    mdm_table_info_init(&ti);
    mdm_table_init(&t);
    mdm_status rc = s->ops->table_info(s, db, op->table, &ti, err);
    if (rc == MDM_OK)
        rc = mdm_table_add_column(&t, "column", MDM_TEXT, err);
    if (rc == MDM_OK)
        rc = mdm_table_add_column(&t, "type", MDM_TEXT, err);
    for (size_t i = 0; rc == MDM_OK && i < ti.ncolumns; i++) {
        const mdm_column_info *c = &ti.columns[i];
        rc = mdm_table_push_text(&t, 0, c->name, strlen(c->name), err);
        if (rc == MDM_OK)
            rc = mdm_table_push_text(&t, 1, c->decl_type, strlen(c->decl_type), err);
        if (rc == MDM_OK)
            rc = mdm_table_end_row(&t, err);
    }
    if (rc == MDM_OK)
        mdm_table_move(&out->table, &t);
    out->has_table = out->has_count = rc == MDM_OK;
    out->count = ti.row_count;
    mdm_table_reset(&t);
    mdm_table_info_reset(&ti);
    return rc;
}

/* exists' answer as a one-cell BOOL table "exists". */
static mdm_status op_exists(mdm_store *s, const char *db, const mdm_cmp_op *op,
                            mdm_cmp_result *out, mdm_error *err)
{
    bool yes = false;
    mdm_table t;
    mdm_table_init(&t);
    mdm_status rc = s->ops->table_exists(s, db, op->table, &yes, err);
    if (rc == MDM_OK)
        rc = mdm_table_add_column(&t, "exists", MDM_BOOL, err);
    if (rc == MDM_OK)
        rc = mdm_table_push_bool(&t, 0, yes, err);
    if (rc == MDM_OK)
        rc = mdm_table_end_row(&t, err);
    if (rc == MDM_OK)
        mdm_table_move(&out->table, &t);
    out->has_table = rc == MDM_OK;
    mdm_table_reset(&t);
    return rc;
}

static mdm_status op_list(mdm_store *s, const char *db, mdm_cmp_result *out, mdm_error *err)
{
    mdm_strlist names;
    mdm_strlist_init(&names);
    mdm_status rc = s->ops->tables(s, db, &names, err);
    if (rc == MDM_OK)
        rc = mdm_table_from_strings("name", (const char *const *)names.items, names.count,
                                    &out->table, err);
    out->has_table = rc == MDM_OK;
    mdm_strlist_reset(&names);
    return rc;
}

/* A table handed over in slices of CREATE_CHUNK_ROWS rows, as a register
 * hands over its CSV in chunks: a big table is appended to itself chunk
 * by chunk inside the write's transaction, the path mdm takes. */
enum { CREATE_CHUNK_ROWS = 1000 };

/* create: where the store takes rows in chunks (write_rows), through it,
 * as `mdm register` writes; else the whole table (write). */
static mdm_status create(mdm_store *s, const char *db, const mdm_cmp_op *op, const mdm_table *data,
                         mdm_error *err)
{
    mdm_if_exists mode = (mdm_if_exists)op->if_exists;
    if (s->ops->write_rows == NULL)
        return s->ops->write(s, db, op->table, data, mode, NULL, NULL, err);
    mdm_table_slices sl;
    mdm_row_source src = mdm_table_slices_source(&sl, data, CREATE_CHUNK_ROWS);
    mdm_table_rows one = {op->table, &src};
    return s->ops->write_rows(s, db, &one, 1, mode, NULL, NULL, err);
}

static mdm_status dispatch(mdm_store *s, const char *db, const mdm_cmp_op *op,
                           const mdm_table *data, mdm_cmp_result *out, mdm_error *err)
{
    switch (op->kind) {
    case MDM_CMP_OP_CREATE:
        return create(s, db, op, data, err);
    case MDM_CMP_OP_READ:
        return op_read(s, db, op, out, err);
    case MDM_CMP_OP_QUERY:
    case MDM_CMP_OP_EXEC:
        return op_sql(s, db, op, out, err);
    case MDM_CMP_OP_DROP:
        return s->ops->table_drop(s, db, op->table, err);
    case MDM_CMP_OP_INFO:
        return op_info(s, db, op, out, err);
    case MDM_CMP_OP_EXISTS:
        return op_exists(s, db, op, out, err);
    case MDM_CMP_OP_LIST:
        return op_list(s, db, out, err);
    default:
        return mdm_error_set(err, MDM_ERR_INTERNAL, "op is the cell's, not a store's");
    }
}

void mdm_cmp_store_run(mdm_store *s, const char *db, const mdm_cmp_op *op,
                       const mdm_table *data, mdm_cmp_result *out)
{
    mdm_error err;
    mdm_error_clear(&err);
    if (dispatch(s, db, op, data, out, &err) != MDM_OK)
        mdm_cmp_result_set_error(out, &err);
}

/* ---- the server ------------------------------------------------------------ */

mdm_status mdm_cmp_pg_version(const char *dsn, char *buf, size_t n, mdm_error *err)
{
    mdm_cmp_env env = {"postgresql", NULL, dsn, "", 0};
    mdm_router *r = NULL;
    mdm_store *s = NULL;
    mdm_table t;
    mdm_table_init(&t);
    mdm_status rc = mdm_cmp_router_new(&env, &r, err);
    if (rc == MDM_OK)
        rc = mdm_router_store(r, MDM_IMPL_MODERN, &s, err);
    if (rc == MDM_OK)
        rc = s->ops->query(s, "postgres", "SELECT current_setting('server_version') AS v", NULL,
                           0, false, &t, err);
    if (rc == MDM_OK)
        snprintf(buf, n, "%s", mdm_table_text(&t, 0, 0, NULL));
    mdm_table_reset(&t);
    mdm_router_free(r);
    return rc;
}
