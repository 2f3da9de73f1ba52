/* SPDX-License-Identifier: MIT */
/*
 * test_faults.c - modern's storage layer when things go wrong, each fault a
 * test: a PostgreSQL restart under a pool's idle connections (pre_ping
 * replaces them), a server that is down or never answers (a clear error
 * within connect_timeout, never a hang), an exhausted pool (the error names
 * the limits), a full, read-only or corrupted SQLite file (clear errors,
 * old data intact) and a replace that fails half-way (the old table
 * survives).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mdm_backend.h"
#include "mdm_conn.h"
#include "mdm_pool.h"
#include "test_support.h"

/* ---- helpers ------------------------------------------------------------- */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A table (id INT64, val TEXT) of n rows; val is "row <i>" padded to pad
 * bytes so that tables can be made as large as a test needs. */
static void make_rows(mdm_table *t, int64_t n, size_t pad)
{
    mdm_error err;
    char buf[4096];
    mdm_table_init(t);
    assert_int_equal(mdm_table_add_column(t, "id", MDM_INT64, &err), MDM_OK);
    assert_int_equal(mdm_table_add_column(t, "val", MDM_TEXT, &err), MDM_OK);
    assert_true(pad < sizeof buf);
    for (int64_t i = 0; i < n; i++) {
        int len = snprintf(buf, sizeof buf, "row %lld", (long long)i);
        while ((size_t)len < pad)
            buf[len++] = 'x';
        assert_int_equal(mdm_table_push_int64(t, 0, i, &err), MDM_OK);
        assert_int_equal(mdm_table_push_text(t, 1, buf, (size_t)len, &err), MDM_OK);
        assert_int_equal(mdm_table_end_row(t, &err), MDM_OK);
    }
}

/* The table read back equals `want`. */
static void expect_table(mdm_conn *c, const char *name, const mdm_table *want, const char *when)
{
    mdm_table got;
    mdm_table_diff diff;
    mdm_error err;
    mdm_table_init(&got);
    if (mdm_conn_read_table(c, name, NULL, &got, &err) != MDM_OK)
        fail_msg("%s: table '%s' unreadable: %s", when, name, err.message);
    if (!mdm_table_equal(want, &got, NULL, &diff))
        fail_msg("%s: table '%s' changed: %s", when, name, diff.message);
    mdm_table_reset(&got);
}

static void expect_missing(mdm_conn *c, const char *name, const char *when)
{
    bool exists = true;
    mdm_error err;
    if (mdm_conn_table_exists(c, name, &exists, &err) != MDM_OK)
        fail_msg("%s: table_exists: %s", when, err.message);
    if (exists)
        fail_msg("%s: table '%s' was left behind", when, name);
}

/* One statement that must succeed; returns the first INT64 cell. */
static int64_t scalar(mdm_conn *c, const char *sql)
{
    mdm_query_result r;
    mdm_error err;
    mdm_query_result_init(&r);
    if (mdm_conn_execute_query(c, sql, NULL, 0, &r, &err) != MDM_OK)
        fail_msg("%s: %s", sql, err.message);
    assert_true(r.table.nrows >= 1 && r.table.ncols >= 1);
    int64_t v = r.table.cols[0].type == MDM_INT64 ? mdm_table_int64(&r.table, 0, 0) : -1;
    mdm_query_result_reset(&r);
    return v;
}

typedef struct sqlite_fx {
    char dir[256], path[320];
    mdm_conn_config cfg;
} sqlite_fx;

static int setup_sqlite(void **state)
{
    mdm_conn_config init = MDM_CONN_CONFIG_INIT;
    sqlite_fx *f = calloc(1, sizeof *f);
    if (f == NULL || mdm_test_tmpdir(f->dir, sizeof f->dir) != 0)
        return -1;
    snprintf(f->path, sizeof f->path, "%s/faults.sqlite", f->dir);
    f->cfg = init;
    f->cfg.backend = "sqlite";
    f->cfg.path = f->path;
    *state = f;
    return 0;
}

static int teardown_sqlite(void **state)
{
    sqlite_fx *f = *state;
    mdm_test_rmrf(f->dir);
    free(f);
    return 0;
}

/* ---- PostgreSQL restart under a pool --------------------------------------- */

static const char *pg_dir_or_skip(void)
{
    const char *dir = getenv("MDM_PG_DIR");
    MDM_TEST_REQUIRE_PG();
    if (dir == NULL || dir[0] == '\0') {
        print_message("MDM_PG_DIR not set (server not started by ci/pg.sh): skipping\n");
        skip();
    }
    return dir;
}

static void restart_pg(const char *dir)
{
    char cmd[2 * PATH_MAX], root[PATH_MAX];
    mdm_test_source_dir(root, sizeof root);
    snprintf(cmd, sizeof cmd, "bash '%s/ci/pg.sh' restart '%s'", root, dir);
    if (system(cmd) != 0)
        fail_msg("could not restart PostgreSQL: %s", cmd);
}

/* Fills three idle connections, restarts the server, and checks that the
 * next operations all succeed on replaced connections. */
static void faults__pg_restart_is_survived_with_pre_ping(void **state)
{
    (void)state;
    const char *dir = pg_dir_or_skip();
    mdm_conn_config cfg = MDM_CONN_CONFIG_INIT;
    mdm_pool_opts o = MDM_POOL_OPTS_INIT;
    mdm_pool *pool = NULL;
    mdm_conn *c[3];
    mdm_pool_status st;
    mdm_error err;
    cfg.backend = "postgresql";
    cfg.dsn = mdm_test_pg_dsn();
    o.pool_size = 3;
    o.max_overflow = 0;
    o.timeout_s = 5;
    o.pre_ping = true;
    assert_int_equal(mdm_pool_new(&pool, mdm_pg_backend(), &cfg, &o, &err), MDM_OK);
    for (int i = 0; i < 3; i++) {
        if (mdm_pool_acquire(pool, &c[i], &err) != MDM_OK)
            fail_msg("acquire %d: %s", i, err.message);
        assert_int_equal(scalar(c[i], "SELECT 1 AS one"), 1);
    }
    for (int i = 0; i < 3; i++)
        assert_int_equal(mdm_pool_release(pool, c[i]), MDM_OK);
    mdm_pool_get_status(pool, &st);
    assert_int_equal(st.idle, 3);

    restart_pg(dir);

    /* Every idle connection is dead now; each checkout must replace one. */
    for (int i = 0; i < 3; i++) {
        if (mdm_pool_acquire(pool, &c[i], &err) != MDM_OK)
            fail_msg("acquire %d after the restart: %s", i, err.message);
        assert_int_equal(scalar(c[i], "SELECT 2 AS two"), 2);
    }
    mdm_pool_get_status(pool, &st);
    assert_int_equal(st.ping_failures, 3);
    assert_int_equal(st.created, 6);
    assert_int_equal(st.in_use, 3);
    for (int i = 0; i < 3; i++)
        assert_int_equal(mdm_pool_release(pool, c[i]), MDM_OK);
    mdm_pool_free(pool);
}

/* Without pre_ping the stale connection is handed out, and the operation on
 * it fails with a CONNECTION error that says so (no crash, no hang). */
static void faults__pg_restart_without_pre_ping_fails_clearly(void **state)
{
    (void)state;
    const char *dir = pg_dir_or_skip();
    mdm_conn_config cfg = MDM_CONN_CONFIG_INIT;
    mdm_pool_opts o = MDM_POOL_OPTS_INIT;
    mdm_pool *pool = NULL;
    mdm_conn *c = NULL;
    mdm_query_result r;
    mdm_error err;
    cfg.backend = "postgresql";
    cfg.dsn = mdm_test_pg_dsn();
    o.pool_size = 1;
    o.max_overflow = 0;
    o.pre_ping = false;
    assert_int_equal(mdm_pool_new(&pool, mdm_pg_backend(), &cfg, &o, &err), MDM_OK);
    assert_int_equal(mdm_pool_acquire(pool, &c, &err), MDM_OK);
    assert_int_equal(scalar(c, "SELECT 1 AS one"), 1);
    assert_int_equal(mdm_pool_release(pool, c), MDM_OK);

    restart_pg(dir);

    assert_int_equal(mdm_pool_acquire(pool, &c, &err), MDM_OK);
    mdm_query_result_init(&r);
    double t0 = now_s();
    mdm_status rc = mdm_conn_execute_query(c, "SELECT 1 AS one", NULL, 0, &r, &err);
    double took = now_s() - t0;
    mdm_query_result_reset(&r);
    assert_int_equal(rc, MDM_ERR_CONNECTION);
    assert_true(err.message[0] != '\0');
    assert_true(took < 15.0);   /* no hang; generous for a loaded machine */
    assert_int_equal(mdm_pool_release(pool, c), MDM_OK);
    mdm_pool_free(pool);
}

/* ---- a server that is down, or that never answers -------------------------- */

/* A socket folder with no server at all: CONNECTION at once. */
static void faults__pg_down_server_fails_fast(void **state)
{
    (void)state;
    char dir[256], dsn[512];
    mdm_conn_config cfg = MDM_CONN_CONFIG_INIT;
    mdm_conn *c = NULL;
    mdm_error err;
    assert_int_equal(mdm_test_tmpdir(dir, sizeof dir), 0);
    snprintf(dsn, sizeof dsn, "host=%s port=5432 user=postgres dbname=postgres", dir);
    cfg.backend = "postgresql";
    cfg.dsn = dsn;
    /* "Fast" means well before connect_timeout: the timeout is long, so a
     * loaded machine has room and a connect that waited for it still fails. */
    cfg.connect_timeout_s = 30;
    double t0 = now_s();
    mdm_status rc = mdm_conn_open(mdm_pg_backend(), &cfg, &c, &err);
    double took = now_s() - t0;
    assert_int_equal(rc, MDM_ERR_CONNECTION);
    assert_null(c);
    if (took >= 15.0)
        fail_msg("a missing server took %.2f s to fail, as if waiting for connect_timeout", took);
    /* The message says where it tried. */
    if (strstr(err.message, dir) == NULL && strstr(err.message, "connect") == NULL)
        fail_msg("unclear message: %s", err.message);
    mdm_test_rmrf(dir);
}

/* A socket that accepts connections into its backlog but never answers:
 * the connect must give up after connect_timeout, and so must a pool. */
static void faults__pg_silent_server_times_out(void **state)
{
    (void)state;
    char dir[256], sock[400], dsn[512];
    mdm_conn_config cfg = MDM_CONN_CONFIG_INIT;
    mdm_pool_opts o = MDM_POOL_OPTS_INIT;
    mdm_pool *pool = NULL;
    mdm_pool_status st;
    mdm_conn *c = NULL;
    mdm_error err;
    struct sockaddr_un addr;

    assert_int_equal(mdm_test_tmpdir(dir, sizeof dir), 0);
    snprintf(sock, sizeof sock, "%s/.s.PGSQL.5432", dir);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    memset(&addr, 0, sizeof addr);
    addr.sun_family = AF_UNIX;
    assert_true(strlen(sock) < sizeof addr.sun_path);
    strcpy(addr.sun_path, sock);
    assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof addr), 0);
    assert_int_equal(listen(fd, 16), 0);

    snprintf(dsn, sizeof dsn, "host=%s port=5432 user=postgres dbname=postgres", dir);
    cfg.backend = "postgresql";
    cfg.dsn = dsn;
    cfg.connect_timeout_s = 2;
    double t0 = now_s();
    mdm_status rc = mdm_conn_open(mdm_pg_backend(), &cfg, &c, &err);
    double took = now_s() - t0;
    if (rc != MDM_ERR_CONNECTION && rc != MDM_ERR_TIMEOUT)
        fail_msg("expected CONNECTION or TIMEOUT, got %s (%s)", mdm_status_name(rc), err.message);
    assert_null(c);
    assert_true(err.message[0] != '\0');
    /* libpq waits connect_timeout (2 s) per attempt; allow one retry and a
     * loaded machine. */
    if (took < 1.5 || took > 15.0)
        fail_msg("gave up after %.2f s, expected about 2 s", took);

    /* A pool neither hangs nor keeps the failed slot. */
    o.pool_size = 1;
    o.max_overflow = 0;
    o.timeout_s = 1;
    assert_int_equal(mdm_pool_new(&pool, mdm_pg_backend(), &cfg, &o, &err), MDM_OK);
    for (int i = 0; i < 2; i++) {
        t0 = now_s();
        rc = mdm_pool_acquire(pool, &c, &err);
        took = now_s() - t0;
        if (rc != MDM_ERR_CONNECTION && rc != MDM_ERR_TIMEOUT)
            fail_msg("pool try %d: expected CONNECTION or TIMEOUT, got %s (%s)", i,
                     mdm_status_name(rc), err.message);
        if (took > 15.0)
            fail_msg("pool try %d took %.2f s", i, took);
    }
    mdm_pool_get_status(pool, &st);
    assert_int_equal(st.open, 0);
    assert_int_equal(st.in_use, 0);
    mdm_pool_free(pool);
    close(fd);
    mdm_test_rmrf(dir);
}

/* ---- pool exhaustion ------------------------------------------------------- */

static void exhaust(const mdm_backend_ops *ops, const mdm_conn_config *cfg)
{
    mdm_pool_opts o = MDM_POOL_OPTS_INIT;
    mdm_pool *pool = NULL;
    mdm_conn *a = NULL, *b = NULL, *c = NULL;
    mdm_pool_status st;
    mdm_error err;
    o.pool_size = 1;
    o.max_overflow = 1;
    o.timeout_s = 0.25;
    assert_int_equal(mdm_pool_new(&pool, ops, cfg, &o, &err), MDM_OK);
    assert_int_equal(mdm_pool_acquire(pool, &a, &err), MDM_OK);
    assert_int_equal(mdm_pool_acquire(pool, &b, &err), MDM_OK);
    double t0 = now_s();
    mdm_status rc = mdm_pool_acquire(pool, &c, &err);
    double took = now_s() - t0;
    assert_int_equal(rc, MDM_ERR_POOL_EXHAUSTED);
    if (strstr(err.message, "pool_size 1") == NULL || strstr(err.message, "max_overflow 1") == NULL ||
        strstr(err.message, "0.250") == NULL)
        fail_msg("the message does not name the limits: %s", err.message);
    if (took < 0.2 || took > 10.0)   /* generous: a loaded machine may stall us */
        fail_msg("gave up after %.3f s, expected 0.25 s", took);
    mdm_pool_get_status(pool, &st);
    assert_int_equal(st.timeouts, 1);
    assert_int_equal(st.in_use, 2);
    /* One back: the next acquire succeeds at once. */
    assert_int_equal(mdm_pool_release(pool, b), MDM_OK);
    assert_int_equal(mdm_pool_acquire(pool, &c, &err), MDM_OK);
    assert_int_equal(scalar(c, "SELECT 1 AS one"), 1);
    assert_int_equal(mdm_pool_release(pool, c), MDM_OK);
    assert_int_equal(mdm_pool_release(pool, a), MDM_OK);
    mdm_pool_free(pool);
}

static void faults__sqlite_pool_exhaustion_names_limits(void **state)
{
    sqlite_fx *f = *state;
    exhaust(mdm_sqlite_backend(), &f->cfg);
}

static void faults__pg_pool_exhaustion_names_limits(void **state)
{
    (void)state;
    mdm_conn_config cfg = MDM_CONN_CONFIG_INIT;
    MDM_TEST_REQUIRE_PG();
    cfg.backend = "postgresql";
    cfg.dsn = mdm_test_pg_dsn();
    exhaust(mdm_pg_backend(), &cfg);
}

/* ---- a full database --------------------------------------------------------- */

/* max_page_count caps the file at its current size: new tables, a replace
 * and an append all fail with FULL, and the old table is intact. */
static void faults__sqlite_full_database_keeps_old_data(void **state)
{
    sqlite_fx *f = *state;
    mdm_conn *c = NULL;
    mdm_table old, big;
    mdm_query_result r;
    mdm_error err;
    make_rows(&old, 100, 20);
    make_rows(&big, 5000, 200);   /* about 1 MB: far more than is left */
    assert_int_equal(mdm_conn_open(mdm_sqlite_backend(), &f->cfg, &c, &err), MDM_OK);
    assert_int_equal(mdm_conn_create_table(c, "train", &old, MDM_IF_EXISTS_FAIL, &err), MDM_OK);

    int64_t pages = scalar(c, "SELECT page_count AS n FROM pragma_page_count()");
    char sql[128];
    snprintf(sql, sizeof sql, "PRAGMA max_page_count = %lld", (long long)pages + 2);
    mdm_query_result_init(&r);
    if (mdm_conn_execute_query(c, sql, NULL, 0, &r, &err) != MDM_OK)
        fail_msg("%s: %s", sql, err.message);
    mdm_query_result_reset(&r);

    static const struct { const char *table; mdm_if_exists mode; } tries[] = {
        {"other", MDM_IF_EXISTS_FAIL},
        {"train", MDM_IF_EXISTS_REPLACE},
        {"train", MDM_IF_EXISTS_APPEND},
    };
    for (size_t i = 0; i < 3; i++) {
        mdm_status rc = mdm_conn_create_table(c, tries[i].table, &big, tries[i].mode, &err);
        if (rc != MDM_ERR_FULL)
            fail_msg("%s %s: expected FULL, got %s (%s)", mdm_if_exists_name(tries[i].mode),
                     tries[i].table, mdm_status_name(rc), err.message);
        if (strstr(err.message, "full") == NULL)
            fail_msg("the message does not say the database is full: %s", err.message);
        expect_table(c, "train", &old, "after a FULL error");
    }
    expect_missing(c, "other", "after a FULL error");
    mdm_conn_close(c);

    /* A new connection (no page cap) sees the same, intact data. */
    assert_int_equal(mdm_conn_open(mdm_sqlite_backend(), &f->cfg, &c, &err), MDM_OK);
    expect_table(c, "train", &old, "reopened");
    mdm_conn_close(c);
    mdm_table_reset(&old);
    mdm_table_reset(&big);
}

/* ---- a read-only file -------------------------------------------------------- */

/* Opened read-only: reads work, every write is READONLY and changes nothing. */
static void faults__sqlite_read_only_open_refuses_writes(void **state)
{
    sqlite_fx *f = *state;
    mdm_conn *c = NULL;
    mdm_table old, other;
    mdm_error err;
    make_rows(&old, 50, 10);
    make_rows(&other, 10, 10);
    assert_int_equal(mdm_conn_open(mdm_sqlite_backend(), &f->cfg, &c, &err), MDM_OK);
    assert_int_equal(mdm_conn_create_table(c, "train", &old, MDM_IF_EXISTS_FAIL, &err), MDM_OK);
    mdm_conn_close(c);

    mdm_conn_config ro = f->cfg;
    ro.sqlite.read_only = true;
    ro.sqlite.create = false;
    if (mdm_conn_open(mdm_sqlite_backend(), &ro, &c, &err) != MDM_OK)
        fail_msg("read-only open: %s", err.message);
    expect_table(c, "train", &old, "read-only");
    mdm_status rc = mdm_conn_create_table(c, "train", &other, MDM_IF_EXISTS_REPLACE, &err);
    assert_int_equal(rc, MDM_ERR_READONLY);
    assert_non_null(strstr(err.message, "read"));
    assert_int_equal(mdm_conn_drop_table(c, "train", false, &err), MDM_ERR_READONLY);
    expect_table(c, "train", &old, "after refused writes");
    mdm_conn_close(c);
    mdm_table_reset(&old);
    mdm_table_reset(&other);
}

/* The file itself is read-only (mode 0444, and not root: root ignores file
 * modes, so the writes run in a child that drops to nobody). The child
 * reports the status and message of its write through a pipe. */
static void faults__sqlite_read_only_file_refuses_writes(void **state)
{
    sqlite_fx *f = *state;
    mdm_conn *c = NULL;
    mdm_table old;
    mdm_error err;
    int fds[2];
    make_rows(&old, 50, 10);
    assert_int_equal(mdm_conn_open(mdm_sqlite_backend(), &f->cfg, &c, &err), MDM_OK);
    assert_int_equal(mdm_conn_create_table(c, "train", &old, MDM_IF_EXISTS_FAIL, &err), MDM_OK);
    mdm_conn_close(c);   /* checkpoints: no -wal or -shm file is left */
    assert_int_equal(chmod(f->path, 0444), 0);
    assert_int_equal(chmod(f->dir, 0555), 0);
    assert_int_equal(pipe(fds), 0);

    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        mdm_error cerr;
        mdm_table other;
        mdm_status rc;
        close(fds[0]);
        mdm_error_clear(&cerr);
        if (geteuid() == 0) {
            struct passwd *pw = getpwnam("nobody");
            if (pw == NULL || setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0)
                _exit(3);
        }
        mdm_table_init(&other);
        rc = mdm_conn_open(mdm_sqlite_backend(), &f->cfg, &c, &cerr);
        if (rc == MDM_OK) {
            if (mdm_table_add_column(&other, "x", MDM_INT64, &cerr) == MDM_OK)
                rc = mdm_conn_create_table(c, "train", &other, MDM_IF_EXISTS_REPLACE, &cerr);
            mdm_conn_close(c);
        }
        if (write(fds[1], &rc, sizeof rc) != (ssize_t)sizeof rc ||
            write(fds[1], cerr.message, sizeof cerr.message) != (ssize_t)sizeof cerr.message)
            _exit(4);
        _exit(0);
    }
    close(fds[1]);
    mdm_status rc = MDM_OK;
    char msg[sizeof err.message] = "";
    ssize_t n1 = read(fds[0], &rc, sizeof rc);
    ssize_t n2 = read(fds[0], msg, sizeof msg);
    close(fds[0]);
    int wst = 0;
    assert_int_equal(waitpid(pid, &wst, 0), pid);
    assert_true(WIFEXITED(wst));
    if (WEXITSTATUS(wst) == 3) {
        chmod(f->dir, 0755);
        print_message("cannot drop to user nobody: skipping\n");
        skip();
    }
    assert_int_equal(WEXITSTATUS(wst), 0);
    assert_int_equal(n1, (ssize_t)sizeof rc);
    assert_int_equal(n2, (ssize_t)sizeof msg);
    /* Opening may fail (CONNECTION: the file cannot be written) or the write
     * may (READONLY); either way with a message that says so. */
    if (rc != MDM_ERR_READONLY && rc != MDM_ERR_CONNECTION && rc != MDM_ERR_IO)
        fail_msg("write to a read-only file: expected READONLY, got %s (%s)", mdm_status_name(rc), msg);
    if (strstr(msg, "read") == NULL && strstr(msg, "ermission") == NULL)
        fail_msg("the message does not say the file is read-only: %s", msg);

    assert_int_equal(chmod(f->dir, 0755), 0);
    assert_int_equal(chmod(f->path, 0644), 0);
    assert_int_equal(mdm_conn_open(mdm_sqlite_backend(), &f->cfg, &c, &err), MDM_OK);
    expect_table(c, "train", &old, "after the refused write");
    mdm_conn_close(c);
    mdm_table_reset(&old);
}

/* ---- a corrupted file ---------------------------------------------------------- */

static void expect_corrupt(const mdm_conn_config *cfg, const char *what)
{
    mdm_conn *c = NULL;
    mdm_table got;
    mdm_error err;
    mdm_status rc = mdm_conn_open(mdm_sqlite_backend(), cfg, &c, &err);
    if (rc == MDM_OK) {
        mdm_table_init(&got);
        rc = mdm_conn_read_table(c, "train", NULL, &got, &err);
        mdm_table_reset(&got);
        mdm_conn_close(c);
    }
    if (rc != MDM_ERR_CORRUPT)
        fail_msg("%s: expected CORRUPT, got %s (%s)", what, mdm_status_name(rc), err.message);
    if (strstr(err.message, "database") == NULL && strstr(err.message, "malformed") == NULL)
        fail_msg("%s: unclear message: %s", what, err.message);
}

static void faults__sqlite_corrupted_files_are_reported(void **state)
{
    sqlite_fx *f = *state;
    mdm_conn *c = NULL;
    mdm_table rows;
    mdm_error err;
    struct stat st;

    /* Not a database at all. */
    static const char junk[] = "id,val\n1,this is a CSV file, not a database\n";
    char big[8192];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = junk[i % (sizeof junk - 1)];
    assert_int_equal(mdm_test_write_file(f->path, big, sizeof big), 0);
    expect_corrupt(&f->cfg, "a CSV file");

    /* A real database with its data pages overwritten. */
    unlink(f->path);
    make_rows(&rows, 3000, 100);
    assert_int_equal(mdm_conn_open(mdm_sqlite_backend(), &f->cfg, &c, &err), MDM_OK);
    assert_int_equal(mdm_conn_create_table(c, "train", &rows, MDM_IF_EXISTS_FAIL, &err), MDM_OK);
    mdm_conn_close(c);
    assert_int_equal(stat(f->path, &st), 0);
    assert_true(st.st_size > 64 * 1024);
    int fd = open(f->path, O_WRONLY);
    assert_true(fd >= 0);
    memset(big, 0xA5, sizeof big);
    for (off_t off = 8192; off + (off_t)sizeof big < st.st_size; off += 4 * (off_t)sizeof big)
        assert_int_equal(pwrite(fd, big, sizeof big, off), (ssize_t)sizeof big);
    close(fd);
    expect_corrupt(&f->cfg, "overwritten pages");

    /* Cut in half. */
    assert_int_equal(truncate(f->path, st.st_size / 2), 0);
    expect_corrupt(&f->cfg, "truncated file");
    mdm_table_reset(&rows);
}

/* ---- replace that fails half-way ------------------------------------------------- */

/* A table whose row `bad` holds a text cell with a NUL byte inside: the
 * backends refuse it when they reach it, after earlier rows went in.
 * mdm_table refuses such a cell, so the byte is planted afterwards, as a
 * corrupted table in memory would hold it. */
static void make_poisoned(mdm_table *t, int64_t n, int64_t bad)
{
    mdm_error err;
    mdm_table_init(t);
    assert_int_equal(mdm_table_add_column(t, "id", MDM_INT64, &err), MDM_OK);
    assert_int_equal(mdm_table_add_column(t, "val", MDM_TEXT, &err), MDM_OK);
    for (int64_t i = 0; i < n; i++) {
        assert_int_equal(mdm_table_push_int64(t, 0, i, &err), MDM_OK);
        if (i == bad)
            assert_int_equal(mdm_table_push_text(t, 1, "bad#row", 7, &err), MDM_OK);
        else
            assert_int_equal(mdm_table_push_text(t, 1, "new", 3, &err), MDM_OK);
        assert_int_equal(mdm_table_end_row(t, &err), MDM_OK);
    }
    t->cols[1].text[t->cols[1].off[bad] + 3] = '\0';
}

/* PostgreSQL cannot store a NUL byte, so the poisoned row fails the load
 * (COPY) after 600 rows went in; nothing of it may remain. */
static void replace_fails_half_way(const mdm_backend_ops *ops, const mdm_conn_config *cfg)
{
    mdm_conn *c = NULL;
    mdm_table old, poisoned;
    mdm_error err;
    make_rows(&old, 200, 10);
    make_poisoned(&poisoned, 1000, 600);
    assert_int_equal(mdm_conn_open(ops, cfg, &c, &err), MDM_OK);
    assert_int_equal(mdm_conn_create_table(c, "train", &old, MDM_IF_EXISTS_REPLACE, &err), MDM_OK);
    static const mdm_if_exists modes[] = {MDM_IF_EXISTS_REPLACE, MDM_IF_EXISTS_APPEND};
    for (size_t i = 0; i < 2; i++) {
        mdm_status rc = mdm_conn_create_table(c, "train", &poisoned, modes[i], &err);
        if (rc == MDM_OK)
            fail_msg("%s with a NUL byte in row 600 succeeded", mdm_if_exists_name(modes[i]));
        assert_true(err.message[0] != '\0');
        expect_table(c, "train", &old, mdm_if_exists_name(modes[i]));
    }
    /* A new table that fails half-way is not left behind either. */
    assert_int_not_equal(mdm_conn_create_table(c, "fresh", &poisoned, MDM_IF_EXISTS_FAIL, &err), MDM_OK);
    expect_missing(c, "fresh", "failed create");
    /* And the connection is still usable: no transaction left open. */
    assert_false(mdm_conn_in_transaction(c));
    assert_int_equal(mdm_conn_create_table(c, "fresh", &old, MDM_IF_EXISTS_FAIL, &err), MDM_OK);
    expect_table(c, "fresh", &old, "create after the failures");
    mdm_conn_close(c);
    mdm_table_reset(&old);
    mdm_table_reset(&poisoned);
}

/* SQLite stores whatever bytes it is given, so its failing insert comes
 * from a trigger that aborts at row 600 of an append; a replace that fails
 * half-way is the FULL case above. A replace that fails at CREATE (columns
 * that SQLite takes for duplicates) must also leave the old table. */
static void faults__sqlite_failed_append_keeps_old_table(void **state)
{
    sqlite_fx *f = *state;
    mdm_conn *c = NULL;
    mdm_table old, more, dup;
    mdm_query_result r;
    mdm_error err;
    make_rows(&old, 200, 10);
    make_rows(&more, 1000, 10);
    assert_int_equal(mdm_conn_open(mdm_sqlite_backend(), &f->cfg, &c, &err), MDM_OK);
    assert_int_equal(mdm_conn_create_table(c, "train", &old, MDM_IF_EXISTS_FAIL, &err), MDM_OK);
    mdm_query_result_init(&r);
    if (mdm_conn_execute_query(c, "CREATE TRIGGER boom BEFORE INSERT ON train WHEN NEW.id = 600 "
                                  "BEGIN SELECT RAISE(ABORT, 'boom at row 600'); END",
                               NULL, 0, &r, &err) != MDM_OK)
        fail_msg("trigger: %s", err.message);
    mdm_query_result_reset(&r);
    mdm_status rc = mdm_conn_create_table(c, "train", &more, MDM_IF_EXISTS_APPEND, &err);
    if (rc == MDM_OK)
        fail_msg("append through an aborting trigger succeeded");
    if (strstr(err.message, "boom at row 600") == NULL)
        fail_msg("the error hides the cause: %s", err.message);
    expect_table(c, "train", &old, "failed append");
    assert_false(mdm_conn_in_transaction(c));

    mdm_table_init(&dup);
    assert_int_equal(mdm_table_add_column(&dup, "a", MDM_INT64, &err), MDM_OK);
    assert_int_equal(mdm_table_add_column(&dup, "A", MDM_INT64, &err), MDM_OK);
    assert_int_not_equal(mdm_conn_create_table(c, "train", &dup, MDM_IF_EXISTS_REPLACE, &err), MDM_OK);
    expect_table(c, "train", &old, "failed replace");
    assert_false(mdm_conn_in_transaction(c));
    mdm_conn_close(c);
    mdm_table_reset(&old);
    mdm_table_reset(&more);
    mdm_table_reset(&dup);
}

/* A database of its own, dropped by the teardown even when the test fails. */
typedef struct pg_fx {
    char dsn[768], db[128];
} pg_fx;

static int setup_pg_db(void **state)
{
    pg_fx *f = calloc(1, sizeof *f);
    if (f == NULL)
        return -1;
    *state = f;
    if (mdm_test_pg_dsn() == NULL)
        return 0;   /* the test skips */
    return mdm_test_pg_create_db("mdm_faults", f->dsn, sizeof f->dsn, f->db, sizeof f->db);
}

static int teardown_pg_db(void **state)
{
    pg_fx *f = *state;
    if (f != NULL && f->db[0] != '\0')
        mdm_test_pg_drop_db(f->db);
    free(f);
    return 0;
}

static void faults__pg_failed_replace_keeps_old_table(void **state)
{
    pg_fx *f = *state;
    mdm_conn_config cfg = MDM_CONN_CONFIG_INIT;
    MDM_TEST_REQUIRE_PG();
    cfg.backend = "postgresql";
    cfg.dsn = f->dsn;
    replace_fails_half_way(mdm_pg_backend(), &cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(faults__pg_restart_is_survived_with_pre_ping),
        cmocka_unit_test(faults__pg_restart_without_pre_ping_fails_clearly),
        cmocka_unit_test(faults__pg_down_server_fails_fast),
        cmocka_unit_test(faults__pg_silent_server_times_out),
        cmocka_unit_test_setup_teardown(faults__sqlite_pool_exhaustion_names_limits, setup_sqlite, teardown_sqlite),
        cmocka_unit_test(faults__pg_pool_exhaustion_names_limits),
        cmocka_unit_test_setup_teardown(faults__sqlite_full_database_keeps_old_data, setup_sqlite, teardown_sqlite),
        cmocka_unit_test_setup_teardown(faults__sqlite_read_only_open_refuses_writes, setup_sqlite, teardown_sqlite),
        cmocka_unit_test_setup_teardown(faults__sqlite_read_only_file_refuses_writes, setup_sqlite, teardown_sqlite),
        cmocka_unit_test_setup_teardown(faults__sqlite_corrupted_files_are_reported, setup_sqlite, teardown_sqlite),
        cmocka_unit_test_setup_teardown(faults__sqlite_failed_append_keeps_old_table, setup_sqlite, teardown_sqlite),
        cmocka_unit_test_setup_teardown(faults__pg_failed_replace_keeps_old_table, setup_pg_db, teardown_pg_db),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
