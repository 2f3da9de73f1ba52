/* SPDX-License-Identifier: MIT */
/*
 * test_shadow_writes.c - shadow writes (mdm_router_run_write under writes
 * shadow) on SQLite and PostgreSQL: legacy writes the dataset and answers,
 * modern writes a scratch copy (seeded for an append and for fail), the two
 * are reconciled and counted as "writes" evidence, the scratch is removed.
 * A planted bug in modern's writes is a logged mismatch with checksums and
 * the first differing rows, and the dataset keeps legacy's rows; a scratch
 * a dead writer left is removed and never listed; a candidate that cannot
 * start changes nothing for the caller; a shadow write killed at several
 * points leaves the dataset as legacy left it and the evidence consistent.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mdm_csv.h"
#include "mdm_evidence.h"
#include "mdm_router.h"
#include "test_mdm_cli.h"
#include "test_support.h"

typedef struct fx {
    char dir[256], csv[320], log[320], evidence[320], db[400];
    bool pg;
    mdm_table t;
} fx;

static int setup_on(void **state, bool pg)
{
    fx *f = calloc(1, sizeof *f);
    mdm_error err;
    static const char csv[] = "id,name,x\n1,a,1.5\n2,,\n3,c,2.25\n";
    if (f == NULL || mdm_test_tmpdir(f->dir, sizeof f->dir) != 0)
        return -1;
    f->pg = pg;
    snprintf(f->csv, sizeof f->csv, "%s/t.csv", f->dir);
    snprintf(f->log, sizeof f->log, "%s/shadow.jsonl", f->dir);
    snprintf(f->evidence, sizeof f->evidence, "%s/evidence.sqlite", f->dir);
    if (pg)
        snprintf(f->db, sizeof f->db, "mdmsw%ld", (long)getpid());
    else
        snprintf(f->db, sizeof f->db, "%s/d.sqlite", f->dir);
    if (mdm_test_write_file(f->csv, csv, sizeof csv - 1) != 0 ||
        mdm_csv_read_file(f->csv, NULL, &f->t, &err) != MDM_OK)
        return -1;
    *state = f;
    return 0;
}

static int setup(void **state)
{
    return setup_on(state, false);
}

static int setup_pg(void **state)
{
    return setup_on(state, true);
}

static int teardown(void **state)
{
    fx *f = *state;
    if (f->pg && mdm_test_pg_dsn() != NULL)
        mdm_test_pg_drop_db(f->db);
    mdm_table_reset(&f->t);
    mdm_test_rmrf(f->dir);
    free(f);
    return 0;
}

/* A router with writes in shadow (faults planted in modern's store). */
static mdm_router *router(fx *f, unsigned faults, const char *log)
{
    mdm_store_settings set;
    mdm_flag_settings flags;
    mdm_router *r = NULL;
    mdm_error err;
    memset(&set, 0, sizeof set);
    set.backend = f->pg ? "postgresql" : "sqlite";
    set.pg_dsn = f->pg ? mdm_test_pg_dsn() : NULL;
    set.pool = (mdm_pool_opts)MDM_POOL_OPTS_INIT;
    set.faults = faults;
    mdm_flag_settings_init(&flags);
    assert_int_equal(mdm_flag_set(&flags, MDM_FLAG_WRITES, "shadow", MDM_FLAG_SRC_CLI, "t", &err),
                     MDM_OK);
    mdm_router_opts ro = {&set, &flags, log, NULL, f->evidence, NULL};
    assert_int_equal(mdm_router_new(&r, &ro, &err), MDM_OK);
    return r;
}

/* One shadow write of f->t into table "train". */
static mdm_status write_train(fx *f, mdm_router *r, mdm_if_exists mode, mdm_error *err)
{
    mdm_route rt;
    mdm_status rc = mdm_router_route(r, MDM_FLAG_OP_WRITE, "d", &rt, err);
    assert_int_equal(rc, MDM_OK);
    assert_int_equal(rt.d.impl, MDM_IMPL_SHADOW);
    mdm_router_write w = {"d", f->db, "train", &f->t, mode, NULL, NULL, NULL, 0, false};
    return mdm_router_run_write(r, &rt, &w, err);
}

/* The dataset's database, made by legacy as `mdm register` makes it. */
static void make_db(fx *f, mdm_router *r)
{
    mdm_store *legacy = NULL;
    mdm_error err;
    assert_int_equal(mdm_router_store(r, MDM_IMPL_LEGACY, &legacy, &err), MDM_OK);
    assert_int_equal(legacy->ops->db_create(legacy, f->db, &err), MDM_OK);
}

/* Rows of "train" (read through the modern store: legacy's read cache is
 * process-wide and would answer from an earlier read); name's NULL count
 * into *nulls. */
static size_t legacy_rows(fx *f, mdm_router *r, size_t *nulls)
{
    mdm_store *legacy = NULL;
    mdm_read_opts o = MDM_READ_OPTS_INIT;
    mdm_table got;
    mdm_error err;
    mdm_table_init(&got);
    assert_int_equal(mdm_router_store(r, MDM_IMPL_MODERN, &legacy, &err), MDM_OK);
    assert_int_equal(legacy->ops->read(legacy, f->db, "train", &o, &got, &err), MDM_OK);
    size_t n = got.nrows;
    *nulls = 0;
    for (size_t i = 0; i < n; i++)
        *nulls += mdm_table_is_null(&got, 1, i);
    mdm_table_reset(&got);
    return n;
}

/* Is a scratch copy there (SQLite: the file; PostgreSQL: the table)? */
static bool scratch_there(fx *f, mdm_router *r)
{
    char path[420];
    bool there = false;
    mdm_store *m = NULL;
    mdm_error err;
    if (!f->pg) {
        snprintf(path, sizeof path, "%s.shadow", f->db);
        return access(path, F_OK) == 0;
    }
    assert_int_equal(mdm_router_store(r, MDM_IMPL_MODERN, &m, &err), MDM_OK);
    assert_int_equal(m->ops->table_exists(m, f->db, MDM_STORE_SCRATCH_TABLE, &there, &err), MDM_OK);
    return there;
}

static void writes_summary(fx *f, mdm_evidence_summary *s)
{
    mdm_error err;
    assert_int_equal(mdm_evidence_summarize(f->evidence, 0, "writes", NULL, s, &err), MDM_OK);
}

static void shadow_writes__legacy_writes_modern_is_reconciled_and_scratch_goes(void **state)
{
    fx *f = *state;
    mdm_error err;
    mdm_shadow_stats st;
    mdm_evidence_summary ev;
    size_t nulls = 0;
    if (f->pg)
        MDM_TEST_REQUIRE_PG();
    mdm_router *r = router(f, 0, f->log);
    make_db(f, r);
    assert_int_equal(write_train(f, r, MDM_IF_EXISTS_FAIL, &err), MDM_OK);
    assert_int_equal(write_train(f, r, MDM_IF_EXISTS_APPEND, &err), MDM_OK);   /* seeded */
    assert_int_equal(legacy_rows(f, r, &nulls), 6);
    assert_int_equal(write_train(f, r, MDM_IF_EXISTS_FAIL, &err), MDM_ERR_EXISTS);   /* legacy's */
    assert_non_null(strstr(err.message, "already exists"));
    assert_int_equal(write_train(f, r, MDM_IF_EXISTS_REPLACE, &err), MDM_OK);
    assert_int_equal(legacy_rows(f, r, &nulls), 3);
    assert_int_equal(nulls, 1);
    assert_false(scratch_there(f, r));
    mdm_router_shadow_stats(r, &st);
    assert_int_equal(st.runs, 4);
    assert_int_equal(st.matches, 4);   /* both failed alike on fail onto a table */
    assert_int_equal(st.mismatches, 0);
    mdm_strlist names;
    mdm_store *m = NULL;
    mdm_strlist_init(&names);
    assert_int_equal(mdm_router_store(r, MDM_IMPL_MODERN, &m, &err), MDM_OK);
    assert_int_equal(m->ops->tables(m, f->db, &names, &err), MDM_OK);
    assert_int_equal(names.count, 1);
    mdm_strlist_reset(&names);
    mdm_router_free(r);
    writes_summary(f, &ev);
    assert_int_equal(ev.total, 4);
    assert_int_equal(ev.n[MDM_OUTCOME_MATCH], 4);
    assert_false(mdm_test_file_exists(f->log));   /* matches are counted, not logged */
}

static void shadow_writes__a_planted_bug_is_a_mismatch_with_checksums(void **state)
{
    fx *f = *state;
    mdm_error err;
    mdm_shadow_stats st;
    mdm_evidence_summary ev;
    size_t nulls = 0;
    if (f->pg)
        MDM_TEST_REQUIRE_PG();
    mdm_router *r = router(f, MDM_STORE_FAULT_NULLS_AS_EMPTY, f->log);
    make_db(f, r);
    assert_int_equal(write_train(f, r, MDM_IF_EXISTS_FAIL, &err), MDM_OK);
    assert_int_equal(legacy_rows(f, r, &nulls), 3);
    assert_int_equal(nulls, 1);   /* the dataset has legacy's NULL */
    assert_false(scratch_there(f, r));
    mdm_router_shadow_stats(r, &st);
    assert_int_equal(st.mismatches, 1);
    mdm_router_free(r);
    writes_summary(f, &ev);
    assert_int_equal(ev.n[MDM_OUTCOME_MISMATCH], 1);
    char *log = mdm_test_slurp(f->log);
    assert_non_null(strstr(log, "\"operation\":\"create\""));
    assert_non_null(strstr(log, "\"checksums\":{\"rows\":\""));
    assert_non_null(strstr(log, "\"first_differing_rows\":{\"control\":\"2, NULL, NULL\","
                                "\"candidate\":\"2, , NULL\"}"));
    free(log);
}

static void shadow_writes__a_dead_writers_scratch_is_removed_first(void **state)
{
    fx *f = *state;
    mdm_error err;
    mdm_shadow_stats st;
    if (f->pg)
        MDM_TEST_REQUIRE_PG();
    mdm_router *r = router(f, 0, f->log);
    make_db(f, r);
    mdm_store *m = NULL;
    char scratch[420];
    snprintf(scratch, sizeof scratch, "%s.shadow", f->db);
    assert_int_equal(mdm_router_store(r, MDM_IMPL_MODERN, &m, &err), MDM_OK);
    if (!f->pg)
        assert_int_equal(m->ops->db_create(m, scratch, &err), MDM_OK);
    /* what a killed writer leaves: a scratch table with other rows */
    assert_int_equal(m->ops->write(m, f->pg ? f->db : scratch,
                                   f->pg ? MDM_STORE_SCRATCH_TABLE : "train", &f->t,
                                   MDM_IF_EXISTS_FAIL, NULL, NULL, &err), MDM_OK);
    mdm_strlist names;
    mdm_strlist_init(&names);
    assert_int_equal(m->ops->tables(m, f->db, &names, &err), MDM_OK);
    assert_int_equal(names.count, 0);   /* never a dataset's table */
    mdm_strlist_reset(&names);
    assert_int_equal(write_train(f, r, MDM_IF_EXISTS_FAIL, &err), MDM_OK);
    mdm_router_shadow_stats(r, &st);
    assert_int_equal(st.matches, 1);   /* the stale rows were not in the comparison */
    assert_false(scratch_there(f, r));
    mdm_router_free(r);
}

static void shadow_writes__a_candidate_that_cannot_start_changes_nothing(void **state)
{
    fx *f = *state;
    mdm_error err;
    mdm_shadow_stats st;
    size_t nulls = 0;
    char scratch[420];
    mdm_router *r = router(f, 0, f->log);
    make_db(f, r);
    snprintf(scratch, sizeof scratch, "%s.shadow", f->db);
    assert_int_equal(mkdir(scratch, 0755), 0);   /* no scratch file can be made there */
    assert_int_equal(write_train(f, r, MDM_IF_EXISTS_FAIL, &err), MDM_OK);
    assert_int_equal(legacy_rows(f, r, &nulls), 3);
    mdm_router_shadow_stats(r, &st);
    assert_int_equal(st.candidate_errors, 1);
    mdm_router_free(r);
    char *log = mdm_test_slurp(f->log);
    assert_non_null(strstr(log, "\"outcome\":\"candidate_error\""));
    free(log);
}

static void shadow_writes__refused_before_any_write(void **state)
{
    fx *f = *state;
    mdm_error err;
    size_t n = sizeof f->db + 4300;
    char *longdb = malloc(n);
    assert_non_null(longdb);
    mdm_router *r = router(f, 0, NULL);   /* no shadow log */
    assert_int_equal(write_train(f, r, MDM_IF_EXISTS_FAIL, &err), MDM_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "no log path"));
    mdm_router_free(r);
    r = router(f, 0, f->log);
    memset(longdb, 'a', n - 1);
    longdb[n - 1] = '\0';
    mdm_route rt;
    assert_int_equal(mdm_router_route(r, MDM_FLAG_OP_WRITE, "d", &rt, &err), MDM_OK);
    mdm_router_write w = {"d", longdb, "train", &f->t, MDM_IF_EXISTS_FAIL, NULL, NULL, NULL, 0, false};
    assert_int_equal(mdm_router_run_write(r, &rt, &w, &err), MDM_ERR_INVALID_ARG);
    assert_non_null(strstr(err.message, "too long for a shadow write"));
    mdm_router_free(r);
    free(longdb);
    assert_false(mdm_test_file_exists(f->db));
}

/* ---- Kills, through the program ------------------------------------------------------------- */

/* `mdm register d t.csv --if-exists append` under writes shadow, killed
 * after delay_us (or let finish when delay_us < 0); returns its status. */
static int register_killed_after(fx *f, const char *cfg, const char *home, long delay_us)
{
    char bin[512];
    mdm_test_cli_bin(bin, sizeof bin);
    const char *args[] = {"--home", home, "--config", cfg, "register", "d", f->csv,
                          "--if-exists", "append", NULL};
    pid_t pid = mdm_test_spawn(bin, args, f->dir, "/dev/null", "/dev/null");
    assert_true(pid > 0);
    if (delay_us >= 0) {
        struct timespec ts = {delay_us / 1000000, (delay_us % 1000000) * 1000};
        nanosleep(&ts, NULL);
        (void)kill(pid, SIGKILL);
    }
    return mdm_test_wait(pid);
}

static void shadow_writes__a_kill_leaves_the_dataset_and_the_counts_consistent(void **state)
{
    fx *f = *state;
    char cfg[400], home[400], ds[600], evidence[600], text[600];
    snprintf(cfg, sizeof cfg, "%s/mdm.yaml", f->dir);
    snprintf(home, sizeof home, "%s/home", f->dir);
    snprintf(ds, sizeof ds, "%s/datasets/d/dataset.sqlite", home);
    snprintf(evidence, sizeof evidence, "%s/rollout/evidence.sqlite", home);
    int n = snprintf(text, sizeof text, "rollout:\n  writes:\n    mode: shadow\n");
    assert_int_equal(mdm_test_write_file(cfg, text, (size_t)n), 0);
    assert_int_equal(register_killed_after(f, cfg, home, -1), 0);
    uint64_t legacy_appends = 1, done = 1;
    /* kills at several points: before, during and after the two writes */
    for (long us = 0; us <= 60000; us += 4000) {
        int rc = register_killed_after(f, cfg, home, us);
        assert_true(rc == 0 || rc == 128 + SIGKILL);
        done += rc == 0;
        mdm_store_settings set;
        mdm_flag_settings flags;
        mdm_router *r = NULL;
        mdm_store *legacy = NULL;
        mdm_read_opts o = MDM_READ_OPTS_INIT;
        mdm_table got;
        mdm_error err;
        memset(&set, 0, sizeof set);
        set.backend = "sqlite";
        set.pool = (mdm_pool_opts)MDM_POOL_OPTS_INIT;
        mdm_flag_settings_init(&flags);
        mdm_router_opts ro = {&set, &flags, NULL, NULL, NULL, NULL};
        assert_int_equal(mdm_router_new(&r, &ro, &err), MDM_OK);
        assert_int_equal(mdm_router_store(r, MDM_IMPL_MODERN, &legacy, &err), MDM_OK);
        mdm_table_init(&got);
        assert_int_equal(legacy->ops->read(legacy, ds, "train", &o, &got, &err), MDM_OK);
        /* whole appends only: legacy's append is one transaction */
        assert_int_equal(got.nrows % 3, 0);
        assert_true(got.nrows / 3 >= legacy_appends && got.nrows / 3 <= legacy_appends + 1);
        legacy_appends = got.nrows / 3;
        mdm_table_reset(&got);
        mdm_router_free(r);
    }
    /* a finished run after the kills: its scratch start removes any left */
    assert_int_equal(register_killed_after(f, cfg, home, -1), 0);
    legacy_appends++;
    done++;
    char scratch[620];
    snprintf(scratch, sizeof scratch, "%s.shadow", ds);
    assert_false(mdm_test_file_exists(scratch));
    mdm_evidence_summary ev;
    mdm_error err;
    assert_int_equal(mdm_evidence_summarize(evidence, 0, "writes", NULL, &ev, &err), MDM_OK);
    print_message("%llu runs finished, %llu appends made, %llu comparisons counted\n",
                  (unsigned long long)done, (unsigned long long)legacy_appends,
                  (unsigned long long)ev.total);
    /* every finished run counted once; a killed one at most once */
    assert_true(ev.total >= done && ev.total <= legacy_appends);
    assert_int_equal(ev.n[MDM_OUTCOME_MISMATCH] + ev.n[MDM_OUTCOME_CANDIDATE_ERROR], 0);
}

/* ---- The project's own data ------------------------------------------------------------------ */

/* Every CSV of fixtures/data registered, appended, read, queried and
 * replaced under reads and writes shadow: the differences shadow mode sees
 * are the ones fixtures/expected-differences lists, and nothing else. */
static void shadow_writes__the_projects_data_show_only_listed_differences(void **state)
{
    fx *f = *state;
    char src[512], cfg[400], home[400], bin[512], text[1400], script[2000], evidence[600];
    int n = 0;
    if (f->pg)
        MDM_TEST_REQUIRE_PG();
    mdm_test_source_dir(src, sizeof src);
    mdm_test_cli_bin(bin, sizeof bin);
    snprintf(cfg, sizeof cfg, "%s/mdm.yaml", f->dir);
    snprintf(home, sizeof home, "%s/home", f->dir);
    snprintf(evidence, sizeof evidence, "%s/rollout/evidence.sqlite", home);
    if (f->pg)
        assert_int_equal(mdm_test_pg_config(cfg, "mdmswd_"), 1);
    char *have = mdm_test_slurp(cfg);
    n = snprintf(text, sizeof text, "%srollout:\n  reads:\n    mode: shadow\n  writes:\n"
                 "    mode: shadow\n  expected_differences: %s/fixtures/expected-differences\n",
                 have, src);
    free(have);
    assert_int_equal(mdm_test_write_file(cfg, text, (size_t)n), 0);
    snprintf(script, sizeof script,
             "B=\"$0\" H=\"$1\" C=\"$2\" i=0; "
             "m() { \"$B\" --home \"$H\" --config \"$C\" \"$@\" >/dev/null 2>&1; }; "
             "for f in \"$3\"/fixtures/data/*.csv; do i=$((i+1)); "
             "m register d$i \"$f\"; m register d$i \"$f\" --if-exists append; m load d$i; "
             "m info d$i; m query d$i 'SELECT * FROM train'; "
             "m register d$i \"$f\" --if-exists replace; m load d$i --limit 2; "
             "m remove d$i; done; D=\"$3\"/fixtures/data; "
             /* what the list names by scenario label: limit 0, names legacy
              * pastes unquoted, an append with a new column */
             "m register x \"$D/iris.csv\"; m load x --limit 0; "
             "m register y \"$D/iris.csv\" --table 'my table'; m load y --table 'my table'; "
             "m info y; m register z \"$D/iris.csv\" --table Mixed; m load z --table Mixed; "
             "m info z; m register x \"$D/iris_new_column.csv\" --if-exists append; "
             "m remove x; m remove y; m remove z");
    const char *args[] = {"-c", script, bin, home, cfg, src, NULL};
    pid_t pid = mdm_test_spawn("/bin/sh", args, f->dir, "/dev/null", "/dev/null");
    assert_int_equal(mdm_test_wait(pid), 0);
    mdm_evidence_summary reads, writes;
    mdm_error err;
    assert_int_equal(mdm_evidence_summarize(evidence, 0, "reads", NULL, &reads, &err), MDM_OK);
    assert_int_equal(mdm_evidence_summarize(evidence, 0, "writes", NULL, &writes, &err), MDM_OK);
    print_message("reads: %llu compared, %llu expected; writes: %llu compared, %llu expected\n",
                  (unsigned long long)reads.total,
                  (unsigned long long)reads.n[MDM_OUTCOME_EXPECTED],
                  (unsigned long long)writes.total,
                  (unsigned long long)writes.n[MDM_OUTCOME_EXPECTED]);
    assert_true(reads.total >= 60 && writes.total >= 60);   /* 30 files and more */
    assert_true(reads.n[MDM_OUTCOME_EXPECTED] >= 3);   /* listed differences are seen... */
    for (int o = MDM_OUTCOME_MISMATCH; o < MDM_OUTCOME_COUNT; o++) {   /* ...and only those */
        assert_int_equal(reads.n[o], 0);
        assert_int_equal(writes.n[o], 0);
    }
    char log[450];
    snprintf(log, sizeof log, "%s/shadow.jsonl", home);
    assert_false(mdm_test_file_exists(log));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            shadow_writes__legacy_writes_modern_is_reconciled_and_scratch_goes, setup, teardown),
        cmocka_unit_test_setup_teardown(
            shadow_writes__legacy_writes_modern_is_reconciled_and_scratch_goes, setup_pg,
            teardown),
        cmocka_unit_test_setup_teardown(
            shadow_writes__a_planted_bug_is_a_mismatch_with_checksums, setup, teardown),
        cmocka_unit_test_setup_teardown(
            shadow_writes__a_planted_bug_is_a_mismatch_with_checksums, setup_pg, teardown),
        cmocka_unit_test_setup_teardown(
            shadow_writes__a_dead_writers_scratch_is_removed_first, setup, teardown),
        cmocka_unit_test_setup_teardown(
            shadow_writes__a_dead_writers_scratch_is_removed_first, setup_pg, teardown),
        cmocka_unit_test_setup_teardown(
            shadow_writes__a_candidate_that_cannot_start_changes_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(shadow_writes__refused_before_any_write, setup, teardown),
        cmocka_unit_test_setup_teardown(
            shadow_writes__a_kill_leaves_the_dataset_and_the_counts_consistent, setup, teardown),
        cmocka_unit_test_setup_teardown(
            shadow_writes__the_projects_data_show_only_listed_differences, setup, teardown),
        cmocka_unit_test_setup_teardown(
            shadow_writes__the_projects_data_show_only_listed_differences, setup_pg, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
