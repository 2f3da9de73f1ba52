/* SPDX-License-Identifier: MIT */
/*
 * test_shadow_legacy.c - shadow mode against the real legacy/: legacy's
 * stale read cache (LEGACY.md 6) shows up as a logged mismatch while the
 * caller still gets legacy's (stale) answer, through the DatasetManager and
 * through the BackendAdapter; a failing candidate never changes what the
 * caller gets; equal results log nothing; the JSON Lines format; rows in
 * another order match unless the operation promises an order. Needs
 * legacy/, hence the name (dropped from LEGACY=0 builds).
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
#include "mdm_appconfig.h"
#include "mdm_dataset.h"
#include "mdm_shadow.h"
#include "test_support.h"

typedef struct fx {
    char dir[256], home[320], log[320];
    char v1[320], v2[320];
} fx;

static const char V1_CSV[] = "id,name,score\n1,a,0.5\n2,b,1.5\n3,c,\n";
static const char V2_CSV[] = "id,name,score\n10,x,9.5\n20,y,8.5\n";

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    if (f == NULL || mdm_test_tmpdir(f->dir, sizeof f->dir) != 0)
        return -1;
    *state = f;
    snprintf(f->home, sizeof f->home, "%s/home", f->dir);
    snprintf(f->log, sizeof f->log, "%s/home/shadow.jsonl", f->dir);
    snprintf(f->v1, sizeof f->v1, "%s/v1.csv", f->dir);
    snprintf(f->v2, sizeof f->v2, "%s/v2.csv", f->dir);
    legacy_reset_all();
    if (mdm_test_write_file(f->v1, V1_CSV, strlen(V1_CSV)) != 0 ||
        mdm_test_write_file(f->v2, V2_CSV, strlen(V2_CSV)) != 0)
        return -1;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    legacy_reset_all();
    if (f != NULL)
        mdm_test_rmrf(f->dir);
    free(f);
    return 0;
}

/* The log's lines (NULL-terminated array, caller frees), count in *n. */
static char **read_lines(const char *path, size_t *n)
{
    char **lines = calloc(64, sizeof *lines);
    char buf[8192];
    FILE *fp = fopen(path, "r");
    *n = 0;
    assert_non_null(lines);
    while (fp != NULL && *n < 63 && fgets(buf, sizeof buf, fp) != NULL) {
        size_t len = strlen(buf);
        assert_true(len > 0 && buf[len - 1] == '\n');   /* whole lines */
        lines[(*n)++] = strdup(buf);
    }
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

/* A JSON Lines record with every field the log promises. */
static void assert_record(const char *line, const char *operation, const char *outcome)
{
    char want[128];
    static const char *const keys[] = {"{\"time\":\"", "\"operation\":", "\"dataset\":",
                                       "\"outcome\":", "\"control_ms\":", "\"candidate_ms\":",
                                       "\"control\":{", "\"candidate\":{"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (strstr(line, keys[i]) == NULL)
            fail_msg("no %s in %s", keys[i], line);
    snprintf(want, sizeof want, "\"operation\":\"%s\"", operation);
    assert_non_null(strstr(line, want));
    snprintf(want, sizeof want, "\"outcome\":\"%s\"", outcome);
    assert_non_null(strstr(line, want));
    assert_true(strncmp(line, "{\"time\":\"20", 11) == 0);
    assert_true(line[strlen(line) - 2] == '}');
}

/* ---- through the DatasetManager ------------------------------------------------- */

typedef struct app {
    mdm_app_config cfg;
    mdm_flag_settings flags;
    mdm_dsm *dsm;
} app;

static void app_open(fx *f, app *a, const char *impl)
{
    mdm_error err;
    mdm_app_config_init(&a->cfg);
    mdm_flag_settings_init(&a->flags);
    assert_int_equal(mdm_flag_apply_cli(&a->flags, impl, &err), MDM_OK);
    mdm_dsm_opts o = {f->home, NULL, &a->cfg, &a->flags, NULL};
    assert_int_equal(mdm_dsm_new(&a->dsm, &o, &err), MDM_OK);
}

static void app_close(app *a)
{
    mdm_dsm_free(a->dsm);
    mdm_app_config_reset(&a->cfg);
}

static void app_register(app *a, const char *name, const char *csv, mdm_if_exists mode)
{
    mdm_register_opts o = MDM_REGISTER_OPTS_INIT;
    mdm_dsm_result res;
    mdm_error err;
    o.if_exists = mode;
    if (mdm_dsm_register(a->dsm, name, csv, &o, &res, &err) != MDM_OK)
        fail_msg("register %s: %s", name, err.message);
    assert_int_equal(res.impl, MDM_IMPL_LEGACY);   /* shadow writes go to legacy */
}

/* Loads name's train table; returns its first id. */
static int64_t app_load(app *a, const char *name, size_t *rows)
{
    mdm_table t;
    mdm_dsm_result res;
    mdm_error err;
    mdm_table_init(&t);
    if (mdm_dsm_load(a->dsm, name, NULL, &t, &res, &err) != MDM_OK)
        fail_msg("load %s: %s", name, err.message);
    assert_int_equal(res.impl, MDM_IMPL_SHADOW);
    *rows = t.nrows;
    int64_t first = t.nrows > 0 ? mdm_table_int64(&t, 0, 0) : -1;
    mdm_table_reset(&t);
    return first;
}

/* The done criterion: register, load (legacy caches the result), replace,
 * load again: legacy answers from its stale cache, modern reads the new
 * rows, the mismatch is logged, and the caller gets legacy's answer. */
static void shadow__stale_cache_is_logged_and_legacy_answers(void **state)
{
    fx *f = *state;
    app a;
    size_t rows = 0, n = 0;
    mdm_shadow_stats st;
    app_open(f, &a, "shadow");
    app_register(&a, "iris", f->v1, MDM_IF_EXISTS_FAIL);
    assert_int_equal(app_load(&a, "iris", &rows), 1);
    assert_int_equal(rows, 3);
    mdm_dsm_shadow_stats(a.dsm, &st);
    assert_int_equal(st.runs, 1);
    assert_int_equal(st.matches, 1);          /* same rows, nothing logged */
    assert_false(mdm_test_file_exists(f->log));

    app_register(&a, "iris", f->v2, MDM_IF_EXISTS_REPLACE);
    assert_int_equal(app_load(&a, "iris", &rows), 1);   /* legacy's stale answer */
    assert_int_equal(rows, 3);
    mdm_dsm_shadow_stats(a.dsm, &st);
    assert_int_equal(st.runs, 2);
    assert_int_equal(st.mismatches, 1);
    assert_int_equal(st.candidate_errors, 0);
    assert_string_equal(mdm_dsm_shadow_log(a.dsm), f->log);

    char **lines = read_lines(f->log, &n);
    assert_int_equal(n, 1);
    assert_record(lines[0], "load", "mismatch");
    assert_non_null(strstr(lines[0], "\"dataset\":\"iris\""));
    assert_non_null(strstr(lines[0], "\"detail\":\"train\""));
    assert_non_null(strstr(lines[0], "\"control\":{\"status\":\"ok\",\"rows\":3,\"columns\":3}"));
    assert_non_null(strstr(lines[0], "\"candidate\":{\"status\":\"ok\",\"rows\":2,\"columns\":3}"));
    assert_non_null(strstr(lines[0], "\"first_difference\":{\"kind\":\"row_count\""));
    free_lines(lines, n);
    app_close(&a);

    /* modern alone, in a new manager, reads the new rows */
    app m;
    mdm_table t;
    mdm_error err;
    app_open(f, &m, "modern");
    mdm_table_init(&t);
    assert_int_equal(mdm_dsm_load(m.dsm, "iris", NULL, &t, NULL, &err), MDM_OK);
    assert_int_equal(t.nrows, 2);
    assert_int_equal(mdm_table_int64(&t, 0, 0), 10);
    mdm_table_reset(&t);
    app_close(&m);
}

/* Cross-dataset reads (LEGACY.md 6): the cache key has no path, so the
 * second dataset's train table is answered with the first one's rows. */
static void shadow__cross_dataset_cache_is_logged(void **state)
{
    fx *f = *state;
    app a;
    size_t rows = 0, n = 0;
    app_open(f, &a, "shadow");
    app_register(&a, "first", f->v1, MDM_IF_EXISTS_FAIL);
    app_register(&a, "second", f->v2, MDM_IF_EXISTS_FAIL);
    assert_int_equal(app_load(&a, "first", &rows), 1);
    assert_int_equal(app_load(&a, "second", &rows), 1);   /* first's rows */
    assert_int_equal(rows, 3);
    char **lines = read_lines(f->log, &n);
    assert_int_equal(n, 1);
    assert_record(lines[0], "load", "mismatch");
    assert_non_null(strstr(lines[0], "\"dataset\":\"second\""));
    free_lines(lines, n);
    app_close(&a);
}

/* A query in shadow: the candidate runs in a transaction that is rolled
 * back, and equal answers log nothing. */
static void shadow__queries_compare_and_log_nothing_when_equal(void **state)
{
    fx *f = *state;
    app a;
    mdm_table t;
    mdm_shadow_stats st;
    mdm_error err;
    mdm_param p = mdm_param_int64("min", 2);
    app_open(f, &a, "shadow");
    app_register(&a, "iris", f->v1, MDM_IF_EXISTS_FAIL);
    mdm_table_init(&t);
    assert_int_equal(mdm_dsm_query(a.dsm, "iris", "SELECT id, name FROM train WHERE id >= :min",
                                   &p, 1, &t, NULL, &err), MDM_OK);
    assert_int_equal(t.nrows, 2);
    mdm_dsm_shadow_stats(a.dsm, &st);
    assert_int_equal(st.runs, 1);
    assert_int_equal(st.matches, 1);
    assert_false(mdm_test_file_exists(f->log));
    mdm_table_reset(&t);
    app_close(&a);
}

/* ---- through the BackendAdapter -------------------------------------------------- */

static mdm_adapter *shadow_adapter(fx *f)
{
    mdm_adapter_opts o = MDM_ADAPTER_OPTS_INIT;
    mdm_adapter *ad = NULL;
    mdm_error err;
    o.impl = MDM_IMPL_SHADOW;
    o.shadow_log = f->log;
    o.deprecation_warning = false;
    assert_int_equal(mdm_adapter_new(&ad, &o, &err), MDM_OK);
    return ad;
}

static void frame(mdm_table *t, int64_t first, int rows)
{
    mdm_error e;
    mdm_table_init(t);
    assert_int_equal(mdm_table_add_column(t, "id", MDM_INT64, &e), MDM_OK);
    for (int r = 0; r < rows; r++) {
        assert_int_equal(mdm_table_push_int64(t, 0, first + r, &e), MDM_OK);
        assert_int_equal(mdm_table_end_row(t, &e), MDM_OK);
    }
}

static void shadow__adapter_logs_the_stale_read(void **state)
{
    fx *f = *state;
    char db[400];
    size_t n = 0;
    mdm_table t, out;
    mdm_adapter_engine *e = NULL;
    mdm_shadow_stats st;
    mdm_error err;
    snprintf(db, sizeof db, "%s/a.sqlite", f->dir);
    snprintf(f->log, sizeof f->log, "%s/adapter.jsonl", f->dir);
    mdm_adapter *ad = shadow_adapter(f);
    assert_int_equal(mdm_adapter_get_engine(ad, db, &e, &err), MDM_OK);
    frame(&t, 1, 3);
    assert_int_equal(mdm_adapter_create_table_from_dataframe(ad, &t, "train", e, NULL, &err), MDM_OK);
    mdm_table_reset(&t);
    mdm_table_init(&out);
    assert_int_equal(mdm_adapter_read_table_to_dataframe(ad, "train", e, NULL, &out, &err), MDM_OK);
    frame(&t, 100, 3);
    assert_int_equal(mdm_adapter_create_table_from_dataframe(ad, &t, "train", e, "replace", &err),
                     MDM_OK);
    mdm_table_reset(&t);
    assert_int_equal(mdm_adapter_read_table_to_dataframe(ad, "train", e, NULL, &out, &err), MDM_OK);
    assert_int_equal(mdm_table_int64(&out, 0, 0), 1);   /* legacy's stale rows */
    mdm_adapter_shadow_stats(ad, &st);
    assert_int_equal(st.runs, 2);
    assert_int_equal(st.mismatches, 1);
    char **lines = read_lines(f->log, &n);
    assert_int_equal(n, 1);
    assert_record(lines[0], "read_table", "mismatch");
    assert_non_null(strstr(lines[0], "\"first_difference\":{\"kind\":\"value\",\"row\":0,"
                                     "\"column\":\"id\",\"control\":\"1"));
    free_lines(lines, n);
    mdm_table_reset(&out);
    mdm_adapter_free(ad);
}

/* A candidate that fails: legacy answers a read from its cache (LEGACY.md
 * 6) after the table was dropped behind it (by a modern adapter), modern
 * finds no table. (This used legacy's singleton, answering B from A while
 * modern could not open B; the legacy store now closes legacy's engine
 * after every call, so an engine is the database it names.) The
 * candidate's failure is logged and the caller still gets legacy's rows. */
static void shadow__a_failing_candidate_never_reaches_the_caller(void **state)
{
    fx *f = *state;
    char a[400];
    size_t n = 0;
    mdm_table t, out;
    mdm_adapter_engine *ea = NULL, *em = NULL;
    mdm_adapter_opts o = MDM_ADAPTER_OPTS_INIT;
    mdm_adapter *modern = NULL;
    mdm_shadow_stats st;
    mdm_error err;
    snprintf(a, sizeof a, "%s/a.sqlite", f->dir);
    snprintf(f->log, sizeof f->log, "%s/adapter.jsonl", f->dir);
    mdm_adapter *ad = shadow_adapter(f);
    assert_int_equal(mdm_adapter_get_engine(ad, a, &ea, &err), MDM_OK);
    frame(&t, 7, 2);
    assert_int_equal(mdm_adapter_create_table_from_dataframe(ad, &t, "train", ea, NULL, &err), MDM_OK);
    mdm_table_reset(&t);
    mdm_table_init(&out);
    assert_int_equal(mdm_adapter_read_table_to_dataframe(ad, "train", ea, NULL, &out, &err), MDM_OK);
    o.deprecation_warning = false;
    assert_int_equal(mdm_adapter_new(&modern, &o, &err), MDM_OK);
    assert_int_equal(mdm_adapter_get_engine(modern, a, &em, &err), MDM_OK);
    mdm_table_init(&t);
    assert_int_equal(mdm_adapter_execute_query(modern, "DROP TABLE train", em, &t, &err), MDM_OK);
    mdm_table_reset(&t);
    mdm_adapter_free(modern);
    mdm_error_clear(&err);
    assert_int_equal(mdm_adapter_read_table_to_dataframe(ad, "train", ea, NULL, &out, &err), MDM_OK);
    assert_int_equal(err.code, MDM_OK);                 /* nothing of the candidate's */
    assert_int_equal(out.nrows, 2);
    assert_int_equal(mdm_table_int64(&out, 0, 0), 7);
    mdm_adapter_shadow_stats(ad, &st);
    assert_int_equal(st.candidate_errors, 1);
    char **lines = read_lines(f->log, &n);
    assert_int_equal(n, 1);
    assert_record(lines[0], "read_table", "candidate_error");
    assert_non_null(strstr(lines[0], "\"candidate\":{\"status\":\"not_found\""));
    free_lines(lines, n);
    mdm_table_reset(&out);
    mdm_adapter_free(ad);
}

/* ---- the runner itself ------------------------------------------------------------- */

typedef struct side_arg {
    int64_t first;
    bool reversed;
    mdm_status fail;
} side_arg;

static mdm_status side(void *arg, mdm_table *out, mdm_error *err)
{
    side_arg *s = arg;
    mdm_table t;
    if (s->fail != MDM_OK)
        return mdm_error_set(err, s->fail, "side failed on purpose");
    frame(&t, 0, 0);
    for (int r = 0; r < 3; r++) {
        assert_int_equal(mdm_table_push_int64(&t, 0, s->first + (s->reversed ? 2 - r : r), err), MDM_OK);
        assert_int_equal(mdm_table_end_row(&t, err), MDM_OK);
    }
    mdm_table_move(out, &t);
    return MDM_OK;
}

static void shadow__order_matters_only_when_promised(void **state)
{
    fx *f = *state;
    mdm_shadow sh;
    mdm_table out;
    mdm_error err;
    size_t n = 0;
    side_arg ctl = {1, false, MDM_OK}, cand = {1, true, MDM_OK};
    snprintf(f->log, sizeof f->log, "%s/runner.jsonl", f->dir);
    assert_int_equal(mdm_shadow_init(&sh, f->log, NULL, &err), MDM_OK);
    mdm_table_init(&out);
    mdm_shadow_call call = {"query", "d", "SELECT ...", false, side, &ctl, side, &cand, NULL, NULL, NULL, NULL};
    assert_int_equal(mdm_shadow_run(&sh, &call, &out, &err), MDM_OK);
    assert_int_equal(sh.stats.matches, 1);
    call.ordered = true;
    assert_int_equal(mdm_shadow_run(&sh, &call, &out, &err), MDM_OK);
    assert_int_equal(sh.stats.mismatches, 1);
    assert_int_equal(mdm_table_int64(&out, 0, 0), 1);   /* the control's */
    /* errors of the same kind match; different kinds are logged */
    ctl.fail = cand.fail = MDM_ERR_NOT_FOUND;
    assert_int_equal(mdm_shadow_run(&sh, &call, &out, &err), MDM_ERR_NOT_FOUND);
    assert_string_equal(err.message, "side failed on purpose");
    assert_int_equal(sh.stats.matches, 2);
    cand.fail = MDM_ERR_SQL;
    assert_int_equal(mdm_shadow_run(&sh, &call, &out, &err), MDM_ERR_NOT_FOUND);
    ctl.fail = MDM_OK;
    cand.fail = MDM_OK;
    cand.first = 5;   /* other values, any order */
    call.ordered = false;
    assert_int_equal(mdm_shadow_run(&sh, &call, &out, &err), MDM_OK);
    char **lines = read_lines(f->log, &n);
    assert_int_equal(n, 3);
    assert_record(lines[0], "query", "mismatch");
    assert_non_null(strstr(lines[0], "\"kind\":\"value\""));
    assert_record(lines[1], "query", "error_mismatch");
    assert_record(lines[2], "query", "mismatch");
    free_lines(lines, n);
    mdm_table_reset(&out);
}

/* A log that cannot be written is reported once; the caller's answer
 * does not change. */
static void shadow__an_unwritable_log_changes_nothing_for_the_caller(void **state)
{
    fx *f = *state;
    mdm_shadow sh;
    mdm_table out;
    mdm_error err;
    char path[400], line[300];
    FILE *warn = tmpfile();
    side_arg ctl = {1, false, MDM_OK}, cand = {9, false, MDM_OK};
    snprintf(path, sizeof path, "%s/no/such/dir/log.jsonl", f->dir);
    assert_int_equal(mdm_shadow_init(&sh, path, warn, &err), MDM_OK);
    mdm_table_init(&out);
    mdm_shadow_call call = {"load", "d", NULL, true, side, &ctl, side, &cand, NULL, NULL, NULL, NULL};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(mdm_shadow_run(&sh, &call, &out, &err), MDM_OK);
        assert_int_equal(mdm_table_int64(&out, 0, 0), 1);
    }
    assert_int_equal(sh.stats.log_failures, 3);
    rewind(warn);
    assert_non_null(fgets(line, sizeof line, warn));
    assert_non_null(strstr(line, "cannot append to shadow log"));
    assert_null(fgets(line, sizeof line, warn));   /* once */
    fclose(warn);
    mdm_table_reset(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(shadow__stale_cache_is_logged_and_legacy_answers, setup, teardown),
        cmocka_unit_test_setup_teardown(shadow__cross_dataset_cache_is_logged, setup, teardown),
        cmocka_unit_test_setup_teardown(shadow__queries_compare_and_log_nothing_when_equal, setup, teardown),
        cmocka_unit_test_setup_teardown(shadow__adapter_logs_the_stale_read, setup, teardown),
        cmocka_unit_test_setup_teardown(shadow__a_failing_candidate_never_reaches_the_caller, setup, teardown),
        cmocka_unit_test_setup_teardown(shadow__order_matters_only_when_promised, setup, teardown),
        cmocka_unit_test_setup_teardown(shadow__an_unwritable_log_changes_nothing_for_the_caller, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
