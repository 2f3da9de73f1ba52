/* SPDX-License-Identifier: MIT */
/*
 * mdm_dataset.c - the DatasetManager: dataset names and locations, and the
 * operations themselves (register, load, query, info, list, remove), each
 * on the store(s) the router hands out for it (adapter/mdm_router.h: which
 * implementation serves, and shadow runs, are decided there only).
 */
#include "mdm_dataset.h"
#include "mdm_sqlitefile.h"
#include "mdm_csv.h"
#include "mdm_router.h"
#include "mdm_sql.h"
#include "mdm_sqlscan.h"
#include "mdm_store.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct mdm_dsm {
    char *home;
    char *user_home;
    const mdm_app_config *cfg;
    mdm_flag_settings flags;
    FILE *warn;
    bool pg;
    mdm_router *router;        /* the stores, the flag, shadow runs */
    char shadow_log[1024];
    char evidence[1024];       /* <home>/rollout/evidence.sqlite */
    char expected[1024];       /* the expected-differences list */
};

/* ---- Names ---------------------------------------------------------------------- */

mdm_status mdm_dataset_normalize_name(const char *name, char *out, mdm_error *err)
{
    size_t n = name != NULL ? strlen(name) : 0;
    if (n == 0 || n > MDM_DATASET_NAME_MAX)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG,
                             "invalid dataset name '%.120s': 1 to %d characters", name ? name : "",
                             MDM_DATASET_NAME_MAX);
    for (size_t i = 0; i < n; i++) {
        char c = (char)tolower((unsigned char)name[i]);
        if (c == '-')
            c = '_';
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
            return mdm_error_set(err, MDM_ERR_INVALID_ARG,
                                 "invalid dataset name '%.120s': only letters, digits, '_' and '-'",
                                 name);
        out[i] = c;
    }
    out[n] = '\0';
    return MDM_OK;
}

/* ---- Locations ------------------------------------------------------------------- */

/* The template for the configured backend, "~/" expanded, into out. */
static mdm_status location_template(const mdm_dsm *m, mdm_buf *out)
{
    const char *t = m->pg ? m->cfg->pg_path : m->cfg->sqlite_path;
    if (m->pg)
        return mdm_buf_puts(out, t != NULL ? t : "mdm_{name}");
    if (t == NULL)
        return mdm_buf_printf(out, "%s/datasets/{name}/dataset.sqlite", m->home);
    if (strncmp(t, "~/", 2) == 0 && m->user_home != NULL)
        return mdm_buf_printf(out, "%s/%s", m->user_home, t + 2);
    return mdm_buf_puts(out, t);
}

/* The template split around {name}. */
static mdm_status template_parts(const mdm_dsm *m, mdm_buf *tmpl, const char **suffix)
{
    mdm_status rc = location_template(m, tmpl);
    char *at = rc == MDM_OK ? strstr(tmpl->data, "{name}") : NULL;
    if (at == NULL)
        return rc != MDM_OK ? rc : MDM_ERR_CONFIG;
    *at = '\0';
    *suffix = at + 6;
    return MDM_OK;
}

/* The name rule of PostgreSQL datasets (app/README.md): the server keeps
 * 63 bytes of a database name and cuts the rest in silence, so a name
 * whose database name would be longer is refused, whatever implementation
 * would serve it, before any sees it. Legacy used to create such datasets
 * in the cut database: that database's own (shorter) name reaches it. */
static mdm_status check_pg_name(const char *normal, size_t lead, size_t tail, size_t db_len,
                                mdm_error *err)
{
    if (db_len <= MDM_PG_DBNAME_MAX)
        return MDM_OK;
    return mdm_error_set(err, MDM_ERR_INVALID_ARG,
                         "invalid dataset name '%s': its PostgreSQL database name would be "
                         "%zu bytes, over the server's %d (at most %zu characters with this "
                         "path template)",
                         normal, db_len, MDM_PG_DBNAME_MAX,
                         lead + tail < MDM_PG_DBNAME_MAX ? MDM_PG_DBNAME_MAX - lead - tail : 0);
}

static mdm_status location_of(const mdm_dsm *m, const char *normal, mdm_buf *out, mdm_error *err)
{
    mdm_buf tmpl;
    const char *suffix = "";
    mdm_buf_init(&tmpl);
    mdm_status rc = template_parts(m, &tmpl, &suffix);
    size_t lead = rc == MDM_OK ? strlen(tmpl.data) : 0, tail = strlen(suffix);
    if (rc == MDM_OK)
        rc = mdm_buf_printf(out, "%s%s%s", tmpl.data, normal, suffix);
    mdm_buf_reset(&tmpl);
    if (rc != MDM_OK)
        return mdm_error_set(err, rc, rc == MDM_ERR_CONFIG ? "path template has no {name}" : "out of memory");
    return m->pg ? check_pg_name(normal, lead, tail, lead + strlen(normal) + tail, err) : MDM_OK;
}

mdm_status mdm_dsm_location(const mdm_dsm *m, const char *name, mdm_buf *out, mdm_error *err)
{
    char normal[MDM_DATASET_NAME_MAX + 1];
    mdm_status rc = mdm_dataset_normalize_name(name, normal, err);
    return rc == MDM_OK ? location_of(m, normal, out, err) : rc;
}

const char *mdm_dsm_backend(const mdm_dsm *m)
{
    return m->pg ? "postgresql" : "sqlite";
}

const char *mdm_dsm_shadow_log(const mdm_dsm *m)
{
    return m->shadow_log;
}

void mdm_dsm_shadow_stats(const mdm_dsm *m, mdm_shadow_stats *out)
{
    mdm_router_shadow_stats(m->router, out);
}

/* ---- Making the manager ---------------------------------------------------------------- */

/* What the router makes stores from: the configured backend's options. */
static void store_settings(const mdm_app_config *c, mdm_store_settings *s)
{
    memset(s, 0, sizeof *s);
    s->backend = c->backend;
    s->journal_mode = c->journal_mode;
    s->synchronous = c->synchronous;
    s->temp_store = c->temp_store;
    s->cache_size = c->cache_size;
    s->mmap_size = c->mmap_size;
    s->busy_timeout_ms = c->busy_timeout_ms;
    s->pg_dsn = c->pg_dsn;
    s->pg_host = c->pg_host;
    s->pg_port = c->pg_port;
    s->pg_user = c->pg_user;
    s->pg_password = c->pg_password;
    s->pg_sslmode = c->pg_sslmode;
    s->pg_connect_timeout = c->pg_connect_timeout;
    s->pool = *mdm_app_config_pool(c);
}

static mdm_status make_router(mdm_dsm *m, mdm_error *err)
{
    mdm_store_settings set;
    store_settings(m->cfg, &set);
    mdm_router_opts ro = {&set, &m->flags, m->shadow_log, m->warn, m->evidence,
                          m->expected[0] ? m->expected : NULL};
    return mdm_router_new(&m->router, &ro, err);
}

static mdm_status shadow_path(mdm_dsm *m, mdm_error *err)
{
    const char *p = m->flags.shadow_log;
    int n;
    if (p[0] == '\0')
        n = snprintf(m->shadow_log, sizeof m->shadow_log, "%s/shadow.jsonl", m->home);
    else if (strncmp(p, "~/", 2) == 0 && m->user_home != NULL)
        n = snprintf(m->shadow_log, sizeof m->shadow_log, "%s/%s", m->user_home, p + 2);
    else
        n = snprintf(m->shadow_log, sizeof m->shadow_log, "%s", p);
    if (n < 0 || (size_t)n >= sizeof m->shadow_log)
        return mdm_error_set(err, MDM_ERR_CONFIG, "shadow log path too long");
    return MDM_OK;
}

/* Shadow runs record their evidence under <home>/rollout (made when a
 * flag is in shadow mode) and match the expected-differences list: the
 * configured one (missing: a warning), else the one `make install` put in
 * MDM_DATADIR when it is there (mdm_dsm_expected_list). */
static mdm_status evidence_paths(mdm_dsm *m, mdm_error *err)
{
    const char *list = mdm_dsm_expected_list(&m->flags);
    int a = snprintf(m->evidence, sizeof m->evidence, "%s/rollout/evidence.sqlite", m->home);
    int b = snprintf(m->expected, sizeof m->expected, "%s", list);
    if (a < 0 || (size_t)a >= sizeof m->evidence || b < 0 || (size_t)b >= sizeof m->expected)
        return mdm_error_set(err, MDM_ERR_CONFIG, "rollout evidence path too long");
    const mdm_flag_settings *f = &m->flags;
    bool shadow = f->reads.mode == MDM_IMPL_SHADOW || f->reads.rest == MDM_IMPL_SHADOW ||
                  f->writes.mode == MDM_IMPL_SHADOW || f->writes.rest == MDM_IMPL_SHADOW;
    mdm_error e;
    if (shadow && mdm_sqlite_make_parents(m->evidence, &e) != MDM_OK)
        fprintf(m->warn, "mdm: warning: shadow evidence: %s\n", e.message);
    return MDM_OK;
}

const char *mdm_dsm_expected_list(const mdm_flag_settings *f)
{
    static const char installed[] = MDM_DATADIR "/expected-differences";
    if (f->expected[0] != '\0')
        return f->expected;
    return access(installed, F_OK) == 0 ? installed : "";
}

mdm_status mdm_dsm_new(mdm_dsm **out, const mdm_dsm_opts *opts, mdm_error *err)
{
    if (out == NULL || opts == NULL || opts->home == NULL || opts->config == NULL ||
        opts->flags == NULL)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "mdm_dsm_new: missing options");
    mdm_dsm *m = calloc(1, sizeof *m);
    if (m == NULL)
        return mdm_error_set(err, MDM_ERR_NOMEM, "out of memory");
    m->cfg = opts->config;
    m->flags = *opts->flags;
    m->warn = opts->warn != NULL ? opts->warn : stderr;
    m->pg = strcmp(opts->config->backend, "postgresql") == 0;
    m->home = strdup(opts->home);
    m->user_home = opts->user_home != NULL ? strdup(opts->user_home) : NULL;
    mdm_status rc = m->home != NULL && (opts->user_home == NULL || m->user_home != NULL)
                        ? MDM_OK
                        : mdm_error_set(err, MDM_ERR_NOMEM, "out of memory");
    if (rc == MDM_OK)
        rc = shadow_path(m, err);
    if (rc == MDM_OK)
        rc = evidence_paths(m, err);
    if (rc == MDM_OK)
        rc = make_router(m, err);
    if (rc != MDM_OK) {
        mdm_dsm_free(m);
        return rc;
    }
    *out = m;
    return MDM_OK;
}

void mdm_dsm_free(mdm_dsm *m)
{
    if (m == NULL)
        return;
    mdm_router_free(m->router);
    free(m->user_home);
    free(m->home);
    free(m);
}

/* ---- Routing ----------------------------------------------------------------------------- */

typedef struct route {
    char name[MDM_DATASET_NAME_MAX + 1];
    mdm_buf db;            /* location */
    mdm_route rt;          /* the router's decision and stores */
    mdm_store *serve;      /* rt.serve */
} route;

static void route_reset(route *r)
{
    mdm_buf_reset(&r->db);
}

static mdm_status route_for(mdm_dsm *m, mdm_flag_op op, const char *name, route *r,
                            mdm_dsm_result *res, mdm_error *err)
{
    memset(r, 0, sizeof *r);
    mdm_buf_init(&r->db);
    mdm_status rc = mdm_dataset_normalize_name(name, r->name, err);
    if (rc == MDM_OK)
        rc = location_of(m, r->name, &r->db, err);
    if (rc != MDM_OK)
        return rc;
    rc = mdm_router_route(m->router, op, r->name, &r->rt, err);
    r->serve = r->rt.serve;
    if (res != NULL) {
        memset(res, 0, sizeof *res);
        snprintf(res->name, sizeof res->name, "%s", r->name);
        res->impl = r->rt.d.impl;
        snprintf(res->reason, sizeof res->reason, "%s", r->rt.d.reason);
    }
    return rc;
}

/* A table name both implementations can use: not empty, valid UTF-8,
 * (PostgreSQL) at most 63 bytes. */
static mdm_status check_table(const mdm_dsm *m, const char *table, mdm_error *err)
{
    mdm_status rc = mdm_sql_check_ident(m->pg ? MDM_SQL_POSTGRESQL : MDM_SQL_SQLITE, table, err);
    if (rc != MDM_OK)
        mdm_error_prefix(err, "invalid table name");
    else if (mdm_store_is_staging(table))
        rc = mdm_error_set(err, MDM_ERR_INVALID_ARG,
                           "invalid table name '%s': names starting with '%s' are mdm's "
                           "staging tables", table, MDM_STORE_STAGE_PREFIX);
    return rc;
}

/* NOT_FOUND unless the dataset's database exists. */
static mdm_status require_db(mdm_dsm *m, const route *r, mdm_error *err)
{
    bool exists = false;
    mdm_status rc = r->serve->ops->db_exists(r->serve, mdm_buf_str(&r->db), &exists, err);
    if (rc == MDM_OK && !exists)
        rc = mdm_error_set(err, MDM_ERR_NOT_FOUND, "dataset '%s' not found (no %s %s)", r->name,
                           m->pg ? "database" : "file", mdm_buf_str(&r->db));
    return rc;
}

/* ---- The write lock ------------------------------------------------------------------------ */

/* The dataset's own folder (default SQLite layout), when nothing is left
 * in it. Run after the write lock is released, whose file lives there: a
 * writer that comes next and finds the folder gone makes it again. */
static void remove_empty_folder(const mdm_dsm *m, const char *db)
{
    mdm_buf p;
    mdm_buf_init(&p);
    if (!m->pg && m->cfg->sqlite_path == NULL && mdm_buf_puts(&p, db) == MDM_OK) {
        char *slash = strrchr(p.data, '/');
        if (slash != NULL) {
            *slash = '\0';
            (void)rmdir(p.data);   /* fails, harmlessly, unless empty */
        }
    }
    mdm_buf_reset(&p);
}

/* The default layout's `datasets/<name>` folder, and the database file,
 * must be what they seem: a symbolic link there would make register and
 * remove write or delete outside the home. Refused, not followed. */
static mdm_status check_no_symlink(const mdm_dsm *m, const route *r, mdm_error *err)
{
    struct stat st;
    mdm_buf dir;
    mdm_status rc = MDM_OK;
    const char *db = mdm_buf_str(&r->db);
    if (m->pg)
        return MDM_OK;
    mdm_buf_init(&dir);
    if (m->cfg->sqlite_path == NULL && mdm_buf_puts(&dir, db) == MDM_OK &&
        strrchr(dir.data, '/') != NULL) {
        *strrchr(dir.data, '/') = '\0';
        if (lstat(dir.data, &st) == 0 && S_ISLNK(st.st_mode))
            rc = mdm_error_set(err, MDM_ERR_IO,
                               "dataset '%s': its folder '%s' is a symbolic link; mdm does not "
                               "follow it (it could point outside the home)", r->name, dir.data);
    }
    if (rc == MDM_OK && lstat(db, &st) == 0 && S_ISLNK(st.st_mode))
        rc = mdm_error_set(err, MDM_ERR_IO,
                           "dataset '%s': its database file '%s' is a symbolic link; mdm does "
                           "not follow it", r->name, db);
    mdm_buf_reset(&dir);
    return rc;
}

/* Takes the dataset's write lock (mdm_router_lock), after making sure its
 * location is no symbolic link. */
static mdm_status lock_dataset(mdm_dsm *m, const route *r, mdm_store_lock **lock,
                               mdm_error *err)
{
    mdm_status rc = check_no_symlink(m, r, err);
    if (rc == MDM_OK)
        rc = mdm_router_lock(m->router, mdm_buf_str(&r->db), lock, err);
    return rc;
}

static void unlock_dataset(mdm_dsm *m, const route *r, mdm_store_lock *lock)
{
    mdm_store_unlock(lock);
    remove_empty_folder(m, mdm_buf_str(&r->db));
}

/* ---- Reads, with shadow runs ---------------------------------------------------------------- */

typedef struct read_job read_job;
typedef mdm_status (*read_fn)(read_job *j, mdm_store *s, bool dry, mdm_table *out,
                              mdm_error *err);

struct read_job {
    route *r;
    read_fn fn;
    const char *table;
    mdm_read_opts ro;
    const char *sql;
    const mdm_param *params;
    size_t nparams;
    const mdm_row_sink *sink;   /* query: rows handed over as they come */
};

static mdm_status job_on(void *ctx, mdm_store *s, bool dry, mdm_table *out, mdm_error *err)
{
    read_job *j = ctx;
    return j->fn(j, s, dry, out, err);
}

/* The read on the serving store, or (shadow) on both through the router. */
static mdm_status run_read(mdm_dsm *m, read_job *j, const char *operation, const char *detail,
                           bool ordered, mdm_table *out, mdm_error *err)
{
    mdm_status rc = require_db(m, j->r, err);
    if (rc != MDM_OK)
        return rc;
    mdm_router_read rd = {operation, j->r->name, detail, ordered, job_on, j};
    return mdm_router_run_read(m->router, &j->r->rt, &rd, out, err);
}

static mdm_status load_on(read_job *j, mdm_store *s, bool dry, mdm_table *out, mdm_error *err)
{
    (void)dry;
    return s->ops->read(s, mdm_buf_str(&j->r->db), j->table, &j->ro, out, err);
}

/* The shadow log's and evidence's name for a load: a limit of 0 has its
 * own (legacy reads every row there, LEGACY.md 6), so the expected list can
 * name it without also excusing a load that lost its rows. */
static const char *load_operation(const mdm_load_opts *o)
{
    return o->has_limit && o->limit == 0 ? "load_limit_zero" : "load";
}

mdm_status mdm_dsm_load(mdm_dsm *m, const char *name, const mdm_load_opts *o, mdm_table *out,
                        mdm_dsm_result *res, mdm_error *err)
{
    const mdm_load_opts dflt = MDM_LOAD_OPTS_INIT;
    route r;
    read_job j = {&r, load_on, NULL, MDM_READ_OPTS_INIT, NULL, NULL, 0, NULL};
    o = o != NULL ? o : &dflt;
    j.table = o->table != NULL ? o->table : MDM_DEFAULT_TABLE;
    j.ro.columns = o->columns;
    j.ro.ncolumns = o->ncolumns;
    j.ro.has_limit = o->has_limit;
    j.ro.limit = o->limit;
    mdm_status rc = route_for(m, MDM_FLAG_OP_READ, name, &r, res, err);
    if (r.rt.d.impl != MDM_IMPL_SHADOW)   /* shadow compares whole results */
        j.ro.sink = o->sink;
    if (rc == MDM_OK)
        rc = check_table(m, j.table, err);
    if (rc == MDM_OK)
        rc = run_read(m, &j, load_operation(o), j.table, false, out, err);
    route_reset(&r);
    return rc;
}

static mdm_status query_on(read_job *j, mdm_store *s, bool dry, mdm_table *out, mdm_error *err)
{
    if (j->sink != NULL && s->ops->query_rows != NULL)
        return s->ops->query_rows(s, mdm_buf_str(&j->r->db), j->sql, j->params, j->nparams,
                                  j->sink, out, err);
    return s->ops->query(s, mdm_buf_str(&j->r->db), j->sql, j->params, j->nparams, dry, out, err);
}

mdm_status mdm_dsm_query(mdm_dsm *m, const char *name, const char *sql, const mdm_param *params,
                         size_t nparams, mdm_table *out, mdm_dsm_result *res, mdm_error *err)
{
    return mdm_dsm_query_rows(m, name, sql, params, nparams, NULL, out, res, err);
}

mdm_status mdm_dsm_query_rows(mdm_dsm *m, const char *name, const char *sql,
                              const mdm_param *params, size_t nparams, const mdm_row_sink *sink,
                              mdm_table *out, mdm_dsm_result *res, mdm_error *err)
{
    route r;
    read_job j = {&r, query_on, NULL, MDM_READ_OPTS_INIT, sql, params, nparams, NULL};
    mdm_sql_dialect d = m->pg ? MDM_SQL_POSTGRESQL : MDM_SQL_SQLITE;
    bool reads = mdm_sql_is_read(sql, d);
    if (sql == NULL)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "query: no SQL");
    mdm_store_lock *lock = NULL;
    mdm_status rc = route_for(m, reads ? MDM_FLAG_OP_READ : MDM_FLAG_OP_WRITE, name, &r, res, err);
    if (reads && r.rt.d.impl != MDM_IMPL_SHADOW)   /* shadow compares whole results */
        j.sink = sink;
    if (rc == MDM_OK && !reads)   /* a statement that writes is a writer like register */
        rc = lock_dataset(m, &r, &lock, err);
    if (rc == MDM_OK)
        rc = run_read(m, &j, "query", sql, mdm_sql_has_order_by(sql, d), out, err);
    if (lock != NULL)
        unlock_dataset(m, &r, lock);
    route_reset(&r);
    return rc;
}

/* ---- Info ------------------------------------------------------------------------------------ */

static mdm_status info_columns(mdm_table *t, mdm_error *err)
{
    mdm_status rc = mdm_table_add_column(t, "table", MDM_TEXT, err);
    if (rc == MDM_OK)
        rc = mdm_table_add_column(t, "rows", MDM_INT64, err);
    if (rc == MDM_OK)
        rc = mdm_table_add_column(t, "column", MDM_TEXT, err);
    if (rc == MDM_OK)
        rc = mdm_table_add_column(t, "type", MDM_TEXT, err);
    return rc;
}

static mdm_status info_rows(mdm_table *t, const mdm_table_info *ti, mdm_error *err)
{
    mdm_status rc = MDM_OK;
    for (size_t c = 0; rc == MDM_OK && c < ti->ncolumns; c++) {
        const mdm_column_info *ci = &ti->columns[c];
        const char *decl = ci->decl_type != NULL ? ci->decl_type : "";
        rc = mdm_table_push_text(t, 0, ti->name, strlen(ti->name), err);
        if (rc == MDM_OK)
            rc = mdm_table_push_int64(t, 1, ti->row_count, err);
        if (rc == MDM_OK)
            rc = mdm_table_push_text(t, 2, ci->name, strlen(ci->name), err);
        if (rc == MDM_OK)
            rc = mdm_table_push_text(t, 3, decl, strlen(decl), err);
        if (rc == MDM_OK)
            rc = mdm_table_end_row(t, err);
    }
    return rc;
}

static mdm_status info_on(read_job *j, mdm_store *s, bool dry, mdm_table *out, mdm_error *err)
{
    const char *db = mdm_buf_str(&j->r->db);
    mdm_strlist names;
    mdm_table t;
    (void)dry;
    mdm_strlist_init(&names);
    mdm_table_init(&t);
    mdm_status rc = info_columns(&t, err);
    if (rc == MDM_OK)
        rc = s->ops->tables(s, db, &names, err);
    for (size_t i = 0; rc == MDM_OK && i < names.count; i++) {
        mdm_table_info ti;
        mdm_table_info_init(&ti);
        rc = s->ops->table_info(s, db, names.items[i], &ti, err);
        if (rc == MDM_OK)
            rc = info_rows(&t, &ti, err);
        mdm_table_info_reset(&ti);
    }
    if (rc == MDM_OK)
        mdm_table_move(out, &t);
    mdm_table_reset(&t);
    mdm_strlist_reset(&names);
    return rc;
}

mdm_status mdm_dsm_info(mdm_dsm *m, const char *name, mdm_table *out, mdm_dsm_result *res,
                        mdm_error *err)
{
    route r;
    read_job j = {&r, info_on, NULL, MDM_READ_OPTS_INIT, NULL, NULL, 0, NULL};
    mdm_status rc = route_for(m, MDM_FLAG_OP_READ, name, &r, res, err);
    if (rc == MDM_OK)
        rc = run_read(m, &j, "info", NULL, true, out, err);
    if (rc == MDM_OK && out->nrows == 0)   /* as list: no table, no dataset */
        rc = mdm_error_set(err, MDM_ERR_NOT_FOUND,
                           "dataset '%s' not found (its %s %s holds no table: a register "
                           "that did not finish)", r.name, m->pg ? "database" : "file",
                           mdm_buf_str(&r.db));
    route_reset(&r);
    return rc;
}

/* ---- Writes -------------------------------------------------------------------------------------- */

static mdm_status drop_db(mdm_dsm *m, mdm_store *s, const char *db, mdm_error *err)
{
    mdm_status rc = s->ops->db_drop(s, db, err);
    if (rc == MDM_OK && !m->pg) {
        mdm_sqlite_remove_leftovers(db);   /* legacy's drop leaves them */
        mdm_sqlite_remove_build(db);       /* a build a killed register left (we hold the lock) */
        mdm_router_remove_scratch(m->router, db);   /* a killed shadow write's scratch */
    }
    return rc;
}

/* Opens a CSV for a register: pass 1 over it (every parse error is found
 * here, before any write), its rows then come in chunks (read_chunk). */
static mdm_status open_csv(const char *csv_path, int sep, mdm_csv_stream **st, mdm_error *err)
{
    mdm_csv_opts o = MDM_CSV_OPTS_INIT;
    o.sep = sep;
    if (csv_path == NULL)
        return mdm_error_set(err, MDM_ERR_NOT_FOUND, "cannot read '': %s", strerror(EINVAL));
    return mdm_csv_stream_open(csv_path, &o, st, err);
}

/* One CSV's rows for the store, a chunk of `bytes` of the file at a time:
 * memory is about one chunk of converted rows, whatever the file's size. */
typedef struct csv_source {
    mdm_csv_stream *st;
    size_t bytes;
} csv_source;

static mdm_status read_chunk(void *ctx, mdm_table *chunk, mdm_error *err)
{
    const csv_source *cs = ctx;
    return mdm_csv_stream_next(cs->st, cs->bytes, chunk, err);
}

/* *out: does the database hold a table of a dataset (staging tables are
 * left out by the stores)? A database without one is what a register
 * killed between creating the database and committing its table leaves. */
static mdm_status has_tables(mdm_store *s, const char *db, bool *out, mdm_error *err)
{
    mdm_strlist names;
    mdm_strlist_init(&names);
    mdm_status rc = s->ops->tables(s, db, &names, err);
    *out = rc == MDM_OK && names.count > 0;
    mdm_strlist_reset(&names);
    return rc;
}

/* The dataset's database: found, or created. *created: this write owns the
 * database, so its failure removes it: made now, or found without a table
 * (a killed register's leftover; the write lock proves its maker is gone).
 * A database another process made at the same moment (EXISTS: only one
 * that takes no lock) is simply found. */
static mdm_status ensure_db(route *r, bool *created, mdm_error *err)
{
    const char *db = mdm_buf_str(&r->db);
    mdm_store *s = r->serve;
    bool exists = false, filled = true;
    mdm_status rc = s->ops->db_exists(s, db, &exists, err);
    if (rc == MDM_OK && exists)
        rc = has_tables(s, db, &filled, err);
    if (rc == MDM_OK && !exists) {
        rc = s->ops->db_create(s, db, err);
        filled = rc == MDM_ERR_EXISTS;
        if (rc == MDM_ERR_EXISTS) {
            mdm_error_clear(err);
            rc = MDM_OK;
        }
    }
    *created = rc == MDM_OK && !filled;
    return rc;
}

/* The write lock, then ensure_db: on a thread of its own, beside the CSV
 * parse. The lock is taken before the first look at the database, so the
 * answer stays true until the write is done. */
typedef struct db_job {
    mdm_dsm *m;
    route *r;
    mdm_store_lock *lock;
    bool created;
    mdm_status rc;
    mdm_error err;
} db_job;

static void *db_job_run(void *arg)
{
    db_job *j = arg;
    j->rc = lock_dataset(j->m, j->r, &j->lock, &j->err);
    if (j->rc == MDM_OK)
        j->rc = ensure_db(j->r, &j->created, &j->err);
    return NULL;
}

/* Opens every CSV (pass 1: checked, types inferred) and makes sure the
 * dataset's database exists. On PostgreSQL, CREATE DATABASE (a copy of
 * template1 on the server) takes about as long as parsing a 10 MB CSV, and
 * the two need different CPUs, so they run at once. Every CSV is checked
 * in full before any row is written; a database created here for a CSV
 * that fails is dropped again by the caller (*created), as it was when the
 * steps ran one after the other. A CSV error wins over a database error:
 * it is the user's to fix. */
static mdm_status read_and_prepare(mdm_dsm *m, route *r, const mdm_register_input *in, size_t n,
                                   int sep, mdm_csv_stream **st, bool *created,
                                   mdm_store_lock **lock, mdm_error *err)
{
    db_job j = {.m = m, .r = r, .rc = MDM_OK};
    pthread_t th;
    mdm_error_clear(&j.err);
    bool threaded = m->pg && pthread_create(&th, NULL, db_job_run, &j) == 0;
    mdm_status rc = MDM_OK;
    for (size_t i = 0; i < n && rc == MDM_OK; i++)
        rc = open_csv(in[i].path, sep, &st[i], err);
    if (threaded)
        (void)pthread_join(th, NULL);
    else if (rc == MDM_OK)
        db_job_run(&j);
    *created = j.created;
    *lock = j.lock;
    if (rc == MDM_OK && j.rc != MDM_OK) {
        rc = j.rc;
        if (err != NULL)
            *err = j.err;
    }
    return rc;
}

/* With several tables and --if-exists fail, one that exists stops the
 * register before any is written (all or none). existed[i]: table i was
 * there before (a failed write later drops only the tables it made). */
static mdm_status check_existing(route *r, const mdm_register_input *in, size_t n,
                                 mdm_if_exists ie, bool *existed, mdm_error *err)
{
    const char *db = mdm_buf_str(&r->db);
    mdm_status rc = MDM_OK;
    for (size_t i = 0; i < n && rc == MDM_OK; i++) {
        rc = r->serve->ops->table_exists(r->serve, db, in[i].table, &existed[i], err);
        if (rc == MDM_OK && existed[i] && ie == MDM_IF_EXISTS_FAIL)
            rc = mdm_error_set(err, MDM_ERR_EXISTS,
                               "table '%s' of dataset '%s' already exists (from '%s'); no "
                               "table was written", in[i].table, r->name, in[i].path);
    }
    return rc;
}

/* One table's rows for the store: its CSV stream, a chunk at a time. */
typedef struct table_src {
    csv_source cs;
    mdm_row_source src;
} table_src;

/* Legacy's way: one table after the other, each in its own write; a
 * failure drops the tables this register made before it (one it replaced
 * or appended to keeps its new rows). */
static mdm_status write_each(mdm_dsm *m, route *r, const mdm_register_input *in, size_t n,
                             const mdm_table_rows *tr, const bool *existed,
                             const mdm_register_opts *o, mdm_error *err)
{
    const char *db = mdm_buf_str(&r->db);
    mdm_status rc = MDM_OK;
    size_t done = 0;
    for (; done < n && rc == MDM_OK; done++) {
        mdm_router_write w = {r->name, db, NULL, NULL, o->if_exists, o->progress,
                              o->progress_ctx, &tr[done], 1, false};
        rc = mdm_router_run_write(m->router, &r->rt, &w, err);
    }
    if (rc != MDM_OK && n > 1) {
        for (size_t i = 0; i + 1 < done; i++)
            if (!existed[i])
                (void)r->serve->ops->table_drop(r->serve, db, in[i].table, NULL);
        mdm_error_prefix(err, "table '%s' from '%s'", in[done - 1].table, in[done - 1].path);
    }
    return rc;
}

/* Writes the tables from their CSV streams: where the route writes at
 * once (modern), all in one transaction, so a failure leaves every table
 * as it was whatever --if-exists says, and a new SQLite dataset is built
 * whole beside its file (created); else write_each. */
static mdm_status write_tables(mdm_dsm *m, route *r, const mdm_register_input *in, size_t n,
                               mdm_csv_stream *const *st, const bool *existed, bool created,
                               const mdm_register_opts *o, mdm_error *err)
{
    size_t bytes = o->chunk_bytes > 0 ? o->chunk_bytes : MDM_REGISTER_CHUNK_BYTES;
    table_src *ts = calloc(n, sizeof *ts);
    mdm_table_rows *tr = calloc(n, sizeof *tr);
    mdm_status rc = MDM_OK;
    if (ts == NULL || tr == NULL)
        rc = mdm_error_set(err, MDM_ERR_NOMEM, "register: out of memory");
    for (size_t i = 0; rc == MDM_OK && i < n; i++) {
        ts[i].cs = (csv_source){st[i], bytes};
        ts[i].src = (mdm_row_source){read_chunk, &ts[i].cs, mdm_csv_stream_rows(st[i])};
        tr[i] = (mdm_table_rows){in[i].table, &ts[i].src};
    }
    if (rc == MDM_OK && mdm_router_writes_at_once(&r->rt)) {
        mdm_router_write w = {r->name, mdm_buf_str(&r->db), NULL, NULL, o->if_exists,
                              o->progress, o->progress_ctx, tr, n, created};
        rc = mdm_router_run_write(m->router, &r->rt, &w, err);
    } else if (rc == MDM_OK) {
        rc = write_each(m, r, in, n, tr, existed, o, err);
    }
    free(tr);
    free(ts);
    return rc;
}

/* Every table name valid and no table named twice. */
static mdm_status check_inputs(const mdm_dsm *m, const mdm_register_input *in, size_t n,
                               mdm_error *err)
{
    if (n == 0)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "register: no input file");
    for (size_t i = 0; i < n; i++) {
        mdm_status rc = check_table(m, in[i].table, err);
        if (rc != MDM_OK)
            return rc;
        for (size_t k = 0; k < i; k++)
            if (strcmp(in[k].table, in[i].table) == 0)
                return mdm_error_set(err, MDM_ERR_INVALID_ARG,
                                     "table '%s' would be written twice (from '%s' and '%s')",
                                     in[i].table, in[k].path, in[i].path);
    }
    return MDM_OK;
}

mdm_status mdm_dsm_register_many(mdm_dsm *m, const char *name, mdm_register_input *in, size_t n,
                                 const mdm_register_opts *o, mdm_dsm_result *res,
                                 mdm_error *err)
{
    const mdm_register_opts dflt = MDM_REGISTER_OPTS_INIT;
    bool created = false, *existed = NULL;
    mdm_store_lock *lock = NULL;
    mdm_csv_stream **st = NULL;
    route r;
    o = o != NULL ? o : &dflt;
    mdm_status rc = route_for(m, MDM_FLAG_OP_WRITE, name, &r, res, err);
    if (rc != MDM_OK || (rc = check_inputs(m, in, n, err)) != MDM_OK)
        goto done;
    st = calloc(n, sizeof *st);
    existed = calloc(n, sizeof *existed);
    if (st == NULL || existed == NULL) {
        rc = mdm_error_set(err, MDM_ERR_NOMEM, "register: out of memory");
        goto done;
    }
    rc = read_and_prepare(m, &r, in, n, o->sep, st, &created, &lock, err);
    if (rc == MDM_OK && n > 1)
        rc = check_existing(&r, in, n, o->if_exists, existed, err);
    if (rc == MDM_OK)
        rc = write_tables(m, &r, in, n, st, existed, created, o, err);
    if (rc != MDM_OK && created) {   /* a new dataset that failed is not kept */
        (void)drop_db(m, r.serve, mdm_buf_str(&r.db), NULL);
        created = false;
    }
    for (size_t i = 0; rc == MDM_OK && i < n; i++) {
        in[i].rows = mdm_csv_stream_rows(st[i]);
        in[i].columns = mdm_csv_stream_columns(st[i]);
    }
    if (rc == MDM_OK && res != NULL) {
        res->rows = in[0].rows;
        res->columns = in[0].columns;
        res->created = created;
    }
    if (lock != NULL)
        unlock_dataset(m, &r, lock);
done:
    for (size_t i = 0; st != NULL && i < n; i++)
        mdm_csv_stream_close(st[i]);
    free(st);
    free(existed);
    route_reset(&r);
    return rc;
}

mdm_status mdm_dsm_register(mdm_dsm *m, const char *name, const char *csv_path,
                            const mdm_register_opts *o, mdm_dsm_result *res, mdm_error *err)
{
    mdm_register_input in = {o != NULL && o->table != NULL ? o->table : MDM_DEFAULT_TABLE,
                             csv_path, 0, 0};
    return mdm_dsm_register_many(m, name, &in, 1, o, res, err);
}

mdm_status mdm_dsm_remove(mdm_dsm *m, const char *name, mdm_dsm_result *res, mdm_error *err)
{
    route r;
    mdm_store_lock *lock = NULL;
    mdm_status rc = route_for(m, MDM_FLAG_OP_WRITE, name, &r, res, err);
    if (rc == MDM_OK)
        rc = lock_dataset(m, &r, &lock, err);
    if (rc == MDM_OK)
        rc = require_db(m, &r, err);
    if (rc == MDM_OK)
        rc = drop_db(m, r.serve, mdm_buf_str(&r.db), err);
    if (lock != NULL)
        unlock_dataset(m, &r, lock);
    route_reset(&r);
    return rc;
}

/* ---- List ------------------------------------------------------------------------------------------- */

static mdm_status list_columns(mdm_table *t, mdm_error *err)
{
    mdm_status rc = mdm_table_add_column(t, "name", MDM_TEXT, err);
    if (rc == MDM_OK)
        rc = mdm_table_add_column(t, "backend", MDM_TEXT, err);
    if (rc == MDM_OK)
        rc = mdm_table_add_column(t, "location", MDM_TEXT, err);
    return rc;
}

/* The dataset name inside `entry` for a template split into lead (after
 * the last '/') and suffix, or NULL. */
static bool entry_name(const char *entry, const char *lead, const char *suffix, char *out)
{
    size_t el = strlen(entry), ll = strlen(lead), sl = strlen(suffix);
    bool dir = strchr(suffix, '/') != NULL;
    if (entry[0] == '.' || strncmp(entry, lead, ll) != 0)
        return false;
    size_t n = el - ll - (dir ? 0 : sl);
    if (el < ll + (dir ? 0 : sl) || n == 0 || n > MDM_DATASET_NAME_MAX ||
        (!dir && strcmp(entry + el - sl, suffix) != 0))
        return false;
    char want[MDM_DATASET_NAME_MAX + 1];
    memcpy(out, entry + ll, n);
    out[n] = '\0';
    return mdm_dataset_normalize_name(out, want, NULL) == MDM_OK && strcmp(want, out) == 0;
}

/* SQLite: datasets are the files the template names that exist. */
static mdm_status list_sqlite(mdm_dsm *m, mdm_strlist *names, mdm_error *err)
{
    mdm_buf tmpl, loc;
    const char *suffix = "";
    mdm_buf_init(&tmpl);
    mdm_buf_init(&loc);
    mdm_status rc = template_parts(m, &tmpl, &suffix);
    char *slash = rc == MDM_OK ? strrchr(tmpl.data, '/') : NULL;
    const char *lead = slash != NULL ? slash + 1 : tmpl.data;
    if (slash != NULL)
        *slash = '\0';
    DIR *d = rc == MDM_OK ? opendir(slash != NULL ? (tmpl.data[0] ? tmpl.data : "/") : ".") : NULL;
    for (struct dirent *e; rc == MDM_OK && d != NULL && (e = readdir(d)) != NULL;) {
        char name[MDM_DATASET_NAME_MAX + 1];
        struct stat st;
        if (!entry_name(e->d_name, lead, suffix, name))
            continue;
        mdm_buf_clear(&loc);
        rc = location_of(m, name, &loc, err);
        if (rc == MDM_OK && stat(loc.data, &st) == 0 && S_ISREG(st.st_mode))
            rc = mdm_strlist_push(names, name, err);
    }
    if (d != NULL)
        closedir(d);
    mdm_buf_reset(&tmpl);
    mdm_buf_reset(&loc);
    return rc;
}

/* PostgreSQL: the databases on the server whose names the template makes. */
static mdm_status list_pg(mdm_dsm *m, mdm_strlist *names, mdm_error *err)
{
    mdm_strlist dbs;
    mdm_buf tmpl;
    const char *suffix = "";
    mdm_strlist_init(&dbs);
    mdm_buf_init(&tmpl);
    mdm_status rc = template_parts(m, &tmpl, &suffix);
    if (rc == MDM_OK)
        rc = mdm_router_list_databases(m->router, &dbs, err);
    for (size_t i = 0; rc == MDM_OK && i < dbs.count; i++) {
        char name[MDM_DATASET_NAME_MAX + 1];
        if (entry_name(dbs.items[i], tmpl.data, suffix, name))
            rc = mdm_strlist_push(names, name, err);
    }
    mdm_strlist_reset(&dbs);
    mdm_buf_reset(&tmpl);
    return rc;
}

/* Keeps the names whose database holds a table: one without (a register
 * killed before its first commit) is no dataset. Each is asked on the store
 * that would serve a read of it; the stores are closed after each, so a
 * long list holds no connection per dataset. */
static mdm_status keep_filled(mdm_dsm *m, mdm_strlist *names, mdm_error *err)
{
    size_t kept = 0;
    mdm_status rc = MDM_OK;
    for (size_t i = 0; rc == MDM_OK && i < names->count; i++) {
        route r;
        bool filled = false;
        rc = route_for(m, MDM_FLAG_OP_READ, names->items[i], &r, NULL, err);
        /* one that cannot be asked (damaged, unreadable) is listed: info
         * says what is wrong with it */
        if (rc == MDM_OK && has_tables(r.serve, mdm_buf_str(&r.db), &filled, NULL) != MDM_OK)
            filled = true;
        route_reset(&r);
        mdm_router_close_stores(m->router);
        if (rc == MDM_OK && filled) {
            char *keep = names->items[kept];
            names->items[kept++] = names->items[i];
            names->items[i] = keep;
        }
    }
    for (size_t i = kept; rc == MDM_OK && i < names->count; i++)
        free(names->items[i]);
    if (rc == MDM_OK)
        names->count = kept;
    return rc;
}

static mdm_status list_row(mdm_dsm *m, mdm_table *t, const char *name, mdm_error *err)
{
    mdm_buf loc;
    const char *backend = mdm_dsm_backend(m);
    mdm_buf_init(&loc);
    mdm_status rc = location_of(m, name, &loc, err);
    if (rc == MDM_OK)
        rc = mdm_table_push_text(t, 0, name, strlen(name), err);
    if (rc == MDM_OK)
        rc = mdm_table_push_text(t, 1, backend, strlen(backend), err);
    if (rc == MDM_OK)
        rc = mdm_table_push_text(t, 2, mdm_buf_str(&loc), loc.len, err);
    if (rc == MDM_OK)
        rc = mdm_table_end_row(t, err);
    mdm_buf_reset(&loc);
    return rc;
}

mdm_status mdm_dsm_list(mdm_dsm *m, mdm_table *out, mdm_error *err)
{
    mdm_strlist names;
    mdm_table t;
    mdm_strlist_init(&names);
    mdm_table_init(&t);
    mdm_status rc = list_columns(&t, err);
    if (rc == MDM_OK)
        rc = m->pg ? list_pg(m, &names, err) : list_sqlite(m, &names, err);
    if (rc == MDM_OK)
        rc = keep_filled(m, &names, err);
    if (rc == MDM_OK)
        mdm_strlist_sort(&names);
    for (size_t i = 0; rc == MDM_OK && i < names.count; i++)
        rc = list_row(m, &t, names.items[i], err);
    if (rc == MDM_OK)
        mdm_table_move(out, &t);
    mdm_table_reset(&t);
    mdm_strlist_reset(&names);
    return rc;
}
