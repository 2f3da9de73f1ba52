/* SPDX-License-Identifier: MIT */
/*
 * mdm_sqlscan.h - the one SQL scanner: splits SQL text into tokens (words,
 * string literals, quoted identifiers, comments, `:name` parameters, `::`,
 * `;`, other bytes) the way SQLite or PostgreSQL reads them, and the
 * questions mdm asks of SQL text on top of it: is it a read, does it promise
 * a row order, does a second statement follow. Parameter inlining (app/),
 * `:name` -> `$n` rewriting (modern/) and the harness all walk these tokens,
 * so a `:name`, `;` or `ORDER BY` inside a literal or comment means nothing
 * to any of them. legacy/ keeps its own code.
 */
#ifndef MDM_SQLSCAN_H
#define MDM_SQLSCAN_H

#include <stdbool.h>
#include <stddef.h>

#include "mdm_sql.h"
#include "mdm_status.h"

typedef enum mdm_sqltok_kind {
    MDM_SQLTOK_SPACE = 1,     /* a run of blanks (isspace) */
    MDM_SQLTOK_COMMENT,       /* `-- ...` up to (not including) the line end, or
                                 slash-star ... star-slash (nested on PostgreSQL) */
    MDM_SQLTOK_WORD,          /* a keyword, bare identifier or number: a run of
                                 letters, digits, '_', '$' and bytes >= 0x80
                                 (never starting with '$') */
    MDM_SQLTOK_STRING,        /* '...' with '' inside; PostgreSQL E'...' (the E
                                 included) also takes backslash escapes */
    MDM_SQLTOK_DOLLAR,        /* PostgreSQL $$...$$ or $tag$...$tag$ */
    MDM_SQLTOK_QUOTED_IDENT,  /* "..." with "" inside; SQLite also `...` and [...] */
    MDM_SQLTOK_PARAM,         /* :name (see below) */
    MDM_SQLTOK_CAST,          /* :: */
    MDM_SQLTOK_SEMICOLON,     /* ; */
    MDM_SQLTOK_OTHER          /* any other single byte: operators, ( ) [ ] , . $ ? @ */
} mdm_sqltok_kind;

/*
 * One token: text[0..len) of the scanned SQL (borrowed: valid as long as
 * the SQL text is). The tokens of a text, laid end to end, are the text.
 * A string, quoted identifier, dollar quote or block comment that is not
 * closed runs to the end of the text and has `unterminated` set (the
 * server reports it; the scanner only has to not read past it).
 *
 * A parameter is `:` followed by a letter, '_' or a byte >= 0x80, then
 * letters, digits, '_' and bytes >= 0x80; its name is text + 1, len - 1.
 * Not parameters: `::` (a cast), `:9`, `:=`, and on PostgreSQL a `:` inside
 * square brackets right after an operand, which is an array slice
 * (`a[1:n]`, `a[lo:hi]`; `a[:n]` stays the parameter n). SQLite's other
 * spellings (`?`, `?1`, `@name`, `$name`) are not recognised: mdm's
 * parameters are `:name` on both backends.
 */
typedef struct mdm_sqltok {
    mdm_sqltok_kind kind;
    const char *text;
    size_t len;
    bool unterminated;
} mdm_sqltok;

/* Scanner state: a caller-owned value, no allocation, nothing to free. */
typedef struct mdm_sqlscan {
    const char *p;            /* next byte to read */
    mdm_sql_dialect dialect;
    size_t brackets;          /* PostgreSQL: open [ without their ] */
    bool after_operand;       /* the last token that was not blank or comment ends
                                 an operand (word, literal, parameter, ')' or ']') */
} mdm_sqlscan;

/* Starts scanning the NUL-terminated sql (borrowed; NULL reads as ""). */
void mdm_sqlscan_init(mdm_sqlscan *s, const char *sql, mdm_sql_dialect d);

/* Stores the next token in *t and returns true, or returns false at the
 * end of the text. */
bool mdm_sqlscan_next(mdm_sqlscan *s, mdm_sqltok *t);

/* True when t is a word equal to kw, ignoring ASCII case. */
bool mdm_sqltok_is_word(const mdm_sqltok *t, const char *kw);

/*
 * True when the statement reads: its first word (after blanks, comments and
 * opening parentheses) is SELECT, WITH, VALUES, EXPLAIN, SHOW or TABLE.
 * NULL is not a read.
 */
bool mdm_sql_is_read(const char *sql, mdm_sql_dialect d);

/* True when the words ORDER BY (blanks and comments between them allowed)
 * occur outside literals, quoted identifiers and comments. */
bool mdm_sql_has_order_by(const char *sql, mdm_sql_dialect d);

/*
 * Where a second statement starts: the first token after a `;` that is not
 * a blank, a comment or another `;`, or NULL when the text holds at most
 * one statement (a trailing `;` and comments after it are allowed).
 */
const char *mdm_sql_second_statement(const char *sql, mdm_sql_dialect d);

/*
 * What `query` may run on SQLite, the one rule both implementations follow
 * (the stores check the text before either runs it; modern's SQLite
 * connections enforce the same rule again with an authorizer). Refused,
 * with UNSUPPORTED and a message naming the statement kind:
 *  - ATTACH and DETACH: another database file, created wherever the
 *    process may write;
 *  - VACUUM: INTO writes a copy of the dataset to any path; in place it
 *    rewrites the whole file under an exclusive lock and needs as much
 *    free disk again (PostgreSQL's VACUUM cannot run in query's
 *    transaction either);
 *  - a PRAGMA that sets something (`PRAGMA x = v`, `PRAGMA x(v)`), such as
 *    writable_schema, journal_mode or schema_version, unless
 *    mdm_sql_pragma_reads() says it only reads.
 * An EXPLAIN or EXPLAIN QUERY PLAN prefix is looked through. Only the first
 * statement is looked at (the stores refuse a second one). NULL passes
 * (the caller reports a missing statement).
 */
MDM_NODISCARD mdm_status mdm_sql_check_sqlite_query(const char *sql, mdm_error *err);

/* Does `PRAGMA name` only read? Without an argument every pragma reads (or
 * does harmless upkeep); with one, only the ones that take a table, index
 * or limit to report on (table_info, index_list, integrity_check, ...).
 * name: the pragma's name without schema or quotes, any case. */
bool mdm_sql_pragma_reads(const char *name, size_t len, bool has_arg);

#endif
