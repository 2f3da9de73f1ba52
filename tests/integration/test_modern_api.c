/* SPDX-License-Identifier: MIT */
/*
 * test_modern_api.c - unit tests of modern's helpers that need no database:
 * the :name -> $n rewriter, parameter matching, the LRU statement cache,
 * column conversion and declared-type mapping, and the small value types
 * (if_exists, string lists, configs, table info, query results).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "mdm_buf.h"
#include "mdm_conn.h"
#include "mdm_connconfig.h"
#include "mdm_modern_internal.h"

/* ---- the rewriter ---- */

static void rewrite_ok(const char *sql, const char *want, const char *want_names)
{
    mdm_buf out;
    mdm_strlist names;
    mdm_error err;
    char joined[256] = "";
    mdm_buf_init(&out);
    mdm_strlist_init(&names);
    if (mdm__pg_rewrite_params(sql, &out, &names, &err) != MDM_OK)
        fail_msg("rewrite '%s': %s", sql, err.message);
    assert_string_equal(mdm_buf_str(&out), want);
    for (size_t i = 0; i < names.count; i++) {
        if (i)
            strcat(joined, ",");
        strcat(joined, names.items[i]);
    }
    assert_string_equal(joined, want_names);
    mdm_strlist_reset(&names);
    mdm_buf_reset(&out);
}

static void rewrite__names_become_numbers(void **state)
{
    (void)state;
    rewrite_ok("SELECT :a, :b, :a", "SELECT $1, $2, $1", "a,b");
    rewrite_ok("SELECT :a_1+:B2", "SELECT $1+$2", "a_1,B2");
    rewrite_ok("", "", "");
    rewrite_ok("SELECT 1", "SELECT 1", "");
    rewrite_ok(":x", "$1", "x");
}

static void rewrite__skips_literals_identifiers_comments_and_casts(void **state)
{
    (void)state;
    rewrite_ok("SELECT ':a', 'it''s :b', :c", "SELECT ':a', 'it''s :b', $1", "c");
    rewrite_ok("SELECT E'\\':a', :c", "SELECT E'\\':a', $1", "c");
    rewrite_ok("SELECT e'x\\\\', :c", "SELECT e'x\\\\', $1", "c");
    rewrite_ok("SELECT \":a\", \"q\"\":b\", :c", "SELECT \":a\", \"q\"\":b\", $1", "c");
    rewrite_ok("SELECT 1 -- :a\n, :c", "SELECT 1 -- :a\n, $1", "c");
    rewrite_ok("SELECT /* :a /* :b */ :d */ :c", "SELECT /* :a /* :b */ :d */ $1", "c");
    rewrite_ok("SELECT :c::int, x::text", "SELECT $1::int, x::text", "c");
    rewrite_ok("SELECT $$ :a $$, $t$ :b $t$, :c", "SELECT $$ :a $$, $t$ :b $t$, $1", "c");
    rewrite_ok("SELECT $1, a$b, :c", "SELECT $1, a$b, $1", "c");
    rewrite_ok("SELECT $a b, $x-y$ :c", "SELECT $a b, $x-y$ $1", "c");   /* not tags */
    rewrite_ok("SELECT x := 1, :9, ':'", "SELECT x := 1, :9, ':'", "");
    /* unterminated pieces are copied as they are (the server reports them) */
    rewrite_ok("SELECT 'open :a", "SELECT 'open :a", "");
    rewrite_ok("SELECT \"open :a", "SELECT \"open :a", "");
    rewrite_ok("SELECT $q$ open :a", "SELECT $q$ open :a", "");
    rewrite_ok("SELECT /* open :a", "SELECT /* open :a", "");
    rewrite_ok("SELECT :a; ", "SELECT $1; ", "a");
    rewrite_ok("SELECT :a; -- done\n/* really */ ;", "SELECT $1; -- done\n/* really */ ;", "a");
}

/* Regression: an array slice's bound was taken for a parameter
 * ("a[1:n]" became "a[1$1]"). After an operand inside [ ], ':' slices. */
static void rewrite__leaves_array_slices_alone(void **state)
{
    (void)state;
    rewrite_ok("SELECT a[1:n] FROM t", "SELECT a[1:n] FROM t", "");
    rewrite_ok("SELECT a[lo:hi], b[f(x) : n], c[1][2:m] FROM t",
               "SELECT a[lo:hi], b[f(x) : n], c[1][2:m] FROM t", "");
    rewrite_ok("SELECT a[:i], a[:lo:hi], a[1:n] + :k FROM t",
               "SELECT a[$1], a[$2:hi], a[1:n] + $3 FROM t", "i,lo,k");
}

static void rewrite__refuses_a_second_statement_and_bad_input(void **state)
{
    (void)state;
    mdm_buf out;
    mdm_strlist names;
    mdm_error err;
    char longname[300];
    mdm_buf_init(&out);
    mdm_strlist_init(&names);
    assert_int_equal(mdm__pg_rewrite_params("SELECT 1; SELECT 2", &out, &names, &err),
                     MDM_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "only one statement"));
    assert_int_equal(mdm__pg_rewrite_params(NULL, &out, &names, &err), MDM_ERR_INVALID_ARG);
    longname[0] = ':';
    memset(longname + 1, 'a', 280);
    longname[281] = '\0';
    assert_int_equal(mdm__pg_rewrite_params(longname, &out, &names, &err), MDM_ERR_INVALID_ARG);
    mdm_strlist_reset(&names);
    mdm_buf_reset(&out);
}

static void params__are_matched_by_name(void **state)
{
    (void)state;
    const char *names[] = {"a", "b"};
    size_t idx[2] = {9, 9};
    mdm_error err;
    mdm_param p[] = {mdm_param_int64("b", 1), mdm_param_int64(":a", 2)};
    assert_int_equal(mdm__match_params(names, 2, p, 2, idx, &err), MDM_OK);
    assert_int_equal(idx[0], 1);
    assert_int_equal(idx[1], 0);
    assert_int_equal(mdm__match_params(names, 2, p, 1, idx, &err), MDM_ERR_INVALID_ARG);
    assert_string_equal(err.message, "no value for parameter :a");
    assert_int_equal(mdm__match_params(names, 1, p, 2, idx, &err), MDM_ERR_INVALID_ARG);
    assert_string_equal(err.message, "parameter :b is not used by the query");
    assert_int_equal(mdm__match_params(names, 0, NULL, 0, idx, &err), MDM_OK);
    assert_int_equal(mdm__match_params(names, 0, NULL, 1, idx, &err), MDM_ERR_INVALID_ARG);
    mdm_param empty = mdm_param_int64(":", 1);
    assert_int_equal(mdm__match_params(names, 0, &empty, 1, idx, &err), MDM_ERR_INVALID_ARG);
    assert_string_equal(err.message, "parameter 0 has no name");
}

/* ---- the statement cache ---- */

static void count_destroy(void *ctx, void *stmt)
{
    (*(int *)ctx)++;
    free(stmt);
}

static void cache__evicts_the_least_recently_used(void **state)
{
    (void)state;
    mdm__stmt_cache c;
    mdm_stmt_cache_stats st;
    int destroyed = 0;
    mdm__stmt_cache_init(&c, 2, count_destroy, &destroyed);
    void *a = malloc(1), *b = malloc(1), *d = malloc(1);
    assert_null(mdm__stmt_cache_get(&c, "a", 1));
    assert_true(mdm__stmt_cache_put(&c, "a", 1, a));
    assert_true(mdm__stmt_cache_put(&c, "b", 1, b));
    assert_ptr_equal(mdm__stmt_cache_get(&c, "a", 1), a);   /* a is now the newest */
    assert_true(mdm__stmt_cache_put(&c, "d", 1, d));        /* evicts b */
    assert_int_equal(destroyed, 1);
    assert_null(mdm__stmt_cache_get(&c, "b", 1));
    assert_ptr_equal(mdm__stmt_cache_get(&c, "d", 1), d);
    /* keys with the same bytes up to a NUL are different keys */
    assert_null(mdm__stmt_cache_get(&c, "d\0x", 3));
    mdm__stmt_cache_stats(&c, &st);
    assert_int_equal(st.size, 2);
    assert_int_equal(st.capacity, 2);
    assert_int_equal(st.evictions, 1);
    assert_int_equal(st.hits, 2);
    assert_int_equal(st.misses, 3);
    mdm__stmt_cache_drop(&c, a);
    assert_int_equal(destroyed, 2);
    mdm__stmt_cache_drop(&c, a);    /* gone already: nothing happens */
    assert_int_equal(destroyed, 2);
    mdm__stmt_cache_reset(&c);
    assert_int_equal(destroyed, 3);
}

static void cache__capacity_zero_caches_nothing(void **state)
{
    (void)state;
    mdm__stmt_cache c;
    int destroyed = 0;
    mdm__stmt_cache_init(&c, 0, count_destroy, &destroyed);
    void *a = malloc(1);
    assert_false(mdm__stmt_cache_put(&c, "a", 1, a));
    assert_null(mdm__stmt_cache_get(&c, "a", 1));
    free(a);
    mdm__stmt_cache_reset(&c);
    assert_int_equal(destroyed, 0);
}

/* ---- typed reads ---- */

static void types__from_declared_types(void **state)
{
    (void)state;
    const struct {
        const char *decl;
        int want;   /* -1: unknown */
    } cases[] = {
        {"BIGINT", MDM_INT64}, {"INTEGER", MDM_INT64}, {"int", MDM_INT64},
        {"FLOAT", MDM_FLOAT64}, {"REAL", MDM_FLOAT64}, {"DOUBLE PRECISION", MDM_FLOAT64},
        {"BOOLEAN", MDM_BOOL}, {"bool", MDM_BOOL}, {"TEXT", MDM_TEXT}, {"VARCHAR(5)", MDM_TEXT},
        {"CLOB", MDM_TEXT}, {"DATETIME", MDM_TIMESTAMP}, {"DATE", MDM_TIMESTAMP},
        {"TIMESTAMP WITHOUT TIME ZONE", MDM_TIMESTAMP}, {"NUMERIC", -1}, {"BLOB", -1},
        {"", -1}, {NULL, -1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        mdm_type t = (mdm_type)99;
        bool known = mdm__type_from_decl(cases[i].decl, &t);
        if (cases[i].want < 0) {
            assert_false(known);
            assert_int_equal(t, 99);
        } else {
            assert_true(known);
            assert_int_equal(t, cases[i].want);
        }
    }
}

static void types__columns_widen_with_their_values(void **state)
{
    (void)state;
    mdm_table t;
    mdm_error err;
    mdm_table_init(&t);
    assert_int_equal(mdm_table_add_column(&t, "i", MDM_INT64, &err), MDM_OK);
    assert_int_equal(mdm_table_add_column(&t, "b", MDM_BOOL, &err), MDM_OK);
    assert_int_equal(mdm_table_add_column(&t, "ts", MDM_TIMESTAMP, &err), MDM_OK);
    assert_int_equal(mdm_table_add_column(&t, "f", MDM_FLOAT64, &err), MDM_OK);
    assert_int_equal(mdm_table_add_column(&t, "n", MDM_TEXT, &err), MDM_OK);
    assert_int_equal(mdm_table_set_decl_type(&t, 0, "BIGINT", &err), MDM_OK);
    for (int r = 0; r < 2; r++) {
        assert_int_equal(mdm_table_push_int64(&t, 0, r ? -7 : 7, &err), MDM_OK);
        assert_int_equal(mdm_table_push_bool(&t, 1, r == 0, &err), MDM_OK);
        assert_int_equal(mdm_table_push_timestamp(&t, 2, 0, &err), MDM_OK);
        assert_int_equal(mdm_table_push_float64(&t, 3, 0.5, &err), MDM_OK);
        assert_int_equal(mdm_table_push_null(&t, 4, &err), MDM_OK);
        assert_int_equal(mdm_table_end_row(&t, &err), MDM_OK);
    }
    assert_int_equal(mdm_table_push_null(&t, 0, &err), MDM_OK);
    assert_int_equal(mdm_table_push_null(&t, 1, &err), MDM_OK);
    assert_int_equal(mdm_table_push_null(&t, 2, &err), MDM_OK);
    assert_int_equal(mdm_table_push_null(&t, 3, &err), MDM_OK);
    assert_int_equal(mdm_table_push_null(&t, 4, &err), MDM_OK);
    assert_int_equal(mdm_table_end_row(&t, &err), MDM_OK);

    assert_int_equal(mdm__table_convert_column(&t, 0, MDM_FLOAT64, &err), MDM_OK);
    assert_true(mdm_table_float64(&t, 0, 1) == -7.0);
    assert_string_equal(t.cols[0].name, "i");
    assert_string_equal(t.cols[0].decl_type, "BIGINT");
    assert_true(mdm_table_is_null(&t, 0, 2));
    assert_int_equal(mdm__table_convert_column(&t, 0, MDM_TEXT, &err), MDM_OK);
    assert_string_equal(mdm_table_text(&t, 0, 1, NULL), "-7.0");
    assert_int_equal(mdm__table_convert_column(&t, 1, MDM_INT64, &err), MDM_OK);
    assert_int_equal(mdm_table_int64(&t, 1, 0), 1);
    assert_int_equal(mdm__table_convert_column(&t, 1, MDM_INT64, &err), MDM_OK);   /* same */
    assert_int_equal(mdm__table_convert_column(&t, 2, MDM_TEXT, &err), MDM_OK);
    assert_string_equal(mdm_table_text(&t, 2, 0, NULL), "1970-01-01 00:00:00.000000");
    assert_int_equal(mdm__table_convert_column(&t, 3, MDM_INT64, &err), MDM_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "cannot convert column 'f'"));
    assert_int_equal(mdm__table_convert_column(&t, 0, MDM_INT64, &err), MDM_ERR_INVALID_ARG);
    assert_int_equal(mdm__table_convert_column(&t, 4, MDM_BOOL, &err), MDM_OK);   /* all NULL */
    assert_int_equal(t.cols[4].type, MDM_BOOL);
    mdm_table_reset(&t);

    mdm_table_init(&t);
    assert_int_equal(mdm_table_add_column(&t, "b", MDM_BOOL, &err), MDM_OK);
    assert_int_equal(mdm_table_push_bool(&t, 0, true, &err), MDM_OK);
    assert_int_equal(mdm_table_end_row(&t, &err), MDM_OK);
    assert_int_equal(mdm_table_push_bool(&t, 0, false, &err), MDM_OK);
    assert_int_equal(mdm_table_end_row(&t, &err), MDM_OK);
    assert_int_equal(mdm__table_convert_column(&t, 0, MDM_FLOAT64, &err), MDM_OK);
    assert_true(mdm_table_float64(&t, 0, 0) == 1.0);
    assert_true(mdm_table_float64(&t, 0, 1) == 0.0);
    mdm_table_reset(&t);
    mdm_table_init(&t);
    assert_int_equal(mdm_table_add_column(&t, "b", MDM_BOOL, &err), MDM_OK);
    assert_int_equal(mdm_table_push_bool(&t, 0, true, &err), MDM_OK);
    assert_int_equal(mdm_table_end_row(&t, &err), MDM_OK);
    assert_int_equal(mdm__table_convert_column(&t, 0, MDM_TEXT, &err), MDM_OK);
    assert_string_equal(mdm_table_text(&t, 0, 0, NULL), "1");
    mdm_table_reset(&t);
}

static void types__int64_text(void **state)
{
    (void)state;
    char buf[24];
    assert_int_equal(mdm__format_int64(INT64_MIN, buf), 20);
    assert_string_equal(buf, "-9223372036854775808");
    mdm__format_int64(INT64_MAX, buf);
    assert_string_equal(buf, "9223372036854775807");
    mdm__format_int64(0, buf);
    assert_string_equal(buf, "0");
    mdm__format_int64(-5, buf);
    assert_string_equal(buf, "-5");
}

/* ---- small value types ---- */

static void values__if_exists_names(void **state)
{
    (void)state;
    mdm_if_exists m = MDM_IF_EXISTS_FAIL;
    mdm_error err;
    assert_string_equal(mdm_if_exists_name(MDM_IF_EXISTS_FAIL), "fail");
    assert_string_equal(mdm_if_exists_name(MDM_IF_EXISTS_REPLACE), "replace");
    assert_string_equal(mdm_if_exists_name(MDM_IF_EXISTS_APPEND), "append");
    assert_string_equal(mdm_if_exists_name((mdm_if_exists)7), "unknown");
    assert_int_equal(mdm_if_exists_parse("append", &m, &err), MDM_OK);
    assert_int_equal(m, MDM_IF_EXISTS_APPEND);
    assert_int_equal(mdm_if_exists_parse("Replace", &m, &err), MDM_ERR_INVALID_ARG);
    assert_string_equal(err.message, "'Replace' is not valid for if_exists (fail, replace, append)");
    assert_int_equal(mdm_if_exists_parse(NULL, &m, &err), MDM_ERR_INVALID_ARG);
}

static void values__lists_results_info_and_params(void **state)
{
    (void)state;
    mdm_strlist l;
    mdm_query_result r;
    mdm_table_info ti;
    mdm_error err;
    mdm_strlist_init(&l);
    assert_int_equal(mdm_strlist_push(&l, "a", &err), MDM_OK);
    assert_int_equal(mdm_strlist_push(&l, NULL, &err), MDM_ERR_INVALID_ARG);
    assert_int_equal(mdm_strlist_push(NULL, "a", &err), MDM_ERR_INVALID_ARG);
    assert_int_equal(l.count, 1);
    mdm_strlist_reset(&l);
    assert_int_equal(l.count, 0);
    mdm_strlist_reset(NULL);
    mdm_query_result_init(&r);
    r.rows_affected = 3;
    mdm_query_result_reset(&r);
    assert_int_equal(r.rows_affected, 0);
    mdm_query_result_reset(NULL);
    mdm_table_info_init(&ti);
    ti.name = strdup("x");
    mdm_table_info_reset(&ti);
    assert_null(ti.name);
    mdm_table_info_reset(NULL);
    mdm_param p = mdm_param_text("s", "abc");
    assert_int_equal(p.value.v.text.len, 3);
    p = mdm_param_text("s", NULL);
    assert_int_equal(p.value.v.text.len, 0);
    p = mdm_param_null("n", MDM_INT64);
    assert_true(p.value.is_null);
}

static void values__configs_are_copied_deeply(void **state)
{
    (void)state;
    mdm_conn_config cfg = MDM_CONN_CONFIG_INIT, *copy = NULL;
    mdm_error err;
    char path[] = "/tmp/x.sqlite";
    cfg.backend = "sqlite";
    cfg.path = path;
    cfg.dsn = "host=h";
    cfg.pg_schema = "s";
    assert_int_equal(mdm_conn_config_dup(&cfg, &copy, &err), MDM_OK);
    path[0] = 'X';
    assert_string_equal(copy->path, "/tmp/x.sqlite");
    assert_string_equal(copy->sqlite.journal_mode, "WAL");
    assert_string_equal(copy->pg_schema, "s");
    assert_int_equal(copy->stmt_cache_size, 64);
    mdm_conn_config_free(copy);
    mdm_conn_config_free(NULL);
    cfg.version = 0;
    assert_int_equal(mdm_conn_config_dup(&cfg, &copy, &err), MDM_ERR_INVALID_ARG);
    assert_int_equal(mdm_conn_config_dup(NULL, &copy, &err), MDM_ERR_INVALID_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rewrite__names_become_numbers),
        cmocka_unit_test(rewrite__skips_literals_identifiers_comments_and_casts),
        cmocka_unit_test(rewrite__refuses_a_second_statement_and_bad_input),
        cmocka_unit_test(rewrite__leaves_array_slices_alone),
        cmocka_unit_test(params__are_matched_by_name),
        cmocka_unit_test(cache__evicts_the_least_recently_used),
        cmocka_unit_test(cache__capacity_zero_caches_nothing),
        cmocka_unit_test(types__from_declared_types),
        cmocka_unit_test(types__columns_widen_with_their_values),
        cmocka_unit_test(types__int64_text),
        cmocka_unit_test(values__if_exists_names),
        cmocka_unit_test(values__lists_results_info_and_params),
        cmocka_unit_test(values__configs_are_copied_deeply),
    };
    return cmocka_run_group_tests_name("modern_api", tests, NULL, NULL);
}
