/* SPDX-License-Identifier: MIT */
/*
 * legacy_backend.c - the old interface itself (LEGACY.md §10): the factory
 * over the per-type singletons, the cached engine, to_sql and
 * read_sql_query with the read cache, and the wrapping of errors into the
 * original's messages. What differs between SQLite and PostgreSQL is behind
 * legacy_ops (legacy_sqlite.c, legacy_pg.c).
 */
#include "legacy_internal.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static const char *const kind_names[LEGACY_KIND_COUNT] = {"sqlite", "postgresql"};

/* ---- The factory ---- */

static legacy_backend *backend_new(legacy_kind kind)
{
    legacy_backend *b = calloc(1, sizeof *b);
    if (b == NULL)
        return NULL;
    b->kind = kind;
    b->ops = kind == LEGACY_SQLITE ? legacy__sqlite_ops() : legacy__pg_ops();
    legacy__config_defaults(kind, &b->cfg);
    legacy__cache_init(&b->cache, LEGACY_CACHE_MAX_BYTES);
    return b;
}

legacy_backend *legacy_backend_get(const char *type, mdm_error *err)
{
    for (int k = 0; k < LEGACY_KIND_COUNT; k++) {
        if (type == NULL || strcmp(type, kind_names[k]) != 0)
            continue;
        legacy_backend **slot = legacy__slot((legacy_kind)k);
        if (*slot == NULL && (*slot = backend_new((legacy_kind)k)) == NULL)
            mdm_error_set(err, MDM_ERR_NOMEM, "out of memory creating the %s backend", type);
        return *slot;
    }
    mdm_error_set(err, MDM_ERR_UNSUPPORTED,
                  "Unsupported backend type: %s. Supported backends: ['sqlite', 'postgresql']",
                  type != NULL ? type : "None");
    return NULL;
}

const char *legacy_backend_type(const legacy_backend *b)
{
    return kind_names[b->kind];
}

static void engine_free(legacy_engine *e)
{
    e->backend->ops->disconnect(e);
    free(e->url);
    free(e->target);
    free(e);
}

void legacy__backend_free(legacy_backend *b)
{
    if (b == NULL)
        return;
    while (b->engines != NULL) {
        legacy_engine *next = b->engines->next;
        engine_free(b->engines);
        b->engines = next;
    }
    legacy__config_free(&b->cfg);
    legacy__cache_free(&b->cache);
    free(b);
}

mdm_status legacy_backend_configure(legacy_backend *b, const mdm_conf_node *config,
                                    mdm_error *err)
{
    return legacy__config_load(b->kind, config, &b->cfg, err);
}

void legacy_backend_settings(const legacy_backend *b, legacy_settings *out)
{
    const legacy_config *c = &b->cfg;
    out->sqlite_path = c->sqlite_path;
    out->journal_mode = c->journal_mode;
    out->synchronous = c->synchronous;
    out->cache_size = c->cache_size;
    out->mmap_size = c->mmap_size;
    out->temp_store = c->temp_store;
    out->temp_store_value = legacy__temp_store_value(c->temp_store);
    out->host = c->host;
    out->port = c->port;
    out->user = c->user;
    out->password = c->password;
    out->sslmode = c->sslmode;
    out->database_prefix = c->database_prefix;
    out->pool_size = c->pool_size;
    out->max_overflow = c->max_overflow;
    out->pool_timeout = c->pool_timeout;
    out->pool_recycle = c->pool_recycle;
}

/* ---- The cached engine (LEGACY.md §1) ---- */

mdm_status legacy_get_engine(legacy_backend *b, const char *path,
                             legacy_engine **out, mdm_error *err)
{
    char *target = NULL;
    /* The quirk: a cached engine is returned whatever the path. */
    if (b->engine != NULL) {
        *out = b->engine;
        return MDM_OK;
    }
    mdm_status rc = b->ops->target(b, path, &target, err);
    if (rc != MDM_OK)
        return rc;
    legacy_engine *e = calloc(1, sizeof *e);
    if (e == NULL || (e->url = strdup(path != NULL ? path : target)) == NULL) {
        free(e);
        free(target);
        return mdm_error_set(err, MDM_ERR_NOMEM, "out of memory creating an engine");
    }
    /* Like create_engine(), nothing connects until the engine is used. */
    e->backend = b;
    e->target = target;
    e->next = b->engines;
    b->engines = e;
    b->engine = e;
    *out = e;
    return MDM_OK;
}

const char *legacy_engine_url(const legacy_engine *e)
{
    return e->url;
}

void legacy_close_connections(legacy_backend *b)
{
    if (b->engine == NULL)
        return;
    b->ops->disconnect(b->engine);  /* engine.dispose() */
    b->engine = NULL;
}

/* Opens the engine's handle if needed; the engine's own backend decides
 * how, as a SQLAlchemy engine carried its dialect. */
static mdm_status engine_connect(legacy_engine *e, mdm_error *err)
{
    return e->backend->ops->connect(e, err);
}

/* What pandas said when handed None instead of an engine. */
static mdm_status no_engine(mdm_error *err, const char *what)
{
    return mdm_error_set(err, MDM_ERR_INVALID_ARG, "%s", what);
}

/* ---- Writing (LEGACY.md §5) ---- */

static mdm_status parse_if_exists(const char *v, legacy_if_exists *out, mdm_error *err)
{
    if (v == NULL || strcmp(v, "fail") == 0)
        *out = LEGACY_IF_FAIL;
    else if (strcmp(v, "replace") == 0)
        *out = LEGACY_IF_REPLACE;
    else if (strcmp(v, "append") == 0)
        *out = LEGACY_IF_APPEND;
    else
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "'%s' is not valid for if_exists", v);
    return MDM_OK;
}

static mdm_status run_ddl(legacy_engine *e, mdm_status (*build)(mdm_buf *, mdm_sql_dialect,
                                                                const mdm_table *, const char *,
                                                                mdm_error *),
                          const mdm_table *df, const char *table, mdm_error *err)
{
    mdm_buf sql;
    mdm_buf_init(&sql);
    mdm_status rc = build(&sql, e->backend->ops->dialect, df, table, err);
    if (rc == MDM_OK)
        rc = e->backend->ops->exec_ddl(e, mdm_buf_str(&sql), err);
    mdm_buf_reset(&sql);
    return rc;
}

static mdm_status build_drop(mdm_buf *b, mdm_sql_dialect d, const mdm_table *df,
                             const char *table, mdm_error *err)
{
    (void)df;
    return legacy__drop_sql(b, d, table, err);
}

/* pandas SQLTable.create() then insert(): DROP and CREATE run on their
 * own, the rows in one transaction, so a failed insert after `replace`
 * leaves the new, empty table and the old rows are gone. */
static mdm_status to_sql(legacy_engine *e, const mdm_table *df, const char *table,
                         legacy_if_exists mode, mdm_error *err)
{
    bool exists = false;
    mdm_status rc = engine_connect(e, err);
    if (rc == MDM_OK)
        rc = e->backend->ops->has_table(e, table, &exists, err);
    if (rc != MDM_OK)
        return rc;
    if (exists && mode == LEGACY_IF_FAIL)
        return mdm_error_set(err, MDM_ERR_EXISTS, "Table '%s' already exists.", table);
    if (exists && mode == LEGACY_IF_REPLACE)
        rc = run_ddl(e, build_drop, df, table, err);
    if (rc == MDM_OK && (!exists || mode == LEGACY_IF_REPLACE))
        rc = run_ddl(e, legacy__create_sql, df, table, err);
    if (rc == MDM_OK && df->nrows > 0)
        rc = e->backend->ops->insert(e, df, table, err);
    return rc;
}

mdm_status legacy_create_table_from_dataframe(legacy_backend *b, const mdm_table *df,
                                              const char *table, legacy_engine *engine,
                                              const char *if_exists, mdm_error *err)
{
    legacy_if_exists mode = LEGACY_IF_FAIL;
    (void)b;  /* the engine decides where the rows go, as in the original */
    mdm_status rc = parse_if_exists(if_exists, &mode, err);
    if (rc == MDM_OK && engine == NULL)
        rc = no_engine(err, "'NoneType' object has no attribute 'cursor'");
    if (rc == MDM_OK)
        rc = to_sql(engine, df, table, mode, err);
    if (rc != MDM_OK)
        mdm_error_prefix(err, "Failed to create table %s", table);
    return rc;
}

/* ---- Reading (LEGACY.md §6) ---- */

static mdm_status read_sql(legacy_engine *e, const char *sql, mdm_table *out, mdm_error *err)
{
    mdm_status rc = engine_connect(e, err);
    return rc == MDM_OK ? e->backend->ops->read_sql(e, sql, out, err) : rc;
}

/* The names are pasted, not quoted, and `if limit:` is a truthiness test,
 * so 0 reads everything (the quirks of §4 and §6). */
static mdm_status read_statement(mdm_buf *sql, mdm_buf *key, const char *table,
                                 const int64_t *limit)
{
    mdm_status rc = mdm_buf_printf(sql, "SELECT * FROM %s", table);
    if (rc == MDM_OK && limit != NULL && *limit != 0)
        rc = mdm_buf_printf(sql, " LIMIT %" PRId64, *limit);
    if (rc == MDM_OK && limit != NULL)
        rc = mdm_buf_printf(key, "table:%s:%" PRId64, table, *limit);
    else if (rc == MDM_OK)
        rc = mdm_buf_printf(key, "table:%s:None", table);
    return rc;
}

static mdm_status read_table(legacy_backend *b, const char *table, legacy_engine *e,
                             const int64_t *limit, mdm_table *out, mdm_error *err)
{
    mdm_buf sql, key;
    mdm_buf_init(&sql);
    mdm_buf_init(&key);
    mdm_status rc = read_statement(&sql, &key, table, limit);
    if (rc != MDM_OK) {
        rc = mdm_error_set(err, rc, "out of memory");
        goto done;
    }
    /* The key has no database in it, and nothing ever invalidates it. */
    if (legacy__cache_get(&b->cache, mdm_buf_str(&key), out, err, &rc) || rc != MDM_OK)
        goto done;
    if (e == NULL) {
        rc = no_engine(err, "'NoneType' object has no attribute 'cursor'");
        goto done;
    }
    rc = read_sql(e, mdm_buf_str(&sql), out, err);
    if (rc == MDM_OK && out->nrows < LEGACY_CACHE_MAX_ROWS)
        rc = legacy__cache_set(&b->cache, mdm_buf_str(&key), out, LEGACY_CACHE_TTL, err);
done:
    mdm_buf_reset(&sql);
    mdm_buf_reset(&key);
    return rc;
}

mdm_status legacy_read_table_to_dataframe(legacy_backend *b, const char *table,
                                          legacy_engine *engine, const int64_t *limit,
                                          mdm_table *out, mdm_error *err)
{
    mdm_table_reset(out);
    mdm_status rc = read_table(b, table, engine, limit, out, err);
    if (rc != MDM_OK) {
        mdm_table_reset(out);
        mdm_error_prefix(err, "Failed to read table %s", table);
    }
    return rc;
}

mdm_status legacy_query(legacy_backend *b, const char *sql, mdm_table *out, mdm_error *err)
{
    mdm_table_reset(out);
    if (b->engine == NULL)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG,
                             "No engine available. Call get_engine() first.");
    mdm_status rc = read_sql(b->engine, sql, out, err);
    if (rc != MDM_OK)
        mdm_error_prefix(err, "Failed to execute query");
    return rc;
}

/* ---- Queries and inspection (LEGACY.md §7) ---- */

static const char no_inspection[] =
    "No inspection system is available for object of type <class 'NoneType'>";

/* SELECT COUNT(*) FROM <table>, the name pasted. */
static mdm_status count_rows(legacy_engine *e, const char *table, int64_t *out,
                             mdm_error *err)
{
    mdm_buf sql;
    mdm_table t;
    mdm_buf_init(&sql);
    mdm_table_init(&t);
    mdm_status rc = mdm_buf_printf(&sql, "SELECT COUNT(*) FROM %s", table);
    if (rc == MDM_OK)
        rc = read_sql(e, mdm_buf_str(&sql), &t, err);
    if (rc == MDM_OK && (t.ncols != 1 || t.nrows != 1 || t.cols[0].type != MDM_INT64))
        rc = mdm_error_set(err, MDM_ERR_INTERNAL, "COUNT(*) returned no number");
    if (rc == MDM_OK)
        *out = mdm_table_int64(&t, 0, 0);
    mdm_table_reset(&t);
    mdm_buf_reset(&sql);
    return rc;
}

mdm_status legacy_get_table_info(legacy_backend *b, const char *table, legacy_engine *engine,
                                 legacy_table_info *out, mdm_error *err)
{
    (void)b;
    legacy_table_info_reset(out);
    if (engine == NULL)
        return no_engine(err, no_inspection);
    mdm_status rc = engine_connect(engine, err);
    if (rc == MDM_OK)
        rc = engine->backend->ops->columns(engine, table, out, err);
    if (rc == MDM_OK)
        rc = count_rows(engine, table, &out->row_count, err);
    if (rc == MDM_OK && (out->name = strdup(table)) == NULL)
        rc = mdm_error_set(err, MDM_ERR_NOMEM, "out of memory");
    if (rc != MDM_OK)
        legacy_table_info_reset(out);
    return rc;
}

mdm_status legacy_execute_query(legacy_backend *b, const char *sql, legacy_engine *engine,
                                mdm_table *out, mdm_error *err)
{
    (void)b;
    mdm_table_reset(out);
    mdm_status rc = engine == NULL
                        ? no_engine(err, "'NoneType' object has no attribute 'connect'")
                        : engine_connect(engine, err);
    if (rc == MDM_OK)
        rc = engine->backend->ops->execute(engine, sql, out, err);
    if (rc != MDM_OK) {
        mdm_table_reset(out);
        mdm_error_prefix(err, "Failed to execute query");
    }
    return rc;
}

mdm_status legacy_get_table_names(legacy_backend *b, legacy_engine *engine,
                                  legacy_names *out, mdm_error *err)
{
    (void)b;
    legacy_names_reset(out);
    if (engine == NULL)
        return no_engine(err, no_inspection);
    mdm_status rc = engine_connect(engine, err);
    if (rc == MDM_OK)
        rc = engine->backend->ops->table_names(engine, out, err);
    if (rc != MDM_OK)
        legacy_names_reset(out);
    return rc;
}

mdm_status legacy_table_exists(legacy_backend *b, legacy_engine *engine, const char *table,
                               bool *out, mdm_error *err)
{
    legacy_names names;
    legacy_names_init(&names);
    *out = false;
    /* `table_name in inspector.get_table_names()`: an exact match. */
    mdm_status rc = legacy_get_table_names(b, engine, &names, err);
    for (size_t i = 0; rc == MDM_OK && i < names.count; i++)
        if (strcmp(names.items[i], table) == 0)
            *out = true;
    legacy_names_reset(&names);
    return rc;
}

/* ---- Databases ---- */

mdm_status legacy_database_exists(legacy_backend *b, const char *path, bool *out,
                                  mdm_error *err)
{
    *out = false;
    return b->ops->db_exists(b, path, out, err);
}

mdm_status legacy_create_database(legacy_backend *b, const char *path, mdm_error *err)
{
    return b->ops->db_create(b, path, err);
}

mdm_status legacy_drop_database(legacy_backend *b, const char *path, mdm_error *err)
{
    return b->ops->db_drop(b, path, err);
}
