/* SPDX-License-Identifier: MIT */
/*
 * mdm_error.c - status names, the error struct's helpers and the mapping of
 * SQLite result codes and PostgreSQL SQLSTATEs to mdm_status. Keeping the
 * mapping in one place means every backend reports the same kind for the
 * same failure, which is what the harness compares.
 */
#include "mdm_status.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

static const char *const status_names[MDM_STATUS_COUNT] = {
    [MDM_OK] = "ok",
    [MDM_ERR_INVALID_ARG] = "invalid_arg",
    [MDM_ERR_NOMEM] = "nomem",
    [MDM_ERR_IO] = "io",
    [MDM_ERR_PARSE] = "parse",
    [MDM_ERR_NOT_FOUND] = "not_found",
    [MDM_ERR_EXISTS] = "exists",
    [MDM_ERR_SQL] = "sql",
    [MDM_ERR_CONSTRAINT] = "constraint",
    [MDM_ERR_TYPE] = "type",
    [MDM_ERR_CONNECTION] = "connection",
    [MDM_ERR_POOL_EXHAUSTED] = "pool_exhausted",
    [MDM_ERR_TIMEOUT] = "timeout",
    [MDM_ERR_BUSY] = "busy",
    [MDM_ERR_READONLY] = "readonly",
    [MDM_ERR_FULL] = "full",
    [MDM_ERR_CORRUPT] = "corrupt",
    [MDM_ERR_NOT_IMPLEMENTED] = "not_implemented",
    [MDM_ERR_CONFIG] = "config",
    [MDM_ERR_UNSUPPORTED] = "unsupported",
    [MDM_ERR_INTERNAL] = "internal",
};

const char *mdm_status_name(mdm_status code)
{
    if ((unsigned)code >= MDM_STATUS_COUNT)
        return "unknown";
    return status_names[code];
}

void mdm_error_clear(mdm_error *err)
{
    if (err == NULL)
        return;
    err->code = MDM_OK;
    err->vendor_code = 0;
    err->sqlstate[0] = '\0';
    err->message[0] = '\0';
}

mdm_status mdm_error_setv(mdm_error *err, mdm_status code, const char *fmt, va_list ap)
{
    if (err == NULL)
        return code;
    err->code = code;
    err->vendor_code = 0;
    err->sqlstate[0] = '\0';
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    return code;
}

mdm_status mdm_error_set(mdm_error *err, mdm_status code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    mdm_status rc = mdm_error_setv(err, code, fmt, ap);
    va_end(ap);
    return rc;
}

mdm_status mdm_error_prefix(mdm_error *err, const char *fmt, ...)
{
    char head[sizeof err->message];
    char old[sizeof err->message];
    va_list ap;
    if (err == NULL)
        return MDM_OK;
    va_start(ap, fmt);
    vsnprintf(head, sizeof head, fmt, ap);
    va_end(ap);
    memcpy(old, err->message, sizeof old);
    /* Built by hand: snprintf("%s: %s") of two full buffers trips
     * -Wformat-truncation, and truncation is what we want here anyway. */
    size_t cap = sizeof err->message, n = 0;
    for (const char *p = head; *p && n + 1 < cap; p++)
        err->message[n++] = *p;
    for (const char *p = ": "; *p && n + 1 < cap; p++)
        err->message[n++] = *p;
    for (const char *p = old; *p && n + 1 < cap; p++)
        err->message[n++] = *p;
    err->message[n] = '\0';
    return err->code;
}

/* SQLSTATE classes and codes we tell apart; everything else is an SQL error.
 * Specific codes come before their class. */
static const struct {
    const char *prefix;
    mdm_status code;
} sqlstate_map[] = {
    {"42P01", MDM_ERR_NOT_FOUND},  /* undefined_table */
    {"42703", MDM_ERR_NOT_FOUND},  /* undefined_column */
    {"3D000", MDM_ERR_NOT_FOUND},  /* invalid_catalog_name: no such database */
    {"3F000", MDM_ERR_NOT_FOUND},  /* invalid_schema_name */
    {"42P07", MDM_ERR_EXISTS},     /* duplicate_table */
    {"42P04", MDM_ERR_EXISTS},     /* duplicate_database */
    {"42P06", MDM_ERR_EXISTS},     /* duplicate_schema */
    {"42804", MDM_ERR_TYPE},       /* datatype_mismatch */
    {"22P02", MDM_ERR_TYPE},       /* invalid_text_representation */
    {"22003", MDM_ERR_TYPE},       /* numeric_value_out_of_range */
    {"53100", MDM_ERR_FULL},       /* disk_full */
    {"53200", MDM_ERR_NOMEM},      /* out_of_memory */
    {"57014", MDM_ERR_TIMEOUT},    /* query_canceled (statement_timeout) */
    {"57P01", MDM_ERR_CONNECTION}, /* admin_shutdown */
    {"57P02", MDM_ERR_CONNECTION}, /* crash_shutdown */
    {"57P03", MDM_ERR_CONNECTION}, /* cannot_connect_now */
    {"25006", MDM_ERR_READONLY},   /* read_only_sql_transaction */
    {"55P03", MDM_ERR_BUSY},       /* lock_not_available */
    {"40P01", MDM_ERR_BUSY},       /* deadlock_detected */
    {"XX001", MDM_ERR_CORRUPT},    /* data_corrupted */
    {"23", MDM_ERR_CONSTRAINT},    /* integrity_constraint_violation */
    {"08", MDM_ERR_CONNECTION},    /* connection_exception */
    {"28", MDM_ERR_CONNECTION},    /* invalid_authorization_specification */
    {"22", MDM_ERR_TYPE},          /* data_exception */
    {"42", MDM_ERR_SQL},           /* syntax_error_or_access_rule_violation */
};

mdm_status mdm_status_from_sqlstate(const char *sqlstate)
{
    if (sqlstate == NULL || strlen(sqlstate) != 5)
        return MDM_ERR_SQL;
    for (size_t i = 0; i < sizeof sqlstate_map / sizeof sqlstate_map[0]; i++) {
        size_t n = strlen(sqlstate_map[i].prefix);
        if (strncmp(sqlstate, sqlstate_map[i].prefix, n) == 0)
            return sqlstate_map[i].code;
    }
    return MDM_ERR_SQL;
}

mdm_status mdm_status_refine_sqlite(mdm_status code, const char *msg)
{
    if (code != MDM_ERR_SQL || msg == NULL)
        return code;
    if (strstr(msg, "no such table") != NULL || strstr(msg, "no such column") != NULL)
        return MDM_ERR_NOT_FOUND;
    return strstr(msg, "already exists") != NULL ? MDM_ERR_EXISTS : code;
}

mdm_status mdm_status_from_sqlite(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_OK:
    case SQLITE_ROW:
    case SQLITE_DONE:
        return MDM_OK;
    case SQLITE_NOMEM:
        return MDM_ERR_NOMEM;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return MDM_ERR_BUSY;
    case SQLITE_READONLY:
        return MDM_ERR_READONLY;
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
        return MDM_ERR_IO;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        return MDM_ERR_CORRUPT;
    case SQLITE_FULL:
        return MDM_ERR_FULL;
    case SQLITE_CONSTRAINT:
        return MDM_ERR_CONSTRAINT;
    case SQLITE_MISMATCH:
        return MDM_ERR_TYPE;
    case SQLITE_INTERRUPT:
        return MDM_ERR_TIMEOUT;
    case SQLITE_MISUSE:
    case SQLITE_RANGE:
        return MDM_ERR_INVALID_ARG;
    default:
        return MDM_ERR_SQL;
    }
}
