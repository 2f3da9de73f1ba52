/* SPDX-License-Identifier: MIT */
/*
 * mdm_store_modern.c - the modern store (mdm_store.h): one connection
 * manager (pool) per database, made on first use and kept until the store
 * is freed; big writes in chunks inside one transaction so progress can be
 * shown without losing atomicity; dry queries rolled back.
 */
#include "mdm_connmgr.h"
#include "mdm_dsn.h"
#include "mdm_registry.h"
#include "mdm_store_impl.h"
#include "mdm_table_ops.h"

#include <stdlib.h>
#include <string.h>

/* Rows per chunk when progress is reported. */
#define CHUNK_ROWS 20000

typedef struct db_pool {
    char *db;
    mdm_connmgr *mgr;
} db_pool;

typedef struct modern_store {
    mdm_store base;
    mdm_registry *reg;
    const mdm_backend_ops *ops;
    mdm_conn_config *conn;   /* template, deep copy */
    mdm_pool_opts pool;
    bool pg;
    unsigned faults;         /* MDM_STORE_FAULT_* (tests only) */
    db_pool *dbs;
    size_t ndbs;
} modern_store;

static modern_store *MS(mdm_store *s)
{
    return (modern_store *)s;
}

static void drop_pool(modern_store *s, const char *db)
{
    for (size_t i = 0; i < s->ndbs; i++) {
        if (s->dbs[i].mgr != NULL && strcmp(s->dbs[i].db, db) == 0) {
            mdm_connmgr_free(s->dbs[i].mgr);
            s->dbs[i].mgr = NULL;
        }
    }
}

static void ms_free(mdm_store *base)
{
    modern_store *s = MS(base);
    for (size_t i = 0; i < s->ndbs; i++) {
        mdm_connmgr_free(s->dbs[i].mgr);
        free(s->dbs[i].db);
    }
    free(s->dbs);
    mdm_conn_config_free(s->conn);
    mdm_registry_free(s->reg);
    free(s);
}

/* Config for one database: SQLite opens the file (never creating it:
 * db_create does that), PostgreSQL the server DSN pointed at db. */
static mdm_status db_config(modern_store *s, const char *db, mdm_buf *dsn,
                            mdm_conn_config *cfg, mdm_error *err)
{
    *cfg = *s->conn;
    if (!s->pg) {
        cfg->path = db;
        cfg->sqlite.create = false;
        return MDM_OK;
    }
    mdm_status rc = mdm_dsn_with_dbname(s->conn->dsn, db, dsn, err);
    cfg->dsn = mdm_buf_str(dsn);
    return rc;
}

static mdm_status get_mgr(modern_store *s, const char *db, mdm_connmgr **out, mdm_error *err)
{
    db_pool *slot = NULL;
    mdm_conn_config cfg;
    mdm_buf dsn;
    for (size_t i = 0; i < s->ndbs && slot == NULL; i++)
        if (strcmp(s->dbs[i].db, db) == 0)
            slot = &s->dbs[i];
    if (slot != NULL && slot->mgr != NULL) {
        *out = slot->mgr;
        return MDM_OK;
    }
    if (slot == NULL) {
        db_pool *grown = realloc(s->dbs, (s->ndbs + 1) * sizeof *grown);
        if (grown == NULL)
            return mdm_error_set(err, MDM_ERR_NOMEM, "out of memory");
        s->dbs = grown;
        slot = &s->dbs[s->ndbs];
        slot->mgr = NULL;
        if ((slot->db = strdup(db)) == NULL)
            return mdm_error_set(err, MDM_ERR_NOMEM, "out of memory");
        s->ndbs++;
    }
    mdm_buf_init(&dsn);
    mdm_status rc = db_config(s, db, &dsn, &cfg, err);
    if (rc == MDM_OK)
        rc = mdm_connmgr_new(&slot->mgr, s->reg, &cfg, &s->pool, err);
    mdm_buf_reset(&dsn);
    *out = slot->mgr;
    return rc;
}

static mdm_status ms_db_exists(mdm_store *base, const char *db, bool *out, mdm_error *err)
{
    modern_store *s = MS(base);
    return mdm_database_exists(s->ops, s->conn, db, out, err);
}

static mdm_status ms_db_create(mdm_store *base, const char *db, mdm_error *err)
{
    modern_store *s = MS(base);
    return mdm_database_create(s->ops, s->conn, db, err);
}

static mdm_status ms_db_drop(mdm_store *base, const char *db, mdm_error *err)
{
    modern_store *s = MS(base);
    drop_pool(s, db);   /* pooled connections hold the file or the database */
    return mdm_database_drop(s->ops, s->conn, db, false, err);
}

/* The server's databases, on a connection of its own (the template's DSN
 * names the server's maintenance database). */
static mdm_status ms_db_list(mdm_store *base, mdm_strlist *out, mdm_error *err)
{
    modern_store *s = MS(base);
    mdm_conn *c = NULL;
    mdm_query_result qr;
    if (!s->pg)
        return mdm_error_set(err, MDM_ERR_UNSUPPORTED,
                             "SQLite databases are files: list them by their layout");
    mdm_query_result_init(&qr);
    mdm_status rc = mdm_conn_open(s->ops, s->conn, &c, err);
    if (rc == MDM_OK)
        rc = mdm_conn_execute_query(c, "SELECT datname FROM pg_catalog.pg_database", NULL, 0,
                                    &qr, err);
    for (size_t r = 0; rc == MDM_OK && r < qr.table.nrows; r++)
        rc = mdm_strlist_push(out, mdm_table_text(&qr.table, 0, r, NULL), err);
    mdm_conn_close(c);
    mdm_query_result_reset(&qr);
    return rc;
}

/* ---- operations on a loaned connection ---- */

typedef struct op {
    const char *table;
    const mdm_table *data;
    mdm_if_exists mode;
    mdm_store_progress progress;
    void *ctx;
    const mdm_read_opts *ropts;
    const char *sql;
    const mdm_param *params;
    size_t nparams;
    bool dry;
    mdm_table *out;
    mdm_strlist *names;
    mdm_table_info *info;
    bool *yes;
} op;

static mdm_status run(modern_store *s, const char *db, mdm_conn_fn fn, op *o, mdm_error *err)
{
    mdm_connmgr *mgr = NULL;
    mdm_status rc = get_mgr(s, db, &mgr, err);
    return rc == MDM_OK ? mdm_connmgr_with_conn(mgr, fn, o, err) : rc;
}

/* Rolls back; if that fails, the pool's reset on release tries again
 * (the status is not the caller's: its own error is what it reports). */
static void rollback_quietly(mdm_conn *c)
{
    mdm_status rc = mdm_conn_rollback(c, NULL);
    (void)rc;
}

/* Chunks of CHUNK_ROWS: the first with the caller's mode, the rest
 * appended, all in one transaction (commit at the end, rollback on error). */
static mdm_status write_chunks(mdm_conn *c, op *o, mdm_error *err)
{
    const mdm_table *t = o->data;
    mdm_table chunk;
    mdm_table_init(&chunk);
    mdm_status rc = mdm_conn_begin(c, err);
    for (size_t first = 0; rc == MDM_OK && first < t->nrows; first += CHUNK_ROWS) {
        size_t n = t->nrows - first < CHUNK_ROWS ? t->nrows - first : CHUNK_ROWS;
        rc = mdm_table_slice(t, first, n, &chunk, err);
        if (rc == MDM_OK)
            rc = mdm_conn_create_table(c, o->table, &chunk,
                                       first == 0 ? o->mode : MDM_IF_EXISTS_APPEND, err);
        if (rc == MDM_OK)
            o->progress(o->ctx, first + n, t->nrows);
    }
    if (rc == MDM_OK)
        rc = mdm_conn_commit(c, err);
    else if (mdm_conn_in_transaction(c))
        rollback_quietly(c);
    mdm_table_reset(&chunk);
    return rc;
}

static mdm_status c_write(mdm_conn *c, void *arg, mdm_error *err)
{
    op *o = arg;
    if (o->progress == NULL || o->data->nrows <= CHUNK_ROWS) {
        mdm_status rc = mdm_conn_create_table(c, o->table, o->data, o->mode, err);
        if (rc == MDM_OK && o->progress != NULL)
            o->progress(o->ctx, o->data->nrows, o->data->nrows);
        return rc;
    }
    return write_chunks(c, o, err);
}

static mdm_status c_read(mdm_conn *c, void *arg, mdm_error *err)
{
    op *o = arg;
    return mdm_conn_read_table(c, o->table, o->ropts, o->out, err);
}

static mdm_status c_query(mdm_conn *c, void *arg, mdm_error *err)
{
    op *o = arg;
    mdm_query_result qr;
    mdm_status rc = MDM_OK;
    mdm_query_result_init(&qr);
    if (o->dry)
        rc = mdm_conn_begin(c, err);
    if (rc == MDM_OK)
        rc = mdm_conn_execute_query(c, o->sql, o->params, o->nparams, &qr, err);
    if (o->dry && mdm_conn_in_transaction(c))
        rollback_quietly(c);
    if (rc == MDM_OK)
        mdm_table_move(o->out, &qr.table);
    mdm_query_result_reset(&qr);
    return rc;
}

static mdm_status c_tables(mdm_conn *c, void *arg, mdm_error *err)
{
    op *o = arg;
    return mdm_conn_list_tables(c, o->names, err);
}

static mdm_status c_info(mdm_conn *c, void *arg, mdm_error *err)
{
    op *o = arg;
    return mdm_conn_table_info(c, o->table, o->info, err);
}

static mdm_status c_exists(mdm_conn *c, void *arg, mdm_error *err)
{
    op *o = arg;
    return mdm_conn_table_exists(c, o->table, o->yes, err);
}

static mdm_status c_drop(mdm_conn *c, void *arg, mdm_error *err)
{
    op *o = arg;
    return mdm_conn_drop_table(c, o->table, false, err);
}

/* Test only (MDM_STORE_FAULT_TRAILING_SPACES): a copy of src whose text
 * lost its trailing spaces, the planted change mdm-compare --random must
 * find and shrink (tests/migration/test_random.c). */
static mdm_status trim_trailing_spaces(const mdm_table *src, mdm_table *out, mdm_error *err)
{
    mdm_status rc = mdm_table_copy_schema(out, src, err);
    for (size_t r = 0; r < src->nrows && rc == MDM_OK; r++) {
        for (size_t c = 0; c < src->ncols && rc == MDM_OK; c++) {
            size_t len = 0;
            bool text = src->cols[c].type == MDM_TEXT && !mdm_table_is_null(src, c, r);
            const char *v = text ? mdm_table_text(src, c, r, &len) : NULL;
            while (len > 0 && v[len - 1] == ' ')
                len--;
            rc = text ? mdm_table_push_text(out, c, v, len, err)
                      : mdm_table_push_cell(out, c, src, c, r, err);
        }
        rc = rc == MDM_OK ? mdm_table_end_row(out, err) : rc;
    }
    return rc;
}

static mdm_status ms_write(mdm_store *s, const char *db, const char *table, const mdm_table *t,
                           mdm_if_exists mode, mdm_store_progress fn, void *ctx, mdm_error *err)
{
    op o = {.table = table, .data = t, .mode = mode, .progress = fn, .ctx = ctx};
    mdm_table faulty;
    mdm_status rc = MDM_OK;
    mdm_table_init(&faulty);
    if (MS(s)->faults & MDM_STORE_FAULT_NULLS_AS_EMPTY) {
        rc = mdm_table_nulls_as_empty(t, &faulty, err);
        o.data = &faulty;
    } else if (MS(s)->faults & MDM_STORE_FAULT_TRAILING_SPACES) {
        rc = trim_trailing_spaces(t, &faulty, err);
        o.data = &faulty;
    }
    if (rc == MDM_OK)
        rc = run(MS(s), db, c_write, &o, err);
    mdm_table_reset(&faulty);
    return rc;
}

static mdm_status ms_read(mdm_store *s, const char *db, const char *table,
                          const mdm_read_opts *ro, mdm_table *out, mdm_error *err)
{
    op o = {.table = table, .ropts = ro, .out = out};
    return run(MS(s), db, c_read, &o, err);
}

static mdm_status ms_query(mdm_store *s, const char *db, const char *sql, const mdm_param *p,
                           size_t n, bool dry, mdm_table *out, mdm_error *err)
{
    op o = {.sql = sql, .params = p, .nparams = n, .dry = dry, .out = out};
    return run(MS(s), db, c_query, &o, err);
}

static mdm_status ms_tables(mdm_store *s, const char *db, mdm_strlist *out, mdm_error *err)
{
    op o = {.names = out};
    return run(MS(s), db, c_tables, &o, err);
}

static mdm_status ms_table_info(mdm_store *s, const char *db, const char *table,
                                mdm_table_info *out, mdm_error *err)
{
    op o = {.table = table, .info = out};
    return run(MS(s), db, c_info, &o, err);
}

static mdm_status ms_table_exists(mdm_store *s, const char *db, const char *table, bool *out,
                                  mdm_error *err)
{
    op o = {.table = table, .yes = out};
    return run(MS(s), db, c_exists, &o, err);
}

static mdm_status ms_table_drop(mdm_store *s, const char *db, const char *table, mdm_error *err)
{
    op o = {.table = table};
    return run(MS(s), db, c_drop, &o, err);
}

static const mdm_store_ops modern_ops = {
    .name = "modern",
    .free = ms_free,
    .db_exists = ms_db_exists,
    .db_create = ms_db_create,
    .db_drop = ms_db_drop,
    .db_list = ms_db_list,
    .write = ms_write,
    .read = ms_read,
    .query = ms_query,
    .tables = ms_tables,
    .table_info = ms_table_info,
    .table_exists = ms_table_exists,
    .table_drop = ms_table_drop,
};

mdm_status mdm_store_modern_new(const mdm_store_cfg *cfg, mdm_store **out, mdm_error *err)
{
    mdm_conn_config tmpl = cfg->conn;
    modern_store *s = calloc(1, sizeof *s);
    if (s == NULL)
        return mdm_error_set(err, MDM_ERR_NOMEM, "out of memory");
    s->base.ops = &modern_ops;
    s->pool = cfg->pool;
    s->faults = cfg->faults;
    s->pg = strcmp(cfg->backend, "postgresql") == 0;
    tmpl.backend = cfg->backend;
    tmpl.path = NULL;
    mdm_status rc = mdm_registry_new(&s->reg, err);
    if (rc == MDM_OK)
        rc = mdm_registry_add_builtins(s->reg, err);
    if (rc == MDM_OK)
        rc = mdm_registry_create(s->reg, cfg->backend, &s->ops, err);
    if (rc == MDM_OK)
        rc = mdm_conn_config_dup(&tmpl, &s->conn, err);
    if (rc != MDM_OK) {
        ms_free(&s->base);
        return rc;
    }
    *out = &s->base;
    return MDM_OK;
}
