/* SPDX-License-Identifier: MIT */
/*
 * legacy_sqlite.c - the old SQLite backend through the sqlite3 C API, doing
 * what pandas and SQLAlchemy did over Python's sqlite3 module: PRAGMAs on
 * every new connection, one prepared INSERT stepped per row inside one
 * transaction, one statement per call ("You can only execute one statement
 * at a time."), and dataset files whose -wal and -shm outlive a drop.
 */
#include "legacy_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* pysqlite's default `timeout` of 5 seconds. */
#define LEGACY_SQLITE_BUSY_MS 5000

static const char no_rows_msg[] =
    "This result object does not return rows. It has been closed automatically.";

/* Copies the handle's error into err at once (the next call overwrites it). */
static mdm_status fail(sqlite3 *db, int rc, mdm_error *err)
{
    const char *msg = db != NULL ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    mdm_status code = mdm_status_from_sqlite(rc);
    if (strncmp(msg, "no such table", 13) == 0)
        code = MDM_ERR_NOT_FOUND;
    mdm_error_set(err, code == MDM_OK ? MDM_ERR_SQL : code, "%s", msg);
    if (err != NULL)
        err->vendor_code = db != NULL ? sqlite3_extended_errcode(db) : rc;
    return err != NULL ? err->code : code;
}

static mdm_status target(legacy_backend *b, const char *path, char **out, mdm_error *err)
{
    if (path == NULL)
        path = b->cfg.sqlite_path;  /* from config, database.path included */
    if (path == NULL)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "No database path given or configured");
    if (strncmp(path, "sqlite:///", 10) == 0)
        path += 10;  /* a SQLAlchemy URL was accepted too */
    if ((*out = strdup(path)) == NULL)
        return mdm_error_set(err, MDM_ERR_NOMEM, "out of memory");
    return MDM_OK;
}

/* LEGACY.md §3: the connect listener, values pasted from the config. */
static mdm_status apply_pragmas(sqlite3 *db, const legacy_config *c, mdm_error *err)
{
    char sql[512];
    int n = snprintf(sql, sizeof sql,
                     "PRAGMA journal_mode=%s; PRAGMA synchronous=%s; "
                     "PRAGMA cache_size=%s; PRAGMA mmap_size=%s; PRAGMA temp_store=%d;",
                     c->journal_mode, c->synchronous, c->cache_size, c->mmap_size,
                     legacy__temp_store_value(c->temp_store));
    if (n < 0 || (size_t)n >= sizeof sql)
        return mdm_error_set(err, MDM_ERR_CONFIG, "SQLite settings too long");
    int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? MDM_OK : fail(db, rc, err);
}

static mdm_status open_db(const legacy_config *c, const char *path, sqlite3 **out,
                          mdm_error *err)
{
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    mdm_status st = rc == SQLITE_OK ? MDM_OK : fail(db, rc, err);
    if (st == MDM_OK) {
        sqlite3_busy_timeout(db, LEGACY_SQLITE_BUSY_MS);
        st = apply_pragmas(db, c, err);
    }
    if (st != MDM_OK) {
        sqlite3_close_v2(db);
        return st;
    }
    *out = db;
    return MDM_OK;
}

static mdm_status lite_connect(legacy_engine *e, mdm_error *err)
{
    if (e->db != NULL)
        return MDM_OK;
    return open_db(&e->backend->cfg, e->target, &e->db, err);
}

static void lite_disconnect(legacy_engine *e)
{
    if (e->db != NULL)
        sqlite3_close_v2(e->db);
    e->db = NULL;
}

static mdm_status exec(sqlite3 *db, const char *sql, mdm_error *err)
{
    int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? MDM_OK : fail(db, rc, err);
}

/* Prepares the single statement of sql, refusing a second one. */
static mdm_status prepare_one(sqlite3 *db, const char *sql, sqlite3_stmt **out,
                              mdm_error *err)
{
    const char *tail = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, out, &tail);
    if (rc != SQLITE_OK)
        return fail(db, rc, err);
    if (!legacy__sql_rest_is_empty(tail)) {
        sqlite3_finalize(*out);
        *out = NULL;
        return mdm_error_set(err, MDM_ERR_SQL, "You can only execute one statement at a time.");
    }
    return MDM_OK;
}

static mdm_status push_value(legacy_frame_builder *fb, sqlite3_stmt *st, int i,
                             mdm_error *err)
{
    switch (sqlite3_column_type(st, i)) {
    case SQLITE_INTEGER:
        legacy__fb_int(fb, (size_t)i, sqlite3_column_int64(st, i));
        return MDM_OK;
    case SQLITE_FLOAT:
        legacy__fb_float(fb, (size_t)i, sqlite3_column_double(st, i));
        return MDM_OK;
    case SQLITE_NULL:
        legacy__fb_null(fb, (size_t)i);
        return MDM_OK;
    default: {  /* TEXT, and BLOB as its bytes */
        const char *s = (const char *)sqlite3_column_text(st, i);
        size_t len = (size_t)sqlite3_column_bytes(st, i);
        return legacy__fb_text(fb, (size_t)i, s != NULL ? s : "", s != NULL ? len : 0, err);
    }
    }
}

/* Steps st to the end, collecting every row into a frame. */
static mdm_status collect(sqlite3 *db, sqlite3_stmt *st, mdm_table *out, mdm_error *err)
{
    legacy_frame_builder fb;
    int ncols = sqlite3_column_count(st);
    mdm_status rc = legacy__fb_init(&fb, (size_t)ncols, err);
    for (int i = 0; rc == MDM_OK && i < ncols; i++)
        rc = legacy__fb_set_column(&fb, (size_t)i, sqlite3_column_name(st, i),
                                   sqlite3_column_decltype(st, i), err);
    int step = SQLITE_ROW;
    while (rc == MDM_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
        rc = legacy__fb_begin_row(&fb, err);
        for (int i = 0; rc == MDM_OK && i < ncols; i++)
            rc = push_value(&fb, st, i, err);
        if (rc == MDM_OK)
            legacy__fb_end_row(&fb);
    }
    if (rc == MDM_OK && step != SQLITE_DONE)
        rc = fail(db, step, err);
    if (rc == MDM_OK)
        rc = legacy__fb_finish(&fb, out, err);
    legacy__fb_free(&fb);
    return rc;
}

/* Runs a statement that returns no rows; DML inside the implicit
 * transaction pysqlite opened, rolled back or committed as asked. */
static mdm_status run_no_rows(sqlite3 *db, sqlite3_stmt *st, const char *sql, bool commit,
                              mdm_error *err)
{
    bool txn = legacy__sql_is_dml(sql) && sqlite3_get_autocommit(db);
    mdm_status rc = txn ? exec(db, "BEGIN", err) : MDM_OK;
    int step = SQLITE_DONE;
    if (rc == MDM_OK) {
        while ((step = sqlite3_step(st)) == SQLITE_ROW)
            ;
        if (step != SQLITE_DONE)
            rc = fail(db, step, err);
    }
    if (txn && !sqlite3_get_autocommit(db))
        (void)sqlite3_exec(db, rc == MDM_OK && commit ? "COMMIT" : "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

/* pandas read_sql_query over a pooled connection: a statement without
 * rows runs, is rolled back when it was DML, and then fails. */
static mdm_status read_sql(legacy_engine *e, const char *sql, mdm_table *out, mdm_error *err)
{
    sqlite3_stmt *st = NULL;
    mdm_status rc = prepare_one(e->db, sql, &st, err);
    if (rc != MDM_OK)
        return rc;
    if (st == NULL || sqlite3_column_count(st) == 0) {
        rc = st != NULL ? run_no_rows(e->db, st, sql, false, err) : MDM_OK;
        if (rc == MDM_OK)
            rc = mdm_error_set(err, MDM_ERR_SQL, "%s", no_rows_msg);
    } else {
        rc = collect(e->db, st, out, err);
    }
    sqlite3_finalize(st);
    return rc;
}

/* execute_query: all rows, or none; DML is committed. */
static mdm_status execute(legacy_engine *e, const char *sql, mdm_table *out, mdm_error *err)
{
    sqlite3_stmt *st = NULL;
    mdm_status rc = prepare_one(e->db, sql, &st, err);
    if (rc == MDM_OK && st != NULL && sqlite3_column_count(st) > 0)
        rc = collect(e->db, st, out, err);
    else if (rc == MDM_OK && st != NULL)
        rc = run_no_rows(e->db, st, sql, true, err);
    sqlite3_finalize(st);
    return rc;
}

/* PRAGMA main.table_info("<name>"), quoted as SQLAlchemy did; one row per
 * column, none when the table is missing (case-insensitive, views too). */
static mdm_status table_info_stmt(sqlite3 *db, const char *table, sqlite3_stmt **out,
                                  mdm_error *err)
{
    mdm_buf sql;
    mdm_buf_init(&sql);
    mdm_status rc = mdm_buf_puts(&sql, "PRAGMA main.table_info(");
    if (rc == MDM_OK)
        rc = mdm_sql_quote_ident(&sql, MDM_SQL_SQLITE, table, err);
    if (rc == MDM_OK)
        rc = mdm_buf_putc(&sql, ')');
    if (rc == MDM_OK) {
        int src = sqlite3_prepare_v2(db, mdm_buf_str(&sql), -1, out, NULL);
        rc = src == SQLITE_OK ? MDM_OK : fail(db, src, err);
    }
    mdm_buf_reset(&sql);
    return rc;
}

static mdm_status has_table(legacy_engine *e, const char *table, bool *out, mdm_error *err)
{
    sqlite3_stmt *st = NULL;
    mdm_status rc = table_info_stmt(e->db, table, &st, err);
    if (rc != MDM_OK)
        return rc;
    int step = sqlite3_step(st);
    *out = step == SQLITE_ROW;
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        rc = fail(e->db, step, err);
    sqlite3_finalize(st);
    return rc;
}

static mdm_status exec_ddl(legacy_engine *e, const char *sql, mdm_error *err)
{
    return exec(e->db, sql, err);
}

/* "INSERT INTO t (a, b) VALUES (?, ?)" */
static mdm_status insert_sql(mdm_buf *sql, const mdm_table *df, const char *table,
                             mdm_error *err)
{
    mdm_status rc = legacy__insert_head(sql, MDM_SQL_SQLITE, df, table, err);
    for (size_t i = 0; rc == MDM_OK && i < df->ncols; i++)
        rc = mdm_buf_puts(sql, i ? ", ?" : "(?");
    if (rc == MDM_OK)
        rc = mdm_buf_putc(sql, ')');
    return rc;
}

/* Binds cell (r, c) as pandas handed it to sqlite3: NaN and NaT as None,
 * bools as 0/1, timestamps as SQLAlchemy's DATETIME text. */
static int bind_cell(sqlite3_stmt *st, const mdm_table *df, size_t c, size_t r)
{
    int i = (int)c + 1;
    char buf[40];
    if (mdm_table_is_null(df, c, r))
        return sqlite3_bind_null(st, i);
    switch (df->cols[c].type) {
    case MDM_INT64:
        return sqlite3_bind_int64(st, i, mdm_table_int64(df, c, r));
    case MDM_FLOAT64: {
        double v = mdm_table_float64(df, c, r);
        return v != v ? sqlite3_bind_null(st, i) : sqlite3_bind_double(st, i, v);
    }
    case MDM_BOOL:
        return sqlite3_bind_int(st, i, mdm_table_bool(df, c, r) ? 1 : 0);
    case MDM_TIMESTAMP: {
        size_t n = mdm_format_timestamp_full(mdm_table_timestamp(df, c, r), buf, sizeof buf);
        return sqlite3_bind_text(st, i, buf, (int)n, SQLITE_TRANSIENT);
    }
    default: {
        size_t len = 0;
        const char *s = mdm_table_text(df, c, r, &len);
        return sqlite3_bind_text(st, i, s, (int)len, SQLITE_STATIC);
    }
    }
}

static mdm_status insert_rows(sqlite3 *db, sqlite3_stmt *st, const mdm_table *df,
                              mdm_error *err)
{
    for (size_t r = 0; r < df->nrows; r++) {
        int rc = SQLITE_OK;
        for (size_t c = 0; rc == SQLITE_OK && c < df->ncols; c++)
            rc = bind_cell(st, df, c, r);
        if (rc == SQLITE_OK)
            rc = sqlite3_step(st);
        if (rc != SQLITE_DONE)
            return fail(db, rc, err);
        sqlite3_reset(st);
    }
    return MDM_OK;
}

/* executemany: one prepared INSERT stepped once per row, one transaction. */
static mdm_status insert(legacy_engine *e, const mdm_table *df, const char *table,
                         mdm_error *err)
{
    sqlite3_stmt *st = NULL;
    mdm_buf sql;
    mdm_buf_init(&sql);
    mdm_status rc = insert_sql(&sql, df, table, err);
    if (rc == MDM_OK)
        rc = exec(e->db, "BEGIN", err);
    if (rc != MDM_OK)
        goto done;
    int prc = sqlite3_prepare_v2(e->db, mdm_buf_str(&sql), -1, &st, NULL);
    rc = prc == SQLITE_OK ? insert_rows(e->db, st, df, err) : fail(e->db, prc, err);
    sqlite3_finalize(st);
    if (rc == MDM_OK)
        rc = exec(e->db, "COMMIT", err);
    if (rc != MDM_OK && !sqlite3_get_autocommit(e->db))
        (void)sqlite3_exec(e->db, "ROLLBACK", NULL, NULL, NULL);
done:
    mdm_buf_reset(&sql);
    return rc;
}

static mdm_status table_names(legacy_engine *e, legacy_names *out, mdm_error *err)
{
    static const char sql[] = "SELECT name FROM sqlite_master WHERE type='table' "
                              "AND name NOT LIKE 'sqlite~_%' ESCAPE '~' ORDER BY name";
    sqlite3_stmt *st = NULL;
    int src = sqlite3_prepare_v2(e->db, sql, -1, &st, NULL);
    mdm_status rc = src == SQLITE_OK ? MDM_OK : fail(e->db, src, err);
    while (rc == MDM_OK && (src = sqlite3_step(st)) == SQLITE_ROW)
        rc = legacy__names_push(out, (const char *)sqlite3_column_text(st, 0), err);
    if (rc == MDM_OK && src != SQLITE_DONE)
        rc = fail(e->db, src, err);
    sqlite3_finalize(st);
    return rc;
}

static mdm_status column_from_row(sqlite3_stmt *st, legacy_column_info *col, mdm_error *err)
{
    char type[128];
    const char *name = (const char *)sqlite3_column_text(st, 1);
    const char *dflt = (const char *)sqlite3_column_text(st, 4);
    legacy__upper(type, sizeof type, (const char *)sqlite3_column_text(st, 2));
    col->name = strdup(name != NULL ? name : "");
    col->type = strdup(type);
    col->nullable = sqlite3_column_int(st, 3) == 0;
    col->default_value = dflt != NULL ? strdup(dflt) : NULL;
    col->primary_key = sqlite3_column_int(st, 5) != 0;
    if (col->name == NULL || col->type == NULL || (dflt != NULL && col->default_value == NULL))
        return mdm_error_set(err, MDM_ERR_NOMEM, "out of memory");
    return MDM_OK;
}

/* inspector.get_columns(): NoSuchTableError (whose text is the name) when
 * the table is missing. */
static mdm_status columns(legacy_engine *e, const char *table, legacy_table_info *out,
                          mdm_error *err)
{
    sqlite3_stmt *st = NULL;
    mdm_status rc = table_info_stmt(e->db, table, &st, err);
    int step = SQLITE_DONE;
    while (rc == MDM_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
        legacy_column_info *cols = realloc(out->columns, (out->column_count + 1) * sizeof *cols);
        if (cols == NULL) {
            rc = mdm_error_set(err, MDM_ERR_NOMEM, "out of memory");
            break;
        }
        out->columns = cols;
        memset(&cols[out->column_count], 0, sizeof *cols);
        rc = column_from_row(st, &cols[out->column_count++], err);
    }
    if (rc == MDM_OK && step != SQLITE_DONE)
        rc = fail(e->db, step, err);
    if (rc == MDM_OK && out->column_count == 0)
        rc = mdm_error_set(err, MDM_ERR_NOT_FOUND, "%s", table);
    sqlite3_finalize(st);
    return rc;
}

static const char *db_path(legacy_backend *b, const char *path)
{
    if (path == NULL)
        path = b->cfg.sqlite_path;
    if (path != NULL && strncmp(path, "sqlite:///", 10) == 0)
        path += 10;
    return path;
}

static mdm_status db_exists(legacy_backend *b, const char *path, bool *out, mdm_error *err)
{
    struct stat st;
    (void)err;
    path = db_path(b, path);
    *out = path != NULL && stat(path, &st) == 0;
    return MDM_OK;
}

/* mkdir -p of the folder that holds path. */
static int make_parents(const char *path)
{
    char dir[4096];
    size_t n = strlen(path);
    if (n >= sizeof dir)
        return ENAMETOOLONG;
    memcpy(dir, path, n + 1);
    char *slash = strrchr(dir, '/');
    if (slash == NULL || slash == dir)
        return 0;
    *slash = '\0';
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(dir, 0755) != 0 && errno != EEXIST)
            return errno;
        *p = '/';
    }
    return mkdir(dir, 0755) != 0 && errno != EEXIST ? errno : 0;
}

/* Parent folders, then a connection (with the PRAGMAs) that creates the
 * file and is closed again. */
static mdm_status db_create(legacy_backend *b, const char *path, mdm_error *err)
{
    sqlite3 *db = NULL;
    const char *p = db_path(b, path);
    mdm_status rc = MDM_OK;
    if (p == NULL) {
        rc = mdm_error_set(err, MDM_ERR_INVALID_ARG, "No database path given or configured");
    } else {
        int e = make_parents(p);
        rc = e == 0 ? open_db(&b->cfg, p, &db, err)
                    : mdm_error_set(err, MDM_ERR_IO, "%s", strerror(e));
    }
    if (db != NULL)
        sqlite3_close_v2(db);
    if (rc != MDM_OK)
        mdm_error_prefix(err, "Failed to create database %s", p != NULL ? p : "None");
    return rc;
}

/* Deletes the main file only: -wal and -shm stay behind (the quirk). */
static mdm_status db_drop(legacy_backend *b, const char *path, mdm_error *err)
{
    const char *p = db_path(b, path);
    if (p == NULL)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG,
                             "Failed to drop database None: No database path given or configured");
    if (unlink(p) != 0 && errno != ENOENT)
        return mdm_error_set(err, MDM_ERR_IO, "Failed to drop database %s: %s", p, strerror(errno));
    return MDM_OK;
}

static const legacy_ops sqlite_ops = {
    .name = "sqlite",
    .dialect = MDM_SQL_SQLITE,
    .target = target,
    .connect = lite_connect,
    .disconnect = lite_disconnect,
    .read_sql = read_sql,
    .execute = execute,
    .has_table = has_table,
    .exec_ddl = exec_ddl,
    .insert = insert,
    .table_names = table_names,
    .columns = columns,
    .db_exists = db_exists,
    .db_create = db_create,
    .db_drop = db_drop,
};

const legacy_ops *legacy__sqlite_ops(void)
{
    return &sqlite_ops;
}
