/* SPDX-License-Identifier: MIT */
/*
 * mdm_sql.h - SQL identifier quoting for SQLite and PostgreSQL.
 *
 * Every name that enters SQL text goes through here: it is wrapped in double
 * quotes with inner quotes doubled (the rule of SQLite's %w and libpq's
 * PQescapeIdentifier). Values are never pasted into SQL; they are bound.
 */
#ifndef MDM_SQL_H
#define MDM_SQL_H

#include <stdbool.h>
#include <stddef.h>

#include "mdm_buf.h"
#include "mdm_status.h"

typedef enum mdm_sql_dialect {
    MDM_SQL_SQLITE = 0,
    MDM_SQL_POSTGRESQL
} mdm_sql_dialect;

/* PostgreSQL silently truncates identifiers to NAMEDATALEN-1 bytes; we
 * refuse longer ones instead, so two long names can never collide. */
#define MDM_PG_MAX_IDENT 63

/*
 * Checks that `name` can be used as an identifier in this dialect: not
 * NULL, not empty, valid UTF-8, and (PostgreSQL) at most 63 bytes.
 * Returns INVALID_ARG with a message naming the identifier otherwise.
 */
MDM_NODISCARD mdm_status mdm_sql_check_ident(mdm_sql_dialect d, const char *name,
                                             mdm_error *err);

/* Appends the quoted identifier to b after mdm_sql_check_ident(). */
MDM_NODISCARD mdm_status mdm_sql_quote_ident(mdm_buf *b, mdm_sql_dialect d,
                                             const char *name, mdm_error *err);

/* Returns a newly allocated quoted identifier (caller frees with free()),
 * or NULL with err set. */
char *mdm_sql_quote_ident_dup(mdm_sql_dialect d, const char *name, mdm_error *err);

/* True when s[0..len) is valid UTF-8 (no overlongs, no surrogates). */
bool mdm_utf8_valid(const char *s, size_t len);

#endif
