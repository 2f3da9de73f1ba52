/* SPDX-License-Identifier: MIT */
/*
 * legacy_internal.h - what the files of legacy/ share and nobody else sees:
 * the backend and engine structs, the per-type operations table, the old
 * configuration, the read cache and the frame builder that emulates
 * pandas' dtype inference. Cross-file helpers are named legacy__x.
 */
#ifndef LEGACY_INTERNAL_H
#define LEGACY_INTERNAL_H

#include <libpq-fe.h>
#include <sqlite3.h>

#include "legacy_db.h"
#include "mdm_sql.h"

typedef enum legacy_kind {
    LEGACY_SQLITE = 0,
    LEGACY_POSTGRESQL,
    LEGACY_KIND_COUNT
} legacy_kind;

/* if_exists of to_sql. */
typedef enum legacy_if_exists {
    LEGACY_IF_FAIL = 0,
    LEGACY_IF_REPLACE,
    LEGACY_IF_APPEND
} legacy_if_exists;

struct legacy_engine {
    legacy_backend *backend;
    char *url;          /* the path or URL get_engine() was given */
    char *target;       /* SQLite: file path; PostgreSQL: libpq URL */
    sqlite3 *db;        /* open SQLite handle, or NULL */
    PGconn *pg;         /* open PostgreSQL connection, or NULL */
    legacy_engine *next;/* every engine the backend made, for cleanup */
};

/* The old configuration, copied out of the config tree (LEGACY.md §2). */
typedef struct legacy_config {
    char *sqlite_path, *journal_mode, *synchronous, *cache_size, *mmap_size;
    char *temp_store;
    char *host, *port, *user, *password, *sslmode, *database_prefix;
    int pool_size, max_overflow, pool_recycle;
    double pool_timeout;
} legacy_config;

typedef struct legacy_cache_entry {
    char *key;
    mdm_table frame;
    size_t bytes;
    double expires;     /* legacy__now() value after which it is stale */
    uint64_t used;      /* LRU tick of the last get or set */
} legacy_cache_entry;

/* The read cache: TTL 300 s, LRU bounded by bytes. */
typedef struct legacy_cache {
    legacy_cache_entry *items;
    size_t count, cap;
    size_t bytes, max_bytes;
    uint64_t tick;
    uint64_t hits, misses, evictions;
} legacy_cache;

/* What differs between SQLite and PostgreSQL. Every function takes the
 * engine it works on; connect() opens the handle when it is closed. */
typedef struct legacy_ops {
    const char *name;
    mdm_sql_dialect dialect;
    /* Turns get_engine's path into what connect() opens (copied, malloc). */
    mdm_status (*target)(legacy_backend *b, const char *path, char **out, mdm_error *err);
    mdm_status (*connect)(legacy_engine *e, mdm_error *err);
    void (*disconnect)(legacy_engine *e);
    /* pandas read_sql_query: rows as a frame, types inferred. */
    mdm_status (*read_sql)(legacy_engine *e, const char *sql, mdm_table *out, mdm_error *err);
    /* execute + fetchall, committing DML. */
    mdm_status (*execute)(legacy_engine *e, const char *sql, mdm_table *out, mdm_error *err);
    /* pandas' has_table (SQLite: case-insensitive; PostgreSQL: exact). */
    mdm_status (*has_table)(legacy_engine *e, const char *table, bool *out, mdm_error *err);
    /* Runs one DDL statement outside any transaction (autocommit). */
    mdm_status (*exec_ddl)(legacy_engine *e, const char *sql, mdm_error *err);
    /* Inserts every row of df, in one transaction. */
    mdm_status (*insert)(legacy_engine *e, const mdm_table *df, const char *table, mdm_error *err);
    mdm_status (*table_names)(legacy_engine *e, legacy_names *out, mdm_error *err);
    mdm_status (*columns)(legacy_engine *e, const char *table, legacy_table_info *out, mdm_error *err);
    mdm_status (*db_exists)(legacy_backend *b, const char *path, bool *out, mdm_error *err);
    mdm_status (*db_create)(legacy_backend *b, const char *path, mdm_error *err);
    mdm_status (*db_drop)(legacy_backend *b, const char *path, mdm_error *err);
} legacy_ops;

struct legacy_backend {
    legacy_kind kind;
    const legacy_ops *ops;
    legacy_config cfg;
    legacy_engine *engine;   /* the cached engine (the quirk of §1) */
    legacy_engine *engines;  /* every engine made since the last reset */
    legacy_cache cache;
};

/* ---- legacy_singleton.c: the only mutable file-scope state ---- */
legacy_backend **legacy__slot(legacy_kind kind);
double legacy__now(void);

/* ---- legacy_backend.c ---- */
void legacy__backend_free(legacy_backend *b);

/* ---- legacy_config.c ---- */
void legacy__config_defaults(legacy_kind kind, legacy_config *c);
void legacy__config_free(legacy_config *c);
mdm_status legacy__config_load(legacy_kind kind, const mdm_conf_node *config,
                               legacy_config *out, mdm_error *err);
/* PRAGMA temp_store value of a configured name: DEFAULT/FILE/MEMORY -> 0/1/2,
 * anything else 2. */
int legacy__temp_store_value(const char *name);

/* ---- legacy_cache.c ---- */
void legacy__cache_init(legacy_cache *c, size_t max_bytes);
void legacy__cache_free(legacy_cache *c);
/* Copies a live entry into out (reset first). Returns true on a hit. */
bool legacy__cache_get(legacy_cache *c, const char *key, mdm_table *out, mdm_error *err,
                       mdm_status *rc);
/* Stores a copy of frame for ttl seconds; evicts LRU entries to fit. */
mdm_status legacy__cache_set(legacy_cache *c, const char *key, const mdm_table *frame,
                             double ttl, mdm_error *err);

/* ---- legacy_frame.c: read_sql_query's dtype inference ---- */
typedef enum legacy_vkind {
    LEGACY_V_NULL = 0,
    LEGACY_V_INT,
    LEGACY_V_FLOAT,
    LEGACY_V_BOOL,
    LEGACY_V_TEXT,
    LEGACY_V_TS
} legacy_vkind;

typedef struct legacy_colbuf legacy_colbuf;
typedef struct legacy_frame_builder {
    size_t ncols, nrows, cap;
    legacy_colbuf *cols;
} legacy_frame_builder;

mdm_status legacy__fb_init(legacy_frame_builder *fb, size_t ncols, mdm_error *err);
void legacy__fb_free(legacy_frame_builder *fb);
mdm_status legacy__fb_set_column(legacy_frame_builder *fb, size_t col, const char *name,
                                 const char *decl, mdm_error *err);
/* Starts a row: makes room for one more value in every column. */
mdm_status legacy__fb_begin_row(legacy_frame_builder *fb, mdm_error *err);
void legacy__fb_null(legacy_frame_builder *fb, size_t col);
void legacy__fb_int(legacy_frame_builder *fb, size_t col, int64_t v);
void legacy__fb_float(legacy_frame_builder *fb, size_t col, double v);
void legacy__fb_bool(legacy_frame_builder *fb, size_t col, bool v);
void legacy__fb_ts(legacy_frame_builder *fb, size_t col, int64_t micros);
mdm_status legacy__fb_text(legacy_frame_builder *fb, size_t col, const char *s, size_t len,
                           mdm_error *err);
void legacy__fb_end_row(legacy_frame_builder *fb);
/* Decides each column's type from the values seen and builds the frame. */
mdm_status legacy__fb_finish(legacy_frame_builder *fb, mdm_table *out, mdm_error *err);

/* Deep copy (names, types, declared types, values). */
mdm_status legacy__table_copy(mdm_table *dst, const mdm_table *src, mdm_error *err);
/* Estimated bytes a frame holds, for the cache bound. */
size_t legacy__table_bytes(const mdm_table *t);

/* ---- legacy_sql.c: SQL text as SQLAlchemy wrote it ---- */
/* Appends name, quoted only when SQLAlchemy would have quoted it. */
mdm_status legacy__ident(mdm_buf *b, mdm_sql_dialect d, const char *name, mdm_error *err);
/* CREATE TABLE for the frame's column types (LEGACY.md §5). */
mdm_status legacy__create_sql(mdm_buf *b, mdm_sql_dialect d, const mdm_table *df,
                              const char *table, mdm_error *err);
mdm_status legacy__drop_sql(mdm_buf *b, mdm_sql_dialect d, const char *table, mdm_error *err);
/* "INSERT INTO t (a, b) VALUES " without the value groups. */
mdm_status legacy__insert_head(mdm_buf *b, mdm_sql_dialect d, const mdm_table *df,
                               const char *table, mdm_error *err);
/* True when only whitespace and comments follow (pysqlite's check). */
bool legacy__sql_rest_is_empty(const char *tail);
/* True when the statement starts with INSERT/UPDATE/DELETE/REPLACE. */
bool legacy__sql_is_dml(const char *sql);

/* ---- legacy_util.c ---- */
const legacy_ops *legacy__sqlite_ops(void);
const legacy_ops *legacy__pg_ops(void);
/* Appends a copy of s to the list. */
mdm_status legacy__names_push(legacy_names *n, const char *s, mdm_error *err);
/* Upper-cased copy into dst (size n). */
void legacy__upper(char *dst, size_t n, const char *src);

#define LEGACY_CACHE_TTL 300.0
#define LEGACY_CACHE_MAX_BYTES ((size_t)100 * 1024 * 1024)
#define LEGACY_CACHE_MAX_ROWS 100000

#endif
