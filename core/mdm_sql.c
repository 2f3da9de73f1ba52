/* SPDX-License-Identifier: MIT */
/*
 * mdm_sql.c - identifier checks and quoting for SQLite and PostgreSQL, and
 * the UTF-8 validator they (and the CSV reader) rely on. Quoting wraps the
 * name in double quotes and doubles inner quotes, so no name can end the
 * identifier early, whatever it contains.
 */
#include "mdm_sql.h"

#include <stdlib.h>
#include <string.h>

bool mdm_utf8_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        unsigned char c = p[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t n;
        unsigned cp;
        if (c >= 0xC2 && c <= 0xDF) {
            n = 1; cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            n = 2; cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 3; cp = c & 0x07;
        } else {
            return false;  /* continuation byte, overlong lead, or > U+10FFFF */
        }
        if (len - i <= n)  /* truncated sequence */
            return false;
        for (size_t k = 1; k <= n; k++) {
            if ((p[i + k] & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (p[i + k] & 0x3F);
        }
        if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10FFFF ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += n + 1;
    }
    return true;
}

mdm_status mdm_sql_check_ident(mdm_sql_dialect d, const char *name, mdm_error *err)
{
    if (name == NULL)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "identifier is missing");
    size_t len = strlen(name);
    if (len == 0)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "identifier is empty");
    if (!mdm_utf8_valid(name, len))
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "identifier is not valid UTF-8");
    if (d == MDM_SQL_POSTGRESQL && len > MDM_PG_MAX_IDENT)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG,
                             "identifier '%.40s...' is %zu bytes; PostgreSQL allows at most %d",
                             name, len, MDM_PG_MAX_IDENT);
    return MDM_OK;
}

mdm_status mdm_sql_quote_ident(mdm_buf *b, mdm_sql_dialect d, const char *name, mdm_error *err)
{
    mdm_status rc = mdm_sql_check_ident(d, name, err);
    if (rc != MDM_OK)
        return rc;
    size_t len = strlen(name);
    if (mdm_buf_reserve(b, 2 * len + 2) != MDM_OK)
        return mdm_error_set(err, MDM_ERR_NOMEM, "out of memory quoting an identifier");
    b->data[b->len++] = '"';
    for (size_t i = 0; i < len; i++) {
        if (name[i] == '"')
            b->data[b->len++] = '"';
        b->data[b->len++] = name[i];
    }
    b->data[b->len++] = '"';
    b->data[b->len] = '\0';
    return MDM_OK;
}

char *mdm_sql_quote_ident_dup(mdm_sql_dialect d, const char *name, mdm_error *err)
{
    mdm_buf b;
    mdm_buf_init(&b);
    if (mdm_sql_quote_ident(&b, d, name, err) != MDM_OK) {
        mdm_buf_reset(&b);
        return NULL;
    }
    return mdm_buf_steal(&b);
}
