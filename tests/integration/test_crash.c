/* SPDX-License-Identifier: MIT */
/*
 * test_crash.c - crash consistency at every I/O point (issue 13): a power
 * cut (tests/support/crash_vfs.h) at every write, truncate, sync and
 * delete of a register, a replace and an append, through both stores'
 * write paths on SQLite, in the program's default journal mode (WAL,
 * synchronous=NORMAL) and in DELETE/FULL, under three crash models
 * (unsynced writes lost, kept, torn by sector).
 *
 * Each operation runs first with the shim only counting (K points, and
 * the result must be exactly the new data); then for every N in 1..K on a
 * fresh copy of the old database: cut at N, free the router (the stores'
 * pooled connections close with the power off, so they write nothing),
 * apply the crash model, and open the file again on the plain VFS, which
 * runs SQLite's hot-journal rollback or WAL recovery. The database must
 * then pass PRAGMA integrity_check, keep a second table untouched, and
 * hold exactly the old table or exactly the new one (for a register: no
 * file, an empty database, or the full new table). Staging tables
 * (`mdm__*`) a crash leaves behind are counted and reported, not failed:
 * their clean-up is the write lock's (issue 13, item 3).
 *
 * The shim's own semantics are tested through its VFS methods, and two
 * self-tests show the check can fail: a replace written as two
 * transactions (DELETE, then INSERT) is caught as a mixture, and a replace
 * with journal_mode=OFF is caught as corrupt or mixed.
 *
 * A sweep prints one line per crash model: how many points ended with the
 * old table, the new one, no file or an empty database (register), how
 * many left a staging table, and how many the writer was told succeeded
 * yet ended old (durability, not atomicity: expected with
 * synchronous=NORMAL in WAL mode and with FULL in DELETE mode).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "crash_vfs.h"
#include "mdm_router.h"
#include "mdm_store.h"
#include "test_support.h"

#if MDM_WITH_LEGACY
#include "legacy_db.h"
#endif

/* Rows: enough for several pages of 4 KiB in each table. */
#define OLD_ROWS 120
#define NEW_ROWS 150
#define APPEND_ROWS 80
#define KEEP_ROWS 20

typedef enum op_kind { OP_REGISTER, OP_REPLACE, OP_APPEND, OP_TWO_TRANSACTIONS } op_kind;

static const char *op_name(op_kind op)
{
    static const char *const names[] = {"register", "replace", "append",
                                        "replace as two transactions"};
    return names[op];
}

/* The whole run: the shim, a folder, the data and what the tables must
 * look like (dumps: one line per row, ordered by id). */
typedef struct world {
    crash_vfs *v;
    FILE *warn;
    char dir[256];
    char db[320];
    mdm_table old_rows, new_rows, append_rows, keep_rows;
    char *old_dump, *new_dump, *appended_dump, *keep_dump;
    long total_points;
    double started;
} world;

/* One sweep: an operation on one implementation in one journal mode. */
typedef struct sweep {
    world *w;
    mdm_impl impl;
    op_kind op;
    const char *journal, *sync;   /* NULL: the program's defaults */
    unsigned char *tmpl;          /* the old database file; NULL: none (register) */
    size_t tmpl_size;
    /* results, per crash model */
    long points, old, fresh, absent, empty, stray, bad, durable_lost;
    char first_bad[512];
} sweep;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- data and dumps ------------------------------------------------------------------ */

static void pad_for(int64_t id, char *out, size_t n)
{
    size_t i = (size_t)snprintf(out, n, "row %lld ", (long long)id);
    for (; i + 1 < n && i < 100; i++)
        out[i] = (char)('a' + (id + (int64_t)i) % 26);
    out[i] = '\0';
}

/* rows rows of (id, name: NULL in every 7th row, pad: ~100 bytes). */
static void make_rows(mdm_table *t, int64_t first_id, size_t rows)
{
    mdm_error err;
    mdm_table_init(t);
    assert_int_equal(mdm_table_add_column(t, "id", MDM_INT64, &err), MDM_OK);
    assert_int_equal(mdm_table_add_column(t, "name", MDM_TEXT, &err), MDM_OK);
    assert_int_equal(mdm_table_add_column(t, "pad", MDM_TEXT, &err), MDM_OK);
    for (size_t r = 0; r < rows; r++) {
        int64_t id = first_id + (int64_t)r;
        char name[32], pad[128];
        snprintf(name, sizeof name, "n%lld", (long long)id);
        pad_for(id, pad, sizeof pad);
        assert_int_equal(mdm_table_push_int64(t, 0, id, &err), MDM_OK);
        if (r % 7 == 3)
            assert_int_equal(mdm_table_push_null(t, 1, &err), MDM_OK);
        else
            assert_int_equal(mdm_table_push_text(t, 1, name, strlen(name), &err), MDM_OK);
        assert_int_equal(mdm_table_push_text(t, 2, pad, strlen(pad), &err), MDM_OK);
        assert_int_equal(mdm_table_end_row(t, &err), MDM_OK);
    }
}

static void dump_append(char **dump, size_t *len, const char *line)
{
    size_t n = strlen(line);
    char *grown = realloc(*dump, *len + n + 1);
    assert_non_null(grown);
    memcpy(grown + *len, line, n + 1);
    *dump = grown;
    *len += n;
}

/* The dump the database must give for these tables, concatenated (ids
 * ascending: each table's ids are above the previous one's). */
static char *expected_dump(const mdm_table *a, const mdm_table *b)
{
    char *dump = NULL;
    size_t len = 0;
    dump_append(&dump, &len, "");
    for (int k = 0; k < 2; k++) {
        const mdm_table *t = k == 0 ? a : b;
        for (size_t r = 0; t != NULL && r < t->nrows; r++) {
            char line[256];
            snprintf(line, sizeof line, "%lld|%s|%s\n", (long long)mdm_table_int64(t, 0, r),
                     mdm_table_is_null(t, 1, r) ? "\\N" : mdm_table_text(t, 1, r, NULL),
                     mdm_table_text(t, 2, r, NULL));
            dump_append(&dump, &len, line);
        }
    }
    return dump;
}

/* The same dump read from the database; NULL (msg says why) when the
 * table cannot be read as (id, name, pad). */
static char *db_dump(sqlite3 *db, const char *table, char *msg, size_t n)
{
    char sql[128];
    sqlite3_stmt *st = NULL;
    char *dump = NULL;
    size_t len = 0;
    snprintf(sql, sizeof sql, "SELECT id, name, pad FROM \"%s\" ORDER BY id", table);
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        snprintf(msg, n, "%s: %s", table, sqlite3_errmsg(db));
        return NULL;
    }
    dump_append(&dump, &len, "");
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        char line[256];
        const unsigned char *name = sqlite3_column_text(st, 1);
        snprintf(line, sizeof line, "%lld|%s|%s\n", (long long)sqlite3_column_int64(st, 0),
                 name != NULL ? (const char *)name : "\\N",
                 (const char *)sqlite3_column_text(st, 2));
        dump_append(&dump, &len, line);
    }
    if (rc != SQLITE_DONE) {
        snprintf(msg, n, "%s: %s", table, sqlite3_errmsg(db));
        free(dump);
        dump = NULL;
    }
    sqlite3_finalize(st);
    return dump;
}

static size_t lines(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

/* ---- files ---------------------------------------------------------------------------- */

static void remove_db_files(const char *db)
{
    static const char *const sides[] = {"", "-wal", "-shm", "-journal"};
    char p[400];
    for (size_t i = 0; i < 4; i++) {
        snprintf(p, sizeof p, "%s%s", db, sides[i]);
        (void)unlink(p);
    }
}

static unsigned char *read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    unsigned char *buf = NULL;
    long n;
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    assert_true(n > 0);
    rewind(f);
    buf = malloc((size_t)n);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *size = (size_t)n;
    return buf;
}

/* ---- the operations ------------------------------------------------------------------- */

static mdm_router *router_for(const sweep *s, mdm_error *err)
{
    mdm_store_settings set;
    mdm_flag_settings flags;
    mdm_pool_opts pool = MDM_POOL_OPTS_INIT;
    mdm_router *r = NULL;
    memset(&set, 0, sizeof set);
    set.backend = "sqlite";
    set.journal_mode = s->journal;
    set.synchronous = s->sync;
    set.cache_size = -64000;       /* the program's defaults (app/mdm_appconfig.c) */
    set.mmap_size = 268435456;
    set.busy_timeout_ms = 5000;
    set.pool = pool;
    mdm_flag_settings_init(&flags);
    mdm_router_opts ro = {&set, &flags, NULL, s->w->warn, NULL, NULL};
    return mdm_router_new(&r, &ro, err) == MDM_OK ? r : NULL;
}

/* Frees the router and, for legacy, its process-wide engine: every
 * connection of the run is closed after this. */
static void release(const sweep *s, mdm_router *r)
{
    mdm_router_free(r);
#if MDM_WITH_LEGACY
    if (s->impl == MDM_IMPL_LEGACY)
        legacy_reset_all();
#else
    (void)s;
#endif
}

/* The deliberately broken replace of the self-test: two transactions. */
static int two_transactions(const sweep *s)
{
    const mdm_table *t = &s->w->new_rows;
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_open_v2(s->w->db, &db, SQLITE_OPEN_READWRITE, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, "DELETE FROM train", NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(db, "INSERT INTO train(id, name, pad) VALUES (?, ?, ?)", -1,
                                &st, NULL);
    for (size_t r = 0; rc == SQLITE_OK && r < t->nrows; r++) {
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, mdm_table_int64(t, 0, r));
        if (mdm_table_is_null(t, 1, r))
            sqlite3_bind_null(st, 2);
        else
            sqlite3_bind_text(st, 2, mdm_table_text(t, 1, r, NULL), -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 3, mdm_table_text(t, 2, r, NULL), -1, SQLITE_TRANSIENT);
        rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
    }
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    sqlite3_finalize(st);
    sqlite3_close_v2(db);
    return rc == SQLITE_OK ? 0 : -1;
}

/* Runs the operation as the program does (register: the database made
 * when missing, then the write) and closes everything. 0: it succeeded. */
static int run_op(const sweep *s)
{
    world *w = s->w;
    mdm_error err;
    mdm_store *st = NULL;
    bool exists = false;
    if (s->op == OP_TWO_TRANSACTIONS)
        return two_transactions(s);
    mdm_router *r = router_for(s, &err);
    mdm_status rc = r != NULL ? mdm_router_store(r, s->impl, &st, &err) : MDM_ERR_NOMEM;
    switch (s->op) {
    case OP_REGISTER:
        if (rc == MDM_OK)
            rc = st->ops->db_exists(st, w->db, &exists, &err);
        if (rc == MDM_OK && !exists)
            rc = st->ops->db_create(st, w->db, &err);
        if (rc == MDM_OK)
            rc = st->ops->write(st, w->db, "train", &w->new_rows, MDM_IF_EXISTS_FAIL, NULL,
                                NULL, &err);
        break;
    case OP_REPLACE:
        if (rc == MDM_OK)
            rc = st->ops->write(st, w->db, "train", &w->new_rows, MDM_IF_EXISTS_REPLACE, NULL,
                                NULL, &err);
        break;
    default:
        if (rc == MDM_OK)
            rc = st->ops->write(st, w->db, "train", &w->append_rows, MDM_IF_EXISTS_APPEND,
                                NULL, NULL, &err);
        break;
    }
    release(s, r);
    return rc == MDM_OK ? 0 : -1;
}

/* The old dataset, written by the implementation under test in the
 * journal mode under test, closed, and kept as one file image. */
static void make_template(sweep *s)
{
    world *w = s->w;
    mdm_error err;
    mdm_store *st = NULL;
    char side[400];
    remove_db_files(w->db);
    mdm_router *r = router_for(s, &err);
    assert_non_null(r);
    assert_int_equal(mdm_router_store(r, s->impl, &st, &err), MDM_OK);
    assert_int_equal(st->ops->db_create(st, w->db, &err), MDM_OK);
    assert_int_equal(st->ops->write(st, w->db, "train", &w->old_rows, MDM_IF_EXISTS_FAIL,
                                    NULL, NULL, &err),
                     MDM_OK);
    assert_int_equal(st->ops->write(st, w->db, "keep", &w->keep_rows, MDM_IF_EXISTS_FAIL,
                                    NULL, NULL, &err),
                     MDM_OK);
    release(s, r);
    /* The last connection's close checkpointed and removed the -wal: the
     * old database is the one file. */
    snprintf(side, sizeof side, "%s-wal", w->db);
    assert_false(mdm_test_file_exists(side));
    snprintf(side, sizeof side, "%s-journal", w->db);
    assert_false(mdm_test_file_exists(side));
    s->tmpl = read_file(w->db, &s->tmpl_size);
}

static void put_old(const sweep *s)
{
    remove_db_files(s->w->db);
    if (s->tmpl != NULL)
        assert_int_equal(mdm_test_write_file(s->w->db, (const char *)s->tmpl, s->tmpl_size), 0);
}

/* ---- the check ---------------------------------------------------------------------------- */

typedef enum outcome { OUT_ABSENT, OUT_EMPTY, OUT_OLD, OUT_NEW, OUT_BAD } outcome;

static const char *outcome_name(outcome o)
{
    static const char *const names[] = {"no file", "empty", "old", "new", "bad"};
    return names[o];
}

static const char *new_dump_of(const sweep *s)
{
    return s->op == OP_APPEND ? s->w->appended_dump : s->w->new_dump;
}

/* "ok" and nothing else from PRAGMA integrity_check. */
static bool integrity_ok(sqlite3 *db, char *msg, size_t n)
{
    sqlite3_stmt *st = NULL;
    bool ok = false;
    int rows = 0;
    if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL) != SQLITE_OK) {
        snprintf(msg, n, "integrity_check: %s", sqlite3_errmsg(db));
        return false;
    }
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *line = (const char *)sqlite3_column_text(st, 0);
        if (rows++ == 0) {
            ok = line != NULL && strcmp(line, "ok") == 0;
            if (!ok)
                snprintf(msg, n, "integrity_check: %s", line ? line : "NULL");
        }
    }
    if (rc != SQLITE_DONE) {
        snprintf(msg, n, "integrity_check: %s", sqlite3_errmsg(db));
        ok = false;
    }
    sqlite3_finalize(st);
    return ok && rows == 1;
}

/* The tables there are: train, keep, staging (mdm__*); anything else is
 * a finding. */
static bool list_tables(sqlite3 *db, bool *train, bool *keep, bool *stray, char *msg, size_t n)
{
    sqlite3_stmt *st = NULL;
    bool ok = true;
    *train = *keep = *stray = false;
    if (sqlite3_prepare_v2(db, "SELECT name FROM sqlite_master WHERE type = 'table'", -1, &st,
                           NULL) != SQLITE_OK) {
        snprintf(msg, n, "schema: %s", sqlite3_errmsg(db));
        return false;
    }
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 0);
        if (strcmp(name, "train") == 0)
            *train = true;
        else if (strcmp(name, "keep") == 0)
            *keep = true;
        else if (strncmp(name, "mdm__", 5) == 0)
            *stray = true;
        else {
            snprintf(msg, n, "unexpected table '%s'", name);
            ok = false;
        }
    }
    if (rc != SQLITE_DONE) {
        snprintf(msg, n, "schema: %s", sqlite3_errmsg(db));
        ok = false;
    }
    sqlite3_finalize(st);
    return ok;
}

/* train holds exactly the old or exactly the new rows (or, for a
 * register, is not there yet). */
static outcome classify_train(const sweep *s, sqlite3 *db, bool there, char *msg, size_t n)
{
    const char *old = s->op == OP_REGISTER ? NULL : s->w->old_dump;
    if (!there) {
        if (old == NULL)
            return OUT_EMPTY;
        snprintf(msg, n, "table train is gone");
        return OUT_BAD;
    }
    char *got = db_dump(db, "train", msg, n);
    if (got == NULL)
        return OUT_BAD;
    outcome o = OUT_BAD;
    if (old != NULL && strcmp(got, old) == 0)
        o = OUT_OLD;
    else if (strcmp(got, new_dump_of(s)) == 0)
        o = OUT_NEW;
    else
        snprintf(msg, n, "train holds %zu rows, neither the old %zu nor the new %zu", lines(got),
                 old != NULL ? lines(old) : 0, lines(new_dump_of(s)));
    free(got);
    return o;
}

/* The other table of the dataset is never touched by the operation. */
static bool keep_intact(const sweep *s, sqlite3 *db, bool there, char *msg, size_t n)
{
    if (s->op == OP_REGISTER)
        return true;
    if (!there) {
        snprintf(msg, n, "table keep is gone");
        return false;
    }
    char *k = db_dump(db, "keep", msg, n);
    bool same = k != NULL && strcmp(k, s->w->keep_dump) == 0;
    if (k != NULL && !same)
        snprintf(msg, n, "table keep changed");
    free(k);
    return same;
}

/* Opens the database after the crash on the plain VFS (recovery runs
 * there) and says what it holds. */
static outcome check_db(sweep *s, bool *stray, char *msg, size_t n)
{
    world *w = s->w;
    sqlite3 *db = NULL;
    bool train = false, keep = false;
    outcome o = OUT_BAD;
    *stray = false;
    if (!mdm_test_file_exists(w->db)) {
        if (s->op == OP_REGISTER)
            return OUT_ABSENT;
        snprintf(msg, n, "the database file is gone");
        return OUT_BAD;
    }
    /* synchronous=OFF: the recovery's writes need no fsync here (the
     * check is not a crash test of itself, and fsyncs would dominate). */
    if (sqlite3_open_v2(w->db, &db, SQLITE_OPEN_READWRITE, crash_vfs_real_name(w->v)) !=
            SQLITE_OK ||
        sqlite3_exec(db, "PRAGMA synchronous=OFF", NULL, NULL, NULL) != SQLITE_OK) {
        snprintf(msg, n, "open: %s", sqlite3_errmsg(db));
    } else if (integrity_ok(db, msg, n) && list_tables(db, &train, &keep, stray, msg, n)) {
        o = keep_intact(s, db, keep, msg, n) ? classify_train(s, db, train, msg, n) : OUT_BAD;
    }
    sqlite3_close_v2(db);
    return o;
}

/* ---- the sweep -------------------------------------------------------------------------------- */

static const char *impl_name(const sweep *s)
{
    if (s->op == OP_TWO_TRANSACTIONS)
        return "raw SQLite";
    return s->impl == MDM_IMPL_LEGACY ? "legacy" : "modern";
}

static void count(sweep *s, outcome o, bool stray, bool succeeded, long n, const char *msg)
{
    switch (o) {
    case OUT_ABSENT: s->absent++; break;
    case OUT_EMPTY: s->empty++; break;
    case OUT_OLD: s->old++; break;
    case OUT_NEW: s->fresh++; break;
    case OUT_BAD:
        if (s->bad++ == 0)
            snprintf(s->first_bad, sizeof s->first_bad, "N=%ld: %s", n, msg);
        break;
    }
    s->stray += stray;
    /* The writer was told it succeeded and the data is not there: a loss
     * of durability, not of atomicity (expected with synchronous=NORMAL
     * in WAL mode, where a commit is not synced). */
    s->durable_lost += succeeded && o != OUT_NEW && o != OUT_BAD;
}

/* The counting run: K points, and the new data is what it leaves when
 * nothing goes wrong (the process ends normally: every write kept; a
 * power cut after the end may still lose the last commit, which the sweep
 * counts as "told ok but old"). */
static long count_points(sweep *s)
{
    char msg[512] = "";
    bool stray = false;
    put_old(s);
    crash_vfs_begin(s->w->v, 0);
    int rc = run_op(s);
    long k = crash_vfs_points(s->w->v);
    assert_int_equal(crash_vfs_crash(s->w->v, CRASH_KEEP_UNSYNCED, 0), 0);
    outcome o = check_db(s, &stray, msg, sizeof msg);
    if (rc != 0 || o != OUT_NEW || stray)
        fail_msg("%s %s without a cut: rc %d, %s%s: %s", impl_name(s), op_name(s->op), rc,
                 outcome_name(o), stray ? ", staging left" : "", msg);
    assert_true(k > 0);
    return k;
}

static void reset_counts(sweep *s)
{
    s->points = s->old = s->fresh = s->absent = s->empty = s->stray = s->bad = 0;
    s->durable_lost = 0;
    s->first_bad[0] = '\0';
}

/* Every N in 1..K under one crash model, and K+1: the power cut after
 * the last I/O (the process is done; what of it is durable?). */
static void sweep_model(sweep *s, long k, crash_model m)
{
    reset_counts(s);
    double t0 = now_s();
    for (long n = 1; n <= k + 1; n++) {
        char msg[512] = "";
        bool stray = false;
        put_old(s);
        crash_vfs_begin(s->w->v, n);
        int rc = run_op(s);
        if (crash_vfs_is_cut(s->w->v) != (n <= k))
            fail_msg("%s %s: cut %d at point %ld of %ld (the I/O sequence is not repeatable)",
                     crash_vfs_is_cut(s->w->v),
                     impl_name(s), op_name(s->op), n, k);
        assert_int_equal(crash_vfs_crash(s->w->v, m, (unsigned)n), 0);
        outcome o = check_db(s, &stray, msg, sizeof msg);
        count(s, o, stray, rc == 0, n, msg);
        s->points++;
    }
    s->w->total_points += s->points;
    print_message("crash: %-6s %-8s %s/%s, %s: %ld points: %ld old, %ld new, %ld absent, "
                  "%ld empty, %ld bad; %ld with staging left; %ld told ok but old (%.2f s)%s%s\n",
                  impl_name(s), op_name(s->op), s->journal ? s->journal : "WAL",
                  s->sync ? s->sync : "NORMAL", crash_model_name(m), s->points, s->old,
                  s->fresh, s->absent, s->empty, s->bad, s->stray, s->durable_lost,
                  now_s() - t0, s->bad ? "\n  first: " : "", s->first_bad);
}

static const crash_model every_model[] = {CRASH_DROP_UNSYNCED, CRASH_KEEP_UNSYNCED,
                                          CRASH_TORN};

/* One operation of one implementation, every N, every model: nothing bad. */
static void sweep_op(world *w, mdm_impl impl, op_kind op, const char *journal, const char *sync)
{
    sweep s;
    memset(&s, 0, sizeof s);
    s.w = w;
    s.impl = impl;
    s.op = op;
    s.journal = journal;
    s.sync = sync;
    remove_db_files(w->db);
    if (op != OP_REGISTER)
        make_template(&s);
    long k = count_points(&s);
    for (size_t i = 0; i < sizeof every_model / sizeof every_model[0]; i++) {
        sweep_model(&s, k, every_model[i]);
        if (s.bad > 0)
            fail_msg("%s %s (%s): %ld of %ld crash points left neither the old nor the new "
                     "dataset; first: %s",
                     impl_name(&s), op_name(op), crash_model_name(every_model[i]), s.bad,
                     s.points, s.first_bad);
    }
    free(s.tmpl);
}

static void sweep_impl(void **state, mdm_impl impl, const char *journal, const char *sync)
{
    world *w = *state;
    sweep_op(w, impl, OP_REGISTER, journal, sync);
    sweep_op(w, impl, OP_REPLACE, journal, sync);
    sweep_op(w, impl, OP_APPEND, journal, sync);
}

/* ---- tests ------------------------------------------------------------------------------------- */

static void crash__modern_default_wal(void **state)
{
    sweep_impl(state, MDM_IMPL_MODERN, NULL, NULL);
}

static void crash__modern_delete_journal(void **state)
{
    sweep_impl(state, MDM_IMPL_MODERN, "DELETE", "FULL");
}

#if MDM_WITH_LEGACY
static void crash__legacy_default_wal(void **state)
{
    sweep_impl(state, MDM_IMPL_LEGACY, NULL, NULL);
}

static void crash__legacy_delete_journal(void **state)
{
    sweep_impl(state, MDM_IMPL_LEGACY, "DELETE", "FULL");
}
#endif

/* The shim itself, through its VFS methods: what a crash keeps. */
static void put_bytes(sqlite3_file *f, const char *text, sqlite3_int64 off)
{
    assert_int_equal(f->pMethods->xWrite(f, text, (int)strlen(text), off), SQLITE_OK);
}

static void assert_holds(const char *path, const char *want)
{
    size_t size = 0;
    unsigned char *got = read_file(path, &size);
    assert_int_equal(size, strlen(want));
    assert_memory_equal(got, want, size);
    free(got);
}

static void crash__the_shim_keeps_what_was_synced(void **state)
{
    world *w = *state;
    sqlite3_vfs *vfs = sqlite3_vfs_find(NULL);
    sqlite3_file *db = malloc((size_t)vfs->szOsFile), *jr = malloc((size_t)vfs->szOsFile);
    char journal[400];
    char buf[4];
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    assert_non_null(db);
    assert_non_null(jr);
    snprintf(journal, sizeof journal, "%s-journal", w->db);
    remove_db_files(w->db);
    assert_int_equal(mdm_test_write_file(w->db, "old!", 4), 0);

    /* Synced writes stay, unsynced ones go; a journal's first sync syncs
     * the folder, a delete without dirSync is not durable. */
    crash_vfs_begin(w->v, 0);
    assert_int_equal(vfs->xOpen(vfs, w->db, db, flags | SQLITE_OPEN_MAIN_DB, NULL), SQLITE_OK);
    assert_int_equal(vfs->xOpen(vfs, journal, jr, flags | SQLITE_OPEN_MAIN_JOURNAL, NULL),
                     SQLITE_OK);
    put_bytes(jr, "jjjj", 0);
    assert_int_equal(jr->pMethods->xSync(jr, SQLITE_SYNC_NORMAL), SQLITE_OK);
    put_bytes(db, "new!", 0);
    assert_int_equal(db->pMethods->xSync(db, SQLITE_SYNC_NORMAL), SQLITE_OK);
    put_bytes(db, "lost", 0);
    assert_int_equal(jr->pMethods->xClose(jr), SQLITE_OK);
    assert_int_equal(vfs->xDelete(vfs, journal, 0), SQLITE_OK);
    assert_int_equal(db->pMethods->xClose(db), SQLITE_OK);
    assert_int_equal(crash_vfs_points(w->v), 6);
    assert_int_equal(crash_vfs_crash(w->v, CRASH_DROP_UNSYNCED, 0), 0);
    assert_holds(w->db, "new!");
    assert_holds(journal, "jjjj");

    /* At the cut that call and every later one fail; nothing more lands. */
    crash_vfs_begin(w->v, 2);
    assert_int_equal(vfs->xOpen(vfs, w->db, db, flags | SQLITE_OPEN_MAIN_DB, NULL), SQLITE_OK);
    put_bytes(db, "once", 0);
    assert_int_equal(db->pMethods->xWrite(db, "twice", 5, 0), SQLITE_IOERR_WRITE);
    assert_true(crash_vfs_is_cut(w->v));
    assert_int_equal(db->pMethods->xRead(db, buf, 4, 0), SQLITE_IOERR_READ);
    assert_int_equal(db->pMethods->xSync(db, SQLITE_SYNC_NORMAL), SQLITE_IOERR_FSYNC);
    assert_int_equal(vfs->xDelete(vfs, journal, 0), SQLITE_IOERR_DELETE);
    assert_int_equal(db->pMethods->xClose(db), SQLITE_OK);
    assert_int_equal(crash_vfs_crash(w->v, CRASH_KEEP_UNSYNCED, 0), 0);
    assert_holds(w->db, "once");
    assert_true(mdm_test_file_exists(journal));
    remove_db_files(w->db);
    free(db);
    free(jr);
}

/* Self-test: a replace written as two transactions must be caught. */
static void crash__two_transactions_are_caught(void **state)
{
    world *w = *state;
    sweep s;
    memset(&s, 0, sizeof s);
    s.w = w;
    s.impl = MDM_IMPL_MODERN;
    s.op = OP_REPLACE;
    make_template(&s);
    s.op = OP_TWO_TRANSACTIONS;
    long k = count_points(&s);
    sweep_model(&s, k, CRASH_DROP_UNSYNCED);
    assert_true(s.bad > 0);
    assert_non_null(strstr(s.first_bad, "neither the old"));
    free(s.tmpl);
}

/* Self-test: a replace with no journal at all must be caught as corrupt
 * or mixed once unsynced writes may land in part (a killed process, torn
 * sectors); losing all of them is the one model where it looks atomic
 * (one sync per commit), and the sweep says so without failing. */
static void crash__no_journal_is_caught(void **state)
{
    world *w = *state;
    sweep s;
    memset(&s, 0, sizeof s);
    s.w = w;
    s.impl = MDM_IMPL_MODERN;
    s.op = OP_REPLACE;
    s.journal = "OFF";
    s.sync = "FULL";
    make_template(&s);
    long k = count_points(&s);
    sweep_model(&s, k, CRASH_KEEP_UNSYNCED);
    assert_true(s.bad > 0);
    sweep_model(&s, k, CRASH_TORN);
    assert_true(s.bad > 0);
    sweep_model(&s, k, CRASH_DROP_UNSYNCED);
    free(s.tmpl);
}

/* ---- group ------------------------------------------------------------------------------------- */

static int group_setup(void **state)
{
    world *w = calloc(1, sizeof *w);
    if (w == NULL || mdm_test_tmpdir(w->dir, sizeof w->dir) != 0)
        return -1;
    snprintf(w->db, sizeof w->db, "%s/dataset.sqlite", w->dir);
    if ((w->v = crash_vfs_install()) == NULL || (w->warn = tmpfile()) == NULL)
        return -1;
    make_rows(&w->old_rows, 1, OLD_ROWS);
    make_rows(&w->new_rows, 1000, NEW_ROWS);
    make_rows(&w->append_rows, 2000, APPEND_ROWS);
    make_rows(&w->keep_rows, 5000, KEEP_ROWS);
    w->old_dump = expected_dump(&w->old_rows, NULL);
    w->new_dump = expected_dump(&w->new_rows, NULL);
    w->appended_dump = expected_dump(&w->old_rows, &w->append_rows);
    w->keep_dump = expected_dump(&w->keep_rows, NULL);
    w->started = now_s();
    *state = w;
    return 0;
}

static int group_teardown(void **state)
{
    world *w = *state;
    print_message("crash: %ld crash points swept in %.1f s\n", w->total_points,
                  now_s() - w->started);
    crash_vfs_uninstall(w->v);
    mdm_table_reset(&w->old_rows);
    mdm_table_reset(&w->new_rows);
    mdm_table_reset(&w->append_rows);
    mdm_table_reset(&w->keep_rows);
    free(w->old_dump);
    free(w->new_dump);
    free(w->appended_dump);
    free(w->keep_dump);
    if (w->warn != NULL)
        fclose(w->warn);
    mdm_test_rmrf(w->dir);
    free(w);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(crash__the_shim_keeps_what_was_synced),
        cmocka_unit_test(crash__two_transactions_are_caught),
        cmocka_unit_test(crash__no_journal_is_caught),
        cmocka_unit_test(crash__modern_default_wal),
        cmocka_unit_test(crash__modern_delete_journal),
#if MDM_WITH_LEGACY
        cmocka_unit_test(crash__legacy_default_wal),
        cmocka_unit_test(crash__legacy_delete_journal),
#endif
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
