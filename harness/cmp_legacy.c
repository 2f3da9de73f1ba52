/* SPDX-License-Identifier: MIT */
/*
 * cmp_legacy.c - the legacy driver: runs ops through legacy_* the way the
 * old application called it. The singleton is reset at open; PostgreSQL is
 * configured through the old `postgresql:` config mapping; values of query
 * parameters are pasted into the SQL as literals and DROP TABLE pastes the
 * name (legacy had neither bound parameters nor a drop method); a column
 * list on read is applied to the frame afterwards (df[columns]).
 */
#include "cmp_driver.h"

#include <stdlib.h>
#include <string.h>

#if MDM_WITH_LEGACY

#include <inttypes.h>
#include <stdio.h>

#include "cmp_pg.h"
#include "cmp_table.h"
#include "mdm_table_ops.h"
#include "legacy_db.h"
#include "mdm_conf.h"
#include "mdm_conn.h"
#include "mdm_sqlscan.h"

typedef struct legacy_state {
    const mdm_cmp_env *env;
    legacy_backend *b;
    legacy_engine *engine;
} legacy_state;

/* The old config: postgresql: {host, port, user, password, sslmode}. */
static mdm_status pg_configure(legacy_state *st, mdm_error *err)
{
    mdm_cmp_pg_params p;
    mdm_conf *conf = NULL;
    mdm_conf_node *pg = NULL, *leaf = NULL;
    mdm_status rc = mdm_cmp_pg_params_parse(st->env->pg_dsn, &p, err);
    if (rc != MDM_OK)
        return rc;
    const char *keys[] = { "host", "port", "user", "password", "sslmode" };
    const char *vals[] = { p.host, p.port, p.user, p.password, p.sslmode };
    rc = mdm_conf_new("mdm-compare", &conf, err);
    if (rc == MDM_OK)
        rc = mdm_conf_add(&conf->root, "postgresql", MDM_CONF_MAP, NULL, &pg, err);
    for (size_t i = 0; i < 5 && rc == MDM_OK; i++)
        if (vals[i] != NULL)
            rc = mdm_conf_add(pg, keys[i], MDM_CONF_SCALAR, vals[i], &leaf, err);
    if (rc == MDM_OK)
        rc = legacy_backend_configure(st->b, &conf->root, err);
    mdm_conf_free(conf);
    mdm_cmp_pg_params_reset(&p);
    return rc;
}

static mdm_status use_dataset(legacy_state *st, const char *dataset, mdm_error *err)
{
    mdm_buf loc;
    mdm_buf_init(&loc);
    mdm_status rc = mdm_cmp_dataset_location(st->env, dataset, &loc, err);
    if (rc == MDM_OK)
        rc = legacy_get_engine(st->b, mdm_buf_str(&loc), &st->engine, err);
    mdm_buf_reset(&loc);
    return rc;
}

static void legacy_close(void *state)
{
    free(state);
    legacy_reset_all();
}

static mdm_status legacy_open(const mdm_cmp_env *env, void **state, mdm_error *err)
{
    legacy_state *st = calloc(1, sizeof *st);
    mdm_status rc = MDM_OK;
    if (st == NULL)
        return mdm_error_set(err, MDM_ERR_NOMEM, "out of memory");
    st->env = env;
    legacy_reset_all();
    st->b = legacy_backend_get(env->backend, err);
    if (st->b == NULL)
        rc = err->code;
    if (rc == MDM_OK && strcmp(env->backend, "postgresql") == 0)
        rc = pg_configure(st, err);
    if (rc == MDM_OK)
        rc = use_dataset(st, "main", err);
    if (rc != MDM_OK) {
        legacy_close(st);
        return rc;
    }
    *state = st;
    return MDM_OK;
}

/* ---- pasting parameters (what the old callers did) ----------------------- */

static mdm_status paste_literal(mdm_buf *b, const mdm_cmp_param *p, mdm_error *err)
{
    char num[64];
    mdm_status rc = MDM_OK;
    if (p->is_null)
        return mdm_buf_puts(b, "NULL");
    switch (p->type) {
    case MDM_INT64:
        return mdm_buf_printf(b, "%" PRId64, p->i64);
    case MDM_FLOAT64:
        mdm_format_float64(p->f64, num, sizeof num);
        return mdm_buf_puts(b, num);
    case MDM_BOOL:
        return mdm_buf_puts(b, p->i64 ? "TRUE" : "FALSE");
    case MDM_TIMESTAMP:
        mdm_format_timestamp_full(p->i64, num, sizeof num);
        return mdm_buf_printf(b, "'%s'", num);
    case MDM_TEXT:
        rc = mdm_buf_putc(b, '\'');
        for (const char *s = p->text; *s && rc == MDM_OK; s++)
            rc = (*s == '\'') ? mdm_buf_puts(b, "''") : mdm_buf_putc(b, *s);
        return rc == MDM_OK ? mdm_buf_putc(b, '\'') : rc;
    }
    return mdm_error_set(err, MDM_ERR_INTERNAL, "bad parameter type");
}

static const mdm_cmp_param *find_param(const mdm_cmp_op *op, const char *name, size_t len)
{
    for (size_t i = 0; i < op->nparams; i++)
        if (strlen(op->params[i].name) == len && strncmp(op->params[i].name, name, len) == 0)
            return &op->params[i];
    return NULL;
}

/* Copies sql to b with every :name token replaced by its value's literal. */
static mdm_status paste_params(const legacy_state *st, const mdm_cmp_op *op, mdm_buf *b,
                               mdm_error *err)
{
    bool pg = strcmp(st->env->backend, "postgresql") == 0;
    mdm_sqlscan sc;
    mdm_sqltok t;
    mdm_status rc = MDM_OK;
    mdm_sqlscan_init(&sc, op->sql, pg ? MDM_SQL_POSTGRESQL : MDM_SQL_SQLITE);
    while (rc == MDM_OK && mdm_sqlscan_next(&sc, &t)) {
        if (t.kind != MDM_SQLTOK_PARAM) {
            rc = mdm_buf_append(b, t.text, t.len);
            continue;
        }
        const mdm_cmp_param *p = find_param(op, t.text + 1, t.len - 1);
        if (p == NULL)
            return mdm_error_set(err, MDM_ERR_INVALID_ARG, "parameter '%.*s' has no value",
                                 (int)(t.len - 1), t.text + 1);
        rc = paste_literal(b, p, err);
    }
    return rc;
}

/* ---- ops ---------------------------------------------------------------- */

static mdm_status op_read(legacy_state *st, const mdm_cmp_op *op, mdm_cmp_result *out,
                          mdm_error *err)
{
    mdm_status rc = legacy_read_table_to_dataframe(st->b, op->table, st->engine,
                                                   op->has_limit ? &op->limit : NULL,
                                                   &out->table, err);
    if (rc == MDM_OK && op->ncolumns > 0)
        rc = mdm_table_project(&out->table, NULL, (const char *const *)op->columns, op->ncolumns, &out->table, err);
    out->has_table = rc == MDM_OK;
    return rc;
}

static mdm_status op_sql(legacy_state *st, const mdm_cmp_op *op, mdm_cmp_result *out,
                         mdm_error *err)
{
    mdm_buf sql;
    mdm_buf_init(&sql);
    mdm_status rc = paste_params(st, op, &sql, err);
    if (rc == MDM_OK)
        rc = legacy_execute_query(st->b, mdm_buf_str(&sql), st->engine, &out->table, err);
    out->has_table = rc == MDM_OK && op->kind == MDM_CMP_OP_QUERY;
    mdm_buf_reset(&sql);
    return rc;
}

static mdm_status op_drop(legacy_state *st, const mdm_cmp_op *op, mdm_cmp_result *out,
                          mdm_error *err)
{
    mdm_buf sql;
    mdm_buf_init(&sql);
    mdm_status rc = mdm_buf_printf(&sql, "DROP TABLE %s", op->table);
    if (rc == MDM_OK)
        rc = legacy_execute_query(st->b, mdm_buf_str(&sql), st->engine, &out->table, err);
    mdm_table_reset(&out->table);
    mdm_buf_reset(&sql);
    return rc;
}

static mdm_status op_info(legacy_state *st, const mdm_cmp_op *op, mdm_cmp_result *out,
                          mdm_error *err)
{
    legacy_table_info info;
    legacy_table_info_init(&info);
    mdm_status rc = legacy_get_table_info(st->b, op->table, st->engine, &info, err);
    char **names = calloc(info.column_count + 1, sizeof *names);
    char **types = calloc(info.column_count + 1, sizeof *types);
    if (rc == MDM_OK && (names == NULL || types == NULL))
        rc = mdm_error_set(err, MDM_ERR_NOMEM, "out of memory");
    for (size_t i = 0; rc == MDM_OK && i < info.column_count; i++) {
        names[i] = info.columns[i].name;
        types[i] = info.columns[i].type;
    }
    if (rc == MDM_OK)
        rc = mdm_cmp_info_table(names, types, info.column_count, &out->table, err);
    out->has_table = out->has_count = rc == MDM_OK;
    out->count = info.row_count;
    free(names);
    free(types);
    legacy_table_info_reset(&info);
    return rc;
}

static mdm_status op_exists(legacy_state *st, const mdm_cmp_op *op, mdm_cmp_result *out,
                            mdm_error *err)
{
    bool yes = false;
    mdm_status rc = legacy_table_exists(st->b, st->engine, op->table, &yes, err);
    if (rc == MDM_OK)
        rc = mdm_cmp_bool_table(yes, &out->table, err);
    out->has_table = rc == MDM_OK;
    return rc;
}

static mdm_status op_list(legacy_state *st, mdm_cmp_result *out, mdm_error *err)
{
    legacy_names names;
    legacy_names_init(&names);
    mdm_status rc = legacy_get_table_names(st->b, st->engine, &names, err);
    if (rc == MDM_OK)
        rc = mdm_table_from_strings("name", (const char *const *)names.items, names.count, &out->table, err);
    out->has_table = rc == MDM_OK;
    legacy_names_reset(&names);
    return rc;
}

static mdm_status dispatch(legacy_state *st, const mdm_cmp_op *op, const mdm_table *data,
                           mdm_cmp_result *out, mdm_error *err)
{
    switch (op->kind) {
    case MDM_CMP_OP_CREATE:
        return legacy_create_table_from_dataframe(st->b, data, op->table, st->engine,
                                                  mdm_if_exists_name((mdm_if_exists)op->if_exists),
                                                  err);
    case MDM_CMP_OP_READ:
        return op_read(st, op, out, err);
    case MDM_CMP_OP_QUERY:
    case MDM_CMP_OP_EXEC:
        return op_sql(st, op, out, err);
    case MDM_CMP_OP_DROP:
        return op_drop(st, op, out, err);
    case MDM_CMP_OP_INFO:
        return op_info(st, op, out, err);
    case MDM_CMP_OP_EXISTS:
        return op_exists(st, op, out, err);
    case MDM_CMP_OP_LIST:
        return op_list(st, out, err);
    case MDM_CMP_OP_DATASET:
        return use_dataset(st, op->table, err);
    case MDM_CMP_OP_CLOSE:
        legacy_close_connections(st->b);
        return MDM_OK;
    case MDM_CMP_OP_HALT:
        return MDM_OK;
    }
    return mdm_error_set(err, MDM_ERR_INTERNAL, "unknown op");
}

static void legacy_run(void *state, const mdm_cmp_op *op, const mdm_table *data,
                       mdm_cmp_result *out)
{
    mdm_error err;
    mdm_error_clear(&err);
    if (dispatch(state, op, data, out, &err) != MDM_OK)
        mdm_cmp_result_set_error(out, &err);
}

#else /* !MDM_WITH_LEGACY: built without legacy/ (phase 3) */

static mdm_status legacy_open(const mdm_cmp_env *env, void **state, mdm_error *err)
{
    (void)env;
    *state = NULL;
    return mdm_error_set(err, MDM_ERR_UNSUPPORTED, "built without legacy/ (LEGACY=0)");
}

static void legacy_close(void *state)
{
    (void)state;
}

static void legacy_run(void *state, const mdm_cmp_op *op, const mdm_table *data,
                       mdm_cmp_result *out)
{
    (void)state, (void)op, (void)data;
    out->status = MDM_ERR_UNSUPPORTED;
    snprintf(out->message, sizeof out->message, "built without legacy/");
}

#endif

static const mdm_cmp_driver LEGACY_DRIVER = { "legacy", legacy_open, legacy_close, legacy_run };

const mdm_cmp_driver *mdm_cmp_legacy_driver(void)
{
    return &LEGACY_DRIVER;
}
