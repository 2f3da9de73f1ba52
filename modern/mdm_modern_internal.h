/* SPDX-License-Identifier: MIT */
/*
 * mdm_modern_internal.h - helpers shared by the files of modern/ (not part of
 * the public API; tests may include it): the per-connection prepared
 * statement cache, reading typed columns out of a database, named-parameter
 * handling, the monotonic clock, and the if_exists sequence of writes. Names carry the mdm__ prefix.
 */
#ifndef MDM_MODERN_INTERNAL_H
#define MDM_MODERN_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mdm_buf.h"
#include "mdm_conn.h"
#include "mdm_sql.h"
#include "mdm_status.h"
#include "mdm_table.h"

/* ---- Prepared statement cache (one per connection) --------------------- */

/* Frees one cached statement; ctx is the cache's destroy_ctx. */
typedef void (*mdm__stmt_destroy_fn)(void *ctx, void *stmt);

typedef struct mdm__stmt_entry {
    char *key;            /* owned; the SQL text (plus type signature) */
    size_t keylen;
    uint64_t hash;
    void *stmt;           /* owned through destroy */
    uint64_t used;        /* tick of last use, for LRU eviction */
} mdm__stmt_entry;

typedef struct mdm__stmt_cache {
    mdm__stmt_entry *entries;
    size_t count, capacity;
    uint64_t tick, hits, misses, evictions;
    mdm__stmt_destroy_fn destroy;
    void *destroy_ctx;
} mdm__stmt_cache;

/* capacity 0 disables caching (get always misses, put destroys at once
 * is the caller's job: it returns false). */
void mdm__stmt_cache_init(mdm__stmt_cache *c, size_t capacity,
                          mdm__stmt_destroy_fn destroy, void *ctx);
/* Destroys every cached statement and frees the cache's memory. */
void mdm__stmt_cache_reset(mdm__stmt_cache *c);
/* The cached statement for key, or NULL (counted as a hit or a miss). */
void *mdm__stmt_cache_get(mdm__stmt_cache *c, const char *key, size_t keylen);
/* Caches stmt under key (evicting the least recently used entry when full).
 * Returns true when the cache took ownership; false (capacity 0 or no
 * memory) leaves stmt with the caller. */
bool mdm__stmt_cache_put(mdm__stmt_cache *c, const char *key, size_t keylen,
                         void *stmt);
/* Removes and destroys the entry holding stmt, if any. */
void mdm__stmt_cache_drop(mdm__stmt_cache *c, void *stmt);
void mdm__stmt_cache_stats(const mdm__stmt_cache *c, mdm_stmt_cache_stats *out);

/* ---- Typed reads ------------------------------------------------------- */

/* Maps a declared SQL type to the table type it reads as: BOOL(EAN) ->
 * BOOL; DATE, DATETIME, TIMESTAMP... -> TIMESTAMP; *INT* -> INT64; CHAR,
 * CLOB, TEXT -> TEXT; REAL, FLOA*, DOUB* -> FLOAT64. Returns false (and
 * leaves *out) for anything else (NUMERIC, BLOB, none). */
bool mdm__type_from_decl(const char *decl, mdm_type *out);

/*
 * Changes column c of t to type `to` between rows, converting the values it
 * has: INT64 -> FLOAT64, BOOL -> INT64 or FLOAT64, anything -> TEXT
 * (rendered as the database would print it); an all-NULL column converts to
 * any type. Name and decl_type are kept. INVALID_ARG for other pairs.
 */
MDM_NODISCARD mdm_status mdm__table_convert_column(mdm_table *t, size_t c, mdm_type to,
                                                   mdm_error *err);

/* Renders an INT64 in decimal into buf (>= 21 bytes); returns the length. */
size_t mdm__format_int64(int64_t v, char *buf);

/* ---- Named parameters -------------------------------------------------- */

/*
 * Rewrites `:name` parameters to PostgreSQL's `$n` (the same name gets the
 * same number). A parameter is what core's scanner (mdm_sqlscan.h) calls
 * one: never inside string literals ('...', E'...', $tag$...$tag$), quoted
 * identifiers or comments (-- and nested slash-star), never `::` casts or
 * array slices (`a[1:n]`); everything else is copied as it is.
 * names receives the parameter names in $n order. A second statement after
 * a `;` is INVALID_ARG ("only one statement ...").
 */
MDM_NODISCARD mdm_status mdm__pg_rewrite_params(const char *sql, mdm_buf *out,
                                                mdm_strlist *names, mdm_error *err);

/*
 * Matches the names a statement uses against the caller's params: for each
 * of the nnames names, idx[i] is the index of its param. INVALID_ARG when a
 * name has no param ("no value for parameter :x"), a param is unused
 * ("parameter :x is not used by the query"), a param name repeats, or a
 * param has no name.
 */
MDM_NODISCARD mdm_status mdm__match_params(const char *const *names, size_t nnames,
                                           const mdm_param *params, size_t nparams,
                                           size_t *idx, mdm_error *err);

/* ---- Writing a table: the if_exists sequence ---------------------------- */

/*
 * The backend-specific steps of mdm__write_table, one const table per
 * backend. `cols` is the backend's own holder of an existing table's
 * columns (owned and freed by the backend's create_table; filled by
 * `columns` on append only).
 */
typedef struct mdm__write_steps {
    mdm_sql_dialect dialect;
    /* the declared SQL type of a column of this type */
    const char *(*decl)(mdm_type t);
    /* opens a write transaction, or a savepoint inside the caller's */
    mdm_status (*tx_open)(mdm_conn *c, bool *savepoint, mdm_error *err);
    /* commits (rc ok) or rolls back; returns rc, or the commit's failure */
    mdm_status (*tx_close)(mdm_conn *c, bool savepoint, mdm_status rc, mdm_error *err);
    /* runs one statement without results */
    mdm_status (*exec)(mdm_conn *c, const char *sql, mdm_error *err);
    /* loads the existing table's columns into cols */
    mdm_status (*columns)(mdm_conn *c, const char *table, const char *quoted, void *cols,
                          mdm_error *err);
    /* does cols (as loaded by `columns`) have a column of this name? */
    bool (*has_column)(const void *cols, const char *name);
    /* writes every row of data (nrows > 0) into the table; sql is an empty
     * scratch buffer (the caller's), cols as `columns` left it (untouched
     * unless appending) */
    mdm_status (*insert)(mdm_conn *c, mdm_buf *sql, const char *quoted, const char *quoted_cols,
                         const mdm_table *data, const void *cols, mdm_error *err);
} mdm__write_steps;

/*
 * create_table for a backend: in one transaction (or savepoint), checks
 * whether the table exists (the backend's table_exists op); fails (EXISTS, "Table 'x' already exists."),
 * drops it (replace), or checks on append that every column of data is in
 * it (SQL, "table x has no column named y"); creates it when missing; then
 * inserts the rows. Any failure rolls back and its message gets the prefix
 * "Failed to create table x" (unless it has one).
 */
MDM_NODISCARD mdm_status mdm__write_table(mdm_conn *c, const mdm__write_steps *steps,
                                          void *cols, const char *table,
                                          const mdm_table *data, mdm_if_exists mode,
                                          mdm_error *err);

#endif
