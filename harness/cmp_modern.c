/* SPDX-License-Identifier: MIT */
/*
 * cmp_modern.c - the modern driver: a registry with the built-in backends,
 * one connection manager (and pool) per dataset of the cell, and every op
 * on a connection acquired for it and released after, as the app does.
 * The hidden self-test mutations are applied here, to what modern writes.
 */
#include "cmp_driver.h"

#include <stdlib.h>
#include <string.h>

#include "cmp_pg.h"
#include "cmp_table.h"
#include "mdm_table_ops.h"
#include "mdm_conn.h"
#include "mdm_connmgr.h"
#include "mdm_registry.h"

#define MODERN_MAX_DATASETS 16

typedef struct modern_state {
    const mdm_cmp_env *env;
    mdm_registry *reg;
    char *names[MODERN_MAX_DATASETS];
    mdm_connmgr *mgrs[MODERN_MAX_DATASETS];
    size_t count;
    size_t cur;
} modern_state;

static void modern_close(void *state)
{
    modern_state *st = state;
    if (st == NULL)
        return;
    for (size_t i = 0; i < st->count; i++) {
        mdm_connmgr_free(st->mgrs[i]);
        free(st->names[i]);
    }
    mdm_registry_free(st->reg);
    free(st);
}

static mdm_status new_manager(modern_state *st, const char *dataset, mdm_connmgr **out,
                              mdm_error *err)
{
    mdm_conn_config cfg = MDM_CONN_CONFIG_INIT;
    mdm_pool_opts popts = MDM_POOL_OPTS_INIT;
    mdm_buf loc, dsn;
    mdm_buf_init(&loc);
    mdm_buf_init(&dsn);
    mdm_status rc = mdm_cmp_dataset_location(st->env, dataset, &loc, err);
    cfg.backend = st->env->backend;
    if (rc == MDM_OK && strcmp(st->env->backend, "postgresql") == 0) {
        rc = mdm_cmp_pg_dsn_for(st->env->pg_dsn, mdm_buf_str(&loc), &dsn, err);
        cfg.dsn = mdm_buf_str(&dsn);
    } else {
        cfg.path = mdm_buf_str(&loc);
    }
    popts.pool_size = 1;
    popts.max_overflow = 1;
    if (rc == MDM_OK)
        rc = mdm_connmgr_new(out, st->reg, &cfg, &popts, err);
    mdm_buf_reset(&loc);
    mdm_buf_reset(&dsn);
    return rc;
}

/* Makes dataset current, creating its manager on first use. */
static mdm_status use_dataset(modern_state *st, const char *dataset, mdm_error *err)
{
    for (size_t i = 0; i < st->count; i++) {
        if (strcmp(st->names[i], dataset) == 0) {
            st->cur = i;
            return MDM_OK;
        }
    }
    if (st->count == MODERN_MAX_DATASETS)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "too many datasets in one scenario");
    mdm_status rc = new_manager(st, dataset, &st->mgrs[st->count], err);
    if (rc != MDM_OK)
        return rc;
    st->names[st->count] = strdup(dataset);
    if (st->names[st->count] == NULL) {
        mdm_connmgr_free(st->mgrs[st->count]);
        return mdm_error_set(err, MDM_ERR_NOMEM, "out of memory");
    }
    st->cur = st->count++;
    return MDM_OK;
}

static mdm_status modern_open(const mdm_cmp_env *env, void **state, mdm_error *err)
{
    modern_state *st = calloc(1, sizeof *st);
    if (st == NULL)
        return mdm_error_set(err, MDM_ERR_NOMEM, "out of memory");
    st->env = env;
    mdm_status rc = mdm_registry_new(&st->reg, err);
    if (rc == MDM_OK)
        rc = mdm_registry_add_builtins(st->reg, err);
    if (rc == MDM_OK)
        rc = use_dataset(st, "main", err);
    if (rc != MDM_OK) {
        modern_close(st);
        return rc;
    }
    *state = st;
    return MDM_OK;
}

/* ---- ops (each on a connection loaned for the op) ------------------------ */

typedef struct op_call {
    modern_state *st;
    const mdm_cmp_op *op;
    const mdm_table *data;
    mdm_cmp_result *out;
} op_call;

static mdm_status op_create(op_call *k, mdm_conn *c, mdm_error *err)
{
    mdm_table mutated;
    const mdm_table *data = k->data;
    mdm_status rc = MDM_OK;
    mdm_table_init(&mutated);
    if (k->st->env->mutate & MDM_CMP_MUTATE_NULLS_AS_EMPTY) {
        rc = mdm_cmp_table_nulls_as_empty(k->data, &mutated, err);
        data = &mutated;
    }
    if (rc == MDM_OK)
        rc = mdm_conn_create_table(c, k->op->table, data, (mdm_if_exists)k->op->if_exists, err);
    mdm_table_reset(&mutated);
    return rc;
}

static mdm_status op_read(op_call *k, mdm_conn *c, mdm_error *err)
{
    mdm_read_opts opts = MDM_READ_OPTS_INIT;
    opts.columns = (const char *const *)k->op->columns;
    opts.ncolumns = k->op->ncolumns;
    opts.has_limit = k->op->has_limit;
    opts.limit = k->op->limit;
    mdm_status rc = mdm_conn_read_table(c, k->op->table, &opts, &k->out->table, err);
    k->out->has_table = rc == MDM_OK;
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

static mdm_status op_sql(op_call *k, mdm_conn *c, mdm_error *err)
{
    mdm_query_result qr;
    mdm_param *params = calloc(k->op->nparams + 1, sizeof *params);
    if (params == NULL)
        return mdm_error_set(err, MDM_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < k->op->nparams; i++)
        to_param(&k->op->params[i], &params[i]);
    mdm_query_result_init(&qr);
    mdm_status rc = mdm_conn_execute_query(c, k->op->sql, params, k->op->nparams, &qr, err);
    if (rc == MDM_OK && k->op->kind == MDM_CMP_OP_QUERY) {
        mdm_table_move(&k->out->table, &qr.table);
        k->out->has_table = true;
    }
    mdm_query_result_reset(&qr);
    free(params);
    return rc;
}

static mdm_status op_info(op_call *k, mdm_conn *c, mdm_error *err)
{
    mdm_table_info ti;
    mdm_table_info_init(&ti);
    mdm_status rc = mdm_conn_table_info(c, k->op->table, &ti, err);
    char **names = calloc(ti.ncolumns + 1, sizeof *names);
    char **types = calloc(ti.ncolumns + 1, sizeof *types);
    if (rc == MDM_OK && (names == NULL || types == NULL))
        rc = mdm_error_set(err, MDM_ERR_NOMEM, "out of memory");
    for (size_t i = 0; rc == MDM_OK && i < ti.ncolumns; i++) {
        names[i] = ti.columns[i].name;
        types[i] = ti.columns[i].decl_type;
    }
    if (rc == MDM_OK)
        rc = mdm_cmp_info_table(names, types, ti.ncolumns, &k->out->table, err);
    k->out->has_table = k->out->has_count = rc == MDM_OK;
    k->out->count = ti.row_count;
    free(names);
    free(types);
    mdm_table_info_reset(&ti);
    return rc;
}

static mdm_status op_exists(op_call *k, mdm_conn *c, mdm_error *err)
{
    bool yes = false;
    mdm_status rc = mdm_conn_table_exists(c, k->op->table, &yes, err);
    if (rc == MDM_OK)
        rc = mdm_cmp_bool_table(yes, &k->out->table, err);
    k->out->has_table = rc == MDM_OK;
    return rc;
}

static mdm_status op_list(op_call *k, mdm_conn *c, mdm_error *err)
{
    mdm_strlist names;
    mdm_strlist_init(&names);
    mdm_status rc = mdm_conn_list_tables(c, &names, err);
    if (rc == MDM_OK)
        rc = mdm_table_from_strings("name", (const char *const *)names.items, names.count, &k->out->table, err);
    k->out->has_table = rc == MDM_OK;
    mdm_strlist_reset(&names);
    return rc;
}

/* The callback of mdm_connmgr_with_conn. */
static mdm_status with_conn(mdm_conn *c, void *arg, mdm_error *err)
{
    op_call *k = arg;
    switch (k->op->kind) {
    case MDM_CMP_OP_CREATE:
        return op_create(k, c, err);
    case MDM_CMP_OP_READ:
        return op_read(k, c, err);
    case MDM_CMP_OP_QUERY:
    case MDM_CMP_OP_EXEC:
        return op_sql(k, c, err);
    case MDM_CMP_OP_DROP:
        return mdm_conn_drop_table(c, k->op->table, false, err);
    case MDM_CMP_OP_INFO:
        return op_info(k, c, err);
    case MDM_CMP_OP_EXISTS:
        return op_exists(k, c, err);
    case MDM_CMP_OP_LIST:
        return op_list(k, c, err);
    default:
        return mdm_error_set(err, MDM_ERR_INTERNAL, "op needs no connection");
    }
}

static void modern_run(void *state, const mdm_cmp_op *op, const mdm_table *data,
                       mdm_cmp_result *out)
{
    modern_state *st = state;
    op_call k = { st, op, data, out };
    mdm_error err;
    mdm_status rc = MDM_OK;
    mdm_error_clear(&err);
    if (op->kind == MDM_CMP_OP_DATASET)
        rc = use_dataset(st, op->table, &err);
    else if (op->kind != MDM_CMP_OP_CLOSE && op->kind != MDM_CMP_OP_HALT)
        rc = mdm_connmgr_with_conn(st->mgrs[st->cur], with_conn, &k, &err);
    if (rc != MDM_OK)
        mdm_cmp_result_set_error(out, &err);
}

static const mdm_cmp_driver MODERN_DRIVER = { "modern", modern_open, modern_close, modern_run };

const mdm_cmp_driver *mdm_cmp_modern_driver(void)
{
    return &MODERN_DRIVER;
}
