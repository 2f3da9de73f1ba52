/* SPDX-License-Identifier: MIT */
/*
 * legacy_config.c - the old configuration handling (LEGACY.md §2), kept
 * inconsistent on purpose: SQLite takes a nested `sqlite` mapping or else
 * the whole mapping (with the `database: {path: ...}` special case), while
 * PostgreSQL reads only its nested `postgresql` mapping. Values stay text,
 * because the original pasted them into PRAGMAs and URLs unchecked.
 */
#include "legacy_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void set_str(char **dst, const char *value)
{
    free(*dst);
    *dst = value != NULL ? strdup(value) : NULL;
}

void legacy__config_free(legacy_config *c)
{
    char **strs[] = {&c->sqlite_path, &c->journal_mode, &c->synchronous,
                     &c->cache_size, &c->mmap_size, &c->temp_store, &c->host,
                     &c->port, &c->user, &c->password, &c->sslmode,
                     &c->database_prefix};
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++) {
        free(*strs[i]);
        *strs[i] = NULL;
    }
}

void legacy__config_defaults(legacy_kind kind, legacy_config *c)
{
    legacy__config_free(c);
    set_str(&c->journal_mode, "WAL");
    set_str(&c->synchronous, "NORMAL");
    set_str(&c->cache_size, "-64000");
    set_str(&c->mmap_size, "268435456");
    set_str(&c->temp_store, "MEMORY");
    set_str(&c->host, "localhost");
    set_str(&c->port, "5432");
    set_str(&c->sslmode, "prefer");
    set_str(&c->database_prefix, "mdm_");
    c->pool_timeout = 30.0;
    if (kind == LEGACY_SQLITE) {
        c->pool_size = 5;
        c->max_overflow = 10;
        c->pool_recycle = -1;
    } else {
        c->pool_size = 10;
        c->max_overflow = 20;
        c->pool_recycle = 3600;
    }
}

int legacy__temp_store_value(const char *name)
{
    /* The original looked the name up in a dict with a default of 2, so the
     * match is exact and case-sensitive: "file" is unknown and becomes 2. */
    if (name != NULL && strcmp(name, "DEFAULT") == 0)
        return 0;
    if (name != NULL && strcmp(name, "FILE") == 0)
        return 1;
    return 2;
}

static const char *scalar(const mdm_conf_node *map, const char *key)
{
    const mdm_conf_node *n = mdm_conf_get(map, key);
    return (n != NULL && n->kind == MDM_CONF_SCALAR) ? n->value : NULL;
}

static bool is_map(const mdm_conf_node *n)
{
    return n != NULL && n->kind == MDM_CONF_MAP;
}

/* Copies map[key] into *dst when it is a scalar; leaves the default else. */
static void take(char **dst, const mdm_conf_node *map, const char *key)
{
    const char *v = scalar(map, key);
    if (v != NULL)
        set_str(dst, v);
}

static mdm_status take_number(double *dst, const mdm_conf_node *map,
                              const char *key, mdm_error *err)
{
    const char *v = scalar(map, key);
    char *end = NULL;
    if (v == NULL)
        return MDM_OK;
    errno = 0;
    double d = strtod(v, &end);
    if (end == v || *end != '\0' || errno != 0)
        return mdm_error_set(err, MDM_ERR_CONFIG, "%s: expected a number, got '%s'", key, v);
    *dst = d;
    return MDM_OK;
}

static mdm_status take_int(int *dst, const mdm_conf_node *map, const char *key,
                           mdm_error *err)
{
    double d = *dst;
    mdm_status rc = take_number(&d, map, key, err);
    if (rc == MDM_OK)
        *dst = (int)d;
    return rc;
}

/* SQLite: the nested `sqlite` mapping if any, else the whole mapping. */
static mdm_status load_sqlite(const mdm_conf_node *config, legacy_config *c,
                              mdm_error *err)
{
    const mdm_conf_node *s = mdm_conf_get(config, "sqlite");
    if (!is_map(s))
        s = config;
    take(&c->sqlite_path, s, "path");
    /* The seed's "inconsistent configuration": a nested database.path. */
    const mdm_conf_node *db = mdm_conf_get(s, "database");
    if (is_map(db))
        take(&c->sqlite_path, db, "path");
    take(&c->journal_mode, s, "journal_mode");
    take(&c->synchronous, s, "synchronous");
    take(&c->cache_size, s, "cache_size");
    take(&c->mmap_size, s, "mmap_size");
    take(&c->temp_store, s, "temp_store");
    mdm_status rc = take_int(&c->pool_size, s, "pool_size", err);
    if (rc == MDM_OK)
        rc = take_int(&c->max_overflow, s, "max_overflow", err);
    if (rc == MDM_OK)
        rc = take_number(&c->pool_timeout, s, "timeout", err);
    return rc;
}

/* PostgreSQL: only the nested `postgresql` mapping counts. */
static mdm_status load_pg(const mdm_conf_node *config, legacy_config *c,
                          mdm_error *err)
{
    const mdm_conf_node *p = mdm_conf_get(config, "postgresql");
    if (!is_map(p))
        return MDM_OK;
    take(&c->host, p, "host");
    take(&c->port, p, "port");
    take(&c->user, p, "user");
    take(&c->password, p, "password");
    take(&c->sslmode, p, "sslmode");
    take(&c->database_prefix, p, "database_prefix");
    mdm_status rc = take_int(&c->pool_size, p, "pool_size", err);
    if (rc == MDM_OK)
        rc = take_int(&c->max_overflow, p, "max_overflow", err);
    if (rc == MDM_OK)
        rc = take_number(&c->pool_timeout, p, "pool_timeout", err);
    if (rc == MDM_OK)
        rc = take_int(&c->pool_recycle, p, "pool_recycle", err);
    return rc;
}

mdm_status legacy__config_load(legacy_kind kind, const mdm_conf_node *config,
                               legacy_config *out, mdm_error *err)
{
    legacy__config_defaults(kind, out);
    if (!is_map(config))
        return MDM_OK;
    mdm_status rc = kind == LEGACY_SQLITE ? load_sqlite(config, out, err)
                                          : load_pg(config, out, err);
    if (rc != MDM_OK)
        legacy__config_defaults(kind, out);
    return rc;
}
