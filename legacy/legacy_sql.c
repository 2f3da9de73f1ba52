/* SPDX-License-Identifier: MIT */
/*
 * legacy_sql.c - the SQL text the original's writer produced through
 * SQLAlchemy: identifiers quoted only when SQLAlchemy's rule says so
 * (reserved word, upper case, or a character outside [a-z0-9_$]), the
 * column types pandas chose, and the CREATE/DROP/INSERT statements. The
 * readers paste names instead; that lives in legacy_backend.c.
 */
#include "legacy_internal.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* SQLAlchemy's reserved words for the SQLite dialect (sorted). */
static const char *const sqlite_reserved[] = {
    "add", "after", "all", "alter", "analyze", "and", "as", "asc", "attach",
    "autoincrement", "before", "begin", "between", "by", "cascade", "case",
    "cast", "check", "collate", "column", "commit", "conflict", "constraint",
    "create", "cross", "current_date", "current_time", "current_timestamp",
    "database", "default", "deferrable", "deferred", "delete", "desc",
    "detach", "distinct", "drop", "each", "else", "end", "escape", "except",
    "exclusive", "exists", "explain", "fail", "false", "for", "foreign",
    "from", "full", "glob", "group", "having", "if", "ignore", "immediate",
    "in", "index", "indexed", "initially", "inner", "insert", "instead",
    "intersect", "into", "is", "isnull", "join", "key", "left", "like",
    "limit", "match", "natural", "not", "notnull", "null", "of", "offset",
    "on", "or", "order", "outer", "plan", "pragma", "primary", "query",
    "raise", "references", "reindex", "rename", "replace", "restrict",
    "right", "rollback", "row", "select", "set", "table", "temp",
    "temporary", "then", "to", "transaction", "trigger", "true", "union",
    "unique", "update", "using", "vacuum", "values", "view", "virtual",
    "when", "where",
};

/* SQLAlchemy's reserved words for the PostgreSQL dialect (sorted). */
static const char *const pg_reserved[] = {
    "all", "analyse", "analyze", "and", "any", "array", "as", "asc",
    "asymmetric", "authorization", "between", "binary", "both", "case",
    "cast", "check", "collate", "column", "constraint", "create", "cross",
    "current_catalog", "current_date", "current_role", "current_schema",
    "current_time", "current_timestamp", "current_user", "default",
    "deferrable", "desc", "distinct", "do", "else", "end", "except", "false",
    "fetch", "for", "foreign", "freeze", "from", "full", "grant", "group",
    "having", "ilike", "in", "initially", "inner", "intersect", "into", "is",
    "isnull", "join", "leading", "left", "like", "limit", "localtime",
    "localtimestamp", "natural", "new", "not", "notnull", "null", "of",
    "off", "offset", "old", "on", "only", "or", "order", "outer", "over",
    "overlaps", "placing", "primary", "references", "returning", "right",
    "select", "session_user", "similar", "some", "symmetric", "table",
    "then", "to", "trailing", "true", "union", "unique", "user", "using",
    "variadic", "verbose", "when", "where", "window", "with",
};

static int cmp_word(const void *key, const void *item)
{
    return strcmp((const char *)key, *(const char *const *)item);
}

static bool is_reserved(mdm_sql_dialect d, const char *lower)
{
    const char *const *words = d == MDM_SQL_SQLITE ? sqlite_reserved : pg_reserved;
    size_t n = d == MDM_SQL_SQLITE ? sizeof sqlite_reserved / sizeof *sqlite_reserved
                                   : sizeof pg_reserved / sizeof *pg_reserved;
    return bsearch(lower, words, n, sizeof *words, cmp_word) != NULL;
}

/* SQLAlchemy's IdentifierPreparer._requires_quotes: a reserved word, a
 * digit or '$' first, a character outside [A-Za-z0-9_$], or any upper
 * case letter. */
static bool requires_quotes(mdm_sql_dialect d, const char *name)
{
    char lower[128];
    size_t n = strlen(name);
    if (n == 0 || isdigit((unsigned char)name[0]) || name[0] == '$')
        return true;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)name[i];
        if (!(isalnum(ch) || ch == '_' || ch == '$') || ch >= 0x80 || isupper(ch))
            return true;
    }
    if (n >= sizeof lower)
        return false;  /* longer than any reserved word */
    for (size_t i = 0; i <= n; i++)
        lower[i] = (char)tolower((unsigned char)name[i]);
    return is_reserved(d, lower);
}

mdm_status legacy__ident(mdm_buf *b, mdm_sql_dialect d, const char *name, mdm_error *err)
{
    if (name == NULL || name[0] == '\0')
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "string index out of range");
    /* SQLAlchemy refused over-long PostgreSQL names in DDL. */
    if (d == MDM_SQL_POSTGRESQL && strlen(name) > MDM_PG_MAX_IDENT)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG,
                             "Identifier '%s' exceeds maximum length of 63 characters", name);
    if (!requires_quotes(d, name))
        return mdm_buf_puts(b, name) == MDM_OK
                   ? MDM_OK : mdm_error_set(err, MDM_ERR_NOMEM, "out of memory");
    mdm_status rc = mdm_buf_putc(b, '"');
    for (const char *p = name; rc == MDM_OK && *p; p++)
        rc = *p == '"' ? mdm_buf_puts(b, "\"\"") : mdm_buf_putc(b, *p);
    if (rc == MDM_OK)
        rc = mdm_buf_putc(b, '"');
    return rc == MDM_OK ? MDM_OK : mdm_error_set(err, MDM_ERR_NOMEM, "out of memory");
}

/* The SQL type pandas' to_sql chose for a frame type (LEGACY.md §5). */
static const char *sql_type(mdm_sql_dialect d, mdm_type t)
{
    static const char *const lite[] = {
        [MDM_INT64] = "BIGINT", [MDM_FLOAT64] = "FLOAT", [MDM_BOOL] = "BOOLEAN",
        [MDM_TEXT] = "TEXT", [MDM_TIMESTAMP] = "DATETIME",
    };
    static const char *const pg[] = {
        [MDM_INT64] = "BIGINT", [MDM_FLOAT64] = "FLOAT(53)", [MDM_BOOL] = "BOOLEAN",
        [MDM_TEXT] = "TEXT", [MDM_TIMESTAMP] = "TIMESTAMP WITHOUT TIME ZONE",
    };
    if ((unsigned)t > MDM_TIMESTAMP)
        return "TEXT";
    return d == MDM_SQL_SQLITE ? lite[t] : pg[t];
}

mdm_status legacy__create_sql(mdm_buf *b, mdm_sql_dialect d, const mdm_table *df,
                              const char *table, mdm_error *err)
{
    /* SQLAlchemy's layout, which SQLite keeps verbatim in sqlite_master. */
    mdm_status rc = mdm_buf_puts(b, "CREATE TABLE ");
    if (rc == MDM_OK)
        rc = legacy__ident(b, d, table, err);
    if (rc == MDM_OK)
        rc = mdm_buf_puts(b, " (");
    for (size_t i = 0; rc == MDM_OK && i < df->ncols; i++) {
        rc = mdm_buf_puts(b, i ? ", \n\t" : "\n\t");
        if (rc == MDM_OK)
            rc = legacy__ident(b, d, df->cols[i].name, err);
        if (rc == MDM_OK)
            rc = mdm_buf_printf(b, " %s", sql_type(d, df->cols[i].type));
    }
    if (rc == MDM_OK)
        rc = mdm_buf_puts(b, "\n)");
    return rc;
}

mdm_status legacy__drop_sql(mdm_buf *b, mdm_sql_dialect d, const char *table, mdm_error *err)
{
    mdm_status rc = mdm_buf_puts(b, "DROP TABLE ");
    return rc == MDM_OK ? legacy__ident(b, d, table, err) : rc;
}

mdm_status legacy__insert_head(mdm_buf *b, mdm_sql_dialect d, const mdm_table *df,
                               const char *table, mdm_error *err)
{
    mdm_status rc = mdm_buf_puts(b, "INSERT INTO ");
    if (rc == MDM_OK)
        rc = legacy__ident(b, d, table, err);
    if (rc == MDM_OK)
        rc = mdm_buf_puts(b, " (");
    for (size_t i = 0; rc == MDM_OK && i < df->ncols; i++) {
        if (i > 0)
            rc = mdm_buf_puts(b, ", ");
        if (rc == MDM_OK)
            rc = legacy__ident(b, d, df->cols[i].name, err);
    }
    if (rc == MDM_OK)
        rc = mdm_buf_puts(b, ") VALUES ");
    return rc;
}

bool legacy__sql_rest_is_empty(const char *p)
{
    /* CPython's sqlite3 check_remaining_sql: whitespace and comments only. */
    while (p != NULL && *p) {
        if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\f') {
            p++;
        } else if (p[0] == '-' && p[1] == '-') {
            p = strchr(p, '\n');
        } else if (p[0] == '/' && p[1] == '*') {
            const char *end = strstr(p + 2, "*/");
            p = end ? end + 2 : NULL;
        } else {
            return false;
        }
    }
    return true;
}

bool legacy__sql_is_dml(const char *sql)
{
    static const char *const verbs[] = {"INSERT", "UPDATE", "DELETE", "REPLACE"};
    while (*sql == ' ' || *sql == '\t' || *sql == '\n' || *sql == '\r')
        sql++;
    for (size_t i = 0; i < sizeof verbs / sizeof *verbs; i++) {
        size_t n = strlen(verbs[i]);
        if (strncasecmp(sql, verbs[i], n) == 0 && !isalnum((unsigned char)sql[n]))
            return true;
    }
    return false;
}
