/* SPDX-License-Identifier: MIT */
/*
 * mdm_dsn.c - derives per-database PostgreSQL DSNs from a server DSN with
 * libpq's parser, and re-quotes values so that spaces, quotes and
 * backslashes survive.
 */
#include "mdm_dsn.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <string.h>

int mdm_dsn_is_uri(const char *s)
{
    return s != NULL && (strncmp(s, "postgresql://", 13) == 0 || strncmp(s, "postgres://", 11) == 0);
}

/* key='value' with ' and \ escaped, as libpq reads it back. */
static mdm_status put_pair(mdm_buf *b, const char *key, const char *value)
{
    mdm_status rc = mdm_buf_printf(b, "%s%s='", b->len ? " " : "", key);
    for (const char *p = value; rc == MDM_OK && *p; p++) {
        if (*p == '\'' || *p == '\\')
            rc = mdm_buf_putc(b, '\\');
        if (rc == MDM_OK)
            rc = mdm_buf_putc(b, *p);
    }
    return rc == MDM_OK ? mdm_buf_putc(b, '\'') : rc;
}

mdm_status mdm_dsn_append(mdm_buf *dsn, const char *key, const char *value)
{
    return put_pair(dsn, key, value);
}

static PQconninfoOption *parse(const char *dsn, mdm_error *err)
{
    char *msg = NULL;
    PQconninfoOption *opts = PQconninfoParse(dsn, &msg);
    if (opts == NULL) {
        size_t n = msg != NULL ? strlen(msg) : 0;
        while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
            n--;
        mdm_error_set(err, msg != NULL ? MDM_ERR_CONFIG : MDM_ERR_NOMEM,
                      "bad PostgreSQL DSN: %.*s", (int)n, msg != NULL ? msg : "out of memory");
        PQfreemem(msg);
    }
    return opts;
}

mdm_status mdm_dsn_with_dbname(const char *base, const char *dbname, mdm_buf *out,
                               mdm_error *err)
{
    mdm_buf b;
    mdm_status rc = MDM_OK;
    PQconninfoOption *opts = NULL;
    mdm_buf_init(&b);
    if (base != NULL && base[0] != '\0' && (opts = parse(base, err)) == NULL) {
        rc = err != NULL ? err->code : MDM_ERR_CONFIG;
        goto done;
    }
    for (PQconninfoOption *o = opts; rc == MDM_OK && o != NULL && o->keyword != NULL; o++)
        if (o->val != NULL && strcmp(o->keyword, "dbname") != 0)
            rc = put_pair(&b, o->keyword, o->val);
    if (rc == MDM_OK && dbname != NULL)
        rc = put_pair(&b, "dbname", dbname);
    if (rc == MDM_OK)
        rc = mdm_buf_append(out, mdm_buf_str(&b), b.len);
    if (rc != MDM_OK)
        rc = mdm_error_set(err, MDM_ERR_NOMEM, "out of memory");
done:
    PQconninfoFree(opts);
    mdm_buf_reset(&b);
    return rc;
}

const char *mdm_dsn_get(const char *dsn, const char *keyword, char *buf, size_t n)
{
    const char *found = NULL;
    PQconninfoOption *opts = dsn != NULL && dsn[0] ? parse(dsn, NULL) : NULL;
    for (PQconninfoOption *o = opts; o != NULL && o->keyword != NULL; o++) {
        if (o->val != NULL && strcmp(o->keyword, keyword) == 0) {
            snprintf(buf, n, "%s", o->val);
            found = buf;
        }
    }
    PQconninfoFree(opts);
    return found;
}
