/* SPDX-License-Identifier: MIT */
/*
 * mdm_router.c - stores made from settings, the flag's decision per
 * operation, and shadow runs of reads (mdm_router.h).
 */
#include "mdm_router.h"
#include "mdm_dsn.h"
#include "mdm_sqlitefile.h"
#include "mdm_store_impl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct mdm_router {
    mdm_store_settings set;    /* strings below are the router's copies */
    char *strs[12];            /* 10 settings, the evidence file, the expected list */
    size_t nstrs;
    mdm_flag_settings flags;
    FILE *warn;
    bool pg;
    char *server_dsn;          /* PostgreSQL: the server every dataset lives on */
    mdm_conf *legacy_conf;     /* the old mapping, for legacy's backend */
    mdm_store *modern, *legacy;
    mdm_shadow shadow;
    bool shadow_ready;
    char shadow_log[1024];
    const char *evidence, *expected;  /* copies (in strs) of the options' paths; NULL: none */
    mdm_expect_list expect;
};

/* ---- Settings ----------------------------------------------------------------------------- */

/* Keeps a copy of *s in the router and points *s at it (NULL stays). */
static mdm_status keep(mdm_router *r, const char **s)
{
    if (*s == NULL)
        return MDM_OK;
    char *copy = strdup(*s);
    if (copy == NULL)
        return MDM_ERR_NOMEM;
    r->strs[r->nstrs++] = copy;
    *s = copy;
    return MDM_OK;
}

static mdm_status copy_settings(mdm_router *r, const mdm_store_settings *in)
{
    mdm_store_settings *s = &r->set;
    const char **fields[] = {&s->backend, &s->journal_mode, &s->synchronous, &s->temp_store,
                             &s->pg_dsn, &s->pg_host, &s->pg_port, &s->pg_user,
                             &s->pg_password, &s->pg_sslmode};
    mdm_status rc = MDM_OK;
    *s = *in;
    for (size_t i = 0; rc == MDM_OK && i < sizeof fields / sizeof fields[0]; i++)
        rc = keep(r, fields[i]);
    return rc;
}

/* The server DSN: the configured one (checked: it must parse, and a URL's
 * user and password must be percent-encoded, or libpq would read part of
 * the password as the host and print it), or one made of host, port, ... */
static mdm_status server_dsn(mdm_router *r, mdm_error *err)
{
    const mdm_store_settings *c = &r->set;
    const char *keys[] = {"host", "port", "user", "password", "sslmode"};
    const char *vals[] = {c->pg_host, c->pg_port, c->pg_user, c->pg_password, c->pg_sslmode};
    mdm_buf b;
    mdm_status rc = MDM_OK;
    if (c->pg_dsn != NULL && (rc = mdm_dsn_check(c->pg_dsn, err)) != MDM_OK)
        return rc;
    mdm_buf_init(&b);
    if (c->pg_dsn != NULL)
        rc = mdm_buf_puts(&b, c->pg_dsn);
    for (size_t i = 0; c->pg_dsn == NULL && rc == MDM_OK && i < 5; i++)
        if (vals[i] != NULL)
            rc = mdm_dsn_append(&b, keys[i], vals[i]);
    if (rc == MDM_OK && c->pg_dsn == NULL && b.len > 0)
        rc = mdm_dsn_append(&b, "dbname", "postgres");
    if (rc == MDM_OK && (r->server_dsn = strdup(mdm_buf_str(&b))) == NULL)
        rc = MDM_ERR_NOMEM;
    mdm_buf_reset(&b);
    return rc == MDM_OK ? MDM_OK : mdm_error_set(err, rc, "out of memory");
}

#if MDM_WITH_LEGACY

/* One "key: value" under parent, when value is set. */
static mdm_status conf_put(mdm_conf_node *parent, const char *key, const char *value,
                           mdm_error *err)
{
    mdm_conf_node *n = NULL;
    if (value == NULL)
        return MDM_OK;
    mdm_status rc = mdm_conf_add(parent, key, MDM_CONF_SCALAR, value, &n, err);
    if (rc == MDM_OK)
        n->quoted = true;
    return rc;
}

/* legacy's `sqlite` section: the PRAGMAs it applied. */
static mdm_status legacy_sqlite(const mdm_store_settings *c, mdm_conf_node *sec, mdm_error *err)
{
    char cache[32], mmap[32];
    snprintf(cache, sizeof cache, "%lld", (long long)c->cache_size);
    snprintf(mmap, sizeof mmap, "%lld", (long long)c->mmap_size);
    mdm_status rc = conf_put(sec, "journal_mode", c->journal_mode ? c->journal_mode : "WAL", err);
    if (rc == MDM_OK)
        rc = conf_put(sec, "synchronous", c->synchronous ? c->synchronous : "NORMAL", err);
    if (rc == MDM_OK)
        rc = conf_put(sec, "cache_size", cache, err);
    if (rc == MDM_OK)
        rc = conf_put(sec, "mmap_size", mmap, err);
    if (rc == MDM_OK)
        rc = conf_put(sec, "temp_store", c->temp_store ? c->temp_store : "MEMORY", err);
    return rc;
}

/* One value of legacy's `postgresql` section. Legacy pastes the user and
 * password into a URL unescaped (LEGACY.md 2), so they are handed to it
 * percent-encoded: libpq decodes them, and a '@', ':' or '/' in a password
 * no longer ends it (the rest used to become the host, shown in errors). */
static mdm_status legacy_pg_value(mdm_conf_node *sec, const char *key, const char *v,
                                  mdm_error *err)
{
    mdm_buf enc;
    mdm_status rc = MDM_OK;
    if (v == NULL || (strcmp(key, "user") != 0 && strcmp(key, "password") != 0))
        return conf_put(sec, key, v, err);
    mdm_buf_init(&enc);
    if ((rc = mdm_dsn_url_escape(&enc, v)) != MDM_OK)
        rc = mdm_error_set(err, rc, "out of memory");
    else
        rc = conf_put(sec, key, mdm_buf_str(&enc), err);
    mdm_buf_reset(&enc);
    return rc;
}

/* legacy's `postgresql` section: the server's settings, from the options
 * or out of the DSN (legacy pasted them into a URL of its own). */
static mdm_status legacy_pg(const mdm_router *r, mdm_conf_node *sec, mdm_error *err)
{
    const mdm_store_settings *c = &r->set;
    const char *keys[] = {"host", "port", "user", "password", "sslmode"};
    const char *set[] = {c->pg_host, c->pg_port, c->pg_user, c->pg_password, c->pg_sslmode};
    char part[256];
    mdm_status rc = MDM_OK;
    for (size_t i = 0; rc == MDM_OK && i < 5; i++) {
        const char *v = set[i] != NULL ? set[i]
                                       : mdm_dsn_get(r->server_dsn, keys[i], part, sizeof part);
        rc = legacy_pg_value(sec, keys[i], v, err);
    }
    return rc;
}

/* The mapping legacy's backend constructor took, made from the settings. */
static mdm_status legacy_mapping(mdm_router *r, mdm_error *err)
{
    mdm_conf_node *sec = NULL;
    mdm_status rc = mdm_conf_new("<legacy>", &r->legacy_conf, err);
    if (rc == MDM_OK)
        rc = mdm_conf_add(&r->legacy_conf->root, r->pg ? "postgresql" : "sqlite", MDM_CONF_MAP,
                          NULL, &sec, err);
    if (rc == MDM_OK)
        rc = r->pg ? legacy_pg(r, sec, err) : legacy_sqlite(&r->set, sec, err);
    return rc;
}

#else

static mdm_status legacy_mapping(mdm_router *r, mdm_error *err)
{
    (void)r;
    (void)err;
    return MDM_OK;   /* no legacy path to configure */
}

#endif

/* What both stores are made from. */
static void store_cfg(const mdm_router *r, mdm_store_cfg *sc)
{
    const mdm_store_settings *c = &r->set;
    mdm_conn_config conn = MDM_CONN_CONFIG_INIT;
    conn.backend = mdm_router_backend(r);
    if (c->journal_mode) conn.sqlite.journal_mode = c->journal_mode;
    if (c->synchronous) conn.sqlite.synchronous = c->synchronous;
    /* Unset, temp_store is SQLite's own default on modern, not legacy's
     * MEMORY: with MEMORY, SQLite's sorter (GROUP BY, ORDER BY, DISTINCT)
     * keeps every row in its own allocation with no limit and never spills.
     * A GROUP BY over 10M rows took 15 s and 850 MB; spilling to temporary
     * files, 7.4 s and 400 MB, and 4.3 s with the readers' smaller runs
     * (reader_cache, mdm_store_modern.c; app/README.md, Configuration). */
    conn.sqlite.temp_store = c->temp_store;
    conn.sqlite.cache_size = c->cache_size;
    conn.sqlite.mmap_size = c->mmap_size;
    conn.sqlite.busy_timeout_ms = c->busy_timeout_ms;
    conn.dsn = r->server_dsn;
    conn.connect_timeout_s = c->pg_connect_timeout;
    /* No named prepared statements on PostgreSQL: behind a pooler in
     * transaction mode (pgbouncer) a statement prepared by one transaction
     * may be missing in the next, or be another client's of the same name
     * ("mdm_s1" already exists). Unnamed ones (PQexecParams) carry their
     * text each time, in the same one round trip; a command of the program
     * runs few statements twice, so the cache saved little there. */
    if (r->pg)
        conn.stmt_cache_size = 0;
    sc->backend = conn.backend;
    sc->conn = conn;
    sc->pool = c->pool;
    sc->legacy_config = r->legacy_conf != NULL ? &r->legacy_conf->root : NULL;
    sc->warn = r->warn;
    sc->faults = c->faults;
}

/* ---- Making the router ---------------------------------------------------------------------- */

mdm_status mdm_router_new(mdm_router **out, const mdm_router_opts *opts, mdm_error *err)
{
    if (out == NULL || opts == NULL || opts->store == NULL || opts->store->backend == NULL ||
        opts->flags == NULL)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "mdm_router_new: missing options");
    if (strcmp(opts->store->backend, "sqlite") != 0 &&
        strcmp(opts->store->backend, "postgresql") != 0)
        return mdm_error_set(err, MDM_ERR_CONFIG, "unknown backend '%s' (sqlite, postgresql)",
                             opts->store->backend);
    if (opts->shadow_log != NULL && strlen(opts->shadow_log) >= sizeof((mdm_router *)0)->shadow_log)
        return mdm_error_set(err, MDM_ERR_CONFIG, "shadow log path too long");
    mdm_router *r = calloc(1, sizeof *r);
    if (r == NULL)
        return mdm_error_set(err, MDM_ERR_NOMEM, "out of memory");
    r->flags = *opts->flags;
    r->warn = opts->warn != NULL ? opts->warn : stderr;
    r->pg = strcmp(opts->store->backend, "postgresql") == 0;
    snprintf(r->shadow_log, sizeof r->shadow_log, "%s", opts->shadow_log ? opts->shadow_log : "");
    mdm_expect_list_init(&r->expect);
    r->evidence = opts->evidence;
    r->expected = opts->expected;
    mdm_status rc = copy_settings(r, opts->store);
    if (rc == MDM_OK)
        rc = keep(r, &r->evidence);
    if (rc == MDM_OK)
        rc = keep(r, &r->expected);
    if (rc != MDM_OK)
        rc = mdm_error_set(err, rc, "out of memory");
    if (rc == MDM_OK && r->pg)
        rc = server_dsn(r, err);
    if (rc == MDM_OK)
        rc = legacy_mapping(r, err);
    if (rc != MDM_OK) {
        mdm_router_scrub(r, err);
        mdm_router_free(r);
        return rc;
    }
    *out = r;
    return MDM_OK;
}

void mdm_router_close_stores(mdm_router *r)
{
    if (r->modern != NULL)
        r->modern->ops->free(r->modern);
    if (r->legacy != NULL)
        r->legacy->ops->free(r->legacy);
    r->modern = r->legacy = NULL;
}

void mdm_router_free(mdm_router *r)
{
    if (r == NULL)
        return;
    mdm_router_close_stores(r);
    mdm_conf_free(r->legacy_conf);
    free(r->server_dsn);
    mdm_expect_list_reset(&r->expect);
    for (size_t i = 0; i < r->nstrs; i++)
        free(r->strs[i]);
    free(r);
}

const char *mdm_router_backend(const mdm_router *r)
{
    return r->pg ? "postgresql" : "sqlite";
}

void mdm_router_scrub(const mdm_router *r, mdm_error *err)
{
    mdm_dsn_scrub(err, r->set.pg_password, r->server_dsn != NULL ? r->server_dsn : r->set.pg_dsn);
}

/* rc, with err's message scrubbed when it failed. */
static mdm_status scrubbed(const mdm_router *r, mdm_status rc, mdm_error *err)
{
    if (rc != MDM_OK)
        mdm_router_scrub(r, err);
    return rc;
}

void mdm_router_shadow_stats(const mdm_router *r, mdm_shadow_stats *out)
{
    memset(out, 0, sizeof *out);
    if (r->shadow_ready)
        *out = r->shadow.stats;
}

/* ---- Stores and routes ------------------------------------------------------------------------ */

mdm_status mdm_router_store(mdm_router *r, mdm_impl impl, mdm_store **out, mdm_error *err)
{
    if (impl != MDM_IMPL_MODERN && impl != MDM_IMPL_LEGACY)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "shadow is not a store");
    mdm_store **slot = impl == MDM_IMPL_MODERN ? &r->modern : &r->legacy;
    mdm_store_cfg sc;
    mdm_status rc = MDM_OK;
    if (*slot == NULL) {
        store_cfg(r, &sc);
        rc = impl == MDM_IMPL_MODERN ? mdm_store_modern_new(&sc, slot, err)
                                     : mdm_store_legacy_new(&sc, slot, err);
    }
    *out = *slot;
    return scrubbed(r, rc, err);
}

mdm_status mdm_router_route(mdm_router *r, mdm_flag_op op, const char *dataset, mdm_route *out,
                            mdm_error *err)
{
    memset(out, 0, sizeof *out);
    out->op = op;
    mdm_flag_decide(&r->flags, op, dataset, &out->d);
    mdm_status rc = mdm_router_store(r, out->d.impl == MDM_IMPL_MODERN ? MDM_IMPL_MODERN
                                                                       : MDM_IMPL_LEGACY,
                                     &out->serve, err);
    if (rc == MDM_OK && out->d.impl == MDM_IMPL_SHADOW &&
        mdm_router_store(r, MDM_IMPL_MODERN, &out->cand, &out->cand_err) != MDM_OK)
        out->cand = NULL;   /* the shadow run logs it as a candidate error */
    return rc;
}

mdm_status mdm_router_list_databases(mdm_router *r, mdm_strlist *out, mdm_error *err)
{
    mdm_store *s = NULL;
    mdm_status rc = mdm_router_store(r, MDM_IMPL_MODERN, &s, err);
    return rc == MDM_OK ? scrubbed(r, s->ops->db_list(s, out, err), err) : rc;
}

mdm_status mdm_router_lock(mdm_router *r, const char *db, mdm_store_lock **out, mdm_error *err)
{
    mdm_store *s = NULL;
    mdm_status rc = mdm_router_store(r, MDM_IMPL_MODERN, &s, err);
    return rc == MDM_OK ? s->ops->db_lock(s, db, out, err) : rc;
}

/* ---- Reads, with shadow runs ------------------------------------------------------------------- */

typedef struct side {
    const mdm_router *r;
    const mdm_route *route;
    const mdm_router_read *rd;
} side;

/* Both sides' errors are scrubbed before the shadow log records them. */
static mdm_status control_side(void *arg, mdm_table *out, mdm_error *err)
{
    side *s = arg;
    return scrubbed(s->r, s->rd->fn(s->rd->ctx, s->route->serve, false, out, err), err);
}

static mdm_status candidate_side(void *arg, mdm_table *out, mdm_error *err)
{
    side *s = arg;
    if (s->route->cand == NULL) {
        *err = s->route->cand_err;
        return err->code != MDM_OK ? err->code : MDM_ERR_INTERNAL;
    }
    return scrubbed(s->r, s->rd->fn(s->rd->ctx, s->route->cand, true, out, err), err);
}

/* The expected-differences list: none when not configured; a missing file
 * is a warning (every difference then counts as unexpected). */
static mdm_status load_expected(mdm_router *r, mdm_error *err)
{
    if (r->expected == NULL)
        return MDM_OK;
    if (access(r->expected, F_OK) != 0 && errno == ENOENT) {
        fprintf(r->warn, "mdm: warning: no expected-differences list at '%s': every shadow "
                         "difference counts as unexpected\n", r->expected);
        return MDM_OK;
    }
    mdm_error e;
    if (mdm_expect_load(r->expected, &r->expect, &e) != MDM_OK)
        return mdm_error_set(err, MDM_ERR_CONFIG, "expected-differences list: %s", e.message);
    return MDM_OK;
}

static mdm_status shadow_ready(mdm_router *r, mdm_error *err)
{
    if (r->shadow_ready)
        return MDM_OK;
    mdm_status rc = mdm_shadow_init(&r->shadow, r->shadow_log, r->warn, err);
    if (rc == MDM_OK)
        rc = load_expected(r, err);
    if (rc == MDM_OK)
        rc = mdm_shadow_set_evidence(&r->shadow, r->evidence, r->flags.generation,
                                     r->expected != NULL ? &r->expect : NULL,
                                     mdm_router_backend(r), err);
    r->shadow_ready = rc == MDM_OK;
    return rc;
}

/* The matcher's cell: who wrote what both sides read. */
static const char *shadow_cell(const mdm_router *r, const char *dataset)
{
    mdm_flag_decision w;
    mdm_flag_decide(&r->flags, MDM_FLAG_OP_WRITE, dataset, &w);
    return w.impl == MDM_IMPL_MODERN ? "modern" : "legacy>modern";
}

mdm_status mdm_router_run_read(mdm_router *r, const mdm_route *route, const mdm_router_read *rd,
                               mdm_table *out, mdm_error *err)
{
    if (route->d.impl != MDM_IMPL_SHADOW)
        return scrubbed(r, rd->fn(rd->ctx, route->serve, false, out, err), err);
    mdm_status rc = shadow_ready(r, err);
    if (rc != MDM_OK)
        return rc;
    side s = {r, route, rd};
    mdm_shadow_call call = {rd->operation, rd->dataset, rd->detail, rd->ordered,
                            control_side, &s, candidate_side, &s,
                            route->op == MDM_FLAG_OP_WRITE ? "writes" : "reads",
                            shadow_cell(r, rd->dataset), NULL, NULL};
    return mdm_shadow_run(&r->shadow, &call, out, err);
}

/* ---- Writes, with shadow writes ----------------------------------------------------------------- */

/* One shadow write: where the candidate writes, and how its start went. */
typedef struct wside {
    const mdm_router *r;
    const mdm_route *route;
    const mdm_router_write *w;
    mdm_store *reader;        /* reads both tables back: modern (legacy if it is missing) */
    char db[4200];            /* the scratch database */
    const char *table;        /* the scratch table */
    mdm_status seed_rc;       /* making the scratch; not OK: the candidate's error */
    mdm_error seed_err;
} wside;

/* Removes the scratch (and a dead writer's): file and leftovers, or table. */
/* A SQLite shadow write's scratch database: the dataset's file + this. */
#define SCRATCH_SUFFIX ".shadow"

static void scratch_clear(const wside *ws)
{
    mdm_store *c = ws->route->cand;
    if (ws->r->pg) {
        bool there = false;
        if (c->ops->table_exists(c, ws->db, ws->table, &there, NULL) == MDM_OK && there)
            (void)c->ops->table_drop(c, ws->db, ws->table, NULL);
        return;
    }
    (void)c->ops->db_drop(c, ws->db, NULL);
    mdm_sqlite_remove_leftovers(ws->db);
}

/* The existing table as the candidate should meet it: its rows for an
 * append, its columns for fail (which then fails the same way); replace
 * needs nothing. Written through the modern store, as it reads it. */
static mdm_status scratch_seed(wside *ws, mdm_error *err)
{
    mdm_store *c = ws->route->cand;
    mdm_read_opts o = MDM_READ_OPTS_INIT;
    mdm_table t;
    bool there = false;
    mdm_status rc = c->ops->table_exists(c, ws->w->db, ws->w->table, &there, err);
    if (rc != MDM_OK || !there || ws->w->mode == MDM_IF_EXISTS_REPLACE)
        return rc;
    o.has_limit = ws->w->mode == MDM_IF_EXISTS_FAIL;
    mdm_table_init(&t);
    rc = c->ops->read(c, ws->w->db, ws->w->table, &o, &t, err);
    if (rc == MDM_OK)
        rc = c->ops->write(c, ws->db, ws->table, &t, MDM_IF_EXISTS_FAIL, NULL, NULL, err);
    mdm_table_reset(&t);
    return rc;
}

/* Makes the scratch: gone first, then (SQLite) its file, then the seed. */
static void scratch_make(wside *ws)
{
    mdm_store *c = ws->route->cand;
    mdm_error_clear(&ws->seed_err);
    scratch_clear(ws);
    ws->seed_rc = ws->r->pg ? MDM_OK : c->ops->db_create(c, ws->db, &ws->seed_err);
    if (ws->seed_rc == MDM_OK)
        ws->seed_rc = scratch_seed(ws, &ws->seed_err);
}

static mdm_status write_control(void *arg, mdm_table *out, mdm_error *err)
{
    const wside *ws = arg;
    const mdm_router_write *w = ws->w;
    mdm_store *s = ws->route->serve;
    (void)out;
    return scrubbed(ws->r, s->ops->write(s, w->db, w->table, w->t, w->mode, w->fn, w->ctx, err),
                    err);
}

static mdm_status write_candidate(void *arg, mdm_table *out, mdm_error *err)
{
    wside *ws = arg;
    mdm_store *c = ws->route->cand;
    (void)out;
    if (c == NULL || ws->seed_rc != MDM_OK) {
        *err = c == NULL ? ws->route->cand_err : ws->seed_err;
        return err->code != MDM_OK ? err->code : MDM_ERR_INTERNAL;
    }
    return scrubbed(ws->r, c->ops->write(c, ws->db, ws->table, ws->w->t, ws->w->mode, NULL, NULL,
                                         err), err);
}

static mdm_status read_back(const wside *ws, const char *db, const char *table, mdm_table *out,
                            mdm_error *err)
{
    mdm_read_opts o = MDM_READ_OPTS_INIT;
    return scrubbed(ws->r, ws->reader->ops->read(ws->reader, db, table, &o, out, err), err);
}

static mdm_status check_control(void *arg, mdm_table *out, mdm_error *err)
{
    const wside *ws = arg;
    return read_back(ws, ws->w->db, ws->w->table, out, err);
}

static mdm_status check_candidate(void *arg, mdm_table *out, mdm_error *err)
{
    const wside *ws = arg;
    return read_back(ws, ws->db, ws->table, out, err);
}

/* A shadow write's operation: the harness's verb for it, so that the
 * expected list's entries match as they do in mdm-compare. */
static const char *write_operation(mdm_if_exists mode)
{
    return mode == MDM_IF_EXISTS_APPEND ? "append"
           : mode == MDM_IF_EXISTS_REPLACE ? "replace" : "create";
}

static mdm_status shadow_write(mdm_router *r, const mdm_route *route, const mdm_router_write *w,
                               mdm_error *err)
{
    wside ws = {r, route, w, route->cand != NULL ? route->cand : route->serve, "",
                r->pg ? MDM_STORE_SCRATCH_TABLE : w->table, MDM_OK, {0}};
    mdm_table back;
    mdm_status rc = shadow_ready(r, err);
    if (rc != MDM_OK)
        return rc;
    if ((size_t)snprintf(ws.db, sizeof ws.db, "%s%s", w->db, r->pg ? "" : SCRATCH_SUFFIX) >=
        sizeof ws.db)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "database path too long for a shadow write");
    if (route->cand != NULL)
        scratch_make(&ws);
    mdm_shadow_call call = {write_operation(w->mode), w->dataset, w->table, false,
                            write_control, &ws, write_candidate, &ws, "writes", "modern",
                            check_control, check_candidate};
    mdm_table_init(&back);
    rc = mdm_shadow_run(&r->shadow, &call, &back, err);
    mdm_table_reset(&back);
    if (route->cand != NULL)
        scratch_clear(&ws);
    return rc;
}

static mdm_status run_write(mdm_router *r, const mdm_route *route, const mdm_router_write *w,
                            mdm_error *err)
{
    mdm_store *s = route->serve;
    if (route->d.impl == MDM_IMPL_SHADOW)
        return shadow_write(r, route, w, err);
    return scrubbed(r, s->ops->write(s, w->db, w->table, w->t, w->mode, w->fn, w->ctx, err), err);
}

void mdm_router_remove_scratch(const mdm_router *r, const char *db)
{
    char p[4200];
    if (!r->pg && (size_t)snprintf(p, sizeof p, "%s" SCRATCH_SUFFIX, db) < sizeof p) {
        (void)unlink(p);
        mdm_sqlite_remove_leftovers(p);
    }
}

bool mdm_router_writes_at_once(const mdm_route *route)
{
    return route->d.impl != MDM_IMPL_SHADOW && route->serve->ops->write_rows != NULL;
}

mdm_status mdm_router_run_write(mdm_router *r, const mdm_route *route, const mdm_router_write *w,
                                mdm_error *err)
{
    mdm_store *s = route->serve;
    if (w->t != NULL || w->tables == NULL)
        return run_write(r, route, w, err);
    if (mdm_router_writes_at_once(route)) {
        mdm_status rc = w->fresh && !r->pg && s->ops->build_rows != NULL
                            ? s->ops->build_rows(s, w->db, w->tables, w->ntables, w->fn, w->ctx,
                                                 err)
                            : s->ops->write_rows(s, w->db, w->tables, w->ntables, w->mode, w->fn,
                                                 w->ctx, err);
        return scrubbed(r, rc, err);
    }
    if (w->ntables != 1)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG,
                             "this route writes one table at a time, not %zu", w->ntables);
    mdm_router_write whole = *w;
    mdm_table t;
    mdm_table_init(&t);
    mdm_status rc = mdm_row_source_gather(w->tables[0].src, &t, err);
    whole.table = w->tables[0].table;
    whole.t = &t;
    if (rc == MDM_OK)
        rc = run_write(r, route, &whole, err);
    mdm_table_reset(&t);
    return rc;
}
