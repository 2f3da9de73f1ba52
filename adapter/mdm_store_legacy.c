/* SPDX-License-Identifier: MIT */
/*
 * mdm_store_legacy.c - the legacy store (mdm_store.h), written the way the
 * old DatasetManager used the old interface (get_engine, then the call),
 * calling the legacy path (mdm_adapter_internal.h, mdm_adapter_legacy.c:
 * legacy/'s functions in a table) directly. close_connections() follows
 * every call:
 * it is the only way to switch legacy's singleton engine to another
 * dataset; legacy's read cache survives it, as it did in the original.
 * Two things legacy lacks are added around it, never inside: a new or
 * replaced table is written by legacy into a scratch table and renamed into
 * place in one transaction (legacy's own replace drops first, LEGACY.md 5),
 * and query parameters are written into the SQL as quoted literals.
 * Also around legacy: queries are held to mdm_sql_check_sqlite_query()'s
 * rule on SQLite (as the modern store holds them), a read that legacy's
 * read-write open cannot do (a folder the user may not write, a full disk)
 * is done again on a read-only `file:` URI, and on SQLite the stage's
 * CREATE is checkpointed before its rows go in, so a write that fails on a
 * full disk leaves no -wal behind.
 */
#include "mdm_adapter_internal.h"
#include "mdm_flag.h"
#include "mdm_sql.h"
#include "mdm_sqlitefile.h"
#include "mdm_sqlparams.h"
#include "mdm_sqlscan.h"
#include "mdm_store_impl.h"
#include "mdm_table_ops.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#if MDM_WITH_LEGACY

/* Scratch tables: "mdm__stage_<pid>_<n>_<clock>", a name no other write
 * (of this process or another, on this host or another) makes. */
#define STAGE_PREFIX MDM_STORE_STAGE_PREFIX

/* PostgreSQL keeps 63 bytes of a name (NAMEDATALEN - 1) and cuts the rest
 * in silence, so two longer names would share one database. */
#define PG_NAME_MAX 63

typedef struct legacy_store {
    mdm_store base;
    const mdm__legacy_iface *lp;
    void *lb;   /* legacy_backend */
    mdm_sql_dialect dialect;
    unsigned stages;   /* staging tables made so far: part of the next name */
} legacy_store;

static legacy_store *LS(mdm_store *s)
{
    return (legacy_store *)s;
}

#define LP(s) (LS(s)->lp)
#define LB(s) (LS(s)->lb)

static mdm_sql_dialect DIALECT(mdm_store *s)
{
    return ((legacy_store *)s)->dialect;
}

static void ls_free(mdm_store *s)
{
    LP(s)->close_connections(LB(s));
    free(s);
}

/* Legacy hands a longer database name to the server, which cuts it: refused
 * here, as modern refuses it, so that legacy never reaches a database that
 * belongs to another name. */
static mdm_status check_db(mdm_store *s, const char *db, mdm_error *err)
{
    if (DIALECT(s) == MDM_SQL_POSTGRESQL && db != NULL && strlen(db) > PG_NAME_MAX)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG,
                             "database name '%s' is %zu bytes: PostgreSQL keeps %d and would "
                             "cut it, so another name could share its database",
                             db, strlen(db), PG_NAME_MAX);
    return MDM_OK;
}

static mdm_status ls_db_exists(mdm_store *s, const char *db, bool *out, mdm_error *err)
{
    mdm_status rc = check_db(s, db, err);
    return rc == MDM_OK ? LP(s)->database_exists(LB(s), db, out, err) : rc;
}

static mdm_status ls_db_create(mdm_store *s, const char *db, mdm_error *err)
{
    mdm_status rc = check_db(s, db, err);
    return rc == MDM_OK ? LP(s)->create_database(LB(s), db, err) : rc;
}

static mdm_status engine(mdm_store *s, const char *db, void **e, mdm_error *err)
{
    mdm_status rc = check_db(s, db, err);
    return rc == MDM_OK ? LP(s)->get_engine(LB(s), db, e, err) : rc;
}

/* Ends the idle sessions on PostgreSQL database db (legacy folds its
 * unquoted name to lower case), from the server's `postgres` database. */
static mdm_status end_idle_sessions(mdm_store *s, const char *db, mdm_error *err)
{
    void *e = NULL;
    mdm_table out;
    mdm_buf sql;
    mdm_param p = mdm_param_text("db", db);
    mdm_table_init(&out);
    mdm_buf_init(&sql);
    mdm_status rc = mdm_sqlparams_inline(
        "SELECT pg_catalog.pg_terminate_backend(pid) FROM pg_catalog.pg_stat_activity "
        "WHERE datname = lower(:db) AND state = 'idle' AND pid <> pg_catalog.pg_backend_pid()",
        &p, 1, MDM_SQL_POSTGRESQL, &sql, err);
    if (rc == MDM_OK)
        rc = engine(s, "postgres", &e, err);
    if (rc == MDM_OK)
        rc = LP(s)->execute_query(LB(s), mdm_buf_str(&sql), e, &out, err);
    LP(s)->close_connections(LB(s));
    mdm_table_reset(&out);
    mdm_buf_reset(&sql);
    return rc;
}

/* Legacy's DROP DATABASE has no FORCE. Behind a pooler (pgbouncer) the
 * server keeps idle connections to the database after its clients have
 * gone, and the drop waits 5 s for them, then fails: "being accessed by
 * other users". So on PostgreSQL the idle sessions on it are ended first
 * (if that fails, the drop reports what is wrong); a session in the middle
 * of work still makes the drop fail. (The modern store drops WITH (FORCE),
 * which ends every session.) */
static mdm_status ls_db_drop(mdm_store *s, const char *db, mdm_error *err)
{
    mdm_error ignored;
    mdm_status rc = check_db(s, db, err);
    if (rc != MDM_OK)
        return rc;
    if (DIALECT(s) == MDM_SQL_POSTGRESQL)
        (void)end_idle_sessions(s, db, &ignored);
    return LP(s)->drop_database(LB(s), db, err);
}

/* Runs one statement through legacy's execute_query. */
static mdm_status exec_sql(mdm_store *s, void *e, const char *sql, mdm_error *err)
{
    mdm_table out;
    mdm_table_init(&out);
    mdm_status rc = LP(s)->execute_query(LB(s), sql, e, &out, err);
    mdm_table_reset(&out);
    return rc;
}

/* "<verb> <quoted a><middle><quoted b>" */
static mdm_status build_sql(mdm_buf *b, mdm_sql_dialect d, const char *verb, const char *x,
                            const char *middle, const char *y, mdm_error *err)
{
    mdm_status rc = mdm_buf_puts(b, verb);
    if (rc == MDM_OK)
        rc = mdm_sql_quote_ident(b, d, x, err);
    if (rc == MDM_OK && middle != NULL)
        rc = mdm_buf_puts(b, middle);
    if (rc == MDM_OK && y != NULL)
        rc = mdm_sql_quote_ident(b, d, y, err);
    return rc;
}

/* Drops one table if it is there (a failed write's own stage). */
static void drop_quietly(mdm_store *s, void *e, const char *table)
{
    mdm_buf sql;
    mdm_buf_init(&sql);
    if (build_sql(&sql, DIALECT(s), "DROP TABLE IF EXISTS ", table, NULL, NULL, NULL) == MDM_OK)
        (void)exec_sql(s, e, mdm_buf_str(&sql), NULL);
    mdm_buf_reset(&sql);
}

/* Drops scratch tables a killed register left behind. Only ever called
 * with the dataset's write lock held (mdm_store.h, db_lock): every writer
 * holds it for its whole write, so no stage found now has a live owner. */
static mdm_status drop_stale_stages(mdm_store *s, void *e, mdm_error *err)
{
    mdm_strlist names;
    mdm_buf sql;
    mdm_strlist_init(&names);
    mdm_buf_init(&sql);
    mdm_status rc = LP(s)->table_names(LB(s), e, &names, err);
    for (size_t i = 0; rc == MDM_OK && i < names.count; i++) {
        if (strncmp(names.items[i], STAGE_PREFIX, strlen(STAGE_PREFIX)) != 0)
            continue;   /* its own stages only: a shadow write's scratch is not one */
        mdm_buf_clear(&sql);
        rc = build_sql(&sql, DIALECT(s), "DROP TABLE IF EXISTS ", names.items[i], NULL, NULL, err);
        if (rc == MDM_OK)
            rc = exec_sql(s, e, mdm_buf_str(&sql), err);
    }
    mdm_buf_reset(&sql);
    mdm_strlist_reset(&names);
    return rc;
}

/* Puts stage in table's place in one transaction. SQLite: BEGIN, DROP,
 * ALTER, COMMIT as four calls on the one engine (legacy runs one statement
 * per call, DDL without a transaction of its own); PostgreSQL: one call
 * with both statements (legacy wraps each call in a transaction). */
static mdm_status swap_in(mdm_store *s, void *e, const char *stage,
                          const char *table, mdm_error *err)
{
    mdm_sql_dialect d = DIALECT(s);
    mdm_buf drop, alter;
    mdm_buf_init(&drop);
    mdm_buf_init(&alter);
    mdm_status rc = build_sql(&drop, d, "DROP TABLE IF EXISTS ", table, NULL, NULL, err);
    if (rc == MDM_OK)
        rc = build_sql(&alter, d, "ALTER TABLE ", stage, " RENAME TO ", table, err);
    if (rc == MDM_OK && d == MDM_SQL_POSTGRESQL) {
        rc = mdm_buf_printf(&drop, "; %s", mdm_buf_str(&alter));
        if (rc == MDM_OK)
            rc = exec_sql(s, e, mdm_buf_str(&drop), err);
    } else if (rc == MDM_OK) {
        rc = exec_sql(s, e, "BEGIN", err);
        if (rc == MDM_OK)
            rc = exec_sql(s, e, mdm_buf_str(&drop), err);
        if (rc == MDM_OK)
            rc = exec_sql(s, e, mdm_buf_str(&alter), err);
        if (rc == MDM_OK)
            rc = exec_sql(s, e, "COMMIT", err);
        if (rc != MDM_OK)
            (void)exec_sql(s, e, "ROLLBACK", NULL);
    }
    mdm_buf_reset(&drop);
    mdm_buf_reset(&alter);
    return rc;
}

/* Legacy writes a new table as a committed CREATE TABLE, then its rows in
 * one transaction. On SQLite the empty stage is checkpointed into the file
 * before the rows go in: if they fail for want of disk, the -wal then holds
 * nothing committed, so closing the connection deletes it and the space
 * comes back. Otherwise the CREATE's pages would wait in a -wal grown to
 * fill the disk, for a checkpoint that needs room in the file the -wal
 * itself is taking. PASSIVE: a reader in another process is never waited
 * for (it may then keep frames from being copied, and the -wal with them). */
static mdm_status write_stage(mdm_store *s, void *e, const mdm_table *t, const char *stage,
                              mdm_error *err)
{
    mdm_table none;
    if (DIALECT(s) != MDM_SQL_SQLITE)
        return LP(s)->create_table(LB(s), t, stage, e, "replace", err);
    mdm_table_init(&none);
    mdm_status rc = mdm_table_slice(t, 0, 0, &none, err);
    if (rc == MDM_OK)
        rc = LP(s)->create_table(LB(s), &none, stage, e, "replace", err);
    if (rc == MDM_OK)
        rc = exec_sql(s, e, "PRAGMA wal_checkpoint(PASSIVE)", err);
    if (rc == MDM_OK)
        rc = LP(s)->create_table(LB(s), t, stage, e, "append", err);
    mdm_table_reset(&none);
    return rc;
}

/* Appending to an existing table is one transaction in legacy already,
 * and fail onto an existing table writes nothing: both go straight to
 * legacy. Everything else is staged and swapped in. */
static mdm_status write_on(mdm_store *s, void *e, const char *table,
                           const mdm_table *t, mdm_if_exists mode, mdm_error *err)
{
    char stage[64];
    struct timespec ts;
    bool exists = false;
    mdm_status rc = LP(s)->table_exists(LB(s), e, table, &exists, err);
    if (rc == MDM_OK && exists && mode != MDM_IF_EXISTS_REPLACE)
        return LP(s)->create_table(LB(s), t, table, e, mdm_if_exists_name(mode), err);
    clock_gettime(CLOCK_REALTIME, &ts);
    snprintf(stage, sizeof stage, STAGE_PREFIX "%ld_%u_%lx", (long)getpid(), LS(s)->stages++,
             (unsigned long)ts.tv_nsec);
    if (rc == MDM_OK)
        rc = drop_stale_stages(s, e, err);
    if (rc == MDM_OK)
        rc = write_stage(s, e, t, stage, err);
    if (rc == MDM_OK)
        rc = swap_in(s, e, stage, table, err);
    if (rc != MDM_OK)   /* its own stage only: never another writer's */
        drop_quietly(s, e, stage);
    return rc;
}

static mdm_status ls_write(mdm_store *s, const char *db, const char *table, const mdm_table *t,
                           mdm_if_exists mode, mdm_store_progress fn, void *ctx, mdm_error *err)
{
    void *e = NULL;
    mdm_status rc = engine(s, db, &e, err);
    if (rc == MDM_OK && fn != NULL)
        fn(ctx, 0, t->nrows);
    if (rc == MDM_OK)
        rc = write_on(s, e, table, t, mode, err);
    if (rc == MDM_OK && fn != NULL)
        fn(ctx, t->nrows, t->nrows);
    LP(s)->close_connections(LB(s));
    return rc;
}

/* ---- reads ---- */

/* One read on legacy's engine e; arg is the read's own. */
typedef mdm_status (*read_fn)(mdm_store *s, void *e, void *arg, mdm_error *err);

/* fn on db through legacy, then close_connections. */
static mdm_status read_once(mdm_store *s, const char *db, read_fn fn, void *arg, mdm_error *err)
{
    void *e = NULL;
    mdm_status rc = engine(s, db, &e, err);
    if (rc == MDM_OK)
        rc = fn(s, e, arg, err);
    LP(s)->close_connections(LB(s));
    return rc;
}

/*
 * A read through legacy. Legacy opens SQLite read-write and sets the
 * journal mode, which writes beside the file: in a folder the user may not
 * write, or on a full disk, that fails (READONLY, IO, FULL). The read then
 * runs once more on a read-only `file:` URI of db, immutable when no -wal
 * holds changes (the file alone is the database), else mode=ro, which reads
 * the -wal through its -shm when that exists. Legacy itself is unchanged.
 */
static mdm_status read_on(mdm_store *s, const char *db, read_fn fn, void *arg, mdm_error *err)
{
    char uri[3 * 4096 + 64];
    mdm_status rc = read_once(s, db, fn, arg, err);
    if (DIALECT(s) != MDM_SQL_SQLITE || !mdm_sqlite_uris_by_default() ||
        (rc != MDM_ERR_READONLY && rc != MDM_ERR_IO && rc != MDM_ERR_FULL))
        return rc;
    mdm_sqlite_file_uri(db, mdm_sqlite_wal_has_frames(db) ? "mode=ro" : "mode=ro&immutable=1",
                        uri, sizeof uri);
    return read_once(s, uri, fn, arg, err);
}

typedef struct read_args {
    const char *table;
    const mdm_read_opts *ro;
    const char *sql;
    mdm_table *out;
    mdm_strlist *names;
    mdm_table_info *info;
    bool *yes;
} read_args;

/* Legacy reads every column; a column list is applied afterwards. */
static mdm_status r_read(mdm_store *s, void *e, void *arg, mdm_error *err)
{
    read_args *a = arg;
    const mdm_read_opts *ro = a->ro;
    mdm_table all;
    mdm_table_init(&all);
    mdm_status rc = LP(s)->read_table(LB(s), a->table, e, ro->has_limit ? &ro->limit : NULL,
                                      &all, err);
    if (rc == MDM_OK && ro->ncolumns > 0)
        rc = mdm_table_project(&all, a->table, ro->columns, ro->ncolumns, a->out, err);
    else if (rc == MDM_OK)
        mdm_table_move(a->out, &all);
    mdm_table_reset(&all);
    return rc;
}

static mdm_status ls_read(mdm_store *s, const char *db, const char *table,
                          const mdm_read_opts *ro, mdm_table *out, mdm_error *err)
{
    read_args a = {.table = table, .ro = ro, .out = out};
    return read_on(s, db, r_read, &a, err);
}

static mdm_status r_query(mdm_store *s, void *e, void *arg, mdm_error *err)
{
    read_args *a = arg;
    return LP(s)->execute_query(LB(s), a->sql, e, a->out, err);
}

/* The kind of a failed statement, as the modern store gives it: legacy's
 * SQLite path classifies only "no such table" (NOT_FOUND) and reports every
 * other engine error as SQL, but the kind is mdm's (it picks the exit
 * code), not a legacy behaviour, so "no such column" is NOT_FOUND and
 * "... already exists" (table, index, view, trigger) EXISTS with either
 * implementation (core's mdm_status_refine_sqlite, as modern). PostgreSQL
 * errors already come classified by SQLSTATE. */
static mdm_status sqlite_error_kind(mdm_store *s, mdm_status rc, mdm_error *err)
{
    if (rc != MDM_ERR_SQL || err == NULL || DIALECT(s) != MDM_SQL_SQLITE)
        return rc;
    return err->code = mdm_status_refine_sqlite(rc, err->message);
}

/* One statement only (legacy's PostgreSQL path would run them all), and
 * legacy binds no parameters: they are written in as literals. The SQL
 * always goes through the inliner, parameters or not: a `:name` with no
 * value is refused as modern refuses it (SQLite would bind NULL to it in
 * silence, and PostgreSQL report a syntax error). On SQLite the query rule
 * comes first; a read goes through read_on. (On PostgreSQL legacy runs
 * every statement in a transaction of its own already.) */
static mdm_status ls_query(mdm_store *s, const char *db, const char *sql, const mdm_param *p,
                           size_t n, bool dry, mdm_table *out, mdm_error *err)
{
    mdm_buf text;
    if (dry)
        return mdm_error_set(err, MDM_ERR_UNSUPPORTED, "legacy cannot run a dry query");
    mdm_buf_init(&text);
    mdm_status rc = mdm_sqlparams_one_statement(sql, DIALECT(s), err);
    if (rc == MDM_OK && DIALECT(s) == MDM_SQL_SQLITE)
        rc = mdm_sql_check_sqlite_query(sql, err);
    if (rc == MDM_OK)
        rc = mdm_sqlparams_inline(sql, p, n, DIALECT(s), &text, err);
    read_args a = {.sql = mdm_buf_str(&text), .out = out};
    if (rc == MDM_OK)
        rc = sqlite_error_kind(s, mdm_sql_is_read(sql, DIALECT(s)) ? read_on(s, db, r_query, &a, err)
                                                                   : read_once(s, db, r_query, &a, err),
                               err);
    mdm_buf_reset(&text);
    return rc;
}

/* Legacy's table names, staging tables left out (mdm_store.h). */
static mdm_status r_tables(mdm_store *s, void *e, void *arg, mdm_error *err)
{
    read_args *a = arg;
    mdm_strlist all;
    mdm_strlist_init(&all);
    mdm_status rc = LP(s)->table_names(LB(s), e, &all, err);
    for (size_t i = 0; rc == MDM_OK && i < all.count; i++)
        if (!mdm_store_is_staging(all.items[i]))
            rc = mdm_strlist_push(a->names, all.items[i], err);
    mdm_strlist_reset(&all);
    return rc;
}

static mdm_status ls_tables(mdm_store *s, const char *db, mdm_strlist *out, mdm_error *err)
{
    read_args a = {.names = out};
    return read_on(s, db, r_tables, &a, err);
}

static mdm_status r_info(mdm_store *s, void *e, void *arg, mdm_error *err)
{
    read_args *a = arg;
    return LP(s)->table_info(LB(s), a->table, e, a->info, err);
}

static mdm_status ls_table_info(mdm_store *s, const char *db, const char *table,
                                mdm_table_info *out, mdm_error *err)
{
    read_args a = {.table = table, .info = out};
    return read_on(s, db, r_info, &a, err);
}

static mdm_status r_exists(mdm_store *s, void *e, void *arg, mdm_error *err)
{
    read_args *a = arg;
    return LP(s)->table_exists(LB(s), e, a->table, a->yes, err);
}

static mdm_status ls_table_exists(mdm_store *s, const char *db, const char *table, bool *out,
                                  mdm_error *err)
{
    read_args a = {.table = table, .yes = out};
    return read_on(s, db, r_exists, &a, err);
}

/* Legacy had no drop method: DROP TABLE through execute_query, the name
 * quoted (the store never pastes a name). */
static mdm_status ls_table_drop(mdm_store *s, const char *db, const char *table, mdm_error *err)
{
    void *e = NULL;
    mdm_buf sql;
    mdm_buf_init(&sql);
    mdm_status rc = build_sql(&sql, DIALECT(s), "DROP TABLE ", table, NULL, NULL, err);
    if (rc == MDM_OK)
        rc = engine(s, db, &e, err);
    if (rc == MDM_OK)
        rc = exec_sql(s, e, mdm_buf_str(&sql), err);
    LP(s)->close_connections(LB(s));
    mdm_buf_reset(&sql);
    return rc;
}

static const mdm_store_ops legacy_ops = {
    .name = "legacy",
    .free = ls_free,
    .db_exists = ls_db_exists,
    .db_create = ls_db_create,
    .db_drop = ls_db_drop,
    .db_list = NULL,   /* legacy had no way to list databases */
    .db_lock = NULL,   /* the router takes the one lock through the modern store */
    .write = ls_write,
    .read = ls_read,
    .query = ls_query,
    .tables = ls_tables,
    .table_info = ls_table_info,
    .table_exists = ls_table_exists,
    .table_drop = ls_table_drop,
};

mdm_status mdm_store_legacy_new(const mdm_store_cfg *cfg, mdm_store **out, mdm_error *err)
{
    legacy_store *s = calloc(1, sizeof *s);
    if (s == NULL)
        return mdm_error_set(err, MDM_ERR_NOMEM, "out of memory");
    s->base.ops = &legacy_ops;
    s->dialect = strcmp(cfg->backend, "postgresql") == 0 ? MDM_SQL_POSTGRESQL : MDM_SQL_SQLITE;
    s->lp = mdm__adapter_legacy();
    mdm_status rc = s->lp->open(cfg->backend, cfg->legacy_config, &s->lb, err);
    if (rc != MDM_OK) {
        free(s);
        return rc;
    }
    *out = &s->base;
    return MDM_OK;
}

#else /* !MDM_WITH_LEGACY: phase 3, no legacy path */

mdm_status mdm_store_legacy_new(const mdm_store_cfg *cfg, mdm_store **out, mdm_error *err)
{
    (void)cfg;
    (void)out;
    return mdm_error_set(err, MDM_ERR_UNSUPPORTED,
                         "the legacy implementation is not available: this mdm was built "
                         "without legacy/ (LEGACY=0)");
}

#endif
