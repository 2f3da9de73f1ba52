/* SPDX-License-Identifier: MIT */
/*
 * test_slt.c - the sqllogictest format as the published corpus writes it
 * (issue 17): the parser reads CRLF files, comments after conditions and
 * inside records, any engine name, hash-threshold, labels and halt; a
 * statement block runs statement by statement; values are formatted as the
 * reference runner's SQLite printed them; the report counts records; and a
 * file recorded by another engine (--slt-engine) is reported, not failed.
 * The format_*.test fixtures (one per feature) run through mdm-compare.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cmp_main.h"
#include "cmp_script.h"
#include "cmp_slt.h"
#include "mdm_sqlscan.h"
#include "test_support.h"

/* ---- parser ----------------------------------------------------------------- */

/* Everything the published files do that a strict reader trips on, CRLF
 * line ends included. */
static const char PUBLISHED[] =
    "# a comment line\r\n"
    "hash-threshold 8\r\n"
    "\r\n"
    "statement ok\r\n"
    "CREATE TABLE t1(a INTEGER);\r\n"
    "# a comment inside the SQL is no SQL\r\n"
    "INSERT INTO t1 VALUES (1)\r\n"
    "\r\n"
    "onlyif sqlite # empty RHS\r\n"
    "skipif MySQL\r\n"
    "query I rowsort label-1 # trailing comment\r\n"
    "SELECT a FROM t1\r\n"
    "----\r\n"
    "1\r\n"
    "# a comment among the results\r\n"
    "2\r\n"
    "   \r\n"
    "statement error # comment\r\n"
    "SELECT * FROM nosuch\r\n"
    "\r\n"
    "onlyif mssql\r\n"
    "halt\r\n";

static void slt__reads_the_published_format(void **state)
{
    (void)state;
    mdm_cmp_script s;
    mdm_error err;
    mdm_cmp_script_init(&s);
    assert_int_equal(mdm_cmp_slt_parse("p.test", PUBLISHED, strlen(PUBLISHED), &s, &err), MDM_OK);
    assert_int_equal(s.hash_threshold, 8);
    assert_int_equal(s.nops, 4);
    assert_string_equal(s.ops[0].sql, "CREATE TABLE t1(a INTEGER);\nINSERT INTO t1 VALUES (1)");
    const mdm_cmp_op *q = &s.ops[1];
    assert_int_equal(q->nonlyif, 1);
    assert_string_equal(q->onlyif[0], "sqlite");
    assert_int_equal(q->nskipif, 1);
    assert_string_equal(q->label, "label-1");
    assert_int_equal(q->sort, MDM_CMP_SORT_ROWS);
    assert_string_equal(q->sql, "SELECT a FROM t1");
    assert_int_equal(q->nexpected, 2);   /* the comment is no value, no \r is left */
    assert_string_equal(q->expected[0], "1");
    assert_string_equal(q->expected[1], "2");
    assert_true(s.ops[2].expect_error);
    assert_int_equal(s.ops[2].line, 18);
    assert_int_equal(s.ops[3].kind, MDM_CMP_OP_HALT);
    /* engine names compare ignoring case; any name is allowed */
    assert_true(mdm_cmp_op_applies(q, "SQLite", "legacy"));
    assert_false(mdm_cmp_op_applies(q, "postgresql", "legacy"));
    assert_false(mdm_cmp_op_applies(&s.ops[3], "sqlite", "modern"));
    assert_true(mdm_cmp_op_applies(&s.ops[3], "mssql", "modern"));
    mdm_cmp_script_reset(&s);
}

static void slt__still_rejects_what_the_reference_rejects(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "skipif\nstatement ok\nSELECT 1\n",
        "hash-threshold many\n",
        "query I # only a comment after the types is fine, no SQL is not\n\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        mdm_cmp_script s;
        mdm_error err;
        mdm_cmp_script_init(&s);
        assert_int_equal(mdm_cmp_slt_parse("b.test", bad[i], strlen(bad[i]), &s, &err),
                         MDM_ERR_PARSE);
        assert_non_null(strstr(err.message, "b.test:"));
        mdm_cmp_script_reset(&s);
    }
}

/* ---- statement blocks -------------------------------------------------------- */

static void slt__statement_blocks_split_as_sqlite_exec_runs_them(void **state)
{
    (void)state;
    const char *block = "INSERT INTO t VALUES ('a;b'); -- c;d\nDELETE FROM t;;\n UPDATE t SET x = 1";
    const char *second = mdm_sql_second_statement(block, MDM_SQL_SQLITE);
    assert_non_null(second);
    assert_true(strncmp(second, "DELETE FROM t;", 14) == 0);
    const char *third = mdm_sql_second_statement(second, MDM_SQL_SQLITE);
    assert_non_null(third);
    assert_string_equal(third, "UPDATE t SET x = 1");
    assert_null(mdm_sql_second_statement(third, MDM_SQL_SQLITE));
    assert_null(mdm_sql_second_statement("SELECT 1; -- trailing\n", MDM_SQL_SQLITE));
    /* a trigger body's ';' ends nothing before END */
    const char *trig = "CREATE TEMP TRIGGER r UPDATE ON t BEGIN SELECT 1; DELETE FROM u; END;\n"
                       "DROP TRIGGER r";
    const char *after = mdm_sql_second_statement(trig, MDM_SQL_SQLITE);
    assert_non_null(after);
    assert_string_equal(after, "DROP TRIGGER r");
    /* without TRIGGER, BEGIN ... END is no body */
    assert_non_null(mdm_sql_second_statement("BEGIN; SELECT 1; END;", MDM_SQL_SQLITE));
}

/* ---- formatting ---------------------------------------------------------------- */

static void slt__reals_print_as_the_reference_sqlite_printf(void **state)
{
    (void)state;
    static const struct {
        double v;
        const char *want;
    } cases[] = {
        { -9223372036854775808.0, "-9223372036854776000.000" },
        { 123456789012345678.0, "123456789012345700.000" },
        { 0.1, "0.100" },
        { -18446744073709551616.0, "-18446744073709550000.000" },
        { 2.0 / 3.0, "0.667" },
        { -0.0, "0.000" },
        { 9999999999999.5, "9999999999999.500" },
        { 99999999999999.99, "99999999999999.980" },   /* is ...984375: 16 digits */
        { 1e16, "10000000000000000.000" },
    };
    char buf[400];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        mdm_cmp_slt_format_real(cases[i].v, buf, sizeof buf);
        assert_string_equal(buf, cases[i].want);
    }
    /* 1e300: 16 significant digits (1 and 15 zeros), then zeros, ".000" */
    mdm_cmp_slt_format_real(1e300, buf, sizeof buf);
    assert_int_equal(strlen(buf), 301 + 4);
    assert_int_equal(strspn(buf + 1, "0"), 300);
    assert_true(buf[0] == '1' && strcmp(buf + 301, ".000") == 0);
    mdm_cmp_slt_format_real(-1e300 * 1e10, buf, sizeof buf);
    assert_string_equal(buf, "-Inf");
}

/* One row: a REAL 2.7, a REAL 1.0, a TEXT with a tab and UTF-8, a REAL
 * 1e20 beyond int64 */
static void slt__values_print_as_the_reference_runner_prints_them(void **state)
{
    (void)state;
    mdm_table t;
    mdm_error err;
    mdm_cmp_op op;
    mdm_cmp_slt_values v;
    mdm_table_init(&t);
    assert_int_equal(mdm_table_add_column(&t, "a", MDM_FLOAT64, &err), MDM_OK);
    assert_int_equal(mdm_table_add_column(&t, "b", MDM_FLOAT64, &err), MDM_OK);
    assert_int_equal(mdm_table_add_column(&t, "c", MDM_TEXT, &err), MDM_OK);
    assert_int_equal(mdm_table_add_column(&t, "d", MDM_FLOAT64, &err), MDM_OK);
    assert_int_equal(mdm_table_push_float64(&t, 0, 2.7, &err), MDM_OK);
    assert_int_equal(mdm_table_push_float64(&t, 1, 1.0, &err), MDM_OK);
    assert_int_equal(mdm_table_push_text(&t, 2, "a\tb\xc3\xa9~", 6, &err), MDM_OK);
    assert_int_equal(mdm_table_push_float64(&t, 3, 1e20, &err), MDM_OK);
    assert_int_equal(mdm_table_end_row(&t, &err), MDM_OK);
    memset(&op, 0, sizeof op);
    op.types = (char *)"ITTI";
    mdm_cmp_slt_values_init(&v);
    assert_int_equal(mdm_cmp_slt_format(&op, &t, &v, &err), MDM_OK);
    assert_int_equal(v.count, 4);
    assert_string_equal(v.items[0], "2");                     /* truncated */
    assert_string_equal(v.items[1], "1.0");                   /* SQLite's text of a REAL */
    assert_string_equal(v.items[2], "a@b@@~");                /* each byte outside ' '..'~' */
    assert_string_equal(v.items[3], "9223372036854775807");   /* clamped as SQLite does */
    mdm_cmp_slt_values_reset(&v);
    mdm_table_reset(&t);
}

/* ---- whole runs ------------------------------------------------------------------ */

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char *buf = calloc(1, 1 << 22);
    assert_non_null(buf);
    size_t n = fread(buf, 1, (1 << 22) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* The "records" object of one cell in compare.json, e.g. {"run": 2, ...}. */
static void cell_records(const char *json, const char *file, const char *backend,
                         const char *cell, char *out, size_t n)
{
    char key[300];
    snprintf(key, sizeof key, "\"scenario\": \"%s\",", file);
    for (const char *p = strstr(json, key); p != NULL; p = strstr(p + 1, key)) {
        char bc[200];
        const char *end = strchr(p, '\n');
        snprintf(bc, sizeof bc, "\"backend\": \"%s\", \"cell\": \"%s\",", backend, cell);
        const char *hit = strstr(p, bc);
        if (hit == NULL || (end != NULL && hit > end))
            continue;
        const char *rec = strstr(hit, "\"records\": {");
        assert_non_null(rec);
        const char *close = strchr(rec, '}');
        snprintf(out, n, "%.*s", (int)(close - rec + 1), rec);
        return;
    }
    fail_msg("no cell %s [%s] %s in compare.json", file, backend, cell);
}

static int run(const char *reports, const char *engine, const char *const *files, size_t nfiles)
{
    char *argv[32];
    int argc = 0;
    argv[argc++] = (char *)"mdm-compare";
    argv[argc++] = (char *)"--backend";
    argv[argc++] = (char *)"sqlite";
    argv[argc++] = (char *)"--report-dir";
    argv[argc++] = (char *)reports;
    if (engine != NULL) {
        argv[argc++] = (char *)"--slt-engine";
        argv[argc++] = (char *)engine;
    }
    for (size_t i = 0; i < nfiles; i++)
        argv[argc++] = (char *)files[i];
    argv[argc] = NULL;
    return mdm_cmp_main(argc, argv);
}

/* Each format feature's fixture runs, in every cell, with exactly the
 * records it should: a halt that did not stop, a condition read wrong or a
 * statement block cut short would change a count (or fail the run). */
static void compare__format_feature_fixtures_run_every_record(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        const char *records;
    } want[] = {
        { "format_crlf", "\"records\": {\"run\": 4, \"passed\": 4, \"skipped\": 0, \"failed\": 0" },
        { "format_conditions", "\"records\": {\"run\": 6, \"passed\": 6, \"skipped\": 3, \"failed\": 0" },
        { "format_multi_statement", "\"records\": {\"run\": 4, \"passed\": 4, \"skipped\": 0, \"failed\": 0" },
        { "format_hash_threshold", "\"records\": {\"run\": 7, \"passed\": 7, \"skipped\": 0, \"failed\": 0" },
        { "format_halt", "\"records\": {\"run\": 2, \"passed\": 2, \"skipped\": 0, \"failed\": 0" },
        { "format_labels", "\"records\": {\"run\": 6, \"passed\": 6, \"skipped\": 0, \"failed\": 0" },
        { "format_values", "\"records\": {\"run\": 8, \"passed\": 8, \"skipped\": 1, \"failed\": 0" },
    };
    static const char *const cells[] = { "legacy", "modern", "legacy>modern", "modern>legacy" };
    const char *files[7];
    char paths[7][128], reports[512], path[700], got[300];
    size_t n = sizeof want / sizeof want[0];
    for (size_t i = 0; i < n; i++) {
        snprintf(paths[i], sizeof paths[i], "fixtures/sql/%s.test", want[i].name);
        files[i] = paths[i];
    }
    assert_int_equal(mdm_test_tmpdir(reports, sizeof reports), 0);
    assert_int_equal(run(reports, NULL, files, n), 0);
    snprintf(path, sizeof path, "%s/compare.json", reports);
    char *json = slurp(path);
    for (size_t i = 0; i < n; i++) {
        for (size_t c = 0; c < 4; c++) {
            cell_records(json, want[i].name, "sqlite", cells[c], got, sizeof got);
            if (strncmp(got, want[i].records, strlen(want[i].records)) != 0)
                fail_msg("%s %s: %s, want %s", want[i].name, cells[c], got, want[i].records);
        }
    }
    /* the summary counts them all: 37 run, 4 skipped, in 4 cells */
    assert_non_null(strstr(json, "\"records\": {\"run\": 148, \"passed\": 148, \"skipped\": 16, "
                                 "\"failed\": 0, \"noted\": 0}, \"records_per_second\": "));
    free(json);
    /* the Markdown report keeps the summary and adds the records line */
    snprintf(path, sizeof path, "%s/compare.md", reports);
    char *md = slurp(path);
    assert_non_null(strstr(md, "`compare: 28 cells, 28 matched, 0 expected, 0 unexpected, 0 stale`"));
    assert_non_null(strstr(md, "`records: 148 run, 148 passed, 16 skipped, 0 failed; "));
    assert_non_null(strstr(md, "| sqlite | modern>legacy | 37 | 37 | 4 | 0 | 0 |"));
    free(md);
    mdm_test_rmrf(reports);
}

/* A record whose result is not the recorded one fails the run, and is
 * counted failed; when the file says its results are another engine's
 * (--slt-engine), the same difference is reported and the run passes. */
static void compare__other_engines_results_are_reported_not_failed(void **state)
{
    (void)state;
    char dir[512], file[600], reports[600], path[700];
    assert_int_equal(mdm_test_tmpdir(dir, sizeof dir), 0);
    snprintf(file, sizeof file, "%s/other.test", dir);
    snprintf(reports, sizeof reports, "%s/reports", dir);
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    fputs("query I nosort\nSELECT 1\n----\n2\n\nquery I nosort\nSELECT 3\n----\n3\n", f);
    fclose(f);
    const char *files[] = { file };
    snprintf(path, sizeof path, "%s/compare.json", reports);

    assert_int_equal(run(reports, NULL, files, 1), 1);
    char *json = slurp(path);
    assert_non_null(strstr(json, "\"records\": {\"run\": 8, \"passed\": 4, \"skipped\": 0, "
                                 "\"failed\": 4, \"noted\": 0}"));
    free(json);

    assert_int_equal(run(reports, "postgresql", files, 1), 0);
    json = slurp(path);
    assert_non_null(strstr(json, "\"records\": {\"run\": 8, \"passed\": 4, \"skipped\": 0, "
                                 "\"failed\": 0, \"noted\": 4}"));
    assert_non_null(strstr(json, "\"reported\": 4}"));
    assert_non_null(strstr(json, "\"reported\": true"));
    free(json);
    mdm_test_rmrf(dir);
}

/* "... already exists" and "no such column" have one kind with either
 * implementation: before the legacy store classified them, legacy said sql
 * and modern exists / not_found, an error_kind difference in every cell
 * with a modern side. On PostgreSQL too when a server is there. */
static void compare__error_kinds_agree_between_implementations(void **state)
{
    (void)state;
    char reports[512], path[700];
    assert_int_equal(mdm_test_tmpdir(reports, sizeof reports), 0);
    char *argv[] = { (char *)"mdm-compare", (char *)"--backend",
                     (char *)(mdm_test_pg_dsn() ? "all" : "sqlite"), (char *)"--report-dir",
                     reports, (char *)"fixtures/sql/error_kinds.test", NULL };
    assert_int_equal(mdm_cmp_main(6, argv), 0);
    snprintf(path, sizeof path, "%s/compare.json", reports);
    char *json = slurp(path);
    assert_null(strstr(json, "\"kind\": \"error_kind\""));
    assert_non_null(strstr(json, "\"records\": {\"run\": 9, \"passed\": 9,"));
    free(json);
    mdm_test_rmrf(reports);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(slt__reads_the_published_format),
        cmocka_unit_test(slt__still_rejects_what_the_reference_rejects),
        cmocka_unit_test(slt__statement_blocks_split_as_sqlite_exec_runs_them),
        cmocka_unit_test(slt__reals_print_as_the_reference_sqlite_printf),
        cmocka_unit_test(slt__values_print_as_the_reference_runner_prints_them),
        cmocka_unit_test(compare__format_feature_fixtures_run_every_record),
        cmocka_unit_test(compare__other_engines_results_are_reported_not_failed),
        cmocka_unit_test(compare__error_kinds_agree_between_implementations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
