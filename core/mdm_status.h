/* SPDX-License-Identifier: MIT */
/*
 * mdm_status.h - status codes and the error struct every part of mdm uses.
 *
 * Functions return an mdm_status and, when given one, fill a caller-owned
 * mdm_error with the kind, the SQLSTATE where known and a message. The struct
 * is fixed-size: it needs no release and stays valid after the call.
 */
#ifndef MDM_STATUS_H
#define MDM_STATUS_H

#include <stdarg.h>

#if defined(__GNUC__)
#define MDM_NODISCARD __attribute__((warn_unused_result))
#define MDM_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define MDM_NODISCARD
#define MDM_PRINTF(f, a)
#endif

/* Kinds of failure. The harness compares errors by kind, so keep these
 * stable; mdm_status_name() gives each a fixed lowercase name. */
typedef enum mdm_status {
    MDM_OK = 0,
    MDM_ERR_INVALID_ARG,     /* the caller passed something unusable */
    MDM_ERR_NOMEM,           /* allocation failed */
    MDM_ERR_IO,              /* a file could not be read or written */
    MDM_ERR_PARSE,           /* malformed CSV, YAML, scenario, ... */
    MDM_ERR_NOT_FOUND,       /* table, column, dataset or file missing */
    MDM_ERR_EXISTS,          /* target already exists (if_exists=fail) */
    MDM_ERR_SQL,             /* syntax error or other statement failure */
    MDM_ERR_CONSTRAINT,      /* integrity violation (SQLSTATE class 23) */
    MDM_ERR_TYPE,            /* a value does not fit the column's type */
    MDM_ERR_CONNECTION,      /* cannot connect, or the connection died */
    MDM_ERR_POOL_EXHAUSTED,  /* no connection free within the timeout */
    MDM_ERR_TIMEOUT,         /* an operation ran out of time */
    MDM_ERR_BUSY,            /* database locked by someone else */
    MDM_ERR_READONLY,        /* database or file is read-only */
    MDM_ERR_FULL,            /* disk or database full */
    MDM_ERR_CORRUPT,         /* file is not a database or is damaged */
    MDM_ERR_NOT_IMPLEMENTED, /* optional backend slot not provided */
    MDM_ERR_CONFIG,          /* bad configuration value or key */
    MDM_ERR_UNSUPPORTED,     /* valid request this build cannot serve */
    MDM_ERR_INTERNAL         /* a bug: an invariant did not hold */
} mdm_status;

#define MDM_STATUS_COUNT (MDM_ERR_INTERNAL + 1)

typedef struct mdm_error {
    mdm_status code;
    int vendor_code;      /* SQLite extended result code, or 0 */
    char sqlstate[6];     /* PostgreSQL SQLSTATE, "" when unknown */
    char message[512];
} mdm_error;

/* Stable lowercase name of a status ("not_found", "exists", ...). */
const char *mdm_status_name(mdm_status code);

/* Clears err (code MDM_OK, empty strings). err may be NULL. */
void mdm_error_clear(mdm_error *err);

/* Sets code and a printf-style message (truncated to fit); returns code so
 * callers can write `return mdm_error_set(err, MDM_ERR_IO, ...)`.
 * err may be NULL, in which case only the code is returned. */
mdm_status mdm_error_set(mdm_error *err, mdm_status code, const char *fmt, ...)
    MDM_PRINTF(3, 4);
mdm_status mdm_error_setv(mdm_error *err, mdm_status code, const char *fmt,
                          va_list ap) MDM_PRINTF(3, 0);

/* Prepends context to an existing message: "<context>: <old message>".
 * Keeps code, sqlstate and vendor_code. Returns err->code (MDM_OK if NULL). */
mdm_status mdm_error_prefix(mdm_error *err, const char *fmt, ...)
    MDM_PRINTF(2, 3);

/* Maps a PostgreSQL SQLSTATE (5 chars) to a status: 42P01 -> NOT_FOUND,
 * 42P07 -> EXISTS, class 23 -> CONSTRAINT, class 08 -> CONNECTION, ... */
mdm_status mdm_status_from_sqlstate(const char *sqlstate);

/* Maps an SQLite (extended) result code to a status. */
mdm_status mdm_status_from_sqlite(int rc);

/* SQLite gives one code (SQLITE_ERROR) for every SQL error; its message
 * tells more. An MDM_ERR_SQL whose msg names a missing table or column
 * ("no such table", "no such column") becomes NOT_FOUND, one that says
 * "already exists" (table, index, view, trigger) EXISTS; any other code
 * is returned as it is. The one place mdm reads SQLite's messages. */
mdm_status mdm_status_refine_sqlite(mdm_status code, const char *msg);

#endif
