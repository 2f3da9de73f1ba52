/* SPDX-License-Identifier: MIT */
/*
 * sqlite_backend.c - the SQLite backend: connections with the configured
 * PRAGMAs, a per-connection cache of prepared statements, writes through one
 * prepared INSERT inside one transaction (replace is atomic), and reads typed
 * by declared column types (BOOLEAN 0/1 -> BOOL, DATETIME text -> TIMESTAMP).
 * It keeps no state outside its connections; the file exports one function.
 */
#include "mdm_backend.h"
#include "mdm_buf.h"
#include "mdm_modern_internal.h"
#include "mdm_sql.h"
#include "mdm_sqlitefile.h"
#include "mdm_sqlscan.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct sq_conn {
    struct mdm_conn base;
    sqlite3 *db;
    mdm__stmt_cache cache;
    char *path;            /* for ping's "was the file replaced?" check */
    bool guard;            /* mdm_sqlite_opts.guard */
    bool immutable;        /* opened immutable (make_readable) */
    char refused[160];     /* what the guard refused last, or "" */
    bool have_id;
    dev_t dev;
    ino_t ino;
} sq_conn;

static sq_conn *SQ(mdm_conn *c)
{
    return (sq_conn *)c;
}

/* ---- errors ------------------------------------------------------------- */

/* Fills err from the connection's last error, prefixed with context. */
MDM_PRINTF(4, 5)
static mdm_status sq_fail(sqlite3 *db, int rc, mdm_error *err, const char *fmt, ...)
{
    char ctx[256];
    va_list ap;
    /* rc (an error code) decides the kind; the connection adds the
     * extended code and the message */
    int ext = db ? sqlite3_extended_errcode(db) : rc;
    const char *msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    mdm_status code = mdm_status_refine_sqlite(mdm_status_from_sqlite(rc), msg);
    va_start(ap, fmt);
    vsnprintf(ctx, sizeof ctx, fmt, ap);
    va_end(ap);
    mdm_error_set(err, code, "%s: %s", ctx, msg);
    if (err != NULL)
        err->vendor_code = ext;
    return code;
}

/* ---- statements --------------------------------------------------------- */

static void destroy_stmt(void *ctx, void *stmt)
{
    (void)ctx;
    (void)sqlite3_finalize(stmt);
}

/*
 * Prepares sql (or takes it from the cache). single: refuse a second
 * statement in the text. *cached tells sq_done() what to do afterwards.
 */
static mdm_status sq_prepare(sq_conn *s, const char *sql, bool single, sqlite3_stmt **out,
                             bool *cached, mdm_error *err)
{
    size_t len = strlen(sql);
    sqlite3_stmt *st = mdm__stmt_cache_get(&s->cache, sql, len);
    const char *tail = NULL;
    if (st != NULL) {
        *out = st;
        *cached = true;
        return MDM_OK;
    }
    int rc = sqlite3_prepare_v3(s->db, sql, (int)len + 1, SQLITE_PREPARE_PERSISTENT, &st, &tail);
    if (rc != SQLITE_OK)
        return sq_fail(s->db, rc, err, "prepare");
    if (st == NULL)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "the query is empty");
    if (single && tail != NULL) {
        while (*tail == ' ' || *tail == '\t' || *tail == '\n' || *tail == '\r' || *tail == ';')
            tail++;
        if (*tail != '\0') {
            sqlite3_stmt *next = NULL;
            rc = sqlite3_prepare_v2(s->db, tail, -1, &next, NULL);
            (void)sqlite3_finalize(next);
            if (rc != SQLITE_OK || next != NULL) {
                (void)sqlite3_finalize(st);
                return mdm_error_set(err, MDM_ERR_INVALID_ARG,
                                     "only one statement per query (found more after ';')");
            }
        }
    }
    *cached = mdm__stmt_cache_put(&s->cache, sql, len, st);
    *out = st;
    return MDM_OK;
}

/* Resets a cached statement or finalizes an uncached one. */
static void sq_done(sqlite3_stmt *st, bool cached)
{
    if (st == NULL)
        return;
    if (cached) {
        (void)sqlite3_reset(st);
        (void)sqlite3_clear_bindings(st);
    } else {
        (void)sqlite3_finalize(st);
    }
}

/* Runs SQL without results (BEGIN, DDL with quoted names, PRAGMAs). */
static mdm_status sq_exec(sq_conn *s, const char *sql, mdm_error *err)
{
    int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        return sq_fail(s->db, rc, err, "%s", sql);
    return MDM_OK;
}

/* ---- typed reads -------------------------------------------------------- */

/* Makes column i fit a value of SQLite type vt, converting it if needed;
 * *undetermined columns (no declared type, only NULLs so far) take the
 * value's type. A pinned column (a streamed read) is never converted: a
 * value that does not fit sets *misfit instead. */
static mdm_status sq_fit(mdm_table *t, size_t i, bool *undetermined, bool pinned, bool *misfit,
                         sqlite3_stmt *st, int vt, int64_t *ts, mdm_error *err)
{
    mdm_type cur = t->cols[i].type, want = cur;
    bool cur_determined = !*undetermined;
    if (*undetermined) {
        want = vt == SQLITE_INTEGER ? MDM_INT64 : vt == SQLITE_FLOAT ? MDM_FLOAT64 : MDM_TEXT;
        *undetermined = false;
    } else if (vt == SQLITE_TEXT || vt == SQLITE_BLOB) {
        if (cur == MDM_TIMESTAMP && vt == SQLITE_TEXT &&
            mdm_parse_timestamp((const char *)sqlite3_column_text(st, (int)i),
                                (size_t)sqlite3_column_bytes(st, (int)i), ts))
            want = MDM_TIMESTAMP;
        else
            want = MDM_TEXT;
    } else if (vt == SQLITE_FLOAT) {
        if (cur == MDM_INT64 || cur == MDM_BOOL)
            want = MDM_FLOAT64;
        else if (cur == MDM_TIMESTAMP)
            want = MDM_TEXT;
    } else { /* SQLITE_INTEGER */
        int64_t v = sqlite3_column_int64(st, (int)i);
        if (cur == MDM_BOOL && v != 0 && v != 1)
            want = MDM_INT64;
        else if (cur == MDM_TIMESTAMP)
            want = MDM_TEXT;
    }
    if (want == cur)
        return MDM_OK;
    if (pinned && cur_determined) {
        *misfit = true;
        return MDM_OK;
    }
    return mdm__table_convert_column(t, i, want, err);
}

/* Pushes cell i of the current row (after sq_fit). */
static mdm_status sq_push(mdm_table *t, size_t i, sqlite3_stmt *st, int vt, int64_t ts,
                          mdm_error *err)
{
    int ci = (int)i;
    switch (t->cols[i].type) {
    case MDM_INT64:
        return mdm_table_push_int64(t, i, sqlite3_column_int64(st, ci), err);
    case MDM_FLOAT64:
        return mdm_table_push_float64(t, i, sqlite3_column_double(st, ci), err);
    case MDM_BOOL:
        return mdm_table_push_bool(t, i, sqlite3_column_int64(st, ci) != 0, err);
    case MDM_TIMESTAMP:
        return mdm_table_push_timestamp(t, i, ts, err);
    default: {
        if (vt == SQLITE_FLOAT) {
            /* a REAL in a text column (SQLite keeps each value's own type):
             * SQLite's own text has 15 digits and would lose the value;
             * the round-trip form is what legacy shows too */
            char buf[40];
            size_t len = mdm_format_float64(sqlite3_column_double(st, ci), buf, sizeof buf);
            return mdm_table_push_text(t, i, buf, len, err);
        }
        const char *s = vt == SQLITE_BLOB ? (const char *)sqlite3_column_blob(st, ci)
                                          : (const char *)sqlite3_column_text(st, ci);
        size_t n = (size_t)sqlite3_column_bytes(st, ci);
        if (s == NULL)
            s = "";
        if (memchr(s, '\0', n) != NULL)
            return mdm_error_set(err, MDM_ERR_TYPE, "column '%s': value contains a NUL byte",
                                 t->cols[i].name);
        return mdm_table_push_text(t, i, s, n, err);
    }
    }
}

/* What a read knows of each result column. */
typedef struct sq_col {
    bool undet;      /* no declared type, only NULLs so far */
    bool isolated;   /* streamed: TEXT for one row that did not fit `type` */
    mdm_type type;   /* streamed: the column's type before it was isolated */
} sq_col;

/* Pushes the current row; a streamed read (pinned) stops at the first
 * value that does not fit its column, setting *misfit to that column. */
static mdm_status sq_row(mdm_table *out, sqlite3_stmt *st, sq_col *cols, int ncols, bool pinned,
                         int *misfit, mdm_error *err)
{
    mdm_status rc = MDM_OK;
    for (int i = 0; i < ncols && rc == MDM_OK; i++) {
        int vt = sqlite3_column_type(st, i);
        int64_t ts = 0;
        bool mis = false;
        if (vt == SQLITE_NULL) {
            rc = mdm_table_push_null(out, (size_t)i, err);
            continue;
        }
        rc = sq_fit(out, (size_t)i, &cols[i].undet, pinned, &mis, st, vt, &ts, err);
        if (rc == MDM_OK && mis) {
            *misfit = i;
            return MDM_OK;
        }
        if (rc == MDM_OK)
            rc = sq_push(out, (size_t)i, st, vt, ts, err);
    }
    return rc == MDM_OK ? mdm_table_end_row(out, err) : rc;
}

/* Hands the rows held over to the sink. Columns still without a type
 * become TEXT, as at the end of a read, and keep it. */
static mdm_status sq_hand_over(mdm_table *out, const mdm_row_sink *sink, sq_col *cols, int ncols,
                               mdm_error *err)
{
    mdm_status rc = MDM_OK;
    for (int i = 0; i < ncols && rc == MDM_OK; i++)
        if (cols[i].undet) {
            rc = mdm__table_convert_column(out, (size_t)i, MDM_TEXT, err);
            cols[i].undet = false;
        }
    return rc == MDM_OK ? mdm_row_sink_flush(sink, out, err) : rc;
}

/*
 * A streamed row with a value that does not fit its column's type (after
 * appends of other types, SQLite keeps each value in its own): the rows
 * before it are handed over, then the row alone, with each such column
 * TEXT for it (the value's own text, as a column of mixed values shows
 * it); the columns then get their types back for the rows after it.
 */
static mdm_status sq_isolate(mdm_table *out, sqlite3_stmt *st, const mdm_row_sink *sink,
                             sq_col *cols, int ncols, int misfit, mdm_error *err)
{
    mdm_table_drop_partial_row(out);
    mdm_status rc = sq_hand_over(out, sink, cols, ncols, err);
    while (rc == MDM_OK && misfit >= 0) {
        cols[misfit].isolated = true;
        cols[misfit].type = out->cols[misfit].type;
        rc = mdm__table_convert_column(out, (size_t)misfit, MDM_TEXT, err);
        misfit = -1;
        if (rc == MDM_OK)
            rc = sq_row(out, st, cols, ncols, true, &misfit, err);
        if (rc == MDM_OK && misfit >= 0)
            mdm_table_drop_partial_row(out);
    }
    if (rc == MDM_OK)
        rc = mdm_row_sink_flush(sink, out, err);
    for (int i = 0; i < ncols && rc == MDM_OK; i++)
        if (cols[i].isolated) {
            cols[i].isolated = false;
            rc = mdm__table_convert_column(out, (size_t)i, cols[i].type, err);
        }
    return rc;
}

/* Steps st to the end, collecting rows into out (freshly initialised);
 * with a sink, handing them over in chunks (mdm_row_sink). */
static mdm_status sq_fetch(sq_conn *s, sqlite3_stmt *st, const mdm_row_sink *sink, mdm_table *out,
                           mdm_error *err)
{
    /* Step first: a cached statement whose tables changed is prepared
     * again inside the first step, and only then are its columns right. */
    int src = sqlite3_step(st);
    int ncols = sqlite3_column_count(st);
    sq_col *cols = NULL;
    mdm_status rc = MDM_OK;

    if (ncols > 0 && (cols = calloc((size_t)ncols, sizeof *cols)) == NULL)
        return mdm_error_set(err, MDM_ERR_NOMEM, "out of memory");
    for (int i = 0; i < ncols && rc == MDM_OK; i++) {
        const char *decl = sqlite3_column_decltype(st, i);
        const char *name = sqlite3_column_name(st, i);
        mdm_type type = MDM_INT64;
        cols[i].undet = !mdm__type_from_decl(decl, &type);
        rc = mdm_table_add_column(out, name ? name : "", type, err);
        if (rc == MDM_OK && decl != NULL)
            rc = mdm_table_set_decl_type(out, (size_t)i, decl, err);
    }
    while (rc == MDM_OK && src == SQLITE_ROW) {
        int misfit = -1;
        rc = sq_row(out, st, cols, ncols, sink != NULL, &misfit, err);
        if (rc == MDM_OK && misfit >= 0)
            rc = sq_isolate(out, st, sink, cols, ncols, misfit, err);
        else if (rc == MDM_OK && mdm_row_sink_full(sink, out))
            rc = sq_hand_over(out, sink, cols, ncols, err);
        if (rc == MDM_OK)
            src = sqlite3_step(st);
    }
    if (rc == MDM_OK && src != SQLITE_DONE)
        rc = sq_fail(s->db, src, err, "step");
    /* Columns without a declared type that held only NULLs read as TEXT. */
    for (int i = 0; i < ncols && rc == MDM_OK; i++)
        if (cols[i].undet)
            rc = mdm__table_convert_column(out, (size_t)i, MDM_TEXT, err);
    free(cols);
    return rc;
}

/* ---- binding ------------------------------------------------------------ */

/* Binds one value; text and timestamps are copied by SQLite. */
static int sq_bind_value(sqlite3_stmt *st, int i, const mdm_value *v)
{
    char buf[40];
    if (v->is_null)
        return sqlite3_bind_null(st, i);
    switch (v->type) {
    case MDM_INT64:
        return sqlite3_bind_int64(st, i, v->v.i64);
    case MDM_FLOAT64:
        return sqlite3_bind_double(st, i, v->v.f64);
    case MDM_BOOL:
        return sqlite3_bind_int(st, i, v->v.b ? 1 : 0);
    case MDM_TIMESTAMP: {
        size_t n = mdm_format_timestamp_full(v->v.i64, buf, sizeof buf);
        return sqlite3_bind_text(st, i, buf, (int)n, SQLITE_TRANSIENT);
    }
    default:
        return sqlite3_bind_text(st, i, v->v.text.s ? v->v.text.s : "", (int)v->v.text.len,
                                 SQLITE_TRANSIENT);
    }
}

/* ---- connections -------------------------------------------------------- */

/* Case-insensitive membership in a NULL-terminated list. */
static bool one_of(const char *v, const char *const *list)
{
    for (; *list; list++)
        if (strcasecmp(v, *list) == 0)
            return true;
    return false;
}

static const char *const journal_modes[] = {"DELETE", "TRUNCATE", "PERSIST", "MEMORY",
                                            "WAL", "OFF", NULL};
static const char *const sync_modes[] = {"OFF", "NORMAL", "FULL", "EXTRA",
                                         "0", "1", "2", "3", NULL};
static const char *const temp_stores[] = {"DEFAULT", "FILE", "MEMORY", "0", "1", "2", NULL};

/* Checks the options (PRAGMA values cannot be bound, so only known words
 * ever reach the SQL text). */
static mdm_status check_opts(const mdm_sqlite_opts *o, mdm_error *err)
{
    if (o->journal_mode && !one_of(o->journal_mode, journal_modes))
        return mdm_error_set(err, MDM_ERR_CONFIG, "sqlite: journal_mode '%s' is not one of "
                             "DELETE, TRUNCATE, PERSIST, MEMORY, WAL, OFF", o->journal_mode);
    if (o->synchronous && !one_of(o->synchronous, sync_modes))
        return mdm_error_set(err, MDM_ERR_CONFIG, "sqlite: synchronous '%s' is not one of "
                             "OFF, NORMAL, FULL, EXTRA", o->synchronous);
    if (o->temp_store && !one_of(o->temp_store, temp_stores))
        return mdm_error_set(err, MDM_ERR_CONFIG, "sqlite: temp_store '%s' is not one of "
                             "DEFAULT, FILE, MEMORY", o->temp_store);
    return MDM_OK;
}

/* Applies the PRAGMAs of the options to an open connection. */
static mdm_status apply_opts(sq_conn *s, const mdm_sqlite_opts *o, mdm_error *err)
{
    char sql[128];
    mdm_status rc = MDM_OK;
    if (o->busy_timeout_ms >= 0)
        (void)sqlite3_busy_timeout(s->db, o->busy_timeout_ms);
    if (o->journal_mode && !o->read_only && !o->reader) {
        snprintf(sql, sizeof sql, "PRAGMA journal_mode=%s", o->journal_mode);
        rc = sq_exec(s, sql, err);
    }
    if (rc == MDM_OK && o->synchronous) {
        snprintf(sql, sizeof sql, "PRAGMA synchronous=%s", o->synchronous);
        rc = sq_exec(s, sql, err);
    }
    if (rc == MDM_OK && o->cache_size != -1) {
        snprintf(sql, sizeof sql, "PRAGMA cache_size=%lld", (long long)o->cache_size);
        rc = sq_exec(s, sql, err);
    }
    if (rc == MDM_OK && o->mmap_size >= 0) {
        snprintf(sql, sizeof sql, "PRAGMA mmap_size=%lld", (long long)o->mmap_size);
        rc = sq_exec(s, sql, err);
    }
    if (rc == MDM_OK && o->temp_store) {
        snprintf(sql, sizeof sql, "PRAGMA temp_store=%s", o->temp_store);
        rc = sq_exec(s, sql, err);
    }
    return rc;
}

static void sq_disconnect(mdm_conn *c)
{
    sq_conn *s = SQ(c);
    if (s == NULL)
        return;
    mdm__stmt_cache_reset(&s->cache);
    if (s->db != NULL) {
        if (!sqlite3_get_autocommit(s->db))
            (void)sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        (void)sqlite3_close_v2(s->db);
    }
    free(s->path);
    free(s);
}

/* Opens path on s with flags: extended codes, no double-quoted strings.
 * The options' PRAGMAs come after (apply_opts): on a read-only file some
 * of them already read it. */
static mdm_status open_handle(sq_conn *s, const char *path, int flags, mdm_error *err)
{
    int src = sqlite3_open_v2(path, &s->db, flags, NULL);
    if (src != SQLITE_OK) {
        (void)sq_fail(s->db, src, err, "sqlite: cannot open '%s'", s->path);
        if (err != NULL)
            err->code = MDM_ERR_CONNECTION;
        return MDM_ERR_CONNECTION;
    }
    (void)sqlite3_extended_result_codes(s->db, 1);
    /* Double-quoted names must never fall back to string literals. */
    (void)sqlite3_db_config(s->db, SQLITE_DBCONFIG_DQS_DML, 0, (int *)NULL);
    (void)sqlite3_db_config(s->db, SQLITE_DBCONFIG_DQS_DDL, 0, (int *)NULL);
    return MDM_OK;
}

/*
 * Reading a WAL file writes beside it: SQLite makes its -wal and -shm
 * files on the first read, even on a read-only connection. In a folder the
 * user may not write, or on a full disk, that read fails. When no -wal
 * holds changes, the file alone is the whole database, so it is opened
 * again read-only and immutable (nothing written, no locks: a writer with
 * more rights that changes the file during the read is not seen coming).
 * A -wal with changes cannot be read without a -shm, and skipping it would
 * return old rows: that stays an error, which says why. (A reader opens
 * read-write when it can, without touching the journal mode: only a
 * connection that may write deletes the -wal and -shm when it closes last,
 * so read-only readers would leave them behind after every read.)
 */
static mdm_status make_readable(sq_conn *s, int flags, int busy_ms, mdm_error *err)
{
    char uri[3 * 4096 + 32];
    /* The probe waits for a writer's lock as every later statement does
     * (apply_opts sets the same timeout again, after the probe). */
    (void)sqlite3_busy_timeout(s->db, busy_ms > 0 ? busy_ms : 0);
    int src = sqlite3_exec(s->db, "SELECT 1 FROM sqlite_master LIMIT 1", NULL, NULL, NULL);
    int primary = src & 0xff;
    if (src == SQLITE_OK)
        return MDM_OK;
    if (primary != SQLITE_READONLY && primary != SQLITE_IOERR && primary != SQLITE_CANTOPEN &&
        primary != SQLITE_FULL)
        return sq_fail(s->db, src, err, "sqlite: cannot read '%s'", s->path);
    if (mdm_sqlite_wal_has_frames(s->path))
        return sq_fail(s->db, src, err,
                       "sqlite: cannot read '%s' without writing beside it (its -wal file holds "
                       "changes that need a -shm file to be read)", s->path);
    (void)sqlite3_close_v2(s->db);
    s->db = NULL;
    s->immutable = true;
    mdm_sqlite_file_uri(s->path, "immutable=1", uri, sizeof uri);
    return open_handle(s, uri, (flags & ~(SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)) |
                                   SQLITE_OPEN_READONLY, err);
}

static mdm_status sq_connect(const mdm_conn_config *cfg, mdm_conn **out, mdm_error *err)
{
    struct stat st;
    mdm_status rc;
    if (cfg->path == NULL || cfg->path[0] == '\0')
        return mdm_error_set(err, MDM_ERR_CONFIG, "sqlite: no database path configured");
    rc = check_opts(&cfg->sqlite, err);
    if (rc != MDM_OK)
        return rc;
    sq_conn *s = calloc(1, sizeof *s);
    if (s == NULL || (s->path = strdup(cfg->path)) == NULL) {
        free(s);
        return mdm_error_set(err, MDM_ERR_NOMEM, "out of memory");
    }
    s->base.ops = mdm_sqlite_backend();
    s->guard = cfg->sqlite.guard;
    mdm__stmt_cache_init(&s->cache, cfg->stmt_cache_size > 0 ? (size_t)cfg->stmt_cache_size : 0,
                         destroy_stmt, NULL);
    int flags = SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX |
                (cfg->sqlite.read_only ? SQLITE_OPEN_READONLY
                                       : SQLITE_OPEN_READWRITE |
                                             (cfg->sqlite.create ? SQLITE_OPEN_CREATE : 0));
    bool plain_file = strcmp(cfg->path, ":memory:") != 0 && strncmp(cfg->path, "file:", 5) != 0;
    rc = open_handle(s, cfg->path, flags, err);
    if (rc == MDM_OK && cfg->sqlite.reader && plain_file)
        rc = make_readable(s, flags, cfg->sqlite.busy_timeout_ms, err);
    if (rc == MDM_OK && (rc = apply_opts(s, &cfg->sqlite, err)) != MDM_OK)
        mdm_error_prefix(err, "sqlite: cannot set up '%s'", cfg->path);
    if (rc != MDM_OK) {
        sq_disconnect(&s->base);
        return rc;
    }
    if (plain_file && stat(cfg->path, &st) == 0) {
        s->have_id = true;
        s->dev = st.st_dev;
        s->ino = st.st_ino;
    }
    *out = &s->base;
    return MDM_OK;
}

/* An SQLite handle does not die like a socket; what goes stale is the file:
 * removed or replaced (a dataset dropped and created again) while the
 * connection still reads the old inode. That is what ping detects; and an
 * immutable connection is always stale, since it would not see a change. */
static mdm_status sq_ping(mdm_conn *c, mdm_error *err)
{
    sq_conn *s = SQ(c);
    struct stat st;
    /* Immutable means SQLite never looks for changes: such a connection
     * serves one loan, and the pool opens a fresh one for the next. */
    if (s->immutable)
        return mdm_error_set(err, MDM_ERR_CONNECTION,
                             "sqlite: '%s' was opened immutable: not reused", s->path);
    if (s->have_id && (stat(s->path, &st) != 0 || st.st_dev != s->dev || st.st_ino != s->ino))
        return mdm_error_set(err, MDM_ERR_CONNECTION,
                             "sqlite: database file '%s' was removed or replaced", s->path);
    return MDM_OK;
}

static bool sq_in_transaction(mdm_conn *c)
{
    return !sqlite3_get_autocommit(SQ(c)->db);
}

static mdm_status sq_begin(mdm_conn *c, mdm_error *err)
{
    return sq_exec(SQ(c), "BEGIN", err);
}

static mdm_status sq_commit(mdm_conn *c, mdm_error *err)
{
    return sq_exec(SQ(c), "COMMIT", err);
}

static mdm_status sq_rollback(mdm_conn *c, mdm_error *err)
{
    return sq_exec(SQ(c), "ROLLBACK", err);
}

static mdm_status sq_cache_stats(mdm_conn *c, mdm_stmt_cache_stats *out, mdm_error *err)
{
    (void)err;
    mdm__stmt_cache_stats(&SQ(c)->cache, out);
    return MDM_OK;
}

/* ---- write transactions: own one, or a savepoint inside the caller's ---- */

static mdm_status tx_open(mdm_conn *c, bool *savepoint, mdm_error *err)
{
    sq_conn *s = SQ(c);
    *savepoint = !sqlite3_get_autocommit(s->db);
    return sq_exec(s, *savepoint ? "SAVEPOINT mdm_write" : "BEGIN IMMEDIATE", err);
}

/* Commits (ok) or rolls back; returns rc, or the commit's failure. */
static mdm_status tx_close(mdm_conn *c, bool savepoint, mdm_status rc, mdm_error *err)
{
    sq_conn *s = SQ(c);
    if (rc == MDM_OK) {
        rc = sq_exec(s, savepoint ? "RELEASE mdm_write" : "COMMIT", err);
        if (rc == MDM_OK)
            return MDM_OK;
    }
    if (savepoint)
        (void)sqlite3_exec(s->db, "ROLLBACK TO mdm_write; RELEASE mdm_write", NULL, NULL, NULL);
    else if (!sqlite3_get_autocommit(s->db))
        (void)sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

/* ---- the operations ----------------------------------------------------- */

static mdm_status sq_exists(sq_conn *s, const char *table, bool *out, mdm_error *err)
{
    sqlite3_stmt *st = NULL;
    bool cached = false;
    mdm_status rc = sq_prepare(s, "SELECT 1 FROM sqlite_master WHERE type = 'table' "
                                  "AND name = ?1 COLLATE NOCASE", false, &st, &cached, err);
    if (rc != MDM_OK)
        return rc;
    (void)sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
    int src = sqlite3_step(st);
    if (src == SQLITE_ROW || src == SQLITE_DONE)
        *out = src == SQLITE_ROW;
    else
        rc = sq_fail(s->db, src, err, "table_exists '%s'", table);
    sq_done(st, cached);
    return rc;
}

static mdm_status sq_table_exists(mdm_conn *c, const char *table, bool *out, mdm_error *err)
{
    return sq_exists(SQ(c), table, out, err);
}

/* The declared column types of LEGACY.md section 5. */
static const char *sq_decl(mdm_type t)
{
    switch (t) {
    case MDM_INT64: return "BIGINT";
    case MDM_FLOAT64: return "FLOAT";
    case MDM_BOOL: return "BOOLEAN";
    case MDM_TIMESTAMP: return "DATETIME";
    default: return "TEXT";
    }
}

/* Names of the columns of an existing table (PRAGMA table_info). */
static mdm_status sq_columns(sq_conn *s, const char *table, mdm_strlist *names,
                             mdm_strlist *decls, mdm_error *err)
{
    sqlite3_stmt *st = NULL;
    bool cached = false;
    int src;
    mdm_status rc = sq_prepare(s, "SELECT name, type FROM pragma_table_info(?1)", false, &st,
                               &cached, err);
    if (rc != MDM_OK)
        return rc;
    (void)sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
    while (rc == MDM_OK && (src = sqlite3_step(st)) == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(st, 1);
        rc = mdm_strlist_push(names, (const char *)sqlite3_column_text(st, 0), err);
        if (rc == MDM_OK && decls != NULL)
            rc = mdm_strlist_push(decls, t ? t : "", err);
    }
    if (rc == MDM_OK && src != SQLITE_DONE)
        rc = sq_fail(s->db, src, err, "table_info '%s'", table);
    sq_done(st, cached);
    return rc;
}

/* Inserts every row of data through one prepared statement. */
static mdm_status sq_insert_rows(sq_conn *s, const char *sql, const mdm_table *data,
                                 mdm_error *err)
{
    sqlite3_stmt *st = NULL;
    bool cached = false;
    char(*ts)[40] = NULL;
    mdm_status rc = sq_prepare(s, sql, false, &st, &cached, err);
    if (rc != MDM_OK)
        return rc;
    if ((ts = calloc(data->ncols, sizeof *ts)) == NULL)
        rc = mdm_error_set(err, MDM_ERR_NOMEM, "out of memory");
    for (size_t r = 0; rc == MDM_OK && r < data->nrows; r++) {
        int brc = SQLITE_OK;
        for (size_t c = 0; c < data->ncols && brc == SQLITE_OK; c++) {
            const mdm_column *col = &data->cols[c];
            int i = (int)c + 1;
            if (col->nulls[r]) {
                brc = sqlite3_bind_null(st, i);
                continue;
            }
            switch (col->type) {
            case MDM_INT64:
                brc = sqlite3_bind_int64(st, i, col->v.i64[r]);
                break;
            case MDM_FLOAT64:
                brc = sqlite3_bind_double(st, i, col->v.f64[r]);
                break;
            case MDM_BOOL:
                brc = sqlite3_bind_int(st, i, col->v.b[r] ? 1 : 0);
                break;
            case MDM_TIMESTAMP: {
                size_t n = mdm_format_timestamp_fast(col->v.i64[r], true, ts[c], sizeof ts[c]);
                brc = sqlite3_bind_text(st, i, ts[c], (int)n, SQLITE_STATIC);
                break;
            }
            default: {
                size_t n;
                const char *txt = mdm_table_text(data, c, r, &n);
                brc = sqlite3_bind_text(st, i, txt, (int)n, SQLITE_STATIC);
                break;
            }
            }
        }
        if (brc == SQLITE_OK)
            brc = sqlite3_step(st);
        if (brc != SQLITE_DONE && brc != SQLITE_OK)
            rc = sq_fail(s->db, brc, err, "insert row %zu", r + 1);
        (void)sqlite3_reset(st);
    }
    free(ts);
    sq_done(st, cached);
    return rc;
}

/* ---- create_table: the steps mdm__write_table drives -------------------- */

static mdm_status sq_step_exec(mdm_conn *c, const char *sql, mdm_error *err)
{
    return sq_exec(SQ(c), sql, err);
}

static mdm_status sq_step_columns(mdm_conn *c, const char *table, const char *quoted,
                                  void *cols, mdm_error *err)
{
    (void)quoted;
    return sq_columns(SQ(c), table, cols, NULL, err);
}

/* SQLite compares column names without regard to case. */
static bool sq_has_column(const void *cols, const char *name)
{
    const mdm_strlist *have = cols;
    for (size_t j = 0; j < have->count; j++) {
        if (strcasecmp(have->items[j], name) == 0)
            return true;
    }
    return false;
}

/* One prepared INSERT, stepped for every row. */
static mdm_status sq_step_insert(mdm_conn *c, mdm_buf *sql, const char *quoted,
                                 const char *quoted_cols, const mdm_table *data, const void *cols,
                                 mdm_error *err)
{
    (void)cols;
    mdm_status rc = mdm_buf_printf(sql, "INSERT INTO %s (%s) VALUES (", quoted, quoted_cols);
    for (size_t i = 0; rc == MDM_OK && i < data->ncols; i++)
        rc = mdm_buf_puts(sql, i ? ", ?" : "?");
    if (rc == MDM_OK)
        rc = mdm_buf_puts(sql, ")");
    return rc == MDM_OK ? sq_insert_rows(SQ(c), mdm_buf_str(sql), data, err) : rc;
}

static const mdm__write_steps sq_write_steps = {
    .dialect = MDM_SQL_SQLITE,
    .decl = sq_decl,
    .tx_open = tx_open,
    .tx_close = tx_close,
    .exec = sq_step_exec,
    .columns = sq_step_columns,
    .has_column = sq_has_column,
    .insert = sq_step_insert,
};

static mdm_status sq_create_table(mdm_conn *c, const char *table, const mdm_table *data,
                                  mdm_if_exists mode, mdm_error *err)
{
    mdm_strlist have;
    mdm_strlist_init(&have);
    mdm_status rc = mdm__write_table(c, &sq_write_steps, &have, table, data, mode, err);
    mdm_strlist_reset(&have);
    return rc;
}

static mdm_status sq_read_table(mdm_conn *c, const char *table, const mdm_read_opts *opts,
                                mdm_table *out, mdm_error *err)
{
    sq_conn *s = SQ(c);
    mdm_buf sql;
    sqlite3_stmt *st = NULL;
    bool cached = false;
    mdm_status rc;

    mdm_buf_init(&sql);
    rc = mdm_buf_puts(&sql, "SELECT ");
    if (rc == MDM_OK && opts->ncolumns == 0)
        rc = mdm_buf_puts(&sql, "*");
    for (size_t i = 0; rc == MDM_OK && i < opts->ncolumns; i++) {
        if (i > 0)
            rc = mdm_buf_puts(&sql, ", ");
        if (rc == MDM_OK)
            rc = mdm_sql_quote_ident(&sql, MDM_SQL_SQLITE, opts->columns[i], err);
    }
    if (rc == MDM_OK)
        rc = mdm_buf_puts(&sql, " FROM ");
    if (rc == MDM_OK)
        rc = mdm_sql_quote_ident(&sql, MDM_SQL_SQLITE, table, err);
    if (rc == MDM_OK && opts->has_limit)
        rc = mdm_buf_puts(&sql, " LIMIT ?1");
    if (rc == MDM_OK)
        rc = sq_prepare(s, mdm_buf_str(&sql), false, &st, &cached, err);
    if (rc == MDM_OK) {
        if (opts->has_limit)
            (void)sqlite3_bind_int64(st, 1, opts->limit);
        rc = sq_fetch(s, st, opts->sink, out, err);
        sq_done(st, cached);
    }
    if (rc != MDM_OK)
        mdm_error_prefix(err, "Failed to read table %s", table);
    mdm_buf_reset(&sql);
    return rc;
}

/* The guard's authorizer (mdm_sqlite_opts.guard): mdm_sql_check_sqlite_query's
 * rule as SQLite meets statements, so text that looks harmless to a scanner
 * is still held to it. VACUUM meets it as an ATTACH of its copy. */
static int guard_auth(void *arg, int action, const char *a1, const char *a2, const char *db,
                      const char *trigger)
{
    sq_conn *s = arg;
    (void)db;
    (void)trigger;
    if (action == SQLITE_ATTACH || action == SQLITE_DETACH)
        snprintf(s->refused, sizeof s->refused, "%s is not allowed",
                 action == SQLITE_ATTACH ? "ATTACH (or VACUUM, which attaches its copy)"
                                         : "DETACH");
    else if (action == SQLITE_PRAGMA && !mdm_sql_pragma_reads(a1, strlen(a1), a2 != NULL))
        snprintf(s->refused, sizeof s->refused, "PRAGMA %.64s sets a value", a1);
    else
        return SQLITE_OK;
    return SQLITE_DENY;
}

/* Guards (or stops guarding) the statements of one execute_query. */
static void guard(sq_conn *s, bool on)
{
    if (!s->guard)
        return;
    s->refused[0] = '\0';
    (void)sqlite3_set_authorizer(s->db, on ? guard_auth : NULL, on ? s : NULL);
}

static mdm_status sq_execute_query(mdm_conn *c, const char *sql, const mdm_param *params,
                                   size_t nparams, mdm_query_result *out, mdm_error *err)
{
    sq_conn *s = SQ(c);
    sqlite3_stmt *st = NULL;
    bool cached = false;
    const char **names = NULL;
    size_t *idx = NULL;
    guard(s, true);
    mdm_status rc = sq_prepare(s, sql, true, &st, &cached, err);
    if (rc != MDM_OK)
        goto done;
    int n = sqlite3_bind_parameter_count(st);
    if (n > 0) {
        names = calloc((size_t)n, sizeof *names);
        idx = calloc((size_t)n, sizeof *idx);
        if (names == NULL || idx == NULL) {
            rc = mdm_error_set(err, MDM_ERR_NOMEM, "out of memory");
            goto done;
        }
    }
    for (int i = 0; i < n; i++) {
        const char *nm = sqlite3_bind_parameter_name(st, i + 1);
        if (nm == NULL || nm[0] != ':') {
            rc = mdm_error_set(err, MDM_ERR_INVALID_ARG,
                               "only :name parameters are supported (found '%s')",
                               nm ? nm : "?");
            goto done;
        }
        names[i] = nm + 1;
    }
    rc = mdm__match_params(names, (size_t)n, params, nparams, idx, err);
    for (int i = 0; rc == MDM_OK && i < n; i++) {
        int brc = sq_bind_value(st, i + 1, &params[idx[i]].value);
        if (brc != SQLITE_OK)
            rc = sq_fail(s->db, brc, err, "bind :%s", names[i]);
    }
    if (rc == MDM_OK) {
        sqlite3_int64 before = sqlite3_total_changes64(s->db);
        rc = sq_fetch(s, st, out->sink, &out->table, err);
        if (rc == MDM_OK && sqlite3_total_changes64(s->db) != before)
            out->rows_affected = sqlite3_changes64(s->db);
    }
done:
    /* A refusal reads as one; but a refused second statement (its prepare
     * is only a check) stays "only one statement per query". */
    if (rc != MDM_OK && rc != MDM_ERR_INVALID_ARG && s->refused[0] != '\0')
        rc = mdm_error_set(err, MDM_ERR_UNSUPPORTED, "query refused: %s", s->refused);
    guard(s, false);
    if (rc != MDM_OK && err != NULL)
        mdm_error_prefix(err, "Failed to execute query");
    sq_done(st, cached);
    free(names);
    free(idx);
    return rc;
}

static mdm_status sq_list_tables(mdm_conn *c, mdm_strlist *out, mdm_error *err)
{
    sq_conn *s = SQ(c);
    sqlite3_stmt *st = NULL;
    bool cached = false;
    int src;
    mdm_status rc = sq_prepare(s, "SELECT name FROM sqlite_master WHERE type = 'table' "
                                  "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
                               false, &st, &cached, err);
    if (rc != MDM_OK)
        return rc;
    while (rc == MDM_OK && (src = sqlite3_step(st)) == SQLITE_ROW)
        rc = mdm_strlist_push(out, (const char *)sqlite3_column_text(st, 0), err);
    if (rc == MDM_OK && src != SQLITE_DONE)
        rc = sq_fail(s->db, src, err, "list_tables");
    sq_done(st, cached);
    return rc;
}

static mdm_status sq_table_info(mdm_conn *c, const char *table, mdm_table_info *out,
                                mdm_error *err)
{
    sq_conn *s = SQ(c);
    mdm_strlist names, decls;
    mdm_buf sql;
    sqlite3_stmt *st = NULL;
    bool cached = false;
    mdm_status rc;

    mdm_strlist_init(&names);
    mdm_strlist_init(&decls);
    mdm_buf_init(&sql);
    rc = mdm_buf_puts(&sql, "SELECT COUNT(*) FROM ");
    if (rc == MDM_OK)
        rc = mdm_sql_quote_ident(&sql, MDM_SQL_SQLITE, table, err);
    if (rc == MDM_OK)
        rc = sq_columns(s, table, &names, &decls, err);
    if (rc == MDM_OK && names.count == 0)
        rc = mdm_error_set(err, MDM_ERR_NOT_FOUND, "no such table: %s", table);
    if (rc == MDM_OK && (out->name = strdup(table)) == NULL)
        rc = mdm_error_set(err, MDM_ERR_NOMEM, "out of memory");
    if (rc == MDM_OK && (out->columns = calloc(names.count, sizeof *out->columns)) == NULL)
        rc = mdm_error_set(err, MDM_ERR_NOMEM, "out of memory");
    for (size_t i = 0; rc == MDM_OK && i < names.count; i++) {
        mdm_column_info *ci = &out->columns[i];
        ci->name = names.items[i];
        ci->decl_type = decls.items[i];
        names.items[i] = decls.items[i] = NULL;
        out->ncolumns++;
        if (!mdm__type_from_decl(ci->decl_type, &ci->type))
            ci->type = MDM_TEXT;
    }
    if (rc == MDM_OK)
        rc = sq_prepare(s, mdm_buf_str(&sql), false, &st, &cached, err);
    if (rc == MDM_OK) {
        int src = sqlite3_step(st);
        if (src == SQLITE_ROW)
            out->row_count = sqlite3_column_int64(st, 0);
        else
            rc = sq_fail(s->db, src, err, "count rows of '%s'", table);
        sq_done(st, cached);
    }
    /* entries moved into out are NULL now; the rest is freed here */
    mdm_strlist_reset(&names);
    mdm_strlist_reset(&decls);
    mdm_buf_reset(&sql);
    return rc;
}

static mdm_status sq_drop_table(mdm_conn *c, const char *table, bool missing_ok, mdm_error *err)
{
    mdm_buf sql;
    mdm_buf_init(&sql);
    mdm_status rc = mdm_buf_puts(&sql, missing_ok ? "DROP TABLE IF EXISTS " : "DROP TABLE ");
    if (rc == MDM_OK)
        rc = mdm_sql_quote_ident(&sql, MDM_SQL_SQLITE, table, err);
    if (rc == MDM_OK)
        rc = sq_exec(SQ(c), mdm_buf_str(&sql), err);
    mdm_buf_reset(&sql);
    return rc;
}

/* ---- database-level: a database is a file ------------------------------ */

static mdm_status sq_database_exists(const mdm_conn_config *cfg, const char *name, bool *out,
                                     mdm_error *err)
{
    struct stat st;
    (void)cfg;
    (void)err;
    *out = stat(name, &st) == 0 && S_ISREG(st.st_mode);
    return MDM_OK;
}

static mdm_status sq_create_database(const mdm_conn_config *cfg, const char *name,
                                     mdm_error *err)
{
    bool exists = false;
    mdm_conn *c = NULL;
    mdm_conn_config one = *cfg;
    mdm_status rc = sq_database_exists(cfg, name, &exists, err);
    if (rc == MDM_OK && exists)
        rc = mdm_error_set(err, MDM_ERR_EXISTS, "database '%s' already exists", name);
    if (rc == MDM_OK)
        rc = mdm_sqlite_make_parents(name, err);
    one.path = name;
    one.sqlite.create = true;
    one.sqlite.read_only = false;
    one.stmt_cache_size = 0;
    if (rc == MDM_OK)
        rc = sq_connect(&one, &c, err);
    /* Writing the schema cookie makes SQLite write the file header now. */
    if (rc == MDM_OK)
        rc = sq_exec(SQ(c), "PRAGMA user_version = 0; BEGIN IMMEDIATE; "
                            "CREATE TABLE mdm__init(x); DROP TABLE mdm__init; COMMIT", err);
    sq_disconnect(c);
    return rc;
}

static mdm_status sq_drop_database(const mdm_conn_config *cfg, const char *name,
                                   bool missing_ok, mdm_error *err)
{
    static const char *const suffixes[] = {"-wal", "-shm", "-journal"};
    char extra[4096];
    (void)cfg;
    if (unlink(name) != 0) {
        if (errno != ENOENT)
            return mdm_error_set(err, MDM_ERR_IO, "cannot remove database '%s': %s", name,
                                 strerror(errno));
        if (!missing_ok)
            return mdm_error_set(err, MDM_ERR_NOT_FOUND, "database '%s' does not exist", name);
    }
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        if ((size_t)snprintf(extra, sizeof extra, "%s%s", name, suffixes[i]) < sizeof extra)
            (void)unlink(extra);
    }
    return MDM_OK;
}

static const mdm_backend_ops sqlite_ops = {
    .version = MDM_BACKEND_OPS_VERSION,
    .name = "sqlite",
    .caps = MDM_CAP_SQL | MDM_CAP_TRANSACTIONS | MDM_CAP_DATABASES | MDM_CAP_STMT_CACHE |
            MDM_CAP_PERSISTENT,
    .connect = sq_connect,
    .disconnect = sq_disconnect,
    .create_table = sq_create_table,
    .read_table = sq_read_table,
    .execute_query = sq_execute_query,
    .table_exists = sq_table_exists,
    .list_tables = sq_list_tables,
    .table_info = sq_table_info,
    .drop_table = sq_drop_table,
    .ping = sq_ping,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .in_transaction = sq_in_transaction,
    .stmt_cache_stats = sq_cache_stats,
    .database_exists = sq_database_exists,
    .create_database = sq_create_database,
    .drop_database = sq_drop_database,
};

const mdm_backend_ops *mdm_sqlite_backend(void)
{
    return &sqlite_ops;
}
