/* SPDX-License-Identifier: MIT */
/*
 * cmp_pg.c - libpq helpers of the harness: DSN parsing and rewriting, and
 * the per-cell databases (created by the child before a cell runs, dropped
 * by the parent after it ends, whatever happened in between).
 */
#include "cmp_pg.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *dup_or_null(const char *s)
{
    return (s != NULL && s[0] != '\0') ? strdup(s) : NULL;
}

void mdm_cmp_pg_params_reset(mdm_cmp_pg_params *p)
{
    free(p->host);
    free(p->port);
    free(p->user);
    free(p->password);
    free(p->sslmode);
    memset(p, 0, sizeof *p);
}

mdm_status mdm_cmp_pg_params_parse(const char *dsn, mdm_cmp_pg_params *out, mdm_error *err)
{
    char *msg = NULL;
    PQconninfoOption *opts = PQconninfoParse(dsn ? dsn : "", &msg);
    if (opts == NULL) {
        mdm_status rc = mdm_error_set(err, MDM_ERR_CONFIG, "bad PostgreSQL DSN: %s",
                                      msg ? msg : "out of memory");
        PQfreemem(msg);
        return rc;
    }
    memset(out, 0, sizeof *out);
    for (PQconninfoOption *o = opts; o->keyword != NULL; o++) {
        char **slot = strcmp(o->keyword, "host") == 0       ? &out->host
                      : strcmp(o->keyword, "port") == 0     ? &out->port
                      : strcmp(o->keyword, "user") == 0     ? &out->user
                      : strcmp(o->keyword, "password") == 0 ? &out->password
                      : strcmp(o->keyword, "sslmode") == 0  ? &out->sslmode
                                                            : NULL;
        if (slot != NULL)
            *slot = dup_or_null(o->val);
    }
    PQconninfoFree(opts);
    return MDM_OK;
}

/* key='value' with \ and ' escaped, as libpq's conninfo wants. */
static mdm_status put_kv(mdm_buf *b, const char *k, const char *v, mdm_error *err)
{
    mdm_status rc = mdm_buf_printf(b, "%s%s='", b->len ? " " : "", k);
    for (const char *p = v; *p && rc == MDM_OK; p++) {
        if (*p == '\\' || *p == '\'')
            rc = mdm_buf_putc(b, '\\');
        if (rc == MDM_OK)
            rc = mdm_buf_putc(b, *p);
    }
    if (rc == MDM_OK)
        rc = mdm_buf_putc(b, '\'');
    return rc != MDM_OK ? mdm_error_set(err, rc, "out of memory") : MDM_OK;
}

mdm_status mdm_cmp_pg_dsn_for(const char *dsn, const char *dbname, mdm_buf *out, mdm_error *err)
{
    char *msg = NULL;
    mdm_status rc = MDM_OK;
    PQconninfoOption *opts = PQconninfoParse(dsn ? dsn : "", &msg);
    if (opts == NULL) {
        rc = mdm_error_set(err, MDM_ERR_CONFIG, "bad PostgreSQL DSN: %s", msg ? msg : "");
        PQfreemem(msg);
        return rc;
    }
    for (PQconninfoOption *o = opts; o->keyword != NULL && rc == MDM_OK; o++)
        if (o->val != NULL && o->val[0] != '\0' && strcmp(o->keyword, "dbname") != 0)
            rc = put_kv(out, o->keyword, o->val, err);
    if (rc == MDM_OK)
        rc = put_kv(out, "dbname", dbname, err);
    PQconninfoFree(opts);
    return rc;
}

static PGconn *connect_or_fail(const char *dsn, mdm_error *err)
{
    PGconn *c = PQconnectdb(dsn ? dsn : "");
    if (c != NULL && PQstatus(c) == CONNECTION_OK)
        return c;
    (void)mdm_error_set(err, MDM_ERR_CONNECTION, "PostgreSQL: %s",
                        c ? PQerrorMessage(c) : "out of memory");
    PQfinish(c);
    return NULL;
}

mdm_status mdm_cmp_pg_exec(const char *dsn, const char *sql, mdm_error *err)
{
    mdm_status rc = MDM_OK;
    PGconn *c = connect_or_fail(dsn, err);
    if (c == NULL)
        return MDM_ERR_CONNECTION;
    PGresult *r = PQexec(c, sql);
    ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
        rc = mdm_error_set(err, MDM_ERR_SQL, "%s: %s", sql, PQerrorMessage(c));
    PQclear(r);
    PQfinish(c);
    return rc;
}

static mdm_status db_statement(const char *dsn, const char *fmt, const char *name, mdm_error *err)
{
    char sql[256];
    for (const char *p = name; *p; p++)
        if (*p == '"')
            return mdm_error_set(err, MDM_ERR_INVALID_ARG, "bad database name %s", name);
    snprintf(sql, sizeof sql, fmt, name);
    return mdm_cmp_pg_exec(dsn, sql, err);
}

mdm_status mdm_cmp_pg_create_db(const char *dsn, const char *name, mdm_error *err)
{
    return db_statement(dsn, "CREATE DATABASE \"%s\"", name, err);
}

mdm_status mdm_cmp_pg_drop_db(const char *dsn, const char *name, mdm_error *err)
{
    return db_statement(dsn, "DROP DATABASE IF EXISTS \"%s\" WITH (FORCE)", name, err);
}

mdm_status mdm_cmp_pg_ping(const char *dsn, char *buf, size_t n, mdm_error *err)
{
    PGconn *c = connect_or_fail(dsn, err);
    if (c == NULL)
        return MDM_ERR_CONNECTION;
    const char *v = PQparameterStatus(c, "server_version");
    snprintf(buf, n, "%s", v ? v : "?");
    PQfinish(c);
    return MDM_OK;
}
