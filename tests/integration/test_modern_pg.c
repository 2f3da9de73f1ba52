/* SPDX-License-Identifier: MIT */
/*
 * test_modern_pg.c - what only the PostgreSQL backend does, on a real
 * throwaway server (one database per test): atomic replace proven by a COPY
 * that fails half-way and by a DROP that fails, COPY escaping, declared
 * types, tables written by pandas to_sql, the statement cache (including a
 * table replaced under a cached plan), pre_ping against a terminated backend,
 * :name rewriting, the 63-byte limit, schema-per-dataset and errors.
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
#include <unistd.h>

#include "mdm_backend.h"
#include "mdm_conn.h"
#include "mdm_pool.h"
#include "test_support.h"

typedef struct fx {
    char dsn[768], db[128];
    mdm_conn_config cfg;
    mdm_conn *c;
} fx;

static int setup(void **state)
{
    mdm_conn_config init = MDM_CONN_CONFIG_INIT;
    mdm_error err;
    fx *f = calloc(1, sizeof *f);
    if (f == NULL)
        return -1;
    *state = f;
    f->cfg = init;
    f->cfg.backend = "postgresql";
    if (mdm_test_pg_dsn() == NULL)
        return 0;   /* each test skips */
    if (mdm_test_pg_create_db("mdm_pg", f->dsn, sizeof f->dsn, f->db, sizeof f->db) != 0)
        return -1;
    f->cfg.dsn = f->dsn;
    if (mdm_conn_open(mdm_pg_backend(), &f->cfg, &f->c, &err) != MDM_OK) {
        print_error("%s\n", err.message);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    mdm_conn_close(f->c);
    if (f->db[0])
        mdm_test_pg_drop_db(f->db);
    free(f);
    return 0;
}

static fx *begin(void **state)
{
    MDM_TEST_REQUIRE_PG();
    return *state;
}

#define OK(call)                                                                   \
    do {                                                                           \
        mdm_status rc_ = (call);                                                   \
        if (rc_ != MDM_OK)                                                         \
            fail_msg("%s: %s: %s", #call, mdm_status_name(rc_), err.message);      \
    } while (0)

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

static void read_back(mdm_conn *c, const char *table, mdm_table *out)
{
    mdm_error err;
    mdm_table_init(out);
    OK(mdm_conn_read_table(c, table, NULL, out, &err));
}

static void text_rows(mdm_table *t, size_t n, const char *bad_at_row, size_t bad_row)
{
    mdm_error err;
    mdm_table_init(t);
    OK(mdm_table_add_column(t, "id", MDM_INT64, &err));
    OK(mdm_table_add_column(t, "s", MDM_TEXT, &err));
    for (size_t r = 0; r < n; r++) {
        const char *s = (bad_at_row && r == bad_row) ? bad_at_row : "fine";
        OK(mdm_table_push_int64(t, 0, (int64_t)r, &err));
        OK(mdm_table_push_text(t, 1, s, strlen(s), &err));
        OK(mdm_table_end_row(t, &err));
    }
}

/* ---- atomic replace ---- */

static void pg__replace_is_atomic_when_copy_fails_half_way(void **state)
{
    fx *f = begin(state);
    mdm_table old, bad, out;
    mdm_error err;
    text_rows(&old, 5, NULL, 0);
    OK(mdm_conn_create_table(f->c, "t", &old, MDM_IF_EXISTS_FAIL, &err));
    /* invalid UTF-8 in row 30000: the server rejects the COPY there */
    text_rows(&bad, 40000, "bad \xff byte", 30000);
    mdm_status rc = mdm_conn_create_table(f->c, "t", &bad, MDM_IF_EXISTS_REPLACE, &err);
    assert_int_equal(rc, MDM_ERR_TYPE);
    assert_string_equal(err.sqlstate, "22021");
    assert_non_null(strstr(err.message, "Failed to create table t"));
    assert_false(mdm_conn_in_transaction(f->c));
    read_back(f->c, "t", &out);
    mdm_compare_opts o = MDM_COMPARE_OPTS_INIT;
    assert_true(mdm_table_equal(&old, &out, &o, NULL));
    mdm_table_reset(&out);
    assert_int_equal(mdm_conn_create_table(f->c, "t", &bad, MDM_IF_EXISTS_APPEND, &err), MDM_ERR_TYPE);
    assert_int_equal(q1(f->c, "SELECT COUNT(*) FROM t"), 5);
    mdm_table_reset(&old);
    mdm_table_reset(&bad);
}

static void pg__replace_is_atomic_when_the_drop_fails(void **state)
{
    fx *f = begin(state);
    mdm_table old, neu;
    mdm_error err;
    text_rows(&old, 3, NULL, 0);
    text_rows(&neu, 9, NULL, 0);
    OK(mdm_conn_create_table(f->c, "t", &old, MDM_IF_EXISTS_FAIL, &err));
    x(f->c, "CREATE VIEW v AS SELECT * FROM t");   /* depends on t */
    assert_int_equal(mdm_conn_create_table(f->c, "t", &neu, MDM_IF_EXISTS_REPLACE, &err), MDM_ERR_SQL);
    assert_string_equal(err.sqlstate, "2BP01");
    assert_int_equal(q1(f->c, "SELECT COUNT(*) FROM v"), 3);
    mdm_table_reset(&old);
    mdm_table_reset(&neu);
}

/* ---- values ---- */

static void pg__copy_escapes_backslash_tab_newline_and_cr(void **state)
{
    fx *f = begin(state);
    const char *nasty[] = {"\\", "\\N", "\\.", "a\tb", "a\nb", "a\rb", "\\\\t", "", "end\\",
                           "\r\n", "é\t日本\n"};
    size_t n = sizeof nasty / sizeof nasty[0];
    mdm_table t, out;
    mdm_error err;
    mdm_table_init(&t);
    OK(mdm_table_add_column(&t, "s", MDM_TEXT, &err));
    for (size_t i = 0; i < n; i++) {
        OK(mdm_table_push_text(&t, 0, nasty[i], strlen(nasty[i]), &err));
        OK(mdm_table_end_row(&t, &err));
    }
    OK(mdm_table_push_null(&t, 0, &err));
    OK(mdm_table_end_row(&t, &err));
    OK(mdm_conn_create_table(f->c, "esc", &t, MDM_IF_EXISTS_FAIL, &err));
    read_back(f->c, "esc", &out);
    mdm_compare_opts o = MDM_COMPARE_OPTS_INIT;
    mdm_table_diff d;
    if (!mdm_table_equal(&t, &out, &o, &d))
        fail_msg("%s", d.message);
    assert_true(mdm_table_is_null(&out, 0, n));
    assert_false(mdm_table_is_null(&out, 0, 1));   /* the text "\N" is not NULL */
    mdm_table_reset(&t);
    mdm_table_reset(&out);
}

static void pg__negative_zero_survives_and_nan_is_null(void **state)
{
    fx *f = begin(state);
    mdm_table t, out;
    mdm_error err;
    const double v[] = {-0.0, NAN, 5e-324, -1e308, INFINITY};
    mdm_table_init(&t);
    OK(mdm_table_add_column(&t, "f", MDM_FLOAT64, &err));
    for (size_t i = 0; i < 5; i++) {
        OK(mdm_table_push_float64(&t, 0, v[i], &err));
        OK(mdm_table_end_row(&t, &err));
    }
    OK(mdm_conn_create_table(f->c, "z", &t, MDM_IF_EXISTS_FAIL, &err));
    read_back(f->c, "z", &out);
    assert_true(signbit(mdm_table_float64(&out, 0, 0)));
    assert_true(mdm_table_float64(&out, 0, 0) == 0.0);
    assert_true(mdm_table_is_null(&out, 0, 1));    /* a missing value, as to_sql wrote it */
    assert_true(mdm_table_float64(&out, 0, 2) == 5e-324);
    assert_true(mdm_table_float64(&out, 0, 3) == -1e308);
    assert_true(isinf(mdm_table_float64(&out, 0, 4)));
    mdm_table_reset(&t);
    mdm_table_reset(&out);
}

static void pg__declared_types_match_legacy(void **state)
{
    fx *f = begin(state);
    mdm_table t;
    mdm_query_result r;
    mdm_error err;
    mdm_table_init(&t);
    OK(mdm_table_add_column(&t, "i", MDM_INT64, &err));
    OK(mdm_table_add_column(&t, "f", MDM_FLOAT64, &err));
    OK(mdm_table_add_column(&t, "b", MDM_BOOL, &err));
    OK(mdm_table_add_column(&t, "s", MDM_TEXT, &err));
    OK(mdm_table_add_column(&t, "ts", MDM_TIMESTAMP, &err));
    OK(mdm_conn_create_table(f->c, "t", &t, MDM_IF_EXISTS_FAIL, &err));
    q(f->c, "SELECT string_agg(data_type, ',' ORDER BY ordinal_position) AS types "
            "FROM information_schema.columns WHERE table_name = 't'", &r);
    assert_string_equal(mdm_table_text(&r.table, 0, 0, NULL),
                        "bigint,double precision,boolean,text,timestamp without time zone");
    mdm_query_result_reset(&r);
    mdm_table_info ti;
    mdm_table_info_init(&ti);
    OK(mdm_conn_table_info(f->c, "t", &ti, &err));
    assert_string_equal(ti.columns[1].decl_type, "DOUBLE PRECISION");
    assert_string_equal(ti.columns[4].decl_type, "TIMESTAMP");
    mdm_table_info_reset(&ti);
    mdm_table_reset(&t);
}

static void pg__reads_tables_written_by_pandas_to_sql(void **state)
{
    fx *f = begin(state);
    mdm_table out;
    mdm_table_info ti;
    mdm_error err;
    x(f->c, "CREATE TABLE train (index BIGINT, id BIGINT, x DOUBLE PRECISION, flag BOOLEAN, "
            "name TEXT, \"when\" TIMESTAMP WITHOUT TIME ZONE, \"Mixed\" TEXT)");
    x(f->c, "INSERT INTO train VALUES (0, 1, 0.5, true, 'a', '2024-01-02 03:04:05', 'm'), "
            "(1, 2, NULL, false, NULL, NULL, NULL), (2, 3, 'NaN', NULL, '', "
            "'2024-01-02 00:00:00.123456', '')");
    read_back(f->c, "train", &out);
    assert_int_equal(out.nrows, 3);
    assert_int_equal(out.cols[1].type, MDM_INT64);
    assert_int_equal(out.cols[2].type, MDM_FLOAT64);
    assert_int_equal(out.cols[3].type, MDM_BOOL);
    assert_int_equal(out.cols[5].type, MDM_TIMESTAMP);
    assert_string_equal(out.cols[5].decl_type, "TIMESTAMP");
    assert_string_equal(out.cols[6].name, "Mixed");
    assert_true(isnan(mdm_table_float64(&out, 2, 2)));   /* a stored NaN reads as NaN */
    assert_true(mdm_table_bool(&out, 3, 0));
    assert_true(mdm_table_is_null(&out, 4, 1));
    assert_false(mdm_table_is_null(&out, 4, 2));
    assert_int_equal(mdm_table_timestamp(&out, 5, 0), 1704164645000000LL);
    assert_int_equal(mdm_table_timestamp(&out, 5, 2), 1704153600123456LL);
    mdm_table_reset(&out);
    mdm_table_info_init(&ti);
    OK(mdm_conn_table_info(f->c, "train", &ti, &err));
    assert_int_equal(ti.row_count, 3);
    assert_int_equal(ti.ncolumns, 7);
    assert_string_equal(ti.columns[0].name, "index");
    mdm_table_info_reset(&ti);
}

static void pg__other_column_types_map_to_the_table_types(void **state)
{
    fx *f = begin(state);
    mdm_table out;
    mdm_table_info ti;
    mdm_error err;
    x(f->c, "CREATE TABLE o (a SMALLINT, b INTEGER, c REAL, d NUMERIC(10,2), e VARCHAR(5), "
            "g DATE, h TIMESTAMPTZ, k JSON, m TIMESTAMP, n CHAR(2))");
    x(f->c, "INSERT INTO o VALUES (1, 2, 1.5, 3.25, 'v', '2024-03-04', "
            "'2024-03-04 05:06:07+02', '{\"a\": 1}', 'infinity', 'c')");
    read_back(f->c, "o", &out);
    assert_int_equal(out.cols[0].type, MDM_INT64);
    assert_string_equal(out.cols[0].decl_type, "SMALLINT");
    assert_int_equal(out.cols[1].type, MDM_INT64);
    assert_int_equal(out.cols[2].type, MDM_FLOAT64);
    assert_string_equal(out.cols[2].decl_type, "REAL");
    assert_true(mdm_table_float64(&out, 3, 0) == 3.25);
    assert_string_equal(out.cols[4].decl_type, "VARCHAR");
    assert_int_equal(out.cols[5].type, MDM_TIMESTAMP);
    assert_int_equal(mdm_table_timestamp(&out, 5, 0), 1709510400000000LL);
    assert_int_equal(out.cols[6].type, MDM_TIMESTAMP);                  /* in UTC */
    assert_int_equal(mdm_table_timestamp(&out, 6, 0), 1709521567000000LL);
    assert_int_equal(out.cols[7].type, MDM_TEXT);
    assert_null(out.cols[7].decl_type);
    assert_int_equal(out.cols[8].type, MDM_TEXT);                       /* 'infinity' */
    assert_string_equal(mdm_table_text(&out, 8, 0, NULL), "infinity");
    assert_string_equal(out.cols[9].decl_type, "CHARACTER");
    mdm_table_reset(&out);
    mdm_table_info_init(&ti);
    OK(mdm_conn_table_info(f->c, "o", &ti, &err));
    assert_string_equal(ti.columns[7].decl_type, "JSON");               /* from the catalog */
    assert_string_equal(ti.columns[3].decl_type, "NUMERIC");
    mdm_table_info_reset(&ti);
}

/* ---- statements, parameters and the cache ---- */

static void pg__cached_statement_survives_a_replaced_table(void **state)
{
    fx *f = begin(state);
    mdm_conn *other = NULL;
    mdm_query_result r;
    mdm_stmt_cache_stats s0, s1;
    mdm_error err;
    x(f->c, "CREATE TABLE c (a BIGINT)");
    x(f->c, "INSERT INTO c VALUES (1)");
    q(f->c, "SELECT * FROM c", &r);
    mdm_query_result_reset(&r);
    OK(mdm_conn_stmt_cache_stats(f->c, &s0, &err));
    q(f->c, "SELECT * FROM c", &r);
    mdm_query_result_reset(&r);
    OK(mdm_conn_stmt_cache_stats(f->c, &s1, &err));
    assert_int_equal(s1.hits, s0.hits + 1);
    /* another connection replaces the table with other columns */
    OK(mdm_conn_open(mdm_pg_backend(), &f->cfg, &other, &err));
    x(other, "DROP TABLE c");
    x(other, "CREATE TABLE c (a TEXT, b BOOLEAN)");
    x(other, "INSERT INTO c VALUES ('new', true)");
    mdm_conn_close(other);
    q(f->c, "SELECT * FROM c", &r);
    assert_int_equal(r.table.ncols, 2);
    assert_string_equal(mdm_table_text(&r.table, 0, 0, NULL), "new");
    assert_true(mdm_table_bool(&r.table, 1, 0));
    mdm_query_result_reset(&r);
}

static void pg__statement_cache_evicts_and_can_be_off(void **state)
{
    fx *f = begin(state);
    mdm_conn_config cfg = f->cfg;
    mdm_conn *c = NULL;
    mdm_stmt_cache_stats st;
    mdm_error err;
    const char *sqls[] = {"SELECT 1 AS a", "SELECT 2 AS a", "SELECT 3 AS a"};
    cfg.stmt_cache_size = 2;
    OK(mdm_conn_open(mdm_pg_backend(), &cfg, &c, &err));
    for (int round = 0; round < 2; round++)
        for (int i = 0; i < 3; i++)
            assert_int_equal(q1(c, sqls[i]), i + 1);
    OK(mdm_conn_stmt_cache_stats(c, &st, &err));
    assert_int_equal(st.size, 2);
    assert_true(st.evictions >= 4);
    /* evicted statements are deallocated on the server */
    assert_int_equal(q1(c, "SELECT COUNT(*) FROM pg_prepared_statements"), 2);
    mdm_conn_close(c);
    cfg.stmt_cache_size = 0;
    OK(mdm_conn_open(mdm_pg_backend(), &cfg, &c, &err));
    assert_int_equal(q1(c, sqls[1]), 2);
    assert_int_equal(q1(c, "SELECT COUNT(*) FROM pg_prepared_statements"), 0);
    OK(mdm_conn_stmt_cache_stats(c, &st, &err));
    assert_int_equal(st.size, 0);
    mdm_conn_close(c);
}

static void pg__named_params_are_rewritten_outside_literals(void **state)
{
    fx *f = begin(state);
    mdm_query_result r;
    mdm_error err;
    mdm_param p[] = {mdm_param_int64("n", 41), mdm_param_text("s", "txt")};
    mdm_query_result_init(&r);
    OK(mdm_conn_execute_query(f->c,
                              "SELECT :n::bigint + 1 AS n1, E'it\\'s :no' AS e, $$ :no $$ AS d, "
                              "$t$ :no $t$ AS t, /* /* :no */ :no */ :s AS s, "
                              "1 AS \":no\", :n AS again -- :no\n",
                              p, 2, &r, &err));
    assert_int_equal(mdm_table_int64(&r.table, 0, 0), 42);
    assert_string_equal(mdm_table_text(&r.table, 1, 0, NULL), "it's :no");
    assert_string_equal(mdm_table_text(&r.table, 2, 0, NULL), " :no ");
    assert_string_equal(mdm_table_text(&r.table, 3, 0, NULL), " :no ");
    assert_string_equal(mdm_table_text(&r.table, 4, 0, NULL), "txt");
    assert_string_equal(r.table.cols[5].name, ":no");
    assert_int_equal(mdm_table_int64(&r.table, 6, 0), 41);
    mdm_query_result_reset(&r);
}

/* Regression: `a[1:n]` was rewritten to `a[1$1]`. The slice reaches the
 * server as written; `a[:i]` is still the parameter i. */
static void pg__array_slices_are_not_parameters(void **state)
{
    fx *f = begin(state);
    mdm_query_result r;
    mdm_error err;
    mdm_param p[] = {mdm_param_int64("i", 3)};
    mdm_query_result_init(&r);
    OK(mdm_conn_execute_query(f->c,
                              "SELECT array_to_string(a[1:n], ',') AS s, a[:i] AS x "
                              "FROM (SELECT ARRAY[10, 20, 30] AS a, 2 AS n) v",
                              p, 1, &r, &err));
    assert_string_equal(mdm_table_text(&r.table, 0, 0, NULL), "10,20");
    assert_int_equal(mdm_table_int64(&r.table, 1, 0), 30);
    mdm_query_result_reset(&r);
}

static void pg__typed_params_and_nul_bytes(void **state)
{
    fx *f = begin(state);
    mdm_query_result r;
    mdm_error err;
    mdm_param p[] = {mdm_param_bool("b", true), mdm_param_timestamp("ts", 86400000000LL),
                     mdm_param_float64("f", -INFINITY), mdm_param_float64("nan", NAN),
                     mdm_param_null("z", MDM_TEXT)};
    mdm_query_result_init(&r);
    OK(mdm_conn_execute_query(f->c, "SELECT :b AS b, :ts AS ts, :f AS f, :nan AS nan, "
                                    ":z::text AS z", p, 5, &r, &err));
    assert_int_equal(r.table.cols[0].type, MDM_BOOL);
    assert_true(mdm_table_bool(&r.table, 0, 0));
    assert_int_equal(r.table.cols[1].type, MDM_TIMESTAMP);
    assert_int_equal(mdm_table_timestamp(&r.table, 1, 0), 86400000000LL);
    assert_true(isinf(mdm_table_float64(&r.table, 2, 0)));
    assert_true(isnan(mdm_table_float64(&r.table, 3, 0)));
    assert_true(mdm_table_is_null(&r.table, 4, 0));
    mdm_param nul = mdm_param_textn("s", "a\0b", 3);
    assert_int_equal(mdm_conn_execute_query(f->c, "SELECT :s AS s", &nul, 1, &r, &err),
                     MDM_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "NUL"));
    mdm_query_result_reset(&r);
}

/* ---- identifiers, schemas, transactions, connections ---- */

static void pg__identifiers_longer_than_63_bytes_are_refused(void **state)
{
    fx *f = begin(state);
    mdm_table t, out;
    mdm_error err;
    char name[128];
    /* 21 x "日" = 63 bytes: allowed; one more byte is not */
    name[0] = '\0';
    for (int i = 0; i < 21; i++)
        strcat(name, "日");
    assert_int_equal(strlen(name), 63);
    mdm_table_init(&t);
    OK(mdm_table_add_column(&t, name, MDM_INT64, &err));
    OK(mdm_table_push_int64(&t, 0, 1, &err));
    OK(mdm_table_end_row(&t, &err));
    OK(mdm_conn_create_table(f->c, name, &t, MDM_IF_EXISTS_FAIL, &err));
    read_back(f->c, name, &out);
    assert_string_equal(out.cols[0].name, name);
    mdm_table_reset(&out);
    strcat(name, "x");
    assert_int_equal(mdm_conn_create_table(f->c, name, &t, MDM_IF_EXISTS_FAIL, &err),
                     MDM_ERR_INVALID_ARG);
    mdm_table_init(&out);
    assert_int_equal(mdm_conn_read_table(f->c, name, NULL, &out, &err), MDM_ERR_INVALID_ARG);
    bool exists;
    assert_int_equal(mdm_conn_table_exists(f->c, name, &exists, &err), MDM_ERR_INVALID_ARG);
    assert_int_equal(mdm_conn_drop_table(f->c, name, true, &err), MDM_ERR_INVALID_ARG);
    mdm_table_info ti;
    mdm_table_info_init(&ti);
    assert_int_equal(mdm_conn_table_info(f->c, name, &ti, &err), MDM_ERR_INVALID_ARG);
    assert_int_equal(mdm_database_create(mdm_pg_backend(), &f->cfg, name, &err), MDM_ERR_INVALID_ARG);
    mdm_table_reset(&t);
}

static void pg__schema_per_dataset(void **state)
{
    fx *f = begin(state);
    mdm_conn_config cfg = f->cfg;
    mdm_conn *c = NULL;
    mdm_table t, out;
    mdm_strlist names;
    mdm_error err;
    bool exists = true;
    x(f->c, "CREATE SCHEMA \"Data Set\"");
    cfg.pg_schema = "Data Set";
    OK(mdm_conn_open(mdm_pg_backend(), &cfg, &c, &err));
    text_rows(&t, 2, NULL, 0);
    OK(mdm_conn_create_table(c, "train", &t, MDM_IF_EXISTS_FAIL, &err));
    mdm_strlist_init(&names);
    OK(mdm_conn_list_tables(c, &names, &err));
    assert_int_equal(names.count, 1);
    OK(mdm_conn_list_tables(f->c, &names, &err));          /* not in public */
    assert_int_equal(names.count, 0);
    OK(mdm_conn_table_exists(f->c, "train", &exists, &err));
    assert_false(exists);
    read_back(c, "train", &out);
    assert_int_equal(out.nrows, 2);
    assert_int_equal(q1(f->c, "SELECT COUNT(*) FROM \"Data Set\".train"), 2);
    mdm_conn_close(c);
    cfg.pg_schema = "x\xff";
    assert_int_equal(mdm_conn_open(mdm_pg_backend(), &cfg, &c, &err), MDM_ERR_INVALID_ARG);
    mdm_strlist_reset(&names);
    mdm_table_reset(&out);
    mdm_table_reset(&t);
}

static void pg__failed_transactions_are_reported(void **state)
{
    fx *f = begin(state);
    mdm_query_result r;
    mdm_table t;
    mdm_error err;
    text_rows(&t, 1, NULL, 0);
    OK(mdm_conn_begin(f->c, &err));
    mdm_query_result_init(&r);
    assert_int_equal(mdm_conn_execute_query(f->c, "SELECT 1/0 AS boom", NULL, 0, &r, &err),
                     MDM_ERR_TYPE);
    assert_string_equal(err.sqlstate, "22012");
    assert_true(mdm_conn_in_transaction(f->c));
    assert_int_equal(mdm_conn_create_table(f->c, "t", &t, MDM_IF_EXISTS_FAIL, &err), MDM_ERR_SQL);
    assert_non_null(strstr(err.message, "aborted"));
    assert_int_equal(mdm_conn_commit(f->c, &err), MDM_ERR_SQL);
    assert_non_null(strstr(err.message, "rolled back"));
    assert_false(mdm_conn_in_transaction(f->c));
    OK(mdm_conn_create_table(f->c, "t", &t, MDM_IF_EXISTS_FAIL, &err));
    mdm_table_reset(&t);
}

static void pg__pre_ping_replaces_a_terminated_backend(void **state)
{
    fx *f = begin(state);
    mdm_pool *p = NULL;
    mdm_pool_opts o = MDM_POOL_OPTS_INIT;
    mdm_conn *a = NULL;
    mdm_pool_status st;
    mdm_query_result r;
    mdm_error err;
    char sql[96];
    o.pool_size = 1;
    o.max_overflow = 0;
    OK(mdm_pool_new(&p, mdm_pg_backend(), &f->cfg, &o, &err));
    OK(mdm_pool_acquire(p, &a, &err));
    int64_t pid = q1(a, "SELECT pg_backend_pid()");
    assert_int_equal(mdm_pool_release(p, a), MDM_OK);
    snprintf(sql, sizeof sql, "SELECT pg_terminate_backend(%lld)", (long long)pid);
    x(f->c, sql);
    OK(mdm_pool_acquire(p, &a, &err));
    mdm_pool_get_status(p, &st);
    assert_int_equal(st.ping_failures, 1);
    assert_int_equal(st.created, 2);
    assert_true(q1(a, "SELECT pg_backend_pid()") != pid);
    assert_int_equal(mdm_pool_release(p, a), MDM_OK);
    /* without pre_ping the dead connection is handed out and fails */
    mdm_pool_free(p);
    o.pre_ping = false;
    OK(mdm_pool_new(&p, mdm_pg_backend(), &f->cfg, &o, &err));
    OK(mdm_pool_acquire(p, &a, &err));
    pid = q1(a, "SELECT pg_backend_pid()");
    assert_int_equal(mdm_pool_release(p, a), MDM_OK);
    snprintf(sql, sizeof sql, "SELECT pg_terminate_backend(%lld)", (long long)pid);
    x(f->c, sql);
    OK(mdm_pool_acquire(p, &a, &err));
    mdm_query_result_init(&r);
    assert_int_equal(mdm_conn_execute_query(a, "SELECT 1 AS one", NULL, 0, &r, &err),
                     MDM_ERR_CONNECTION);
    assert_int_equal(mdm_conn_ping(a, &err), MDM_ERR_CONNECTION);
    assert_int_equal(mdm_pool_release(p, a), MDM_OK);
    mdm_pool_free(p);
}

static void pg__pool_rolls_back_on_return(void **state)
{
    fx *f = begin(state);
    mdm_pool *p = NULL;
    mdm_pool_opts o = MDM_POOL_OPTS_INIT;
    mdm_conn *a = NULL;
    mdm_pool_status st;
    mdm_error err;
    o.pool_size = 1;
    o.max_overflow = 0;
    OK(mdm_pool_new(&p, mdm_pg_backend(), &f->cfg, &o, &err));
    OK(mdm_pool_acquire(p, &a, &err));
    x(a, "CREATE TABLE r (v BIGINT)");
    OK(mdm_conn_begin(a, &err));
    x(a, "INSERT INTO r VALUES (1)");
    assert_int_equal(mdm_pool_release(p, a), MDM_OK);
    OK(mdm_pool_acquire(p, &a, &err));
    assert_false(mdm_conn_in_transaction(a));
    assert_int_equal(q1(a, "SELECT COUNT(*) FROM r"), 0);
    mdm_pool_get_status(p, &st);
    assert_int_equal(st.resets, 1);
    assert_int_equal(mdm_pool_release(p, a), MDM_OK);
    mdm_pool_free(p);
}

static void pg__connection_errors(void **state)
{
    fx *f = begin(state);
    mdm_conn_config cfg = f->cfg;
    mdm_conn *c = NULL;
    mdm_error err;
    bool exists;
    char dsn[900];
    snprintf(dsn, sizeof dsn, "%s dbname=mdm_no_such_db", mdm_test_pg_dsn());
    cfg.dsn = dsn;
    assert_int_equal(mdm_conn_open(mdm_pg_backend(), &cfg, &c, &err), MDM_ERR_CONNECTION);
    assert_non_null(strstr(err.message, "postgresql: cannot connect"));
    assert_non_null(strstr(err.message, "mdm_no_such_db"));
    assert_int_equal(mdm_database_exists(mdm_pg_backend(), &cfg, "x", &exists, &err),
                     MDM_ERR_CONNECTION);
    assert_int_equal(mdm_database_create(mdm_pg_backend(), &cfg, "x", &err), MDM_ERR_CONNECTION);
    cfg.dsn = "host=/nonexistent-socket-dir port=1";
    cfg.connect_timeout_s = 1;
    assert_int_equal(mdm_conn_open(mdm_pg_backend(), &cfg, &c, &err), MDM_ERR_CONNECTION);
    /* dropping the database the config connects to is refused by the server */
    cfg = f->cfg;
    assert_int_equal(mdm_database_drop(mdm_pg_backend(), &cfg, f->db, false, &err), MDM_ERR_SQL);
    assert_non_null(strstr(err.message, "currently open database"));
}


static void pg__a_commit_that_fails_is_reported(void **state)
{
    fx *f = begin(state);
    mdm_error err;
    x(f->c, "CREATE TABLE u (v BIGINT UNIQUE DEFERRABLE INITIALLY DEFERRED)");
    OK(mdm_conn_begin(f->c, &err));
    x(f->c, "INSERT INTO u VALUES (1), (1)");   /* checked only at COMMIT */
    assert_int_equal(mdm_conn_commit(f->c, &err), MDM_ERR_CONSTRAINT);
    assert_string_equal(err.sqlstate, "23505");
    assert_false(mdm_conn_in_transaction(f->c));
    assert_int_equal(q1(f->c, "SELECT COUNT(*) FROM u"), 0);
}

static void pg__append_into_a_generated_column_fails_cleanly(void **state)
{
    fx *f = begin(state);
    mdm_table t;
    mdm_error err;
    x(f->c, "CREATE TABLE g (a BIGINT, b BIGINT GENERATED ALWAYS AS (a * 2) STORED)");
    x(f->c, "INSERT INTO g (a) VALUES (1)");
    mdm_table_init(&t);
    OK(mdm_table_add_column(&t, "a", MDM_INT64, &err));
    OK(mdm_table_add_column(&t, "b", MDM_INT64, &err));
    OK(mdm_table_push_int64(&t, 0, 5, &err));
    OK(mdm_table_push_int64(&t, 1, 5, &err));
    OK(mdm_table_end_row(&t, &err));
    /* the server refuses the COPY itself */
    assert_int_not_equal(mdm_conn_create_table(f->c, "g", &t, MDM_IF_EXISTS_APPEND, &err), MDM_OK);
    assert_non_null(strstr(err.message, "COPY"));
    assert_false(mdm_conn_in_transaction(f->c));
    assert_int_equal(q1(f->c, "SELECT COUNT(*) FROM g"), 1);
    mdm_table_reset(&t);
}

static void pg__database_exists_compares_whole_names_and_reports_errors(void **state)
{
    fx *f = begin(state);
    mdm_error err;
    bool exists = true;
    char name[80], longer[96];
    /* a 63-byte name (PostgreSQL's limit), and the same with 7 bytes more:
     * the longer one cannot exist, whatever its first 63 bytes match */
    int n = snprintf(name, sizeof name, "mdm_long_%ld_", (long)getpid());
    memset(name + n, 'x', (size_t)(63 - n));
    name[63] = '\0';
    snprintf(longer, sizeof longer, "%s_longer", name);
    OK(mdm_database_drop(mdm_pg_backend(), &f->cfg, name, true, &err));
    OK(mdm_database_create(mdm_pg_backend(), &f->cfg, name, &err));
    OK(mdm_database_exists(mdm_pg_backend(), &f->cfg, name, &exists, &err));
    assert_true(exists);
    OK(mdm_database_exists(mdm_pg_backend(), &f->cfg, longer, &exists, &err));
    assert_false(exists);
    assert_int_equal(mdm_database_create(mdm_pg_backend(), &f->cfg, longer, &err),
                     MDM_ERR_INVALID_ARG);
    OK(mdm_database_drop(mdm_pg_backend(), &f->cfg, name, false, &err));
    OK(mdm_database_exists(mdm_pg_backend(), &f->cfg, name, &exists, &err));
    assert_false(exists);
    /* the server refuses a name that is not UTF-8 */
    assert_int_equal(mdm_database_exists(mdm_pg_backend(), &f->cfg, "bad\xff", &exists, &err),
                     MDM_ERR_TYPE);
    assert_string_equal(err.sqlstate, "22021");
    assert_non_null(strstr(err.message, "database_exists"));
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(pg__replace_is_atomic_when_copy_fails_half_way),
        T(pg__replace_is_atomic_when_the_drop_fails),
        T(pg__copy_escapes_backslash_tab_newline_and_cr),
        T(pg__negative_zero_survives_and_nan_is_null),
        T(pg__declared_types_match_legacy),
        T(pg__reads_tables_written_by_pandas_to_sql),
        T(pg__other_column_types_map_to_the_table_types),
        T(pg__cached_statement_survives_a_replaced_table),
        T(pg__statement_cache_evicts_and_can_be_off),
        T(pg__named_params_are_rewritten_outside_literals),
        T(pg__array_slices_are_not_parameters),
        T(pg__typed_params_and_nul_bytes),
        T(pg__identifiers_longer_than_63_bytes_are_refused),
        T(pg__schema_per_dataset),
        T(pg__failed_transactions_are_reported),
        T(pg__pre_ping_replaces_a_terminated_backend),
        T(pg__pool_rolls_back_on_return),
        T(pg__connection_errors),
        T(pg__a_commit_that_fails_is_reported),
        T(pg__append_into_a_generated_column_fails_cleanly),
        T(pg__database_exists_compares_whole_names_and_reports_errors),
    };
    return cmocka_run_group_tests_name("modern_pg", tests, NULL, NULL);
}
