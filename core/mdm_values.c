/* SPDX-License-Identifier: MIT */
/*
 * mdm_values.c - if_exists names, text parameters, string lists and table
 * info (mdm_values.h).
 */
#include "mdm_values.h"

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

static int strlist_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void mdm_strlist_sort(mdm_strlist *l)
{
    if (l->count > 1)
        qsort(l->items, l->count, sizeof l->items[0], strlist_cmp);
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
