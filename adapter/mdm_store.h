/* SPDX-License-Identifier: MIT */
/*
 * mdm_store.h - the seam: what one implementation offers per database, so
 * that the program and the harness run the same code whichever serves.
 *
 * There are two stores, both here in adapter/: the modern store (one
 * connection manager, with its pool, per database; mdm_store_modern.c) and
 * the legacy store (the old backend through the legacy path, the table of
 * legacy/'s functions in mdm_adapter_legacy.c, called the way the old
 * DatasetManager called it; mdm_store_legacy.c, which with that table is
 * the only code outside legacy/ that reaches legacy/). Callers get stores from a router
 * (mdm_router.h), never by name.
 *
 * `db` is a SQLite file path or a PostgreSQL database name; the store
 * derives the connection from its settings. Strings are borrowed for the
 * call. Every slot returns MDM_OK or fills err (status and message) and
 * changes nothing it did not say it changed; an output table is
 * initialised by the caller and replaced only on success.
 *
 * This header names no legacy/ or modern/ type, so app/ and harness/
 * compile without those folders on their include path; what the stores
 * are made from lives in mdm_store_impl.h, for the router.
 */
#ifndef MDM_STORE_H
#define MDM_STORE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "mdm_status.h"
#include "mdm_table.h"
#include "mdm_values.h"

typedef struct mdm_store mdm_store;

/* A held dataset write lock (see db_lock); release with mdm_store_unlock. */
typedef struct mdm_store_lock mdm_store_lock;

/* Progress of a long write: done of total rows. */
typedef void (*mdm_store_progress)(void *ctx, uint64_t done, uint64_t total);

/* Rows in chunks, for a write in bounded memory (write_rows): next fills
 * chunk, the same caller's table every call, with the following rows (the
 * first call gives the columns too); zero rows means the end. total: how
 * many rows it gives in all, for progress. */
typedef struct mdm_row_source {
    mdm_status (*next)(void *ctx, mdm_table *chunk, mdm_error *err);
    void *ctx;
    uint64_t total;
} mdm_row_source;

/* A row source over a whole table t (borrowed; sl is its state, the
 * caller's): slices of `rows` rows, the first with the columns even when
 * t has none, then zero rows (mdm_row_source.c). */
typedef struct mdm_table_slices {
    const mdm_table *t;
    size_t rows, next;
    bool started;
} mdm_table_slices;
mdm_row_source mdm_table_slices_source(mdm_table_slices *sl, const mdm_table *t, size_t rows);

/* Every chunk of src into out (initialised, empty): the whole table. */
MDM_NODISCARD mdm_status mdm_row_source_gather(const mdm_row_source *src, mdm_table *out,
                                               mdm_error *err);

/* One table of a write_rows or build_rows, and where its rows come from. */
typedef struct mdm_table_rows {
    const char *table;
    const mdm_row_source *src;
} mdm_table_rows;

typedef struct mdm_store_ops {
    const char *name;   /* "modern", "legacy": for messages and logs only */

    /* Frees the store and closes every connection it holds. */
    void (*free)(mdm_store *s);

    /* ---- databases ---- */

    /* *out: does db exist (SQLite: the file; PostgreSQL: the database)? */
    mdm_status (*db_exists)(mdm_store *s, const char *db, bool *out, mdm_error *err);
    /* Makes an empty database. EXISTS when there is one. */
    mdm_status (*db_create)(mdm_store *s, const char *db, mdm_error *err);
    /* Removes the database and every connection the store holds to it
     * (SQLite: the file; -wal/-shm leftovers are the caller's). */
    mdm_status (*db_drop)(mdm_store *s, const char *db, mdm_error *err);
    /* Optional (NULL in the legacy store, which never could): the names of
     * the server's databases (PostgreSQL), appended to out. SQLite's
     * databases are files, listed by whoever knows their layout:
     * UNSUPPORTED. */
    mdm_status (*db_list)(mdm_store *s, mdm_strlist *out, mdm_error *err);
    /* Optional (NULL in the legacy store): takes db's write lock, waiting
     * while another process holds it, into *out. One lock per database
     * whichever implementation writes (the router takes it through the
     * modern store for both): SQLite, flock() on "<db>.lock" beside the
     * file (made, with its folder, if missing; unlinked on release);
     * PostgreSQL, pg_advisory_xact_lock on a key made from db's name, in a
     * transaction kept open on a session to the server's maintenance
     * database (so a transaction pooler cannot hand it to another
     * client). The kernel or the server drops it when its process dies,
     * so a lock never outlives its writer. Every writer of the program holds it for its whole write
     * (existence checks, create, write, the clean-up of a failure), which
     * is what lets a write clean up after a dead one: whatever staging it
     * finds while holding the lock has no live owner. Errors: IO, BUSY
     * (the lock file kept being replaced), CONNECTION, NOMEM. */
    mdm_status (*db_lock)(mdm_store *s, const char *db, mdm_store_lock **out, mdm_error *err);

    /* ---- tables ---- */

    /* Writes t as `table` with if_exists `mode`. Atomic: a failure leaves
     * the database as it was (an existing table keeps its rows; replace
     * swaps the new table in one transaction). fn (may be NULL) hears of
     * progress; with fn, the modern store writes a big table in chunks
     * inside that one transaction. Errors: EXISTS (fail onto an existing
     * table), SCHEMA (append with other columns), NOT_FOUND (no db), ... */
    mdm_status (*write)(mdm_store *s, const char *db, const char *table, const mdm_table *t,
                        mdm_if_exists mode, mdm_store_progress fn, void *ctx, mdm_error *err);
    /* Optional (NULL in the legacy store, which writes whole frames):
     * write, for each of the n tables t[i] in turn, with the rows from its
     * source one chunk at a time (the first chunk with `mode`, the others
     * appended), all n in one transaction: memory is one chunk whatever
     * the tables' size, and a failure of any source or write rolls every
     * table back (all or none). fn hears of the rows done of all n. */
    mdm_status (*write_rows)(mdm_store *s, const char *db, const mdm_table_rows *t, size_t n,
                             mdm_if_exists mode, mdm_store_progress fn, void *ctx,
                             mdm_error *err);
    /* Optional (NULL in the legacy store; UNSUPPORTED on PostgreSQL): db
     * is a SQLite database the caller just made (or found without a
     * table) and holds the write lock of. Writes the tables into a
     * new file beside it ("<db>.build") with no journal, no sync per
     * commit, a small page cache and no mapping (nobody can see the file
     * yet), sets the configured journal mode on it, fsyncs it, renames it
     * over db and fsyncs the folder: each page is written once, where a
     * journal would write it twice. A failure removes the new file and
     * leaves db as it was. The tables are written as by write_rows. */
    mdm_status (*build_rows)(mdm_store *s, const char *db, const mdm_table_rows *t, size_t n,
                             mdm_store_progress fn, void *ctx, mdm_error *err);
    /* Reads a table with o's column list and limit into out. NOT_FOUND for
     * a missing table or column. This and the other reads (tables,
     * table_info, table_exists, a query that reads) need no write access on
     * SQLite: not to the file, its folder or the disk. */
    mdm_status (*read)(mdm_store *s, const char *db, const char *table,
                       const mdm_read_opts *o, mdm_table *out, mdm_error *err);
    /* Runs one SQL statement with `:name` parameters p[0..n) (the legacy
     * store writes them in as quoted literals: legacy binds none) into out
     * (zero columns for a statement that returns no rows); more than one
     * statement is refused. dry: run inside a transaction that is rolled
     * back, so a shadow candidate changes nothing (the legacy store cannot:
     * UNSUPPORTED). Both stores: on SQLite what mdm_sql_check_sqlite_query()
     * refuses is UNSUPPORTED (ATTACH, DETACH, VACUUM, PRAGMAs that set); on
     * PostgreSQL the statement runs inside a transaction, so the server
     * refuses DROP/CREATE DATABASE, ALTER SYSTEM and VACUUM. */
    mdm_status (*query)(mdm_store *s, const char *db, const char *sql, const mdm_param *p,
                        size_t n, bool dry, mdm_table *out, mdm_error *err);
    /* Optional (NULL in the legacy store, whose reads give whole results):
     * query, not dry, for a statement that reads, its rows handed over to
     * sink in chunks as the backend gives them (SQLite steps its
     * statement; PostgreSQL takes the rows in single-row mode as the
     * server sends them). out holds
     * the last rows, for the caller to hand over (mdm_row_sink). The same
     * goes for `read` when its options carry a sink: the modern store
     * passes it on, the legacy store ignores it. */
    mdm_status (*query_rows)(mdm_store *s, const char *db, const char *sql, const mdm_param *p,
                             size_t n, const mdm_row_sink *sink, mdm_table *out,
                             mdm_error *err);
    /* The names of db's tables, appended to out; the legacy store's
     * staging tables (mdm_store_is_staging) are never among them. */
    mdm_status (*tables)(mdm_store *s, const char *db, mdm_strlist *out, mdm_error *err);
    /* Columns, declared types and row count of a table. NOT_FOUND. */
    mdm_status (*table_info)(mdm_store *s, const char *db, const char *table,
                             mdm_table_info *out, mdm_error *err);
    /* *out: does db hold the table? */
    mdm_status (*table_exists)(mdm_store *s, const char *db, const char *table, bool *out,
                               mdm_error *err);
    /* Drops the table (the legacy store, whose old interface had no drop,
     * runs DROP TABLE with the name quoted). NOT_FOUND, or the backend's
     * error, when there is none. */
    mdm_status (*table_drop)(mdm_store *s, const char *db, const char *table, mdm_error *err);
} mdm_store_ops;

struct mdm_store {
    const mdm_store_ops *ops;
};

/*
 * What a router makes stores from: the backend, its options and, for
 * PostgreSQL, the server (a DSN, or its parts). Strings are borrowed by
 * mdm_router_new, which copies them. The SQLite options apply to both
 * implementations (legacy gets them as the old config mapping).
 */
typedef struct mdm_store_settings {
    const char *backend;                 /* "sqlite" or "postgresql"; required */
    const char *journal_mode, *synchronous, *temp_store;   /* NULL: defaults */
    int64_t cache_size, mmap_size;
    int busy_timeout_ms;
    const char *pg_dsn;                  /* the server DSN or URL; or the parts: */
    const char *pg_host, *pg_port, *pg_user, *pg_password, *pg_sslmode;
    int pg_connect_timeout;              /* seconds; 0: libpq's default */
    mdm_pool_opts pool;                  /* the modern store's pools */
    unsigned faults;                     /* test only: MDM_STORE_FAULT_*; 0 in the program */
} mdm_store_settings;

/* Faults a self-test switches on in the modern store's own code, so that a
 * harness proves it runs that code (mdm-compare's hidden --mutate). */
#define MDM_STORE_FAULT_NULLS_AS_EMPTY 0x1u   /* write: TEXT NULLs become '' */
#define MDM_STORE_FAULT_TRAILING_SPACES 0x2u  /* write: trailing spaces trimmed from TEXT */

/* Releases a write lock (db_lock, mdm_router_lock); NULL is a no-op. */
void mdm_store_unlock(mdm_store_lock *l);

/* Is `table` a staging table of the legacy store ("mdm__stage_...") or a
 * shadow write's scratch table (MDM_STORE_SCRATCH_TABLE)? Such tables are
 * scratch space of a write in progress (or of a dead one), never a
 * dataset's table: the stores' `tables` leave them out. (Legacy's clean-up
 * of dead stages drops its own prefix only.) */
bool mdm_store_is_staging(const char *table);
#define MDM_STORE_STAGE_PREFIX "mdm__stage_"
#define MDM_STORE_SCRATCH_TABLE "mdm__shadow_scratch"

#endif
