/* SPDX-License-Identifier: MIT */
/*
 * mdm_adapter.c - the BackendAdapter object: engines (one connection manager
 * per database path), the old interface's methods over modern/, and the
 * dispatch to the legacy path or to shadow runs when the adapter was made
 * for them. The deprecation warning is counted per adapter, never globally.
 */
#include "mdm_adapter.h"
#include "mdm_adapter_internal.h"
#include "mdm_connmgr.h"
#include "mdm_dsn.h"
#include "mdm_table_ops.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

struct mdm_adapter_engine {
    char *path;          /* as asked for */
    mdm_connmgr *mgr;    /* modern side; NULL until used or after close */
    void *legacy;        /* legacy_engine (legacy and shadow) */
};

struct mdm_adapter {
    mdm_impl impl;
    char *backend;
    const mdm_registry *reg;
    mdm_registry *own_reg;
    mdm_conn_config *conn;         /* template (deep copy) */
    char *default_path;
    mdm_pool_opts pool;
    FILE *warn;
    bool deprecation_warning;
    int deprecations;
    mdm_shadow shadow;
    const mdm__legacy_iface *lp;   /* legacy path, or NULL */
    void *lb;                      /* legacy backend */
    mdm_adapter_engine **engines;
    size_t nengines;
    mdm_adapter_engine *current;   /* the last get_engine() answer */
};

static const char no_engine_msg[] = "No engine available. Call get_engine() first.";

/* Prefixes err with the old interface's context, unless the backend did
 * already (modern's backends say "Failed to ..." themselves). */
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

static char *dup_or_null(const char *s, bool *ok)
{
    char *d = s != NULL ? strdup(s) : NULL;
    if (s != NULL && d == NULL)
        *ok = false;
    return d;
}

static mdm_status setup_registry(mdm_adapter *a, const mdm_adapter_opts *o, mdm_error *err)
{
    const mdm_backend_ops *ops = NULL;
    mdm_status rc = MDM_OK;
    a->reg = o->registry;
    if (a->reg == NULL) {
        rc = mdm_registry_new(&a->own_reg, err);
        if (rc == MDM_OK)
            rc = mdm_registry_add_builtins(a->own_reg, err);
        a->reg = a->own_reg;
    }
    if (rc == MDM_OK)
        rc = mdm_registry_create(a->reg, a->backend, &ops, err);
    return rc;
}

static mdm_status setup_conn(mdm_adapter *a, const mdm_adapter_opts *o, mdm_error *err)
{
    mdm_conn_config tmpl = o->conn;
    tmpl.version = MDM_CONN_CONFIG_VERSION;
    tmpl.backend = a->backend;
    tmpl.path = NULL;
    return mdm_conn_config_dup(&tmpl, &a->conn, err);
}

static mdm_status setup_impl(mdm_adapter *a, const mdm_adapter_opts *o, mdm_error *err)
{
    a->impl = o->impl;
    if (a->impl == MDM_IMPL_MODERN)
        return MDM_OK;
    a->lp = mdm__adapter_legacy();
#if !MDM_WITH_LEGACY
    /* Built without legacy/: the legacy path is NULL, so legacy and shadow
     * are refused. Compiled into that build only, and tested there
     * (tests/integration/test_adapter.c, legacy_path_is_compiled_out). */
    return mdm_error_set(err, MDM_ERR_UNSUPPORTED,
                         "implementation '%s' is not available: this mdm was built "
                         "without legacy/ (LEGACY=0)",
                         mdm_impl_name(o->impl));
#else
    mdm_status rc = a->lp->open(a->backend, o->legacy_config, &a->lb, err);
    if (rc == MDM_OK && a->impl == MDM_IMPL_SHADOW)
        rc = mdm_shadow_init(&a->shadow, o->shadow_log != NULL ? o->shadow_log : "",
                             a->warn, err);
    return rc;
#endif
}

mdm_status mdm_adapter_new(mdm_adapter **out, const mdm_adapter_opts *opts, mdm_error *err)
{
    const mdm_adapter_opts defaults = MDM_ADAPTER_OPTS_INIT;
    const mdm_adapter_opts *o = opts != NULL ? opts : &defaults;
    mdm_status rc = MDM_OK;
    bool ok = true;
    if (out == NULL || o->version != MDM_ADAPTER_OPTS_VERSION || o->impl > MDM_IMPL_SHADOW)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "mdm_adapter_new: bad arguments");
    mdm_adapter *a = calloc(1, sizeof *a);
    if (a == NULL)
        return mdm_error_set(err, MDM_ERR_NOMEM, "out of memory");
    a->backend = dup_or_null(o->backend != NULL ? o->backend : "sqlite", &ok);
    a->default_path = dup_or_null(o->default_path, &ok);
    a->pool = o->pool;
    a->warn = o->warn != NULL ? o->warn : stderr;
    a->deprecation_warning = o->deprecation_warning;
    a->impl = MDM_IMPL_MODERN;
    if (!ok)
        rc = mdm_error_set(err, MDM_ERR_NOMEM, "out of memory");
    if (rc == MDM_OK)
        rc = setup_registry(a, o, err);
    if (rc == MDM_OK)
        rc = setup_conn(a, o, err);
    if (rc == MDM_OK)
        rc = setup_impl(a, o, err);
    if (rc != MDM_OK) {
        a->lp = NULL;   /* nothing of legacy's to close yet */
        mdm_adapter_free(a);
        return rc;
    }
    *out = a;
    return MDM_OK;
}

static void engine_close(mdm_adapter_engine *e)
{
    mdm_connmgr_free(e->mgr);
    e->mgr = NULL;
}

void mdm_adapter_free(mdm_adapter *a)
{
    if (a == NULL)
        return;
    for (size_t i = 0; i < a->nengines; i++) {
        engine_close(a->engines[i]);
        free(a->engines[i]->path);
        free(a->engines[i]);
    }
    if (a->lp != NULL)
        a->lp->close_connections(a->lb);
    free(a->engines);
    mdm_conn_config_free(a->conn);
    mdm_registry_free(a->own_reg);
    free(a->default_path);
    free(a->backend);
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
    memset(out, 0, sizeof *out);
    if (a->impl == MDM_IMPL_SHADOW)
        *out = a->shadow.stats;
}

const char *mdm_adapter_engine_path(const mdm_adapter_engine *e)
{
    return e->path;
}

/* ---- Engines ---------------------------------------------------------------- */

static bool is_pg(const mdm_adapter *a)
{
    return strcmp(a->backend, "postgresql") == 0;
}

/* The connection config for one database; dsn holds a derived DSN. */
static mdm_status engine_config(const mdm_adapter *a, const char *path, mdm_buf *dsn,
                                mdm_conn_config *cfg, mdm_error *err)
{
    *cfg = *a->conn;
    cfg->path = path;
    if (!is_pg(a))
        return MDM_OK;
    cfg->path = NULL;
    if (mdm_dsn_is_uri(path)) {
        cfg->dsn = path;
        return MDM_OK;
    }
    mdm_status rc = mdm_dsn_with_dbname(a->conn->dsn, path, dsn, err);
    cfg->dsn = mdm_buf_str(dsn);
    return rc;
}

/* The engine's connection manager, made when missing. */
static mdm_status engine_mgr(mdm_adapter *a, mdm_adapter_engine *e, mdm_error *err)
{
    mdm_conn_config cfg;
    mdm_buf dsn;
    if (e->mgr != NULL)
        return MDM_OK;
    mdm_buf_init(&dsn);
    mdm_status rc = engine_config(a, e->path, &dsn, &cfg, err);
    if (rc == MDM_OK)
        rc = mdm_connmgr_new(&e->mgr, a->reg, &cfg, &a->pool, err);
    mdm_buf_reset(&dsn);
    return rc;
}

static mdm_adapter_engine *find_engine(mdm_adapter *a, const char *path, void *legacy)
{
    for (size_t i = 0; i < a->nengines; i++) {
        mdm_adapter_engine *e = a->engines[i];
        if (a->impl == MDM_IMPL_LEGACY ? e->legacy == legacy : strcmp(e->path, path) == 0)
            return e;
    }
    return NULL;
}

static mdm_status add_engine(mdm_adapter *a, const char *path, void *legacy,
                             mdm_adapter_engine **out, mdm_error *err)
{
    mdm_adapter_engine **grown = realloc(a->engines, (a->nengines + 1) * sizeof *grown);
    mdm_adapter_engine *e = calloc(1, sizeof *e);
    if (grown != NULL)
        a->engines = grown;
    if (grown == NULL || e == NULL || (e->path = strdup(path)) == NULL) {
        free(e);
        return mdm_error_set(err, MDM_ERR_NOMEM, "out of memory");
    }
    e->legacy = legacy;
    a->engines[a->nengines++] = e;
    *out = e;
    return MDM_OK;
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

/* Opens and returns one connection, so that get_engine reports a bad path
 * or an unreachable server as the old one did. */
static mdm_status engine_check(mdm_adapter *a, mdm_adapter_engine *e, mdm_error *err)
{
    mdm_conn *c = NULL;
    mdm_status rc = engine_mgr(a, e, err);
    if (rc == MDM_OK)
        rc = mdm_connmgr_acquire(e->mgr, &c, err);
    if (rc == MDM_OK)
        (void)mdm_connmgr_release(e->mgr, c);
    return rc;
}

mdm_status mdm_adapter_get_engine(mdm_adapter *a, const char *path, mdm_adapter_engine **out,
                                  mdm_error *err)
{
    void *legacy = NULL;
    mdm_adapter_engine *e;
    mdm_status rc = MDM_OK;
    if (a == NULL || out == NULL)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "get_engine: NULL argument");
    warn_deprecated(a);
    path = path != NULL ? path : a->default_path;
    if (path == NULL)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "get_engine: no path given and none configured");
    if (a->lp != NULL)
        rc = a->lp->get_engine(a->lb, path, &legacy, err);
    if (rc != MDM_OK)
        return rc;
    e = find_engine(a, path, legacy);
    if (e == NULL)
        rc = add_engine(a, path, legacy, &e, err);
    else if (legacy != NULL)
        e->legacy = legacy;
    if (rc == MDM_OK && a->impl == MDM_IMPL_MODERN)
        rc = engine_check(a, e, err);
    if (rc == MDM_OK)
        *out = a->current = e;
    return rc;
}

/* ---- Modern operations --------------------------------------------------- */

typedef struct op {
    const char *table;
    const char *sql;
    const mdm_table *df;
    mdm_if_exists mode;
    mdm_read_opts ropts;
    mdm_table *out;
    mdm_table_info *info;
    mdm_strlist *names;
    bool *flag;
} op;

/* e is never NULL: the methods refuse a NULL engine, and query() a missing
 * current one, before they get here. */
static mdm_status run_modern(mdm_adapter *a, mdm_adapter_engine *e, mdm_conn_fn fn, op *o,
                             mdm_error *err)
{
    mdm_status rc = engine_mgr(a, e, err);
    return rc == MDM_OK ? mdm_connmgr_with_conn(e->mgr, fn, o, err) : rc;
}

static mdm_status c_create(mdm_conn *c, void *arg, mdm_error *err)
{
    op *o = arg;
    return mdm_conn_create_table(c, o->table, o->df, o->mode, err);
}

static mdm_status c_read(mdm_conn *c, void *arg, mdm_error *err)
{
    op *o = arg;
    return mdm_conn_read_table(c, o->table, &o->ropts, o->out, err);
}

static mdm_status c_exec(mdm_conn *c, void *arg, mdm_error *err)
{
    op *o = arg;
    mdm_query_result qr;
    mdm_query_result_init(&qr);
    mdm_status rc = mdm_conn_execute_query(c, o->sql, NULL, 0, &qr, err);
    if (rc == MDM_OK)
        mdm_table_move(o->out, &qr.table);
    mdm_query_result_reset(&qr);
    return rc;
}

static mdm_status c_info(mdm_conn *c, void *arg, mdm_error *err)
{
    op *o = arg;
    return mdm_conn_table_info(c, o->table, o->info, err);
}

static mdm_status c_names(mdm_conn *c, void *arg, mdm_error *err)
{
    op *o = arg;
    return mdm_conn_list_tables(c, o->names, err);
}

static mdm_status c_exists(mdm_conn *c, void *arg, mdm_error *err)
{
    op *o = arg;
    return mdm_conn_table_exists(c, o->table, o->flag, err);
}

/* ---- Shadow plumbing: each side fills a table to compare ----------------- */

typedef struct shadow_arg {
    mdm_adapter *a;
    mdm_adapter_engine *e;
    op o;
    const int64_t *limit;   /* legacy's limit */
} shadow_arg;

/* Table info as rows (column, type, rows) for comparison. */
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

static mdm_status l_side_read(void *arg, mdm_table *out, mdm_error *err)
{
    shadow_arg *s = arg;
    return s->a->lp->read_table(s->a->lb, s->o.table, s->e->legacy, s->limit, out, err);
}

static mdm_status m_side_read(void *arg, mdm_table *out, mdm_error *err)
{
    shadow_arg *s = arg;
    op o = s->o;
    o.out = out;
    return run_modern(s->a, s->e, c_read, &o, err);
}

static mdm_status l_side_query(void *arg, mdm_table *out, mdm_error *err)
{
    shadow_arg *s = arg;
    return s->a->lp->query(s->a->lb, s->o.sql, out, err);
}

static mdm_status m_side_query(void *arg, mdm_table *out, mdm_error *err)
{
    shadow_arg *s = arg;
    op o = s->o;
    o.out = out;
    return run_modern(s->a, s->e, c_exec, &o, err);
}

static mdm_status l_side_names(void *arg, mdm_table *out, mdm_error *err)
{
    shadow_arg *s = arg;
    mdm_status rc = s->a->lp->table_names(s->a->lb, s->e->legacy, s->o.names, err);
    if (rc == MDM_OK)
        rc = mdm_table_from_strings("name", (const char *const *)s->o.names->items,
                                    s->o.names->count, out, err);
    return rc;
}

static mdm_status m_side_names(void *arg, mdm_table *out, mdm_error *err)
{
    shadow_arg *s = arg;
    mdm_strlist names;
    op o = s->o;
    mdm_strlist_init(&names);
    o.names = &names;
    mdm_status rc = run_modern(s->a, s->e, c_names, &o, err);
    if (rc == MDM_OK)
        rc = mdm_table_from_strings("name", (const char *const *)names.items, names.count, out,
                                    err);
    mdm_strlist_reset(&names);
    return rc;
}

static mdm_status l_side_info(void *arg, mdm_table *out, mdm_error *err)
{
    shadow_arg *s = arg;
    mdm_status rc = s->a->lp->table_info(s->a->lb, s->o.table, s->e->legacy, s->o.info, err);
    return rc == MDM_OK ? info_table(s->o.info, out, err) : rc;
}

static mdm_status m_side_info(void *arg, mdm_table *out, mdm_error *err)
{
    shadow_arg *s = arg;
    mdm_table_info ti;
    op o = s->o;
    mdm_table_info_init(&ti);
    o.info = &ti;
    mdm_status rc = run_modern(s->a, s->e, c_info, &o, err);
    if (rc == MDM_OK)
        rc = info_table(&ti, out, err);
    mdm_table_info_reset(&ti);
    return rc;
}

static mdm_status shadow(mdm_adapter *a, const char *operation, const char *detail,
                         mdm_shadow_fn control, mdm_shadow_fn candidate, shadow_arg *s,
                         mdm_table *out, mdm_error *err)
{
    mdm_shadow_call call = {operation, s->e->path, detail, false, control, s, candidate, s};
    return mdm_shadow_run(&a->shadow, &call, out, err);
}

/* ---- The old interface ------------------------------------------------------ */

mdm_status mdm_adapter_create_table_from_dataframe(mdm_adapter *a, const mdm_table *df,
                                                   const char *table,
                                                   mdm_adapter_engine *engine,
                                                   const char *if_exists, mdm_error *err)
{
    op o = {.table = table, .df = df};
    mdm_status rc;
    if (a == NULL || engine == NULL || df == NULL || table == NULL)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "create_table_from_dataframe: NULL argument");
    if (a->lp != NULL)   /* legacy and shadow: writes go to legacy */
        return a->lp->create_table(a->lb, df, table, engine->legacy, if_exists, err);
    if (if_exists != NULL && mdm_if_exists_parse(if_exists, &o.mode, NULL) != MDM_OK)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG,
                             "Failed to create table %s: '%s' is not valid for if_exists", table,
                             if_exists);
    rc = run_modern(a, engine, c_create, &o, err);
    if (rc != MDM_OK)
        wrap(err, "Failed to create table", table);
    return rc;
}

mdm_status mdm_adapter_query(mdm_adapter *a, const char *sql, mdm_table *out, mdm_error *err)
{
    if (a == NULL || sql == NULL || out == NULL)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "query: NULL argument");
    if (a->impl == MDM_IMPL_LEGACY)
        return a->lp->query(a->lb, sql, out, err);
    if (a->current == NULL)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "%s", no_engine_msg);
    shadow_arg s = {a, a->current, {.sql = sql}, NULL};
    if (a->impl == MDM_IMPL_SHADOW)
        return shadow(a, "query", sql, l_side_query, m_side_query, &s, out, err);
    s.o.out = out;
    mdm_status rc = run_modern(a, a->current, c_exec, &s.o, err);
    if (rc != MDM_OK)
        wrap(err, "Failed to execute query", NULL);
    return rc;
}

mdm_status mdm_adapter_read_table_to_dataframe(mdm_adapter *a, const char *table,
                                               mdm_adapter_engine *engine,
                                               const int64_t *limit, mdm_table *out,
                                               mdm_error *err)
{
    if (a == NULL || engine == NULL || table == NULL || out == NULL)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "read_table_to_dataframe: NULL argument");
    if (a->impl == MDM_IMPL_LEGACY)
        return a->lp->read_table(a->lb, table, engine->legacy, limit, out, err);
    shadow_arg s = {a, engine, {.table = table, .ropts = MDM_READ_OPTS_INIT}, limit};
    if (limit != NULL && *limit < 0)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG,
                             "Failed to read table %s: limit must be >= 0, got %" PRId64, table,
                             *limit);
    s.o.ropts.has_limit = limit != NULL && *limit != 0;   /* 0 means all rows */
    s.o.ropts.limit = s.o.ropts.has_limit ? *limit : 0;
    if (a->impl == MDM_IMPL_SHADOW)
        return shadow(a, "read_table", table, l_side_read, m_side_read, &s, out, err);
    s.o.out = out;
    mdm_status rc = run_modern(a, engine, c_read, &s.o, err);
    if (rc != MDM_OK)
        wrap(err, "Failed to read table", table);
    return rc;
}

void mdm_adapter_close_connections(mdm_adapter *a)
{
    if (a == NULL)
        return;
    for (size_t i = 0; i < a->nengines; i++)
        engine_close(a->engines[i]);
    if (a->lp != NULL)
        a->lp->close_connections(a->lb);
    a->current = NULL;
}

mdm_status mdm_adapter_get_table_info(mdm_adapter *a, const char *table,
                                      mdm_adapter_engine *engine, mdm_table_info *out,
                                      mdm_error *err)
{
    if (a == NULL || engine == NULL || table == NULL || out == NULL)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "get_table_info: NULL argument");
    if (a->impl == MDM_IMPL_LEGACY)
        return a->lp->table_info(a->lb, table, engine->legacy, out, err);
    shadow_arg s = {a, engine, {.table = table, .info = out}, NULL};
    if (a->impl == MDM_IMPL_MODERN)
        return run_modern(a, engine, c_info, &s.o, err);
    mdm_table scratch;
    mdm_table_init(&scratch);
    mdm_status rc = shadow(a, "table_info", table, l_side_info, m_side_info, &s, &scratch, err);
    mdm_table_reset(&scratch);
    return rc;
}

mdm_status mdm_adapter_execute_query(mdm_adapter *a, const char *sql, mdm_adapter_engine *engine,
                                     mdm_table *out, mdm_error *err)
{
    op o = {.sql = sql, .out = out};
    if (a == NULL || engine == NULL || sql == NULL || out == NULL)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "execute_query: NULL argument");
    if (a->lp != NULL)
        return a->lp->execute_query(a->lb, sql, engine->legacy, out, err);
    mdm_status rc = run_modern(a, engine, c_exec, &o, err);
    if (rc != MDM_OK)
        wrap(err, "Failed to execute query", NULL);
    return rc;
}

mdm_status mdm_adapter_table_exists(mdm_adapter *a, mdm_adapter_engine *engine,
                                    const char *table, bool *out, mdm_error *err)
{
    op o = {.table = table, .flag = out};
    if (a == NULL || engine == NULL || table == NULL || out == NULL)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "table_exists: NULL argument");
    if (a->lp != NULL)
        return a->lp->table_exists(a->lb, engine->legacy, table, out, err);
    return run_modern(a, engine, c_exists, &o, err);
}

mdm_status mdm_adapter_get_table_names(mdm_adapter *a, mdm_adapter_engine *engine,
                                       mdm_strlist *out, mdm_error *err)
{
    if (a == NULL || engine == NULL || out == NULL)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "get_table_names: NULL argument");
    if (a->impl == MDM_IMPL_LEGACY)
        return a->lp->table_names(a->lb, engine->legacy, out, err);
    shadow_arg s = {a, engine, {.names = out}, NULL};
    if (a->impl == MDM_IMPL_MODERN)
        return run_modern(a, engine, c_names, &s.o, err);
    mdm_table scratch;
    mdm_table_init(&scratch);
    mdm_status rc = shadow(a, "table_names", NULL, l_side_names, m_side_names, &s, &scratch, err);
    mdm_table_reset(&scratch);
    return rc;
}

/* ---- Databases ------------------------------------------------------------------ */

/* Backend table, server config and database name for a path. name is
 * always set, for the caller's message ("None" for a NULL path, the word
 * legacy used). A PostgreSQL URL names the database; the statements about
 * it run on the same server's "postgres" database (as legacy's did), whose
 * DSN is derived into dsn. */
static mdm_status db_target(mdm_adapter *a, const char *path, const mdm_backend_ops **ops,
                            mdm_conn_config *cfg, mdm_buf *dsn, char *name, size_t n,
                            mdm_error *err)
{
    snprintf(name, n, "%s", path != NULL ? path : "None");
    if (path == NULL)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "database path is NULL");
    mdm_status rc = mdm_registry_create(a->reg, a->backend, ops, err);
    *cfg = *a->conn;
    if (rc == MDM_OK && is_pg(a) && mdm_dsn_is_uri(path)) {
        rc = mdm_dsn_with_dbname(path, "postgres", dsn, err);
        cfg->dsn = mdm_buf_str(dsn);
        if (rc == MDM_OK && mdm_dsn_get(path, "dbname", name, n) == NULL)
            rc = mdm_error_set(err, MDM_ERR_INVALID_ARG, "URL names no database: %s", path);
    }
    return rc;
}

mdm_status mdm_adapter_database_exists(mdm_adapter *a, const char *path, bool *out,
                                       mdm_error *err)
{
    const mdm_backend_ops *ops = NULL;
    mdm_conn_config cfg;
    mdm_buf dsn;
    char name[1024];
    if (a == NULL || out == NULL)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "database_exists: NULL argument");
    if (a->lp != NULL)
        return a->lp->database_exists(a->lb, path, out, err);
    mdm_buf_init(&dsn);
    mdm_status rc = db_target(a, path, &ops, &cfg, &dsn, name, sizeof name, err);
    if (rc == MDM_OK)
        rc = mdm_database_exists(ops, &cfg, name, out, err);
    if (rc != MDM_OK)
        wrap(err, "Failed to check database", name);
    mdm_buf_reset(&dsn);
    return rc;
}

mdm_status mdm_adapter_create_database(mdm_adapter *a, const char *path, mdm_error *err)
{
    const mdm_backend_ops *ops = NULL;
    mdm_conn_config cfg;
    mdm_buf dsn;
    char name[1024];
    if (a == NULL)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "create_database: NULL argument");
    if (a->lp != NULL)
        return a->lp->create_database(a->lb, path, err);
    mdm_buf_init(&dsn);
    mdm_status rc = db_target(a, path, &ops, &cfg, &dsn, name, sizeof name, err);
    if (rc == MDM_OK)
        rc = mdm_database_create(ops, &cfg, name, err);
    if (rc != MDM_OK)
        wrap(err, "Failed to create database", name);
    mdm_buf_reset(&dsn);
    return rc;
}

mdm_status mdm_adapter_drop_database(mdm_adapter *a, const char *path, mdm_error *err)
{
    const mdm_backend_ops *ops = NULL;
    mdm_conn_config cfg;
    mdm_buf dsn;
    char name[1024];
    if (a == NULL)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "drop_database: NULL argument");
    if (a->lp != NULL)
        return a->lp->drop_database(a->lb, path, err);
    mdm_buf_init(&dsn);
    mdm_status rc = db_target(a, path, &ops, &cfg, &dsn, name, sizeof name, err);
    for (size_t i = 0; rc == MDM_OK && i < a->nengines; i++)
        if (strcmp(a->engines[i]->path, path) == 0)
            engine_close(a->engines[i]);   /* its pooled connections hold the file */
    if (rc == MDM_OK)
        rc = mdm_database_drop(ops, &cfg, name, true, err);
    if (rc != MDM_OK)
        wrap(err, "Failed to drop database", name);
    mdm_buf_reset(&dsn);
    return rc;
}
