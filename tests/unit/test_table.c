/* SPDX-License-Identifier: MIT */
/*
 * test_table.c - the table type (core/mdm_table.c, mdm_table_compare.c,
 * mdm_table_output.c, mdm_format.c): building rows, type checks, equality
 * and the first-difference report, exact CSV and JSON text, float and
 * timestamp formatting, and CSV round trips through the reader.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "mdm_buf.h"
#include "mdm_csv.h"
#include "mdm_table.h"
#include "test_support.h"

#include "mdm_gencsv.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers ------------------------------------------------------------ */

static void add_col(mdm_table *t, const char *name, mdm_type type)
{
    mdm_error e;
    if (mdm_table_add_column(t, name, type, &e) != MDM_OK)
        fail_msg("add_column %s: %s", name, e.message);
}

static void end_row(mdm_table *t)
{
    mdm_error e;
    if (mdm_table_end_row(t, &e) != MDM_OK)
        fail_msg("end_row: %s", e.message);
}

/* One-column tables with one cell, for comparisons. */
static void one_int(mdm_table *t, const char *name, int64_t v)
{
    mdm_table_init(t);
    add_col(t, name, MDM_INT64);
    assert_int_equal(mdm_table_push_int64(t, 0, v, NULL), MDM_OK);
    end_row(t);
}

static void one_float(mdm_table *t, double v)
{
    mdm_table_init(t);
    add_col(t, "x", MDM_FLOAT64);
    assert_int_equal(mdm_table_push_float64(t, 0, v, NULL), MDM_OK);
    end_row(t);
}

static void one_text(mdm_table *t, const char *s)
{
    mdm_table_init(t);
    add_col(t, "s", MDM_TEXT);
    assert_int_equal(s ? mdm_table_push_text(t, 0, s, strlen(s), NULL) : mdm_table_push_null(t, 0, NULL),
                     MDM_OK);
    end_row(t);
}

/* Writes t as CSV or JSON into a string (caller frees). */
static char *write_string(const mdm_table *t, bool json)
{
    char *text = NULL;
    size_t len = 0;
    mdm_error e;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    mdm_status rc = json ? mdm_table_write_json(t, f, &e) : mdm_table_write_csv(t, f, &e);
    if (rc != MDM_OK)
        fail_msg("write: %s", e.message);
    assert_int_equal(fclose(f), 0);
    return text;
}

/* A table of every type, NULLs, and text that needs quoting. */
static void build_sample(mdm_table *t)
{
    mdm_error e;
    mdm_table_init(t);
    add_col(t, "id", MDM_INT64);
    add_col(t, "x", MDM_FLOAT64);
    add_col(t, "ok", MDM_BOOL);
    add_col(t, "name", MDM_TEXT);
    add_col(t, "at", MDM_TIMESTAMP);
    static const char *const names[] = {"plain", "a,b", "say \"hi\"", "two\nlines", " pad", "NA", "", NULL};
    static const double xs[] = {0.1, -0.0, 1e308, 1.0, 123456789.0, 1e-7, 2.5, 0.0};
    for (size_t r = 0; r < 8; r++) {
        assert_int_equal(mdm_table_push_int64(t, 0, r == 0 ? INT64_MIN : r == 7 ? INT64_MAX : (int64_t)r, &e),
                         MDM_OK);
        assert_int_equal(r == 7 ? mdm_table_push_null(t, 1, &e) : mdm_table_push_float64(t, 1, xs[r], &e),
                         MDM_OK);
        assert_int_equal(r == 6 ? mdm_table_push_null(t, 2, &e) : mdm_table_push_bool(t, 2, r % 2, &e),
                         MDM_OK);
        const char *s = names[r];
        assert_int_equal(s ? mdm_table_push_text(t, 3, s, strlen(s), &e) : mdm_table_push_null(t, 3, &e),
                         MDM_OK);
        assert_int_equal(r == 5 ? mdm_table_push_null(t, 4, &e)
                                : mdm_table_push_timestamp(t, 4, (int64_t)r * 86400000001 - 1, &e),
                         MDM_OK);
        end_row(t);
    }
}

static const char SAMPLE_CSV[] =
    "id,x,ok,name,at\n"
    "-9223372036854775808,0.1,False,plain,1969-12-31 23:59:59.999999\n"
    "1,-0.0,True,\"a,b\",1970-01-02 00:00:00\n"
    "2,1e+308,False,\"say \"\"hi\"\"\",1970-01-03 00:00:00.000001\n"
    "3,1.0,True,\"two\nlines\",1970-01-04 00:00:00.000002\n"
    "4,123456789.0,False,\" pad\",1970-01-05 00:00:00.000003\n"
    "5,1e-07,True,\"NA\",\n"
    "6,2.5,,\"\",1970-01-07 00:00:00.000005\n"
    "9223372036854775807,,True,,1970-01-08 00:00:00.000006\n";

/* ---- building ------------------------------------------------------------ */

static void table__init_and_reset_leave_an_empty_table(void **state)
{
    (void)state;
    mdm_table t;
    mdm_table_init(&t);
    assert_int_equal(t.ncols, 0);
    assert_int_equal(t.nrows, 0);
    assert_null(t.cols);
    add_col(&t, "a", MDM_TEXT);
    mdm_table_reset(&t);
    assert_int_equal(t.ncols, 0);
    assert_null(t.cols);
    mdm_table_reset(&t);  /* twice is fine */
    mdm_table_reset(NULL);
}

static void table__add_column_copies_the_name_and_refuses_after_rows(void **state)
{
    (void)state;
    char name[] = "first";
    mdm_table t;
    mdm_error e;
    mdm_table_init(&t);
    add_col(&t, name, MDM_INT64);
    name[0] = 'X';
    assert_string_equal(t.cols[0].name, "first");
    assert_int_equal(t.cols[0].type, MDM_INT64);
    assert_null(t.cols[0].decl_type);
    assert_int_equal(mdm_table_add_column(&t, NULL, MDM_INT64, &e), MDM_ERR_INVALID_ARG);
    assert_int_equal(mdm_table_add_column(&t, "bad", (mdm_type)42, &e), MDM_ERR_INVALID_ARG);
    assert_int_equal(mdm_table_push_int64(&t, 0, 1, &e), MDM_OK);
    /* A row in progress counts as rows. */
    assert_int_equal(mdm_table_add_column(&t, "late", MDM_TEXT, &e), MDM_ERR_INVALID_ARG);
    assert_non_null(strstr(e.message, "late"));
    end_row(&t);
    assert_int_equal(mdm_table_add_column(&t, "later", MDM_TEXT, &e), MDM_ERR_INVALID_ARG);
    assert_int_equal(t.ncols, 1);
    mdm_table_reset(&t);
}

static void table__push_checks_column_type_and_count(void **state)
{
    (void)state;
    mdm_table t;
    mdm_error e;
    mdm_table_init(&t);
    add_col(&t, "n", MDM_INT64);
    add_col(&t, "s", MDM_TEXT);
    assert_int_equal(mdm_table_push_float64(&t, 0, 1.0, &e), MDM_ERR_INVALID_ARG);
    assert_string_equal(e.message, "column 'n' is INT64, not FLOAT64");
    assert_int_equal(mdm_table_push_int64(&t, 2, 1, &e), MDM_ERR_INVALID_ARG);
    assert_int_equal(mdm_table_push_null(&t, 2, &e), MDM_ERR_INVALID_ARG);
    assert_int_equal(mdm_table_push_text(&t, 1, "a\0b", 3, &e), MDM_ERR_INVALID_ARG);
    assert_int_equal(mdm_table_push_int64(&t, 0, 1, &e), MDM_OK);
    assert_int_equal(mdm_table_push_int64(&t, 0, 2, &e), MDM_ERR_INVALID_ARG);  /* twice */
    /* end_row names the column that has no value yet. */
    assert_int_equal(mdm_table_end_row(&t, &e), MDM_ERR_INVALID_ARG);
    assert_string_equal(e.message, "row 0: column 's' has no value");
    assert_int_equal(t.nrows, 0);
    assert_int_equal(mdm_table_push_text(&t, 1, "x", 1, &e), MDM_OK);
    end_row(&t);
    assert_int_equal(t.nrows, 1);
    mdm_table_reset(&t);
}

static void table__values_of_every_type_read_back(void **state)
{
    (void)state;
    mdm_table t;
    build_sample(&t);
    assert_int_equal(t.nrows, 8);
    assert_true(mdm_table_int64(&t, 0, 0) == INT64_MIN);
    assert_true(mdm_table_int64(&t, 0, 7) == INT64_MAX);
    assert_true(signbit(mdm_table_float64(&t, 1, 1)));
    assert_true(mdm_table_is_null(&t, 1, 7));
    assert_true(mdm_table_bool(&t, 2, 1));
    assert_false(mdm_table_bool(&t, 2, 2));
    assert_true(mdm_table_is_null(&t, 2, 6));
    size_t len;
    assert_string_equal(mdm_table_text(&t, 3, 3, &len), "two\nlines");
    assert_int_equal(len, 9);
    /* Empty text is a value; a NULL text cell stores "" but is NULL. */
    assert_string_equal(mdm_table_text(&t, 3, 6, &len), "");
    assert_false(mdm_table_is_null(&t, 3, 6));
    assert_string_equal(mdm_table_text(&t, 3, 7, &len), "");
    assert_int_equal(len, 0);
    assert_true(mdm_table_is_null(&t, 3, 7));
    assert_true(mdm_table_timestamp(&t, 4, 0) == -1);
    assert_true(mdm_table_is_null(&t, 4, 5));
    mdm_table_reset(&t);
}

static void table__reserve_then_grow_past_it(void **state)
{
    (void)state;
    mdm_table t;
    mdm_error e;
    mdm_table_init(&t);
    add_col(&t, "n", MDM_INT64);
    add_col(&t, "s", MDM_TEXT);
    assert_int_equal(mdm_table_reserve(&t, 2, 4, &e), MDM_OK);
    assert_true(t.cols[0].cap >= 2);
    for (int i = 0; i < 5000; i++) {
        char s[32];
        int n = snprintf(s, sizeof s, "value %d", i);
        assert_int_equal(mdm_table_push_int64(&t, 0, i, &e), MDM_OK);
        assert_int_equal(mdm_table_push_text(&t, 1, s, (size_t)n, &e), MDM_OK);
        end_row(&t);
    }
    assert_int_equal(t.nrows, 5000);
    assert_true(mdm_table_int64(&t, 0, 4999) == 4999);
    assert_string_equal(mdm_table_text(&t, 1, 4321, NULL), "value 4321");
    mdm_table_reset(&t);
}

static void table__find_column_and_decl_type(void **state)
{
    (void)state;
    mdm_table t;
    mdm_error e;
    mdm_table_init(&t);
    add_col(&t, "a", MDM_INT64);
    add_col(&t, "b", MDM_TEXT);
    assert_int_equal(mdm_table_find_column(&t, "b"), 1);
    assert_int_equal(mdm_table_find_column(&t, "B"), -1);
    assert_int_equal(mdm_table_find_column(&t, ""), -1);
    assert_int_equal(mdm_table_set_decl_type(&t, 1, "VARCHAR(10)", &e), MDM_OK);
    assert_string_equal(t.cols[1].decl_type, "VARCHAR(10)");
    assert_int_equal(mdm_table_set_decl_type(&t, 1, NULL, &e), MDM_OK);
    assert_null(t.cols[1].decl_type);
    assert_int_equal(mdm_table_set_decl_type(&t, 2, "X", &e), MDM_ERR_INVALID_ARG);
    assert_string_equal(mdm_type_name(MDM_TIMESTAMP), "TIMESTAMP");
    assert_string_equal(mdm_type_name((mdm_type)99), "UNKNOWN");
    mdm_table_reset(&t);
}

static void table__move_leaves_the_source_empty(void **state)
{
    (void)state;
    mdm_table a, b;
    build_sample(&a);
    one_int(&b, "old", 1);
    mdm_table_move(&b, &a);
    assert_int_equal(a.ncols, 0);
    assert_null(a.cols);
    assert_int_equal(b.ncols, 5);
    assert_int_equal(b.nrows, 8);
    assert_string_equal(b.cols[3].name, "name");
    mdm_table_move(&b, &b);  /* onto itself: no change */
    assert_int_equal(b.nrows, 8);
    mdm_table_reset(&b);
}

static void table__append_table_adds_rows(void **state)
{
    (void)state;
    mdm_table a, b, other;
    mdm_error e;
    build_sample(&a);
    build_sample(&b);
    assert_int_equal(mdm_table_append_table(&a, &b, &e), MDM_OK);
    assert_int_equal(a.nrows, 16);
    assert_string_equal(mdm_table_text(&a, 3, 9, NULL), "a,b");
    assert_true(mdm_table_is_null(&a, 3, 15));
    assert_true(mdm_table_int64(&a, 0, 15) == INT64_MAX);
    one_int(&other, "id", 1);
    assert_int_equal(mdm_table_append_table(&a, &other, &e), MDM_ERR_INVALID_ARG);
    assert_int_equal(a.nrows, 16);
    mdm_table_reset(&a);
    mdm_table_reset(&b);
    mdm_table_reset(&other);
}

/* ---- equality and the first difference ---------------------------------- */

static void table__equal_tables_are_equal(void **state)
{
    (void)state;
    mdm_table a, b;
    mdm_table_diff d;
    build_sample(&a);
    build_sample(&b);
    assert_true(mdm_table_equal(&a, &b, NULL, &d));
    assert_int_equal(d.kind, MDM_DIFF_NONE);
    assert_true(mdm_table_equal(&a, &a, NULL, NULL));
    mdm_table_reset(&a);
    mdm_table_reset(&b);
}

static void table__null_differs_from_empty_string(void **state)
{
    (void)state;
    mdm_table a, b;
    mdm_table_diff d;
    one_text(&a, NULL);
    one_text(&b, "");
    assert_false(mdm_table_equal(&a, &b, NULL, &d));
    assert_int_equal(d.kind, MDM_DIFF_VALUE);
    assert_int_equal(d.row, 0);
    assert_int_equal(d.column, 0);
    assert_string_equal(d.column_name, "s");
    assert_string_equal(d.left, "NULL (TEXT)");
    assert_string_equal(d.right, "'' (TEXT)");
    assert_string_equal(d.message, "row 0, column 's': NULL (TEXT) vs '' (TEXT)");
    mdm_table_reset(&a);
    mdm_table_reset(&b);
}

static void table__int_one_differs_from_float_one(void **state)
{
    (void)state;
    mdm_table a, b;
    mdm_table_diff d;
    one_int(&a, "x", 1);
    one_float(&b, 1.0);
    assert_false(mdm_table_equal(&a, &b, NULL, &d));
    assert_int_equal(d.kind, MDM_DIFF_COLUMN_TYPE);
    assert_string_equal(d.message, "column 0 type: 'INT64' vs 'FLOAT64'");
    mdm_table_reset(&a);
    mdm_table_reset(&b);
}

static void table__negative_zero_differs_from_zero(void **state)
{
    (void)state;
    mdm_table a, b;
    mdm_table_diff d;
    mdm_compare_opts loose = MDM_COMPARE_OPTS_INIT;
    one_float(&a, -0.0);
    one_float(&b, 0.0);
    assert_false(mdm_table_equal(&a, &b, NULL, &d));
    assert_string_equal(d.message, "row 0, column 'x': -0.0 (FLOAT64) vs 0.0 (FLOAT64)");
    loose.float_tolerance = 1e-12;
    assert_true(mdm_table_equal(&a, &b, &loose, &d));
    /* ties of an ORDER BY: the two zeros are equal, nothing else moves */
    mdm_compare_opts ties = MDM_COMPARE_OPTS_INIT;
    ties.zero_signs_equal = true;
    assert_true(mdm_table_equal(&a, &b, &ties, &d));
    mdm_table_reset(&b);
    one_float(&b, 0x1p-1074);
    assert_false(mdm_table_equal(&a, &b, &ties, &d));
    mdm_table_reset(&a);
    mdm_table_reset(&b);
}

static void table__nan_equals_nan_and_nothing_else(void **state)
{
    (void)state;
    mdm_table a, b, c;
    mdm_table_diff d;
    mdm_compare_opts loose = MDM_COMPARE_OPTS_INIT;
    loose.float_tolerance = 0.5;
    one_float(&a, NAN);
    one_float(&b, -NAN);  /* another NaN bit pattern */
    one_float(&c, 0.0);
    assert_true(mdm_table_equal(&a, &b, NULL, &d));
    assert_true(mdm_table_equal(&a, &b, &loose, &d));
    assert_false(mdm_table_equal(&a, &c, NULL, &d));
    assert_false(mdm_table_equal(&a, &c, &loose, &d));
    assert_string_equal(d.left, "nan (FLOAT64)");
    mdm_table_reset(&a);
    mdm_table_reset(&b);
    mdm_table_reset(&c);
}

static void table__float_tolerance_is_relative(void **state)
{
    (void)state;
    mdm_table a, b;
    mdm_compare_opts o = MDM_COMPARE_OPTS_INIT;
    o.float_tolerance = 1e-9;
    one_float(&a, 1e12);
    one_float(&b, 1e12 + 100);  /* 1e-10 relative */
    assert_false(mdm_table_equal(&a, &b, NULL, NULL));
    assert_true(mdm_table_equal(&a, &b, &o, NULL));
    mdm_table_reset(&b);
    one_float(&b, 1e12 + 10000);  /* 1e-8 relative */
    assert_false(mdm_table_equal(&a, &b, &o, NULL));
    mdm_table_reset(&a);
    mdm_table_reset(&b);
}

static void table__first_difference_is_reported_row_major(void **state)
{
    (void)state;
    mdm_table a, b;
    mdm_table_diff d;
    build_sample(&a);
    build_sample(&b);
    /* Change row 5 column 0 and row 4 column 3: row 4 comes first. */
    b.cols[0].v.i64[5] = 50;
    b.cols[3].text[b.cols[3].off[4] + 1] = 'P';
    assert_false(mdm_table_equal(&a, &b, NULL, &d));
    assert_int_equal(d.row, 4);
    assert_int_equal(d.column, 3);
    assert_string_equal(d.message, "row 4, column 'name': ' pad' (TEXT) vs ' Pad' (TEXT)");
    mdm_table_reset(&a);
    mdm_table_reset(&b);
}

static void table__schema_differences_come_first(void **state)
{
    (void)state;
    mdm_table a, b;
    mdm_table_diff d;
    mdm_compare_opts decl = MDM_COMPARE_OPTS_INIT;
    mdm_error e;
    one_int(&a, "x", 1);
    one_int(&b, "y", 2);
    assert_false(mdm_table_equal(&a, &b, NULL, &d));
    assert_int_equal(d.kind, MDM_DIFF_COLUMN_NAME);
    assert_string_equal(d.message, "column 0 name: 'x' vs 'y'");
    mdm_table_reset(&b);
    one_int(&b, "x", 1);
    assert_int_equal(mdm_table_set_decl_type(&b, 0, "BIGINT", &e), MDM_OK);
    assert_true(mdm_table_equal(&a, &b, NULL, &d));
    decl.check_decl_types = true;
    assert_false(mdm_table_equal(&a, &b, &decl, &d));
    assert_int_equal(d.kind, MDM_DIFF_DECL_TYPE);
    assert_string_equal(d.message, "column 0 declared type: '(none)' vs 'BIGINT'");
    assert_int_equal(mdm_table_push_int64(&b, 0, 3, &e), MDM_OK);
    end_row(&b);
    assert_false(mdm_table_equal(&a, &b, NULL, &d));
    assert_int_equal(d.kind, MDM_DIFF_ROW_COUNT);
    assert_string_equal(d.message, "row count: 1 rows vs 2 rows");
    mdm_table_reset(&b);
    build_sample(&b);
    assert_false(mdm_table_equal(&a, &b, NULL, &d));
    assert_int_equal(d.kind, MDM_DIFF_COLUMN_COUNT);
    assert_string_equal(d.message, "column count: 1 columns vs 5 columns");
    mdm_table_reset(&a);
    mdm_table_reset(&b);
}

static void table__render_cell(void **state)
{
    (void)state;
    mdm_table t;
    char buf[64];
    build_sample(&t);
    assert_string_equal(mdm_table_render_cell(&t, 0, 0, buf, sizeof buf), "-9223372036854775808");
    assert_string_equal(mdm_table_render_cell(&t, 1, 1, buf, sizeof buf), "-0.0");
    assert_string_equal(mdm_table_render_cell(&t, 1, 7, buf, sizeof buf), "NULL");
    assert_string_equal(mdm_table_render_cell(&t, 2, 1, buf, sizeof buf), "True");
    assert_string_equal(mdm_table_render_cell(&t, 3, 1, buf, sizeof buf), "'a,b'");
    assert_string_equal(mdm_table_render_cell(&t, 4, 1, buf, sizeof buf), "1970-01-02 00:00:00");
    mdm_table_reset(&t);
}

/* ---- formatting ------------------------------------------------------ */

static void table__format_float64_is_shortest_round_trip(void **state)
{
    (void)state;
    static const struct {
        double v;
        const char *text;
    } cases[] = {
        {0.1, "0.1"},        {1.0, "1.0"},           {-0.0, "-0.0"},     {0.0, "0.0"},
        {1e308, "1e+308"},   {1e16, "1e+16"},        {123456789.0, "123456789.0"},
        {0.1 + 0.2, "0.30000000000000004"},          {1.0 / 3, "0.3333333333333333"},
        {5e-324, "4.94065645841247e-324"},           {-2.5, "-2.5"},
        {INFINITY, "inf"},   {-INFINITY, "-inf"},    {NAN, "nan"},
    };
    char buf[64];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n = mdm_format_float64(cases[i].v, buf, sizeof buf);
        if (strcmp(buf, cases[i].text) != 0)
            fail_msg("%.17g formatted as '%s', expected '%s'", cases[i].v, buf, cases[i].text);
        assert_int_equal(n, strlen(buf));
        if (isfinite(cases[i].v))
            assert_true(strtod(buf, NULL) == cases[i].v);
    }
}

/* xorshift64: a fixed sequence of bit patterns, the same on every run. */
static uint64_t next_bits(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

static double from_bits(uint64_t bits)
{
    double v;
    memcpy(&v, &bits, sizeof v);
    return v;
}

static void expect_fast_equals_slow(double v)
{
    char slow[64], fast[64];
    size_t ns = mdm_format_float64(v, slow, sizeof slow);
    size_t nf = mdm_format_float64_fast(v, fast, sizeof fast);
    if (strcmp(slow, fast) != 0 || ns != nf)
        fail_msg("%.17g (%a): printf loop '%s', fast '%s'", v, v, slow, fast);
}

/* The fast formatter must give the printf loop's bytes for every double:
 * the hard cases (powers of ten and of two, subnormals, the ends of the
 * range, integers around 2^53, exact ties) and 300,000 bit patterns:
 * uniform (any exponent), normal with exponents near 0 (features), and
 * short decimals (what the old fast path covered). */
static void table__format_float64_fast_matches_printf_loop(void **state)
{
    (void)state;
    static const double hard[] = {
        0.1, 0.3, 2.0 / 3, 1e15, 1e16, 1e21, 1e22, 1e23, 9.999999999999999e22,
        123456789012345678.0, 9007199254740992.0, 9007199254740993.0, 1234567890123456.0,
        5e-324, 1e-323, 2.2250738585072009e-308, 2.2250738585072014e-308,
        1.7976931348623157e308, 1e-5, 1e-4, 0.0001234, 4.35, 9.5, 0.5, 100.0, 1e300,
        0.0, -0.0, INFINITY, -INFINITY, NAN,
    };
    for (size_t i = 0; i < sizeof hard / sizeof hard[0]; i++) {
        expect_fast_equals_slow(hard[i]);
        expect_fast_equals_slow(-hard[i]);
    }
    for (int e = -323; e <= 308; e++) {   /* every power of ten, read exactly */
        char ten[16];
        snprintf(ten, sizeof ten, "1e%d", e);
        expect_fast_equals_slow(strtod(ten, NULL));
    }
    for (int e = 0; e < 2047; e++) {   /* every power of two, and its neighbours */
        uint64_t b = (uint64_t)e << 52;
        expect_fast_equals_slow(from_bits(b));
        expect_fast_equals_slow(from_bits(b + 1));
        expect_fast_equals_slow(from_bits(b == 0 ? 0 : b - 1));
    }
    uint64_t x = UINT64_C(88172645463325252);
    for (int i = 0; i < 100000; i++) {
        uint64_t bits = next_bits(&x);
        expect_fast_equals_slow(from_bits(bits));
        uint64_t exp = (uint64_t)(1023 + (int)(next_bits(&x) % 120) - 60);
        expect_fast_equals_slow(from_bits((bits & UINT64_C(0x800fffffffffffff)) | exp << 52));
        expect_fast_equals_slow((double)(int64_t)(next_bits(&x) % 2000000000) /
                                pow(10, (double)(next_bits(&x) % 20)));
    }
}

static void table__format_and_parse_timestamps(void **state)
{
    (void)state;
    char buf[40];
    int64_t v = 0;
    assert_int_equal(mdm_format_timestamp(0, buf, sizeof buf), 19);
    assert_string_equal(buf, "1970-01-01 00:00:00");
    mdm_format_timestamp(1, buf, sizeof buf);
    assert_string_equal(buf, "1970-01-01 00:00:00.000001");
    mdm_format_timestamp(-1, buf, sizeof buf);
    assert_string_equal(buf, "1969-12-31 23:59:59.999999");
    mdm_format_timestamp_full(INT64_C(951782400) * 1000000, buf, sizeof buf);
    assert_string_equal(buf, "2000-02-29 00:00:00.000000");
    assert_true(mdm_parse_timestamp("2000-02-29 00:00:00", 19, &v));
    assert_true(v == INT64_C(951782400) * 1000000);
    assert_true(mdm_parse_timestamp("2000-02-29T00:00", 16, &v));
    assert_true(v == INT64_C(951782400) * 1000000);
    assert_true(mdm_parse_timestamp("1970-01-01 00:00:00.123456789", 29, &v));
    assert_true(v == 123456);  /* past six digits: truncated */
    assert_true(mdm_parse_timestamp("1900-01-01", 10, &v));
    assert_true(v == INT64_C(-2208988800) * 1000000);
    assert_false(mdm_parse_timestamp("1900-02-29", 10, &v));
    assert_false(mdm_parse_timestamp("2001-13-01", 10, &v));
    assert_false(mdm_parse_timestamp("2001-01-01 12", 13, &v));
    assert_false(mdm_parse_timestamp("2001-01-01 12:00:00.", 20, &v));
    assert_false(mdm_parse_timestamp("2001-01-01 12:00:00.1234567890", 30, &v));
    assert_false(mdm_parse_timestamp("2001-1-01", 9, &v));
    /* Only s[0..len) is read. */
    assert_true(mdm_parse_timestamp("2001-01-01 junk", 10, &v));
}

/* ---- output ---------------------------------------------------------- */

static void table__write_csv_gives_exact_text(void **state)
{
    (void)state;
    mdm_table t;
    build_sample(&t);
    char *csv = write_string(&t, false);
    assert_string_equal(csv, SAMPLE_CSV);
    free(csv);
    mdm_table_reset(&t);
    /* Header names are quoted by the same rules. */
    one_int(&t, "a \"b\",c", 1);
    csv = write_string(&t, false);
    assert_string_equal(csv, "\"a \"\"b\"\",c\"\n1\n");
    free(csv);
    mdm_table_reset(&t);
}

static void table__write_json_gives_exact_text(void **state)
{
    (void)state;
    mdm_table t;
    mdm_error e;
    mdm_table_init(&t);
    add_col(&t, "n", MDM_INT64);
    add_col(&t, "x", MDM_FLOAT64);
    add_col(&t, "b", MDM_BOOL);
    add_col(&t, "s", MDM_TEXT);
    add_col(&t, "t", MDM_TIMESTAMP);
    assert_int_equal(mdm_table_push_int64(&t, 0, -7, &e), MDM_OK);
    assert_int_equal(mdm_table_push_float64(&t, 1, 1.5, &e), MDM_OK);
    assert_int_equal(mdm_table_push_bool(&t, 2, true, &e), MDM_OK);
    assert_int_equal(mdm_table_push_text(&t, 3, "q\"\\\n\t\x01\xC3\xA9", 8, &e), MDM_OK);
    assert_int_equal(mdm_table_push_timestamp(&t, 4, 0, &e), MDM_OK);
    end_row(&t);
    assert_int_equal(mdm_table_push_null(&t, 0, &e), MDM_OK);
    assert_int_equal(mdm_table_push_float64(&t, 1, -INFINITY, &e), MDM_OK);
    assert_int_equal(mdm_table_push_null(&t, 2, &e), MDM_OK);
    assert_int_equal(mdm_table_push_null(&t, 3, &e), MDM_OK);
    assert_int_equal(mdm_table_push_null(&t, 4, &e), MDM_OK);
    end_row(&t);
    char *json = write_string(&t, true);
    assert_string_equal(json, "{\"columns\":[{\"name\":\"n\",\"type\":\"INT64\"},{\"name\":\"x\",\"type\":\"FLOAT64\"},"
                              "{\"name\":\"b\",\"type\":\"BOOL\"},{\"name\":\"s\",\"type\":\"TEXT\"},"
                              "{\"name\":\"t\",\"type\":\"TIMESTAMP\"}],\n"
                              "\"rows\":[\n"
                              "[-7,1.5,true,\"q\\\"\\\\\\n\\t\\u0001\xC3\xA9\",\"1970-01-01 00:00:00\"],\n"
                              "[null,\"-inf\",null,null,null]]}\n");
    free(json);
    mdm_table_reset(&t);
    /* No rows at all. */
    mdm_table_init(&t);
    add_col(&t, "n", MDM_INT64);
    json = write_string(&t, true);
    assert_string_equal(json, "{\"columns\":[{\"name\":\"n\",\"type\":\"INT64\"}],\n\"rows\":[]}\n");
    free(json);
    mdm_table_reset(&t);
}

static void table__write_reports_io_errors(void **state)
{
    (void)state;
    mdm_table t;
    mdm_error e;
    FILE *full = fopen("/dev/full", "w");
    if (full == NULL)
        skip();
    build_sample(&t);
    assert_int_equal(mdm_table_write_csv(&t, full, &e), MDM_ERR_IO);
    assert_non_null(strstr(e.message, "cannot write"));
    clearerr(full);
    assert_int_equal(mdm_table_write_json(&t, full, &e), MDM_ERR_IO);
    fclose(full);
    mdm_table_reset(&t);
}

/* ---- CSV round trip --------------------------------------------------- */

static void assert_reads_back_equal(const mdm_table *t)
{
    char *csv = write_string(t, false);
    mdm_table back;
    mdm_table_diff d;
    mdm_error e;
    mdm_table_init(&back);
    if (mdm_csv_read_buffer(csv, strlen(csv), "roundtrip.csv", NULL, &back, &e) != MDM_OK)
        fail_msg("read back: %s", e.message);
    if (!mdm_table_equal(t, &back, NULL, &d))
        fail_msg("round trip differs: %s", d.message);
    mdm_table_reset(&back);
    free(csv);
}

static void table__csv_round_trip_gives_an_equal_table(void **state)
{
    (void)state;
    mdm_table t;
    build_sample(&t);
    assert_reads_back_equal(&t);
    mdm_table_reset(&t);
    /* Hostile text and names, floats at the edges. */
    mdm_error e;
    mdm_table_init(&t);
    add_col(&t, "NA", MDM_TEXT);
    add_col(&t, "x,y \"z\"", MDM_FLOAT64);
    add_col(&t, "é漢", MDM_INT64);
    static const char *const texts[] = {"\r\n", "\"", "  ", "None", "1", "True", "2020-01-01", "é,ü\n漢"};
    static const double xs[] = {5e-324, -1.7976931348623157e308, 0.30000000000000004, INFINITY,
                                -INFINITY, 1e21, -1e-300, 4.35};
    for (size_t r = 0; r < 8; r++) {
        assert_int_equal(mdm_table_push_text(&t, 0, texts[r], strlen(texts[r]), &e), MDM_OK);
        assert_int_equal(mdm_table_push_float64(&t, 1, xs[r], &e), MDM_OK);
        assert_int_equal(mdm_table_push_int64(&t, 2, r % 2 ? INT64_MIN + (int64_t)r : -(int64_t)r, &e), MDM_OK);
        end_row(&t);
    }
    assert_reads_back_equal(&t);
    mdm_table_reset(&t);
}

static void table__csv_one_column_null_row_survives(void **state)
{
    (void)state;
    mdm_table t;
    mdm_error e;
    mdm_table_init(&t);
    add_col(&t, "only", MDM_TEXT);
    static const char *const texts[] = {"a", NULL, "NA", ""};
    for (size_t r = 0; r < 4; r++) {
        if (texts[r] == NULL)
            assert_int_equal(mdm_table_push_null(&t, 0, &e), MDM_OK);
        else
            assert_int_equal(mdm_table_push_text(&t, 0, texts[r], strlen(texts[r]), &e), MDM_OK);
        end_row(&t);
    }
    /* NULL as a bare NA (a blank line would be skipped), text NA quoted. */
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    assert_non_null(f);
    assert_int_equal(mdm_table_write_csv(&t, f, &e), MDM_OK);
    assert_int_equal(fclose(f), 0);
    assert_string_equal(out, "only\na\nNA\n\"NA\"\n\"\"\n");
    free(out);
    assert_reads_back_equal(&t);
    mdm_table_reset(&t);
}

static void table__csv_round_trip_of_generated_data(void **state)
{
    (void)state;
    char *data = NULL;
    size_t len = 0;
    mdm_table t;
    mdm_error e;
    FILE *f = open_memstream(&data, &len);
    assert_non_null(f);
    assert_int_equal(mdm_gencsv_write(f, 2000, 7), 0);
    assert_int_equal(fclose(f), 0);
    mdm_table_init(&t);
    assert_int_equal(mdm_csv_read_buffer(data, len, "gen.csv", NULL, &t, &e), MDM_OK);
    assert_int_equal(t.nrows, 2000);
    assert_reads_back_equal(&t);
    mdm_table_reset(&t);
    free(data);
}

static void table__csv_round_trip_through_a_file(void **state)
{
    (void)state;
    char dir[256], path[300];
    mdm_table t, back;
    mdm_table_diff d;
    mdm_error e;
    assert_int_equal(mdm_test_tmpdir(dir, sizeof dir), 0);
    snprintf(path, sizeof path, "%s/t.csv", dir);
    build_sample(&t);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(mdm_table_write_csv(&t, f, &e), MDM_OK);
    assert_int_equal(fclose(f), 0);
    mdm_table_init(&back);
    assert_int_equal(mdm_csv_read_file(path, NULL, &back, &e), MDM_OK);
    if (!mdm_table_equal(&t, &back, NULL, &d))
        fail_msg("%s", d.message);
    mdm_table_reset(&t);
    mdm_table_reset(&back);
    mdm_test_rmrf(dir);
}

/* Rows [r0, r1) of a table whose every cell follows from its row number:
 * each type, NULLs, text that needs quoting. */
static void fill_rows(mdm_table *t, size_t r0, size_t r1)
{
    static const char *const texts[] = {"plain", "a,b", "say \"hi\"", "", "ünï"};
    mdm_table_init(t);
    add_col(t, "id", MDM_INT64);
    add_col(t, "x", MDM_FLOAT64);
    add_col(t, "s", MDM_TEXT);
    add_col(t, "b", MDM_BOOL);
    add_col(t, "ts", MDM_TIMESTAMP);
    for (size_t r = r0; r < r1; r++) {
        const char *s = texts[r % 5];
        assert_int_equal(mdm_table_push_int64(t, 0, (int64_t)r, NULL), MDM_OK);
        assert_int_equal(r % 7 == 0 ? mdm_table_push_null(t, 1, NULL)
                                    : mdm_table_push_float64(t, 1, (double)r * 0.37, NULL),
                         MDM_OK);
        assert_int_equal(mdm_table_push_text(t, 2, s, strlen(s), NULL), MDM_OK);
        assert_int_equal(mdm_table_push_bool(t, 3, r % 2 == 0, NULL), MDM_OK);
        assert_int_equal(mdm_table_push_timestamp(t, 4, (int64_t)r * 1000123, NULL), MDM_OK);
        end_row(t);
    }
}

/* A large table is formatted by several threads in blocks: the output must
 * be byte for byte the rows written one piece at a time (small tables,
 * written by one thread), in order, nothing lost or repeated. */
static void table__write_csv_of_a_large_table_equals_its_pieces(void **state)
{
    (void)state;
    enum { ROWS = 100003, PIECE = 10000 };   /* not a multiple of any block */
    mdm_table t;
    mdm_buf want;
    mdm_buf_init(&want);
    for (size_t r0 = 0; r0 < ROWS; r0 += PIECE) {
        mdm_table piece;
        fill_rows(&piece, r0, r0 + PIECE < ROWS ? r0 + PIECE : ROWS);
        char *text = write_string(&piece, false);
        const char *rows = r0 == 0 ? text : strchr(text, '\n') + 1;
        assert_int_equal(mdm_buf_puts(&want, rows), MDM_OK);
        free(text);
        mdm_table_reset(&piece);
    }
    fill_rows(&t, 0, ROWS);
    char *got = write_string(&t, false);
    assert_int_equal(strlen(got), want.len);
    assert_memory_equal(got, want.data, want.len);
    free(got);
    mdm_table_reset(&t);
    mdm_buf_reset(&want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(table__init_and_reset_leave_an_empty_table),
        cmocka_unit_test(table__add_column_copies_the_name_and_refuses_after_rows),
        cmocka_unit_test(table__push_checks_column_type_and_count),
        cmocka_unit_test(table__values_of_every_type_read_back),
        cmocka_unit_test(table__reserve_then_grow_past_it),
        cmocka_unit_test(table__find_column_and_decl_type),
        cmocka_unit_test(table__move_leaves_the_source_empty),
        cmocka_unit_test(table__append_table_adds_rows),
        cmocka_unit_test(table__equal_tables_are_equal),
        cmocka_unit_test(table__null_differs_from_empty_string),
        cmocka_unit_test(table__int_one_differs_from_float_one),
        cmocka_unit_test(table__negative_zero_differs_from_zero),
        cmocka_unit_test(table__nan_equals_nan_and_nothing_else),
        cmocka_unit_test(table__float_tolerance_is_relative),
        cmocka_unit_test(table__first_difference_is_reported_row_major),
        cmocka_unit_test(table__schema_differences_come_first),
        cmocka_unit_test(table__render_cell),
        cmocka_unit_test(table__format_float64_is_shortest_round_trip),
        cmocka_unit_test(table__format_float64_fast_matches_printf_loop),
        cmocka_unit_test(table__format_and_parse_timestamps),
        cmocka_unit_test(table__write_csv_gives_exact_text),
        cmocka_unit_test(table__write_csv_of_a_large_table_equals_its_pieces),
        cmocka_unit_test(table__write_json_gives_exact_text),
        cmocka_unit_test(table__write_reports_io_errors),
        cmocka_unit_test(table__csv_round_trip_gives_an_equal_table),
        cmocka_unit_test(table__csv_one_column_null_row_survives),
        cmocka_unit_test(table__csv_round_trip_of_generated_data),
        cmocka_unit_test(table__csv_round_trip_through_a_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
