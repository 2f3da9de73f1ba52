/* SPDX-License-Identifier: MIT */
/*
 * mdm_adapter.c - the BackendAdapter as a thin layer over the router: the
 * options become the router's settings and flag, an engine is the name of
 * a database, and every method asks the router for the route of its
 * operation and calls the store's slot. No connection, cache or switch of
 * its own. The deprecation warning is counted per adapter, never globally.
 */
#include "mdm_adapter.h"
#include "mdm_dsn.h"
#include "mdm_router.h"
#include "mdm_table_ops.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct mdm_adapter_engine {
    char *path;   /* as asked for */
    char *db;     /* the store's database: path, or the URL's dbname */
};

struct mdm_adapter {
    mdm_impl impl;
    bool pg;
    mdm_router *router;
    char *default_path;
    FILE *warn;
    bool deprecation_warning;
    int deprecations;
    mdm_adapter_engine **engines;   /* names only, so pointers stay valid */
    size_t nengines;
    mdm_adapter_engine *current;    /* the last get_engine() answer */
};

static const char no_engine_msg[] = "No engine available. Call get_engine() first.";

/* Prefixes err with the old interface's context, unless the store did
 * already ("Failed to ..."). */
static void wrap(mdm_error *err, const char *what, const char *name)
{
    if (err == NULL || strncmp(err->message, "Failed to", 9) == 0)
        return;
    if (name != NULL)
        mdm_error_prefix(err, "%s %s", what, name);
    else
        mdm_error_prefix(err, "%s", what);
}

/* ---- Making and freeing ---------------------------------------------------- */

/* The router's settings and flag from the adapter's options. */
static mdm_status make_router(mdm_adapter *a, const mdm_adapter_opts *o, mdm_error *err)
{
    mdm_store_settings set = {0};
    mdm_flag_settings flags;
    const mdm_conn_config *c = &o->conn;
    set.backend = a->pg ? "postgresql" : "sqlite";
    set.journal_mode = c->sqlite.journal_mode;
    set.synchronous = c->sqlite.synchronous;
    set.temp_store = c->sqlite.temp_store;
    set.cache_size = c->sqlite.cache_size;
    set.mmap_size = c->sqlite.mmap_size;
    set.busy_timeout_ms = c->sqlite.busy_timeout_ms;
    set.pg_dsn = c->dsn;
    set.pg_connect_timeout = c->connect_timeout_s;
    set.pool = o->pool;
    mdm_flag_settings_init(&flags);
    mdm_status rc = mdm_flag_set(&flags, "storage.impl", mdm_impl_name(o->impl),
                                 MDM_FLAG_SRC_CLI, "the adapter's impl", err);
    if (rc == MDM_OK && o->impl == MDM_IMPL_SHADOW && o->shadow_writes)
        rc = mdm_flag_set(&flags, MDM_FLAG_WRITES, "shadow", MDM_FLAG_SRC_CLI,
                          "the adapter's shadow_writes", err);
    mdm_router_opts ro = {&set, &flags, o->shadow_log, a->warn, o->evidence, o->expected};
    if (rc == MDM_OK)
        rc = mdm_router_new(&a->router, &ro, err);
    return rc;
}

/* Makes the stores impl serves from now, so that a store that cannot be
 * made (legacy's factory, a build without legacy/) fails the adapter. */
static mdm_status make_stores(mdm_adapter *a, mdm_error *err)
{
    mdm_store *s = NULL;
    mdm_status rc = MDM_OK;
    if (a->impl != MDM_IMPL_LEGACY)
        rc = mdm_router_store(a->router, MDM_IMPL_MODERN, &s, err);
    if (rc == MDM_OK && a->impl != MDM_IMPL_MODERN)
        rc = mdm_router_store(a->router, MDM_IMPL_LEGACY, &s, err);
    return rc;
}

static mdm_status check_opts(const mdm_adapter_opts *o, mdm_error *err)
{
    const char *b = o->backend != NULL ? o->backend : "sqlite";
    if (strcmp(b, "sqlite") != 0 && strcmp(b, "postgresql") != 0)
        return mdm_error_set(err, MDM_ERR_CONFIG,
                             "unknown backend type '%s'; known: postgresql, sqlite", b);
    if (o->impl == MDM_IMPL_SHADOW && (o->shadow_log == NULL || o->shadow_log[0] == '\0'))
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "shadow: no log path");
    return MDM_OK;
}

mdm_status mdm_adapter_new(mdm_adapter **out, const mdm_adapter_opts *opts, mdm_error *err)
{
    const mdm_adapter_opts defaults = MDM_ADAPTER_OPTS_INIT;
    const mdm_adapter_opts *o = opts != NULL ? opts : &defaults;
    if (out == NULL || o->version != MDM_ADAPTER_OPTS_VERSION || o->impl > MDM_IMPL_SHADOW)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "mdm_adapter_new: bad arguments");
    mdm_status rc = check_opts(o, err);
    if (rc != MDM_OK)
        return rc;
    mdm_adapter *a = calloc(1, sizeof *a);
    if (a == NULL)
        return mdm_error_set(err, MDM_ERR_NOMEM, "out of memory");
    a->impl = o->impl;
    a->pg = o->backend != NULL && strcmp(o->backend, "postgresql") == 0;
    a->warn = o->warn != NULL ? o->warn : stderr;
    a->deprecation_warning = o->deprecation_warning;
    if (o->default_path != NULL && (a->default_path = strdup(o->default_path)) == NULL)
        rc = mdm_error_set(err, MDM_ERR_NOMEM, "out of memory");
    if (rc == MDM_OK)
        rc = make_router(a, o, err);
    if (rc == MDM_OK)
        rc = make_stores(a, err);
    if (rc != MDM_OK) {
        mdm_adapter_free(a);
        return rc;
    }
    *out = a;
    return MDM_OK;
}

void mdm_adapter_free(mdm_adapter *a)
{
    if (a == NULL)
        return;
    for (size_t i = 0; i < a->nengines; i++) {
        free(a->engines[i]->path);
        free(a->engines[i]->db);
        free(a->engines[i]);
    }
    mdm_router_free(a->router);
    free(a->engines);
    free(a->default_path);
    free(a);
}

mdm_impl mdm_adapter_impl(const mdm_adapter *a)
{
    return a->impl;
}

int mdm_adapter_deprecation_warnings(const mdm_adapter *a)
{
    return a->deprecations;
}

void mdm_adapter_shadow_stats(const mdm_adapter *a, mdm_shadow_stats *out)
{
    mdm_router_shadow_stats(a->router, out);
}

const char *mdm_adapter_engine_path(const mdm_adapter_engine *e)
{
    return e->path;
}

/* ---- Databases and engines ---------------------------------------------------- */

/* The store's name for the database at path: the path itself, or for a
 * PostgreSQL URL the database it names. name gets it ("None" for NULL, the
 * word legacy used, so that messages can say which). */
static mdm_status db_name(const mdm_adapter *a, const char *path, char *name, size_t n,
                          mdm_error *err)
{
    snprintf(name, n, "%s", path != NULL ? path : "None");
    if (path == NULL)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "database path is NULL");
    if (a->pg && mdm_dsn_is_uri(path) && mdm_dsn_get(path, "dbname", name, n) == NULL)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "URL names no database: %s", path);
    return MDM_OK;
}

/* The store that serves op on db. */
static mdm_status route(mdm_adapter *a, mdm_flag_op op, const char *db, mdm_route *r,
                        mdm_error *err)
{
    return mdm_router_route(a->router, op, db, r, err);
}

/* The store that serves writes to the database called name. */
static mdm_status db_store(mdm_adapter *a, const char *name, mdm_store **out, mdm_error *err)
{
    mdm_route r;
    mdm_status rc = route(a, MDM_FLAG_OP_WRITE, name, &r, err);
    *out = r.serve;
    return rc;
}

typedef enum db_call { DB_EXISTS, DB_CREATE, DB_DROP } db_call;

static mdm_status db_run(mdm_adapter *a, db_call call, const char *path, bool *exists,
                         mdm_error *err)
{
    static const char *const what[] = {"Failed to check database", "Failed to create database",
                                       "Failed to drop database"};
    char name[1024], side[1100];
    mdm_store *s = NULL;
    mdm_store_lock *lock = NULL;
    mdm_status rc = db_name(a, path, name, sizeof name, err);
    if (rc == MDM_OK)
        rc = db_store(a, name, &s, err);
    if (rc == MDM_OK && call == DB_DROP)   /* never under a writer's feet (mdm_router_lock) */
        rc = mdm_router_lock(a->router, name, &lock, err);
    if (rc == MDM_OK && call == DB_EXISTS)
        rc = s->ops->db_exists(s, name, exists, err);
    else if (rc == MDM_OK && call == DB_CREATE)
        rc = s->ops->db_create(s, name, err);
    else if (rc == MDM_OK && (rc = s->ops->db_drop(s, name, err)) == MDM_ERR_NOT_FOUND)
        rc = MDM_OK;   /* dropping what is not there is fine */
    for (int i = 0; rc == MDM_OK && call == DB_DROP && !a->pg && i < 2; i++) {
        snprintf(side, sizeof side, "%s-%s", name, i == 0 ? "wal" : "shm");
        (void)unlink(side);   /* the store leaves them to its caller */
    }
    mdm_store_unlock(lock);
    if (rc != MDM_OK)
        wrap(err, what[call], name);
    return rc;
}

static void warn_deprecated(mdm_adapter *a)
{
    if (a->deprecations > 0 || !a->deprecation_warning)
        return;
    a->deprecations++;
    fprintf(a->warn, "mdm: warning: get_engine() is deprecated; use a connection manager "
                     "(mdm_connmgr_acquire/mdm_connmgr_with_conn) instead\n");
    fflush(a->warn);
}

static mdm_status add_engine(mdm_adapter *a, const char *path, const char *db,
                             mdm_adapter_engine **out, mdm_error *err)
{
    mdm_adapter_engine **grown = realloc(a->engines, (a->nengines + 1) * sizeof *grown);
    mdm_adapter_engine *e = calloc(1, sizeof *e);
    if (grown != NULL)
        a->engines = grown;
    if (grown == NULL || e == NULL || (e->path = strdup(path)) == NULL ||
        (e->db = strdup(db)) == NULL) {
        if (e != NULL)
            free(e->path);
        free(e);
        return mdm_error_set(err, MDM_ERR_NOMEM, "out of memory");
    }
    a->engines[a->nengines++] = e;
    *out = e;
    return MDM_OK;
}

mdm_status mdm_adapter_get_engine(mdm_adapter *a, const char *path, mdm_adapter_engine **out,
                                  mdm_error *err)
{
    mdm_adapter_engine *e = NULL;
    char name[1024];
    bool exists = false;
    if (a == NULL || out == NULL)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "get_engine: NULL argument");
    warn_deprecated(a);
    path = path != NULL ? path : a->default_path;
    if (path == NULL)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "get_engine: no path given and none configured");
    mdm_store *s = NULL;
    mdm_status rc = db_name(a, path, name, sizeof name, err);
    if (rc == MDM_OK)
        rc = db_store(a, name, &s, err);
    if (rc == MDM_OK)
        rc = s->ops->db_exists(s, name, &exists, err);
    if (rc == MDM_OK && !exists && a->pg)
        rc = mdm_error_set(err, MDM_ERR_NOT_FOUND, "database \"%s\" does not exist", name);
    else if (rc == MDM_OK && !exists)
        rc = s->ops->db_create(s, name, err);   /* opening the file made it */
    for (size_t i = 0; rc == MDM_OK && e == NULL && i < a->nengines; i++)
        if (strcmp(a->engines[i]->path, path) == 0)
            e = a->engines[i];
    if (rc == MDM_OK && e == NULL)
        rc = add_engine(a, path, name, &e, err);
    if (rc == MDM_OK)
        *out = a->current = e;
    return rc;
}

void mdm_adapter_close_connections(mdm_adapter *a)
{
    if (a == NULL)
        return;
    mdm_router_close_stores(a->router);
    a->current = NULL;
}

mdm_status mdm_adapter_database_exists(mdm_adapter *a, const char *path, bool *out,
                                       mdm_error *err)
{
    if (a == NULL || out == NULL)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "database_exists: NULL argument");
    return db_run(a, DB_EXISTS, path, out, err);
}

mdm_status mdm_adapter_create_database(mdm_adapter *a, const char *path, mdm_error *err)
{
    if (a == NULL)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "create_database: NULL argument");
    return db_run(a, DB_CREATE, path, NULL, err);
}

mdm_status mdm_adapter_drop_database(mdm_adapter *a, const char *path, mdm_error *err)
{
    if (a == NULL)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "drop_database: NULL argument");
    return db_run(a, DB_DROP, path, NULL, err);
}

/* ---- Writes ------------------------------------------------------------------------ */

mdm_status mdm_adapter_create_table_from_dataframe(mdm_adapter *a, const mdm_table *df,
                                                   const char *table,
                                                   mdm_adapter_engine *engine,
                                                   const char *if_exists, mdm_error *err)
{
    mdm_if_exists mode = MDM_IF_EXISTS_FAIL;
    mdm_route r;
    if (a == NULL || engine == NULL || df == NULL || table == NULL)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "create_table_from_dataframe: NULL argument");
    if (if_exists != NULL && mdm_if_exists_parse(if_exists, &mode, NULL) != MDM_OK)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG,
                             "Failed to create table %s: '%s' is not valid for if_exists", table,
                             if_exists);
    mdm_store_lock *lock = NULL;
    mdm_status rc = route(a, MDM_FLAG_OP_WRITE, engine->db, &r, err);
    /* the dataset's write lock, as every writer of the program takes it:
     * the legacy store's clean-up of staging tables counts on it */
    if (rc == MDM_OK)
        rc = mdm_router_lock(a->router, engine->db, &lock, err);
    mdm_router_write w = {engine->db, engine->db, table, df, mode, NULL, NULL, NULL, 0, false};
    if (rc == MDM_OK)
        rc = mdm_router_run_write(a->router, &r, &w, err);
    mdm_store_unlock(lock);
    if (rc != MDM_OK)
        wrap(err, "Failed to create table", table);
    return rc;
}

/* execute_query may write: the write route's store, never shadowed. */
mdm_status mdm_adapter_execute_query(mdm_adapter *a, const char *sql, mdm_adapter_engine *engine,
                                     mdm_table *out, mdm_error *err)
{
    mdm_route r;
    if (a == NULL || engine == NULL || sql == NULL || out == NULL)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "execute_query: NULL argument");
    mdm_status rc = route(a, MDM_FLAG_OP_WRITE, engine->db, &r, err);
    if (rc == MDM_OK)
        rc = r.serve->ops->query(r.serve, engine->db, sql, NULL, 0, false, out, err);
    if (rc != MDM_OK)
        wrap(err, "Failed to execute query", NULL);
    return rc;
}

/* ---- Reads, through the router's shadow runs ----------------------------------------- */

typedef struct rd_ctx {
    const char *db, *table, *sql;
    mdm_read_opts ro;
    mdm_table_info *info;   /* get_table_info: the serving side's */
    mdm_strlist *names;     /* get_table_names: the serving side's */
} rd_ctx;

static mdm_status f_read(void *arg, mdm_store *s, bool dry, mdm_table *out, mdm_error *err)
{
    rd_ctx *c = arg;
    (void)dry;
    return s->ops->read(s, c->db, c->table, &c->ro, out, err);
}

static mdm_status f_query(void *arg, mdm_store *s, bool dry, mdm_table *out, mdm_error *err)
{
    rd_ctx *c = arg;
    return s->ops->query(s, c->db, c->sql, NULL, 0, dry, out, err);
}

/* Table info as rows (column, type, rows), for comparison. */
static mdm_status info_table(const mdm_table_info *ti, mdm_table *out, mdm_error *err)
{
    mdm_table t;
    mdm_table_init(&t);
    mdm_status rc = mdm_table_add_column(&t, "column", MDM_TEXT, err);
    if (rc == MDM_OK)
        rc = mdm_table_add_column(&t, "type", MDM_TEXT, err);
    if (rc == MDM_OK)
        rc = mdm_table_add_column(&t, "rows", MDM_INT64, err);
    for (size_t i = 0; rc == MDM_OK && i < ti->ncolumns; i++) {
        const mdm_column_info *c = &ti->columns[i];
        rc = mdm_table_push_text(&t, 0, c->name, strlen(c->name), err);
        if (rc == MDM_OK)
            rc = mdm_table_push_text(&t, 1, c->decl_type, strlen(c->decl_type), err);
        if (rc == MDM_OK)
            rc = mdm_table_push_int64(&t, 2, ti->row_count, err);
        if (rc == MDM_OK)
            rc = mdm_table_end_row(&t, err);
    }
    if (rc == MDM_OK)
        mdm_table_move(out, &t);
    mdm_table_reset(&t);
    return rc;
}

/* The serving side (dry false) hands its info to the caller as well. */
static mdm_status f_info(void *arg, mdm_store *s, bool dry, mdm_table *out, mdm_error *err)
{
    rd_ctx *c = arg;
    mdm_table_info ti;
    mdm_table_info_init(&ti);
    mdm_status rc = s->ops->table_info(s, c->db, c->table, &ti, err);
    if (rc == MDM_OK)
        rc = info_table(&ti, out, err);
    if (rc == MDM_OK && !dry) {
        mdm_table_info_reset(c->info);
        *c->info = ti;
        mdm_table_info_init(&ti);
    }
    mdm_table_info_reset(&ti);
    return rc;
}

static mdm_status f_names(void *arg, mdm_store *s, bool dry, mdm_table *out, mdm_error *err)
{
    rd_ctx *c = arg;
    mdm_strlist names;
    mdm_strlist_init(&names);
    mdm_status rc = s->ops->tables(s, c->db, &names, err);
    if (rc == MDM_OK)
        rc = mdm_table_from_strings("name", (const char *const *)names.items, names.count, out,
                                    err);
    if (rc == MDM_OK && !dry) {
        mdm_strlist_reset(c->names);
        *c->names = names;
        mdm_strlist_init(&names);
    }
    mdm_strlist_reset(&names);
    return rc;
}

/* One read on engine e: routed, run (and shadowed) by the router. */
static mdm_status read_on(mdm_adapter *a, mdm_adapter_engine *e, const char *operation,
                          const char *detail, mdm_router_read_fn fn, rd_ctx *c, mdm_table *out,
                          mdm_error *err)
{
    mdm_route r;
    c->db = e->db;
    mdm_status rc = route(a, MDM_FLAG_OP_READ, e->db, &r, err);
    mdm_router_read rd = {operation, e->path, detail, false, fn, c};
    if (rc == MDM_OK)
        rc = mdm_router_run_read(a->router, &r, &rd, out, err);
    return rc;
}

mdm_status mdm_adapter_query(mdm_adapter *a, const char *sql, mdm_table *out, mdm_error *err)
{
    rd_ctx c = {.sql = sql};
    if (a == NULL || sql == NULL || out == NULL)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "query: NULL argument");
    if (a->current == NULL)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "%s", no_engine_msg);
    mdm_status rc = read_on(a, a->current, "query", sql, f_query, &c, out, err);
    if (rc != MDM_OK)
        wrap(err, "Failed to execute query", NULL);
    return rc;
}

mdm_status mdm_adapter_read_table_to_dataframe(mdm_adapter *a, const char *table,
                                               mdm_adapter_engine *engine,
                                               const int64_t *limit, mdm_table *out,
                                               mdm_error *err)
{
    rd_ctx c = {.table = table, .ro = MDM_READ_OPTS_INIT};
    if (a == NULL || engine == NULL || table == NULL || out == NULL)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "read_table_to_dataframe: NULL argument");
    if (limit != NULL && *limit < 0)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG,
                             "Failed to read table %s: limit must be >= 0, got %" PRId64, table,
                             *limit);
    c.ro.has_limit = limit != NULL && *limit != 0;   /* 0 means all rows */
    c.ro.limit = c.ro.has_limit ? *limit : 0;
    mdm_status rc = read_on(a, engine, "read_table", table, f_read, &c, out, err);
    if (rc != MDM_OK)
        wrap(err, "Failed to read table", table);
    return rc;
}

mdm_status mdm_adapter_get_table_info(mdm_adapter *a, const char *table,
                                      mdm_adapter_engine *engine, mdm_table_info *out,
                                      mdm_error *err)
{
    rd_ctx c = {.table = table, .info = out};
    mdm_table scratch;
    if (a == NULL || engine == NULL || table == NULL || out == NULL)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "get_table_info: NULL argument");
    mdm_table_init(&scratch);
    mdm_status rc = read_on(a, engine, "table_info", table, f_info, &c, &scratch, err);
    mdm_table_reset(&scratch);
    return rc;
}

mdm_status mdm_adapter_get_table_names(mdm_adapter *a, mdm_adapter_engine *engine,
                                       mdm_strlist *out, mdm_error *err)
{
    rd_ctx c = {.names = out};
    mdm_table scratch;
    if (a == NULL || engine == NULL || out == NULL)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "get_table_names: NULL argument");
    mdm_table_init(&scratch);
    mdm_status rc = read_on(a, engine, "table_names", NULL, f_names, &c, &scratch, err);
    mdm_table_reset(&scratch);
    return rc;
}

/* A question about the catalogue, asked of the serving store (not shadowed:
 * there is no table to compare). */
mdm_status mdm_adapter_table_exists(mdm_adapter *a, mdm_adapter_engine *engine,
                                    const char *table, bool *out, mdm_error *err)
{
    mdm_route r;
    if (a == NULL || engine == NULL || table == NULL || out == NULL)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "table_exists: NULL argument");
    mdm_status rc = route(a, MDM_FLAG_OP_READ, engine->db, &r, err);
    return rc == MDM_OK ? r.serve->ops->table_exists(r.serve, engine->db, table, out, err) : rc;
}
