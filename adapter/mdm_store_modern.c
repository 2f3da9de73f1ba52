/* SPDX-License-Identifier: MIT */
/*
 * mdm_store_modern.c - the modern store (mdm_store.h): one connection
 * manager (pool) per database, made on first use and kept until the store
 * is freed; big writes in chunks inside one transaction so progress can be
 * shown without losing atomicity; dry queries rolled back. On SQLite, reads
 * get a pool of reader connections of their own (mdm_sqlite_opts.reader:
 * the journal mode untouched, no write access needed to the file, its
 * folder or the disk), and every query is held to the rule of
 * mdm_sql_check_sqlite_query(); on PostgreSQL every query runs inside a
 * transaction (so DROP DATABASE, ALTER SYSTEM and the like are refused by
 * the server).
 */
#include "mdm_connmgr.h"
#include "mdm_dsn.h"
#include "mdm_registry.h"
#include "mdm_sqlitefile.h"
#include "mdm_sqlscan.h"
#include "mdm_store_impl.h"
#include "mdm_table_ops.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Rows per chunk when progress is reported. */
#define CHUNK_ROWS 20000

typedef struct db_pool {
    char *db;
    mdm_connmgr *mgr;
    mdm_connmgr *ro;     /* SQLite: reader connections for reads */
    mdm_connmgr *scan;   /* SQLite: readers for streamed table reads (SCAN_CACHE_KIB) */
} db_pool;

/* Which of a database's pools: writes, reads, or streamed table reads. A
 * streamed read of a whole table touches each page once, so its SQLite
 * connections do not map the file: the file's pages would otherwise all
 * count in the process's memory (mmap_size is 256 MiB by default), which a
 * stream promises to bound. Readers cache at most SCAN_CACHE_KIB
 * (reader_cache). */
typedef enum pool_kind { POOL_WRITE, POOL_READ, POOL_SCAN } pool_kind;
#define SCAN_CACHE_KIB (-2048)

typedef struct modern_store {
    mdm_store base;
    mdm_registry *reg;
    const mdm_backend_ops *ops;
    mdm_conn_config *conn;   /* template, deep copy */
    mdm_pool_opts pool;
    bool pg;
    unsigned faults;         /* MDM_STORE_FAULT_* (tests only) */
    db_pool *dbs;
    size_t ndbs;
} modern_store;

static modern_store *MS(mdm_store *s)
{
    return (modern_store *)s;
}

static void drop_pool(modern_store *s, const char *db)
{
    for (size_t i = 0; i < s->ndbs; i++) {
        if (strcmp(s->dbs[i].db, db) == 0) {
            mdm_connmgr_free(s->dbs[i].mgr);
            mdm_connmgr_free(s->dbs[i].ro);
            mdm_connmgr_free(s->dbs[i].scan);
            s->dbs[i].mgr = s->dbs[i].ro = s->dbs[i].scan = NULL;
        }
    }
}

static void ms_free(mdm_store *base)
{
    modern_store *s = MS(base);
    for (size_t i = 0; i < s->ndbs; i++) {
        mdm_connmgr_free(s->dbs[i].mgr);
        mdm_connmgr_free(s->dbs[i].ro);
        mdm_connmgr_free(s->dbs[i].scan);
        free(s->dbs[i].db);
    }
    free(s->dbs);
    mdm_conn_config_free(s->conn);
    mdm_registry_free(s->reg);
    free(s);
}

/* A reader's page cache: the configured one, at most SCAN_CACHE_KIB.
 * SQLite's sorter (GROUP BY, ORDER BY) sorts runs as large as the page
 * cache in memory, as linked lists, before it merges them (vdbesort.c):
 * with the 64 MB default a GROUP BY over 10M rows took 7.4 s, with 2 MiB
 * runs 4.3 s. Reads of the file itself go through the mapping (mmap_size)
 * where there is one. Writers keep the configured cache. */
static int64_t reader_cache(int64_t configured)
{
    if (configured < 0)
        return configured > SCAN_CACHE_KIB ? configured : SCAN_CACHE_KIB;
    if (configured > 0)   /* pages: SCAN_CACHE_KIB of 4 KiB pages */
        return configured < -SCAN_CACHE_KIB / 4 ? configured : -SCAN_CACHE_KIB / 4;
    return configured;
}

/* Config for one database: SQLite opens the file (never creating it:
 * db_create does that), as a reader for reads, with query's guard on;
 * PostgreSQL the server DSN pointed at db. */
static mdm_status db_config(modern_store *s, const char *db, pool_kind kind, mdm_buf *dsn,
                            mdm_conn_config *cfg, mdm_error *err)
{
    *cfg = *s->conn;
    if (!s->pg) {
        cfg->path = db;
        cfg->sqlite.create = false;
        cfg->sqlite.reader = kind != POOL_WRITE;
        cfg->sqlite.guard = true;
        if (kind == POOL_SCAN)
            cfg->sqlite.mmap_size = 0;
        if (kind != POOL_WRITE)
            cfg->sqlite.cache_size = reader_cache(cfg->sqlite.cache_size);
        return MDM_OK;
    }
    mdm_status rc = mdm_dsn_with_dbname(s->conn->dsn, db, dsn, err);
    cfg->dsn = mdm_buf_str(dsn);
    return rc;
}

/* The connection manager of db for kind (PostgreSQL has one for all),
 * made on first use. */
static mdm_status get_mgr(modern_store *s, const char *db, pool_kind kind, mdm_connmgr **out,
                          mdm_error *err)
{
    db_pool *slot = NULL;
    mdm_conn_config cfg;
    mdm_buf dsn;
    kind = s->pg ? POOL_WRITE : kind;
    for (size_t i = 0; i < s->ndbs && slot == NULL; i++)
        if (strcmp(s->dbs[i].db, db) == 0)
            slot = &s->dbs[i];
    if (slot == NULL) {
        db_pool *grown = realloc(s->dbs, (s->ndbs + 1) * sizeof *grown);
        if (grown == NULL)
            return mdm_error_set(err, MDM_ERR_NOMEM, "out of memory");
        s->dbs = grown;
        slot = &s->dbs[s->ndbs];
        slot->mgr = slot->ro = slot->scan = NULL;
        if ((slot->db = strdup(db)) == NULL)
            return mdm_error_set(err, MDM_ERR_NOMEM, "out of memory");
        s->ndbs++;
    }
    mdm_connmgr **mgr = kind == POOL_READ ? &slot->ro : kind == POOL_SCAN ? &slot->scan
                                                                          : &slot->mgr;
    if (*mgr != NULL) {
        *out = *mgr;
        return MDM_OK;
    }
    mdm_buf_init(&dsn);
    mdm_status rc = db_config(s, db, kind, &dsn, &cfg, err);
    if (rc == MDM_OK)
        rc = mdm_connmgr_new(mgr, s->reg, &cfg, &s->pool, err);
    mdm_buf_reset(&dsn);
    *out = *mgr;
    return rc;
}

static mdm_status ms_db_exists(mdm_store *base, const char *db, bool *out, mdm_error *err)
{
    modern_store *s = MS(base);
    return mdm_database_exists(s->ops, s->conn, db, out, err);
}

static mdm_status ms_db_create(mdm_store *base, const char *db, mdm_error *err)
{
    modern_store *s = MS(base);
    return mdm_database_create(s->ops, s->conn, db, err);
}

static mdm_status ms_db_drop(mdm_store *base, const char *db, mdm_error *err)
{
    modern_store *s = MS(base);
    drop_pool(s, db);   /* pooled connections hold the file or the database */
    return mdm_database_drop(s->ops, s->conn, db, false, err);
}

/* The server's databases, on a connection of its own (the template's DSN
 * names the server's maintenance database). */
static mdm_status ms_db_list(mdm_store *base, mdm_strlist *out, mdm_error *err)
{
    modern_store *s = MS(base);
    mdm_conn *c = NULL;
    mdm_query_result qr;
    if (!s->pg)
        return mdm_error_set(err, MDM_ERR_UNSUPPORTED,
                             "SQLite databases are files: list them by their layout");
    mdm_query_result_init(&qr);
    mdm_status rc = mdm_conn_open(s->ops, s->conn, &c, err);
    if (rc == MDM_OK)
        rc = mdm_conn_execute_query(c, "SELECT datname FROM pg_catalog.pg_database", NULL, 0,
                                    &qr, err);
    for (size_t r = 0; rc == MDM_OK && r < qr.table.nrows; r++)
        rc = mdm_strlist_push(out, mdm_table_text(&qr.table, 0, r, NULL), err);
    mdm_conn_close(c);
    mdm_query_result_reset(&qr);
    return rc;
}

/* The dataset's write lock (mdm_store.h): a file beside a SQLite database,
 * an advisory lock on the server (a session to the template's maintenance
 * database) for PostgreSQL. */
static mdm_status ms_db_lock(mdm_store *base, const char *db, mdm_store_lock **out,
                             mdm_error *err)
{
    modern_store *s = MS(base);
    return s->pg ? mdm_store_lock_pg(s->ops, s->conn, db, out, err)
                 : mdm_store_lock_file(db, out, err);
}

/* ---- operations on a loaned connection ---- */

typedef struct op {
    const char *table;
    const mdm_table *data;
    const mdm_table_rows *tables; /* write_rows: ntables of them */
    size_t ntables;
    unsigned faults;              /* write_rows: the store's MDM_STORE_FAULT_* */
    mdm_if_exists mode;
    mdm_store_progress progress;
    void *ctx;
    const mdm_read_opts *ropts;
    const char *sql;
    const mdm_param *params;
    size_t nparams;
    bool dry;
    mdm_table *out;
    bool txn;     /* query: inside a transaction of its own (PostgreSQL) */
    const mdm_row_sink *sink;   /* query_rows */
    mdm_strlist *names;
    mdm_table_info *info;
    bool *yes;
} op;

/* fn on a connection to db from the pool of kind (SQLite). */
static mdm_status run_on(modern_store *s, const char *db, pool_kind kind, mdm_conn_fn fn, op *o,
                         mdm_error *err)
{
    mdm_connmgr *mgr = NULL;
    mdm_status rc = get_mgr(s, db, kind, &mgr, err);
    return rc == MDM_OK ? mdm_connmgr_with_conn(mgr, fn, o, err) : rc;
}

static mdm_status run(modern_store *s, const char *db, mdm_conn_fn fn, op *o, mdm_error *err)
{
    return run_on(s, db, POOL_WRITE, fn, o, err);
}

static mdm_status run_read(modern_store *s, const char *db, mdm_conn_fn fn, op *o,
                           mdm_error *err)
{
    return run_on(s, db, POOL_READ, fn, o, err);
}

/* Rolls back; if that fails, the pool's reset on release tries again
 * (the status is not the caller's: its own error is what it reports). */
static void rollback_quietly(mdm_conn *c)
{
    mdm_status rc = mdm_conn_rollback(c, NULL);
    (void)rc;
}

static mdm_status c_write_rows(mdm_conn *c, void *arg, mdm_error *err);

/* A whole table in slices of CHUNK_ROWS through c_write_rows (one
 * transaction, a progress report a slice). Faults were applied to the
 * whole table already (ms_write). */
static mdm_status write_chunks(mdm_conn *c, const op *o, mdm_error *err)
{
    mdm_table_slices sl;
    mdm_row_source src = mdm_table_slices_source(&sl, o->data, CHUNK_ROWS);
    mdm_table_rows one = {o->table, &src};
    op w = *o;
    w.tables = &one;
    w.ntables = 1;
    w.faults = 0;
    return c_write_rows(c, &w, err);
}

static mdm_status c_write(mdm_conn *c, void *arg, mdm_error *err)
{
    op *o = arg;
    if (o->progress == NULL || o->data->nrows <= CHUNK_ROWS) {
        mdm_status rc = mdm_conn_create_table(c, o->table, o->data, o->mode, err);
        if (rc == MDM_OK && o->progress != NULL)
            o->progress(o->ctx, o->data->nrows, o->data->nrows);
        return rc;
    }
    return write_chunks(c, o, err);
}

static mdm_status c_read(mdm_conn *c, void *arg, mdm_error *err)
{
    op *o = arg;
    return mdm_conn_read_table(c, o->table, o->ropts, o->out, err);
}

/* A dry query is rolled back; on PostgreSQL every other one runs in a
 * transaction too, committed after it: statements that refuse to run in
 * one (DROP DATABASE, CREATE DATABASE, ALTER SYSTEM, VACUUM) fail with the
 * server's own "cannot run inside a transaction block". */
static mdm_status c_query(mdm_conn *c, void *arg, mdm_error *err)
{
    op *o = arg;
    mdm_query_result qr;
    mdm_status rc = MDM_OK;
    mdm_query_result_init(&qr);
    qr.sink = o->sink;
    if (o->dry || o->txn)
        rc = mdm_conn_begin(c, err);
    if (rc == MDM_OK)
        rc = mdm_conn_execute_query(c, o->sql, o->params, o->nparams, &qr, err);
    if (rc == MDM_OK && !o->dry && o->txn && mdm_conn_in_transaction(c))
        rc = mdm_conn_commit(c, err);
    if ((o->dry || rc != MDM_OK) && mdm_conn_in_transaction(c))
        rollback_quietly(c);
    if (rc == MDM_OK)
        mdm_table_move(o->out, &qr.table);
    mdm_query_result_reset(&qr);
    return rc;
}

/* The database's tables but staging ones (a legacy write in progress, or
 * the leftover of a dead one, is not part of the dataset). */
static mdm_status c_tables(mdm_conn *c, void *arg, mdm_error *err)
{
    op *o = arg;
    mdm_strlist all;
    mdm_strlist_init(&all);
    mdm_status rc = mdm_conn_list_tables(c, &all, err);
    for (size_t i = 0; rc == MDM_OK && i < all.count; i++)
        if (!mdm_store_is_staging(all.items[i]))
            rc = mdm_strlist_push(o->names, all.items[i], err);
    mdm_strlist_reset(&all);
    return rc;
}

static mdm_status c_info(mdm_conn *c, void *arg, mdm_error *err)
{
    op *o = arg;
    return mdm_conn_table_info(c, o->table, o->info, err);
}

static mdm_status c_exists(mdm_conn *c, void *arg, mdm_error *err)
{
    op *o = arg;
    return mdm_conn_table_exists(c, o->table, o->yes, err);
}

static mdm_status c_drop(mdm_conn *c, void *arg, mdm_error *err)
{
    op *o = arg;
    return mdm_conn_drop_table(c, o->table, false, err);
}

/* Test only (MDM_STORE_FAULT_TRAILING_SPACES): a copy of src whose text
 * lost its trailing spaces, the planted change mdm-compare --random must
 * find and shrink (tests/migration/test_random.c). */
static mdm_status trim_trailing_spaces(const mdm_table *src, mdm_table *out, mdm_error *err)
{
    mdm_status rc = mdm_table_copy_schema(out, src, err);
    for (size_t r = 0; r < src->nrows && rc == MDM_OK; r++) {
        for (size_t c = 0; c < src->ncols && rc == MDM_OK; c++) {
            size_t len = 0;
            bool text = src->cols[c].type == MDM_TEXT && !mdm_table_is_null(src, c, r);
            const char *v = text ? mdm_table_text(src, c, r, &len) : NULL;
            while (len > 0 && v[len - 1] == ' ')
                len--;
            rc = text ? mdm_table_push_text(out, c, v, len, err)
                      : mdm_table_push_cell(out, c, src, c, r, err);
        }
        rc = rc == MDM_OK ? mdm_table_end_row(out, err) : rc;
    }
    return rc;
}

/* t, or in *faulty t as a test's fault makes it (MDM_STORE_FAULT_*):
 * *use is what to write. */
static mdm_status with_faults(unsigned faults, const mdm_table *t, mdm_table *faulty,
                              const mdm_table **use, mdm_error *err)
{
    *use = t;
    if (faults & MDM_STORE_FAULT_NULLS_AS_EMPTY) {
        mdm_table_reset(faulty);
        *use = faulty;
        return mdm_table_nulls_as_empty(t, faulty, err);
    }
    if (faults & MDM_STORE_FAULT_TRAILING_SPACES) {
        mdm_table_reset(faulty);
        *use = faulty;
        return trim_trailing_spaces(t, faulty, err);
    }
    return MDM_OK;
}

static mdm_status ms_write(mdm_store *s, const char *db, const char *table, const mdm_table *t,
                           mdm_if_exists mode, mdm_store_progress fn, void *ctx, mdm_error *err)
{
    op o = {.table = table, .data = t, .mode = mode, .progress = fn, .ctx = ctx};
    mdm_table faulty;
    mdm_table_init(&faulty);
    mdm_status rc = with_faults(MS(s)->faults, t, &faulty, &o.data, err);
    if (rc == MDM_OK)
        rc = run(MS(s), db, c_write, &o, err);
    mdm_table_reset(&faulty);
    return rc;
}

typedef struct rows_done {
    uint64_t done, total;
} rows_done;

/* The chunks of one table's source: the first (which may have no rows:
 * an empty CSV still makes its table) with the caller's mode, the rest
 * appended. */
static mdm_status table_chunks(mdm_conn *c, const op *o, const mdm_table_rows *t,
                               mdm_table *chunk, mdm_table *faulty, rows_done *p,
                               mdm_error *err)
{
    mdm_status rc = MDM_OK;
    mdm_table_reset(chunk);   /* the columns come with the first chunk */
    for (bool first = true; rc == MDM_OK; first = false) {
        const mdm_table *use = chunk;
        if ((rc = t->src->next(t->src->ctx, chunk, err)) != MDM_OK)
            break;
        if (!first && chunk->nrows == 0)
            break;
        rc = with_faults(o->faults, chunk, faulty, &use, err);
        if (rc == MDM_OK)
            rc = mdm_conn_create_table(c, t->table, use,
                                       first ? o->mode : MDM_IF_EXISTS_APPEND, err);
        p->done += chunk->nrows;
        if (rc == MDM_OK && o->progress != NULL)
            o->progress(o->ctx, p->done, p->total);
        if (first && chunk->nrows == 0)
            break;
    }
    return rc;
}

/* Every table of o, in one transaction: committed at the end, rolled
 * back on any failure. */
static mdm_status c_write_rows(mdm_conn *c, void *arg, mdm_error *err)
{
    const op *o = arg;
    mdm_table chunk, faulty;
    rows_done p = {0, 0};
    mdm_table_init(&chunk);
    mdm_table_init(&faulty);
    for (size_t i = 0; i < o->ntables; i++)
        p.total += o->tables[i].src->total;
    mdm_status rc = mdm_conn_begin(c, err);
    for (size_t i = 0; rc == MDM_OK && i < o->ntables; i++)
        rc = table_chunks(c, o, &o->tables[i], &chunk, &faulty, &p, err);
    if (rc == MDM_OK)
        rc = mdm_conn_commit(c, err);
    else if (mdm_conn_in_transaction(c))
        rollback_quietly(c);
    mdm_table_reset(&faulty);
    mdm_table_reset(&chunk);
    return rc;
}

static mdm_status ms_write_rows(mdm_store *s, const char *db, const mdm_table_rows *t, size_t n,
                                mdm_if_exists mode, mdm_store_progress fn, void *ctx,
                                mdm_error *err)
{
    op o = {.tables = t, .ntables = n, .faults = MS(s)->faults, .mode = mode,
            .progress = fn, .ctx = ctx};
    return run(MS(s), db, c_write_rows, &o, err);
}

/* ---- build_rows: a new SQLite dataset written beside it, then renamed ---- */

/* A new file nobody else can see until it is renamed into place needs no
 * journal and no sync per commit (it is fsynced once, before the rename),
 * and a bulk write gains nothing from a big page cache or a mapping: the
 * pages go out once, in order. The journal mode the dataset is configured
 * with is set on the finished file, so it opens as any other. */
#define BUILD_SUFFIX ".build"
#define BUILD_CACHE_KIB (-2048)

static mdm_status io_fail(const char *what, const char *path, int e, mdm_error *err)
{
    return mdm_error_set(err, MDM_ERR_IO, "cannot %s '%s': %s", what, path, strerror(e));
}

static mdm_status fsync_path(const char *path, bool dir, mdm_error *err)
{
    int fd = open(path, (dir ? O_DIRECTORY : 0) | O_RDONLY | O_CLOEXEC);
    int rc = fd >= 0 ? fsync(fd) : -1, e = errno;
    if (fd >= 0)
        close(fd);
    return rc == 0 ? MDM_OK : io_fail("sync", path, e, err);
}

static mdm_status build_file(modern_store *s, const char *tmp, op *o, mdm_error *err)
{
    mdm_conn_config cfg = *s->conn;
    mdm_conn *c = NULL;
    mdm_buf sql;
    cfg.path = tmp;
    cfg.sqlite.create = true;
    cfg.sqlite.reader = false;
    cfg.sqlite.guard = false;
    cfg.sqlite.journal_mode = "OFF";
    cfg.sqlite.synchronous = "OFF";
    cfg.sqlite.cache_size = BUILD_CACHE_KIB;
    cfg.sqlite.mmap_size = 0;
    cfg.stmt_cache_size = 0;
    mdm_buf_init(&sql);
    mdm_status rc = mdm_conn_open(s->ops, &cfg, &c, err);
    if (rc == MDM_OK)
        rc = c_write_rows(c, o, err);
    if (rc == MDM_OK)
        rc = mdm_buf_printf(&sql, "PRAGMA journal_mode = %s",
                            s->conn->sqlite.journal_mode != NULL ? s->conn->sqlite.journal_mode
                                                                  : "WAL");
    mdm_query_result qr;
    mdm_query_result_init(&qr);
    if (rc == MDM_OK)
        rc = mdm_conn_execute_query(c, mdm_buf_str(&sql), NULL, 0, &qr, err);
    mdm_query_result_reset(&qr);
    mdm_conn_close(c);
    mdm_buf_reset(&sql);
    return rc;
}

static mdm_status ms_build_rows(mdm_store *base, const char *db, const mdm_table_rows *t,
                                size_t n, mdm_store_progress fn, void *ctx, mdm_error *err)
{
    modern_store *s = MS(base);
    op o = {.tables = t, .ntables = n, .faults = s->faults, .mode = MDM_IF_EXISTS_FAIL,
            .progress = fn, .ctx = ctx};
    char tmp[4200], dir[4200];
    if (s->pg)
        return mdm_error_set(err, MDM_ERR_UNSUPPORTED, "build_rows: SQLite only");
    if ((size_t)snprintf(tmp, sizeof tmp, "%s" BUILD_SUFFIX, db) >= sizeof tmp ||
        (size_t)snprintf(dir, sizeof dir, "%s", db) >= sizeof dir)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "database path too long: '%s'", db);
    mdm_sqlite_remove_build(db);   /* a dead writer's (the caller holds the lock) */
    mdm_status rc = build_file(s, tmp, &o, err);
    if (rc == MDM_OK)
        rc = fsync_path(tmp, false, err);
    if (rc == MDM_OK) {
        drop_pool(s, db);   /* connections to the empty file it replaces */
        mdm_sqlite_remove_leftovers(db);
        if (rename(tmp, db) != 0)
            rc = io_fail("rename the new database over", db, errno, err);
    }
    if (rc == MDM_OK)
        rc = fsync_path(dirname(dir), true, err);
    else
        mdm_sqlite_remove_build(db);
    return rc;
}

static mdm_status ms_read(mdm_store *s, const char *db, const char *table,
                          const mdm_read_opts *ro, mdm_table *out, mdm_error *err)
{
    op o = {.table = table, .ropts = ro, .out = out};
    bool streamed = ro != NULL && ro->sink != NULL;
    return run_on(MS(s), db, streamed ? POOL_SCAN : POOL_READ, c_read, &o, err);
}

/* SQLite: the query rule first, and a read on a reader connection.
 * PostgreSQL: in a transaction (c_query). */
static mdm_status query_op(modern_store *m, const char *db, op *o, mdm_error *err)
{
    const char *sql = o->sql;
    if (m->pg)
        return run(m, db, c_query, o, err);
    mdm_status rc = mdm_sql_check_sqlite_query(sql, err);
    if (rc != MDM_OK)
        return rc;
    return mdm_sql_is_read(sql, MDM_SQL_SQLITE) ? run_read(m, db, c_query, o, err)
                                                : run(m, db, c_query, o, err);
}

static mdm_status ms_query(mdm_store *s, const char *db, const char *sql, const mdm_param *p,
                           size_t n, bool dry, mdm_table *out, mdm_error *err)
{
    modern_store *m = MS(s);
    op o = {.sql = sql, .params = p, .nparams = n, .dry = dry, .out = out, .txn = m->pg};
    return query_op(m, db, &o, err);
}

static mdm_status ms_query_rows(mdm_store *s, const char *db, const char *sql, const mdm_param *p,
                                size_t n, const mdm_row_sink *sink, mdm_table *out,
                                mdm_error *err)
{
    modern_store *m = MS(s);
    op o = {.sql = sql, .params = p, .nparams = n, .out = out, .txn = m->pg, .sink = sink};
    return query_op(m, db, &o, err);
}

static mdm_status ms_tables(mdm_store *s, const char *db, mdm_strlist *out, mdm_error *err)
{
    op o = {.names = out};
    return run_read(MS(s), db, c_tables, &o, err);
}

static mdm_status ms_table_info(mdm_store *s, const char *db, const char *table,
                                mdm_table_info *out, mdm_error *err)
{
    op o = {.table = table, .info = out};
    return run_read(MS(s), db, c_info, &o, err);
}

static mdm_status ms_table_exists(mdm_store *s, const char *db, const char *table, bool *out,
                                  mdm_error *err)
{
    op o = {.table = table, .yes = out};
    return run_read(MS(s), db, c_exists, &o, err);
}

static mdm_status ms_table_drop(mdm_store *s, const char *db, const char *table, mdm_error *err)
{
    op o = {.table = table};
    return run(MS(s), db, c_drop, &o, err);
}

static const mdm_store_ops modern_ops = {
    .name = "modern",
    .free = ms_free,
    .db_exists = ms_db_exists,
    .db_create = ms_db_create,
    .db_drop = ms_db_drop,
    .db_list = ms_db_list,
    .db_lock = ms_db_lock,
    .write = ms_write,
    .write_rows = ms_write_rows,
    .build_rows = ms_build_rows,
    .read = ms_read,
    .query = ms_query,
    .query_rows = ms_query_rows,
    .tables = ms_tables,
    .table_info = ms_table_info,
    .table_exists = ms_table_exists,
    .table_drop = ms_table_drop,
};

mdm_status mdm_store_modern_new(const mdm_store_cfg *cfg, mdm_store **out, mdm_error *err)
{
    mdm_conn_config tmpl = cfg->conn;
    modern_store *s = calloc(1, sizeof *s);
    if (s == NULL)
        return mdm_error_set(err, MDM_ERR_NOMEM, "out of memory");
    s->base.ops = &modern_ops;
    s->pool = cfg->pool;
    s->faults = cfg->faults;
    s->pg = strcmp(cfg->backend, "postgresql") == 0;
    tmpl.backend = cfg->backend;
    tmpl.path = NULL;
    mdm_status rc = mdm_registry_new(&s->reg, err);
    if (rc == MDM_OK)
        rc = mdm_registry_add_builtins(s->reg, err);
    if (rc == MDM_OK)
        rc = mdm_registry_create(s->reg, cfg->backend, &s->ops, err);
    if (rc == MDM_OK)
        rc = mdm_conn_config_dup(&tmpl, &s->conn, err);
    if (rc != MDM_OK) {
        ms_free(&s->base);
        return rc;
    }
    *out = &s->base;
    return MDM_OK;
}
