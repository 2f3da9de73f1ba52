/* SPDX-License-Identifier: MIT */
/*
 * test_pg_copy_paths.c - the COPY paths of the PostgreSQL backend that the
 * everyday tests do not take, each provoked on a real throwaway server (one
 * database per test): text COPY writes (timestamps outside years 1..9999,
 * appends into columns of other types), binary reads of INTEGER and
 * SMALLINT, text reads (escapes, 19-digit integers), the read done again
 * when the COPY rows do not match the described columns (infinity
 * timestamps, and a relation replaced between the two statements of a
 * read), COPY errors, a text value too long for binary COPY, and COPY
 * statements sent through execute_query.
 *
 * Whether a full read fell back to its second, plain SELECT is seen in the
 * statement cache: a read runs one statement through it (the LIMIT 0
 * describe), a read that fell back runs two.
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
#include <sys/mman.h>

#include "mdm_backend.h"
#include "mdm_conn.h"
#include "test_pg_conn.h"
#include "test_support.h"

typedef mdm_test_pg fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    if (f == NULL)
        return -1;
    *state = f;
    return mdm_test_pg_open(f, "mdm_copy") == 0 ? 0 : -1;   /* no server: tests skip */
}

static int teardown(void **state)
{
    fx *f = *state;
    mdm_test_pg_close(f);
    free(f);
    return 0;
}

static fx *begin(void **state)
{
    MDM_TEST_REQUIRE_PG();
    return *state;
}

#define OK(call) MDM_TEST_OK(call)




/* Statements run through the cache so far (found there or prepared). */
static uint64_t cached_runs(mdm_conn *c)
{
    mdm_stmt_cache_stats st;
    mdm_error err;
    OK(mdm_conn_stmt_cache_stats(c, &st, &err));
    return st.hits + st.misses;
}

/* A full read of table into out; returns how many statements it ran
 * (1: rows through COPY; 2: it read again with a plain SELECT). */
static uint64_t full_read(mdm_conn *c, const char *table, mdm_table *out)
{
    mdm_error err;
    uint64_t before = cached_runs(c);
    mdm_table_init(out);
    OK(mdm_conn_read_table(c, table, NULL, out, &err));
    return cached_runs(c) - before;
}

/* The same relation through execute_query (no COPY involved). */
static void select_all(mdm_conn *c, const char *table, mdm_table *out)
{
    char sql[200];
    mdm_query_result r;
    snprintf(sql, sizeof sql, "SELECT * FROM %s", table);
    mdm_test_sql_result(c, sql, &r);
    mdm_table_init(out);
    mdm_table_move(out, &r.table);
    mdm_query_result_reset(&r);
}

static void assert_tables_equal(const mdm_table *a, const mdm_table *b)
{
    mdm_compare_opts o = MDM_COMPARE_OPTS_INIT;
    mdm_table_diff d;
    if (!mdm_table_equal(a, b, &o, &d))
        fail_msg("%s", d.message);
}

static void push_text(mdm_table *t, size_t c, const char *s)
{
    mdm_error err;
    OK(mdm_table_push_text(t, c, s, strlen(s), &err));
}

/* 2024-01-02 03:04:05 UTC, and the first instant of year 10000. */
#define TS_2024 INT64_C(1704164645000000)
#define TS_Y10000 INT64_C(253402300800000000)

static const char *const NASTY[] = {"a\tb", "back\\slash", "two\nlines", "cr\r", "\\N", "plain"};
#define NNASTY (sizeof NASTY / sizeof NASTY[0])

/* One row per NASTY text; ts is `first_ts` in row 0, NULL in row 1 and
 * TS_2024 after that. */
static void mixed_rows(mdm_table *t, int64_t first_ts)
{
    mdm_error err;
    mdm_table_init(t);
    OK(mdm_table_add_column(t, "i", MDM_INT64, &err));
    OK(mdm_table_add_column(t, "f", MDM_FLOAT64, &err));
    OK(mdm_table_add_column(t, "b", MDM_BOOL, &err));
    OK(mdm_table_add_column(t, "s", MDM_TEXT, &err));
    OK(mdm_table_add_column(t, "ts", MDM_TIMESTAMP, &err));
    for (size_t r = 0; r < NNASTY; r++) {
        OK(mdm_table_push_int64(t, 0, r == 0 ? INT64_MIN : (int64_t)r * 1000, &err));
        OK(mdm_table_push_float64(t, 1, r == 1 ? NAN : r == 2 ? -INFINITY : 0.1 * (double)r, &err));
        OK(r == 3 ? mdm_table_push_null(t, 2, &err) : mdm_table_push_bool(t, 2, r % 2, &err));
        push_text(t, 3, NASTY[r]);
        OK(r == 1 ? mdm_table_push_null(t, 4, &err)
                  : mdm_table_push_timestamp(t, 4, r == 0 ? first_ts : TS_2024, &err));
        OK(mdm_table_end_row(t, &err));
    }
}

/* ---- writes in COPY text format ---- */

static void copy__a_timestamp_past_year_9999_is_written_as_text(void **state)
{
    fx *f = begin(state);
    mdm_table t, out;
    mdm_error err;
    mixed_rows(&t, TS_Y10000);
    OK(mdm_conn_create_table(f->c, "t", &t, MDM_IF_EXISTS_FAIL, &err));
    /* the server holds the same instants, year 10000 included */
    assert_int_equal(mdm_test_sql_int(f->c, "SELECT COUNT(*) FROM t WHERE ts = '10000-01-01 00:00:00'"), 1);
    assert_int_equal(mdm_test_sql_int(f->c, "SELECT COUNT(*) FROM t WHERE ts = '2024-01-02 03:04:05'"),
                     NNASTY - 2);
    assert_int_equal(mdm_test_sql_int(f->c, "SELECT COUNT(*) FROM t WHERE f IS NULL"), 1);   /* NaN */
    /* year 10000 does not fit the binary read: the read is done again and
     * the column comes back as text */
    assert_int_equal(full_read(f->c, "t", &out), 2);
    assert_int_equal(out.nrows, NNASTY);
    assert_int_equal(out.cols[4].type, MDM_TEXT);
    assert_string_equal(mdm_table_text(&out, 4, 0, NULL), "10000-01-01 00:00:00");
    assert_true(mdm_table_is_null(&out, 4, 1));
    assert_string_equal(mdm_table_text(&out, 4, 2, NULL), "2024-01-02 03:04:05");
    for (size_t r = 0; r < NNASTY; r++) {
        assert_int_equal(mdm_table_int64(&out, 0, r), mdm_table_int64(&t, 0, r));
        assert_string_equal(mdm_table_text(&out, 3, r, NULL), NASTY[r]);
        assert_int_equal(mdm_table_is_null(&out, 2, r), r == 3);
        if (r != 3)
            assert_int_equal(mdm_table_bool(&out, 2, r), mdm_table_bool(&t, 2, r));
        if (r == 1)
            assert_true(mdm_table_is_null(&out, 1, r));
        else
            assert_true(mdm_table_float64(&out, 1, r) == mdm_table_float64(&t, 1, r));
    }
    mdm_table_reset(&out);
    mdm_table_reset(&t);
}

static void copy__a_timestamp_before_year_1_is_refused_and_the_old_table_kept(void **state)
{
    fx *f = begin(state);
    mdm_table old, stored, bad, out;
    mdm_error err;
    mixed_rows(&old, TS_2024);
    OK(mdm_conn_create_table(f->c, "t", &old, MDM_IF_EXISTS_FAIL, &err));
    assert_int_equal(full_read(f->c, "t", &stored), 1);
    /* one microsecond before 0001-01-01: binary COPY would store it, but
     * the write goes as COPY text, whose form of it the server refuses */
    mixed_rows(&bad, INT64_C(-62135596800000001));
    mdm_status rc = mdm_conn_create_table(f->c, "t", &bad, MDM_IF_EXISTS_REPLACE, &err);
    assert_int_not_equal(rc, MDM_OK);
    assert_int_equal(err.sqlstate[0], '2');
    assert_int_equal(err.sqlstate[1], '2');   /* class 22: data exception */
    assert_non_null(strstr(err.message, "Failed to create table t"));
    assert_false(mdm_conn_in_transaction(f->c));
    assert_int_equal(full_read(f->c, "t", &out), 1);
    assert_tables_equal(&stored, &out);
    mdm_table_reset(&out);
    mdm_table_reset(&stored);
    mdm_table_reset(&old);
    mdm_table_reset(&bad);
}

static void copy__append_into_columns_of_other_types_is_written_as_text(void **state)
{
    fx *f = begin(state);
    mdm_table t;
    mdm_query_result r;
    mdm_error err;
    /* binary COPY would be refused here: its values must be of the
     * column's exact type (int8 into INTEGER is "incorrect binary data") */
    mdm_test_sql(f->c, "CREATE TABLE o (i INTEGER, f REAL, b BOOLEAN, s VARCHAR(20), ts TIMESTAMPTZ)");
    mixed_rows(&t, TS_2024);
    assert_int_equal(mdm_conn_create_table(f->c, "o", &t, MDM_IF_EXISTS_APPEND, &err),
                     MDM_ERR_TYPE);   /* INT64_MIN does not fit INTEGER */
    assert_int_equal(err.sqlstate[0], '2');
    assert_int_equal(mdm_test_sql_int(f->c, "SELECT COUNT(*) FROM o"), 0);
    t.cols[0].v.i64[0] = -7;
    OK(mdm_conn_create_table(f->c, "o", &t, MDM_IF_EXISTS_APPEND, &err));
    mdm_test_sql_result(f->c, "SELECT i, f::float8 AS f, b, s, ts = '2024-01-02 03:04:05+00' AS same_ts "
            "FROM o ORDER BY i", &r);
    assert_int_equal(r.table.nrows, NNASTY);
    for (size_t k = 0; k < NNASTY; k++) {
        assert_int_equal(mdm_table_int64(&r.table, 0, k), mdm_table_int64(&t, 0, k));
        assert_string_equal(mdm_table_text(&r.table, 3, k, NULL), NASTY[k]);
        assert_int_equal(mdm_table_is_null(&r.table, 4, k), k == 1);
        if (k != 1)
            assert_true(mdm_table_bool(&r.table, 4, k));
        assert_int_equal(mdm_table_is_null(&r.table, 2, k), k == 3);
    }
    assert_true(mdm_table_is_null(&r.table, 1, 1));                 /* NaN */
    assert_true(isinf(mdm_table_float64(&r.table, 1, 2)));
    assert_true(mdm_table_float64(&r.table, 1, 2) < 0);
    assert_true(mdm_table_float64(&r.table, 1, 3) == (double)0.3f);   /* REAL */
    mdm_query_result_reset(&r);
    mdm_table_reset(&t);
}

/* A text value of 2^31 bytes: more than binary COPY's 32-bit length can
 * say. It is built by hand over a read-only mapping of zero pages (a real
 * one would need 2 GiB of memory); the table is valid, only big. */
static void copy__a_text_value_over_2_gib_is_refused(void **state)
{
    fx *f = begin(state);
    const size_t len = (size_t)1 << 31;
    mdm_table t;
    mdm_error err;
    bool exists = true;
    char *zeros = mmap(NULL, len + 1, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                       -1, 0);
    assert_true(zeros != MAP_FAILED);
    mdm_table_init(&t);
    OK(mdm_table_add_column(&t, "s", MDM_TEXT, &err));
    push_text(&t, 0, "x");
    OK(mdm_table_end_row(&t, &err));
    char *own = t.cols[0].text;
    size_t own_end = t.cols[0].off[1];
    t.cols[0].text = zeros;
    t.cols[0].off[1] = len + 1;
    mdm_status rc = mdm_conn_create_table(f->c, "big", &t, MDM_IF_EXISTS_FAIL, &err);
    t.cols[0].text = own;
    t.cols[0].off[1] = own_end;
    munmap(zeros, len + 1);
    assert_int_equal(rc, MDM_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "too long"));
    OK(mdm_conn_table_exists(f->c, "big", &exists, &err));
    assert_false(exists);   /* the CREATE was rolled back with it */
    OK(mdm_conn_create_table(f->c, "big", &t, MDM_IF_EXISTS_FAIL, &err));
    mdm_table_reset(&t);
}

/* ---- reads ---- */

static void copy__integer_and_smallint_are_read_in_binary(void **state)
{
    fx *f = begin(state);
    mdm_table out, ref;
    mdm_test_sql(f->c, "CREATE TABLE n (a INTEGER, b SMALLINT, c BIGINT, d TEXT)");
    mdm_test_sql(f->c, "INSERT INTO n VALUES (-5, -7, -9, 'x'), (2147483647, 32767, 1, NULL), "
            "(-2147483648, -32768, NULL, ''), (NULL, NULL, 0, 'z')");
    assert_int_equal(full_read(f->c, "n", &out), 1);
    select_all(f->c, "n", &ref);
    assert_tables_equal(&ref, &out);
    assert_int_equal(out.cols[0].type, MDM_INT64);
    assert_int_equal(out.cols[1].type, MDM_INT64);
    assert_int_equal(mdm_table_int64(&out, 0, 0), -5);   /* sign-extended */
    assert_int_equal(mdm_table_int64(&out, 1, 0), -7);
    assert_int_equal(mdm_table_int64(&out, 0, 2), INT32_MIN);
    assert_int_equal(mdm_table_int64(&out, 1, 2), INT16_MIN);
    assert_true(mdm_table_is_null(&out, 0, 3));
    mdm_table_reset(&out);
    mdm_table_reset(&ref);
}

static void copy__infinite_timestamps_are_read_again_as_text(void **state)
{
    fx *f = begin(state);
    mdm_table out;
    mdm_query_result r;
    mdm_test_sql(f->c, "CREATE TABLE inf (ts TIMESTAMP, id BIGINT)");
    mdm_test_sql(f->c, "INSERT INTO inf VALUES ('2024-01-02 03:04:05', 1), ('infinity', 2), "
            "('-infinity', 3), (NULL, 4)");
    assert_int_equal(full_read(f->c, "inf", &out), 2);
    assert_int_equal(out.nrows, 4);
    assert_int_equal(out.cols[0].type, MDM_TEXT);
    /* (the value before 'infinity' was converted, with microseconds) */
    assert_memory_equal(mdm_table_text(&out, 0, 0, NULL), "2024-01-02 03:04:05", 19);
    assert_string_equal(mdm_table_text(&out, 0, 1, NULL), "infinity");
    assert_string_equal(mdm_table_text(&out, 0, 2, NULL), "-infinity");
    assert_true(mdm_table_is_null(&out, 0, 3));
    assert_int_equal(mdm_table_int64(&out, 1, 3), 4);
    mdm_table_reset(&out);
    /* a query result converts the same way */
    mdm_test_sql_result(f->c, "SELECT ts FROM inf ORDER BY id DESC LIMIT 3", &r);
    assert_int_equal(r.table.cols[0].type, MDM_TEXT);
    assert_string_equal(mdm_table_text(&r.table, 0, 1, NULL), "-infinity");
    mdm_query_result_reset(&r);
}

static void copy__text_reads_unescape_and_take_19_digit_integers(void **state)
{
    fx *f = begin(state);
    mdm_table out, ref;
    /* NUMERIC has no binary reader here, so the rows come as COPY text */
    mdm_test_sql(f->c, "CREATE TABLE e (n NUMERIC, i BIGINT, s TEXT, b BOOLEAN, f DOUBLE PRECISION)");
    mdm_test_sql(f->c, "INSERT INTO e VALUES (1.5, 9223372036854775807, "
            "E'bs\\b ff\\f nl\\n cr\\r tab\\t vt\\x0b back\\\\slash', true, 0.25), "
            "(2, -9223372036854775808, E'\\\\N', false, -1e300), "
            "(NULL, -123456789012345678, '', NULL, NULL), (3, 0, 'plain', true, 'NaN')");
    assert_int_equal(full_read(f->c, "e", &out), 1);
    select_all(f->c, "e", &ref);
    assert_tables_equal(&ref, &out);
    assert_int_equal(mdm_table_int64(&out, 1, 0), INT64_MAX);
    assert_int_equal(mdm_table_int64(&out, 1, 1), INT64_MIN);
    assert_string_equal(mdm_table_text(&out, 2, 0, NULL),
                        "bs\b ff\f nl\n cr\r tab\t vt\v back\\slash");
    assert_string_equal(mdm_table_text(&out, 2, 1, NULL), "\\N");
    mdm_table_reset(&out);
    mdm_table_reset(&ref);
}

static void copy__a_view_that_fails_half_way_through_the_copy(void **state)
{
    fx *f = begin(state);
    mdm_table out;
    mdm_error err;
    mdm_test_sql(f->c, "CREATE TABLE base (a BIGINT)");
    mdm_test_sql(f->c, "INSERT INTO base SELECT g FROM generate_series(1, 5) g");
    mdm_test_sql(f->c, "CREATE VIEW v AS SELECT 10 / (a - 3) AS r FROM base");
    mdm_table_init(&out);
    assert_int_equal(mdm_conn_read_table(f->c, "v", NULL, &out, &err), MDM_ERR_TYPE);
    assert_string_equal(err.sqlstate, "22012");
    assert_non_null(strstr(err.message, "Failed to read table v"));
    assert_int_equal(out.nrows, 0);
    mdm_table_reset(&out);
    /* the connection is back in step with the server */
    assert_int_equal(mdm_test_sql_int(f->c, "SELECT COUNT(*) FROM base"), 5);
}

/* ---- the relation changes between the describe and the COPY ----
 *
 * A full read is two statements: SELECT ... LIMIT 0 for the columns, then
 * COPY (SELECT ...) for the rows. Another session may replace the table in
 * between; the COPY rows then do not fit the described columns and the
 * read must be done again. To make that happen on cue, `x` is a view whose
 * WHERE clause calls an IMMUTABLE function: the planner runs it while
 * planning the describe, and it creates s1.x, which comes first in the
 * search_path. The COPY (and the read done again) then see s1.x. */

static void arrange_swap(mdm_conn *c, const char *view_select, const char *replacement)
{
    char sql[1024];
    mdm_test_sql(c, "CREATE SCHEMA s1");
    mdm_test_sql(c, "CREATE TABLE base (a BIGINT)");
    mdm_test_sql(c, "INSERT INTO base VALUES (1), (2)");
    snprintf(sql, sizeof sql,
             "CREATE FUNCTION swap() RETURNS int VOLATILE LANGUAGE plpgsql AS "
             "$f$ BEGIN %s; RETURN 1; END $f$", replacement);
    mdm_test_sql(c, sql);
    mdm_test_sql(c, "CREATE FUNCTION swap_when_planned() RETURNS int IMMUTABLE LANGUAGE plpgsql AS "
         "$f$ BEGIN PERFORM swap(); RETURN 1; END $f$");
    snprintf(sql, sizeof sql, "CREATE VIEW x AS %s FROM base WHERE swap_when_planned() = 1",
             view_select);
    mdm_test_sql(c, sql);
    mdm_test_sql(c, "SET search_path = s1, public");
}

static void undo_swap(mdm_conn *c)
{
    mdm_test_sql(c, "SET search_path = public");
    mdm_test_sql(c, "DROP SCHEMA s1 CASCADE");
    mdm_test_sql(c, "DROP VIEW x");
    mdm_test_sql(c, "DROP FUNCTION swap_when_planned()");
    mdm_test_sql(c, "DROP FUNCTION swap()");
    mdm_test_sql(c, "DROP TABLE base");
}

static void copy__rows_that_do_not_fit_the_described_columns_are_read_again(void **state)
{
    fx *f = begin(state);
    /* view columns, then what s1.x has instead; all but the last three
     * have a NUMERIC column (text COPY), those binary-readable ones only */
    static const struct {
        const char *view, *replacement;
    } cases[] = {
        {"SELECT a AS i, 1.5::numeric AS n", "SELECT ''::text AS i, 1.5::numeric AS n"},
        {"SELECT a AS i, 1.5::numeric AS n", "SELECT '-'::text AS i, 1.5::numeric AS n"},
        {"SELECT a AS i, 1.5::numeric AS n", "SELECT '4x2'::text AS i, 1.5::numeric AS n"},
        {"SELECT 0.5::float8 AS f, 1::numeric AS n", "SELECT 'abc'::text AS f, 1::numeric AS n"},
        {"SELECT 0.5::float8 AS f, 1::numeric AS n", "SELECT '1.5e'::text AS f, 1::numeric AS n"},
        {"SELECT true AS b, 1::numeric AS n", "SELECT 'maybe'::text AS b, 1::numeric AS n"},
        {"SELECT true AS b, 1::numeric AS n", "SELECT 'x'::text AS b, 1::numeric AS n"},
        {"SELECT a AS i, 1.5::numeric AS n", "SELECT 7::numeric AS n"},
        {"SELECT a AS i, 1.5::numeric AS n",
         "SELECT 1::bigint AS i, 2::numeric AS n, 3::bigint AS extra"},
        {"SELECT a AS i", "SELECT 1::bigint AS i, 2::bigint AS j"},
        {"SELECT a AS i", "SELECT 'longer than eight'::text AS i"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        mdm_conn *c = NULL;   /* a fresh connection: an empty statement cache */
        mdm_table out, ref;
        mdm_error err;
        char sql[512];
        OK(mdm_conn_open(mdm_pg_backend(), &f->cfg, &c, &err));
        snprintf(sql, sizeof sql, "CREATE TABLE IF NOT EXISTS s1.x AS %s", cases[k].replacement);
        arrange_swap(c, cases[k].view, sql);
        uint64_t prepared = full_read(c, "x", &out);
        select_all(c, "x", &ref);   /* s1.x by now */
        if (prepared != 2)
            fail_msg("case %zu: the read was not done again (%llu statements)", k,
                     (unsigned long long)prepared);
        assert_int_equal(ref.nrows, 1);
        assert_tables_equal(&ref, &out);
        mdm_table_reset(&out);
        mdm_table_reset(&ref);
        undo_swap(c);
        mdm_conn_close(c);
    }
}

static mdm_status take_rows(void *ctx, const mdm_table *t, mdm_error *err)
{
    (void)err;
    *(size_t *)ctx += t->nrows;
    return MDM_OK;
}

/* A streamed read cannot start again once rows are handed over: rows that
 * stop fitting after that (the relation was replaced; here its second row
 * is not an integer) are an error. Before, the read is done again. */
static void copy__a_streamed_read_of_a_replaced_relation(void **state)
{
    fx *f = begin(state);
    static const char *const replacements[] = {
        "SELECT * FROM (VALUES ('1'::text, 1.5::numeric), ('x', 2.5)) v(i, n)",
        "SELECT 'x'::text AS i, 1.5::numeric AS n",
    };
    for (size_t k = 0; k < 2; k++) {
        mdm_conn *c = NULL;
        size_t rows = 0;
        mdm_row_sink sink = {1, take_rows, &rows};
        mdm_read_opts o = MDM_READ_OPTS_INIT;
        mdm_table out;
        mdm_error err;
        char sql[512];
        o.sink = &sink;
        OK(mdm_conn_open(mdm_pg_backend(), &f->cfg, &c, &err));
        snprintf(sql, sizeof sql, "CREATE TABLE IF NOT EXISTS s1.x AS %s", replacements[k]);
        arrange_swap(c, "SELECT a AS i, 1.5::numeric AS n", sql);
        mdm_table_init(&out);
        mdm_status rc = mdm_conn_read_table(c, "x", &o, &out, &err);
        if (k == 0) {
            assert_int_equal(rc, MDM_ERR_SQL);
            assert_non_null(strstr(err.message, "changed while it was read"));
            assert_int_equal(rows, 1);
        } else {   /* nothing handed over yet: read again, all of it */
            OK(rc);
            assert_int_equal(rows, 0);
            assert_int_equal(out.nrows, 1);
            assert_string_equal(mdm_table_text(&out, 0, 0, NULL), "x");
        }
        mdm_table_reset(&out);
        undo_swap(c);
        mdm_conn_close(c);
    }
}

static void copy__a_replacement_that_cannot_be_copied_is_an_error(void **state)
{
    fx *f = begin(state);
    mdm_table out;
    mdm_error err;
    /* s1.x is a view the planner fails on (a constant 1/0), so the COPY
     * fails before it starts */
    arrange_swap(f->c, "SELECT a AS i",
                 "CREATE OR REPLACE VIEW s1.x AS SELECT (1 / 0)::bigint AS i");
    mdm_table_init(&out);
    assert_int_equal(mdm_conn_read_table(f->c, "x", NULL, &out, &err), MDM_ERR_TYPE);
    assert_string_equal(err.sqlstate, "22012");
    assert_non_null(strstr(err.message, "COPY"));
    mdm_table_reset(&out);
    assert_int_equal(mdm_test_sql_int(f->c, "SELECT COUNT(*) FROM public.base"), 2);
}

/* ---- COPY where it does not belong ---- */

static void copy__copy_statements_in_execute_query_are_refused(void **state)
{
    fx *f = begin(state);
    mdm_query_result r;
    mdm_error err;
    mdm_test_sql(f->c, "CREATE TABLE c (a BIGINT)");
    mdm_test_sql(f->c, "INSERT INTO c VALUES (1), (2)");
    mdm_query_result_init(&r);
    assert_int_equal(mdm_conn_execute_query(f->c, "COPY c TO STDOUT", NULL, 0, &r, &err),
                     MDM_ERR_UNSUPPORTED);
    assert_non_null(strstr(err.message, "COPY"));
    assert_int_equal(mdm_test_sql_int(f->c, "SELECT COUNT(*) FROM c"), 2);
    assert_int_equal(mdm_conn_execute_query(f->c, "COPY c FROM STDIN", NULL, 0, &r, &err),
                     MDM_ERR_UNSUPPORTED);
    assert_non_null(strstr(err.message, "COPY"));
    assert_int_equal(mdm_test_sql_int(f->c, "SELECT COUNT(*) FROM c"), 2);
    assert_false(mdm_conn_in_transaction(f->c));
    mdm_query_result_reset(&r);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(copy__a_timestamp_past_year_9999_is_written_as_text),
        T(copy__a_timestamp_before_year_1_is_refused_and_the_old_table_kept),
        T(copy__append_into_columns_of_other_types_is_written_as_text),
        T(copy__a_text_value_over_2_gib_is_refused),
        T(copy__integer_and_smallint_are_read_in_binary),
        T(copy__infinite_timestamps_are_read_again_as_text),
        T(copy__text_reads_unescape_and_take_19_digit_integers),
        T(copy__a_view_that_fails_half_way_through_the_copy),
        T(copy__a_streamed_read_of_a_replaced_relation),
        T(copy__rows_that_do_not_fit_the_described_columns_are_read_again),
        T(copy__a_replacement_that_cannot_be_copied_is_an_error),
        T(copy__copy_statements_in_execute_query_are_refused),
    };
    return cmocka_run_group_tests_name("pg_copy_paths", tests, NULL, NULL);
}
