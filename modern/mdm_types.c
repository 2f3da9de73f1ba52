/* SPDX-License-Identifier: MIT */
/*
 * mdm_types.c - the modern API's own caller-owned types: query results and
 * deep copies of connection configs (the shared value types are core's,
 * mdm_values.c). Nothing here touches a database.
 */
#include "mdm_conn.h"
#include "mdm_connconfig.h"

#include <stdlib.h>
#include <string.h>

/* ---- query results ---- */

void mdm_query_result_init(mdm_query_result *r)
{
    mdm_table_init(&r->table);
    r->rows_affected = 0;
    r->sink = NULL;
}

void mdm_query_result_reset(mdm_query_result *r)
{
    if (r == NULL)
        return;
    mdm_table_reset(&r->table);
    r->rows_affected = 0;
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
