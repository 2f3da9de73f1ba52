/* SPDX-License-Identifier: MIT */
/*
 * test_legacy_pg.c - pins the quirks of the legacy backend on a real,
 * throwaway PostgreSQL (ci/pg.sh; MDM_PG_DSN names it). Each test makes
 * its own databases with unique names and drops them. The URL and
 * missing-user tests need no server and always run.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "legacy_db.h"
#include "test_support.h"

#define MAX_DBS 4

typedef struct fixture {
    char dbs[MAX_DBS][64];  /* databases to drop in teardown */
    size_t ndbs;
} fixture;

#define ASSERT_OK(expr)                                                        \
    do {                                                                       \
        mdm_status rc_ = (expr);                                               \
        if (rc_ != MDM_OK)                                                     \
            fail_msg("%s -> %s: %s", #expr, mdm_status_name(rc_), err.message); \
    } while (0)

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (f == NULL)
        return -1;
    legacy_reset_all();
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    legacy_reset_all();  /* closes the engines before the drops */
    for (size_t i = 0; i < f->ndbs; i++)
        mdm_test_pg_drop_db(f->dbs[i]);
    free(f);
    return 0;
}

/* Copies the value of `key=` in the DSN into out. */
static bool dsn_value(const char *dsn, const char *key, char *out, size_t n)
{
    size_t klen = strlen(key);
    for (const char *p = dsn; p != NULL && *p; p = strchr(p, ' ')) {
        while (*p == ' ')
            p++;
        if (strncmp(p, key, klen) == 0 && p[klen] == '=') {
            size_t len = strcspn(p + klen + 1, " ");
            snprintf(out, n, "%.*s", (int)len, p + klen + 1);
            return true;
        }
    }
    return false;
}

static mdm_conf *conf_from(const char *yaml)
{
    mdm_error err;
    mdm_conf *c = NULL;
    ASSERT_OK(mdm_conf_load_string(yaml, strlen(yaml), "test.yaml", &c, &err));
    return c;
}

static void configure(legacy_backend *b, const char *yaml)
{
    mdm_error err;
    mdm_conf *c = conf_from(yaml);
    ASSERT_OK(legacy_backend_configure(b, &c->root, &err));
    mdm_conf_free(c);
}

/* The postgresql backend, configured for the throwaway server. */
static legacy_backend *pg_backend(void)
{
    mdm_error err;
    char host[512] = "localhost", port[16] = "5432", user[64] = "postgres", yaml[800];
    const char *dsn = mdm_test_pg_dsn();
    legacy_backend *b = legacy_backend_get("postgresql", &err);
    assert_non_null(b);
    if (dsn != NULL) {
        (void)dsn_value(dsn, "host", host, sizeof host);
        (void)dsn_value(dsn, "port", port, sizeof port);
        (void)dsn_value(dsn, "user", user, sizeof user);
    }
    snprintf(yaml, sizeof yaml, "postgresql:\n  host: '%s'\n  port: %s\n  user: %s\n",
             host, port, user);
    configure(b, yaml);
    return b;
}

/* A unique database name, remembered for teardown (not created). */
static const char *db_name(fixture *f)
{
    static unsigned counter;  /* test-only: unique names within this process */
    assert_true(f->ndbs < MAX_DBS);
    char *name = f->dbs[f->ndbs++];
    snprintf(name, sizeof f->dbs[0], "mdm_legacy_t%ld_%u", (long)getpid(), counter++);
    return name;
}

/* Creates a fresh database through the legacy backend. */
static const char *new_db(fixture *f, legacy_backend *b)
{
    mdm_error err;
    const char *name = db_name(f);
    ASSERT_OK(legacy_create_database(b, name, &err));
    return name;
}

static void frame_ids(mdm_table *t, const char *prefix, int64_t first, size_t n)
{
    mdm_error err;
    char name[64];
    mdm_table_init(t);
    ASSERT_OK(mdm_table_add_column(t, "id", MDM_INT64, &err));
    ASSERT_OK(mdm_table_add_column(t, "name", MDM_TEXT, &err));
    for (size_t i = 0; i < n; i++) {
        int len = snprintf(name, sizeof name, "%s%lld", prefix, (long long)(first + (int64_t)i));
        ASSERT_OK(mdm_table_push_int64(t, 0, first + (int64_t)i, &err));
        ASSERT_OK(mdm_table_push_text(t, 1, name, (size_t)len, &err));
        ASSERT_OK(mdm_table_end_row(t, &err));
    }
}

static void write_ids(legacy_backend *b, legacy_engine *e, const char *table,
                      const char *prefix, int64_t first, size_t n, const char *if_exists)
{
    mdm_error err;
    mdm_table t;
    frame_ids(&t, prefix, first, n);
    ASSERT_OK(legacy_create_table_from_dataframe(b, &t, table, e, if_exists, &err));
    mdm_table_reset(&t);
}

static int64_t scalar(legacy_backend *b, legacy_engine *e, const char *sql)
{
    mdm_error err;
    mdm_table t;
    mdm_table_init(&t);
    ASSERT_OK(legacy_execute_query(b, sql, e, &t, &err));
    assert_int_equal(t.nrows, 1);
    assert_int_equal(t.cols[0].type, MDM_INT64);
    int64_t v = mdm_table_int64(&t, 0, 0);
    mdm_table_reset(&t);
    return v;
}

/* ---- §2 Configuration: no server needed ------------------------------- */

static void legacy__pg_without_user_fails_with_exact_message(void **state)
{
    mdm_error err;
    legacy_engine *e = NULL;
    bool exists = false;
    (void)state;
    legacy_backend *b = legacy_backend_get("postgresql", &err);
    configure(b, "postgresql:\n  host: localhost\n");
    assert_int_equal(legacy_get_engine(b, "mdm_iris", &e, &err), MDM_ERR_CONFIG);
    assert_string_equal(err.message, "PostgreSQL user not configured");
    assert_null(e);
    assert_int_equal(legacy_database_exists(b, "mdm_iris", &exists, &err), MDM_ERR_CONFIG);
    assert_string_equal(err.message, "PostgreSQL user not configured");
    assert_int_equal(legacy_create_database(b, "mdm_iris", &err), MDM_ERR_CONFIG);
    assert_string_equal(err.message, "PostgreSQL user not configured");
    assert_int_equal(legacy_drop_database(b, "mdm_iris", &err), MDM_ERR_CONFIG);
    assert_string_equal(err.message, "PostgreSQL user not configured");
    assert_int_equal(legacy_error_kind_of(&err), LEGACY_ERROR_STORAGE);
    /* A user at the top level does not count: only the nested mapping. */
    configure(b, "user: postgres\n");
    assert_int_equal(legacy_get_engine(b, "mdm_iris", &e, &err), MDM_ERR_CONFIG);
}

static void legacy__pg_url_is_pasted_from_settings(void **state)
{
    mdm_error err;
    mdm_buf url;
    (void)state;
    mdm_buf_init(&url);
    legacy_backend *b = legacy_backend_get("postgresql", &err);
    configure(b, "postgresql:\n  user: test_user\n  password: test_pass\n");
    ASSERT_OK(legacy_build_connection_string(b, "test_db", &url, &err));
    assert_string_equal(mdm_buf_str(&url),
                        "postgresql://test_user:test_pass@localhost:5432/test_db?sslmode=prefer");
    mdm_buf_clear(&url);
    ASSERT_OK(legacy_build_connection_string(b, NULL, &url, &err));
    assert_string_equal(mdm_buf_str(&url),
                        "postgresql://test_user:test_pass@localhost:5432/postgres?sslmode=prefer");
    mdm_buf_clear(&url);
    /* Not escaped: a password with '@' makes a broken URL. */
    configure(b, "postgresql:\n  user: u\n  password: 'p@ss'\n  sslmode: disable\n");
    ASSERT_OK(legacy_build_connection_string(b, "d", &url, &err));
    assert_string_equal(mdm_buf_str(&url), "postgresql://u:p@ss@localhost:5432/d?sslmode=disable");
    mdm_buf_clear(&url);
    configure(b, "postgresql:\n  user: u\n  host: /run/pg dir\n");
    ASSERT_OK(legacy_build_connection_string(b, "d", &url, &err));
    assert_string_equal(mdm_buf_str(&url), "postgresql://u@%2Frun%2Fpg%20dir:5432/d?sslmode=prefer");
    mdm_buf_reset(&url);
}

/* ---- §1 The singleton engine ------------------------------------------ */

static void legacy__pg_second_get_engine_returns_first_engine(void **state)
{
    fixture *f = *state;
    mdm_error err;
    legacy_engine *e1 = NULL, *e2 = NULL;
    bool exists = true;
    MDM_TEST_REQUIRE_PG();
    legacy_backend *b = pg_backend();
    const char *a = new_db(f, b), *c = new_db(f, b);
    ASSERT_OK(legacy_get_engine(b, a, &e1, &err));
    ASSERT_OK(legacy_get_engine(b, c, &e2, &err));
    assert_ptr_equal(e1, e2);
    assert_string_equal(legacy_engine_url(e2), a);
    write_ids(b, e2, "train", "x", 1, 3, NULL);
    legacy_close_connections(b);
    ASSERT_OK(legacy_get_engine(b, c, &e2, &err));
    ASSERT_OK(legacy_table_exists(b, e2, "train", &exists, &err));
    assert_false(exists);
}

static void legacy__pg_url_path_is_used_as_is(void **state)
{
    fixture *f = *state;
    mdm_error err;
    legacy_engine *e = NULL;
    char url[900], host[512] = "", port[16] = "5432";
    MDM_TEST_REQUIRE_PG();
    legacy_backend *b = pg_backend();
    const char *db = new_db(f, b);
    /* A URL needs no configured user. */
    legacy_reset_all();
    b = legacy_backend_get("postgresql", &err);
    assert_true(dsn_value(mdm_test_pg_dsn(), "host", host, sizeof host));
    (void)dsn_value(mdm_test_pg_dsn(), "port", port, sizeof port);
    snprintf(url, sizeof url, "postgresql://postgres@:%s/%s?host=%s", port, db, host);
    ASSERT_OK(legacy_get_engine(b, url, &e, &err));
    assert_string_equal(legacy_engine_url(e), url);
    write_ids(b, e, "train", "x", 1, 2, NULL);
    assert_int_equal(scalar(b, e, "SELECT COUNT(*) FROM train"), 2);
}

/* ---- §4 Identifiers ----------------------------------------------------- */

static void legacy__pg_reads_quoted_table_as_lowercase(void **state)
{
    fixture *f = *state;
    mdm_error err;
    legacy_engine *e = NULL;
    bool exists = false;
    mdm_table t;
    mdm_table_init(&t);
    MDM_TEST_REQUIRE_PG();
    legacy_backend *b = pg_backend();
    ASSERT_OK(legacy_get_engine(b, new_db(f, b), &e, &err));
    write_ids(b, e, "Train", "x", 1, 2, NULL);
    ASSERT_OK(legacy_table_exists(b, e, "Train", &exists, &err));
    assert_true(exists);
    assert_int_equal(legacy_read_table_to_dataframe(b, "Train", e, NULL, &t, &err), MDM_ERR_NOT_FOUND);
    assert_string_equal(err.message, "Failed to read table Train: relation \"train\" does not exist");
    assert_string_equal(err.sqlstate, "42P01");
    /* Pasted names: the caller's SQL runs. */
    write_ids(b, e, "lower", "x", 1, 5, NULL);
    ASSERT_OK(legacy_read_table_to_dataframe(b, "lower WHERE id > 3", e, NULL, &t, &err));
    assert_int_equal(t.nrows, 2);
    mdm_table_reset(&t);
}

/* ---- §5 Writing ----------------------------------------------------------- */

static void legacy__pg_if_exists_defaults_to_fail_with_exact_message(void **state)
{
    fixture *f = *state;
    mdm_error err;
    legacy_engine *e = NULL;
    mdm_table t;
    legacy_names names;
    legacy_names_init(&names);
    MDM_TEST_REQUIRE_PG();
    legacy_backend *b = pg_backend();
    ASSERT_OK(legacy_get_engine(b, new_db(f, b), &e, &err));
    write_ids(b, e, "train", "x", 1, 2, NULL);
    frame_ids(&t, "y", 1, 1);
    assert_int_equal(legacy_create_table_from_dataframe(b, &t, "train", e, NULL, &err), MDM_ERR_EXISTS);
    assert_string_equal(err.message, "Failed to create table train: Table 'train' already exists.");
    /* The existence check is exact on PostgreSQL: "TRAIN" is a new table. */
    ASSERT_OK(legacy_create_table_from_dataframe(b, &t, "TRAIN", e, NULL, &err));
    ASSERT_OK(legacy_get_table_names(b, e, &names, &err));
    assert_int_equal(names.count, 2);
    assert_string_equal(names.items[0], "TRAIN");
    assert_string_equal(names.items[1], "train");
    legacy_names_reset(&names);
    mdm_table_reset(&t);
}

static void legacy__pg_replace_is_not_atomic(void **state)
{
    fixture *f = *state;
    mdm_error err;
    legacy_engine *e = NULL;
    bool exists = false;
    mdm_table t;
    MDM_TEST_REQUIRE_PG();
    legacy_backend *b = pg_backend();
    ASSERT_OK(legacy_get_engine(b, new_db(f, b), &e, &err));
    write_ids(b, e, "train", "old", 1, 3, NULL);
    /* The last of 1,500 rows is not valid UTF-8: its batch fails. */
    frame_ids(&t, "new", 1, 1499);
    ASSERT_OK(mdm_table_push_int64(&t, 0, 9999, &err));
    ASSERT_OK(mdm_table_push_text(&t, 1, "\xff\xfe", 2, &err));
    ASSERT_OK(mdm_table_end_row(&t, &err));
    assert_int_equal(legacy_create_table_from_dataframe(b, &t, "train", e, "replace", &err),
                     MDM_ERR_TYPE);
    assert_true(strncmp(err.message, "Failed to create table train: invalid byte sequence", 51) == 0);
    ASSERT_OK(legacy_table_exists(b, e, "train", &exists, &err));
    assert_true(exists);
    assert_int_equal(scalar(b, e, "SELECT COUNT(*) FROM train"), 0);
    mdm_table_reset(&t);
}

static void legacy__pg_column_types_follow_pandas(void **state)
{
    fixture *f = *state;
    mdm_error err;
    legacy_engine *e = NULL;
    legacy_table_info info;
    int64_t ts = 0;
    mdm_table t, r;
    legacy_table_info_init(&info);
    mdm_table_init(&r);
    MDM_TEST_REQUIRE_PG();
    legacy_backend *b = pg_backend();
    ASSERT_OK(legacy_get_engine(b, new_db(f, b), &e, &err));
    assert_true(mdm_parse_timestamp("2020-01-02 03:04:05.000006", 26, &ts));
    mdm_table_init(&t);
    ASSERT_OK(mdm_table_add_column(&t, "i", MDM_INT64, &err));
    ASSERT_OK(mdm_table_add_column(&t, "f", MDM_FLOAT64, &err));
    ASSERT_OK(mdm_table_add_column(&t, "b", MDM_BOOL, &err));
    ASSERT_OK(mdm_table_add_column(&t, "s", MDM_TEXT, &err));
    ASSERT_OK(mdm_table_add_column(&t, "t", MDM_TIMESTAMP, &err));
    ASSERT_OK(mdm_table_add_column(&t, "n", MDM_INT64, &err));
    for (int row = 0; row < 2; row++) {
        ASSERT_OK(mdm_table_push_int64(&t, 0, 7 + row, &err));
        ASSERT_OK(mdm_table_push_float64(&t, 1, row ? 0.0 / 0.0 : 1.5, &err));
        ASSERT_OK(row ? mdm_table_push_null(&t, 2, &err) : mdm_table_push_bool(&t, 2, true, &err));
        ASSERT_OK(mdm_table_push_text(&t, 3, "hi", 2, &err));
        ASSERT_OK(mdm_table_push_timestamp(&t, 4, ts, &err));
        ASSERT_OK(row ? mdm_table_push_null(&t, 5, &err) : mdm_table_push_int64(&t, 5, 1, &err));
        ASSERT_OK(mdm_table_end_row(&t, &err));
    }
    ASSERT_OK(legacy_create_table_from_dataframe(b, &t, "train", e, NULL, &err));
    ASSERT_OK(legacy_get_table_info(b, "train", e, &info, &err));
    assert_int_equal(info.column_count, 6);
    assert_int_equal(info.row_count, 2);
    assert_string_equal(info.columns[0].type, "BIGINT");
    assert_string_equal(info.columns[1].type, "DOUBLE PRECISION");
    assert_string_equal(info.columns[2].type, "BOOLEAN");
    assert_string_equal(info.columns[3].type, "TEXT");
    assert_string_equal(info.columns[4].type, "TIMESTAMP");
    ASSERT_OK(legacy_read_table_to_dataframe(b, "train", e, NULL, &r, &err));
    assert_int_equal(r.cols[0].type, MDM_INT64);
    assert_int_equal(r.cols[1].type, MDM_FLOAT64);
    assert_true(mdm_table_is_null(&r, 1, 1));           /* NaN was written as NULL */
    assert_int_equal(r.cols[2].type, MDM_BOOL);
    assert_true(mdm_table_bool(&r, 2, 0));
    assert_int_equal(r.cols[3].type, MDM_TEXT);
    assert_int_equal(r.cols[4].type, MDM_TIMESTAMP);
    assert_true(mdm_table_timestamp(&r, 4, 0) == ts);
    assert_int_equal(r.cols[5].type, MDM_FLOAT64);      /* BIGINT with a NULL */
    assert_string_equal(r.cols[1].decl_type, "DOUBLE PRECISION");
    /* An empty result: all text. */
    ASSERT_OK(legacy_read_table_to_dataframe(b, "train WHERE false", e, NULL, &r, &err));
    assert_int_equal(r.nrows, 0);
    for (size_t i = 0; i < r.ncols; i++)
        assert_int_equal(r.cols[i].type, MDM_TEXT);
    legacy_table_info_reset(&info);
    mdm_table_reset(&t);
    mdm_table_reset(&r);
}

static void legacy__pg_writes_long_and_wide_frames_in_batches(void **state)
{
    fixture *f = *state;
    mdm_error err;
    legacy_engine *e = NULL;
    char name[16];
    mdm_table t;
    MDM_TEST_REQUIRE_PG();
    legacy_backend *b = pg_backend();
    ASSERT_OK(legacy_get_engine(b, new_db(f, b), &e, &err));
    write_ids(b, e, "train", "x", 0, 2500, NULL);
    assert_int_equal(scalar(b, e, "SELECT COUNT(*) FROM train"), 2500);
    assert_int_equal(scalar(b, e, "SELECT SUM(id)::bigint FROM train"), 2499 * 2500 / 2);
    /* 100 columns x 1,000 rows would pass libpq's 65,535 parameters. */
    mdm_table_init(&t);
    for (int c = 0; c < 100; c++) {
        snprintf(name, sizeof name, "c%d", c);
        ASSERT_OK(mdm_table_add_column(&t, name, MDM_INT64, &err));
    }
    for (int r = 0; r < 1500; r++) {
        for (int c = 0; c < 100; c++)
            ASSERT_OK(mdm_table_push_int64(&t, (size_t)c, r, &err));
        ASSERT_OK(mdm_table_end_row(&t, &err));
    }
    ASSERT_OK(legacy_create_table_from_dataframe(b, &t, "wide", e, NULL, &err));
    assert_int_equal(scalar(b, e, "SELECT COUNT(*) FROM wide WHERE c99 = c0"), 1500);
    mdm_table_reset(&t);
}

static void legacy__pg_append_float_into_bigint_is_rounded(void **state)
{
    fixture *f = *state;
    mdm_error err;
    legacy_engine *e = NULL;
    mdm_table t;
    MDM_TEST_REQUIRE_PG();
    legacy_backend *b = pg_backend();
    ASSERT_OK(legacy_get_engine(b, new_db(f, b), &e, &err));
    write_ids(b, e, "train", "x", 1, 1, NULL);
    mdm_table_init(&t);
    ASSERT_OK(mdm_table_add_column(&t, "id", MDM_FLOAT64, &err));
    ASSERT_OK(mdm_table_push_float64(&t, 0, 41.75, &err));
    ASSERT_OK(mdm_table_end_row(&t, &err));
    ASSERT_OK(legacy_create_table_from_dataframe(b, &t, "train", e, "append", &err));
    assert_int_equal(scalar(b, e, "SELECT MAX(id) FROM train"), 42);
    mdm_table_reset(&t);
}

/* ---- §6 Reading ------------------------------------------------------------ */

static void legacy__pg_limit_zero_returns_all_and_negative_fails(void **state)
{
    fixture *f = *state;
    mdm_error err;
    legacy_engine *e = NULL;
    int64_t zero = 0, two = 2, minus = -1;
    mdm_table t;
    mdm_table_init(&t);
    MDM_TEST_REQUIRE_PG();
    legacy_backend *b = pg_backend();
    ASSERT_OK(legacy_get_engine(b, new_db(f, b), &e, &err));
    write_ids(b, e, "train", "x", 1, 5, NULL);
    ASSERT_OK(legacy_read_table_to_dataframe(b, "train", e, &zero, &t, &err));
    assert_int_equal(t.nrows, 5);
    ASSERT_OK(legacy_read_table_to_dataframe(b, "train", e, &two, &t, &err));
    assert_int_equal(t.nrows, 2);
    /* SQLSTATE 2201W, a data exception. */
    assert_int_equal(legacy_read_table_to_dataframe(b, "train", e, &minus, &t, &err), MDM_ERR_TYPE);
    assert_string_equal(err.message, "Failed to read table train: LIMIT must not be negative");
    mdm_table_reset(&t);
}

static void legacy__pg_stale_and_cross_dataset_reads(void **state)
{
    fixture *f = *state;
    mdm_error err;
    legacy_engine *e = NULL;
    mdm_table t;
    mdm_table_init(&t);
    MDM_TEST_REQUIRE_PG();
    legacy_backend *b = pg_backend();
    const char *a = new_db(f, b), *c = new_db(f, b);
    ASSERT_OK(legacy_get_engine(b, a, &e, &err));
    write_ids(b, e, "train", "a", 1, 2, NULL);
    ASSERT_OK(legacy_read_table_to_dataframe(b, "train", e, NULL, &t, &err));
    write_ids(b, e, "train", "a2_", 1, 6, "replace");
    ASSERT_OK(legacy_read_table_to_dataframe(b, "train", e, NULL, &t, &err));
    assert_int_equal(t.nrows, 2);  /* stale */
    legacy_close_connections(b);
    ASSERT_OK(legacy_get_engine(b, c, &e, &err));
    write_ids(b, e, "train", "c", 1, 4, NULL);
    ASSERT_OK(legacy_read_table_to_dataframe(b, "train", e, NULL, &t, &err));
    assert_int_equal(t.nrows, 2);  /* the other dataset's rows */
    assert_string_equal(mdm_table_text(&t, 1, 0, NULL), "a1");
    assert_int_equal(scalar(b, e, "SELECT COUNT(*) FROM train"), 4);
    mdm_table_reset(&t);
}

/* ---- §7 Queries ------------------------------------------------------------ */

static void legacy__pg_query_rolls_back_and_execute_query_commits(void **state)
{
    fixture *f = *state;
    mdm_error err;
    legacy_engine *e = NULL;
    legacy_table_info info;
    mdm_table t;
    mdm_table_init(&t);
    legacy_table_info_init(&info);
    MDM_TEST_REQUIRE_PG();
    legacy_backend *b = pg_backend();
    assert_int_equal(legacy_query(b, "SELECT 1", &t, &err), MDM_ERR_INVALID_ARG);
    assert_string_equal(err.message, "No engine available. Call get_engine() first.");
    ASSERT_OK(legacy_get_engine(b, new_db(f, b), &e, &err));
    write_ids(b, e, "train", "x", 1, 2, NULL);
    assert_int_equal(legacy_query(b, "INSERT INTO train VALUES (3, 'c')", &t, &err), MDM_ERR_SQL);
    assert_string_equal(err.message, "Failed to execute query: This result object does not "
                                     "return rows. It has been closed automatically.");
    assert_int_equal(scalar(b, e, "SELECT COUNT(*) FROM train"), 2);
    ASSERT_OK(legacy_execute_query(b, "INSERT INTO train VALUES (3, 'c')", e, &t, &err));
    assert_int_equal(scalar(b, e, "SELECT COUNT(*) FROM train"), 3);
    ASSERT_OK(legacy_query(b, "SELECT name FROM train WHERE id = 3", &t, &err));
    assert_string_equal(mdm_table_text(&t, 0, 0, NULL), "c");
    /* get_table_info errors are the driver's, unwrapped. */
    assert_int_equal(legacy_get_table_info(b, "missing", e, &info, &err), MDM_ERR_NOT_FOUND);
    assert_string_equal(err.message, "missing");
    assert_int_equal(legacy_error_kind_of(&err), LEGACY_ERROR_DRIVER);
    mdm_table_reset(&t);
}

/* ---- §9 Databases ------------------------------------------------------------ */

static void legacy__pg_database_created_by_unquoted_name(void **state)
{
    fixture *f = *state;
    mdm_error err;
    bool exists = true;
    char mixed[64], lower[64];
    MDM_TEST_REQUIRE_PG();
    legacy_backend *b = pg_backend();
    snprintf(lower, sizeof lower, "%s", db_name(f));
    snprintf(mixed, sizeof mixed, "%s", lower);
    mixed[0] = 'M';
    mixed[4] = 'L';
    /* CREATE DATABASE Mdm_Legacy... folds to lower case... */
    ASSERT_OK(legacy_create_database(b, mixed, &err));
    ASSERT_OK(legacy_database_exists(b, lower, &exists, &err));
    assert_true(exists);
    /* ...but the existence check binds the name exactly. */
    ASSERT_OK(legacy_database_exists(b, mixed, &exists, &err));
    assert_false(exists);
    ASSERT_OK(legacy_drop_database(b, mixed, &err));
    ASSERT_OK(legacy_database_exists(b, lower, &exists, &err));
    assert_false(exists);
    /* Dropping a missing database is fine (IF EXISTS). */
    ASSERT_OK(legacy_drop_database(b, lower, &err));
    f->ndbs--;  /* already gone: teardown need not drop it */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
        T(legacy__pg_without_user_fails_with_exact_message),
        T(legacy__pg_url_is_pasted_from_settings),
        T(legacy__pg_second_get_engine_returns_first_engine),
        T(legacy__pg_url_path_is_used_as_is),
        T(legacy__pg_reads_quoted_table_as_lowercase),
        T(legacy__pg_if_exists_defaults_to_fail_with_exact_message),
        T(legacy__pg_replace_is_not_atomic),
        T(legacy__pg_column_types_follow_pandas),
        T(legacy__pg_writes_long_and_wide_frames_in_batches),
        T(legacy__pg_append_float_into_bigint_is_rounded),
        T(legacy__pg_limit_zero_returns_all_and_negative_fails),
        T(legacy__pg_stale_and_cross_dataset_reads),
        T(legacy__pg_query_rolls_back_and_execute_query_commits),
        T(legacy__pg_database_created_by_unquoted_name),
#undef T
    };
    return cmocka_run_group_tests_name("legacy_pg", tests, NULL, NULL);
}
