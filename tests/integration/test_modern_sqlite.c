/* SPDX-License-Identifier: MIT */
/*
 * test_modern_sqlite.c - what only the SQLite backend does, on real files:
 * atomic replace proven by real mid-insert failures, the declared types and
 * stored values legacy expects, tables written by pandas to_sql, widening of
 * values that do not fit the declared type, the prepared-statement cache,
 * connection options, busy databases and database files.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "mdm_backend.h"
#include "mdm_conn.h"
#include "test_support.h"

typedef struct fx {
    char dir[256], path[320];
    mdm_conn_config cfg;
    mdm_conn *c;
} fx;

static int setup(void **state)
{
    mdm_conn_config init = MDM_CONN_CONFIG_INIT;
    mdm_error err;
    fx *f = calloc(1, sizeof *f);
    if (f == NULL || mdm_test_tmpdir(f->dir, sizeof f->dir) != 0)
        return -1;
    snprintf(f->path, sizeof f->path, "%s/t.sqlite", f->dir);
    f->cfg = init;
    f->cfg.backend = "sqlite";
    f->cfg.path = f->path;
    if (mdm_conn_open(mdm_sqlite_backend(), &f->cfg, &f->c, &err) != MDM_OK)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    mdm_conn_close(f->c);
    mdm_test_rmrf(f->dir);
    free(f);
    return 0;
}

#define OK(call)                                                                   \
    do {                                                                           \
        mdm_status rc_ = (call);                                                   \
        if (rc_ != MDM_OK)                                                         \
            fail_msg("%s: %s: %s", #call, mdm_status_name(rc_), err.message);      \
    } while (0)

/* Runs SQL and returns the result (caller resets). */
static void q(mdm_conn *c, const char *sql, mdm_query_result *r)
{
    mdm_error err;
    mdm_query_result_init(r);
    OK(mdm_conn_execute_query(c, sql, NULL, 0, r, &err));
}

static void x(mdm_conn *c, const char *sql)
{
    mdm_query_result r;
    q(c, sql, &r);
    mdm_query_result_reset(&r);
}

static int64_t q1(mdm_conn *c, const char *sql)
{
    mdm_query_result r;
    q(c, sql, &r);
    assert_int_equal(r.table.nrows, 1);
    int64_t v = mdm_table_int64(&r.table, 0, 0);
    mdm_query_result_reset(&r);
    return v;
}

/* n rows: id BIGINT and a text of `width` bytes. */
static void make_rows(mdm_table *t, size_t n, size_t width)
{
    mdm_error err;
    char *s = malloc(width + 1);
    memset(s, 'x', width);
    s[width] = '\0';
    mdm_table_init(t);
    OK(mdm_table_add_column(t, "id", MDM_INT64, &err));
    OK(mdm_table_add_column(t, "payload", MDM_TEXT, &err));
    for (size_t r = 0; r < n; r++) {
        OK(mdm_table_push_int64(t, 0, (int64_t)r, &err));
        OK(mdm_table_push_text(t, 1, s, width, &err));
        OK(mdm_table_end_row(t, &err));
    }
    free(s);
}

static void read_back(mdm_conn *c, const char *table, mdm_table *out)
{
    mdm_error err;
    mdm_table_init(out);
    OK(mdm_conn_read_table(c, table, NULL, out, &err));
}

/* ---- atomic replace ---- */

static void sqlite__replace_is_atomic_when_an_insert_fails(void **state)
{
    fx *f = *state;
    mdm_table old, big, out;
    mdm_error err;
    char sql[96];
    make_rows(&old, 10, 10);
    OK(mdm_conn_create_table(f->c, "t", &old, MDM_IF_EXISTS_FAIL, &err));
    /* a real failure in the middle of the inserts: the file may not grow */
    snprintf(sql, sizeof sql, "PRAGMA max_page_count = %lld",
             (long long)q1(f->c, "PRAGMA page_count") + 20);
    x(f->c, sql);
    make_rows(&big, 20000, 200);
    mdm_status rc = mdm_conn_create_table(f->c, "t", &big, MDM_IF_EXISTS_REPLACE, &err);
    assert_int_equal(rc, MDM_ERR_FULL);
    assert_non_null(strstr(err.message, "Failed to create table t"));
    assert_non_null(strstr(err.message, "insert row"));
    assert_int_equal(err.vendor_code & 0xff, 13);   /* SQLITE_FULL */
    assert_false(mdm_conn_in_transaction(f->c));
    read_back(f->c, "t", &out);
    mdm_compare_opts o = MDM_COMPARE_OPTS_INIT;
    assert_true(mdm_table_equal(&old, &out, &o, NULL));
    mdm_table_reset(&out);
    /* append is all or nothing too */
    assert_int_equal(mdm_conn_create_table(f->c, "t", &big, MDM_IF_EXISTS_APPEND, &err), MDM_ERR_FULL);
    read_back(f->c, "t", &out);
    assert_int_equal(out.nrows, 10);
    mdm_table_reset(&out);
    mdm_table_reset(&old);
    mdm_table_reset(&big);
}

static void sqlite__replace_is_atomic_when_the_create_fails(void **state)
{
    fx *f = *state;
    mdm_table old, dup, out;
    mdm_error err;
    make_rows(&old, 3, 4);
    OK(mdm_conn_create_table(f->c, "t", &old, MDM_IF_EXISTS_FAIL, &err));
    mdm_table_init(&dup);
    OK(mdm_table_add_column(&dup, "a", MDM_INT64, &err));
    OK(mdm_table_add_column(&dup, "A", MDM_INT64, &err));   /* same column to SQLite */
    assert_int_equal(mdm_conn_create_table(f->c, "t", &dup, MDM_IF_EXISTS_REPLACE, &err), MDM_ERR_SQL);
    assert_non_null(strstr(err.message, "duplicate column name"));
    read_back(f->c, "t", &out);
    assert_int_equal(out.nrows, 3);
    assert_string_equal(out.cols[0].name, "id");
    mdm_table_reset(&out);
    mdm_table_reset(&old);
    mdm_table_reset(&dup);
}

/* ---- what legacy (and pandas) expect on disk ---- */

static void sqlite__declared_types_and_stored_values_match_legacy(void **state)
{
    fx *f = *state;
    mdm_table t;
    mdm_query_result r;
    mdm_error err;
    mdm_table_init(&t);
    OK(mdm_table_add_column(&t, "i", MDM_INT64, &err));
    OK(mdm_table_add_column(&t, "f", MDM_FLOAT64, &err));
    OK(mdm_table_add_column(&t, "b", MDM_BOOL, &err));
    OK(mdm_table_add_column(&t, "s", MDM_TEXT, &err));
    OK(mdm_table_add_column(&t, "ts", MDM_TIMESTAMP, &err));
    OK(mdm_table_push_int64(&t, 0, 1, &err));
    OK(mdm_table_push_float64(&t, 1, 2.0, &err));
    OK(mdm_table_push_bool(&t, 2, true, &err));
    OK(mdm_table_push_text(&t, 3, "x", 1, &err));
    OK(mdm_table_push_timestamp(&t, 4, 1700000000000000LL, &err));
    OK(mdm_table_end_row(&t, &err));
    OK(mdm_conn_create_table(f->c, "t", &t, MDM_IF_EXISTS_FAIL, &err));
    q(f->c, "SELECT group_concat(type, ',') AS types FROM pragma_table_info('t')", &r);
    assert_string_equal(mdm_table_text(&r.table, 0, 0, NULL), "BIGINT,FLOAT,BOOLEAN,TEXT,DATETIME");
    mdm_query_result_reset(&r);
    q(f->c, "SELECT typeof(b) AS tb, b + 0 AS braw, typeof(ts) AS tts, ts, typeof(f) AS tf FROM t", &r);
    assert_string_equal(mdm_table_text(&r.table, 0, 0, NULL), "integer");
    assert_int_equal(mdm_table_int64(&r.table, 1, 0), 1);    /* BOOLEAN stored 0/1 */
    assert_string_equal(mdm_table_text(&r.table, 2, 0, NULL), "text");
    assert_int_equal(r.table.cols[3].type, MDM_TIMESTAMP);    /* declared DATETIME */
    assert_string_equal(mdm_table_text(&r.table, 4, 0, NULL), "real");
    mdm_query_result_reset(&r);
    q(f->c, "SELECT ts || '' AS raw FROM t", &r);              /* the exact text */
    assert_string_equal(mdm_table_text(&r.table, 0, 0, NULL), "2023-11-14 22:13:20.000000");
    mdm_query_result_reset(&r);
    mdm_table_reset(&t);
}

static void sqlite__reads_tables_written_by_pandas_to_sql(void **state)
{
    fx *f = *state;
    mdm_table out;
    /* as pandas + SQLAlchemy wrote them (older SQLAlchemy added the CHECK) */
    x(f->c, "CREATE TABLE train (\n\t\"index\" BIGINT, \n\tid BIGINT, \n\tx FLOAT, \n\t"
            "flag BOOLEAN, \n\tname TEXT, \n\t\"when\" DATETIME, \n\tCHECK (flag IN (0, 1))\n)");
    x(f->c, "INSERT INTO train VALUES (0, 1, 0.5, 1, 'a', '2024-01-02 03:04:05.000000')");
    x(f->c, "INSERT INTO train VALUES (1, 2, NULL, 0, NULL, NULL)");
    x(f->c, "INSERT INTO train VALUES (2, 3, 2.0, NULL, '', '2024-01-02 00:00:00.123456')");
    read_back(f->c, "train", &out);
    assert_int_equal(out.nrows, 3);
    assert_int_equal(out.cols[1].type, MDM_INT64);
    assert_int_equal(out.cols[2].type, MDM_FLOAT64);
    assert_int_equal(out.cols[3].type, MDM_BOOL);
    assert_int_equal(out.cols[4].type, MDM_TEXT);
    assert_int_equal(out.cols[5].type, MDM_TIMESTAMP);
    assert_string_equal(out.cols[3].decl_type, "BOOLEAN");
    assert_string_equal(out.cols[5].decl_type, "DATETIME");
    assert_true(mdm_table_float64(&out, 2, 2) == 2.0);
    assert_true(mdm_table_bool(&out, 3, 0));
    assert_false(mdm_table_bool(&out, 3, 1));
    assert_true(mdm_table_is_null(&out, 3, 2));
    assert_true(mdm_table_is_null(&out, 4, 1));
    assert_false(mdm_table_is_null(&out, 4, 2));             /* '' is not NULL */
    assert_int_equal(mdm_table_timestamp(&out, 5, 0), 1704164645000000LL);
    assert_int_equal(mdm_table_timestamp(&out, 5, 2), 1704153600123456LL);
    mdm_table_reset(&out);
    /* pandas without SQLAlchemy (its sqlite3 fallback) used other names */
    x(f->c, "CREATE TABLE \"fallback\" (\"id\" INTEGER, \"x\" REAL, \"t\" TIMESTAMP, \"s\" TEXT)");
    x(f->c, "INSERT INTO fallback VALUES (1, 1.5, '2024-05-06 07:08:09', 'z')");
    read_back(f->c, "fallback", &out);
    assert_int_equal(out.cols[0].type, MDM_INT64);
    assert_int_equal(out.cols[1].type, MDM_FLOAT64);
    assert_int_equal(out.cols[2].type, MDM_TIMESTAMP);
    assert_int_equal(mdm_table_timestamp(&out, 2, 0), 1714979289000000LL);
    mdm_table_reset(&out);
}

static void sqlite__values_that_do_not_fit_widen_the_column(void **state)
{
    fx *f = *state;
    mdm_table out;
    x(f->c, "CREATE TABLE w (i BIGINT, b BOOLEAN, d DATETIME, n BIGINT, bb BOOLEAN, dd DATETIME, "
            "ff FLOAT, num NUMERIC)");
    /* legacy's append stored floats in BIGINT columns as REAL */
    x(f->c, "INSERT INTO w VALUES (1, 1, '2024-01-01 00:00:00', 5, 0, '2024-01-01', 1.5, 3)");
    x(f->c, "INSERT INTO w VALUES (2.5, 2, 'not a date', 'text', 1.5, 7, 'abc', 4.5)");
    read_back(f->c, "w", &out);
    assert_int_equal(out.cols[0].type, MDM_FLOAT64);
    assert_true(mdm_table_float64(&out, 0, 0) == 1.0);
    assert_true(mdm_table_float64(&out, 0, 1) == 2.5);
    assert_int_equal(out.cols[1].type, MDM_INT64);      /* BOOLEAN holding 2 */
    assert_int_equal(mdm_table_int64(&out, 1, 0), 1);
    assert_int_equal(out.cols[2].type, MDM_TEXT);       /* DATETIME holding 'not a date' */
    assert_string_equal(mdm_table_text(&out, 2, 0, NULL), "2024-01-01 00:00:00.000000");
    assert_string_equal(mdm_table_text(&out, 2, 1, NULL), "not a date");
    assert_int_equal(out.cols[3].type, MDM_TEXT);
    assert_string_equal(mdm_table_text(&out, 3, 0, NULL), "5");
    assert_int_equal(out.cols[4].type, MDM_FLOAT64);    /* BOOLEAN holding 1.5 */
    assert_true(mdm_table_float64(&out, 4, 0) == 0.0);
    assert_int_equal(out.cols[5].type, MDM_TEXT);       /* DATETIME holding an integer */
    assert_int_equal(out.cols[6].type, MDM_TEXT);       /* FLOAT holding 'abc' */
    assert_string_equal(mdm_table_text(&out, 6, 0, NULL), "1.5");
    assert_int_equal(out.cols[7].type, MDM_FLOAT64);    /* NUMERIC: by value */
    assert_string_equal(out.cols[7].decl_type, "NUMERIC");
    mdm_table_reset(&out);
}

static void sqlite__expressions_are_typed_by_their_values(void **state)
{
    fx *f = *state;
    mdm_query_result r;
    x(f->c, "CREATE TABLE e (v BIGINT)");
    x(f->c, "INSERT INTO e VALUES (NULL), (1), (2)");
    q(f->c, "SELECT v * 2 AS dbl, v / 2.0 AS half, NULL AS nul, CAST(v AS TEXT) AS s, "
            "x'41' AS blob FROM e ORDER BY v", &r);
    assert_null(r.table.cols[0].decl_type);
    assert_int_equal(r.table.cols[0].type, MDM_INT64);     /* NULL first, then integers */
    assert_true(mdm_table_is_null(&r.table, 0, 0));
    assert_int_equal(mdm_table_int64(&r.table, 0, 2), 4);
    assert_int_equal(r.table.cols[1].type, MDM_FLOAT64);
    assert_int_equal(r.table.cols[2].type, MDM_TEXT);      /* only NULLs */
    assert_int_equal(r.table.cols[3].type, MDM_TEXT);
    assert_int_equal(r.table.cols[4].type, MDM_TEXT);      /* blobs read as text */
    assert_string_equal(mdm_table_text(&r.table, 4, 1, NULL), "A");
    mdm_query_result_reset(&r);
    /* a zero-row expression result */
    q(f->c, "SELECT v + 1 AS n FROM e WHERE 0", &r);
    assert_int_equal(r.table.nrows, 0);
    assert_int_equal(r.table.cols[0].type, MDM_TEXT);
    mdm_query_result_reset(&r);
}

static void sqlite__a_blob_with_a_nul_byte_is_a_type_error(void **state)
{
    fx *f = *state;
    mdm_query_result r;
    mdm_error err;
    mdm_query_result_init(&r);
    assert_int_equal(mdm_conn_execute_query(f->c, "SELECT x'410042' AS b", NULL, 0, &r, &err),
                     MDM_ERR_TYPE);
    assert_non_null(strstr(err.message, "NUL"));
}

static void sqlite__negative_zero_and_nan(void **state)
{
    fx *f = *state;
    mdm_table t, out;
    mdm_error err;
    mdm_table_init(&t);
    OK(mdm_table_add_column(&t, "f", MDM_FLOAT64, &err));
    OK(mdm_table_push_float64(&t, 0, -0.0, &err));
    OK(mdm_table_end_row(&t, &err));
    OK(mdm_table_push_float64(&t, 0, NAN, &err));
    OK(mdm_table_end_row(&t, &err));
    OK(mdm_conn_create_table(f->c, "z", &t, MDM_IF_EXISTS_FAIL, &err));
    read_back(f->c, "z", &out);
    /* SQLite stores an integral REAL in a FLOAT (REAL affinity) column as an
     * integer, so the sign of -0.0 is lost (pandas and legacy lose it too);
     * NaN is a missing value: NULL, as pandas to_sql wrote it. */
    assert_true(mdm_table_float64(&out, 0, 0) == 0.0);
    assert_false(signbit(mdm_table_float64(&out, 0, 0)));
    assert_true(mdm_table_is_null(&out, 0, 1));
    mdm_table_reset(&out);
    mdm_table_reset(&t);
}

/* ---- SQLite-specific behaviour ---- */

static void sqlite__table_names_ignore_ascii_case(void **state)
{
    fx *f = *state;
    mdm_table t;
    mdm_error err;
    bool exists = false;
    make_rows(&t, 1, 1);
    OK(mdm_conn_create_table(f->c, "Train", &t, MDM_IF_EXISTS_FAIL, &err));
    OK(mdm_conn_table_exists(f->c, "train", &exists, &err));
    assert_true(exists);
    assert_int_equal(mdm_conn_create_table(f->c, "TRAIN", &t, MDM_IF_EXISTS_FAIL, &err), MDM_ERR_EXISTS);
    OK(mdm_conn_create_table(f->c, "TRAIN", &t, MDM_IF_EXISTS_APPEND, &err));
    assert_int_equal(q1(f->c, "SELECT COUNT(*) FROM train"), 2);
    mdm_table_reset(&t);
}

static void sqlite__double_quotes_never_become_strings(void **state)
{
    fx *f = *state;
    mdm_query_result r;
    mdm_error err;
    x(f->c, "CREATE TABLE d (a BIGINT)");
    mdm_query_result_init(&r);
    assert_int_equal(mdm_conn_execute_query(f->c, "SELECT \"nope\" FROM d", NULL, 0, &r, &err),
                     MDM_ERR_NOT_FOUND);
    assert_non_null(strstr(err.message, "no such column"));
}

static void sqlite__only_named_parameters(void **state)
{
    fx *f = *state;
    mdm_query_result r;
    mdm_error err;
    mdm_param p = mdm_param_int64("x", 1);
    mdm_query_result_init(&r);
    assert_int_equal(mdm_conn_execute_query(f->c, "SELECT ? AS a", &p, 1, &r, &err),
                     MDM_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "only :name parameters"));
    assert_int_equal(mdm_conn_execute_query(f->c, "SELECT @x AS a", &p, 1, &r, &err),
                     MDM_ERR_INVALID_ARG);
    assert_int_equal(mdm_conn_execute_query(f->c, "", NULL, 0, &r, &err), MDM_ERR_INVALID_ARG);
    assert_int_equal(mdm_conn_execute_query(f->c, "SELECT 1; -- only a comment", NULL, 0, &r, &err),
                     MDM_OK);
    assert_int_equal(mdm_conn_execute_query(f->c, "SELECT 1; SELEC", NULL, 0, &r, &err),
                     MDM_ERR_INVALID_ARG);
    mdm_query_result_reset(&r);
}

static void sqlite__statement_cache_is_bounded_and_optional(void **state)
{
    fx *f = *state;
    mdm_conn_config cfg = f->cfg;
    mdm_conn *c = NULL;
    mdm_stmt_cache_stats st;
    mdm_error err;
    const char *sqls[] = {"SELECT 1 AS a", "SELECT 2 AS a", "SELECT 3 AS a"};
    cfg.stmt_cache_size = 2;
    OK(mdm_conn_open(mdm_sqlite_backend(), &cfg, &c, &err));
    for (int round = 0; round < 2; round++)
        for (int i = 0; i < 3; i++)
            assert_int_equal(q1(c, sqls[i]), i + 1);
    OK(mdm_conn_stmt_cache_stats(c, &st, &err));
    assert_int_equal(st.capacity, 2);
    assert_int_equal(st.size, 2);
    assert_true(st.evictions >= 4);     /* LRU with 3 statements in 2 slots */
    assert_int_equal(st.hits + st.misses, 6);
    (void)q1(c, sqls[2]);
    (void)q1(c, sqls[2]);
    OK(mdm_conn_stmt_cache_stats(c, &st, &err));
    assert_true(st.hits >= 1);
    mdm_conn_close(c);

    cfg.stmt_cache_size = 0;
    OK(mdm_conn_open(mdm_sqlite_backend(), &cfg, &c, &err));
    for (int i = 0; i < 3; i++)
        assert_int_equal(q1(c, sqls[0]), 1);
    OK(mdm_conn_stmt_cache_stats(c, &st, &err));
    assert_int_equal(st.size, 0);
    assert_int_equal(st.hits, 0);
    assert_int_equal(st.capacity, 0);
    mdm_conn_close(c);
}

static void sqlite__connection_options_are_applied_and_checked(void **state)
{
    fx *f = *state;
    mdm_conn_config cfg = f->cfg;
    mdm_conn *c = NULL;
    mdm_query_result r;
    mdm_error err;
    char missing[400];

    q(f->c, "PRAGMA journal_mode", &r);
    assert_string_equal(mdm_table_text(&r.table, 0, 0, NULL), "wal");
    mdm_query_result_reset(&r);
    assert_int_equal(q1(f->c, "PRAGMA synchronous"), 1);     /* NORMAL */
    assert_int_equal(q1(f->c, "PRAGMA cache_size"), -64000);
    assert_int_equal(q1(f->c, "PRAGMA temp_store"), 2);      /* MEMORY */

    cfg.sqlite.journal_mode = "WAL; DROP TABLE x";
    assert_int_equal(mdm_conn_open(mdm_sqlite_backend(), &cfg, &c, &err), MDM_ERR_CONFIG);
    assert_non_null(strstr(err.message, "journal_mode"));
    cfg = f->cfg;
    cfg.sqlite.synchronous = "SOMETIMES";
    assert_int_equal(mdm_conn_open(mdm_sqlite_backend(), &cfg, &c, &err), MDM_ERR_CONFIG);
    cfg = f->cfg;
    cfg.sqlite.temp_store = "disk";
    assert_int_equal(mdm_conn_open(mdm_sqlite_backend(), &cfg, &c, &err), MDM_ERR_CONFIG);
    cfg = f->cfg;
    cfg.path = NULL;
    assert_int_equal(mdm_conn_open(mdm_sqlite_backend(), &cfg, &c, &err), MDM_ERR_CONFIG);
    cfg.path = "";
    assert_int_equal(mdm_conn_open(mdm_sqlite_backend(), &cfg, &c, &err), MDM_ERR_CONFIG);
    cfg = f->cfg;
    cfg.version = 3;
    assert_int_equal(mdm_conn_open(mdm_sqlite_backend(), &cfg, &c, &err), MDM_ERR_INVALID_ARG);
    assert_int_equal(mdm_conn_open(NULL, &f->cfg, &c, &err), MDM_ERR_INVALID_ARG);

    /* create = false on a missing file, and read-only */
    snprintf(missing, sizeof missing, "%s/missing.sqlite", f->dir);
    cfg = f->cfg;
    cfg.path = missing;
    cfg.sqlite.create = false;
    assert_int_equal(mdm_conn_open(mdm_sqlite_backend(), &cfg, &c, &err), MDM_ERR_CONNECTION);
    assert_false(mdm_test_file_exists(missing));
    cfg = f->cfg;
    cfg.sqlite.read_only = true;
    cfg.sqlite.journal_mode = NULL;
    cfg.sqlite.synchronous = NULL;
    cfg.sqlite.temp_store = NULL;
    cfg.sqlite.cache_size = -1;
    cfg.sqlite.mmap_size = -1;
    cfg.sqlite.busy_timeout_ms = -1;
    OK(mdm_conn_open(mdm_sqlite_backend(), &cfg, &c, &err));
    mdm_query_result_init(&r);
    assert_int_equal(mdm_conn_execute_query(c, "CREATE TABLE ro (a BIGINT)", NULL, 0, &r, &err),
                     MDM_ERR_READONLY);
    mdm_conn_close(c);
    /* a URI and :memory: work (no file identity to check) */
    cfg = f->cfg;
    cfg.path = ":memory:";
    OK(mdm_conn_open(mdm_sqlite_backend(), &cfg, &c, &err));
    OK(mdm_conn_ping(c, &err));
    mdm_conn_close(c);
}

static void sqlite__a_busy_database_is_busy(void **state)
{
    fx *f = *state;
    mdm_conn_config cfg = f->cfg;
    mdm_conn *other = NULL;
    mdm_table t;
    mdm_error err;
    make_rows(&t, 2, 2);
    cfg.sqlite.busy_timeout_ms = 50;
    OK(mdm_conn_open(mdm_sqlite_backend(), &cfg, &other, &err));
    x(f->c, "BEGIN IMMEDIATE");                    /* holds the write lock */
    assert_int_equal(mdm_conn_create_table(other, "t", &t, MDM_IF_EXISTS_FAIL, &err), MDM_ERR_BUSY);
    assert_false(mdm_conn_in_transaction(other));
    OK(mdm_conn_rollback(f->c, &err));
    OK(mdm_conn_create_table(other, "t", &t, MDM_IF_EXISTS_FAIL, &err));
    mdm_conn_close(other);
    mdm_table_reset(&t);
}

static void sqlite__database_files(void **state)
{
    fx *f = *state;
    char path[400], side[420];
    mdm_conn_config cfg = f->cfg;
    mdm_conn *c = NULL;
    mdm_error err;
    struct stat st;
    bool exists = true;
    snprintf(path, sizeof path, "%s/home/datasets/iris/dataset.sqlite", f->dir);
    OK(mdm_database_create(mdm_sqlite_backend(), &f->cfg, path, &err));   /* parents made */
    assert_int_equal(stat(path, &st), 0);
    assert_true(st.st_size > 0);
    cfg.path = path;
    OK(mdm_conn_open(mdm_sqlite_backend(), &cfg, &c, &err));
    x(c, "CREATE TABLE a (x BIGINT)");
    snprintf(side, sizeof side, "%s-wal", path);
    assert_true(mdm_test_file_exists(side));
    mdm_conn_close(c);
    mdm_test_write_file(side, "", 0);          /* left behind as if by a crash */
    OK(mdm_database_drop(mdm_sqlite_backend(), &f->cfg, path, false, &err));
    assert_false(mdm_test_file_exists(path));
    assert_false(mdm_test_file_exists(side));   /* unlike legacy, no -wal left */
    OK(mdm_database_exists(mdm_sqlite_backend(), &f->cfg, path, &exists, &err));
    assert_false(exists);
    /* a folder in the way: creating fails with IO */
    snprintf(path, sizeof path, "%s/t.sqlite/sub/x.sqlite", f->dir);
    assert_int_equal(mdm_database_create(mdm_sqlite_backend(), &f->cfg, path, &err), MDM_ERR_IO);
    /* removing something that is not a file */
    snprintf(path, sizeof path, "%s/home", f->dir);
    assert_int_equal(mdm_database_drop(mdm_sqlite_backend(), &f->cfg, path, true, &err), MDM_ERR_IO);
}

static void sqlite__reads_inside_a_transaction_see_its_writes(void **state)
{
    fx *f = *state;
    mdm_table t, out;
    mdm_error err;
    make_rows(&t, 3, 3);
    OK(mdm_conn_begin(f->c, &err));
    OK(mdm_conn_create_table(f->c, "t", &t, MDM_IF_EXISTS_FAIL, &err));
    read_back(f->c, "t", &out);
    assert_int_equal(out.nrows, 3);
    mdm_table_reset(&out);
    mdm_table_info ti;
    mdm_table_info_init(&ti);
    OK(mdm_conn_table_info(f->c, "t", &ti, &err));
    assert_int_equal(ti.row_count, 3);
    assert_string_equal(ti.columns[1].decl_type, "TEXT");
    mdm_table_info_reset(&ti);
    OK(mdm_conn_commit(f->c, &err));
    mdm_table_reset(&t);
}


static void sqlite__a_file_that_is_not_a_database(void **state)
{
    fx *f = *state;
    mdm_conn_config cfg = f->cfg;
    mdm_conn *c = NULL;
    mdm_table out;
    mdm_strlist names;
    mdm_table_info ti;
    mdm_error err;
    bool exists;
    char path[400];
    snprintf(path, sizeof path, "%s/notes.txt", f->dir);
    assert_int_equal(mdm_test_write_file(path, "just some text, not a database\n", 31), 0);
    cfg.path = path;
    /* setting the journal mode reads the file: the open fails */
    assert_int_equal(mdm_conn_open(mdm_sqlite_backend(), &cfg, &c, &err), MDM_ERR_CORRUPT);
    assert_non_null(strstr(err.message, "cannot set up"));
    assert_non_null(strstr(err.message, "not a database"));
    /* without PRAGMAs that read it, every operation reports it */
    cfg.sqlite.journal_mode = NULL;
    cfg.sqlite.synchronous = NULL;
    cfg.sqlite.cache_size = -1;
    cfg.sqlite.mmap_size = -1;
    cfg.sqlite.temp_store = NULL;
    OK(mdm_conn_open(mdm_sqlite_backend(), &cfg, &c, &err));
    assert_int_equal(mdm_conn_table_exists(c, "t", &exists, &err), MDM_ERR_CORRUPT);
    mdm_strlist_init(&names);
    assert_int_equal(mdm_conn_list_tables(c, &names, &err), MDM_ERR_CORRUPT);
    mdm_table_info_init(&ti);
    assert_int_equal(mdm_conn_table_info(c, "t", &ti, &err), MDM_ERR_CORRUPT);
    mdm_table_init(&out);
    assert_int_equal(mdm_conn_read_table(c, "t", NULL, &out, &err), MDM_ERR_CORRUPT);
    mdm_conn_close(c);
}

static void sqlite__closing_rolls_back_an_open_transaction(void **state)
{
    fx *f = *state;
    mdm_conn *c = NULL;
    mdm_error err;
    x(f->c, "CREATE TABLE t (v BIGINT)");
    OK(mdm_conn_open(mdm_sqlite_backend(), &f->cfg, &c, &err));
    OK(mdm_conn_begin(c, &err));
    x(c, "INSERT INTO t VALUES (1)");
    mdm_conn_close(c);
    assert_int_equal(q1(f->c, "SELECT COUNT(*) FROM t"), 0);
}

static void sqlite__odd_stored_values(void **state)
{
    fx *f = *state;
    mdm_table out;
    mdm_table_info ti;
    mdm_query_result r;
    mdm_error err;
    x(f->c, "CREATE TABLE o (d DATETIME, b BLOB, n NUMERIC)");
    x(f->c, "INSERT INTO o VALUES ('2024-01-01 00:00:00', x'', 1), (x'41', x'42', 2)");
    read_back(f->c, "o", &out);
    assert_int_equal(out.cols[0].type, MDM_TEXT);        /* a blob in a DATETIME column */
    assert_string_equal(mdm_table_text(&out, 0, 1, NULL), "A");
    mdm_table_reset(&out);
    x(f->c, "CREATE TABLE o2 (d DATETIME)");
    x(f->c, "INSERT INTO o2 VALUES ('2024-01-01 00:00:00'), (1.5)");
    read_back(f->c, "o2", &out);
    assert_int_equal(out.cols[0].type, MDM_TEXT);        /* a REAL in a DATETIME column */
    assert_string_equal(mdm_table_text(&out, 0, 1, NULL), "1.5");
    mdm_table_reset(&out);
    read_back(f->c, "o", &out);
    assert_int_equal(out.cols[1].type, MDM_TEXT);
    assert_false(mdm_table_is_null(&out, 1, 0));         /* the empty blob is '' */
    assert_string_equal(mdm_table_text(&out, 1, 0, NULL), "");
    mdm_table_reset(&out);
    mdm_table_info_init(&ti);
    OK(mdm_conn_table_info(f->c, "o", &ti, &err));
    assert_string_equal(ti.columns[2].decl_type, "NUMERIC");
    assert_int_equal(ti.columns[2].type, MDM_TEXT);      /* no fixed type: reported as TEXT */
    mdm_table_info_reset(&ti);
    /* DDL through execute_query: an existing table is EXISTS, as on PostgreSQL */
    mdm_query_result_init(&r);
    assert_int_equal(mdm_conn_execute_query(f->c, "CREATE TABLE o (a BIGINT)", NULL, 0, &r, &err),
                     MDM_ERR_EXISTS);
    assert_non_null(strstr(err.message, "already exists"));
}

/* SQLite compiles a table's triggers into every INSERT on it: a trigger
 * that writes to a table since dropped makes the INSERT itself fail to
 * prepare, before any row is written. (The table is made by SQL, so the
 * INSERT is not in the statement cache yet; a cached one fails at its
 * first step instead.) */
static void sqlite__append_fails_cleanly_when_the_insert_cannot_be_prepared(void **state)
{
    fx *f = *state;
    mdm_table t;
    mdm_error err;
    make_rows(&t, 3, 4);
    x(f->c, "CREATE TABLE t (id BIGINT, payload TEXT)");
    x(f->c, "INSERT INTO t VALUES (0, 'a'), (1, 'b'), (2, 'c')");
    x(f->c, "CREATE TABLE audit (n INTEGER)");
    x(f->c, "CREATE TRIGGER t_audit AFTER INSERT ON t BEGIN INSERT INTO audit VALUES (1); END");
    x(f->c, "DROP TABLE audit");
    mdm_status rc = mdm_conn_create_table(f->c, "t", &t, MDM_IF_EXISTS_APPEND, &err);
    assert_int_not_equal(rc, MDM_OK);
    assert_non_null(strstr(err.message, "prepare"));
    assert_non_null(strstr(err.message, "audit"));
    assert_false(mdm_conn_in_transaction(f->c));
    assert_int_equal(q1(f->c, "SELECT COUNT(*) FROM t"), 3);
    /* replace drops the table and its trigger with it */
    OK(mdm_conn_create_table(f->c, "t", &t, MDM_IF_EXISTS_REPLACE, &err));
    OK(mdm_conn_create_table(f->c, "t", &t, MDM_IF_EXISTS_APPEND, &err));
    assert_int_equal(q1(f->c, "SELECT COUNT(*) FROM t"), 6);
    mdm_table_reset(&t);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(sqlite__replace_is_atomic_when_an_insert_fails),
        T(sqlite__replace_is_atomic_when_the_create_fails),
        T(sqlite__declared_types_and_stored_values_match_legacy),
        T(sqlite__reads_tables_written_by_pandas_to_sql),
        T(sqlite__values_that_do_not_fit_widen_the_column),
        T(sqlite__expressions_are_typed_by_their_values),
        T(sqlite__a_blob_with_a_nul_byte_is_a_type_error),
        T(sqlite__negative_zero_and_nan),
        T(sqlite__table_names_ignore_ascii_case),
        T(sqlite__double_quotes_never_become_strings),
        T(sqlite__only_named_parameters),
        T(sqlite__statement_cache_is_bounded_and_optional),
        T(sqlite__connection_options_are_applied_and_checked),
        T(sqlite__a_busy_database_is_busy),
        T(sqlite__database_files),
        T(sqlite__reads_inside_a_transaction_see_its_writes),
        T(sqlite__a_file_that_is_not_a_database),
        T(sqlite__closing_rolls_back_an_open_transaction),
        T(sqlite__odd_stored_values),
        T(sqlite__append_fails_cleanly_when_the_insert_cannot_be_prepared),
    };
    return cmocka_run_group_tests_name("modern_sqlite", tests, NULL, NULL);
}
