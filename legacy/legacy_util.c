/* SPDX-License-Identifier: MIT */
/*
 * legacy_util.c - the small value types of the old interface (name lists,
 * table info), the classification of errors into the original's two
 * exception kinds, and dataset names and paths (LEGACY.md §8, §9).
 */
#include "legacy_internal.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

void legacy_names_init(legacy_names *n)
{
    n->items = NULL;
    n->count = 0;
}

void legacy_names_reset(legacy_names *n)
{
    if (n == NULL)
        return;
    for (size_t i = 0; i < n->count; i++)
        free(n->items[i]);
    free(n->items);
    legacy_names_init(n);
}

mdm_status legacy__names_push(legacy_names *n, const char *s, mdm_error *err)
{
    char **items = realloc(n->items, (n->count + 1) * sizeof *items);
    if (items == NULL)
        return mdm_error_set(err, MDM_ERR_NOMEM, "out of memory listing tables");
    n->items = items;
    if ((items[n->count] = strdup(s)) == NULL)
        return mdm_error_set(err, MDM_ERR_NOMEM, "out of memory listing tables");
    n->count++;
    return MDM_OK;
}

void legacy_table_info_init(legacy_table_info *info)
{
    memset(info, 0, sizeof *info);
}

void legacy_table_info_reset(legacy_table_info *info)
{
    if (info == NULL)
        return;
    for (size_t i = 0; i < info->column_count; i++) {
        free(info->columns[i].name);
        free(info->columns[i].type);
        free(info->columns[i].default_value);
    }
    free(info->columns);
    free(info->name);
    legacy_table_info_init(info);
}

void legacy__upper(char *dst, size_t n, const char *src)
{
    size_t i = 0;
    for (; src != NULL && src[i] && i + 1 < n; i++)
        dst[i] = (char)toupper((unsigned char)src[i]);
    dst[i] = '\0';
}

/* Messages of the original's StorageError, by their fixed beginnings. */
static const char *const storage_prefixes[] = {
    "Failed to create table ", "Failed to read table ", "Failed to execute query: ",
    "No engine available.", "PostgreSQL user not configured",
    "Failed to create database ", "Failed to drop database ",
    "Failed to check database ",
};

legacy_error_kind legacy_error_kind_of(const mdm_error *err)
{
    if (err == NULL || err->code == MDM_OK)
        return LEGACY_ERROR_NONE;
    if (err->code == MDM_ERR_UNSUPPORTED &&
        strncmp(err->message, "Unsupported backend type: ", 26) == 0)
        return LEGACY_ERROR_BACKEND;
    for (size_t i = 0; i < sizeof storage_prefixes / sizeof *storage_prefixes; i++)
        if (strncmp(err->message, storage_prefixes[i], strlen(storage_prefixes[i])) == 0)
            return LEGACY_ERROR_STORAGE;
    return LEGACY_ERROR_DRIVER;
}

const char *legacy_error_kind_name(legacy_error_kind kind)
{
    switch (kind) {
    case LEGACY_ERROR_NONE:
        return "none";
    case LEGACY_ERROR_STORAGE:
        return "storage";
    case LEGACY_ERROR_BACKEND:
        return "backend";
    default:
        return "driver";
    }
}

mdm_status legacy_normalize_dataset_name(const char *name, char *out, mdm_error *err)
{
    size_t n = name != NULL ? strlen(name) : 0;
    if (n == 0)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "Dataset name cannot be empty");
    if (n > LEGACY_DATASET_NAME_MAX)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG,
                             "Dataset name cannot exceed %d characters: %s",
                             LEGACY_DATASET_NAME_MAX, name);
    for (size_t i = 0; i < n; i++) {
        char c = (char)tolower((unsigned char)name[i]);
        if (c == '-')
            c = '_';
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
            return mdm_error_set(err, MDM_ERR_INVALID_ARG,
                                 "Dataset name can only contain letters, digits, "
                                 "underscores and dashes: %s", name);
        out[i] = c;
    }
    out[n] = '\0';
    return MDM_OK;
}

mdm_status legacy_home(mdm_buf *out, mdm_error *err)
{
    const char *home = getenv("MDM_HOME");
    mdm_status rc;
    if (home != NULL && home[0] != '\0') {
        rc = mdm_buf_puts(out, home);
    } else {
        const char *user_home = getenv("HOME");
        if (user_home == NULL || user_home[0] == '\0')
            return mdm_error_set(err, MDM_ERR_CONFIG, "neither MDM_HOME nor HOME is set");
        rc = mdm_buf_printf(out, "%s/.mdm", user_home);
    }
    return rc == MDM_OK ? MDM_OK : mdm_error_set(err, rc, "out of memory");
}

mdm_status legacy_get_database_path(legacy_backend *b, const char *dataset,
                                    const char *home, mdm_buf *out, mdm_error *err)
{
    char name[LEGACY_DATASET_NAME_MAX + 1];
    mdm_status rc = legacy_normalize_dataset_name(dataset, name, err);
    if (rc != MDM_OK)
        return rc;
    if (b->kind == LEGACY_POSTGRESQL) {
        rc = mdm_buf_printf(out, "%s%s", b->cfg.database_prefix, name);
        return rc == MDM_OK ? MDM_OK : mdm_error_set(err, rc, "out of memory");
    }
    if (home != NULL)
        rc = mdm_buf_puts(out, home);
    else
        rc = legacy_home(out, err);
    if (rc == MDM_OK)
        rc = mdm_buf_printf(out, "/datasets/%s/dataset.sqlite", name);
    return rc;
}
