/* SPDX-License-Identifier: MIT */
/*
 * mdm_values.h - the small caller-owned value types every layer passes
 * around: what a write does when the table exists, read options, typed
 * query parameters, string lists and table info. Both implementations,
 * the adapter and the program use them, so they live in core/; nothing
 * here touches a database.
 */
#ifndef MDM_VALUES_H
#define MDM_VALUES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mdm_status.h"
#include "mdm_table.h"

/* What create_table does when the table exists. */
typedef enum mdm_if_exists {
    MDM_IF_EXISTS_FAIL = 0,   /* EXISTS error: "Table 'X' already exists." */
    MDM_IF_EXISTS_REPLACE,    /* atomic: the old table survives any failure */
    MDM_IF_EXISTS_APPEND      /* keep the schema; a missing table is created */
} mdm_if_exists;

/* "fail", "replace", "append". */
const char *mdm_if_exists_name(mdm_if_exists mode);
/* Parses "fail" | "replace" | "append"; INVALID_ARG naming the text otherwise. */
MDM_NODISCARD mdm_status mdm_if_exists_parse(const char *s, mdm_if_exists *out,
                                             mdm_error *err);

#define MDM_READ_OPTS_VERSION 1

/* Options of read_table. */
typedef struct mdm_read_opts {
    unsigned version;                /* MDM_READ_OPTS_VERSION */
    const char *const *columns;      /* borrowed; NULL (or ncolumns 0) = all,
                                        in table order; else this order */
    size_t ncolumns;
    bool has_limit;                  /* false: every row */
    int64_t limit;                   /* with has_limit: >= 0; 0 = zero rows
                                        (schema only); < 0 is INVALID_ARG */
    const mdm_row_sink *sink;        /* borrowed; NULL: every row in the output
                                        table; else rows may be handed over in
                                        chunks as they come (mdm_row_sink) */
} mdm_read_opts;

#define MDM_READ_OPTS_INIT { MDM_READ_OPTS_VERSION, NULL, 0, false, 0, NULL }

/* A typed value for a query parameter. TEXT is borrowed (s, len bytes, no
 * NUL inside); TIMESTAMP is microseconds since 1970 like mdm_table. */
typedef struct mdm_value {
    mdm_type type;
    bool is_null;
    union {
        int64_t i64;      /* INT64, TIMESTAMP */
        double f64;       /* FLOAT64 */
        bool b;           /* BOOL */
        struct { const char *s; size_t len; } text;   /* TEXT */
    } v;
} mdm_value;

/* A named parameter: `name` without the colon; the SQL uses `:name`.
 * Every `:name` in the SQL must have exactly one parameter, and every
 * parameter must be used (INVALID_ARG otherwise). */
typedef struct mdm_param {
    const char *name;     /* borrowed */
    mdm_value value;
} mdm_param;

/* Convenience constructors (no allocation; strings stay borrowed). */
static inline mdm_param mdm_param_int64(const char *name, int64_t v)
{ mdm_param p = { name, { MDM_INT64, false, { .i64 = v } } }; return p; }
static inline mdm_param mdm_param_float64(const char *name, double v)
{ mdm_param p = { name, { MDM_FLOAT64, false, { .f64 = v } } }; return p; }
static inline mdm_param mdm_param_bool(const char *name, bool v)
{ mdm_param p = { name, { MDM_BOOL, false, { .b = v } } }; return p; }
static inline mdm_param mdm_param_timestamp(const char *name, int64_t micros)
{ mdm_param p = { name, { MDM_TIMESTAMP, false, { .i64 = micros } } }; return p; }
mdm_param mdm_param_text(const char *name, const char *s);   /* strlen(s) */
static inline mdm_param mdm_param_textn(const char *name, const char *s, size_t len)
{ mdm_param p = { name, { MDM_TEXT, false, { .text = { s, len } } } }; return p; }
/* A NULL of the given type (the type only guides PostgreSQL's inference). */
static inline mdm_param mdm_param_null(const char *name, mdm_type type)
{ mdm_param p = { name, { type, true, { .i64 = 0 } } }; return p; }

/* A list of owned strings (table names, backend names). */
typedef struct mdm_strlist {
    char **items;         /* count entries, each owned */
    size_t count;
} mdm_strlist;

void mdm_strlist_init(mdm_strlist *l);
void mdm_strlist_reset(mdm_strlist *l);              /* NULL is a no-op */
/* Appends a copy of s. NOMEM on failure. */
MDM_NODISCARD mdm_status mdm_strlist_push(mdm_strlist *l, const char *s, mdm_error *err);
/* Sorts the items by strcmp. */
void mdm_strlist_sort(mdm_strlist *l);

/* One column of a stored table. */
typedef struct mdm_column_info {
    char *name;           /* owned */
    char *decl_type;      /* owned; the declared SQL type ("BIGINT", ...) */
    mdm_type type;        /* what read_table returns for it */
} mdm_column_info;

/* table_info's answer (LEGACY.md section 7: name, columns, row_count,
 * column_count). Caller-owned: init, then reset to free. */
typedef struct mdm_table_info {
    char *name;                /* owned */
    mdm_column_info *columns;  /* ncolumns entries, owned */
    size_t ncolumns;
    int64_t row_count;
} mdm_table_info;

void mdm_table_info_init(mdm_table_info *ti);
void mdm_table_info_reset(mdm_table_info *ti);       /* NULL is a no-op */

/* ---- Connection pool settings (modern/mdm_pool.h makes pools of them) ---- */

#define MDM_POOL_OPTS_VERSION 1

typedef struct mdm_pool_opts {
    unsigned version;     /* MDM_POOL_OPTS_VERSION */
    int pool_size;        /* connections kept open when idle (>= 0) */
    int max_overflow;     /* more connections allowed under load (>= 0);
                             pool_size + max_overflow must be >= 1 */
    double timeout_s;     /* wait this long for a free connection, then
                             POOL_EXHAUSTED (0: fail at once) */
    bool pre_ping;        /* ping at checkout; a dead one is replaced */
    double recycle_s;     /* replace connections older than this at
                             checkout; < 0 never */
    bool reset_on_return; /* roll back an open transaction on release */
} mdm_pool_opts;

/* Defaults: the seed's pool_config (5, 10, pre_ping, recycle 3600) and the
 * 30 s timeout legacy used. */
#define MDM_POOL_OPTS_INIT { MDM_POOL_OPTS_VERSION, 5, 10, 30.0, true, 3600.0, true }

#endif
