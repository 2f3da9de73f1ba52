/* SPDX-License-Identifier: MIT */
/*
 * mdm_conn.c - the caller's API: each mdm_conn_* function checks its
 * arguments, dispatches through the connection's backend table and keeps
 * the promises the header makes for every backend alike (outputs replaced
 * only on success, sorted table lists, NOT_IMPLEMENTED for missing optional
 * slots). It holds no state of its own.
 */
#include "mdm_backend.h"
#include "mdm_conn.h"

#include <stdlib.h>
#include <string.h>

#include "mdm_sql.h"

static mdm_status no_conn(mdm_error *err)
{
    return mdm_error_set(err, MDM_ERR_INVALID_ARG, "connection is NULL");
}

/* The checks every backend shares: a name, non-empty, valid UTF-8 (each
 * backend adds its own, e.g. PostgreSQL's 63-byte limit). */
static mdm_status check_name(const char *name, mdm_error *err)
{
    return mdm_sql_check_ident(MDM_SQL_SQLITE, name, err);
}

static mdm_status not_impl(const mdm_backend_ops *ops, const char *slot, mdm_error *err)
{
    return mdm_error_set(err, MDM_ERR_NOT_IMPLEMENTED, "backend '%s' does not implement %s",
                         ops->name, slot);
}

/* The error a backend call fills: a cleared one of the wrapper's own, so
 * that nothing stale can pass for its message and the caller's err is
 * touched only on failure (NULL when the caller wants no message). */
static mdm_error *local(mdm_error *e, const mdm_error *err)
{
    mdm_error_clear(e);
    return err != NULL ? e : NULL;
}

/* A backend's answer, held to the header's promise that a failing call
 * leaves its status and a message in err. Backends fill both on their
 * error paths, but a few out-of-memory paths deep inside only return the
 * status, or put a context prefix ("Failed to read table t: ") before an
 * empty message: those get the status's own words here. e is the error
 * the backend filled (local()); it is copied to err on failure. */
static mdm_status checked(mdm_status rc, mdm_error *e, mdm_error *err)
{
    char head[sizeof e->message];
    if (rc == MDM_OK || err == NULL)
        return rc;
    size_t n = strlen(e->message);
    bool prefix_only = n >= 2 && e->message[n - 2] == ':' && e->message[n - 1] == ' ';
    if (n == 0 || prefix_only) {
        memcpy(head, e->message, sizeof head);
        if (rc == MDM_ERR_NOMEM)
            mdm_error_set(e, rc, "%sout of memory", head);
        else
            mdm_error_set(e, rc, "%s%s error (the backend gave no message)", head,
                          mdm_status_name(rc));
    }
    e->code = rc;
    *err = *e;
    return rc;
}

mdm_status mdm_conn_open(const mdm_backend_ops *ops, const mdm_conn_config *cfg,
                         mdm_conn **out, mdm_error *err)
{
    mdm_error e;
    mdm_conn *c = NULL;
    if (ops == NULL || cfg == NULL || out == NULL)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "mdm_conn_open: NULL argument");
    if (cfg->version != MDM_CONN_CONFIG_VERSION)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG,
                             "connection config version %u, expected %u (use MDM_CONN_CONFIG_INIT)",
                             cfg->version, MDM_CONN_CONFIG_VERSION);
    mdm_status rc = checked(ops->connect(cfg, &c, local(&e, err)), &e, err);
    if (rc != MDM_OK)
        return rc;
    c->ops = ops;
    *out = c;
    return MDM_OK;
}

void mdm_conn_close(mdm_conn *c)
{
    if (c != NULL)
        c->ops->disconnect(c);
}

const mdm_backend_ops *mdm_conn_backend(const mdm_conn *c)
{
    return c ? c->ops : NULL;
}

const char *mdm_conn_backend_name(const mdm_conn *c)
{
    return c ? c->ops->name : NULL;
}

mdm_status mdm_conn_create_table(mdm_conn *c, const char *table, const mdm_table *data,
                                 mdm_if_exists mode, mdm_error *err)
{
    mdm_error e;
    if (c == NULL)
        return no_conn(err);
    if (table == NULL || data == NULL)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "create_table: table name or data is NULL");
    if ((unsigned)mode > MDM_IF_EXISTS_APPEND)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "create_table: unknown if_exists mode %d",
                             (int)mode);
    if (data->ncols == 0)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG,
                             "Failed to create table %s: the data has no columns", table);
    mdm_status rc = check_name(table, err);
    for (size_t i = 0; rc == MDM_OK && i < data->ncols; i++)
        rc = check_name(data->cols[i].name, err);
    if (rc != MDM_OK)
        return rc;
    return checked(c->ops->create_table(c, table, data, mode, local(&e, err)), &e, err);
}

mdm_status mdm_conn_read_table(mdm_conn *c, const char *table, const mdm_read_opts *opts,
                               mdm_table *out, mdm_error *err)
{
    mdm_error e;
    const mdm_read_opts defaults = MDM_READ_OPTS_INIT;
    mdm_table tmp;
    if (c == NULL)
        return no_conn(err);
    if (table == NULL || out == NULL)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "read_table: table name or output is NULL");
    if (opts == NULL)
        opts = &defaults;
    if (opts->version != MDM_READ_OPTS_VERSION)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG,
                             "read options version %u, expected %u (use MDM_READ_OPTS_INIT)",
                             opts->version, MDM_READ_OPTS_VERSION);
    if (opts->has_limit && opts->limit < 0)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "read_table: negative limit %lld",
                             (long long)opts->limit);
    if (opts->ncolumns > 0 && opts->columns == NULL)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "read_table: columns is NULL");
    mdm_status rc = check_name(table, err);
    for (size_t i = 0; rc == MDM_OK && i < opts->ncolumns; i++)
        rc = check_name(opts->columns[i], err);
    if (rc != MDM_OK)
        return rc;
    mdm_table_init(&tmp);
    rc = checked(c->ops->read_table(c, table, opts, &tmp, local(&e, err)), &e, err);
    if (rc == MDM_OK)
        mdm_table_move(out, &tmp);
    mdm_table_reset(&tmp);
    return rc;
}

/* Text values must not hold a NUL byte: SQLite would store it and
 * PostgreSQL cut the value there, so either way the stored value would
 * differ from the caller's. Refused for every backend here. */
static mdm_status check_params(const mdm_param *params, size_t nparams, mdm_error *err)
{
    for (size_t i = 0; i < nparams; i++) {
        const mdm_value *v = &params[i].value;
        if (v->type == MDM_TEXT && !v->is_null && v->v.text.len > 0 &&
            memchr(v->v.text.s, '\0', v->v.text.len) != NULL)
            return mdm_error_set(err, MDM_ERR_INVALID_ARG,
                                 "parameter ':%s' contains a NUL byte", params[i].name ? params[i].name : "?");
    }
    return MDM_OK;
}

mdm_status mdm_conn_execute_query(mdm_conn *c, const char *sql, const mdm_param *params,
                                  size_t nparams, mdm_query_result *out, mdm_error *err)
{
    mdm_error e;
    mdm_query_result tmp;
    if (c == NULL)
        return no_conn(err);
    if (sql == NULL || out == NULL)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "execute_query: SQL or output is NULL");
    if (nparams > 0 && params == NULL)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "execute_query: params is NULL");
    if (check_params(params, nparams, err) != MDM_OK)
        return MDM_ERR_INVALID_ARG;
    mdm_query_result_init(&tmp);
    tmp.sink = out->sink;
    mdm_status rc = checked(c->ops->execute_query(c, sql, params, nparams, &tmp, local(&e, err)),
                            &e, err);
    if (rc == MDM_OK) {
        mdm_table_move(&out->table, &tmp.table);
        out->rows_affected = tmp.rows_affected;
    }
    mdm_query_result_reset(&tmp);
    return rc;
}

mdm_status mdm_conn_table_exists(mdm_conn *c, const char *table, bool *out, mdm_error *err)
{
    mdm_error e;
    if (c == NULL)
        return no_conn(err);
    if (table == NULL || out == NULL)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "table_exists: table name or output is NULL");
    if (check_name(table, err) != MDM_OK)
        return MDM_ERR_INVALID_ARG;
    return checked(c->ops->table_exists(c, table, out, local(&e, err)), &e, err);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

mdm_status mdm_conn_list_tables(mdm_conn *c, mdm_strlist *out, mdm_error *err)
{
    mdm_error e;
    mdm_strlist tmp;
    if (c == NULL)
        return no_conn(err);
    if (out == NULL)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "list_tables: output is NULL");
    mdm_strlist_init(&tmp);
    mdm_status rc = checked(c->ops->list_tables(c, &tmp, local(&e, err)), &e, err);
    if (rc == MDM_OK) {
        if (tmp.count > 1)
            qsort(tmp.items, tmp.count, sizeof *tmp.items, cmp_str);
        mdm_strlist_reset(out);
        *out = tmp;
    } else {
        mdm_strlist_reset(&tmp);
    }
    return rc;
}

mdm_status mdm_conn_table_info(mdm_conn *c, const char *table, mdm_table_info *out,
                               mdm_error *err)
{
    mdm_error e;
    mdm_table_info tmp;
    if (c == NULL)
        return no_conn(err);
    if (table == NULL || out == NULL)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "table_info: table name or output is NULL");
    if (check_name(table, err) != MDM_OK)
        return MDM_ERR_INVALID_ARG;
    mdm_table_info_init(&tmp);
    mdm_status rc = checked(c->ops->table_info(c, table, &tmp, local(&e, err)), &e, err);
    if (rc == MDM_OK) {
        mdm_table_info_reset(out);
        *out = tmp;
    } else {
        mdm_table_info_reset(&tmp);
    }
    return rc;
}

mdm_status mdm_conn_drop_table(mdm_conn *c, const char *table, bool missing_ok, mdm_error *err)
{
    mdm_error e;
    if (c == NULL)
        return no_conn(err);
    if (table == NULL)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "drop_table: table name is NULL");
    if (check_name(table, err) != MDM_OK)
        return MDM_ERR_INVALID_ARG;
    return checked(c->ops->drop_table(c, table, missing_ok, local(&e, err)), &e, err);
}

mdm_status mdm_conn_ping(mdm_conn *c, mdm_error *err)
{
    mdm_error e;
    if (c == NULL)
        return no_conn(err);
    if (c->ops->ping == NULL)
        return not_impl(c->ops, "ping", err);
    return checked(c->ops->ping(c, local(&e, err)), &e, err);
}

mdm_status mdm_conn_begin(mdm_conn *c, mdm_error *err)
{
    mdm_error e;
    if (c == NULL)
        return no_conn(err);
    if (c->ops->begin == NULL)
        return not_impl(c->ops, "begin", err);
    return checked(c->ops->begin(c, local(&e, err)), &e, err);
}

mdm_status mdm_conn_commit(mdm_conn *c, mdm_error *err)
{
    mdm_error e;
    if (c == NULL)
        return no_conn(err);
    if (c->ops->commit == NULL)
        return not_impl(c->ops, "commit", err);
    if (!mdm_conn_in_transaction(c))
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "commit: no transaction is open");
    return checked(c->ops->commit(c, local(&e, err)), &e, err);
}

mdm_status mdm_conn_rollback(mdm_conn *c, mdm_error *err)
{
    mdm_error e;
    if (c == NULL)
        return no_conn(err);
    if (c->ops->rollback == NULL)
        return not_impl(c->ops, "rollback", err);
    if (!mdm_conn_in_transaction(c))
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "rollback: no transaction is open");
    return checked(c->ops->rollback(c, local(&e, err)), &e, err);
}

bool mdm_conn_in_transaction(mdm_conn *c)
{
    if (c == NULL || c->ops->in_transaction == NULL)
        return false;
    return c->ops->in_transaction(c);
}

mdm_status mdm_conn_stmt_cache_stats(mdm_conn *c, mdm_stmt_cache_stats *out, mdm_error *err)
{
    mdm_error e;
    if (c == NULL)
        return no_conn(err);
    if (out == NULL)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "stmt_cache_stats: output is NULL");
    if (c->ops->stmt_cache_stats == NULL)
        return not_impl(c->ops, "stmt_cache_stats", err);
    return checked(c->ops->stmt_cache_stats(c, out, local(&e, err)), &e, err);
}

/* ---- database-level ---- */

static mdm_status db_args(const mdm_backend_ops *ops, const mdm_conn_config *cfg,
                          const char *name, mdm_error *err)
{
    if (ops == NULL || cfg == NULL || name == NULL)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "database operation: NULL argument");
    if (cfg->version != MDM_CONN_CONFIG_VERSION)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG,
                             "connection config version %u, expected %u (use MDM_CONN_CONFIG_INIT)",
                             cfg->version, MDM_CONN_CONFIG_VERSION);
    if (name[0] == '\0')
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "database name is empty");
    return MDM_OK;
}

mdm_status mdm_database_exists(const mdm_backend_ops *ops, const mdm_conn_config *cfg,
                               const char *name, bool *out, mdm_error *err)
{
    mdm_error e;
    mdm_status rc = db_args(ops, cfg, name, err);
    if (rc == MDM_OK && out == NULL)
        rc = mdm_error_set(err, MDM_ERR_INVALID_ARG, "database_exists: output is NULL");
    if (rc != MDM_OK)
        return rc;
    if (ops->database_exists == NULL)
        return not_impl(ops, "database_exists", err);
    return checked(ops->database_exists(cfg, name, out, local(&e, err)), &e, err);
}

mdm_status mdm_database_create(const mdm_backend_ops *ops, const mdm_conn_config *cfg,
                               const char *name, mdm_error *err)
{
    mdm_error e;
    mdm_status rc = db_args(ops, cfg, name, err);
    if (rc != MDM_OK)
        return rc;
    if (ops->create_database == NULL)
        return not_impl(ops, "create_database", err);
    return checked(ops->create_database(cfg, name, local(&e, err)), &e, err);
}

mdm_status mdm_database_drop(const mdm_backend_ops *ops, const mdm_conn_config *cfg,
                             const char *name, bool missing_ok, mdm_error *err)
{
    mdm_error e;
    mdm_status rc = db_args(ops, cfg, name, err);
    if (rc != MDM_OK)
        return rc;
    if (ops->drop_database == NULL)
        return not_impl(ops, "drop_database", err);
    return checked(ops->drop_database(cfg, name, missing_ok, local(&e, err)), &e, err);
}
