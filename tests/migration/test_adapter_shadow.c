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
#include "mdm_evidence.h"
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

/* Both stores read the one database an engine names (legacy's singleton
 * no longer reaches the adapter: the legacy store closes after every
 * call). What still differs is legacy's read cache (LEGACY.md 6), which
 * survives close_connections as it did in the original: after a write it
 * did not see, legacy answers a read from the cache, modern reads the
 * table. The difference is logged, the caller gets legacy's (stale)
 * answer; names and info, not cached, agree. */
static void adapter_shadow__a_stale_legacy_cache_shows_in_the_log(void **state)
{
    fx *f = *state;
    char want[600];
    size_t n = 0;
    mdm_table t, df;
    mdm_strlist names;
    mdm_table_info ti;
    mdm_shadow_stats st;
    mdm_error err;
    mdm_adapter_engine *ea = engine(f->shadow, f->a);
    create(f->shadow, ea, "train", 1, 3);
    mdm_table_init(&t);
    assert_int_equal(mdm_adapter_read_table_to_dataframe(f->shadow, "train", ea, NULL, &t, &err),
                     MDM_OK);   /* legacy caches it */
    frame(&df, 10, 2);
    assert_int_equal(mdm_adapter_create_table_from_dataframe(f->modern, &df, "train",
                                                             engine(f->modern, f->a), "replace",
                                                             &err), MDM_OK);
    mdm_table_reset(&df);
    mdm_adapter_close_connections(f->modern);
    assert_int_equal(mdm_adapter_read_table_to_dataframe(f->shadow, "train", ea, NULL, &t, &err),
                     MDM_OK);
    assert_int_equal(t.nrows, 3);                         /* legacy's cached rows */
    assert_int_equal(mdm_table_int64(&t, 0, 0), 1);
    mdm_strlist_init(&names);
    assert_int_equal(mdm_adapter_get_table_names(f->shadow, ea, &names, &err), MDM_OK);
    assert_int_equal(names.count, 1);
    mdm_table_info_init(&ti);
    assert_int_equal(mdm_adapter_get_table_info(f->shadow, "train", ea, &ti, &err), MDM_OK);
    assert_int_equal(ti.row_count, 2);                    /* not cached: the new count */

    mdm_adapter_shadow_stats(f->shadow, &st);
    assert_int_equal(st.runs, 4);
    assert_int_equal(st.matches, 3);
    assert_int_equal(st.mismatches, 1);
    assert_int_equal(st.candidate_errors, 0);
    char **lines = read_lines(f->log, &n);
    assert_int_equal(n, 1);
    snprintf(want, sizeof want, "\"dataset\":\"%s\"", f->a);   /* the engine asked for */
    assert_has(lines[0], want);
    assert_has(lines[0], "\"outcome\":\"mismatch\"");
    assert_has(lines[0], "\"operation\":\"read_table\"");
    assert_has(lines[0], "\"detail\":\"train\"");
    assert_has(lines[0], "\"control\":{\"status\":\"ok\",\"rows\":3,\"columns\":2}");
    assert_has(lines[0], "\"candidate\":{\"status\":\"ok\",\"rows\":2,\"columns\":2}");
    assert_has(lines[0], "\"first_difference\":{\"kind\":\"row_count\"");
    free_lines(lines, n);
    mdm_table_info_reset(&ti);
    mdm_strlist_reset(&names);
    mdm_table_reset(&t);
}

/* Errors: when only legacy fails, the caller gets legacy's error (and the
 * log says control_error): legacy pastes a name that needs quotes
 * (LEGACY.md 4); when only modern fails, the caller gets legacy's answer
 * (candidate_error): a table dropped behind legacy's read cache. */
static void adapter_shadow__errors_go_to_the_caller_only_from_legacy(void **state)
{
    fx *f = *state;
    size_t n = 0;
    mdm_table t;
    mdm_shadow_stats st;
    mdm_error err;
    mdm_adapter_engine *ea = engine(f->shadow, f->a);
    mdm_adapter_engine *em = engine(f->modern, f->a);
    create(f->shadow, ea, "train", 1, 3);
    create(f->modern, em, "My Table", 1, 1);
    mdm_table_init(&t);
    assert_int_equal(mdm_adapter_read_table_to_dataframe(f->shadow, "My Table", ea, NULL, &t,
                                                         &err), MDM_ERR_SQL);
    assert_int_equal(t.ncols, 0);
    assert_int_equal(mdm_adapter_read_table_to_dataframe(f->shadow, "train", ea, NULL, &t, &err),
                     MDM_OK);   /* legacy caches it */
    assert_int_equal(mdm_adapter_execute_query(f->modern, "DROP TABLE train", em, &t, &err),
                     MDM_OK);
    mdm_adapter_close_connections(f->modern);
    mdm_error_clear(&err);
    assert_int_equal(mdm_adapter_read_table_to_dataframe(f->shadow, "train", ea, NULL, &t, &err),
                     MDM_OK);
    assert_int_equal(err.code, MDM_OK);   /* nothing of the candidate's */
    assert_int_equal(t.nrows, 3);
    mdm_adapter_shadow_stats(f->shadow, &st);
    assert_int_equal(st.runs, 3);
    assert_int_equal(st.candidate_errors, 1);
    char **lines = read_lines(f->log, &n);
    assert_int_equal(n, 2);
    assert_has(lines[0], "\"operation\":\"read_table\"");
    assert_has(lines[0], "\"outcome\":\"control_error\"");
    assert_has(lines[0], "\"control\":{\"status\":\"sql\"");
    assert_has(lines[1], "\"operation\":\"read_table\"");
    assert_has(lines[1], "\"outcome\":\"candidate_error\"");
    assert_has(lines[1], "\"candidate\":{\"status\":\"not_found\"");
    free_lines(lines, n);
    mdm_table_reset(&t);
}

/* Shadow needs somewhere to log: no log path, no adapter (refused before
 * anything is made). */
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

/* Version 2 options: the adapter's shadow runs are counted as evidence,
 * matched against the expected list, and with shadow_writes its writes are
 * shadowed too (a scratch copy reconciled with legacy's). */
static void adapter_shadow__counts_its_evidence_and_shadows_writes(void **state)
{
    fx *f = *state;
    char evidence[400], expected[600], src[512];
    mdm_adapter_opts o = MDM_ADAPTER_OPTS_INIT;
    mdm_adapter *ad = NULL;
    mdm_evidence_summary reads, writes;
    mdm_table t;
    mdm_error err;
    mdm_test_source_dir(src, sizeof src);
    snprintf(evidence, sizeof evidence, "%s/evidence.sqlite", f->dir);
    snprintf(expected, sizeof expected, "%s/fixtures/expected-differences", src);
    o.impl = MDM_IMPL_SHADOW;
    o.shadow_log = f->log;
    o.deprecation_warning = false;
    o.evidence = evidence;
    o.expected = expected;
    o.shadow_writes = true;
    assert_int_equal(mdm_adapter_new(&ad, &o, &err), MDM_OK);
    mdm_adapter_engine *e = engine(ad, f->a);
    create(ad, e, "train", 1, 3);
    mdm_table_init(&t);
    assert_int_equal(mdm_adapter_read_table_to_dataframe(ad, "train", e, NULL, &t, &err), MDM_OK);
    assert_int_equal(t.nrows, 3);
    mdm_table_reset(&t);
    mdm_adapter_free(ad);
    assert_int_equal(mdm_evidence_summarize(evidence, 0, "reads", NULL, &reads, &err), MDM_OK);
    assert_int_equal(mdm_evidence_summarize(evidence, 0, "writes", NULL, &writes, &err), MDM_OK);
    assert_int_equal(reads.total, 1);
    assert_int_equal(reads.n[MDM_OUTCOME_MATCH], 1);
    assert_int_equal(writes.total, 1);
    assert_int_equal(writes.n[MDM_OUTCOME_MATCH], 1);
    assert_false(mdm_test_file_exists(f->log));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(adapter_shadow__equal_reads_log_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(adapter_shadow__a_stale_legacy_cache_shows_in_the_log, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(adapter_shadow__errors_go_to_the_caller_only_from_legacy,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(adapter_shadow__needs_a_log, setup, teardown),
        cmocka_unit_test_setup_teardown(adapter_shadow__counts_its_evidence_and_shadows_writes,
                                        setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
