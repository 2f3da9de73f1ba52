/* SPDX-License-Identifier: MIT */
/*
 * mdm_adapter_legacy.c - the legacy path: each old-interface call
 * forwarded to legacy/ unchanged, with legacy's results converted to
 * mdm's types (mdm_table_info, mdm_strlist); the legacy store's only way
 * into legacy/. Compiled to a NULL table
 * when mdm is built without legacy/ (MDM_WITH_LEGACY=0).
 */
#include "mdm_adapter_internal.h"
#include "mdm_flag.h"

#if MDM_WITH_LEGACY

#include "legacy_db.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static mdm_status l_open(const char *backend, const mdm_conf_node *cfg, void **out,
                         mdm_error *err)
{
    legacy_backend *b = legacy_backend_get(backend, err);
    if (b == NULL)
        return err != NULL ? err->code : MDM_ERR_UNSUPPORTED;
    if (cfg != NULL) {
        mdm_status rc = legacy_backend_configure(b, cfg, err);
        if (rc != MDM_OK)
            return rc;
    }
    *out = b;
    return MDM_OK;
}

static mdm_status l_get_engine(void *b, const char *path, void **out, mdm_error *err)
{
    legacy_engine *e = NULL;
    mdm_status rc = legacy_get_engine(b, path, &e, err);
    if (rc == MDM_OK)
        *out = e;
    return rc;
}

static mdm_status l_create_table(void *b, const mdm_table *df, const char *table, void *e,
                                 const char *if_exists, mdm_error *err)
{
    return legacy_create_table_from_dataframe(b, df, table, e, if_exists, err);
}

static mdm_status l_read_table(void *b, const char *table, void *e, const int64_t *limit,
                               mdm_table *out, mdm_error *err)
{
    return legacy_read_table_to_dataframe(b, table, e, limit, out, err);
}

static void l_close_connections(void *b)
{
    legacy_close_connections(b);
}

/* Does the declared type contain word (case-insensitive)? */
static bool decl_has(const char *decl, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = decl; *p; p++)
        if (strncasecmp(p, word, n) == 0)
            return true;
    return false;
}

/* The table type a declared SQL type reads as (the modern mapping). */
static mdm_type type_of(const char *decl)
{
    if (strncasecmp(decl, "BOOL", 4) == 0)
        return MDM_BOOL;
    if (decl_has(decl, "DATE") || decl_has(decl, "TIMESTAMP"))
        return MDM_TIMESTAMP;
    if (decl_has(decl, "INT"))
        return MDM_INT64;
    if (decl_has(decl, "FLOA") || decl_has(decl, "DOUB") || decl_has(decl, "REAL"))
        return MDM_FLOAT64;
    return MDM_TEXT;
}

static mdm_status info_convert(const legacy_table_info *li, mdm_table_info *out, mdm_error *err)
{
    mdm_table_info ti;
    mdm_table_info_init(&ti);
    ti.row_count = li->row_count;
    ti.name = strdup(li->name != NULL ? li->name : "");
    ti.columns = calloc(li->column_count ? li->column_count : 1, sizeof *ti.columns);
    mdm_status rc = ti.name != NULL && ti.columns != NULL ? MDM_OK : MDM_ERR_NOMEM;
    for (size_t i = 0; rc == MDM_OK && i < li->column_count; i++, ti.ncolumns++) {
        mdm_column_info *c = &ti.columns[i];
        c->name = strdup(li->columns[i].name);
        c->decl_type = strdup(li->columns[i].type != NULL ? li->columns[i].type : "");
        if (c->name == NULL || c->decl_type == NULL)
            rc = MDM_ERR_NOMEM;
        else
            c->type = type_of(c->decl_type);
    }
    if (rc != MDM_OK) {
        mdm_table_info_reset(&ti);
        return mdm_error_set(err, rc, "out of memory");
    }
    mdm_table_info_reset(out);
    *out = ti;
    return MDM_OK;
}

static mdm_status l_table_info(void *b, const char *table, void *e, mdm_table_info *out,
                               mdm_error *err)
{
    legacy_table_info li;
    legacy_table_info_init(&li);
    mdm_status rc = legacy_get_table_info(b, table, e, &li, err);
    if (rc == MDM_OK)
        rc = info_convert(&li, out, err);
    legacy_table_info_reset(&li);
    return rc;
}

static mdm_status l_execute_query(void *b, const char *sql, void *e, mdm_table *out,
                                  mdm_error *err)
{
    return legacy_execute_query(b, sql, e, out, err);
}

static mdm_status l_table_exists(void *b, void *e, const char *table, bool *out,
                                 mdm_error *err)
{
    return legacy_table_exists(b, e, table, out, err);
}

static mdm_status l_table_names(void *b, void *e, mdm_strlist *out, mdm_error *err)
{
    legacy_names names;
    mdm_strlist list;
    legacy_names_init(&names);
    mdm_strlist_init(&list);
    mdm_status rc = legacy_get_table_names(b, e, &names, err);
    for (size_t i = 0; rc == MDM_OK && i < names.count; i++)
        rc = mdm_strlist_push(&list, names.items[i], err);
    if (rc == MDM_OK) {
        mdm_strlist_reset(out);
        *out = list;
    } else {
        mdm_strlist_reset(&list);
    }
    legacy_names_reset(&names);
    return rc;
}

static mdm_status l_database_exists(void *b, const char *path, bool *out, mdm_error *err)
{
    return legacy_database_exists(b, path, out, err);
}

static mdm_status l_create_database(void *b, const char *path, mdm_error *err)
{
    return legacy_create_database(b, path, err);
}

static mdm_status l_drop_database(void *b, const char *path, mdm_error *err)
{
    return legacy_drop_database(b, path, err);
}

static const mdm__legacy_iface legacy_path = {
    .open = l_open,
    .get_engine = l_get_engine,
    .create_table = l_create_table,
    .read_table = l_read_table,
    .close_connections = l_close_connections,
    .table_info = l_table_info,
    .execute_query = l_execute_query,
    .table_exists = l_table_exists,
    .table_names = l_table_names,
    .database_exists = l_database_exists,
    .create_database = l_create_database,
    .drop_database = l_drop_database,
};

const mdm__legacy_iface *mdm__adapter_legacy(void)
{
    return &legacy_path;
}

#else /* !MDM_WITH_LEGACY */

const mdm__legacy_iface *mdm__adapter_legacy(void)
{
    return NULL;
}

#endif
