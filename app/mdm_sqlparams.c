/* SPDX-License-Identifier: MIT */
/*
 * mdm_sqlparams.c - a small SQL scanner that finds `:name` outside quotes
 * and comments, and the literal form of each parameter value for SQLite
 * and PostgreSQL (E'...' there, so backslashes are safe whatever
 * standard_conforming_strings says).
 */
#include "mdm_sqlparams.h"
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

static bool ident_char(char c)
{
    return isalnum((unsigned char)c) || c == '_';
}

/* Length of the quoted section or comment starting at p, or 0. */
static size_t skip_len(const char *p, mdm_sql_dialect d)
{
    const char *end = NULL;
    char close = 0;
    if (p[0] == '-' && p[1] == '-')
        return strcspn(p, "\n");
    if (p[0] == '/' && p[1] == '*') {
        end = strstr(p + 2, "*/");
        return end != NULL ? (size_t)(end + 2 - p) : strlen(p);
    }
    if (*p == '$' && d == MDM_SQL_POSTGRESQL) {   /* $tag$ ... $tag$ */
        size_t t = 1;
        while (ident_char(p[t]) && !isdigit((unsigned char)p[1]))
            t++;
        if (p[t] == '$') {
            char tag[64];
            snprintf(tag, sizeof tag, "%.*s", (int)(t + 1 < sizeof tag ? t + 1 : sizeof tag - 1), p);
            end = strstr(p + t + 1, tag);
            return end != NULL ? (size_t)(end - p) + strlen(tag) : strlen(p);
        }
        return 0;
    }
    if (*p == '\'' || *p == '"' || *p == '`')
        close = *p;
    else if (*p == '[' && d == MDM_SQL_SQLITE)
        close = ']';
    if (close == 0)
        return 0;
    size_t i = 1;
    for (; p[i]; i++) {
        if (p[i] == '\\' && d == MDM_SQL_POSTGRESQL && close == '\'' && i >= 2 &&
            (p[-1] == 'E' || p[-1] == 'e'))
            i++;   /* E'..\'..' */
        else if (p[i] == close && p[i + 1] == close && close != ']')
            i++;   /* doubled quote */
        else if (p[i] == close)
            return i + 1;
    }
    return i;
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

/* One `:name` at p (after the colon): appends its literal, *adv = length. */
static mdm_status put_param(const char *p, const mdm_param *params, size_t n, bool *used,
                            mdm_sql_dialect d, mdm_buf *out, size_t *adv, mdm_error *err)
{
    size_t len = 0;
    while (ident_char(p[len]))
        len++;
    long k = find_param(params, n, p, len);
    *adv = len;
    if (k < 0)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "no value for parameter :%.*s", (int)len, p);
    used[k] = true;
    return put_literal(out, &params[k], d, err);
}

mdm_status mdm_app_inline_params(const char *sql, const mdm_param *params, size_t n,
                                 mdm_sql_dialect d, mdm_buf *out, mdm_error *err)
{
    bool *used = calloc(n ? n : 1, sizeof *used);
    mdm_status rc = used != NULL ? check_params(params, n, NULL, err)
                                 : mdm_error_set(err, MDM_ERR_NOMEM, "out of memory");
    const char *p = sql;
    while (rc == MDM_OK && *p) {
        size_t skip = skip_len(p, d), adv = 0;
        if (skip > 0) {
            rc = mdm_buf_append(out, p, skip);
            p += skip;
        } else if (p[0] == ':' && p[1] == ':') {
            rc = mdm_buf_append(out, p, 2);   /* a cast */
            p += 2;
        } else if (p[0] == ':' && ident_start(p[1]) && (p == sql || !ident_char(p[-1]))) {
            rc = put_param(p + 1, params, n, used, d, out, &adv, err);
            p += 1 + adv;
        } else {
            rc = mdm_buf_putc(out, *p++);
        }
    }
    if (rc == MDM_OK)
        rc = check_params(params, n, used, err);
    free(used);
    return rc;
}

/* Only blanks and comments from p on? */
static bool only_trivia(const char *p, mdm_sql_dialect d)
{
    while (*p) {
        if (isspace((unsigned char)*p) || *p == ';') {
            p++;
        } else if ((p[0] == '-' && p[1] == '-') || (p[0] == '/' && p[1] == '*')) {
            p += skip_len(p, d);
        } else {
            return false;
        }
    }
    return true;
}

mdm_status mdm_app_sql_one_statement(const char *sql, mdm_sql_dialect d, mdm_error *err)
{
    for (const char *p = sql; *p;) {
        size_t skip = skip_len(p, d);
        if (skip > 0) {
            p += skip;
        } else if (*p == ';' && !only_trivia(p + 1, d)) {
            return mdm_error_set(err, MDM_ERR_INVALID_ARG,
                                 "more than one SQL statement; mdm runs one at a time");
        } else {
            p++;
        }
    }
    return MDM_OK;
}
