/* SPDX-License-Identifier: MIT */
/*
 * test_csv.c - the CSV reader (core/mdm_csv.c): RFC 4180 syntax, pandas
 * type inference and missing markers, hostile inputs, and the errors that
 * name source:line:column. Also reads ~2000 rows from the data generator
 * (harness/mdm_gencsv.c) and checks the inferred types.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "mdm_buf.h"
#include "mdm_csv.h"
#include "mdm_table_ops.h"
#include "test_support.h"

#include "mdm_gencsv.h"

#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- helpers ------------------------------------------------------------ */

static mdm_status read_n(const char *s, size_t n, mdm_table *t, mdm_error *e)
{
    mdm_error_clear(e);
    return mdm_csv_read_buffer(s, n, "t.csv", NULL, t, e);
}

/* Reads s, which must succeed, into t (initialised here). */
static void read_ok(const char *s, mdm_table *t)
{
    mdm_error e;
    mdm_table_init(t);
    if (read_n(s, strlen(s), t, &e) != MDM_OK)
        fail_msg("read failed: %s", e.message);
}

/* Reads s[0..n), which must fail with PARSE and exactly this message. */
static void expect_parse_error(const char *s, size_t n, const char *message)
{
    mdm_table t;
    mdm_error e;
    mdm_table_init(&t);
    assert_int_equal(read_n(s, n, &t, &e), MDM_ERR_PARSE);
    assert_int_equal(e.code, MDM_ERR_PARSE);
    assert_string_equal(e.message, message);
    assert_int_equal(t.ncols, 0);
    assert_int_equal(t.nrows, 0);
}

static void expect_error(const char *s, const char *message)
{
    expect_parse_error(s, strlen(s), message);
}

static void assert_types(const mdm_table *t, const mdm_type *types, size_t n)
{
    assert_int_equal(t->ncols, n);
    for (size_t c = 0; c < n; c++)
        if (t->cols[c].type != types[c])
            fail_msg("column %zu ('%s'): %s, expected %s", c, t->cols[c].name,
                     mdm_type_name(t->cols[c].type), mdm_type_name(types[c]));
}

/* The only column of a one-column read has this type. */
static void assert_single_type(const char *csv, mdm_type want)
{
    mdm_table t;
    read_ok(csv, &t);
    assert_int_equal(t.ncols, 1);
    if (t.cols[0].type != want)
        fail_msg("%s: got %s, expected %s", csv, mdm_type_name(t.cols[0].type), mdm_type_name(want));
    mdm_table_reset(&t);
}

static void assert_text(const mdm_table *t, size_t c, size_t r, const char *want)
{
    size_t len;
    assert_int_equal(t->cols[c].type, MDM_TEXT);
    assert_false(mdm_table_is_null(t, c, r));
    const char *s = mdm_table_text(t, c, r, &len);
    assert_int_equal(len, strlen(want));
    assert_string_equal(s, want);
}

static uint64_t bits(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

/* ---- empty and minimal inputs --------------------------------------------- */

static void csv__empty_input_is_a_parse_error(void **state)
{
    (void)state;
    expect_parse_error("", 0, "t.csv:1:1: empty input: no header row");
    expect_parse_error("\xEF\xBB\xBF", 3, "t.csv:1:1: empty input: no header row");
    expect_parse_error("\n\r\n  \n", 6, "t.csv:4:1: empty input: no header row");
}

static void csv__empty_file_names_the_file(void **state)
{
    (void)state;
    char dir[256], path[300], want[400];
    mdm_table t;
    mdm_error e;
    assert_int_equal(mdm_test_tmpdir(dir, sizeof dir), 0);
    snprintf(path, sizeof path, "%s/empty.csv", dir);
    assert_int_equal(mdm_test_write_file(path, "", 0), 0);
    mdm_table_init(&t);
    assert_int_equal(mdm_csv_read_file(path, NULL, &t, &e), MDM_ERR_PARSE);
    snprintf(want, sizeof want, "%s:1:1: empty input: no header row", path);
    assert_string_equal(e.message, want);
    mdm_test_rmrf(dir);
}

static void csv__header_only_gives_text_columns_and_no_rows(void **state)
{
    (void)state;
    mdm_table t;
    const mdm_type want[] = {MDM_TEXT, MDM_TEXT, MDM_TEXT};
    read_ok("a,b,c\n", &t);
    assert_types(&t, want, 3);
    assert_int_equal(t.nrows, 0);
    assert_string_equal(t.cols[2].name, "c");
    mdm_table_reset(&t);
    read_ok("a,b", &t);  /* no line end at all */
    assert_int_equal(t.ncols, 2);
    assert_string_equal(t.cols[1].name, "b");
    assert_int_equal(t.nrows, 0);
    mdm_table_reset(&t);
}

static void csv__last_row_without_line_end(void **state)
{
    (void)state;
    mdm_table t;
    read_ok("a,b\n1,x", &t);
    assert_int_equal(t.nrows, 1);
    assert_text(&t, 1, 0, "x");
    mdm_table_reset(&t);
    read_ok("a,b\n1,", &t);  /* the last field is empty: NULL */
    assert_int_equal(t.nrows, 1);
    assert_true(mdm_table_is_null(&t, 1, 0));
    mdm_table_reset(&t);
}

/* ---- header names -------------------------------------------------------- */

/* Expected names checked against pandas 1.5.3 read_csv (C engine). */
static void csv__duplicate_names_are_mangled_like_pandas(void **state)
{
    (void)state;
    static const struct {
        const char *header, *names;
    } cases[] = {
        {"a,a,a.1,a,b,b", "a|a.2|a.1|a.3|b|b.1"},
        {",Unnamed: 0", "Unnamed: 0.1|Unnamed: 0"},
        {"x,,x,Unnamed: 1,", "x|Unnamed: 1.1|x.1|Unnamed: 1|Unnamed: 4"},
        {"a,a,a.1,a.1,a,a.2", "a|a.3|a.1|a.1.1|a.4|a.2"},
        {"a,a.1,a", "a|a.1|a.2"},
        {"q,q,q.1,q.1.1,q,q", "q|q.2|q.1|q.1.1|q.3|q.4"},
        {"Unnamed: 2,,,Unnamed: 2", "Unnamed: 2|Unnamed: 1|Unnamed: 2.2|Unnamed: 2.1"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        mdm_table t;
        char got[256] = "";
        read_ok(cases[i].header, &t);
        for (size_t c = 0; c < t.ncols; c++) {
            strcat(got, c ? "|" : "");
            strcat(got, t.cols[c].name);
        }
        if (strcmp(got, cases[i].names) != 0)
            fail_msg("header '%s': names %s, expected %s", cases[i].header, got, cases[i].names);
        mdm_table_reset(&t);
    }
    /* Values stay with their columns. */
    mdm_table t;
    read_ok("a,a,a.1,a\n1,2,3,4\n", &t);
    assert_int_equal(mdm_table_find_column(&t, "a.3"), 3);
    assert_true(mdm_table_int64(&t, 3, 0) == 4);
    mdm_table_reset(&t);
}

static void csv__many_duplicate_names_stay_unique(void **state)
{
    (void)state;
    enum { N = 3000 };
    mdm_buf b;
    mdm_table t;
    mdm_buf_init(&b);
    for (int i = 0; i < N; i++)  /* x, x.1, x, x.1, ... */
        assert_int_equal(mdm_buf_puts(&b, i == 0 ? "x" : i % 2 ? ",x.1" : ",x"), MDM_OK);
    read_ok(mdm_buf_str(&b), &t);
    assert_int_equal(t.ncols, N);
    for (size_t c = 0; c < N; c++)
        assert_int_equal(mdm_table_find_column(&t, t.cols[c].name), (long)c);
    mdm_table_reset(&t);
    mdm_buf_reset(&b);
}

static void csv__empty_header_name_becomes_unnamed(void **state)
{
    (void)state;
    mdm_table t;
    const char *want[] = {"Unnamed: 0", "x", "Unnamed: 2", "Unnamed: 3"};
    read_ok(",x,\"\",\n1,2,3,4\n", &t);
    assert_int_equal(t.ncols, 4);
    for (size_t c = 0; c < 4; c++)
        assert_string_equal(t.cols[c].name, want[c]);
    mdm_table_reset(&t);
}

static void csv__quoted_header_names_keep_commas_and_quotes(void **state)
{
    (void)state;
    mdm_table t;
    read_ok("\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\"\n1,2,3\n", &t);
    assert_int_equal(t.ncols, 3);
    assert_string_equal(t.cols[0].name, "a,b");
    assert_string_equal(t.cols[1].name, "say \"hi\"");
    assert_string_equal(t.cols[2].name, "two\nlines");
    mdm_table_reset(&t);
}

/* ---- sizes ------------------------------------------------------------------ */

static void csv__ten_thousand_columns(void **state)
{
    (void)state;
    enum { N = 10000 };
    mdm_buf b;
    mdm_table t;
    mdm_buf_init(&b);
    for (int row = 0; row < 3; row++) {
        for (int c = 0; c < N; c++) {
            mdm_status rc = row == 0 ? mdm_buf_printf(&b, "%sc%d", c ? "," : "", c)
                                     : mdm_buf_printf(&b, "%s%d", c ? "," : "", c * row);
            assert_int_equal(rc, MDM_OK);
        }
        assert_int_equal(mdm_buf_putc(&b, '\n'), MDM_OK);
    }
    read_ok(mdm_buf_str(&b), &t);
    assert_int_equal(t.ncols, N);
    assert_int_equal(t.nrows, 2);
    assert_string_equal(t.cols[N - 1].name, "c9999");
    assert_int_equal(t.cols[N - 1].type, MDM_INT64);
    assert_int_equal(mdm_table_int64(&t, N - 1, 1), 9999 * 2);
    assert_int_equal(mdm_table_find_column(&t, "c5000"), 5000);
    mdm_table_reset(&t);
    mdm_buf_reset(&b);
}

static void csv__one_megabyte_field(void **state)
{
    (void)state;
    const size_t big = 1 << 20;
    char *value = malloc(big + 1);
    mdm_buf csv;
    mdm_table t;
    assert_non_null(value);
    /* Content with quotes, commas and newlines; quoted with "" doubling. */
    for (size_t i = 0; i < big; i++)
        value[i] = "x,y\"z\n"[i % 6];
    value[big] = '\0';
    mdm_buf_init(&csv);
    assert_int_equal(mdm_buf_puts(&csv, "id,blob\n1,\""), MDM_OK);
    for (size_t i = 0; i < big; i++) {
        if (value[i] == '"')
            assert_int_equal(mdm_buf_putc(&csv, '"'), MDM_OK);
        assert_int_equal(mdm_buf_putc(&csv, value[i]), MDM_OK);
    }
    assert_int_equal(mdm_buf_puts(&csv, "\"\n2,short\n"), MDM_OK);
    read_ok(mdm_buf_str(&csv), &t);
    assert_int_equal(t.nrows, 2);
    size_t len;
    const char *got = mdm_table_text(&t, 1, 0, &len);
    assert_int_equal(len, big);
    assert_memory_equal(got, value, big);
    assert_text(&t, 1, 1, "short");
    mdm_table_reset(&t);
    mdm_buf_reset(&csv);
    free(value);
}

/* ---- syntax errors ------------------------------------------------------ */

static void csv__nul_byte_names_line_and_column(void **state)
{
    (void)state;
    static const char data[] = "a,b\n1,x\0y\n";
    expect_parse_error(data, sizeof data - 1, "t.csv:2:4: NUL byte in input");
    static const char in_header[] = "a\0";
    expect_parse_error(in_header, sizeof in_header - 1, "t.csv:1:2: NUL byte in input");
}

static void csv__lone_quote_is_an_unterminated_field(void **state)
{
    (void)state;
    expect_error("a\n\"", "t.csv:2:1: unterminated quoted field");
    expect_error("\"", "t.csv:1:1: unterminated quoted field");
    expect_error("a,b\n1,\"open\n2,3\n", "t.csv:2:3: unterminated quoted field");
}

static void csv__character_after_closing_quote_is_an_error(void **state)
{
    (void)state;
    expect_error("a,b\n1,\"x\"y\n", "t.csv:2:6: unexpected character after a closing quote");
    expect_error("a,b\n1,\"x\" \n", "t.csv:2:6: unexpected character after a closing quote");
}

static void csv__quote_inside_unquoted_field_is_literal(void **state)
{
    (void)state;
    mdm_table t;
    read_ok("a,b\n1,ab\"c\n2, \"q\"\n", &t);
    assert_text(&t, 1, 0, "ab\"c");
    assert_text(&t, 1, 1, " \"q\"");
    mdm_table_reset(&t);
}

static void csv__ragged_row_names_line_and_column(void **state)
{
    (void)state;
    /* More fields: the position of the first extra field. */
    expect_error("a,b\n1,2\n3,4,5,6\n", "t.csv:3:5: row has 4 fields, the header has 2");
    /* Fewer: the position where the row ended. */
    expect_error("a,b,c\n1,2,3\n4,5\n", "t.csv:3:4: row has 2 fields, the header has 3");
    expect_error("a,b\n1,2\n\n7\n", "t.csv:4:2: row has 1 field, the header has 2");
    /* Lines count physical lines, quoted newlines included. */
    expect_error("a,b\n\"x\ny\",2\n3\n", "t.csv:4:2: row has 1 field, the header has 2");
    /* CRLF: the column is the CR's. */
    expect_error("a,b\r\n1\r\n", "t.csv:2:2: row has 1 field, the header has 2");
}

static void csv__invalid_utf8_names_line_and_column(void **state)
{
    (void)state;
    expect_error("a,b\n1,ok\n2,caf\xC3\n", "t.csv:3:6: invalid UTF-8 (byte 0xC3)");
    expect_error("a,b\n1,\xFF\n", "t.csv:2:3: invalid UTF-8 (byte 0xFF)");
    /* Overlong '/', a UTF-16 surrogate, past U+10FFFF, a stray continuation. */
    expect_error("a\n\xC0\xAF\n", "t.csv:2:1: invalid UTF-8 (byte 0xC0)");
    expect_error("a\nx\xED\xA0\x80\n", "t.csv:2:2: invalid UTF-8 (byte 0xED)");
    expect_error("a\n\xF4\x90\x80\x80\n", "t.csv:2:1: invalid UTF-8 (byte 0xF4)");
    expect_error("\xEF\xBB\xBF" "ab\x80\n", "t.csv:1:3: invalid UTF-8 (byte 0x80)");
    /* Valid multi-byte text passes, 4-byte forms included. */
    mdm_table t;
    read_ok("a\n\xC3\xA9\xE6\xBC\xA2\xF0\x9F\x98\x80\n", &t);
    assert_text(&t, 0, 0, "é漢😀");
    mdm_table_reset(&t);
}

static void csv__error_leaves_out_untouched(void **state)
{
    (void)state;
    mdm_table t, copy;
    mdm_error e;
    read_ok("x,y\n1,a\n", &t);
    read_ok("x,y\n1,a\n", &copy);
    assert_int_equal(read_n("p,q\n1,2\n3\n", 10, &t, &e), MDM_ERR_PARSE);
    mdm_table_diff d;
    assert_true(mdm_table_equal(&t, &copy, NULL, &d));
    assert_string_equal(t.cols[0].name, "x");
    mdm_table_reset(&t);
    mdm_table_reset(&copy);
}

static void csv__success_replaces_out(void **state)
{
    (void)state;
    mdm_table t;
    mdm_error e;
    read_ok("x,y,z\n1,a,2\n", &t);
    assert_int_equal(read_n("p\n7\n8\n", 6, &t, &e), MDM_OK);
    assert_int_equal(t.ncols, 1);
    assert_int_equal(t.nrows, 2);
    assert_string_equal(t.cols[0].name, "p");
    assert_int_equal(mdm_table_int64(&t, 0, 1), 8);
    mdm_table_reset(&t);
}

/* ---- line ends, BOM, quoting, blank lines ------------------------------- */

static void csv__crlf_line_ends(void **state)
{
    (void)state;
    mdm_table t;
    read_ok("a,b\r\n1,x\r\n2,\"y\r\nz\"\r\n", &t);
    assert_int_equal(t.nrows, 2);
    assert_string_equal(t.cols[1].name, "b");
    assert_text(&t, 1, 0, "x");
    assert_text(&t, 1, 1, "y\r\nz");  /* kept as is inside quotes */
    assert_int_equal(mdm_table_int64(&t, 0, 1), 2);
    mdm_table_reset(&t);
}

static void csv__lone_cr_ends_a_line(void **state)
{
    (void)state;
    mdm_table t;
    read_ok("a,b\r1,2\r3,4", &t);
    assert_int_equal(t.nrows, 2);
    assert_int_equal(mdm_table_int64(&t, 1, 1), 4);
    mdm_table_reset(&t);
}

static void csv__bom_is_skipped(void **state)
{
    (void)state;
    mdm_table t;
    read_ok("\xEF\xBB\xBFid,name\n1,x\n", &t);
    assert_string_equal(t.cols[0].name, "id");
    assert_int_equal(t.cols[0].type, MDM_INT64);
    mdm_table_reset(&t);
    /* Only a leading BOM is special: later it is ordinary text. */
    read_ok("a\n\xEF\xBB\xBFx\n", &t);
    assert_text(&t, 0, 0, "\xEF\xBB\xBFx");
    mdm_table_reset(&t);
}

static void csv__quoted_fields_hold_commas_quotes_and_newlines(void **state)
{
    (void)state;
    mdm_table t;
    read_ok("id,text\n1,\"a,b\"\n2,\"say \"\"hi\"\"\"\n3,\"line1\nline2\n\nline4\"\n4,\"\"\"\"\n", &t);
    assert_int_equal(t.nrows, 4);
    assert_text(&t, 1, 0, "a,b");
    assert_text(&t, 1, 1, "say \"hi\"");
    assert_text(&t, 1, 2, "line1\nline2\n\nline4");
    assert_text(&t, 1, 3, "\"");
    assert_int_equal(mdm_table_int64(&t, 0, 3), 4);
    mdm_table_reset(&t);
}

static void csv__blank_lines_are_skipped(void **state)
{
    (void)state;
    mdm_table t;
    read_ok("\n\na,b\n\n1,2\n   \n\t\n\r\n3,4\n\n", &t);
    assert_int_equal(t.nrows, 2);
    assert_int_equal(mdm_table_int64(&t, 0, 1), 3);
    assert_int_equal(mdm_table_int64(&t, 1, 1), 4);
    mdm_table_reset(&t);
    /* A quoted empty line is a value, not a blank line. */
    read_ok("a\n\"\"\nx\n", &t);
    assert_int_equal(t.nrows, 2);
    assert_text(&t, 0, 0, "");
    mdm_table_reset(&t);
}

/* ---- inference ------------------------------------------------------------- */

static void csv__int64_extremes_stay_int64(void **state)
{
    (void)state;
    mdm_table t;
    read_ok("a\n9223372036854775807\n-9223372036854775808\n0\n+5\n-0\n", &t);
    assert_int_equal(t.cols[0].type, MDM_INT64);
    assert_true(mdm_table_int64(&t, 0, 0) == INT64_MAX);
    assert_true(mdm_table_int64(&t, 0, 1) == INT64_MIN);
    assert_true(mdm_table_int64(&t, 0, 3) == 5);
    assert_true(mdm_table_int64(&t, 0, 4) == 0);
    mdm_table_reset(&t);
}

static void csv__int64_overflow_becomes_text(void **state)
{
    (void)state;
    mdm_table t;
    read_ok("hi,lo,long\n9223372036854775808,-9223372036854775809,1\n1,2,"
            "000000000000000000000000000000042\n",
            &t);
    const mdm_type want[] = {MDM_TEXT, MDM_TEXT, MDM_INT64};
    assert_types(&t, want, 3);
    assert_text(&t, 0, 0, "9223372036854775808");
    assert_text(&t, 1, 0, "-9223372036854775809");
    assert_text(&t, 0, 1, "1");
    /* Leading zeros do not count towards the size. */
    assert_true(mdm_table_int64(&t, 2, 1) == 42);
    mdm_table_reset(&t);
    assert_single_type("a\n1.5\n99999999999999999999\n", MDM_TEXT);
}

static void csv__leading_zeros_are_int64(void **state)
{
    (void)state;
    mdm_table t;
    read_ok("zip\n007\n0\n00\n", &t);
    assert_int_equal(t.cols[0].type, MDM_INT64);
    assert_true(mdm_table_int64(&t, 0, 0) == 7);
    assert_true(mdm_table_int64(&t, 0, 2) == 0);
    mdm_table_reset(&t);
}

static void csv__negative_zero_keeps_sign_bit(void **state)
{
    (void)state;
    mdm_table t;
    read_ok("x\n-0.0\n0.0\n-0e5\n", &t);
    assert_int_equal(t.cols[0].type, MDM_FLOAT64);
    assert_true(signbit(mdm_table_float64(&t, 0, 0)));
    assert_true(mdm_table_float64(&t, 0, 0) == 0.0);
    assert_false(signbit(mdm_table_float64(&t, 0, 1)));
    assert_true(signbit(mdm_table_float64(&t, 0, 2)));
    mdm_table_reset(&t);
}

static void csv__large_small_and_infinite_floats(void **state)
{
    (void)state;
    mdm_table t;
    read_ok("x\n1e308\n-1.7976931348623157e308\n4.9e-324\ninf\n-Infinity\n+INF\n1e400\n", &t);
    assert_int_equal(t.cols[0].type, MDM_FLOAT64);
    assert_true(mdm_table_float64(&t, 0, 0) == 1e308);
    assert_true(mdm_table_float64(&t, 0, 1) == -1.7976931348623157e308);
    assert_true(mdm_table_float64(&t, 0, 2) == 4.9e-324);
    assert_true(isinf(mdm_table_float64(&t, 0, 3)) && mdm_table_float64(&t, 0, 3) > 0);
    assert_true(isinf(mdm_table_float64(&t, 0, 4)) && mdm_table_float64(&t, 0, 4) < 0);
    assert_true(isinf(mdm_table_float64(&t, 0, 5)) && mdm_table_float64(&t, 0, 5) > 0);
    assert_true(isinf(mdm_table_float64(&t, 0, 6)));  /* out of range: inf, as strtod */
    mdm_table_reset(&t);
}

/* The reader's fast path must give exactly strtod's double. */
static void csv__floats_convert_exactly_like_strtod(void **state)
{
    (void)state;
    static const char *const texts[] = {
        "0.1", "0.2", "0.3", "123456.789012", "-955285.186430", "9007199254740993.0",
        "9007199254740992.5", "1e22", "1e23", "8.589973e9", "0.000001", "1.7976931348623157e308",
        "2.2250738585072014e-308", "0.1234567890123456789", "3.", ".5", "-.5e-3", "1E+2",
        "123456789012345678", "4.35", "0.0000000000000000000000001",
    };
    size_t n = sizeof texts / sizeof texts[0];
    mdm_buf b;
    mdm_table t;
    mdm_buf_init(&b);
    assert_int_equal(mdm_buf_puts(&b, "x\n"), MDM_OK);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(mdm_buf_printf(&b, "%s\n", texts[i]), MDM_OK);
    read_ok(mdm_buf_str(&b), &t);
    assert_int_equal(t.cols[0].type, MDM_FLOAT64);
    assert_int_equal(t.nrows, n);
    for (size_t i = 0; i < n; i++)
        if (bits(mdm_table_float64(&t, 0, i)) != bits(strtod(texts[i], NULL)))
            fail_msg("%s: read %.17g, strtod %.17g", texts[i], mdm_table_float64(&t, 0, i),
                     strtod(texts[i], NULL));
    mdm_table_reset(&t);
    mdm_buf_reset(&b);
}

static void csv__nan_and_markers_become_null(void **state)
{
    (void)state;
    static const char *const markers[] = {
        "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
        "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null", "",
    };
    size_t n = sizeof markers / sizeof markers[0];
    mdm_buf b;
    mdm_table t;
    mdm_buf_init(&b);
    assert_int_equal(mdm_buf_puts(&b, "num,txt\n"), MDM_OK);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(mdm_buf_printf(&b, "%s,%s\n1.5,x\n", markers[i], markers[i]), MDM_OK);
    read_ok(mdm_buf_str(&b), &t);
    const mdm_type want[] = {MDM_FLOAT64, MDM_TEXT};
    assert_types(&t, want, 2);
    assert_int_equal(t.nrows, 2 * n);
    for (size_t i = 0; i < n; i++) {
        if (!mdm_table_is_null(&t, 0, 2 * i) || !mdm_table_is_null(&t, 1, 2 * i))
            fail_msg("marker '%s' did not become NULL", markers[i]);
        assert_false(mdm_table_is_null(&t, 0, 2 * i + 1));
        assert_text(&t, 1, 2 * i + 1, "x");
    }
    mdm_table_reset(&t);
    /* Near misses stay values. */
    read_ok("t\nNa\nNAN\n-1.#INDX\n1.5\n", &t);
    assert_int_equal(t.cols[0].type, MDM_TEXT);
    for (size_t r = 0; r < 4; r++)
        assert_false(mdm_table_is_null(&t, 0, r));
    mdm_table_reset(&t);
    mdm_buf_reset(&b);
}

static void csv__quoted_markers_and_empty_are_values(void **state)
{
    (void)state;
    mdm_table t;
    read_ok("a,b\n\"NA\",\"\"\n,x\n", &t);
    assert_text(&t, 0, 0, "NA");
    assert_text(&t, 1, 0, "");
    assert_true(mdm_table_is_null(&t, 0, 1));
    assert_text(&t, 1, 1, "x");
    mdm_table_reset(&t);
    /* A quoted number still counts as a number. */
    read_ok("n\n\"1\"\n2\n", &t);
    assert_int_equal(t.cols[0].type, MDM_INT64);
    assert_true(mdm_table_int64(&t, 0, 0) == 1);
    mdm_table_reset(&t);
}

static void csv__ints_with_blanks_become_float64(void **state)
{
    (void)state;
    mdm_table t;
    read_ok("a,b\n1,1\n,2\n3,NA\n", &t);
    const mdm_type want[] = {MDM_FLOAT64, MDM_FLOAT64};
    assert_types(&t, want, 2);
    assert_true(mdm_table_float64(&t, 0, 0) == 1.0);
    assert_true(mdm_table_is_null(&t, 0, 1));
    assert_true(mdm_table_float64(&t, 0, 2) == 3.0);
    assert_true(mdm_table_is_null(&t, 1, 2));
    mdm_table_reset(&t);
}

static void csv__type_inference_rules(void **state)
{
    (void)state;
    assert_single_type("a\n1\n2\n", MDM_INT64);
    assert_single_type("a\n1\n2.5\n", MDM_FLOAT64);
    assert_single_type("a\n1e3\n", MDM_FLOAT64);
    assert_single_type("a\n1\nx\n", MDM_TEXT);
    assert_single_type("a\n1\nTrue\n", MDM_TEXT);
    assert_single_type("a\n1.5\n2020-01-01\n", MDM_TEXT);
    assert_single_type("a\n\n\nNA\n", MDM_FLOAT64);  /* all missing, as pandas */
    assert_single_type("a\n1_000\n", MDM_TEXT);
    assert_single_type("a\n 1\n", MDM_TEXT);
    assert_single_type("a\n0x10\n", MDM_TEXT);
    assert_single_type("a\n1e\n", MDM_TEXT);
    assert_single_type("a\n.\n", MDM_TEXT);
    assert_single_type("a\n+\n", MDM_TEXT);
    assert_single_type("a\nnan(1)\n", MDM_TEXT);
}

static void csv__bool_spellings(void **state)
{
    (void)state;
    mdm_table t;
    read_ok("b\nTrue\nTRUE\ntrue\nFalse\nFALSE\nfalse\n\n", &t);
    assert_int_equal(t.cols[0].type, MDM_BOOL);
    assert_int_equal(t.nrows, 6);
    for (size_t r = 0; r < 6; r++)
        assert_int_equal(mdm_table_bool(&t, 0, r), r < 3);
    mdm_table_reset(&t);
    read_ok("b,c\nTrue,1\n,2\nfalse,3\n", &t);  /* missing cells: BOOL with NULL */
    assert_int_equal(t.cols[0].type, MDM_BOOL);
    assert_true(mdm_table_is_null(&t, 0, 1));
    assert_false(mdm_table_bool(&t, 0, 2));
    mdm_table_reset(&t);
    assert_single_type("b\nTrue\nyes\n", MDM_TEXT);
    assert_single_type("b\ntRUE\n", MDM_TEXT);
    assert_single_type("b\nT\n", MDM_TEXT);
}

static void csv__timestamps(void **state)
{
    (void)state;
    mdm_table t;
    read_ok("ts\n1970-01-01 00:00:00\n2024-02-29T12:34:56.5\n2000-01-02\n1969-12-31 23:59:59.999999\n"
            "NA\n",
            &t);
    assert_int_equal(t.cols[0].type, MDM_TIMESTAMP);
    assert_true(mdm_table_timestamp(&t, 0, 0) == 0);
    int64_t want;
    assert_true(mdm_parse_timestamp("2024-02-29 12:34:56.500000", 26, &want));
    assert_true(mdm_table_timestamp(&t, 0, 1) == want);
    assert_true(mdm_table_timestamp(&t, 0, 2) == INT64_C(946771200) * 1000000);
    assert_true(mdm_table_timestamp(&t, 0, 3) == -1);
    assert_true(mdm_table_is_null(&t, 0, 4));
    mdm_table_reset(&t);
    assert_single_type("ts\n2023-02-29 00:00:00\n", MDM_TEXT);  /* not a leap year */
    assert_single_type("ts\n2023-01-01 24:00:00\n", MDM_TEXT);
    assert_single_type("ts\n2023-01-01 10:00:00+02:00\n", MDM_TEXT);
    assert_single_type("ts\n2023-01-01\n2\n", MDM_TEXT);
}

static void csv__infer_types_off_reads_text(void **state)
{
    (void)state;
    mdm_csv_opts o = MDM_CSV_OPTS_INIT;
    mdm_table t;
    mdm_error e;
    const char *s = "a,b\n1,NA\n,\"\"\n";
    o.infer_types = 0;
    mdm_table_init(&t);
    assert_int_equal(mdm_csv_read_buffer(s, strlen(s), "t.csv", &o, &t, &e), MDM_OK);
    const mdm_type want[] = {MDM_TEXT, MDM_TEXT};
    assert_types(&t, want, 2);
    assert_text(&t, 0, 0, "1");
    assert_text(&t, 1, 0, "NA");               /* markers are text */
    assert_true(mdm_table_is_null(&t, 0, 1));  /* but an empty field is NULL */
    assert_text(&t, 1, 1, "");
    mdm_table_reset(&t);
}

static void csv__opts_version_is_checked(void **state)
{
    (void)state;
    mdm_csv_opts o = MDM_CSV_OPTS_INIT;
    mdm_table t;
    mdm_error e;
    o.version = 99;
    mdm_table_init(&t);
    assert_int_equal(mdm_csv_read_buffer("a\n1\n", 4, "t.csv", &o, &t, &e), MDM_ERR_INVALID_ARG);
    assert_non_null(strstr(e.message, "version 99"));
    assert_int_equal(t.ncols, 0);
}

/* ---- files --------------------------------------------------------------- */

static void csv__io_errors_name_the_file(void **state)
{
    (void)state;
    char dir[256], path[300];
    mdm_table t;
    mdm_error e;
    assert_int_equal(mdm_test_tmpdir(dir, sizeof dir), 0);
    snprintf(path, sizeof path, "%s/missing.csv", dir);
    mdm_table_init(&t);
    assert_int_equal(mdm_csv_read_file(path, NULL, &t, &e), MDM_ERR_NOT_FOUND);
    assert_non_null(strstr(e.message, path));
    assert_non_null(strstr(e.message, "No such file"));
    assert_int_equal(mdm_csv_read_file(dir, NULL, &t, &e), MDM_ERR_IO);
    assert_non_null(strstr(e.message, dir));
    assert_non_null(strstr(e.message, "directory"));
    assert_int_equal(t.ncols, 0);
    mdm_test_rmrf(dir);
}

static void csv__reads_a_file_and_a_pipe(void **state)
{
    (void)state;
    static const char data[] = "a,b\n1,x\n2,y\n";
    char dir[256], path[300], fifo[300];
    mdm_table file_t, pipe_t;
    mdm_error e;
    assert_int_equal(mdm_test_tmpdir(dir, sizeof dir), 0);
    snprintf(path, sizeof path, "%s/in.csv", dir);
    snprintf(fifo, sizeof fifo, "%s/fifo", dir);
    assert_int_equal(mdm_test_write_file(path, data, sizeof data - 1), 0);
    mdm_table_init(&file_t);
    assert_int_equal(mdm_csv_read_file(path, NULL, &file_t, &e), MDM_OK);
    assert_int_equal(file_t.nrows, 2);
    /* A FIFO is not mappable: the reader falls back to read(). */
    assert_int_equal(mkfifo(fifo, 0600), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int fd = open(fifo, O_WRONLY);
        ssize_t w = fd >= 0 ? write(fd, data, sizeof data - 1) : -1;
        _exit(w == (ssize_t)(sizeof data - 1) ? 0 : 1);
    }
    mdm_table_init(&pipe_t);
    assert_int_equal(mdm_csv_read_file(fifo, NULL, &pipe_t, &e), MDM_OK);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    mdm_table_diff d;
    assert_true(mdm_table_equal(&file_t, &pipe_t, NULL, &d));
    mdm_table_reset(&file_t);
    mdm_table_reset(&pipe_t);
    mdm_test_rmrf(dir);
}

/* ---- large inputs (a second thread) ---------------------------------- */

/* Generated CSV in memory (caller frees). */
static char *generate(uint64_t rows, uint64_t seed, size_t *len)
{
    char *data = NULL;
    FILE *f = open_memstream(&data, len);
    assert_non_null(f);
    assert_int_equal(mdm_gencsv_write(f, rows, seed), 0);
    assert_int_equal(fclose(f), 0);
    return data;
}

/* Offset of the start of 1-based line `line` (generated data has no
 * newlines inside fields). */
static size_t line_start(const char *s, size_t len, size_t line)
{
    size_t off = 0;
    for (size_t l = 1; l < line; l++) {
        const char *nl = memchr(s + off, '\n', len - off);
        assert_non_null(nl);
        off = (size_t)(nl - s) + 1;
    }
    return off;
}

enum { BIG_ROWS = 60000 };  /* ~6 MB: past the size where a second thread helps */

static void csv__large_input_equals_its_halves_read_apart(void **state)
{
    (void)state;
    size_t len;
    char *data = generate(BIG_ROWS, 3, &len);
    assert_true(len > (8u << 20) / 2);
    mdm_table whole, first, second;
    mdm_error e;
    mdm_table_diff d;
    mdm_table_init(&whole);
    assert_int_equal(read_n(data, len, &whole, &e), MDM_OK);
    assert_int_equal(whole.nrows, BIG_ROWS);
    for (size_t r = 0; r < BIG_ROWS; r++)
        if (mdm_table_int64(&whole, 0, r) != (int64_t)r + 1)
            fail_msg("row %zu has id %lld", r, (long long)mdm_table_int64(&whole, 0, r));
    /* The same rows as two small reads (one thread each), appended. */
    size_t header_len = line_start(data, len, 2), mid = line_start(data, len, 2 + BIG_ROWS / 2);
    char *tail = malloc(header_len + len - mid);
    assert_non_null(tail);
    memcpy(tail, data, header_len);
    memcpy(tail + header_len, data + mid, len - mid);
    mdm_table_init(&first);
    mdm_table_init(&second);
    assert_int_equal(read_n(data, mid, &first, &e), MDM_OK);
    assert_int_equal(read_n(tail, header_len + len - mid, &second, &e), MDM_OK);
    assert_int_equal(mdm_table_append_table(&first, &second, &e), MDM_OK);
    if (!mdm_table_equal(&whole, &first, NULL, &d))
        fail_msg("parallel read differs from serial reads: %s", d.message);
    mdm_table_reset(&whole);
    mdm_table_reset(&first);
    mdm_table_reset(&second);
    free(tail);
    free(data);
}

static void csv__large_input_reports_the_first_error(void **state)
{
    (void)state;
    size_t len;
    char *data = generate(BIG_ROWS, 4, &len);
    char want[200];
    /* A ragged row far down: found by pass 1 on this thread. */
    size_t late = line_start(data, len, BIG_ROWS - 10), late_end = line_start(data, len, BIG_ROWS - 9) - 1;
    char *comma = memchr(data + late, ',', late_end - late);
    assert_non_null(comma);
    *comma = ';';
    snprintf(want, sizeof want, "t.csv:%d:%zu: row has 7 fields, the header has 8", BIG_ROWS - 10,
             late_end - late + 1);
    expect_parse_error(data, len, want);
    /* Invalid UTF-8 further up wins: it comes first. */
    size_t early = line_start(data, len, 5000);
    data[early] = (char)0xFF;
    expect_parse_error(data, len, "t.csv:5000:1: invalid UTF-8 (byte 0xFF)");
    /* And the other way round: a NUL far down, the ragged row first. */
    data[early] = '1';
    data[line_start(data, len, BIG_ROWS)] = '\0';
    expect_parse_error(data, len, want);
    *comma = ',';
    snprintf(want, sizeof want, "t.csv:%d:1: NUL byte in input", BIG_ROWS);
    expect_parse_error(data, len, want);
    free(data);
}

/* ---- generated data ---------------------------------------------------- */

/* Every float text the reader converts must give strtod's bits: the
 * printf-free path (Clinger's exact case, then Eisel-Lemire, up to 19
 * significant digits) and the strtod fallback alike. 60,000 values: full
 * precision ("%.17g") and shortest ("%.16g") texts of random doubles with
 * exponents near 0, random digit strings of 1 to 19 digits with any
 * exponent, and the hard cases (ties, the ends of the range, 20 digits). */
static void csv__floats_read_as_strtod_reads_them(void **state)
{
    (void)state;
    static const char *const hard[] = {
        "9007199254740993", "9007199254740995", "2.2250738585072011e-308",
        "2.2250738585072014e-308", "4.9406564584124654e-324", "2.4703282292062328e-324",
        "1.7976931348623157e308", "1.7976931348623159e308", "0.1", "7.0e-10",
        "1.00000000000000011102230246251565404236316680908203125", "1e23", "8.98846567431158e307",
        "-0.0", "12345678901234567890.5", "1e-400", "1e400",
    };
    enum { N = 60000 };
    mdm_buf csv;
    mdm_buf_init(&csv);
    assert_int_equal(mdm_buf_puts(&csv, "x\n"), MDM_OK);
    char **texts = calloc(N, sizeof *texts);
    assert_non_null(texts);
    uint64_t x = UINT64_C(0x9e3779b97f4a7c15);
    for (size_t i = 0; i < N; i++) {
        char t[64];
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        if (i < sizeof hard / sizeof hard[0]) {
            snprintf(t, sizeof t, "%s", hard[i]);
        } else if (i % 3 == 2) {
            char d[20];
            int nd = 1 + (int)(x % 19);
            for (int k = 0; k < nd; k++)
                d[k] = (char)('1' + (x >> (k * 3)) % 9);
            snprintf(t, sizeof t, "%.*se%d", nd, d, (int)((x >> 40) % 660) - 340);
        } else {
            uint64_t bits = (x & UINT64_C(0x800fffffffffffff)) |
                            (uint64_t)(1023 + (int)((x >> 20) % 120) - 60) << 52;
            double v;
            memcpy(&v, &bits, sizeof v);
            snprintf(t, sizeof t, i % 3 ? "%.16g" : "%.17g", v);
        }
        texts[i] = strdup(t);
        assert_non_null(texts[i]);
        assert_int_equal(mdm_buf_printf(&csv, "%s\n", t), MDM_OK);
    }
    mdm_table t;
    read_ok(csv.data, &t);
    assert_int_equal(t.nrows, N);
    assert_int_equal(t.cols[0].type, MDM_FLOAT64);
    for (size_t i = 0; i < N; i++) {
        double want = strtod(texts[i], NULL), got = t.cols[0].v.f64[i];
        if (memcmp(&want, &got, sizeof got) != 0)
            fail_msg("'%s' read as %a, strtod gives %a", texts[i], got, want);
        free(texts[i]);
    }
    free(texts);
    mdm_table_reset(&t);
    mdm_buf_reset(&csv);
}

static void csv__generated_file_infers_expected_types(void **state)
{
    (void)state;
    char *data = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&data, &len);
    assert_non_null(f);
    assert_int_equal(mdm_gencsv_write(f, 2000, 42), 0);
    assert_int_equal(fclose(f), 0);
    mdm_table t;
    read_ok(data, &t);
    const mdm_type want[] = {MDM_INT64, MDM_INT64, MDM_FLOAT64, MDM_FLOAT64,
                             MDM_TEXT,  MDM_TEXT,  MDM_BOOL,    MDM_TIMESTAMP};
    assert_types(&t, want, 8);
    assert_int_equal(t.nrows, 2000);
    assert_string_equal(t.cols[7].name, "ts");
    assert_true(mdm_table_int64(&t, 0, 1999) == 2000);
    /* Extremes the generator plants in row 8 and 9 (index 7 and 8). */
    assert_true(mdm_table_int64(&t, 1, 7) == INT64_MIN);
    assert_true(mdm_table_int64(&t, 1, 8) == INT64_MAX);
    /* About 5 % of y is blank. */
    size_t nulls = 0;
    for (size_t r = 0; r < t.nrows; r++)
        nulls += mdm_table_is_null(&t, 3, r);
    assert_in_range(nulls, 40, 200);
    /* The same seed gives the same bytes. */
    char *again = NULL;
    size_t len2 = 0;
    f = open_memstream(&again, &len2);
    assert_non_null(f);
    assert_int_equal(mdm_gencsv_write(f, 2000, 42), 0);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(len, len2);
    assert_memory_equal(data, again, len);
    mdm_table_reset(&t);
    free(again);
    free(data);
}

/* ---- separators (issue 18) ------------------------------------------------- */

static void csv__sniffs_the_separator(void **state)
{
    (void)state;
    static const struct { const char *text; int sep; } cases[] = {
        {"a,b\n1,2\n", ','},
        {"a;b\n1;2\n", ';'},
        {"a\tb\n1\t2\n", '\t'},
        {"a|b|c\n1|2|3\n", '|'},
        {"\xEF\xBB\xBF" "a;b\n\n1;2\n", ';'},            /* BOM, blank line */
        {"name;note\n\"x;y,z\";\"a,b\"\n", ';'},         /* quoted ones do not count */
        {"a;b,c,d\n1;2,3,4\n", ','},                      /* both even: the most fields */
        {"a;b,c\n1;2,3\n", ','},                          /* a tie: the order listed */
        {"a;b\n1;2;3\n", ','},                            /* uneven: none */
        {"x\n1\n", ','},                                  /* one column */
        {"", ','},
        {"a;b\n1;2\n3;4;5", ';'},                         /* a cut last line is no evidence */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int got = mdm_csv_sniff_sep(cases[i].text, strlen(cases[i].text));
        if (got != cases[i].sep)
            fail_msg("case %zu: sniffed %s, expected %s", i, mdm_csv_sep_name(got),
                     mdm_csv_sep_name(cases[i].sep));
    }
    assert_string_equal(mdm_csv_sep_name('\t'), "tab");
    assert_string_equal(mdm_csv_sep_name('#'), "another byte");
}

static void csv__reads_with_a_separator(void **state)
{
    (void)state;
    static const char semi[] = "a;b;c\n1;\"x;y\";2,5\n2;z;\n";
    mdm_csv_opts o = MDM_CSV_OPTS_INIT;
    mdm_table t;
    mdm_error e;
    mdm_table_init(&t);
    o.sep = ';';
    assert_int_equal(mdm_csv_read_buffer(semi, strlen(semi), "s.csv", &o, &t, &e), MDM_OK);
    assert_int_equal(t.ncols, 3);
    assert_int_equal(t.nrows, 2);
    assert_string_equal(mdm_table_text(&t, 1, 0, NULL), "x;y");
    assert_string_equal(mdm_table_text(&t, 2, 0, NULL), "2,5");   /* a decimal comma is text */
    o.sep = MDM_CSV_SEP_SNIFF;
    assert_int_equal(mdm_csv_read_buffer(semi, strlen(semi), "s.csv", &o, &t, &e), MDM_OK);
    assert_int_equal(t.ncols, 3);
    o.sep = 0;   /* the default: comma */
    assert_int_equal(mdm_csv_read_buffer("a;b\n1;2\n", 8, "s.csv", &o, &t, &e), MDM_OK);
    assert_int_equal(t.ncols, 1);
    o.sep = ';';
    assert_int_equal(mdm_csv_read_buffer("a;b\n\"1\"x;2\n", 11, "s.csv", &o, &t, &e),
                     MDM_ERR_PARSE);
    assert_non_null(strstr(e.message, "after a closing quote"));
    o.sep = '"';
    assert_int_equal(mdm_csv_read_buffer("a\n", 2, "s.csv", &o, &t, &e), MDM_ERR_INVALID_ARG);
    o.sep = '\n';
    assert_int_equal(mdm_csv_read_buffer("a\n", 2, "s.csv", &o, &t, &e), MDM_ERR_INVALID_ARG);
    mdm_table_reset(&t);
}

/* A .tsv name means tab, where sniffing would have chosen the comma. */
static void csv__tsv_name_means_tab(void **state)
{
    (void)state;
    static const char text[] = "a,b\tc\n1,2\t3\n";
    char dir[256], path[300];
    mdm_csv_opts o = MDM_CSV_OPTS_INIT;
    mdm_table t;
    mdm_error e;
    assert_int_equal(mdm_test_tmpdir(dir, sizeof dir), 0);
    mdm_table_init(&t);
    o.sep = MDM_CSV_SEP_SNIFF;
    snprintf(path, sizeof path, "%s/x.csv", dir);
    assert_int_equal(mdm_test_write_file(path, text, strlen(text)), 0);
    assert_int_equal(mdm_csv_read_file(path, &o, &t, &e), MDM_OK);
    assert_string_equal(t.cols[0].name, "a");
    snprintf(path, sizeof path, "%s/x.TSV", dir);
    assert_int_equal(mdm_test_write_file(path, text, strlen(text)), 0);
    assert_int_equal(mdm_csv_read_file(path, &o, &t, &e), MDM_OK);
    assert_int_equal(t.ncols, 2);
    assert_string_equal(t.cols[0].name, "a,b");
    mdm_table_reset(&t);
    mdm_test_rmrf(dir);
}

/* ---- In chunks ------------------------------------------------------------ */

/* Reads path in chunks of max_bytes into one table, as a register's
 * writes see it; *chunks: how many non-empty chunks came. */
static mdm_status read_in_chunks(const char *path, size_t max_bytes, mdm_table *all,
                                 size_t *chunks, mdm_error *e)
{
    mdm_csv_stream *st = NULL;
    mdm_table chunk;
    mdm_table_init(&chunk);
    *chunks = 0;
    mdm_status rc = mdm_csv_stream_open(path, NULL, &st, e);
    for (bool first = true; rc == MDM_OK; first = false) {
        if ((rc = mdm_csv_stream_next(st, max_bytes, &chunk, e)) != MDM_OK)
            break;
        if (first)
            rc = mdm_table_copy_schema(all, &chunk, e);
        if (rc != MDM_OK || chunk.nrows == 0)
            break;
        (*chunks)++;
        rc = mdm_table_append_table(all, &chunk, e);
    }
    if (rc == MDM_OK) {
        assert_int_equal(all->nrows, mdm_csv_stream_rows(st));
        assert_int_equal(all->ncols, mdm_csv_stream_columns(st));
    }
    mdm_csv_stream_close(st);
    mdm_table_reset(&chunk);
    return rc;
}

/* A file of the features profile (full-precision doubles, NULLs, quoted
 * UTF-8, booleans, timestamps), big enough for the chunk after the one
 * given to be converted on a second thread, read in chunks of several
 * sizes: the same table as the whole read, cell for cell and type for
 * type. */
static void csv__chunks_make_the_same_table_as_a_whole_read(void **state)
{
    (void)state;
    char dir[256], path[300];
    mdm_table whole;
    mdm_error e;
    assert_int_equal(mdm_test_tmpdir(dir, sizeof dir), 0);
    snprintf(path, sizeof path, "%s/features.csv", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(mdm_gencsv_write_profile(f, 60000, 7, MDM_GENCSV_PROFILE_FEATURES), 0);
    assert_int_equal(fclose(f), 0);
    mdm_table_init(&whole);
    assert_int_equal(mdm_csv_read_file(path, NULL, &whole, &e), MDM_OK);
    const size_t sizes[] = {1, 4096, 1 << 20, SIZE_MAX};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        mdm_table all;
        mdm_table_diff d;
        size_t chunks = 0;
        mdm_table_init(&all);
        if (read_in_chunks(path, sizes[i], &all, &chunks, &e) != MDM_OK)
            fail_msg("chunks of %zu: %s", sizes[i], e.message);
        if (!mdm_table_equal(&whole, &all, NULL, &d))
            fail_msg("chunks of %zu bytes differ from the whole read", sizes[i]);
        if (sizes[i] == 1)
            assert_int_equal(chunks, whole.nrows);   /* at least one row a chunk */
        if (sizes[i] == SIZE_MAX)
            assert_int_equal(chunks, 1);
        if (sizes[i] == (1 << 20))
            assert_true(chunks > 4 && chunks < 20);
        mdm_table_reset(&all);
    }
    mdm_table_reset(&whole);
    mdm_test_rmrf(dir);
}

/* Every error is pass 1's: open reports it, before any row is given. */
static void csv__a_stream_reports_errors_at_open(void **state)
{
    (void)state;
    char dir[256], path[300];
    mdm_csv_stream *st = NULL;
    mdm_error e;
    assert_int_equal(mdm_test_tmpdir(dir, sizeof dir), 0);
    snprintf(path, sizeof path, "%s/ragged.csv", dir);
    static const char text[] = "a,b\n1,2\n3,4\n5\n";
    assert_int_equal(mdm_test_write_file(path, text, sizeof text - 1), 0);
    assert_int_equal(mdm_csv_stream_open(path, NULL, &st, &e), MDM_ERR_PARSE);
    assert_null(st);
    assert_non_null(strstr(e.message, ":4:"));
    snprintf(path, sizeof path, "%s/missing.csv", dir);
    assert_int_equal(mdm_csv_stream_open(path, NULL, &st, &e), MDM_ERR_NOT_FOUND);
    mdm_csv_stream_close(NULL);
    mdm_test_rmrf(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(csv__empty_input_is_a_parse_error),
        cmocka_unit_test(csv__chunks_make_the_same_table_as_a_whole_read),
        cmocka_unit_test(csv__a_stream_reports_errors_at_open),
        cmocka_unit_test(csv__empty_file_names_the_file),
        cmocka_unit_test(csv__header_only_gives_text_columns_and_no_rows),
        cmocka_unit_test(csv__last_row_without_line_end),
        cmocka_unit_test(csv__duplicate_names_are_mangled_like_pandas),
        cmocka_unit_test(csv__many_duplicate_names_stay_unique),
        cmocka_unit_test(csv__empty_header_name_becomes_unnamed),
        cmocka_unit_test(csv__quoted_header_names_keep_commas_and_quotes),
        cmocka_unit_test(csv__ten_thousand_columns),
        cmocka_unit_test(csv__one_megabyte_field),
        cmocka_unit_test(csv__nul_byte_names_line_and_column),
        cmocka_unit_test(csv__lone_quote_is_an_unterminated_field),
        cmocka_unit_test(csv__character_after_closing_quote_is_an_error),
        cmocka_unit_test(csv__quote_inside_unquoted_field_is_literal),
        cmocka_unit_test(csv__ragged_row_names_line_and_column),
        cmocka_unit_test(csv__invalid_utf8_names_line_and_column),
        cmocka_unit_test(csv__error_leaves_out_untouched),
        cmocka_unit_test(csv__success_replaces_out),
        cmocka_unit_test(csv__crlf_line_ends),
        cmocka_unit_test(csv__lone_cr_ends_a_line),
        cmocka_unit_test(csv__bom_is_skipped),
        cmocka_unit_test(csv__quoted_fields_hold_commas_quotes_and_newlines),
        cmocka_unit_test(csv__blank_lines_are_skipped),
        cmocka_unit_test(csv__int64_extremes_stay_int64),
        cmocka_unit_test(csv__int64_overflow_becomes_text),
        cmocka_unit_test(csv__leading_zeros_are_int64),
        cmocka_unit_test(csv__negative_zero_keeps_sign_bit),
        cmocka_unit_test(csv__large_small_and_infinite_floats),
        cmocka_unit_test(csv__floats_convert_exactly_like_strtod),
        cmocka_unit_test(csv__nan_and_markers_become_null),
        cmocka_unit_test(csv__quoted_markers_and_empty_are_values),
        cmocka_unit_test(csv__ints_with_blanks_become_float64),
        cmocka_unit_test(csv__type_inference_rules),
        cmocka_unit_test(csv__bool_spellings),
        cmocka_unit_test(csv__timestamps),
        cmocka_unit_test(csv__infer_types_off_reads_text),
        cmocka_unit_test(csv__opts_version_is_checked),
        cmocka_unit_test(csv__io_errors_name_the_file),
        cmocka_unit_test(csv__reads_a_file_and_a_pipe),
        cmocka_unit_test(csv__generated_file_infers_expected_types),
        cmocka_unit_test(csv__floats_read_as_strtod_reads_them),
        cmocka_unit_test(csv__large_input_equals_its_halves_read_apart),
        cmocka_unit_test(csv__large_input_reports_the_first_error),
        cmocka_unit_test(csv__sniffs_the_separator),
        cmocka_unit_test(csv__reads_with_a_separator),
        cmocka_unit_test(csv__tsv_name_means_tab),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
