/* SPDX-License-Identifier: MIT */
/*
 * test_safety.c - query safety and readers without write access in the
 * process (issue 13, items 6 and 7; test_safety_cli.c runs the program):
 *  - core's rule for SQLite queries (mdm_sql_check_sqlite_query) and the
 *    pragmas that only read; SQLite file URIs and the -wal check;
 *  - modern's guard: an authorizer refuses ATTACH, DETACH, VACUUM and
 *    pragmas that set, whatever the text looks like;
 *  - modern's reader connections: they leave no -wal or -shm behind; a
 *    file SQLite cannot read without making a -shm (no file may grow:
 *    RLIMIT_FSIZE, as on a full disk) is opened immutable when no -wal
 *    holds changes, and such a connection is never reused; with a -wal
 *    holding changes it is an error that says so;
 *  - both stores on SQLite: reads under that limit, the query rule, a
 *    WITH ... DELETE that starts like a read; the modern store on
 *    PostgreSQL: queries inside a transaction, committed or rolled back.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mdm_backend.h"
#include "mdm_conn.h"
#include "mdm_router.h"
#include "mdm_sqlitefile.h"
#include "mdm_sqlscan.h"
#include "mdm_store.h"
#include "test_support.h"

#define OK(call)                                                                  \
    do {                                                                          \
        mdm_error e_;                                                             \
        mdm_error_clear(&e_);                                                     \
        mdm_status rc_ = (call);                                                  \
        if (rc_ != MDM_OK)                                                        \
            fail_msg("%s: %s (%s)", #call, mdm_status_name(rc_), e_.message);     \
    } while (0)
#define E (&e_)

/* ---- core: the rule ---------------------------------------------------------------- */

static void safety__the_sqlite_query_rule(void **state)
{
    (void)state;
    static const struct { const char *sql, *refused; } cases[] = {
        {"SELECT * FROM train", NULL},
        {"INSERT INTO train VALUES (1)", NULL},
        {"DROP TABLE train", NULL},
        {"PRAGMA journal_mode", NULL},
        {"PRAGMA table_info(train)", NULL},
        {"PRAGMA main.index_list('train')", NULL},
        {"pragma Integrity_Check(10)", NULL},
        {"PRAGMA", NULL},
        {"EXPLAIN QUERY PLAN SELECT 1", NULL},
        {"SELECT 'ATTACH' AS a", NULL},
        {"ATTACH 'x.db' AS x", "ATTACH"},
        {"  -- a comment\n attach database 'x.db' as x", "ATTACH"},
        {"DETACH x", "DETACH"},
        {"VACUUM INTO '/tmp/x.db'", "VACUUM"},
        {"vacuum", "VACUUM"},
        {"EXPLAIN ATTACH 'x.db' AS x", "ATTACH"},
        {"EXPLAIN QUERY PLAN VACUUM", "VACUUM"},
        {"PRAGMA writable_schema = 1", "writable_schema"},
        {"PRAGMA main.writable_schema=ON;", "writable_schema"},
        {"PRAGMA \"writable_schema\" = 1", "writable_schema"},
        {"PRAGMA [user_version](7)", "user_version"},
        {"PRAGMA journal_mode = DELETE", "journal_mode"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        mdm_error err;
        mdm_error_clear(&err);
        mdm_status rc = mdm_sql_check_sqlite_query(cases[i].sql, &err);
        if (cases[i].refused == NULL && rc != MDM_OK)
            fail_msg("'%s' refused: %s", cases[i].sql, err.message);
        if (cases[i].refused != NULL &&
            (rc != MDM_ERR_UNSUPPORTED || strstr(err.message, cases[i].refused) == NULL))
            fail_msg("'%s': %s '%s', expected UNSUPPORTED naming %s", cases[i].sql,
                     mdm_status_name(rc), err.message, cases[i].refused);
    }
    assert_int_equal(mdm_sql_check_sqlite_query(NULL, NULL), MDM_OK);
    assert_true(mdm_sql_pragma_reads("cache_size", 10, false));
    assert_false(mdm_sql_pragma_reads("cache_size", 10, true));
    assert_true(mdm_sql_pragma_reads("TABLE_XINFO", 11, true));
}

static void safety__sqlite_file_uris_and_the_wal_check(void **state)
{
    (void)state;
    char uri[128], dir[256], path[300], wal[320];
    mdm_sqlite_file_uri("/a b/c%d?e#f\xc3\xa9.db", "mode=ro", uri, sizeof uri);
    assert_string_equal(uri, "file:/a%20b/c%25d%3Fe%23f%C3%A9.db?mode=ro");
    mdm_sqlite_file_uri("/a/very/long/path/name", "immutable=1", uri, 16);
    assert_true(strlen(uri) < 16);
    assert_true(mdm_sqlite_uris_by_default() || !mdm_sqlite_uris_by_default());

    assert_int_equal(mdm_test_tmpdir(dir, sizeof dir), 0);
    snprintf(path, sizeof path, "%s/x.sqlite", dir);
    snprintf(wal, sizeof wal, "%s-wal", path);
    assert_false(mdm_sqlite_wal_has_frames(path));
    assert_int_equal(mdm_test_write_file(wal, "", 0), 0);
    assert_false(mdm_sqlite_wal_has_frames(path));
    assert_int_equal(mdm_test_write_file(wal, "x", 1), 0);
    assert_true(mdm_sqlite_wal_has_frames(path));
    mdm_test_rmrf(dir);
}

/* ---- fixtures: a WAL dataset ----------------------------------------------------------- */

typedef struct fx {
    char dir[256];
    char path[320];
    mdm_conn_config cfg;
    struct rlimit saved;
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    mdm_conn_config cfg = MDM_CONN_CONFIG_INIT;
    mdm_conn *c = NULL;
    mdm_query_result r;
    mdm_error err;
    if (f == NULL || mdm_test_tmpdir(f->dir, sizeof f->dir) != 0)
        return -1;
    snprintf(f->path, sizeof f->path, "%s/dataset.sqlite", f->dir);
    cfg.backend = "sqlite";
    cfg.path = f->path;
    f->cfg = cfg;
    *state = f;
    mdm_query_result_init(&r);
    /* closed again at once: WAL mode, and no -wal or -shm file left */
    mdm_status rc = mdm_conn_open(mdm_sqlite_backend(), &f->cfg, &c, &err);
    if (rc == MDM_OK)
        rc = mdm_conn_execute_query(c, "CREATE TABLE train AS SELECT 1 AS id UNION ALL "
                                       "SELECT 2 UNION ALL SELECT 3", NULL, 0, &r, &err);
    mdm_query_result_reset(&r);
    mdm_conn_close(c);
    return rc == MDM_OK ? 0 : -1;
}

static int teardown(void **state)
{
    fx *f = *state;
    mdm_test_rmrf(f->dir);
    free(f);
    return 0;
}

/* From here until no_limit(): no file of this process may grow past 16 KiB
 * (a write past it fails with EFBIG instead of raising SIGXFSZ). SQLite
 * cannot make a 32 KiB -shm: to a reader that is what a full disk does. */
static void limit_files(fx *f)
{
    struct rlimit rl;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &f->saved), 0);
    rl = f->saved;
    rl.rlim_cur = 16 * 1024;
    signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &rl), 0);
}

static void no_limit(fx *f)
{
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &f->saved), 0);
}

static int64_t count(mdm_conn *c)
{
    mdm_query_result r;
    mdm_error err;
    mdm_query_result_init(&r);
    if (mdm_conn_execute_query(c, "SELECT COUNT(*) AS n FROM train", NULL, 0, &r, &err) != MDM_OK)
        fail_msg("count: %s", err.message);
    int64_t n = mdm_table_int64(&r.table, 0, 0);
    mdm_query_result_reset(&r);
    return n;
}

static mdm_status exec(mdm_conn *c, const char *sql, mdm_error *err)
{
    mdm_query_result r;
    mdm_query_result_init(&r);
    mdm_status rc = mdm_conn_execute_query(c, sql, NULL, 0, &r, err);
    mdm_query_result_reset(&r);
    return rc;
}

/* ---- modern: the guard ------------------------------------------------------------------ */

static void safety__modern_guard_refuses_what_the_rule_refuses(void **state)
{
    fx *f = *state;
    mdm_conn_config cfg = f->cfg;
    mdm_conn *c = NULL;
    mdm_error err;
    char attach[400], made[340];
    snprintf(made, sizeof made, "%s/made.db", f->dir);
    snprintf(attach, sizeof attach, "ATTACH '%s' AS other", made);
    cfg.sqlite.guard = true;
    OK(mdm_conn_open(mdm_sqlite_backend(), &cfg, &c, E));
    static const struct { const char *sql, *said; } refused[] = {
        {NULL, "ATTACH"},
        {"DETACH main", "DETACH"},
        {"VACUUM", "ATTACH"},   /* VACUUM attaches its copy while it runs */
        {"PRAGMA writable_schema = 1", "writable_schema"},
        {"SELECT * FROM train; PRAGMA writable_schema = 1", "only one statement"},
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        const char *sql = refused[i].sql != NULL ? refused[i].sql : attach;
        mdm_status rc = exec(c, sql, &err);
        if (rc == MDM_OK || strstr(err.message, refused[i].said) == NULL)
            fail_msg("'%s': %s '%s'", sql, mdm_status_name(rc), err.message);
        if (rc != (i < 4 ? MDM_ERR_UNSUPPORTED : MDM_ERR_INVALID_ARG))
            fail_msg("'%s': %s, expected %s", sql, mdm_status_name(rc),
                     i < 4 ? "UNSUPPORTED" : "INVALID_ARG");
    }
    assert_false(mdm_test_file_exists(made));
    OK(exec(c, "PRAGMA table_info(train)", E));
    OK(exec(c, "PRAGMA journal_mode", E));
    assert_int_equal(count(c), 3);
    mdm_conn_close(c);

    /* The same connection without the guard: the authorizer was the refusal. */
    OK(mdm_conn_open(mdm_sqlite_backend(), &f->cfg, &c, E));
    OK(exec(c, "ATTACH ':memory:' AS scratch", E));
    OK(exec(c, "DETACH scratch", E));
    mdm_conn_close(c);
}

/* ---- modern: read-only connections ----------------------------------------------------- */

static void safety__modern_reader_open_when_no_file_may_grow(void **state)
{
    fx *f = *state;
    mdm_conn_config ro = f->cfg;
    mdm_conn *c = NULL;
    mdm_error err;
    ro.sqlite.reader = true;
    ro.sqlite.create = false;

    /* The usual case: no fallback, reused (ping passes), and closing it
     * leaves no -wal or -shm behind (a read-only connection would). */
    OK(mdm_conn_open(mdm_sqlite_backend(), &ro, &c, E));
    assert_int_equal(count(c), 3);
    OK(mdm_conn_ping(c, E));
    mdm_conn_close(c);
    char shm[340];
    snprintf(shm, sizeof shm, "%s-shm", f->path);
    assert_false(mdm_test_file_exists(shm));

    limit_files(f);
    mdm_status rw = mdm_conn_open(mdm_sqlite_backend(), &f->cfg, &c, &err);
    mdm_status rc = mdm_conn_open(mdm_sqlite_backend(), &ro, &c, &err);
    no_limit(f);
    if (rw == MDM_OK)
        fail_msg("the limit did not stop a read-write open: the test shows nothing");
    if (rc != MDM_OK)
        fail_msg("reader open with no room for a -shm: %s", err.message);
    assert_int_equal(count(c), 3);
    /* immutable: never handed out again */
    assert_int_equal(mdm_conn_ping(c, &err), MDM_ERR_CONNECTION);
    assert_non_null(strstr(err.message, "immutable"));
    mdm_conn_close(c);
}

/* A -wal that holds a committed row and no -shm: SQLite needs a -shm to
 * read the -wal, and an immutable open would drop the row. An error. */
static void safety__modern_reader_refuses_to_skip_a_wal_with_changes(void **state)
{
    fx *f = *state;
    mdm_conn_config ro = f->cfg;
    mdm_conn *c = NULL;
    mdm_error err;
    char shm[340];
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {   /* commits a row and dies without a checkpoint */
        sqlite3 *db = NULL;
        if (sqlite3_open(f->path, &db) != SQLITE_OK ||
            sqlite3_exec(db, "PRAGMA wal_autocheckpoint = 0; INSERT INTO train VALUES (4)",
                         NULL, NULL, NULL) != SQLITE_OK)
            _exit(1);
        _exit(0);
    }
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    assert_true(mdm_sqlite_wal_has_frames(f->path));
    snprintf(shm, sizeof shm, "%s-shm", f->path);
    assert_int_equal(unlink(shm), 0);

    ro.sqlite.reader = true;
    ro.sqlite.create = false;
    limit_files(f);
    mdm_status rc = mdm_conn_open(mdm_sqlite_backend(), &ro, &c, &err);
    no_limit(f);
    if (rc == MDM_OK)
        fail_msg("opened, and %lld rows read: the -wal's row would be lost",
                 (long long)count(c));
    assert_non_null(strstr(err.message, "-wal"));

    /* With room again, the row is there. */
    OK(mdm_conn_open(mdm_sqlite_backend(), &ro, &c, E));
    assert_int_equal(count(c), 4);
    mdm_conn_close(c);
}

static void safety__modern_reader_open_of_a_file_that_is_not_a_database(void **state)
{
    fx *f = *state;
    mdm_conn_config ro = f->cfg;
    mdm_conn *c = NULL;
    mdm_error err;
    char path[340];
    snprintf(path, sizeof path, "%s/notes.txt", f->dir);
    assert_int_equal(mdm_test_write_file(path, "just some text, not a database\n", 31), 0);
    ro.path = path;
    ro.sqlite.reader = true;
    ro.sqlite.create = false;
    assert_int_equal(mdm_conn_open(mdm_sqlite_backend(), &ro, &c, &err), MDM_ERR_CORRUPT);
    assert_non_null(strstr(err.message, "cannot read"));
    assert_non_null(strstr(err.message, "not a database"));
}

/* ---- both stores ------------------------------------------------------------------------ */

static mdm_router *router_for(const char *backend)
{
    mdm_store_settings set;
    mdm_flag_settings flags;
    mdm_pool_opts pool = MDM_POOL_OPTS_INIT;
    mdm_router *r = NULL;
    mdm_error err;
    memset(&set, 0, sizeof set);
    set.backend = backend;
    set.pg_dsn = mdm_test_pg_dsn();
    set.pool = pool;
    mdm_flag_settings_init(&flags);
    mdm_router_opts ro = {&set, &flags, NULL, NULL, NULL, NULL};
    if (mdm_router_new(&r, &ro, &err) != MDM_OK)
        fail_msg("router: %s", err.message);
    return r;
}

static int64_t store_count(mdm_store *s, const char *db)
{
    mdm_table t;
    mdm_table_init(&t);
    OK(s->ops->query(s, db, "SELECT COUNT(*) AS n FROM train", NULL, 0, false, &t, E));
    int64_t n = mdm_table_int64(&t, 0, 0);
    mdm_table_reset(&t);
    return n;
}

/* Every read of a store, twice (a fresh immutable connection each time). */
static void store_reads(mdm_store *s, const char *db)
{
    mdm_read_opts ro = MDM_READ_OPTS_INIT;
    mdm_table t;
    mdm_strlist names;
    mdm_table_info ti;
    bool there = false;
    for (int round = 0; round < 2; round++) {
        mdm_table_init(&t);
        mdm_strlist_init(&names);
        mdm_table_info_init(&ti);
        OK(s->ops->read(s, db, "train", &ro, &t, E));
        assert_int_equal(t.nrows, 3);
        OK(s->ops->tables(s, db, &names, E));
        assert_int_equal(names.count, 1);
        OK(s->ops->table_info(s, db, "train", &ti, E));
        assert_int_equal(ti.row_count, 3);
        OK(s->ops->table_exists(s, db, "train", &there, E));
        assert_true(there);
        assert_int_equal(store_count(s, db), 3);
        mdm_table_reset(&t);
        mdm_strlist_reset(&names);
        mdm_table_info_reset(&ti);
    }
}

static void stores_on_sqlite(fx *f, mdm_impl impl)
{
    mdm_router *r = router_for("sqlite");
    mdm_store *s = NULL;
    mdm_table t;
    mdm_error err;
    OK(mdm_router_store(r, impl, &s, E));

    limit_files(f);
    store_reads(s, f->path);
    no_limit(f);

    mdm_table_init(&t);
    mdm_status rc = s->ops->query(s, f->path, "ATTACH ':memory:' AS m", NULL, 0, false, &t, &err);
    assert_int_equal(rc, MDM_ERR_UNSUPPORTED);
    assert_non_null(strstr(err.message, "ATTACH"));
    /* Starts like a read, deletes: still done. */
    OK(s->ops->query(s, f->path,
                     "WITH old AS (SELECT 1 AS id) DELETE FROM train WHERE id IN old",
                     NULL, 0, false, &t, E));
    assert_int_equal(store_count(s, f->path), 2);
    OK(s->ops->db_drop(s, f->path, E));
    mdm_table_reset(&t);
    mdm_router_free(r);
}

static void safety__modern_store_reads_and_queries_on_sqlite(void **state)
{
    stores_on_sqlite(*state, MDM_IMPL_MODERN);
}

static void safety__legacy_store_reads_and_queries_on_sqlite(void **state)
{
    if (!MDM_WITH_LEGACY)
        skip();
    stores_on_sqlite(*state, MDM_IMPL_LEGACY);
}

/* PostgreSQL: a query that cannot run in a transaction fails (and the
 * transaction is rolled back: the next query works); one that can is
 * committed (another connection sees it). */
static void safety__modern_store_queries_run_in_a_transaction_on_pg(void **state)
{
    (void)state;
    char db[64];
    mdm_table t;
    mdm_error err;
    MDM_TEST_REQUIRE_PG();
    mdm_router *r = router_for("postgresql");
    mdm_store *s = NULL;
    snprintf(db, sizeof db, "mdm_safety_%ld", (long)getpid());
    OK(mdm_router_store(r, MDM_IMPL_MODERN, &s, E));
    OK(s->ops->db_create(s, db, E));
    mdm_table_init(&t);
    assert_int_not_equal(s->ops->query(s, db, "CREATE DATABASE mdm_safety_never", NULL, 0,
                                       false, &t, &err), MDM_OK);
    assert_non_null(strstr(err.message, "cannot run inside a transaction block"));
    OK(s->ops->query(s, db, "CREATE TABLE train AS SELECT 1 AS id", NULL, 0, false, &t, E));
    mdm_router_free(r);

    r = router_for("postgresql");
    OK(mdm_router_store(r, MDM_IMPL_MODERN, &s, E));
    assert_int_equal(store_count(s, db), 1);
    OK(s->ops->db_drop(s, db, E));
    mdm_table_reset(&t);
    mdm_router_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(safety__the_sqlite_query_rule),
        cmocka_unit_test(safety__sqlite_file_uris_and_the_wal_check),
        cmocka_unit_test_setup_teardown(safety__modern_guard_refuses_what_the_rule_refuses, setup, teardown),
        cmocka_unit_test_setup_teardown(safety__modern_reader_open_when_no_file_may_grow, setup, teardown),
        cmocka_unit_test_setup_teardown(safety__modern_reader_refuses_to_skip_a_wal_with_changes, setup, teardown),
        cmocka_unit_test_setup_teardown(safety__modern_reader_open_of_a_file_that_is_not_a_database, setup, teardown),
        cmocka_unit_test_setup_teardown(safety__modern_store_reads_and_queries_on_sqlite, setup, teardown),
        cmocka_unit_test_setup_teardown(safety__legacy_store_reads_and_queries_on_sqlite, setup, teardown),
        cmocka_unit_test(safety__modern_store_queries_run_in_a_transaction_on_pg),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
