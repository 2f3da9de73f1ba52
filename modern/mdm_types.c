/* SPDX-License-Identifier: MIT */
/*
 * mdm_types.c - the small caller-owned value types of the modern API:
 * if_exists names, string lists, query results, table info, text parameters
 * and deep copies of connection configs. Nothing here touches a database.
 */
#include "mdm_conn.h"
#include "mdm_connconfig.h"

#include <stdlib.h>
#include <string.h>

static const char *const if_exists_names[] = {
    [MDM_IF_EXISTS_FAIL] = "fail",
    [MDM_IF_EXISTS_REPLACE] = "replace",
    [MDM_IF_EXISTS_APPEND] = "append",
};

const char *mdm_if_exists_name(mdm_if_exists mode)
{
    if ((unsigned)mode > MDM_IF_EXISTS_APPEND)
        return "unknown";
    return if_exists_names[mode];
}

mdm_status mdm_if_exists_parse(const char *s, mdm_if_exists *out, mdm_error *err)
{
    if (s == NULL || out == NULL)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "if_exists: value is missing");
    for (unsigned i = 0; i <= MDM_IF_EXISTS_APPEND; i++) {
        if (strcmp(s, if_exists_names[i]) == 0) {
            *out = (mdm_if_exists)i;
            return MDM_OK;
        }
    }
    return mdm_error_set(err, MDM_ERR_INVALID_ARG,
                         "'%s' is not valid for if_exists (fail, replace, append)", s);
}

mdm_param mdm_param_text(const char *name, const char *s)
{
    return mdm_param_textn(name, s, s ? strlen(s) : 0);
}

/* ---- string lists ---- */

void mdm_strlist_init(mdm_strlist *l)
{
    l->items = NULL;
    l->count = 0;
}

void mdm_strlist_reset(mdm_strlist *l)
{
    if (l == NULL)
        return;
    for (size_t i = 0; i < l->count; i++)
        free(l->items[i]);
    free(l->items);
    mdm_strlist_init(l);
}

mdm_status mdm_strlist_push(mdm_strlist *l, const char *s, mdm_error *err)
{
    if (l == NULL || s == NULL)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "strlist: NULL argument");
    char *copy = strdup(s);
    char **items = copy ? realloc(l->items, (l->count + 1) * sizeof *items) : NULL;
    if (items == NULL) {
        free(copy);
        return mdm_error_set(err, MDM_ERR_NOMEM, "out of memory");
    }
    items[l->count++] = copy;
    l->items = items;
    return MDM_OK;
}

/* ---- query results ---- */

void mdm_query_result_init(mdm_query_result *r)
{
    mdm_table_init(&r->table);
    r->rows_affected = 0;
}

void mdm_query_result_reset(mdm_query_result *r)
{
    if (r == NULL)
        return;
    mdm_table_reset(&r->table);
    r->rows_affected = 0;
}

/* ---- table info ---- */

void mdm_table_info_init(mdm_table_info *ti)
{
    ti->name = NULL;
    ti->columns = NULL;
    ti->ncolumns = 0;
    ti->row_count = 0;
}

void mdm_table_info_reset(mdm_table_info *ti)
{
    if (ti == NULL)
        return;
    for (size_t i = 0; i < ti->ncolumns; i++) {
        free(ti->columns[i].name);
        free(ti->columns[i].decl_type);
    }
    free(ti->columns);
    free(ti->name);
    mdm_table_info_init(ti);
}

/* ---- config copies ---- */

/* strdup that keeps NULL; sets *ok to false when memory runs out. */
static const char *dup_or_null(const char *s, bool *ok)
{
    if (s == NULL)
        return NULL;
    char *d = strdup(s);
    if (d == NULL)
        *ok = false;
    return d;
}

mdm_status mdm_conn_config_dup(const mdm_conn_config *src, mdm_conn_config **out,
                               mdm_error *err)
{
    if (src == NULL || out == NULL)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "connection config is missing");
    if (src->version != MDM_CONN_CONFIG_VERSION)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG,
                             "connection config version %u, expected %u (use MDM_CONN_CONFIG_INIT)",
                             src->version, MDM_CONN_CONFIG_VERSION);
    mdm_conn_config *c = malloc(sizeof *c);
    if (c == NULL)
        return mdm_error_set(err, MDM_ERR_NOMEM, "out of memory");
    bool ok = true;
    *c = *src;
    c->backend = dup_or_null(src->backend, &ok);
    c->path = dup_or_null(src->path, &ok);
    c->dsn = dup_or_null(src->dsn, &ok);
    c->pg_schema = dup_or_null(src->pg_schema, &ok);
    c->sqlite.journal_mode = dup_or_null(src->sqlite.journal_mode, &ok);
    c->sqlite.synchronous = dup_or_null(src->sqlite.synchronous, &ok);
    c->sqlite.temp_store = dup_or_null(src->sqlite.temp_store, &ok);
    if (!ok) {
        mdm_conn_config_free(c);
        return mdm_error_set(err, MDM_ERR_NOMEM, "out of memory");
    }
    *out = c;
    return MDM_OK;
}

void mdm_conn_config_free(mdm_conn_config *cfg)
{
    if (cfg == NULL)
        return;
    free((char *)cfg->backend);
    free((char *)cfg->path);
    free((char *)cfg->dsn);
    free((char *)cfg->pg_schema);
    free((char *)cfg->sqlite.journal_mode);
    free((char *)cfg->sqlite.synchronous);
    free((char *)cfg->sqlite.temp_store);
    free(cfg);
}
