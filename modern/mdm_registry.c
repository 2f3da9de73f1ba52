/* SPDX-License-Identifier: MIT */
/*
 * mdm_registry.c - the backend registry (a heap object mapping names to
 * const backend tables), the factory with its exact error text, and the
 * check every table passes before it is registered. The built-in backends
 * are listed in one static const array: adding one is one line here.
 */
#include "mdm_backend.h"
#include "mdm_buf.h"
#include "mdm_registry.h"

#include <stdlib.h>
#include <string.h>

typedef struct reg_entry {
    char *name;                    /* owned */
    const mdm_backend_ops *ops;    /* borrowed, static */
} reg_entry;

struct mdm_registry {
    reg_entry *entries;
    size_t count;
};

/* The built-in backends: name and the function that returns the table. */
static const struct {
    const char *name;
    const mdm_backend_ops *(*get)(void);
} builtins[] = {
    {"sqlite", mdm_sqlite_backend},
    {"postgresql", mdm_pg_backend},
};

mdm_status mdm_backend_ops_check(const mdm_backend_ops *ops, mdm_error *err)
{
    if (ops == NULL)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "backend table is NULL");
    if (ops->version != MDM_BACKEND_OPS_VERSION)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "backend '%s': version %u, expected %u",
                             ops->name ? ops->name : "", ops->version, MDM_BACKEND_OPS_VERSION);
    if (ops->name == NULL || ops->name[0] == '\0')
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "backend table has no name");
    const struct {
        const char *slot;
        bool missing;
    } required[] = {
        {"connect", ops->connect == NULL},
        {"disconnect", ops->disconnect == NULL},
        {"create_table", ops->create_table == NULL},
        {"read_table", ops->read_table == NULL},
        {"execute_query", ops->execute_query == NULL},
        {"table_exists", ops->table_exists == NULL},
        {"list_tables", ops->list_tables == NULL},
        {"table_info", ops->table_info == NULL},
        {"drop_table", ops->drop_table == NULL},
        {"begin (MDM_CAP_TRANSACTIONS)",
         (ops->caps & MDM_CAP_TRANSACTIONS) && ops->begin == NULL},
        {"commit (MDM_CAP_TRANSACTIONS)",
         (ops->caps & MDM_CAP_TRANSACTIONS) && ops->commit == NULL},
        {"rollback (MDM_CAP_TRANSACTIONS)",
         (ops->caps & MDM_CAP_TRANSACTIONS) && ops->rollback == NULL},
        {"in_transaction (MDM_CAP_TRANSACTIONS)",
         (ops->caps & MDM_CAP_TRANSACTIONS) && ops->in_transaction == NULL},
        {"database_exists (MDM_CAP_DATABASES)",
         (ops->caps & MDM_CAP_DATABASES) && ops->database_exists == NULL},
        {"create_database (MDM_CAP_DATABASES)",
         (ops->caps & MDM_CAP_DATABASES) && ops->create_database == NULL},
        {"drop_database (MDM_CAP_DATABASES)",
         (ops->caps & MDM_CAP_DATABASES) && ops->drop_database == NULL},
        {"stmt_cache_stats (MDM_CAP_STMT_CACHE)",
         (ops->caps & MDM_CAP_STMT_CACHE) && ops->stmt_cache_stats == NULL},
    };
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
        if (required[i].missing)
            return mdm_error_set(err, MDM_ERR_INVALID_ARG, "backend '%s': required slot '%s' is NULL",
                                 ops->name, required[i].slot);
    return MDM_OK;
}

mdm_status mdm_registry_new(mdm_registry **out, mdm_error *err)
{
    if (out == NULL)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "mdm_registry_new: out is NULL");
    mdm_registry *r = calloc(1, sizeof *r);
    if (r == NULL)
        return mdm_error_set(err, MDM_ERR_NOMEM, "out of memory");
    *out = r;
    return MDM_OK;
}

void mdm_registry_free(mdm_registry *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->count; i++)
        free(r->entries[i].name);
    free(r->entries);
    free(r);
}

mdm_status mdm_registry_add(mdm_registry *r, const char *name, const mdm_backend_ops *ops,
                            mdm_error *err)
{
    if (r == NULL || name == NULL || name[0] == '\0')
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "registry add: missing registry or name");
    mdm_status rc = mdm_backend_ops_check(ops, err);
    if (rc != MDM_OK)
        return rc;
    if (mdm_registry_find(r, name) != NULL)
        return mdm_error_set(err, MDM_ERR_EXISTS, "backend type '%s' is already registered", name);
    char *copy = strdup(name);
    reg_entry *e = copy ? realloc(r->entries, (r->count + 1) * sizeof *e) : NULL;
    if (e == NULL) {
        free(copy);
        return mdm_error_set(err, MDM_ERR_NOMEM, "out of memory");
    }
    e[r->count].name = copy;
    e[r->count].ops = ops;
    r->entries = e;
    r->count++;
    return MDM_OK;
}

mdm_status mdm_registry_add_builtins(mdm_registry *r, mdm_error *err)
{
    for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++) {
        mdm_status rc = mdm_registry_add(r, builtins[i].name, builtins[i].get(), err);
        if (rc != MDM_OK)
            return rc;
    }
    return MDM_OK;
}

const mdm_backend_ops *mdm_registry_find(const mdm_registry *r, const char *name)
{
    if (r == NULL || name == NULL)
        return NULL;
    for (size_t i = 0; i < r->count; i++)
        if (strcmp(r->entries[i].name, name) == 0)
            return r->entries[i].ops;
    return NULL;
}

size_t mdm_registry_count(const mdm_registry *r)
{
    return r ? r->count : 0;
}

const char *mdm_registry_name_at(const mdm_registry *r, size_t i)
{
    return (r && i < r->count) ? r->entries[i].name : NULL;
}

const mdm_backend_ops *mdm_registry_ops_at(const mdm_registry *r, size_t i)
{
    return (r && i < r->count) ? r->entries[i].ops : NULL;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

mdm_status mdm_registry_names(const mdm_registry *r, mdm_strlist *out, mdm_error *err)
{
    mdm_strlist tmp;
    if (r == NULL || out == NULL)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "registry names: NULL argument");
    mdm_strlist_init(&tmp);
    for (size_t i = 0; i < r->count; i++) {
        mdm_status rc = mdm_strlist_push(&tmp, r->entries[i].name, err);
        if (rc != MDM_OK) {
            mdm_strlist_reset(&tmp);
            return rc;
        }
    }
    if (tmp.count > 1)
        qsort(tmp.items, tmp.count, sizeof *tmp.items, cmp_str);
    mdm_strlist_reset(out);
    *out = tmp;
    return MDM_OK;
}

mdm_status mdm_registry_create(const mdm_registry *r, const char *name,
                               const mdm_backend_ops **out, mdm_error *err)
{
    mdm_strlist names;
    mdm_buf known;
    mdm_status rc;
    if (r == NULL || out == NULL)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "backend factory: NULL argument");
    const mdm_backend_ops *ops = mdm_registry_find(r, name);
    if (ops != NULL) {
        *out = ops;
        return MDM_OK;
    }
    mdm_strlist_init(&names);
    mdm_buf_init(&known);
    rc = mdm_registry_names(r, &names, err);
    for (size_t i = 0; rc == MDM_OK && i < names.count; i++)
        rc = mdm_buf_printf(&known, "%s%s", i ? ", " : "", names.items[i]);
    if (rc == MDM_OK)
        rc = mdm_error_set(err, MDM_ERR_CONFIG, "unknown backend type '%s'; known: %s",
                           name ? name : "", mdm_buf_str(&known));
    mdm_buf_reset(&known);
    mdm_strlist_reset(&names);
    return rc;
}

mdm_status mdm_registry_connect(const mdm_registry *r, const mdm_conn_config *cfg,
                                mdm_conn **out, mdm_error *err)
{
    const mdm_backend_ops *ops = NULL;
    if (cfg == NULL)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "connection config is missing");
    mdm_status rc = mdm_registry_create(r, cfg->backend, &ops, err);
    if (rc != MDM_OK)
        return rc;
    return mdm_conn_open(ops, cfg, out, err);
}
