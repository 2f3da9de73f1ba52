/* SPDX-License-Identifier: MIT */
/*
 * mdm_sqlparams.h - named parameters for the legacy path. Legacy's
 * query(sql) binds nothing, so the legacy store writes each `:name` as a quoted SQL
 * literal of its value (text with quotes doubled, numbers in full
 * precision, NULL). A `:name` is what core's scanner (mdm_sqlscan.h) calls
 * a parameter, the same rule modern's PostgreSQL rewriter follows: not in
 * literals, quoted identifiers or comments, not `::` casts, not array
 * slices. As in modern, every `:name` needs a parameter and every
 * parameter must be used.
 */
#ifndef MDM_SQLPARAMS_H
#define MDM_SQLPARAMS_H

#include <stddef.h>

#include "mdm_buf.h"
#include "mdm_conn.h"
#include "mdm_sql.h"
#include "mdm_status.h"

/*
 * Appends sql to out with every `:name` replaced by params' literal.
 * INVALID_ARG naming a parameter that is missing, unused, or given twice,
 * or a value with no literal form (a NUL byte, a non-finite float).
 */
MDM_NODISCARD mdm_status mdm_sqlparams_inline(const char *sql, const mdm_param *params,
                                               size_t n, mdm_sql_dialect d, mdm_buf *out,
                                               mdm_error *err);

/*
 * INVALID_ARG unless sql holds one statement: nothing but blanks and
 * comments after a `;` outside quotes and comments. Legacy's PostgreSQL
 * path sends text as it is (libpq runs every statement in it), so the app
 * checks before handing SQL to legacy.
 */
MDM_NODISCARD mdm_status mdm_sqlparams_one_statement(const char *sql, mdm_sql_dialect d,
                                                   mdm_error *err);

#endif
