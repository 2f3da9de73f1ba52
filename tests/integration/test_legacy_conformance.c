/* SPDX-License-Identifier: MIT */
/*
 * test_legacy_conformance.c - pins every quirk of the legacy backend
 * (LEGACY.md §1-§9), on SQLite and on a real, throwaway PostgreSQL (ci/pg.sh;
 * MDM_PG_DSN names it; without it the PostgreSQL cases are skipped). One
 * suite: the cases written once run against both backends, with the
 * backend's own expectations where legacy behaves differently; the cases of
 * one backend only run for that backend. Each quirk test asserts the
 * observable behaviour so that it fails if the quirk is ever "fixed" in
 * legacy/: legacy/ is the control in every comparison. legacy/README.md
 * maps quirks to tests.
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
#include <sqlite3.h>

#include "legacy_db.h"
#include "test_support.h"

/* ---- fixtures ----------------------------------------------------------- */

typedef struct backend_fx {
    const char *name;   /* legacy_backend_get's type */
    bool pg;
} backend_fx;

static const backend_fx SQLITE_FX = {"sqlite", false};
static const backend_fx PG_FX = {"postgresql", true};

#define MAX_DBS 4

typedef struct fixture {
    const backend_fx *be;
    char dir[512];
    char a[700];            /* SQLite: <dir>/a.sqlite */
    char b[700];            /* SQLite: <dir>/b.sqlite */
    char dbs[MAX_DBS][64];  /* PostgreSQL: databases to drop in teardown */
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
    if (f == NULL || mdm_test_tmpdir(f->dir, sizeof f->dir) != 0)
        return -1;
    f->be = *state;
    snprintf(f->a, sizeof f->a, "%s/a.sqlite", f->dir);
    snprintf(f->b, sizeof f->b, "%s/b.sqlite", f->dir);
    legacy_reset_all();
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    legacy_reset_all();  /* closes the engines before the drops */
    for (size_t i = 0; f->be->pg && i < f->ndbs; i++)
        mdm_test_pg_drop_db(f->dbs[i]);
    mdm_test_rmrf(f->dir);
    free(f);
    return 0;
}

static legacy_backend *sqlite_backend(void)
{
    mdm_error err;
    mdm_error_clear(&err);
    legacy_backend *b = legacy_backend_get("sqlite", &err);
    if (b == NULL)
        fail_msg("legacy_backend_get(sqlite): %s", err.message);
    return b;
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

/* The case's backend; a PostgreSQL case is skipped without a server. */
static legacy_backend *backend(const fixture *f)
{
    if (!f->be->pg)
        return sqlite_backend();
    MDM_TEST_REQUIRE_PG();
    return pg_backend();
}

/* A unique PostgreSQL database name, remembered for teardown (not created). */
static const char *db_name(fixture *f)
{
    static unsigned counter;  /* test-only: unique names within this process */
    assert_true(f->ndbs < MAX_DBS);
    char *name = f->dbs[f->ndbs++];
    snprintf(name, sizeof f->dbs[0], "mdm_legacy_t%ld_%u", (long)getpid(), counter++);
    return name;
}

/* A fresh database: on PostgreSQL created through the legacy backend; on
 * SQLite the path of a, then of b (not created: get_engine does that). */
static const char *new_db(fixture *f, legacy_backend *b)
{
    mdm_error err;
    if (!f->be->pg)
        return f->ndbs++ == 0 ? f->a : f->b;
    const char *name = db_name(f);
    ASSERT_OK(legacy_create_database(b, name, &err));
    return name;
}

/* get_engine on a fresh database (new_db). */
static legacy_engine *open_engine(fixture *f, legacy_backend *b)
{
    mdm_error err;
    legacy_engine *e = NULL;
    ASSERT_OK(legacy_get_engine(b, new_db(f, b), &e, &err));
    return e;
}

/* A frame (id INT64, name TEXT) with ids first..first+n-1 and names
 * "<prefix><id>". */
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

/* Writes a fresh (id, name) table through the legacy writer. */
static void write_ids(legacy_backend *b, legacy_engine *e, const char *table,
                      const char *prefix, int64_t first, size_t n, const char *if_exists)
{
    mdm_error err;
    mdm_table t;
    frame_ids(&t, prefix, first, n);
    ASSERT_OK(legacy_create_table_from_dataframe(b, &t, table, e, if_exists, &err));
    mdm_table_reset(&t);
}

/* One integer from execute_query (never cached). */
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

/* One text value from execute_query. */
static void text_of(legacy_backend *b, legacy_engine *e, const char *sql, char *out, size_t n)
{
    mdm_error err;
    mdm_table t;
    mdm_table_init(&t);
    ASSERT_OK(legacy_execute_query(b, sql, e, &t, &err));
    assert_int_equal(t.nrows, 1);
    assert_int_equal(t.cols[0].type, MDM_TEXT);
    snprintf(out, n, "%s", mdm_table_text(&t, 0, 0, NULL));
    mdm_table_reset(&t);
}

/* A read of no rows: every column is text (pandas' object dtype). */
static void assert_empty_read_is_all_text(legacy_backend *b, legacy_engine *e, const char *table)
{
    mdm_error err;
    mdm_table t;
    mdm_table_init(&t);
    ASSERT_OK(legacy_read_table_to_dataframe(b, table, e, NULL, &t, &err));
    assert_int_equal(t.nrows, 0);
    for (size_t i = 0; i < t.ncols; i++)
        assert_int_equal(t.cols[i].type, MDM_TEXT);
    mdm_table_reset(&t);
}

static double g_fake_now;  /* test-only clock for the cache's expiry */
static double fake_now(void)
{
    return g_fake_now;
}

/* ==== Both backends ========================================================= */

/* ---- §1 The singleton engine ------------------------------------------ */

static void legacy__second_get_engine_returns_first_engine(void **state)
{
    fixture *f = *state;
    mdm_error err;
    legacy_engine *e1 = NULL, *e2 = NULL;
    bool exists = true;
    legacy_backend *b = backend(f);
    const char *a = new_db(f, b), *c = new_db(f, b);
    ASSERT_OK(legacy_get_engine(b, a, &e1, &err));
    ASSERT_OK(legacy_get_engine(b, c, &e2, &err));
    assert_ptr_equal(e1, e2);
    assert_string_equal(legacy_engine_url(e2), a);
    /* A write meant for c lands in a. */
    write_ids(b, e2, "train", "x", 1, 3, NULL);
    if (!f->be->pg) {
        assert_true(mdm_test_file_exists(a));
        ASSERT_OK(legacy_database_exists(b, c, &exists, &err));
        assert_false(exists);
    }
    legacy_close_connections(b);
    ASSERT_OK(legacy_get_engine(b, c, &e2, &err));
    exists = true;
    ASSERT_OK(legacy_table_exists(b, e2, "train", &exists, &err));
    assert_false(exists);
}

static void legacy__query_without_engine_fails_with_exact_message(void **state)
{
    mdm_error err;
    mdm_table t;
    mdm_table_init(&t);
    legacy_backend *b = backend(*state);
    assert_int_equal(legacy_query(b, "SELECT 1", &t, &err), MDM_ERR_INVALID_ARG);
    assert_string_equal(err.message, "No engine available. Call get_engine() first.");
    assert_int_equal(legacy_error_kind_of(&err), LEGACY_ERROR_STORAGE);
}

static void legacy__query_uses_the_cached_engine(void **state)
{
    fixture *f = *state;
    mdm_error err;
    mdm_table t;
    mdm_table_init(&t);
    legacy_backend *b = backend(f);
    legacy_engine *e = open_engine(f, b);
    write_ids(b, e, "train", "x", 1, 4, NULL);
    ASSERT_OK(legacy_query(b, "SELECT COUNT(*) AS n FROM train", &t, &err));
    assert_int_equal(mdm_table_int64(&t, 0, 0), 4);
    mdm_table_reset(&t);
}

/* ---- §4 Identifiers and SQL text ---------------------------------------- */

static void legacy__read_pastes_the_table_name(void **state)
{
    fixture *f = *state;
    mdm_error err;
    mdm_table t;
    mdm_table_init(&t);
    legacy_backend *b = backend(f);
    legacy_engine *e = open_engine(f, b);
    write_ids(b, e, "train", "x", 1, 5, NULL);
    /* SQL injection through the name: the WHERE clause runs. */
    ASSERT_OK(legacy_read_table_to_dataframe(b, "train WHERE id = 3", e, NULL, &t, &err));
    assert_int_equal(t.nrows, 1);
    assert_int_equal(mdm_table_int64(&t, 0, 0), 3);
    if (!f->be->pg) {
        /* pysqlite ran one statement per call. */
        assert_int_equal(legacy_read_table_to_dataframe(b, "train; DROP TABLE train", e, NULL,
                                                        &t, &err),
                         MDM_ERR_SQL);
        assert_string_equal(err.message,
                            "Failed to read table train; DROP TABLE train: "
                            "You can only execute one statement at a time.");
    }
    assert_int_equal(scalar(b, e, "SELECT COUNT(*) FROM train"), 5);
    mdm_table_reset(&t);
}

/* ---- §5 Writing ----------------------------------------------------------- */

static void legacy__if_exists_defaults_to_fail_with_exact_message(void **state)
{
    fixture *f = *state;
    mdm_error err;
    mdm_table t;
    legacy_names names;
    legacy_names_init(&names);
    legacy_backend *b = backend(f);
    legacy_engine *e = open_engine(f, b);
    write_ids(b, e, "train", "x", 1, 2, NULL);
    frame_ids(&t, "y", 10, 2);
    assert_int_equal(legacy_create_table_from_dataframe(b, &t, "train", e, NULL, &err), MDM_ERR_EXISTS);
    assert_string_equal(err.message, "Failed to create table train: Table 'train' already exists.");
    assert_int_equal(legacy_error_kind_of(&err), LEGACY_ERROR_STORAGE);
    assert_int_equal(legacy_create_table_from_dataframe(b, &t, "train", e, "upsert", &err),
                     MDM_ERR_INVALID_ARG);
    assert_string_equal(err.message, "Failed to create table train: 'upsert' is not valid for if_exists");
    if (f->be->pg) {
        /* The existence check is exact on PostgreSQL: "TRAIN" is a new table. */
        ASSERT_OK(legacy_create_table_from_dataframe(b, &t, "TRAIN", e, NULL, &err));
        ASSERT_OK(legacy_get_table_names(b, e, &names, &err));
        assert_int_equal(names.count, 2);
        assert_string_equal(names.items[0], "TRAIN");
        assert_string_equal(names.items[1], "train");
    } else {
        /* pandas' existence check on SQLite ignores case. */
        assert_int_equal(legacy_create_table_from_dataframe(b, &t, "TRAIN", e, "fail", &err),
                         MDM_ERR_EXISTS);
        assert_string_equal(err.message, "Failed to create table TRAIN: Table 'TRAIN' already exists.");
    }
    assert_int_equal(scalar(b, e, "SELECT COUNT(*) FROM train"), 2);
    legacy_names_reset(&names);
    mdm_table_reset(&t);
}

static void legacy__replace_is_not_atomic(void **state)
{
    fixture *f = *state;
    mdm_error err;
    mdm_table t;
    char sql[128];
    bool exists = false;
    legacy_backend *b = backend(f);
    legacy_engine *e = open_engine(f, b);
    write_ids(b, e, "train", "old", 1, 3, NULL);
    if (f->be->pg) {
        /* The last of 1,500 rows is not valid UTF-8: its batch fails. */
        frame_ids(&t, "new", 1, 1499);
        ASSERT_OK(mdm_table_push_int64(&t, 0, 9999, &err));
        ASSERT_OK(mdm_table_push_text(&t, 1, "\xff\xfe", 2, &err));
        ASSERT_OK(mdm_table_end_row(&t, &err));
        assert_int_equal(legacy_create_table_from_dataframe(b, &t, "train", e, "replace", &err),
                         MDM_ERR_TYPE);
        assert_true(strncmp(err.message, "Failed to create table train: invalid byte sequence", 51) == 0);
    } else {
        /* Cap the file so that DROP and CREATE fit but the new rows do not. */
        int64_t pages = scalar(b, e, "PRAGMA page_count");
        snprintf(sql, sizeof sql, "PRAGMA max_page_count = %lld", (long long)pages + 1);
        (void)scalar(b, e, sql);
        frame_ids(&t, "a-long-enough-name-to-fill-pages-", 100, 5000);
        assert_int_equal(legacy_create_table_from_dataframe(b, &t, "train", e, "replace", &err),
                         MDM_ERR_FULL);
        assert_string_equal(err.message, "Failed to create table train: database or disk is full");
    }
    /* The old rows are gone; an empty table with the new schema is left. */
    ASSERT_OK(legacy_table_exists(b, e, "train", &exists, &err));
    assert_true(exists);
    assert_int_equal(scalar(b, e, "SELECT COUNT(*) FROM train"), 0);
    mdm_table_reset(&t);
}

/* SQLite stores a float appended into a BIGINT column as REAL; PostgreSQL
 * rounds it. */
static void legacy__append_floats_into_bigint_real_or_rounded(void **state)
{
    fixture *f = *state;
    mdm_error err;
    char type[32];
    mdm_table t;
    legacy_backend *b = backend(f);
    legacy_engine *e = open_engine(f, b);
    write_ids(b, e, "train", "x", 1, 1, NULL);
    mdm_table_init(&t);
    ASSERT_OK(mdm_table_add_column(&t, "id", MDM_FLOAT64, &err));
    ASSERT_OK(mdm_table_push_float64(&t, 0, 41.75, &err));
    ASSERT_OK(mdm_table_end_row(&t, &err));
    ASSERT_OK(legacy_create_table_from_dataframe(b, &t, "train", e, "append", &err));
    if (f->be->pg) {
        assert_int_equal(scalar(b, e, "SELECT MAX(id) FROM train"), 42);
    } else {
        text_of(b, e, "SELECT typeof(id) FROM train WHERE id > 2", type, sizeof type);
        assert_string_equal(type, "real");
    }
    mdm_table_reset(&t);
}

/* ---- §6 Reading ------------------------------------------------------------ */

static void legacy__limit_zero_returns_all_rows(void **state)
{
    fixture *f = *state;
    mdm_error err;
    mdm_table t;
    int64_t zero = 0, two = 2, minus = -1;
    mdm_table_init(&t);
    legacy_backend *b = backend(f);
    legacy_engine *e = open_engine(f, b);
    write_ids(b, e, "train", "x", 1, 5, NULL);
    ASSERT_OK(legacy_read_table_to_dataframe(b, "train", e, &zero, &t, &err));
    assert_int_equal(t.nrows, 5);
    ASSERT_OK(legacy_read_table_to_dataframe(b, "train", e, &two, &t, &err));
    assert_int_equal(t.nrows, 2);
    ASSERT_OK(legacy_read_table_to_dataframe(b, "train", e, NULL, &t, &err));
    assert_int_equal(t.nrows, 5);
    if (f->be->pg) {
        /* SQLSTATE 2201W, a data exception. */
        assert_int_equal(legacy_read_table_to_dataframe(b, "train", e, &minus, &t, &err),
                         MDM_ERR_TYPE);
        assert_string_equal(err.message, "Failed to read table train: LIMIT must not be negative");
    } else {
        /* LIMIT -1 is "no limit" to SQLite. */
        ASSERT_OK(legacy_read_table_to_dataframe(b, "train", e, &minus, &t, &err));
        assert_int_equal(t.nrows, 5);
    }
    mdm_table_reset(&t);
}

static void legacy__stale_read_from_cache_after_overwrite(void **state)
{
    fixture *f = *state;
    mdm_error err;
    mdm_table t;
    mdm_table_init(&t);
    g_fake_now = 1000.0;
    legacy_set_clock(fake_now);
    legacy_backend *b = backend(f);
    legacy_engine *e = open_engine(f, b);
    write_ids(b, e, "train", "old", 1, 3, NULL);
    ASSERT_OK(legacy_read_table_to_dataframe(b, "train", e, NULL, &t, &err));
    assert_int_equal(t.nrows, 3);
    write_ids(b, e, "train", "new", 10, 7, "replace");
    ASSERT_OK(legacy_read_table_to_dataframe(b, "train", e, NULL, &t, &err));
    assert_int_equal(t.nrows, 3);
    assert_string_equal(mdm_table_text(&t, 1, 0, NULL), "old1");
    /* limit 0 and no limit read the same rows under different keys. */
    int64_t zero = 0;
    ASSERT_OK(legacy_read_table_to_dataframe(b, "train", e, &zero, &t, &err));
    assert_int_equal(t.nrows, 7);
    /* Only the 300 s expiry ends the stale read. */
    g_fake_now += 299.0;
    ASSERT_OK(legacy_read_table_to_dataframe(b, "train", e, NULL, &t, &err));
    assert_int_equal(t.nrows, 3);
    g_fake_now += 2.0;
    ASSERT_OK(legacy_read_table_to_dataframe(b, "train", e, NULL, &t, &err));
    assert_int_equal(t.nrows, 7);
    mdm_table_reset(&t);
}

static void legacy__cross_dataset_read_from_cache(void **state)
{
    fixture *f = *state;
    mdm_error err;
    legacy_engine *e = NULL;
    mdm_table t;
    mdm_table_init(&t);
    legacy_backend *b = backend(f);
    const char *a = new_db(f, b), *c = new_db(f, b);
    ASSERT_OK(legacy_get_engine(b, a, &e, &err));
    write_ids(b, e, "train", "a", 1, 2, NULL);
    ASSERT_OK(legacy_read_table_to_dataframe(b, "train", e, NULL, &t, &err));
    legacy_close_connections(b);  /* does not clear the cache */
    ASSERT_OK(legacy_get_engine(b, c, &e, &err));
    write_ids(b, e, "train", "c", 1, 4, NULL);
    ASSERT_OK(legacy_read_table_to_dataframe(b, "train", e, NULL, &t, &err));
    assert_int_equal(t.nrows, 2);  /* the other dataset's rows */
    assert_string_equal(mdm_table_text(&t, 1, 0, NULL), "a1");
    assert_int_equal(scalar(b, e, "SELECT COUNT(*) FROM train"), 4);
    mdm_table_reset(&t);
}

/* ---- §7 Queries ------------------------------------------------------------ */

static void legacy__get_table_info_errors_are_not_wrapped(void **state)
{
    fixture *f = *state;
    mdm_error err;
    legacy_table_info info;
    legacy_table_info_init(&info);
    legacy_backend *b = backend(f);
    legacy_engine *e = open_engine(f, b);
    assert_int_equal(legacy_get_table_info(b, "missing", e, &info, &err), MDM_ERR_NOT_FOUND);
    assert_string_equal(err.message, "missing");
    assert_int_equal(legacy_error_kind_of(&err), LEGACY_ERROR_DRIVER);
    if (!f->be->pg) {
        /* The column list works (quoted) but COUNT(*) pastes the name. */
        write_ids(b, e, "My Table", "x", 1, 1, NULL);
        assert_int_equal(legacy_get_table_info(b, "My Table", e, &info, &err), MDM_ERR_SQL);
        assert_string_equal(err.message, "near \"Table\": syntax error");
    }
}

static void legacy__execute_query_commits_dml_but_query_rolls_it_back(void **state)
{
    fixture *f = *state;
    mdm_error err;
    mdm_table t;
    mdm_table_init(&t);
    legacy_backend *b = backend(f);
    legacy_engine *e = open_engine(f, b);
    write_ids(b, e, "train", "x", 1, 2, NULL);
    ASSERT_OK(legacy_execute_query(b, "INSERT INTO train VALUES (3, 'c')", e, &t, &err));
    assert_int_equal(t.ncols, 0);
    assert_int_equal(scalar(b, e, "SELECT COUNT(*) FROM train"), 3);
    /* read_sql_query: the DML runs, then fails for want of rows, rolled back. */
    assert_int_equal(legacy_query(b, "INSERT INTO train VALUES (4, 'd')", &t, &err), MDM_ERR_SQL);
    assert_string_equal(err.message, "Failed to execute query: This result object does not "
                                     "return rows. It has been closed automatically.");
    assert_int_equal(scalar(b, e, "SELECT COUNT(*) FROM train"), 3);
    ASSERT_OK(legacy_query(b, "SELECT name FROM train WHERE id = 3", &t, &err));
    assert_string_equal(mdm_table_text(&t, 0, 0, NULL), "c");
    mdm_table_reset(&t);
}

/* ==== Without a database: the factory, configuration, names ============== */

static void legacy__factory_returns_one_backend_per_type(void **state)
{
    mdm_error err;
    (void)state;
    legacy_backend *s1 = legacy_backend_get("sqlite", &err);
    legacy_backend *s2 = legacy_backend_get("sqlite", &err);
    legacy_backend *p = legacy_backend_get("postgresql", &err);
    assert_non_null(s1);
    assert_ptr_equal(s1, s2);
    assert_ptr_not_equal(s1, p);
    assert_string_equal(legacy_backend_type(s1), "sqlite");
    assert_string_equal(legacy_backend_type(p), "postgresql");
}

static void legacy__factory_rejects_unknown_type_with_exact_message(void **state)
{
    mdm_error err;
    (void)state;
    mdm_error_clear(&err);
    assert_null(legacy_backend_get("duckdb", &err));
    assert_int_equal(err.code, MDM_ERR_UNSUPPORTED);
    assert_string_equal(err.message,
                        "Unsupported backend type: duckdb. Supported backends: ['sqlite', 'postgresql']");
    assert_int_equal(legacy_error_kind_of(&err), LEGACY_ERROR_BACKEND);
}

static void legacy__sqlite_config_nested_mapping_or_whole_mapping(void **state)
{
    mdm_error err;
    legacy_settings s;
    (void)state;
    legacy_backend *b = sqlite_backend();
    mdm_conf *c = conf_from("sqlite:\n  path: /nested.db\n  synchronous: FULL\npath: /top.db\n");
    ASSERT_OK(legacy_backend_configure(b, &c->root, &err));
    legacy_backend_settings(b, &s);
    assert_string_equal(s.sqlite_path, "/nested.db");
    assert_string_equal(s.synchronous, "FULL");
    mdm_conf_free(c);

    c = conf_from("path: /top.db\njournal_mode: DELETE\n");
    ASSERT_OK(legacy_backend_configure(b, &c->root, &err));
    legacy_backend_settings(b, &s);
    assert_string_equal(s.sqlite_path, "/top.db");
    assert_string_equal(s.journal_mode, "DELETE");
    mdm_conf_free(c);
}

static void legacy__sqlite_config_special_cases_database_path(void **state)
{
    mdm_error err;
    legacy_settings s;
    (void)state;
    legacy_backend *b = sqlite_backend();
    mdm_conf *c = conf_from("database:\n  path: /special.db\n");
    ASSERT_OK(legacy_backend_configure(b, &c->root, &err));
    legacy_backend_settings(b, &s);
    assert_string_equal(s.sqlite_path, "/special.db");
    mdm_conf_free(c);

    /* The old file format nests one level deeper: the path is not found. */
    c = conf_from("database:\n  default_backend: sqlite\n  sqlite:\n    path: /deeper.db\n");
    ASSERT_OK(legacy_backend_configure(b, &c->root, &err));
    legacy_backend_settings(b, &s);
    assert_null(s.sqlite_path);
    mdm_conf_free(c);
}

static void legacy__pg_config_only_from_nested_mapping(void **state)
{
    mdm_error err;
    legacy_settings s;
    (void)state;
    legacy_backend *p = legacy_backend_get("postgresql", &err);
    mdm_conf *c = conf_from("host: top.example\nuser: topuser\n");
    ASSERT_OK(legacy_backend_configure(p, &c->root, &err));
    legacy_backend_settings(p, &s);
    assert_string_equal(s.host, "localhost");
    assert_null(s.user);
    mdm_conf_free(c);

    c = conf_from("postgresql:\n  host: db.example\n  user: u\n  password: pw\n  port: 6543\n");
    ASSERT_OK(legacy_backend_configure(p, &c->root, &err));
    legacy_backend_settings(p, &s);
    assert_string_equal(s.host, "db.example");
    assert_string_equal(s.user, "u");
    assert_string_equal(s.password, "pw");
    assert_string_equal(s.port, "6543");
    assert_string_equal(s.sslmode, "prefer");
    assert_string_equal(s.database_prefix, "mdm_");
    mdm_conf_free(c);
}

static void legacy__pool_settings_defaults(void **state)
{
    mdm_error err;
    legacy_settings s;
    (void)state;
    legacy_backend_settings(sqlite_backend(), &s);
    assert_int_equal(s.pool_size, 5);
    assert_int_equal(s.max_overflow, 10);
    assert_true(s.pool_timeout == 30.0);
    legacy_backend_settings(legacy_backend_get("postgresql", &err), &s);
    assert_int_equal(s.pool_size, 10);
    assert_int_equal(s.max_overflow, 20);
    assert_true(s.pool_timeout == 30.0);
    assert_int_equal(s.pool_recycle, 3600);
    assert_string_equal(s.port, "5432");
}

static void legacy__dataset_names_and_paths(void **state)
{
    mdm_error err;
    char name[LEGACY_DATASET_NAME_MAX + 1];
    char longname[LEGACY_DATASET_NAME_MAX + 2];
    mdm_buf path;
    (void)state;
    mdm_buf_init(&path);
    ASSERT_OK(legacy_normalize_dataset_name("My-Data_2", name, &err));
    assert_string_equal(name, "my_data_2");
    assert_int_equal(legacy_normalize_dataset_name("my data", name, &err), MDM_ERR_INVALID_ARG);
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    assert_int_equal(legacy_normalize_dataset_name(longname, name, &err), MDM_ERR_INVALID_ARG);
    longname[LEGACY_DATASET_NAME_MAX] = '\0';
    ASSERT_OK(legacy_normalize_dataset_name(longname, name, &err));
    ASSERT_OK(legacy_get_database_path(sqlite_backend(), "Iris-V1", "/h", &path, &err));
    assert_string_equal(mdm_buf_str(&path), "/h/datasets/iris_v1/dataset.sqlite");
    mdm_buf_clear(&path);
    setenv("MDM_HOME", "/mdmhome", 1);
    ASSERT_OK(legacy_get_database_path(sqlite_backend(), "iris", NULL, &path, &err));
    unsetenv("MDM_HOME");
    assert_string_equal(mdm_buf_str(&path), "/mdmhome/datasets/iris/dataset.sqlite");
    mdm_buf_clear(&path);
    ASSERT_OK(legacy_get_database_path(legacy_backend_get("postgresql", &err), "Iris-V1", NULL,
                                       &path, &err));
    assert_string_equal(mdm_buf_str(&path), "mdm_iris_v1");
    mdm_buf_reset(&path);
}

/* ==== SQLite only ============================================================ */

static void legacy__close_connections_is_idempotent_and_switches_databases(void **state)
{
    fixture *f = *state;
    mdm_error err;
    legacy_engine *e1 = NULL, *e2 = NULL;
    mdm_table t;
    mdm_table_init(&t);
    legacy_backend *b = sqlite_backend();
    ASSERT_OK(legacy_get_engine(b, f->a, &e1, &err));
    legacy_close_connections(b);
    legacy_close_connections(b);
    assert_int_equal(legacy_query(b, "SELECT 1", &t, &err), MDM_ERR_INVALID_ARG);
    ASSERT_OK(legacy_get_engine(b, f->b, &e2, &err));
    assert_string_equal(legacy_engine_url(e2), f->b);
    write_ids(b, e2, "train", "x", 1, 2, NULL);
    assert_true(mdm_test_file_exists(f->b));
    assert_false(mdm_test_file_exists(f->a));
}

static void legacy__config_path_used_when_get_engine_has_none(void **state)
{
    fixture *f = *state;
    mdm_error err;
    legacy_engine *e = NULL;
    char yaml[900];
    legacy_backend *b = sqlite_backend();
    snprintf(yaml, sizeof yaml, "database:\n  path: %s\n", f->b);
    mdm_conf *c = conf_from(yaml);
    ASSERT_OK(legacy_backend_configure(b, &c->root, &err));
    mdm_conf_free(c);
    ASSERT_OK(legacy_get_engine(b, NULL, &e, &err));
    write_ids(b, e, "train", "x", 1, 1, NULL);
    assert_true(mdm_test_file_exists(f->b));
}

static int64_t pragma(legacy_backend *b, const char *sql)
{
    mdm_error err;
    mdm_table t;
    mdm_table_init(&t);
    ASSERT_OK(legacy_query(b, sql, &t, &err));
    assert_int_equal(t.cols[0].type, MDM_INT64);
    int64_t v = mdm_table_int64(&t, 0, 0);
    mdm_table_reset(&t);
    return v;
}

static void assert_pragmas(legacy_backend *b, int64_t temp_store)
{
    mdm_error err;
    mdm_table t;
    mdm_table_init(&t);
    ASSERT_OK(legacy_query(b, "PRAGMA journal_mode", &t, &err));
    assert_string_equal(mdm_table_text(&t, 0, 0, NULL), "wal");
    mdm_table_reset(&t);
    assert_int_equal(pragma(b, "PRAGMA synchronous"), 1);        /* NORMAL */
    assert_int_equal(pragma(b, "PRAGMA cache_size"), -64000);
    assert_int_equal(pragma(b, "PRAGMA mmap_size"), 268435456);
    assert_int_equal(pragma(b, "PRAGMA temp_store"), temp_store);
}

static void legacy__pragmas_on_every_new_connection(void **state)
{
    fixture *f = *state;
    mdm_error err;
    sqlite3 *raw = NULL;
    sqlite3_stmt *st = NULL;
    legacy_backend *b = sqlite_backend();
    legacy_engine *e = open_engine(f, b);
    assert_pragmas(b, 2);
    /* A connection of our own does not get them: they are legacy's. */
    assert_int_equal(sqlite3_open(f->a, &raw), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(raw, "PRAGMA cache_size", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_not_equal(sqlite3_column_int64(st, 0), -64000);
    sqlite3_finalize(st);
    sqlite3_close(raw);
    /* After a reconnect, again. */
    legacy_close_connections(b);
    ASSERT_OK(legacy_get_engine(b, f->b, &e, &err));
    assert_pragmas(b, 2);
}

static void legacy__temp_store_names_map_and_unknown_becomes_memory(void **state)
{
    fixture *f = *state;
    mdm_error err;
    legacy_engine *e = NULL;
    static const struct { const char *yaml; int64_t want; } cases[] = {
        {"temp_store: DEFAULT\n", 0},
        {"temp_store: FILE\n", 1},
        {"temp_store: MEMORY\n", 2},
        {"temp_store: file\n", 2},   /* exact names only */
        {"temp_store: bogus\n", 2},
    };
    legacy_backend *b = sqlite_backend();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        mdm_conf *c = conf_from(cases[i].yaml);
        ASSERT_OK(legacy_backend_configure(b, &c->root, &err));
        mdm_conf_free(c);
        ASSERT_OK(legacy_get_engine(b, f->a, &e, &err));
        assert_int_equal(pragma(b, "PRAGMA temp_store"), cases[i].want);
        legacy_close_connections(b);
    }
}

static void legacy__table_with_space_is_written_but_cannot_be_read(void **state)
{
    fixture *f = *state;
    mdm_error err;
    bool exists = false;
    mdm_table t;
    mdm_table_init(&t);
    legacy_backend *b = sqlite_backend();
    legacy_engine *e = open_engine(f, b);
    write_ids(b, e, "My Table", "x", 1, 2, NULL);
    ASSERT_OK(legacy_table_exists(b, e, "My Table", &exists, &err));
    assert_true(exists);
    assert_int_equal(legacy_read_table_to_dataframe(b, "My Table", e, NULL, &t, &err), MDM_ERR_SQL);
    assert_string_equal(err.message, "Failed to read table My Table: near \"Table\": syntax error");
    assert_int_equal(legacy_error_kind_of(&err), LEGACY_ERROR_STORAGE);
}

static void legacy__writer_quotes_names_only_when_needed(void **state)
{
    fixture *f = *state;
    mdm_error err;
    char sql[512];
    mdm_table t;
    legacy_backend *b = sqlite_backend();
    legacy_engine *e = open_engine(f, b);
    mdm_table_init(&t);
    ASSERT_OK(mdm_table_add_column(&t, "plain", MDM_INT64, &err));
    ASSERT_OK(mdm_table_add_column(&t, "Mixed", MDM_INT64, &err));
    ASSERT_OK(mdm_table_add_column(&t, "select", MDM_INT64, &err));
    ASSERT_OK(mdm_table_add_column(&t, "my col", MDM_INT64, &err));
    ASSERT_OK(mdm_table_add_column(&t, "a$b", MDM_INT64, &err));
    ASSERT_OK(legacy_create_table_from_dataframe(b, &t, "Train", e, NULL, &err));
    text_of(b, e, "SELECT sql FROM sqlite_master WHERE name = 'Train'", sql, sizeof sql);
    assert_string_equal(sql, "CREATE TABLE \"Train\" (\n\tplain BIGINT, \n\t\"Mixed\" BIGINT, "
                             "\n\t\"select\" BIGINT, \n\t\"my col\" BIGINT, \n\ta$b BIGINT\n)");
    mdm_table_reset(&t);
}

static void legacy__replace_drops_then_creates_from_new_types(void **state)
{
    fixture *f = *state;
    mdm_error err;
    char sql[256];
    mdm_table t;
    legacy_backend *b = sqlite_backend();
    legacy_engine *e = open_engine(f, b);
    write_ids(b, e, "train", "x", 1, 3, NULL);
    mdm_table_init(&t);
    ASSERT_OK(mdm_table_add_column(&t, "score", MDM_FLOAT64, &err));
    ASSERT_OK(mdm_table_push_float64(&t, 0, 0.5, &err));
    ASSERT_OK(mdm_table_end_row(&t, &err));
    ASSERT_OK(legacy_create_table_from_dataframe(b, &t, "train", e, "replace", &err));
    text_of(b, e, "SELECT sql FROM sqlite_master WHERE name = 'train'", sql, sizeof sql);
    assert_string_equal(sql, "CREATE TABLE train (\n\tscore FLOAT\n)");
    assert_int_equal(scalar(b, e, "SELECT COUNT(*) FROM train"), 1);
    mdm_table_reset(&t);
}

static void legacy__append_keeps_schema_and_rejects_new_column(void **state)
{
    fixture *f = *state;
    mdm_error err;
    mdm_table t;
    legacy_backend *b = sqlite_backend();
    legacy_engine *e = open_engine(f, b);
    write_ids(b, e, "train", "x", 1, 3, NULL);
    write_ids(b, e, "train", "y", 4, 2, "append");
    assert_int_equal(scalar(b, e, "SELECT COUNT(*) FROM train"), 5);
    frame_ids(&t, "z", 9, 1);
    mdm_table_reset(&t);
    mdm_table_init(&t);
    ASSERT_OK(mdm_table_add_column(&t, "id", MDM_INT64, &err));
    ASSERT_OK(mdm_table_add_column(&t, "extra", MDM_TEXT, &err));
    ASSERT_OK(mdm_table_push_int64(&t, 0, 9, &err));
    ASSERT_OK(mdm_table_push_text(&t, 1, "e", 1, &err));
    ASSERT_OK(mdm_table_end_row(&t, &err));
    assert_int_equal(legacy_create_table_from_dataframe(b, &t, "train", e, "append", &err), MDM_ERR_SQL);
    assert_string_equal(err.message, "Failed to create table train: table train has no column named extra");
    /* Appending to a missing table creates it. */
    ASSERT_OK(legacy_create_table_from_dataframe(b, &t, "fresh", e, "append", &err));
    assert_int_equal(scalar(b, e, "SELECT COUNT(*) FROM fresh"), 1);
    mdm_table_reset(&t);
}

/* A frame of every type, row 0 with values and row 1 with missing ones. */
static void frame_all_types(mdm_table *t)
{
    mdm_error err;
    int64_t ts = 0;
    assert_true(mdm_parse_timestamp("2020-01-02 03:04:05.000006", 26, &ts));
    mdm_table_init(t);
    ASSERT_OK(mdm_table_add_column(t, "i", MDM_INT64, &err));
    ASSERT_OK(mdm_table_add_column(t, "f", MDM_FLOAT64, &err));
    ASSERT_OK(mdm_table_add_column(t, "b", MDM_BOOL, &err));
    ASSERT_OK(mdm_table_add_column(t, "s", MDM_TEXT, &err));
    ASSERT_OK(mdm_table_add_column(t, "t", MDM_TIMESTAMP, &err));
    ASSERT_OK(mdm_table_push_int64(t, 0, 7, &err));
    ASSERT_OK(mdm_table_push_float64(t, 1, 1.5, &err));
    ASSERT_OK(mdm_table_push_bool(t, 2, true, &err));
    ASSERT_OK(mdm_table_push_text(t, 3, "hi", 2, &err));
    ASSERT_OK(mdm_table_push_timestamp(t, 4, ts, &err));
    ASSERT_OK(mdm_table_end_row(t, &err));
    ASSERT_OK(mdm_table_push_int64(t, 0, 8, &err));
    ASSERT_OK(mdm_table_push_float64(t, 1, 0.0 / 0.0, &err));  /* NaN: missing */
    ASSERT_OK(mdm_table_push_null(t, 2, &err));
    ASSERT_OK(mdm_table_push_null(t, 3, &err));
    ASSERT_OK(mdm_table_push_null(t, 4, &err));
    ASSERT_OK(mdm_table_end_row(t, &err));
}

static void legacy__column_types_and_stored_values_follow_pandas(void **state)
{
    fixture *f = *state;
    mdm_error err;
    char text[256];
    mdm_table t;
    legacy_backend *b = sqlite_backend();
    legacy_engine *e = open_engine(f, b);
    frame_all_types(&t);
    ASSERT_OK(legacy_create_table_from_dataframe(b, &t, "train", e, NULL, &err));
    text_of(b, e, "SELECT sql FROM sqlite_master WHERE name = 'train'", text, sizeof text);
    assert_string_equal(text, "CREATE TABLE train (\n\ti BIGINT, \n\tf FLOAT, \n\tb BOOLEAN, "
                              "\n\ts TEXT, \n\tt DATETIME\n)");
    text_of(b, e, "SELECT typeof(b) || ':' || b FROM train WHERE i = 7", text, sizeof text);
    assert_string_equal(text, "integer:1");
    text_of(b, e, "SELECT t FROM train WHERE i = 7", text, sizeof text);
    assert_string_equal(text, "2020-01-02 03:04:05.000006");
    assert_int_equal(scalar(b, e, "SELECT COUNT(*) FROM train WHERE i = 8 AND f IS NULL "
                                  "AND b IS NULL AND s IS NULL AND t IS NULL"), 1);
    mdm_table_reset(&t);
}

static void legacy__read_back_types_as_pandas_inferred_them(void **state)
{
    fixture *f = *state;
    mdm_error err;
    mdm_table in, t;
    mdm_table_init(&t);
    legacy_backend *b = sqlite_backend();
    legacy_engine *e = open_engine(f, b);
    frame_all_types(&in);
    ASSERT_OK(legacy_create_table_from_dataframe(b, &in, "train", e, NULL, &err));
    ASSERT_OK(legacy_read_table_to_dataframe(b, "train", e, NULL, &t, &err));
    assert_int_equal(t.ncols, 5);
    assert_int_equal(t.cols[0].type, MDM_INT64);    /* BIGINT */
    assert_int_equal(t.cols[1].type, MDM_FLOAT64);  /* FLOAT */
    assert_int_equal(t.cols[2].type, MDM_FLOAT64);  /* BOOLEAN: 0/1 with a NULL */
    assert_int_equal(t.cols[3].type, MDM_TEXT);
    assert_int_equal(t.cols[4].type, MDM_TEXT);     /* DATETIME stays text */
    assert_string_equal(t.cols[2].decl_type, "BOOLEAN");
    assert_string_equal(t.cols[4].decl_type, "DATETIME");
    assert_true(mdm_table_float64(&t, 2, 0) == 1.0);
    assert_true(mdm_table_is_null(&t, 2, 1));
    assert_string_equal(mdm_table_text(&t, 4, 0, NULL), "2020-01-02 03:04:05.000006");
    /* BOOLEAN without NULLs: integers. */
    int64_t one = 1;
    ASSERT_OK(legacy_read_table_to_dataframe(b, "train", e, &one, &t, &err));
    assert_int_equal(t.cols[2].type, MDM_INT64);
    assert_empty_read_is_all_text(b, e, "train WHERE 0");
    mdm_table_reset(&t);
    mdm_table_reset(&in);
}

static void legacy__results_of_100000_rows_are_not_cached(void **state)
{
    fixture *f = *state;
    mdm_error err;
    legacy_cache_stats st;
    mdm_table t;
    mdm_table_init(&t);
    legacy_backend *b = sqlite_backend();
    legacy_engine *e = open_engine(f, b);
    write_ids(b, e, "big", "x", 0, 100000, NULL);
    write_ids(b, e, "small", "x", 0, 99999, NULL);
    ASSERT_OK(legacy_read_table_to_dataframe(b, "big", e, NULL, &t, &err));
    ASSERT_OK(legacy_read_table_to_dataframe(b, "small", e, NULL, &t, &err));
    legacy_backend_cache_stats(b, &st);
    assert_int_equal(st.entries, 1);
    write_ids(b, e, "big", "y", 0, 1, "replace");
    write_ids(b, e, "small", "y", 0, 1, "replace");
    ASSERT_OK(legacy_read_table_to_dataframe(b, "big", e, NULL, &t, &err));
    assert_int_equal(t.nrows, 1);
    ASSERT_OK(legacy_read_table_to_dataframe(b, "small", e, NULL, &t, &err));
    assert_int_equal(t.nrows, 99999);
    mdm_table_reset(&t);
}

/* One row, one text cell of `mb` megabytes. */
static void write_blob_table(legacy_backend *b, legacy_engine *e, const char *table, size_t mb)
{
    mdm_error err;
    mdm_table t;
    size_t n = mb * 1024 * 1024;
    char *s = malloc(n);
    assert_non_null(s);
    memset(s, 'x', n);
    mdm_table_init(&t);
    ASSERT_OK(mdm_table_add_column(&t, "s", MDM_TEXT, &err));
    ASSERT_OK(mdm_table_push_text(&t, 0, s, n, &err));
    ASSERT_OK(mdm_table_end_row(&t, &err));
    ASSERT_OK(legacy_create_table_from_dataframe(b, &t, table, e, NULL, &err));
    mdm_table_reset(&t);
    free(s);
}

static void legacy__cache_evicts_least_recently_used_past_100mb(void **state)
{
    fixture *f = *state;
    mdm_error err;
    legacy_cache_stats st;
    mdm_table t;
    mdm_table_init(&t);
    legacy_backend *b = sqlite_backend();
    legacy_engine *e = open_engine(f, b);
    write_blob_table(b, e, "t1", 40);
    write_blob_table(b, e, "t2", 40);
    write_blob_table(b, e, "t3", 40);
    ASSERT_OK(legacy_read_table_to_dataframe(b, "t1", e, NULL, &t, &err));
    ASSERT_OK(legacy_read_table_to_dataframe(b, "t2", e, NULL, &t, &err));
    ASSERT_OK(legacy_read_table_to_dataframe(b, "t1", e, NULL, &t, &err));  /* t1 used last */
    ASSERT_OK(legacy_read_table_to_dataframe(b, "t3", e, NULL, &t, &err));
    legacy_backend_cache_stats(b, &st);
    assert_int_equal(st.entries, 2);
    assert_int_equal(st.evictions, 1);
    assert_true(st.bytes <= (size_t)100 * 1024 * 1024);
    /* t2 was evicted: reading it again is a miss, t1 still a hit. */
    uint64_t misses = st.misses;
    ASSERT_OK(legacy_read_table_to_dataframe(b, "t1", e, NULL, &t, &err));
    legacy_backend_cache_stats(b, &st);
    assert_int_equal(st.misses, misses);
    ASSERT_OK(legacy_read_table_to_dataframe(b, "t2", e, NULL, &t, &err));
    legacy_backend_cache_stats(b, &st);
    assert_int_equal(st.misses, misses + 1);
    mdm_table_reset(&t);
}

static void legacy__table_exists_takes_engine_first_and_matches_exactly(void **state)
{
    fixture *f = *state;
    mdm_error err;
    bool exists = true;
    legacy_names names;
    legacy_names_init(&names);
    legacy_backend *b = sqlite_backend();
    legacy_engine *e = open_engine(f, b);
    write_ids(b, e, "train", "x", 1, 1, NULL);
    write_ids(b, e, "Alpha", "x", 1, 1, NULL);
    ASSERT_OK(legacy_table_exists(b, e, "TRAIN", &exists, &err));
    assert_false(exists);
    ASSERT_OK(legacy_table_exists(b, e, "train", &exists, &err));
    assert_true(exists);
    ASSERT_OK(legacy_get_table_names(b, e, &names, &err));
    assert_int_equal(names.count, 2);
    assert_string_equal(names.items[0], "Alpha");
    assert_string_equal(names.items[1], "train");
    legacy_names_reset(&names);
}

static void legacy__get_table_info_reports_columns_and_counts(void **state)
{
    fixture *f = *state;
    mdm_error err;
    legacy_table_info info;
    mdm_table t;
    legacy_table_info_init(&info);
    legacy_backend *b = sqlite_backend();
    legacy_engine *e = open_engine(f, b);
    frame_all_types(&t);
    ASSERT_OK(legacy_create_table_from_dataframe(b, &t, "train", e, NULL, &err));
    ASSERT_OK(legacy_get_table_info(b, "train", e, &info, &err));
    assert_string_equal(info.name, "train");
    assert_int_equal(info.row_count, 2);
    assert_int_equal(info.column_count, 5);
    assert_string_equal(info.columns[0].name, "i");
    assert_string_equal(info.columns[0].type, "BIGINT");
    assert_string_equal(info.columns[1].type, "FLOAT");
    assert_string_equal(info.columns[2].type, "BOOLEAN");
    assert_string_equal(info.columns[3].type, "TEXT");
    assert_string_equal(info.columns[4].type, "DATETIME");
    assert_true(info.columns[0].nullable);
    assert_null(info.columns[0].default_value);
    legacy_table_info_reset(&info);
    mdm_table_reset(&t);
}

static void legacy__error_messages_and_kinds(void **state)
{
    fixture *f = *state;
    mdm_error err;
    mdm_table t;
    mdm_table_init(&t);
    legacy_backend *b = sqlite_backend();
    legacy_engine *e = open_engine(f, b);
    assert_int_equal(legacy_query(b, "SELECT * FROM nope", &t, &err), MDM_ERR_NOT_FOUND);
    assert_string_equal(err.message, "Failed to execute query: no such table: nope");
    assert_int_equal(legacy_error_kind_of(&err), LEGACY_ERROR_STORAGE);
    assert_int_equal(legacy_read_table_to_dataframe(b, "nope", e, NULL, &t, &err), MDM_ERR_NOT_FOUND);
    assert_string_equal(err.message, "Failed to read table nope: no such table: nope");
    assert_int_equal(legacy_execute_query(b, "SELEC 1", e, &t, &err), MDM_ERR_SQL);
    assert_string_equal(err.message, "Failed to execute query: near \"SELEC\": syntax error");
    mdm_table_reset(&t);
}

static void legacy__create_and_check_database(void **state)
{
    fixture *f = *state;
    mdm_error err;
    mdm_buf path;
    bool exists = true;
    mdm_buf_init(&path);
    legacy_backend *b = sqlite_backend();
    ASSERT_OK(legacy_get_database_path(b, "iris", f->dir, &path, &err));
    ASSERT_OK(legacy_database_exists(b, mdm_buf_str(&path), &exists, &err));
    assert_false(exists);
    ASSERT_OK(legacy_create_database(b, mdm_buf_str(&path), &err));
    ASSERT_OK(legacy_database_exists(b, mdm_buf_str(&path), &exists, &err));
    assert_true(exists);
    mdm_buf_reset(&path);
}

static void legacy__drop_leaves_wal_and_shm(void **state)
{
    fixture *f = *state;
    mdm_error err;
    legacy_engine *e = NULL;
    char wal[800], shm[800];
    bool exists = true;
    legacy_backend *b = sqlite_backend();
    snprintf(wal, sizeof wal, "%s-wal", f->a);
    snprintf(shm, sizeof shm, "%s-shm", f->a);
    ASSERT_OK(legacy_create_database(b, f->a, &err));
    ASSERT_OK(legacy_get_engine(b, f->a, &e, &err));
    write_ids(b, e, "train", "x", 1, 10, NULL);
    assert_true(mdm_test_file_exists(wal));
    assert_true(mdm_test_file_exists(shm));
    ASSERT_OK(legacy_drop_database(b, f->a, &err));
    assert_false(mdm_test_file_exists(f->a));
    ASSERT_OK(legacy_database_exists(b, f->a, &exists, &err));
    assert_false(exists);
    assert_true(mdm_test_file_exists(wal));
    assert_true(mdm_test_file_exists(shm));
}

/* ==== PostgreSQL only ======================================================== */

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

static void legacy__pg_reads_quoted_table_as_lowercase(void **state)
{
    fixture *f = *state;
    mdm_error err;
    bool exists = false;
    mdm_table t;
    mdm_table_init(&t);
    MDM_TEST_REQUIRE_PG();
    legacy_backend *b = pg_backend();
    legacy_engine *e = open_engine(f, b);
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

static void legacy__pg_column_types_follow_pandas(void **state)
{
    fixture *f = *state;
    mdm_error err;
    legacy_table_info info;
    int64_t ts = 0;
    mdm_table t, r;
    legacy_table_info_init(&info);
    mdm_table_init(&r);
    MDM_TEST_REQUIRE_PG();
    legacy_backend *b = pg_backend();
    legacy_engine *e = open_engine(f, b);
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
    assert_empty_read_is_all_text(b, e, "train WHERE false");
    legacy_table_info_reset(&info);
    mdm_table_reset(&t);
    mdm_table_reset(&r);
}

static void legacy__pg_writes_long_and_wide_frames_in_batches(void **state)
{
    fixture *f = *state;
    mdm_error err;
    char name[16];
    mdm_table t;
    MDM_TEST_REQUIRE_PG();
    legacy_backend *b = pg_backend();
    legacy_engine *e = open_engine(f, b);
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

/* The cases written once run in both groups; each group also runs the cases
 * of its backend only. cmocka names both groups' files apart (run-tests.sh). */
int main(void)
{
#define T(fn, be) cmocka_unit_test_prestate_setup_teardown(fn, setup, teardown, (void *)(be))
#define SHARED(be) \
        T(legacy__second_get_engine_returns_first_engine, be), \
        T(legacy__query_without_engine_fails_with_exact_message, be), \
        T(legacy__query_uses_the_cached_engine, be), \
        T(legacy__read_pastes_the_table_name, be), \
        T(legacy__if_exists_defaults_to_fail_with_exact_message, be), \
        T(legacy__replace_is_not_atomic, be), \
        T(legacy__append_floats_into_bigint_real_or_rounded, be), \
        T(legacy__limit_zero_returns_all_rows, be), \
        T(legacy__stale_read_from_cache_after_overwrite, be), \
        T(legacy__cross_dataset_read_from_cache, be), \
        T(legacy__get_table_info_errors_are_not_wrapped, be), \
        T(legacy__execute_query_commits_dml_but_query_rolls_it_back, be)
    const struct CMUnitTest sqlite_tests[] = {
        SHARED(&SQLITE_FX),
        T(legacy__factory_returns_one_backend_per_type, &SQLITE_FX),
        T(legacy__factory_rejects_unknown_type_with_exact_message, &SQLITE_FX),
        T(legacy__sqlite_config_nested_mapping_or_whole_mapping, &SQLITE_FX),
        T(legacy__sqlite_config_special_cases_database_path, &SQLITE_FX),
        T(legacy__pg_config_only_from_nested_mapping, &SQLITE_FX),
        T(legacy__pool_settings_defaults, &SQLITE_FX),
        T(legacy__dataset_names_and_paths, &SQLITE_FX),
        T(legacy__close_connections_is_idempotent_and_switches_databases, &SQLITE_FX),
        T(legacy__config_path_used_when_get_engine_has_none, &SQLITE_FX),
        T(legacy__pragmas_on_every_new_connection, &SQLITE_FX),
        T(legacy__temp_store_names_map_and_unknown_becomes_memory, &SQLITE_FX),
        T(legacy__table_with_space_is_written_but_cannot_be_read, &SQLITE_FX),
        T(legacy__writer_quotes_names_only_when_needed, &SQLITE_FX),
        T(legacy__replace_drops_then_creates_from_new_types, &SQLITE_FX),
        T(legacy__append_keeps_schema_and_rejects_new_column, &SQLITE_FX),
        T(legacy__column_types_and_stored_values_follow_pandas, &SQLITE_FX),
        T(legacy__read_back_types_as_pandas_inferred_them, &SQLITE_FX),
        T(legacy__results_of_100000_rows_are_not_cached, &SQLITE_FX),
        T(legacy__cache_evicts_least_recently_used_past_100mb, &SQLITE_FX),
        T(legacy__table_exists_takes_engine_first_and_matches_exactly, &SQLITE_FX),
        T(legacy__get_table_info_reports_columns_and_counts, &SQLITE_FX),
        T(legacy__error_messages_and_kinds, &SQLITE_FX),
        T(legacy__create_and_check_database, &SQLITE_FX),
        T(legacy__drop_leaves_wal_and_shm, &SQLITE_FX),
    };
    const struct CMUnitTest pg_tests[] = {
        SHARED(&PG_FX),
        T(legacy__pg_without_user_fails_with_exact_message, &PG_FX),
        T(legacy__pg_url_is_pasted_from_settings, &PG_FX),
        T(legacy__pg_url_path_is_used_as_is, &PG_FX),
        T(legacy__pg_reads_quoted_table_as_lowercase, &PG_FX),
        T(legacy__pg_column_types_follow_pandas, &PG_FX),
        T(legacy__pg_writes_long_and_wide_frames_in_batches, &PG_FX),
        T(legacy__pg_database_created_by_unquoted_name, &PG_FX),
    };
#undef SHARED
#undef T
    int failed = cmocka_run_group_tests_name("legacy_sqlite", sqlite_tests, NULL, NULL);
    failed += cmocka_run_group_tests_name("legacy_pg", pg_tests, NULL, NULL);
    return failed;
}
