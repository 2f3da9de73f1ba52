/* SPDX-License-Identifier: MIT */
/*
 * cmp_driver.c - what both drivers share: the driver lookup, where a
 * cell's datasets live, and the shapes of results that are not tables in
 * the APIs (info, exists) so that both sides report them alike.
 */
#include "cmp_driver.h"

#include <stdio.h>
#include <string.h>

const mdm_cmp_driver *mdm_cmp_driver_find(const char *name)
{
    if (strcmp(name, "legacy") == 0)
        return mdm_cmp_legacy_driver();
    if (strcmp(name, "modern") == 0)
        return mdm_cmp_modern_driver();
    return NULL;
}

mdm_status mdm_cmp_dataset_location(const mdm_cmp_env *env, const char *dataset, mdm_buf *out,
                                    mdm_error *err)
{
    mdm_status rc;
    if (strcmp(env->backend, "postgresql") == 0)
        rc = mdm_buf_printf(out, "%s%s", env->pg_prefix, dataset);
    else
        rc = mdm_buf_printf(out, "%s/%s.sqlite", env->cell_dir, dataset);
    return rc != MDM_OK ? mdm_error_set(err, rc, "out of memory") : MDM_OK;
}

void mdm_cmp_result_set_error(mdm_cmp_result *out, const mdm_error *err)
{
    out->status = err->code != MDM_OK ? err->code : MDM_ERR_INTERNAL;
    snprintf(out->message, sizeof out->message, "%s", err->message);
    out->has_table = false;
    out->has_count = false;
    mdm_table_reset(&out->table);
}

mdm_status mdm_cmp_info_table(char *const *names, char *const *types, size_t n, mdm_table *out,
                              mdm_error *err)
{
    mdm_table t;
    mdm_table_init(&t);
    mdm_status rc = mdm_table_add_column(&t, "column", MDM_TEXT, err);
    if (rc == MDM_OK)
        rc = mdm_table_add_column(&t, "type", MDM_TEXT, err);
    for (size_t i = 0; i < n && rc == MDM_OK; i++) {
        const char *ty = types[i] ? types[i] : "";
        rc = mdm_table_push_text(&t, 0, names[i], strlen(names[i]), err);
        if (rc == MDM_OK)
            rc = mdm_table_push_text(&t, 1, ty, strlen(ty), err);
        if (rc == MDM_OK)
            rc = mdm_table_end_row(&t, err);
    }
    if (rc == MDM_OK)
        mdm_table_move(out, &t);
    mdm_table_reset(&t);
    return rc;
}

mdm_status mdm_cmp_bool_table(bool v, mdm_table *out, mdm_error *err)
{
    mdm_table t;
    mdm_table_init(&t);
    mdm_status rc = mdm_table_add_column(&t, "exists", MDM_BOOL, err);
    if (rc == MDM_OK)
        rc = mdm_table_push_bool(&t, 0, v, err);
    if (rc == MDM_OK)
        rc = mdm_table_end_row(&t, err);
    if (rc == MDM_OK)
        mdm_table_move(out, &t);
    mdm_table_reset(&t);
    return rc;
}
