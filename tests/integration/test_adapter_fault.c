/* SPDX-License-Identifier: MIT */
/*
 * test_adapter_fault.c - allocation failures in adapter/, the one failure
 * that cannot be provoked for real. As in test_modern_fault.c, malloc,
 * calloc, realloc and strdup are replaced by versions that fail the Nth
 * call made from this program's own code (mdm, linked in statically; not
 * SQLite, libpq or libc), and each scenario runs with N = 1, 2, 3, ...
 * until it completes without reaching the failure. Every run must end in a
 * status, never a crash, and:
 *   - a scenario that reports success must have the right result, and one
 *     that completes untouched must succeed;
 *   - some runs end in the adapter's own NOMEM, "out of memory" (so its
 *     allocations were among those that failed);
 *   - the shadow runner's caller gets the control's answer whatever fails
 *     inside the comparison or the log;
 *   - a bucket that cannot be computed is 100 (the last to move);
 *   - a DSN that cannot be derived leaves the output as it was.
 * The legacy path's conversions run in builds with legacy/ (only the
 * inspection is armed: legacy's own set-up under memory pressure is
 * legacy's business). Under AddressSanitizer (which owns malloc) the
 * tests skip.
 */
#define _GNU_SOURCE   /* dladdr */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mdm_adapter.h"
#include "mdm_dsn.h"
#include "mdm_flag.h"
#include "mdm_shadow.h"
#include "test_fault_alloc.h"
#include "test_support.h"

#if MDM_WITH_LEGACY
#include "legacy_db.h"
#endif

/* ---- the failing allocator: test_fault_alloc.h ---- */

/* ---- the sweep ---- */

typedef struct world world;

/* A scenario: prepare (not armed) sets up one run, run does the work
 * (armed) and returns its status, check (not armed) looks at the outcome
 * (was_hit: the failure happened) and cleans up. */
typedef struct scenario {
    const char *name;
    void (*prepare)(world *w);
    mdm_status (*run)(world *w, mdm_error *err);
    void (*check)(world *w, mdm_status rc, const mdm_error *err, int was_hit);
} scenario;

struct world {
    char dir[256], a[320], b[320], log[320];
    FILE *warn;
    mdm_table df;          /* what gets written */
    mdm_table got;         /* what a run read back */
    mdm_table ctl, cand;   /* shadow sides */
    mdm_table expect;      /* the control's answer */
    mdm_shadow sh;
    mdm_buf out;
    mdm_adapter *ad;       /* the legacy scenario's */
    mdm_adapter_engine *e;
    char longname[400];
    int bucket, want_bucket;
    int nomem;             /* runs that ended in NOMEM, "out of memory" */
    int flagged;           /* scenario-specific counter */
};

static int sweep(world *w, const scenario *s)
{
    int injected = 0;
    for (long n = 1; n < 200000; n++) {
        mdm_error err;
        mdm_error_clear(&err);
        s->prepare(w);
        fault_arm(n);
        mdm_status rc = s->run(w, &err);
        int was_hit = fault_disarm();
        if (was_hit && rc == MDM_ERR_NOMEM && strstr(err.message, "out of memory") != NULL)
            w->nomem++;
        s->check(w, rc, &err, was_hit);
        if (!was_hit) {
            print_message("%s: %d allocation failures survived\n", s->name, injected);
            return injected;
        }
        injected++;
    }
    fail_msg("%s: never completed", s->name);
    return injected;
}

static void make_frame(mdm_table *t)
{
    mdm_error err;
    mdm_table_init(t);
    assert_int_equal(mdm_table_add_column(t, "id", MDM_INT64, &err), MDM_OK);
    assert_int_equal(mdm_table_add_column(t, "name", MDM_TEXT, &err), MDM_OK);
    assert_int_equal(mdm_table_add_column(t, "ok", MDM_BOOL, &err), MDM_OK);
    for (int r = 0; r < 3; r++) {
        char name[16];
        snprintf(name, sizeof name, "n%d", r);
        assert_int_equal(mdm_table_push_int64(t, 0, r, &err), MDM_OK);
        assert_int_equal(mdm_table_push_text(t, 1, name, strlen(name), &err), MDM_OK);
        assert_int_equal(mdm_table_push_bool(t, 2, r % 2, &err), MDM_OK);
        assert_int_equal(mdm_table_end_row(t, &err), MDM_OK);
    }
}

static void world_init(world *w)
{
    memset(w, 0, sizeof *w);
    assert_int_equal(mdm_test_tmpdir(w->dir, sizeof w->dir), 0);
    snprintf(w->a, sizeof w->a, "%s/a.sqlite", w->dir);
    snprintf(w->b, sizeof w->b, "%s/b.sqlite", w->dir);
    snprintf(w->log, sizeof w->log, "%s/shadow.jsonl", w->dir);
    w->warn = tmpfile();
    assert_non_null(w->warn);
    make_frame(&w->df);
    mdm_table_init(&w->got);
}

static void world_free(world *w)
{
    mdm_table_reset(&w->df);
    mdm_table_reset(&w->got);
    fclose(w->warn);
    mdm_test_rmrf(w->dir);
}

/* ---- the adapter over modern ---- */

/* A whole session: make the adapter, two engines, write, read back, and
 * inspect. */
static mdm_status adapter_session(world *w, mdm_error *err)
{
    mdm_adapter_opts o = MDM_ADAPTER_OPTS_INIT;
    mdm_adapter *a = NULL;
    mdm_adapter_engine *e = NULL, *e2 = NULL;
    mdm_strlist names;
    mdm_table_info ti;
    bool exists = false;
    o.default_path = w->a;
    o.warn = w->warn;
    o.deprecation_warning = false;
    mdm_strlist_init(&names);
    mdm_table_info_init(&ti);
    mdm_status rc = mdm_adapter_new(&a, &o, err);
    if (rc == MDM_OK)
        rc = mdm_adapter_get_engine(a, w->b, &e2, err);
    if (rc == MDM_OK)
        rc = mdm_adapter_get_engine(a, NULL, &e, err);   /* the default path */
    if (rc == MDM_OK)
        rc = mdm_adapter_create_table_from_dataframe(a, &w->df, "t", e, "replace", err);
    if (rc == MDM_OK)
        rc = mdm_adapter_read_table_to_dataframe(a, "t", e, NULL, &w->got, err);
    if (rc == MDM_OK)
        rc = mdm_adapter_get_table_names(a, e, &names, err);
    if (rc == MDM_OK && (names.count != 1 || strcmp(names.items[0], "t") != 0))
        rc = mdm_error_set(err, MDM_ERR_INTERNAL, "wrong table names");
    if (rc == MDM_OK)
        rc = mdm_adapter_get_table_info(a, "t", e, &ti, err);
    if (rc == MDM_OK && (ti.ncolumns != 3 || ti.row_count != 3 || ti.columns[2].type != MDM_BOOL))
        rc = mdm_error_set(err, MDM_ERR_INTERNAL, "wrong table info");
    if (rc == MDM_OK)
        rc = mdm_adapter_table_exists(a, e, "t", &exists, err);
    if (rc == MDM_OK && !exists)
        rc = mdm_error_set(err, MDM_ERR_INTERNAL, "table_exists said no");
    mdm_table_info_reset(&ti);
    mdm_strlist_reset(&names);
    mdm_adapter_free(a);
    return rc;
}

static void session_prepare(world *w)
{
    mdm_table_reset(&w->got);
}

static void session_check(world *w, mdm_status rc, const mdm_error *err, int was_hit)
{
    if (rc == MDM_ERR_INTERNAL)
        fail_msg("a session reported success with a wrong result: %s", err->message);
    if (!was_hit && rc != MDM_OK)
        fail_msg("failed without an injected fault: %s", err->message);
    mdm_table_diff dd;
    if (rc == MDM_OK && !mdm_table_equal(&w->df, &w->got, NULL, &dd))
        fail_msg("a session reported success but read other rows: %s", dd.message);
}

static mdm_status modern_run(world *w, mdm_error *err)
{
    return adapter_session(w, err);
}

static void fault__adapter_over_modern(void **state)
{
    (void)state;
#ifdef MDM_FAULT_OFF
    skip();
#endif
    world w;
    const scenario s = {"adapter over modern", session_prepare, modern_run, session_check};
    world_init(&w);
    assert_true(sweep(&w, &s) > 0);
    assert_true(w.nomem > 0);   /* the adapter's own allocations were among them */
    world_free(&w);
}

#if MDM_WITH_LEGACY
/* The legacy path converts legacy's table info and names to the adapter's
 * types, and those copies can fail. Only the inspection is armed: the
 * adapter, its engine and the table are made before (legacy's own set-up
 * is legacy's business, LEGACY.md). */
static void legacy_prepare(world *w)
{
    mdm_adapter_opts o = MDM_ADAPTER_OPTS_INIT;
    mdm_strlist names;
    mdm_error err;
    legacy_reset_all();
    o.impl = MDM_IMPL_LEGACY;
    o.warn = w->warn;
    o.deprecation_warning = false;
    assert_int_equal(mdm_adapter_new(&w->ad, &o, &err), MDM_OK);
    assert_int_equal(mdm_adapter_get_engine(w->ad, w->a, &w->e, &err), MDM_OK);
    assert_int_equal(mdm_adapter_create_table_from_dataframe(w->ad, &w->df, "t", w->e, "replace",
                                                             &err), MDM_OK);
    mdm_strlist_init(&names);
    assert_int_equal(mdm_adapter_get_table_names(w->ad, w->e, &names, &err), MDM_OK);   /* connects */
    mdm_strlist_reset(&names);
}

static mdm_status legacy_run(world *w, mdm_error *err)
{
    mdm_table_info ti;
    mdm_strlist names;
    mdm_table_info_init(&ti);
    mdm_strlist_init(&names);
    mdm_status rc = mdm_adapter_get_table_info(w->ad, "t", w->e, &ti, err);
    if (rc == MDM_OK && (ti.ncolumns != 3 || ti.row_count != 3 || strcmp(ti.name, "t") != 0 ||
                         strcmp(ti.columns[1].name, "name") != 0 ||
                         ti.columns[2].type != MDM_BOOL))
        rc = mdm_error_set(err, MDM_ERR_INTERNAL, "wrong table info");
    if (rc == MDM_OK)
        rc = mdm_adapter_get_table_names(w->ad, w->e, &names, err);
    if (rc == MDM_OK && (names.count != 1 || strcmp(names.items[0], "t") != 0))
        rc = mdm_error_set(err, MDM_ERR_INTERNAL, "wrong table names");
    mdm_strlist_reset(&names);
    mdm_table_info_reset(&ti);
    return rc;
}

static void legacy_check(world *w, mdm_status rc, const mdm_error *err, int was_hit)
{
    if (rc == MDM_ERR_INTERNAL)
        fail_msg("reported success with a wrong result: %s", err->message);
    if (!was_hit && rc != MDM_OK)
        fail_msg("failed without an injected fault: %s", err->message);
    mdm_adapter_free(w->ad);
    w->ad = NULL;
}

static void fault__adapter_legacy_path(void **state)
{
    (void)state;
#ifdef MDM_FAULT_OFF
    skip();
#endif
    world w;
    const scenario s = {"adapter legacy path", legacy_prepare, legacy_run, legacy_check};
    world_init(&w);
    assert_true(sweep(&w, &s) > 0);
    assert_true(w.nomem > 0);
    world_free(&w);
    legacy_reset_all();
}
#endif

/* ---- the shadow runner ---- */

/* A side hands over a prepared table (moving allocates nothing). */
static mdm_status move_side(void *arg, mdm_table *out, mdm_error *err)
{
    (void)err;
    mdm_table_move(out, arg);
    return MDM_OK;
}

/* Control rows 0,1,2; the candidate has them reversed (the same multiset)
 * or, when differ, one value changed. */
static void shadow_tables(world *w, bool differ)
{
    mdm_error err;
    mdm_table *ts[] = {&w->ctl, &w->cand, &w->expect};
    for (int i = 0; i < 3; i++) {
        mdm_table_init(ts[i]);
        assert_int_equal(mdm_table_add_column(ts[i], "id", MDM_INT64, &err), MDM_OK);
        assert_int_equal(mdm_table_add_column(ts[i], "s", MDM_TEXT, &err), MDM_OK);
        for (int r = 0; r < 3; r++) {
            int v = ts[i] == &w->cand ? 2 - r : r;
            if (ts[i] == &w->cand && differ && r == 0)
                v = 7;
            assert_int_equal(mdm_table_push_int64(ts[i], 0, v, &err), MDM_OK);
            if (r == 1)
                assert_int_equal(mdm_table_push_null(ts[i], 1, &err), MDM_OK);
            else
                assert_int_equal(mdm_table_push_text(ts[i], 1, "t", 1, &err), MDM_OK);
            assert_int_equal(mdm_table_end_row(ts[i], &err), MDM_OK);
        }
    }
    assert_int_equal(mdm_shadow_init(&w->sh, w->log, w->warn, &err), MDM_OK);
}

static void same_prepare(world *w) { shadow_tables(w, false); }
static void differ_prepare(world *w) { shadow_tables(w, true); }

static mdm_status shadow_run(world *w, mdm_error *err)
{
    mdm_shadow_call call = {"query", "d", "SELECT id, s FROM t", false,
                            move_side, &w->ctl, move_side, &w->cand, NULL, NULL, NULL, NULL};
    return mdm_shadow_run(&w->sh, &call, &w->got, err);
}

static void shadow_check(world *w, mdm_status rc, const mdm_error *err, int was_hit)
{
    (void)was_hit;
    if (rc != MDM_OK)
        fail_msg("the caller got %s: %s", mdm_status_name(rc), err->message);
    if (!mdm_table_equal(&w->expect, &w->got, NULL, NULL))
        fail_msg("the caller did not get the control's rows");
    const mdm_shadow_stats *st = &w->sh.stats;
    assert_int_equal(st->runs, 1);
    assert_int_equal(st->matches + st->mismatches, 1);
    assert_int_equal(st->candidate_errors, 0);
    w->flagged += st->log_failures > 0;
    mdm_table_reset(&w->ctl);
    mdm_table_reset(&w->cand);
    mdm_table_reset(&w->expect);
    mdm_table_reset(&w->got);
}

static void fault__shadow_runner(void **state)
{
    (void)state;
#ifdef MDM_FAULT_OFF
    skip();
#endif
    world w;
    const scenario same = {"shadow, rows reordered", same_prepare, shadow_run, shadow_check};
    const scenario differ = {"shadow, rows differ", differ_prepare, shadow_run, shadow_check};
    world_init(&w);
    assert_true(sweep(&w, &same) > 0);
    assert_true(sweep(&w, &differ) > 0);
    /* a log line that could not be built was counted as a log failure and
     * reported on the warning stream */
    assert_true(w.flagged > 0);
    char line[300] = "";
    rewind(w.warn);
    assert_non_null(fgets(line, sizeof line, w.warn));
    assert_non_null(strstr(line, "cannot append to shadow log"));
    world_free(&w);
}

/* ---- flag and DSN ---- */

static void bucket_prepare(world *w)
{
    memset(w->longname, 'q', sizeof w->longname - 1);
    w->longname[sizeof w->longname - 1] = '\0';
    w->bucket = 0;
}

static mdm_status bucket_run(world *w, mdm_error *err)
{
    (void)err;
    w->bucket = mdm_flag_bucket(MDM_FLAG_READS, w->longname);
    return MDM_OK;
}

static void bucket_check(world *w, mdm_status rc, const mdm_error *err, int was_hit)
{
    (void)rc;
    (void)err;
    if (w->want_bucket == 0) {   /* the first run: learn the real bucket */
        w->want_bucket = mdm_flag_bucket(MDM_FLAG_READS, w->longname);
        assert_in_range(w->want_bucket, 1, 99);   /* so that 100 tells the cases apart */
    }
    assert_int_equal(w->bucket, was_hit ? 100 : w->want_bucket);
    w->flagged += was_hit;
}

static void dsn_prepare(world *w)
{
    mdm_buf_init(&w->out);
    assert_int_equal(mdm_buf_puts(&w->out, "kept"), MDM_OK);
}

static mdm_status dsn_run(world *w, mdm_error *err)
{
    return mdm_dsn_with_dbname("host=/tmp/s port=5433 user=me dbname=postgres", "it's mine",
                               &w->out, err);
}

static void dsn_check(world *w, mdm_status rc, const mdm_error *err, int was_hit)
{
    char buf[64];
    if (was_hit) {
        assert_int_equal(rc, MDM_ERR_NOMEM);
        assert_string_equal(err->message, "out of memory");
        assert_string_equal(mdm_buf_str(&w->out), "kept");
    } else {
        assert_int_equal(rc, MDM_OK);
        assert_string_equal(mdm_dsn_get(mdm_buf_str(&w->out) + 4, "dbname", buf, sizeof buf),
                            "it's mine");
    }
    mdm_buf_reset(&w->out);
}

static mdm_status append_run(world *w, mdm_error *err)
{
    (void)err;
    return mdm_dsn_append(&w->out, "password", "it's \\ mine");
}

static void append_check(world *w, mdm_status rc, const mdm_error *err, int was_hit)
{
    char buf[64];
    (void)err;
    if (was_hit) {
        assert_int_equal(rc, MDM_ERR_NOMEM);
    } else {
        assert_int_equal(rc, MDM_OK);
        assert_string_equal(mdm_dsn_get(mdm_buf_str(&w->out), "password", buf, sizeof buf),
                            "it's \\ mine");
    }
    w->flagged += was_hit;
    mdm_buf_reset(&w->out);
}

static void empty_prepare(world *w)
{
    mdm_buf_init(&w->out);
}

static void fault__flag_and_dsn(void **state)
{
    (void)state;
#ifdef MDM_FAULT_OFF
    skip();
#endif
    world w;
    const scenario bucket = {"bucket of a long name", bucket_prepare, bucket_run, bucket_check};
    const scenario dsn = {"dsn with dbname", dsn_prepare, dsn_run, dsn_check};
    const scenario append = {"dsn append", empty_prepare, append_run, append_check};
    world_init(&w);
    assert_true(sweep(&w, &bucket) > 0);
    assert_int_equal(w.flagged, 1);   /* one allocation: the heap key */
    assert_true(sweep(&w, &dsn) > 0);
    w.flagged = 0;
    assert_true(sweep(&w, &append) > 0);
    assert_true(w.flagged > 0);
    world_free(&w);
}

int main(void)
{
    if (fault_init() != 0)
        return 1;
    fault_only_ours = 1;   /* mdm's allocations only: not those of libpq, SQLite, libyaml */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fault__adapter_over_modern),
#if MDM_WITH_LEGACY
        cmocka_unit_test(fault__adapter_legacy_path),
#endif
        cmocka_unit_test(fault__shadow_runner),
        cmocka_unit_test(fault__flag_and_dsn),
    };
    return cmocka_run_group_tests_name("adapter_fault", tests, NULL, NULL);
}
