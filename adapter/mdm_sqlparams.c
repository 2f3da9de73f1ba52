/* SPDX-License-Identifier: MIT */
/*
 * mdm_sqlparams.c - parameters and the one-statement check for the legacy
 * path, on core's SQL scanner (mdm_sqlscan.h): each `:name` token becomes
 * the literal form of its value for SQLite or PostgreSQL (E'...' there, so
 * backslashes are safe whatever standard_conforming_strings says).
 */
#include "mdm_sqlparams.h"
#include "mdm_sqlscan.h"
#include "mdm_table.h"

#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static bool ident_start(char c)
{
    return isalpha((unsigned char)c) || c == '_';
}

static mdm_status put_text(mdm_buf *b, const char *s, size_t len, mdm_sql_dialect d,
                           mdm_error *err)
{
    mdm_status rc = mdm_buf_puts(b, d == MDM_SQL_POSTGRESQL ? "E'" : "'");
    for (size_t i = 0; rc == MDM_OK && i < len; i++) {
        if (s[i] == '\0')
            return mdm_error_set(err, MDM_ERR_INVALID_ARG, "parameter text contains a NUL byte");
        if (s[i] == '\'' || (s[i] == '\\' && d == MDM_SQL_POSTGRESQL))
            rc = mdm_buf_putc(b, s[i]);
        if (rc == MDM_OK)
            rc = mdm_buf_putc(b, s[i]);
    }
    return rc == MDM_OK ? mdm_buf_putc(b, '\'') : rc;
}

static mdm_status put_literal(mdm_buf *b, const mdm_param *p, mdm_sql_dialect d, mdm_error *err)
{
    char num[64];
    const mdm_value *v = &p->value;
    if (v->is_null)
        return mdm_buf_puts(b, "NULL");
    switch (v->type) {
    case MDM_INT64:
        return mdm_buf_printf(b, "%" PRId64, v->v.i64);
    case MDM_FLOAT64:
        if (!isfinite(v->v.f64))
            return mdm_error_set(err, MDM_ERR_INVALID_ARG,
                                 "parameter '%s': a non-finite float has no SQL literal", p->name);
        mdm_format_float64(v->v.f64, num, sizeof num);
        return mdm_buf_puts(b, num);
    case MDM_BOOL:
        return mdm_buf_puts(b, d == MDM_SQL_POSTGRESQL ? (v->v.b ? "TRUE" : "FALSE")
                                                       : (v->v.b ? "1" : "0"));
    case MDM_TIMESTAMP:
        mdm_format_timestamp_full(v->v.i64, num, sizeof num);
        return put_text(b, num, strlen(num), d, err);
    default:
        return put_text(b, v->v.text.s, v->v.text.len, d, err);
    }
}

static long find_param(const mdm_param *params, size_t n, const char *name, size_t len)
{
    for (size_t i = 0; i < n; i++)
        if (strlen(params[i].name) == len && strncmp(params[i].name, name, len) == 0)
            return (long)i;
    return -1;
}

static mdm_status check_params(const mdm_param *params, size_t n, const bool *used,
                               mdm_error *err)
{
    for (size_t i = 0; i < n; i++) {
        if (params[i].name == NULL || !ident_start(params[i].name[0]))
            return mdm_error_set(err, MDM_ERR_INVALID_ARG, "bad parameter name '%s'",
                                 params[i].name ? params[i].name : "");
        if (find_param(params, i, params[i].name, strlen(params[i].name)) >= 0)
            return mdm_error_set(err, MDM_ERR_INVALID_ARG, "parameter '%s' given twice",
                                 params[i].name);
        if (used != NULL && !used[i])
            return mdm_error_set(err, MDM_ERR_INVALID_ARG,
                                 "parameter '%s' is not used in the statement", params[i].name);
    }
    return MDM_OK;
}

/* One `:name` token: appends its value's literal. */
static mdm_status put_param(const mdm_sqltok *t, const mdm_param *params, size_t n, bool *used,
                            mdm_sql_dialect d, mdm_buf *out, mdm_error *err)
{
    const char *name = t->text + 1;
    size_t len = t->len - 1;
    long k = find_param(params, n, name, len);
    if (k < 0)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "no value for parameter :%.*s", (int)len,
                             name);
    used[k] = true;
    return put_literal(out, &params[k], d, err);
}

mdm_status mdm_sqlparams_inline(const char *sql, const mdm_param *params, size_t n,
                                 mdm_sql_dialect d, mdm_buf *out, mdm_error *err)
{
    bool *used = calloc(n ? n : 1, sizeof *used);
    mdm_status rc = used != NULL ? check_params(params, n, NULL, err)
                                 : mdm_error_set(err, MDM_ERR_NOMEM, "out of memory");
    mdm_sqlscan sc;
    mdm_sqltok t;
    mdm_sqlscan_init(&sc, sql, d);
    while (rc == MDM_OK && mdm_sqlscan_next(&sc, &t))
        rc = t.kind == MDM_SQLTOK_PARAM ? put_param(&t, params, n, used, d, out, err)
                                        : mdm_buf_append(out, t.text, t.len);
    if (rc == MDM_OK)
        rc = check_params(params, n, used, err);
    free(used);
    return rc;
}

mdm_status mdm_sqlparams_one_statement(const char *sql, mdm_sql_dialect d, mdm_error *err)
{
    if (mdm_sql_second_statement(sql, d) != NULL)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG,
                             "more than one SQL statement; mdm runs one at a time");
    return MDM_OK;
}
