/* SPDX-License-Identifier: MIT */
/*
 * test_adapter_shadow.c - the BackendAdapter in shadow mode for the reads
 * other than read_table_to_dataframe (test_shadow_legacy.c has that one):
 * query, get_table_names and get_table_info are run on legacy and on
 * modern, compared, and logged when they differ, while the caller gets
 * legacy's answer. The differences come from legacy's real singleton
 * engine (LEGACY.md 1): after get_engine(B), legacy still answers from A.
 * Needs legacy/ (in tests/migration/, dropped from LEGACY=0 builds).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "legacy_db.h"
#include "mdm_adapter.h"
#include "test_support.h"

typedef struct fx {
    char dir[256], a[320], b[320], log[320];
    mdm_adapter *shadow;   /* impl shadow */
    mdm_adapter *modern;   /* impl modern, to write B without legacy */
} fx;

static mdm_adapter *adapter(fx *f, mdm_impl impl)
{
    mdm_adapter_opts o = MDM_ADAPTER_OPTS_INIT;
    mdm_adapter *ad = NULL;
    mdm_error err;
    o.impl = impl;
    o.shadow_log = f->log;
    o.deprecation_warning = false;
    if (mdm_adapter_new(&ad, &o, &err) != MDM_OK)
        fail_msg("mdm_adapter_new(%s): %s", mdm_impl_name(impl), err.message);
    return ad;
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    if (f == NULL || mdm_test_tmpdir(f->dir, sizeof f->dir) != 0)
        return -1;
    *state = f;
    snprintf(f->a, sizeof f->a, "%s/a.sqlite", f->dir);
    snprintf(f->b, sizeof f->b, "%s/b.sqlite", f->dir);
    snprintf(f->log, sizeof f->log, "%s/shadow.jsonl", f->dir);
    legacy_reset_all();
    f->shadow = adapter(f, MDM_IMPL_SHADOW);
    f->modern = adapter(f, MDM_IMPL_MODERN);
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    if (f != NULL) {
        mdm_adapter_free(f->shadow);
        mdm_adapter_free(f->modern);
        mdm_test_rmrf(f->dir);
    }
    legacy_reset_all();
    free(f);
    return 0;
}

/* id INT64, name TEXT: `rows` rows from id `first`. */
static void frame(mdm_table *t, int64_t first, int rows)
{
    mdm_error e;
    mdm_table_init(t);
    assert_int_equal(mdm_table_add_column(t, "id", MDM_INT64, &e), MDM_OK);
    assert_int_equal(mdm_table_add_column(t, "name", MDM_TEXT, &e), MDM_OK);
    for (int r = 0; r < rows; r++) {
        char name[32];
        snprintf(name, sizeof name, "n%d", (int)(first + r));
        assert_int_equal(mdm_table_push_int64(t, 0, first + r, &e), MDM_OK);
        assert_int_equal(mdm_table_push_text(t, 1, name, strlen(name), &e), MDM_OK);
        assert_int_equal(mdm_table_end_row(t, &e), MDM_OK);
    }
}

static mdm_adapter_engine *engine(mdm_adapter *ad, const char *path)
{
    mdm_adapter_engine *e = NULL;
    mdm_error err;
    if (mdm_adapter_get_engine(ad, path, &e, &err) != MDM_OK)
        fail_msg("get_engine(%s): %s", path, err.message);
    return e;
}

static void create(mdm_adapter *ad, mdm_adapter_engine *e, const char *table, int64_t first,
                   int rows)
{
    mdm_table t;
    mdm_error err;
    frame(&t, first, rows);
    if (mdm_adapter_create_table_from_dataframe(ad, &t, table, e, NULL, &err) != MDM_OK)
        fail_msg("create %s: %s", table, err.message);
    mdm_table_reset(&t);
}

/* The log's lines (caller frees each and the array); count in *n. */
static char **read_lines(const char *path, size_t *n)
{
    char **lines = calloc(32, sizeof *lines);
    char buf[8192];
    FILE *fp = fopen(path, "r");
    *n = 0;
    assert_non_null(lines);
    while (fp != NULL && *n < 31 && fgets(buf, sizeof buf, fp) != NULL)
        lines[(*n)++] = strdup(buf);
    if (fp != NULL)
        fclose(fp);
    return lines;
}

static void free_lines(char **lines, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(lines[i]);
    free(lines);
}

static void assert_has(const char *line, const char *part)
{
    if (strstr(line, part) == NULL)
        fail_msg("no %s in %s", part, line);
}

/* One database for both sides: query, names and info agree, nothing is
 * logged, and the caller gets the answers. */
static void adapter_shadow__equal_reads_log_nothing(void **state)
{
    fx *f = *state;
    mdm_table t;
    mdm_strlist names;
    mdm_table_info ti;
    mdm_shadow_stats st;
    mdm_error err;
    assert_int_equal(mdm_adapter_impl(f->shadow), MDM_IMPL_SHADOW);
    mdm_adapter_engine *e = engine(f->shadow, f->a);
    create(f->shadow, e, "train", 1, 3);
    create(f->shadow, e, "test", 10, 2);
    mdm_table_init(&t);
    assert_int_equal(mdm_adapter_query(f->shadow, "SELECT id, name FROM train WHERE id >= 2", &t,
                                       &err), MDM_OK);
    assert_int_equal(t.nrows, 2);
    assert_int_equal(mdm_table_int64(&t, 0, 0), 2);
    mdm_strlist_init(&names);
    assert_int_equal(mdm_adapter_get_table_names(f->shadow, e, &names, &err), MDM_OK);
    assert_int_equal(names.count, 2);
    assert_string_equal(names.items[0], "test");
    assert_string_equal(names.items[1], "train");
    mdm_table_info_init(&ti);
    assert_int_equal(mdm_adapter_get_table_info(f->shadow, "train", e, &ti, &err), MDM_OK);
    assert_int_equal(ti.row_count, 3);
    assert_int_equal(ti.ncolumns, 2);
    assert_string_equal(ti.columns[1].name, "name");
    mdm_adapter_shadow_stats(f->shadow, &st);
    assert_int_equal(st.runs, 3);
    assert_int_equal(st.matches, 3);
    assert_int_equal(st.mismatches, 0);
    assert_false(mdm_test_file_exists(f->log));
    mdm_table_info_reset(&ti);
    mdm_strlist_reset(&names);
    mdm_table_reset(&t);
}

/* A holds train (ids 1..3) and only_a; B holds train (ids 10, 20). After
 * get_engine(B) legacy still answers from A: every read differs, every
 * difference is logged, and the caller always gets A's (legacy's) answer. */
static void adapter_shadow__the_singleton_shows_in_every_read(void **state)
{
    fx *f = *state;
    static const char sql[] = "SELECT id FROM train ORDER BY id";
    char want[600];
    size_t n = 0;
    mdm_table t;
    mdm_strlist names;
    mdm_table_info ti;
    mdm_shadow_stats st;
    mdm_error err;
    mdm_adapter_engine *ea = engine(f->shadow, f->a);
    create(f->shadow, ea, "train", 1, 3);
    create(f->shadow, ea, "only_a", 1, 1);
    create(f->modern, engine(f->modern, f->b), "train", 10, 2);
    mdm_adapter_close_connections(f->modern);
    mdm_adapter_engine *eb = engine(f->shadow, f->b);

    mdm_table_init(&t);
    assert_int_equal(mdm_adapter_query(f->shadow, sql, &t, &err), MDM_OK);
    assert_int_equal(t.nrows, 3);                         /* A's rows */
    assert_int_equal(mdm_table_int64(&t, 0, 0), 1);
    mdm_strlist_init(&names);
    assert_int_equal(mdm_adapter_get_table_names(f->shadow, eb, &names, &err), MDM_OK);
    assert_int_equal(names.count, 2);                     /* A's tables */
    assert_string_equal(names.items[0], "only_a");
    mdm_table_info_init(&ti);
    assert_int_equal(mdm_adapter_get_table_info(f->shadow, "train", eb, &ti, &err), MDM_OK);
    assert_int_equal(ti.row_count, 3);                    /* A's count */

    mdm_adapter_shadow_stats(f->shadow, &st);
    assert_int_equal(st.runs, 3);
    assert_int_equal(st.mismatches, 3);
    assert_int_equal(st.candidate_errors, 0);
    char **lines = read_lines(f->log, &n);
    assert_int_equal(n, 3);
    snprintf(want, sizeof want, "\"dataset\":\"%s\"", f->b);   /* the engine asked for */
    for (size_t i = 0; i < n; i++) {
        assert_has(lines[i], want);
        assert_has(lines[i], "\"outcome\":\"mismatch\"");
    }
    assert_has(lines[0], "\"operation\":\"query\"");
    snprintf(want, sizeof want, "\"detail\":\"%s\"", sql);
    assert_has(lines[0], want);
    assert_has(lines[0], "\"control\":{\"status\":\"ok\",\"rows\":3,\"columns\":1}");
    assert_has(lines[0], "\"candidate\":{\"status\":\"ok\",\"rows\":2,\"columns\":1}");
    assert_has(lines[0], "\"first_difference\":{\"kind\":\"row_count\"");
    /* names compare as a one-column table of names; no detail */
    assert_has(lines[1], "\"operation\":\"table_names\"");
    assert_null(strstr(lines[1], "\"detail\""));
    assert_has(lines[1], "\"control\":{\"status\":\"ok\",\"rows\":2,\"columns\":1}");
    assert_has(lines[1], "\"candidate\":{\"status\":\"ok\",\"rows\":1,\"columns\":1}");
    /* info compares as rows of (column, type, rows): the row count differs */
    assert_has(lines[2], "\"operation\":\"table_info\"");
    assert_has(lines[2], "\"detail\":\"train\"");
    assert_has(lines[2], "\"control\":{\"status\":\"ok\",\"rows\":2,\"columns\":3}");
    assert_has(lines[2], "\"first_difference\":{\"kind\":\"value\",\"row\":0,\"column\":\"rows\"");
    free_lines(lines, n);
    mdm_table_info_reset(&ti);
    mdm_strlist_reset(&names);
    mdm_table_reset(&t);
}

/* Errors: when only legacy fails, the caller gets legacy's error (and the
 * log says control_error); when only modern fails, the caller gets
 * legacy's answer (candidate_error). */
static void adapter_shadow__errors_go_to_the_caller_only_from_legacy(void **state)
{
    fx *f = *state;
    char missing[400];
    size_t n = 0;
    mdm_table_info ti;
    mdm_strlist names;
    mdm_table t;
    mdm_shadow_stats st;
    mdm_error err;
    mdm_adapter_engine *ea = engine(f->shadow, f->a);
    create(f->shadow, ea, "train", 1, 3);
    create(f->modern, engine(f->modern, f->b), "only_b", 1, 1);
    mdm_adapter_close_connections(f->modern);
    mdm_adapter_engine *eb = engine(f->shadow, f->b);
    mdm_table_info_init(&ti);
    /* only_b is in B (modern's) and not in A (legacy's) */
    assert_int_equal(mdm_adapter_get_table_info(f->shadow, "only_b", eb, &ti, &err),
                     MDM_ERR_NOT_FOUND);
    assert_int_equal(ti.ncolumns, 0);
    /* modern cannot open C at all; legacy reads A */
    snprintf(missing, sizeof missing, "%s/missing/c.sqlite", f->dir);
    mdm_adapter_engine *ec = engine(f->shadow, missing);
    mdm_strlist_init(&names);
    assert_int_equal(mdm_adapter_get_table_names(f->shadow, ec, &names, &err), MDM_OK);
    assert_int_equal(names.count, 1);
    assert_string_equal(names.items[0], "train");
    mdm_table_init(&t);
    mdm_error_clear(&err);
    assert_int_equal(mdm_adapter_query(f->shadow, "SELECT COUNT(*) AS n FROM train", &t, &err),
                     MDM_OK);
    assert_int_equal(err.code, MDM_OK);   /* nothing of the candidate's */
    assert_int_equal(mdm_table_int64(&t, 0, 0), 3);
    assert_int_equal(mdm_adapter_get_table_info(f->shadow, "train", ec, &ti, &err), MDM_OK);
    assert_int_equal(ti.row_count, 3);
    mdm_adapter_shadow_stats(f->shadow, &st);
    assert_int_equal(st.runs, 4);
    assert_int_equal(st.candidate_errors, 3);
    char **lines = read_lines(f->log, &n);
    assert_int_equal(n, 4);
    assert_has(lines[0], "\"operation\":\"table_info\"");
    assert_has(lines[0], "\"outcome\":\"control_error\"");
    assert_has(lines[0], "\"control\":{\"status\":\"not_found\"");
    const char *ops[] = {"table_names", "query", "table_info"};
    for (size_t i = 1; i < 4; i++) {
        char want[64];
        snprintf(want, sizeof want, "\"operation\":\"%s\"", ops[i - 1]);
        assert_has(lines[i], want);
        assert_has(lines[i], "\"outcome\":\"candidate_error\"");
        assert_has(lines[i], "\"candidate\":{\"status\":\"connection\"");
    }
    free_lines(lines, n);
    mdm_table_reset(&t);
    mdm_strlist_reset(&names);
    mdm_table_info_reset(&ti);
}

/* Shadow needs somewhere to log: no log path, no adapter (and legacy,
 * opened first, is left as it was). */
static void adapter_shadow__needs_a_log(void **state)
{
    (void)state;
    mdm_adapter_opts o = MDM_ADAPTER_OPTS_INIT;
    mdm_adapter *ad = NULL;
    mdm_error err;
    o.impl = MDM_IMPL_SHADOW;
    o.shadow_log = NULL;
    assert_int_equal(mdm_adapter_new(&ad, &o, &err), MDM_ERR_INVALID_ARG);
    assert_null(ad);
    assert_string_equal(err.message, "shadow: no log path");
    o.shadow_log = "";
    assert_int_equal(mdm_adapter_new(&ad, &o, &err), MDM_ERR_INVALID_ARG);
    assert_null(ad);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(adapter_shadow__equal_reads_log_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(adapter_shadow__the_singleton_shows_in_every_read, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(adapter_shadow__errors_go_to_the_caller_only_from_legacy,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(adapter_shadow__needs_a_log, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
