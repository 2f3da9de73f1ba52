/* SPDX-License-Identifier: MIT */
/*
 * test_sqlscan.c - the SQL scanner (core/mdm_sqlscan.c) token by token in
 * both dialects: comments (nested on PostgreSQL), quotes inside quotes,
 * E'' strings, dollar quotes, `::` casts, array slices, `;` inside
 * literals; the questions asked through it (read, ORDER BY, a second
 * statement); and the legacy path's parameter inlining built on it
 * (app/mdm_sqlparams.c). The two bugs that led to one scanner are
 * regressions here: ORDER BY inside a string literal, and `a[1:n]` taken
 * for a parameter on PostgreSQL.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mdm_buf.h"
#include "mdm_clock.h"
#include "mdm_sqlparams.h"
#include "mdm_sqlscan.h"

#define SQ MDM_SQL_SQLITE
#define PG MDM_SQL_POSTGRESQL

/* The tokens of sql, one letter a kind, blanks left out:
 * c comment, w word, s string, $ dollar quote, q quoted identifier,
 * p parameter, : cast, ; semicolon, o other; '!' after an unterminated one.
 * Also checks that the tokens laid end to end give the text back. */
static void kinds(const char *sql, mdm_sql_dialect d, char *out, size_t n)
{
    static const char letters[] = "?_cws$qp:;o";
    mdm_sqlscan s;
    mdm_sqltok t;
    mdm_buf back;
    size_t k = 0;
    mdm_buf_init(&back);
    mdm_sqlscan_init(&s, sql, d);
    while (mdm_sqlscan_next(&s, &t)) {
        assert_true(t.len > 0);
        assert_int_equal(mdm_buf_append(&back, t.text, t.len), MDM_OK);
        if (t.kind == MDM_SQLTOK_SPACE)
            continue;
        assert_true(k + 2 < n);
        out[k++] = letters[t.kind];
        if (t.unterminated)
            out[k++] = '!';
    }
    out[k] = '\0';
    assert_string_equal(mdm_buf_str(&back), sql != NULL ? sql : "");
    mdm_buf_reset(&back);
}

static void expect_kinds(const char *sql, mdm_sql_dialect d, const char *want)
{
    char got[256];
    kinds(sql, d, got, sizeof got);
    if (strcmp(got, want) != 0)
        fail_msg("%s: '%s' gives '%s', want '%s'", d == PG ? "pg" : "sqlite", sql, got, want);
}

static void expect_both(const char *sql, const char *want)
{
    expect_kinds(sql, SQ, want);
    expect_kinds(sql, PG, want);
}

/* The text of the n-th token (blanks counted) of sql. */
static void nth_text(const char *sql, mdm_sql_dialect d, int n, char *out, size_t cap)
{
    mdm_sqlscan s;
    mdm_sqltok t;
    mdm_sqlscan_init(&s, sql, d);
    for (int i = 0; i <= n; i++)
        assert_true(mdm_sqlscan_next(&s, &t));
    snprintf(out, cap, "%.*s", (int)t.len, t.text);
}

/* The names of sql's parameters, comma-separated. */
static void expect_params(const char *sql, mdm_sql_dialect d, const char *want)
{
    mdm_sqlscan s;
    mdm_sqltok t;
    char got[256] = "";
    size_t k = 0;
    mdm_sqlscan_init(&s, sql, d);
    while (mdm_sqlscan_next(&s, &t)) {
        if (t.kind != MDM_SQLTOK_PARAM)
            continue;
        k += (size_t)snprintf(got + k, sizeof got - k, "%s%.*s", k ? "," : "", (int)t.len - 1,
                              t.text + 1);
        assert_true(k < sizeof got);
    }
    if (strcmp(got, want) != 0)
        fail_msg("'%s' has parameters '%s', want '%s'", sql, got, want);
}

/* ---- tokens --------------------------------------------------------------- */

static void sqlscan__words_punctuation_and_blanks(void **state)
{
    (void)state;
    char tok[64];
    expect_both("", "");
    expect_kinds(NULL, SQ, "");
    expect_both("SELECT a1, _b, x$y FROM t;", "wwowowww;");
    expect_both("SELECT 1.5e3+x", "wwowow");
    expect_both("SELECT é漢 FROM t", "wwww");
    expect_both("SELECT (a) * ?", "wowooo");
    nth_text("SELECT  \t\n x$y$z", PG, 1, tok, sizeof tok);
    assert_string_equal(tok, "  \t\n ");
    nth_text("SELECT  \t\n x$y$z", PG, 2, tok, sizeof tok);
    assert_string_equal(tok, "x$y$z");   /* '$' inside a word starts no dollar quote */
}

static void sqlscan__comments_nest_on_postgresql_only(void **state)
{
    (void)state;
    char tok[64];
    expect_both("SELECT 1 -- ; :a 'x\n, 2", "wwcow");
    nth_text("a -- c\nb", SQ, 2, tok, sizeof tok);
    assert_string_equal(tok, "-- c");          /* the line end is not part of it */
    expect_both("a --", "wc");
    expect_both("a /* ; 'x :b */ b", "wcw");
    expect_both("a /* x / y * z **/ b", "wcw");
    expect_kinds("a /* x /* y */ b */ c", PG, "wcw");
    expect_kinds("a /* x /* y */ b */ c", SQ, "wcwoow");
    expect_both("a /* open", "wc!");
    expect_kinds("a /* x /* y */", PG, "wc!");
    expect_both("a - - b / * c", "woowoow");
}

static void sqlscan__strings_and_quotes_inside_quotes(void **state)
{
    (void)state;
    char tok[64];
    expect_both("SELECT 'it''s ; :a -- x' , :b", "wsop");
    expect_both("SELECT '\"' , \"'\" , :b", "wsoqop");
    expect_both("SELECT \"a \"\" ; :b\" FROM t", "wqww");
    expect_both("SELECT 'open :a", "ws!");
    expect_both("SELECT \"open :a", "wq!");
    expect_both("SELECT ''''", "ws");
    /* E'' takes backslash escapes on PostgreSQL only */
    expect_kinds("SELECT E'\\':a', :c", PG, "wsop");
    nth_text("SELECT E'\\':a', :c", PG, 2, tok, sizeof tok);
    assert_string_equal(tok, "E'\\':a'");
    expect_kinds("SELECT e'x\\\\', :c", PG, "wsop");
    expect_kinds("SELECT E'\\':a', :c", SQ, "wwsps!");
    expect_kinds("SELECT NE'x', :c", PG, "wwsop");   /* "NE" is no prefix */
    expect_kinds("SELECT E'\\", PG, "ws!");
    /* SQLite's other identifier quotes; plain bytes on PostgreSQL */
    expect_kinds("SELECT `a``b :c`, [x:y;z] FROM t", SQ, "wqoqww");
    expect_kinds("SELECT `a :c`", PG, "wowpo");
    expect_kinds("SELECT [open", SQ, "wq!");
    expect_kinds("SELECT `open", SQ, "wq!");
}

static void sqlscan__dollar_quotes_on_postgresql(void **state)
{
    (void)state;
    char tok[64];
    expect_kinds("SELECT $$ ; :a ' $$, $t$ $$ :b $t$, :c", PG, "w$o$op");
    nth_text("SELECT $t$ $$ :b $t$", PG, 2, tok, sizeof tok);
    assert_string_equal(tok, "$t$ $$ :b $t$");
    expect_kinds("SELECT $é_1$x$é_1$", PG, "w$");
    expect_kinds("SELECT $1, $a b, $x-y$ :c", PG, "wowoowwoowowp");
    expect_kinds("SELECT $q$ open :a", PG, "w$!");
    expect_kinds("SELECT $q$ $Q$ $q", PG, "w$!");
    expect_kinds("SELECT $$ ; $$", SQ, "woo;oo");
}

static void sqlscan__parameters_and_casts(void **state)
{
    (void)state;
    char tok[64];
    expect_both("SELECT :a, :b_2, :é", "wpopop");
    nth_text("SELECT :b_2+1", SQ, 2, tok, sizeof tok);
    assert_string_equal(tok, ":b_2");
    expect_both("SELECT :c::int, x::text", "wp:wow:w");
    expect_both("SELECT x := 1, :9, ':'", "wwoowoowos");
    expect_both("SELECT a:b", "wwp");
    expect_both("SELECT :a$b", "wpow");   /* '$' ends a name */
    expect_both(":x", "p");
    expect_both(":", "o");
}

/* Regression: on PostgreSQL, `a[1:n]` is an array slice, not `a[1` and a
 * parameter n. */
static void sqlscan__array_slices_are_no_parameters(void **state)
{
    (void)state;
    expect_kinds("SELECT a[1:n] FROM t", PG, "wwowowoww");
    expect_params("SELECT a[lo : hi], a[f(x):n], a[1][2:m], a[\"i\":j], a['1':k]", PG, "");
    expect_params("SELECT a[b[1]:n], a[(1):n], a[$$1$$:n], a[:i:j]:k", PG, "i,k");
    /* after '[' or ':' the name is a parameter: a[:n] indexes by n */
    expect_params("SELECT a[:n], a[:lo:hi], a[: :m]", PG, "n,lo,m");
    /* brackets closed: a ':' after an operand is a parameter again */
    expect_params("SELECT a[1] :k, ] :j, (1):i", PG, "k,j,i");
    /* on SQLite [ ] quote an identifier */
    expect_kinds("SELECT a[1:n] FROM t", SQ, "wwqww");
}

/* ---- questions ------------------------------------------------------------ */

static void sql__reads_are_known_by_their_first_word(void **state)
{
    (void)state;
    static const char *const reads[] = {
        "SELECT 1", "  select 1", "WITH x AS (SELECT 1) SELECT * FROM x", "VALUES (1)",
        "EXPLAIN SELECT 1", "SHOW search_path", "TABLE t", "((SELECT 1))",
        "-- lead\n/* block */ (SELECT 1)",
    };
    static const char *const writes[] = {
        "", "DELETE FROM t", "INSERT INTO t SELECT 1", "SELECTX 1", "'SELECT'", "\"select\" 1",
        "; SELECT 1", "(+SELECT 1)", "/* SELECT */ DROP TABLE t", "-- SELECT\nUPDATE t SET a = 1",
    };
    for (size_t i = 0; i < sizeof reads / sizeof reads[0]; i++) {
        assert_true(mdm_sql_is_read(reads[i], SQ));
        assert_true(mdm_sql_is_read(reads[i], PG));
    }
    for (size_t i = 0; i < sizeof writes / sizeof writes[0]; i++) {
        assert_false(mdm_sql_is_read(writes[i], SQ));
        assert_false(mdm_sql_is_read(writes[i], PG));
    }
    assert_false(mdm_sql_is_read(NULL, SQ));
    assert_true(mdm_sql_is_read("/* a /* b */ DELETE */ SELECT 1", PG));
    assert_false(mdm_sql_is_read("/* a /* b */ DELETE */ SELECT 1", SQ));
}

/* Regression: app/ and harness/ found "ORDER BY" inside string literals. */
static void sql__order_by_only_outside_literals_and_comments(void **state)
{
    (void)state;
    static const char *const ordered[] = {
        "SELECT a FROM t ORDER BY a", "select a from t order  by a", "SELECT a FROM t ORDER\n\tBY a",
        "SELECT a FROM t ORDER /* x */ BY a", "SELECT a FROM t ORDER -- x\nBY a",
        "SELECT string_agg(a, ',' ORDER BY a) FROM t", "SELECT 1 ORDER ORDER BY 1",
    };
    static const char *const unordered[] = {
        "SELECT 'ORDER BY' FROM t", "SELECT \"order by\" FROM t", "SELECT a FROM t -- ORDER BY a",
        "SELECT a FROM t /* ORDER BY a */", "SELECT a FROM t", "SELECT reorder by FROM t",
        "SELECT a AS \"ORDER\" BY", "SELECT order_by FROM t", "SELECT a FROM t ORDER", "",
        "SELECT 'it''s ORDER BY' FROM t",
    };
    for (size_t i = 0; i < sizeof ordered / sizeof ordered[0]; i++) {
        if (!mdm_sql_has_order_by(ordered[i], SQ) || !mdm_sql_has_order_by(ordered[i], PG))
            fail_msg("'%s' has an ORDER BY", ordered[i]);
    }
    for (size_t i = 0; i < sizeof unordered / sizeof unordered[0]; i++) {
        if (mdm_sql_has_order_by(unordered[i], SQ) || mdm_sql_has_order_by(unordered[i], PG))
            fail_msg("'%s' has no ORDER BY", unordered[i]);
    }
    assert_false(mdm_sql_has_order_by(NULL, SQ));
    assert_false(mdm_sql_has_order_by("SELECT $$ ORDER BY $$", PG));
    assert_true(mdm_sql_has_order_by("SELECT $$ ORDER BY $$", SQ));
    assert_false(mdm_sql_has_order_by("SELECT [order by] FROM t", SQ));
    assert_false(mdm_sql_has_order_by("SELECT E'\\' ORDER BY x' FROM t", PG));
}

static void sql__second_statement_ignores_quoted_semicolons(void **state)
{
    (void)state;
    static const char *const one[] = {
        "SELECT 1", "SELECT 1;", "SELECT 1; ;\n -- done\n/* really */ ;", "SELECT ';' AS a",
        "SELECT \";\" FROM t", "SELECT 1 -- ; DROP TABLE t", "SELECT 1 /* ; DROP */", "", ";",
    };
    for (size_t i = 0; i < sizeof one / sizeof one[0]; i++) {
        if (mdm_sql_second_statement(one[i], SQ) != NULL ||
            mdm_sql_second_statement(one[i], PG) != NULL)
            fail_msg("'%s' is one statement", one[i]);
    }
    assert_null(mdm_sql_second_statement(NULL, PG));
    const char *sql = "SELECT 1; -- x\n DROP TABLE t";
    assert_ptr_equal(mdm_sql_second_statement(sql, SQ), strstr(sql, "DROP"));
    assert_non_null(mdm_sql_second_statement("SELECT 1;SELECT 2", PG));
    assert_null(mdm_sql_second_statement("SELECT $$;$$", PG));
    /* a trigger's body ends in END; its own statements' `;` do not end it */
    static const char trig[] = "CREATE TEMP TRIGGER t1 AFTER INSERT ON a BEGIN INSERT INTO b "
                               "VALUES (1); DELETE FROM c; END; DROP TRIGGER t1";
    assert_ptr_equal(mdm_sql_second_statement(trig, SQ), strstr(trig, "DROP"));
    assert_null(mdm_sql_second_statement("CREATE TRIGGER t AFTER DELETE ON a BEGIN SELECT 1; END;",
                                         SQ));
    assert_non_null(mdm_sql_second_statement("CREATE TABLE t (a); INSERT INTO t VALUES (1)", SQ));
    assert_non_null(mdm_sql_second_statement("SELECT $$;$$", SQ));
    assert_null(mdm_sql_second_statement("SELECT [;] FROM t", SQ));
    assert_null(mdm_sql_second_statement("SELECT 1 /* /* */ ; DROP */", PG));
    assert_non_null(mdm_sql_second_statement("SELECT 1 /* /* */ ; DROP */", SQ));
}

static void sqltok__is_word_ignores_case_only(void **state)
{
    (void)state;
    mdm_sqltok t = {MDM_SQLTOK_WORD, "Select1", 6, false};
    assert_true(mdm_sqltok_is_word(&t, "SELECT"));
    assert_false(mdm_sqltok_is_word(&t, "SELEC"));
    t.kind = MDM_SQLTOK_QUOTED_IDENT;
    assert_false(mdm_sqltok_is_word(&t, "SELECT"));
}

/* ---- the legacy path's inlining ------------------------------------------- */

static void inline_ok(const char *sql, mdm_sql_dialect d, const mdm_param *p, size_t n,
                      const char *want)
{
    mdm_buf out;
    mdm_error err;
    mdm_buf_init(&out);
    if (mdm_sqlparams_inline(sql, p, n, d, &out, &err) != MDM_OK)
        fail_msg("inline '%s': %s", sql, err.message);
    assert_string_equal(mdm_buf_str(&out), want);
    mdm_buf_reset(&out);
}

static void inline__values_replace_parameter_tokens_only(void **state)
{
    (void)state;
    mdm_param p[] = {mdm_param_int64("n", 2), mdm_param_text("s", "it's \\")};
    inline_ok("SELECT :n, ':n', \":n\", :s -- :n\n/* :s */", SQ, p, 2,
              "SELECT 2, ':n', \":n\", 'it''s \\' -- :n\n/* :s */");
    inline_ok("SELECT :n::text, :s, $$ :n $$, E'\\' :n'", PG, p, 2,
              "SELECT 2::text, E'it''s \\\\', $$ :n $$, E'\\' :n'");
    inline_ok("SELECT a[1:n] FROM t WHERE x = :n AND y = :s", PG, p, 2,
              "SELECT a[1:n] FROM t WHERE x = 2 AND y = E'it''s \\\\'");
    inline_ok("SELECT [a:n], `b:s` FROM t WHERE x = :n AND y = :s", SQ, p, 2,
              "SELECT [a:n], `b:s` FROM t WHERE x = 2 AND y = 'it''s \\'");
}

static void inline__missing_unused_and_twice_given_are_refused(void **state)
{
    (void)state;
    mdm_param p[] = {mdm_param_int64("n", 2), mdm_param_int64("n", 3)};
    mdm_buf out;
    mdm_error err;
    mdm_buf_init(&out);
    assert_int_equal(mdm_sqlparams_inline("SELECT :m", p, 1, SQ, &out, &err), MDM_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "no value for parameter :m"));
    assert_int_equal(mdm_sqlparams_inline("SELECT ':n'", p, 1, SQ, &out, &err),
                     MDM_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "not used"));
    assert_int_equal(mdm_sqlparams_inline("SELECT a[1:n]", p, 1, PG, &out, &err),
                     MDM_ERR_INVALID_ARG);   /* the slice uses no parameter */
    assert_int_equal(mdm_sqlparams_inline("SELECT :n", p, 2, SQ, &out, &err),
                     MDM_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "given twice"));
    mdm_buf_reset(&out);
}

static void one_statement__semicolons_in_literals_are_fine(void **state)
{
    (void)state;
    mdm_error err;
    assert_int_equal(mdm_sqlparams_one_statement("SELECT ';' AS a; -- end", SQ, &err), MDM_OK);
    assert_int_equal(mdm_sqlparams_one_statement("SELECT $$;$$;", PG, &err), MDM_OK);
    assert_int_equal(mdm_sqlparams_one_statement("SELECT 1; DROP TABLE t", PG, &err),
                     MDM_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "more than one SQL statement"));
}

/* ---- the clock -------------------------------------------------------------- */

static void clock__is_monotonic_in_both_units(void **state)
{
    (void)state;
    int64_t a = mdm_clock_now_ns();
    double s = mdm_clock_now_s();
    int64_t b = mdm_clock_now_ns();
    assert_true(a > 0 && b >= a);
    assert_true(s >= (double)a / 1e9 - 1e-6 && s <= (double)b / 1e9 + 1e-6);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sqlscan__words_punctuation_and_blanks),
        cmocka_unit_test(sqlscan__comments_nest_on_postgresql_only),
        cmocka_unit_test(sqlscan__strings_and_quotes_inside_quotes),
        cmocka_unit_test(sqlscan__dollar_quotes_on_postgresql),
        cmocka_unit_test(sqlscan__parameters_and_casts),
        cmocka_unit_test(sqlscan__array_slices_are_no_parameters),
        cmocka_unit_test(sql__reads_are_known_by_their_first_word),
        cmocka_unit_test(sql__order_by_only_outside_literals_and_comments),
        cmocka_unit_test(sql__second_statement_ignores_quoted_semicolons),
        cmocka_unit_test(sqltok__is_word_ignores_case_only),
        cmocka_unit_test(inline__values_replace_parameter_tokens_only),
        cmocka_unit_test(inline__missing_unused_and_twice_given_are_refused),
        cmocka_unit_test(one_statement__semicolons_in_literals_are_fine),
        cmocka_unit_test(clock__is_monotonic_in_both_units),
    };
    return cmocka_run_group_tests_name("sqlscan", tests, NULL, NULL);
}
