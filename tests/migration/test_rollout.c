/* SPDX-License-Identifier: MIT */
/*
 * test_rollout.c - `mdm rollout` end to end on SQLite, as operators run
 * it: datasets registered by legacy, several mdm processes reading or
 * writing at once between rounds, `advance` between rounds. A clean
 * candidate goes start -> reads shadow -> 50 % -> 100 % -> writes shadow ->
 * 50 % -> 100 % -> done in the steps the policy implies; the state and the
 * history say so; a broken state file is a configuration error naming file and
 * line; concurrent advances each take one decision. The planted-bug
 * rollback runs on the library (a store fault the program has no switch
 * for): shadow reads through a router whose modern store loses NULLs, then
 * decisions: hold on the first failed check, roll back on the second,
 * before modern served any dataset.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mdm_csv.h"
#include "mdm_rollout.h"
#include "mdm_router.h"
#include "test_mdm_cli.h"
#include "test_support.h"

#define NDATASETS 8

typedef struct fx {
    char dir[256], home[300], cfg[320], csv[320], out[320], errp[320], bin[512];
    bool pg;
} fx;

static int setup_on(void **state, bool pg)
{
    fx *f = calloc(1, sizeof *f);
    char src[512], cfg[2400];
    if (f == NULL || mdm_test_tmpdir(f->dir, sizeof f->dir) != 0)
        return -1;
    mdm_test_cli_bin(f->bin, sizeof f->bin);
    mdm_test_source_dir(src, sizeof src);
    snprintf(f->home, sizeof f->home, "%s/home", f->dir);
    snprintf(f->cfg, sizeof f->cfg, "%s/mdm.yaml", f->dir);
    snprintf(f->csv, sizeof f->csv, "%s/t.csv", f->dir);
    snprintf(f->out, sizeof f->out, "%s/out", f->dir);
    snprintf(f->errp, sizeof f->errp, "%s/err", f->dir);
    /* timing is no unit-test matter: the latency limit is out of reach */
    char storage[600] = "";
    if (pg && mdm_test_pg_dsn() != NULL)
        snprintf(storage, sizeof storage,
                 "storage:\n  default_backend: postgresql\n  backends:\n    postgresql:\n"
                 "      path_template: \"mdmro%ld_{name}\"\n      options:\n        dsn: \"%s\"\n",
                 (long)getpid(), mdm_test_pg_dsn());
    f->pg = pg;
    int n = snprintf(cfg, sizeof cfg,
                     "%s"
                     "rollout:\n"
                     "  expected_differences: %s/fixtures/expected-differences\n"
                     "  policy:\n"
                     "    step: 50\n"
                     "    min_comparisons: 12\n"
                     "    max_mismatch_rate: 0.3\n"
                     "    max_candidate_error_rate: 0.3\n"
                     "    max_p99_latency_ratio: 1000000\n"
                     "    rollback_after: 2\n",
                     storage, src);
    static const char csv[] = "id,name,ok,at\n1,a,True,2024-01-02T03:04:05\n"
                              "2,,False,\n3,c,True,2025-06-07T08:09:10\n";
    if (mdm_test_write_file(f->cfg, cfg, (size_t)n) != 0 ||
        mdm_test_write_file(f->csv, csv, sizeof csv - 1) != 0)
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
    for (int d = 0; f->pg && mdm_test_pg_dsn() != NULL && d < NDATASETS; d++) {
        char db[64];
        snprintf(db, sizeof db, "mdmro%ld_d%d", (long)getpid(), d);
        mdm_test_pg_drop_db(db);
    }
    mdm_test_rmrf(f->dir);
    free(f);
    return 0;
}

/* Runs mdm with --home and --config; returns its exit code. */
static int mdm(fx *f, const char *a1, const char *a2, const char *a3, const char *a4)
{
    const char *args[] = {"--home", f->home, "--config", f->cfg, a1, a2, a3, a4, NULL};
    pid_t pid = mdm_test_spawn(f->bin, args, f->dir, f->out, f->errp);
    assert_true(pid > 0);
    return mdm_test_wait(pid);
}

static char *out_of(fx *f)
{
    return mdm_test_slurp(f->out);
}

static void assert_out_has(fx *f, const char *part)
{
    char *o = out_of(f), *e = mdm_test_slurp(f->errp);
    if (strstr(o, part) == NULL)
        fail_msg("no '%s' in output:\n%s\nstderr:\n%s", part, o, e);
    free(o);
    free(e);
}

/* Several mdm processes, each running one command on every dataset: a
 * load (writes false), or a register of the CSV, appending in even
 * processes and replacing in odd ones (the dataset's write lock puts
 * writers one after the other). */
static void round_of(fx *f, int procs, bool writes)
{
    pid_t pids[8];
    for (int p = 0; p < procs; p++) {
        char script[4096], cmd[96];
        int n = snprintf(script, sizeof script, "for d in");
        for (int d = 0; d < NDATASETS; d++)
            n += snprintf(script + n, sizeof script - (size_t)n, " d%d", d);
        snprintf(cmd, sizeof cmd, writes ? "register $d \"$3\" --if-exists %s" : "load $d",
                 p % 2 ? "replace" : "append");
        snprintf(script + n, sizeof script - (size_t)n,
                 "; do \"$0\" --home \"$1\" --config \"$2\" %s >/dev/null || exit 9; done", cmd);
        const char *args[] = {"-c", script, f->bin, f->home, f->cfg, f->csv, NULL};
        pids[p] = mdm_test_spawn("/bin/sh", args, f->dir, "/dev/null", f->errp);
        assert_true(pids[p] > 0);
    }
    for (int p = 0; p < procs; p++)
        assert_int_equal(mdm_test_wait(pids[p]), 0);
}

static void round_of_reads(fx *f, int procs)
{
    round_of(f, procs, false);
}

static void round_of_writes(fx *f, int procs)
{
    round_of(f, procs, true);
}

static int history_lines(fx *f, const char *decision)
{
    char path[400], pat[64];
    snprintf(path, sizeof path, "%s/rollout/history.jsonl", f->home);
    snprintf(pat, sizeof pat, "\"decision\":\"%s\"", decision);
    char *h = mdm_test_slurp(path);
    int n = 0;
    for (char *p = h; (p = strstr(p, pat)) != NULL; p++)
        n++;
    free(h);
    return n;
}

static void rollout__a_clean_candidate_reaches_all_reads_in_the_policys_steps(void **state)
{
    fx *f = *state;
    char name[16];
    int above = 0;
    if (f->pg)
        MDM_TEST_REQUIRE_PG();
    for (int d = 0; d < NDATASETS; d++) {
        snprintf(name, sizeof name, "d%d", d);
        assert_int_equal(mdm(f, "register", name, f->csv, NULL), 0);
        above += mdm_flag_bucket(MDM_FLAG_READS, name) > 50;
    }
    assert_true(above > 0);   /* some datasets stay in shadow at 50 % */

    assert_int_equal(mdm(f, "rollout", "advance", NULL, NULL), 0);   /* start */
    assert_out_has(f, "reads shadow");
    assert_int_equal(mdm(f, "rollout", "advance", NULL, NULL), 0);   /* no evidence yet */
    assert_out_has(f, "not enough evidence: 0 of 12");
    round_of_reads(f, 3);
    assert_int_equal(mdm(f, "rollout", "status", NULL, NULL), 0);
    assert_out_has(f, "mismatch 0, candidate_error 0");
    assert_out_has(f, "comparisons                24 (8 datasets)");
    if (!f->pg)
        assert_out_has(f, "expected 24");   /* BOOLEAN read as INT64: listed, not a mismatch */
    assert_int_equal(mdm(f, "rollout", "advance", NULL, NULL), 0);
    assert_out_has(f, "reads modern 50%");
    round_of_reads(f, 3);
    assert_int_equal(mdm(f, "flags", NULL, NULL, NULL), 0);
    assert_out_has(f, "rollout ");   /* the state is the flag's source */
    assert_int_equal(mdm(f, "rollout", "advance", NULL, NULL), 0);
    assert_out_has(f, "reads modern 100%");
    round_of_reads(f, 3);
    assert_int_equal(mdm(f, "rollout", "advance", NULL, NULL), 0);
    assert_out_has(f, "writes shadow");
    assert_int_equal(mdm(f, "rollout", "advance", NULL, NULL), 0);   /* no write evidence yet */
    assert_out_has(f, "not enough evidence: 0 of 12");
    round_of_writes(f, 3);
    assert_int_equal(mdm(f, "rollout", "status", NULL, NULL), 0);
    assert_out_has(f, "mismatch 0, candidate_error 0");
    assert_int_equal(mdm(f, "rollout", "advance", NULL, NULL), 0);
    assert_out_has(f, "writes modern 50%");
    round_of_writes(f, 3);   /* the datasets not yet moved are still shadowed */
    assert_int_equal(mdm(f, "rollout", "advance", NULL, NULL), 0);
    assert_out_has(f, "writes modern 50%  done: legacy can be removed");   /* writes 100 % */
    assert_int_equal(mdm(f, "rollout", "advance", NULL, NULL), 0);
    assert_out_has(f, "reads and writes are on modern at 100%: legacy can be removed");
    assert_int_equal(history_lines(f, "advance"), 6);
    assert_int_equal(history_lines(f, "hold"), 2);
    assert_int_equal(history_lines(f, "rollback"), 0);
    assert_int_equal(history_lines(f, "done"), 1);
    assert_int_equal(mdm(f, "rollout", "history", "--format", "csv"), 0);
    assert_out_has(f, "reads modern 50%,reads modern 100%");
    assert_out_has(f, "writes shadow,writes modern 50%");
    assert_int_equal(mdm(f, "load", "d0", NULL, NULL), 0);   /* modern serves, same rows */
    assert_out_has(f, "True");

    char page[400];
    snprintf(page, sizeof page, "%s/report.html", f->dir);
    assert_int_equal(mdm(f, "rollout", "report", "-o", page), 0);
    char *html = mdm_test_slurp(page);
    assert_non_null(strstr(html, "<!DOCTYPE html>"));
    assert_non_null(strstr(html, "Phase now: <b>done: legacy can be removed</b>. 9 decisions."));
    assert_int_equal(strstr(strstr(strstr(html, "<svg") + 1, "<svg") + 1, "<svg") != NULL, 1);
    assert_non_null(strstr(html, "<tr class=\"advance\">"));
    assert_null(strstr(html, "<script"));   /* self-contained: nothing runs or is fetched */
    assert_null(strstr(html, "src="));
    assert_null(strstr(html, "href="));
    free(html);
}

static void rollout__concurrent_advances_take_one_decision_each(void **state)
{
    fx *f = *state;
    pid_t pids[4];
    char path[400];
    for (int p = 0; p < 4; p++) {
        const char *args[] = {"--home", f->home, "--config", f->cfg, "rollout", "advance",
                              NULL};
        pids[p] = mdm_test_spawn(f->bin, args, f->dir, "/dev/null", f->errp);
        assert_true(pids[p] > 0);
    }
    for (int p = 0; p < 4; p++)
        assert_int_equal(mdm_test_wait(pids[p]), 0);
    /* one started the rollout; the other three held on no evidence */
    assert_int_equal(history_lines(f, "advance"), 1);
    assert_int_equal(history_lines(f, "hold"), 3);
    snprintf(path, sizeof path, "%s/rollout/state", f->home);
    char *st = mdm_test_slurp(path);
    assert_non_null(strstr(st, "generation = 1\n"));
    assert_non_null(strstr(st, "storage.reads = shadow\n"));
    free(st);
}

static void rollout__a_broken_state_or_command_is_refused_clearly(void **state)
{
    fx *f = *state;
    char dir[400], path[420];
    snprintf(dir, sizeof dir, "%s/rollout", f->home);
    assert_int_equal(mdm(f, "rollout", "sideways", NULL, NULL), 2);
    assert_int_equal(mdm(f, "rollout", "status", "--resume", NULL), 2);
    assert_int_equal(mdm(f, "rollout", "--help", NULL, NULL), 0);
    assert_out_has(f, "max_mismatch_rate");
    assert_out_has(f, "Clopper-Pearson");
    assert_int_equal(mdm(f, "rollout", "history", NULL, NULL), 0);   /* none yet */
    assert_int_equal(mdm(f, "rollout", "report", NULL, NULL), 0);
    assert_out_has(f, "No decision yet");
    assert_int_equal(mdm(f, "rollout", "status", "-o", "x.html"), 2);
    assert_int_equal(mdm(f, "rollout", "advance", NULL, NULL), 0);
    snprintf(path, sizeof path, "%s/state", dir);
    assert_int_equal(mdm_test_write_file(path, "generation = 1\nstorage.reads = sideways\n", 41),
                     0);
    assert_int_equal(mdm(f, "rollout", "status", NULL, NULL), 4);
    char *e = mdm_test_slurp(f->errp);
    assert_non_null(strstr(e, "state:2: unknown key or bad value for 'storage.reads'"));
    free(e);
    assert_int_equal(mdm(f, "list", NULL, NULL, NULL), 4);   /* every command: the flag needs it */
    assert_int_equal(history_lines(f, "advance"), 1);         /* nothing lost */
}

/* ---- The planted bug, on the library --------------------------------------------------- */

static mdm_status read_train(void *ctx, mdm_store *s, bool dry, mdm_table *out, mdm_error *err)
{
    mdm_read_opts ro = MDM_READ_OPTS_INIT;
    (void)dry;
    return s->ops->read(s, ctx, "train", &ro, out, err);
}

static void rollout__a_planted_bug_is_held_then_rolled_back_before_any_step(void **state)
{
    fx *f = *state;
    mdm_store_settings set;
    mdm_flag_settings flags;
    mdm_rollout_policy pol = MDM_ROLLOUT_POLICY_INIT;
    mdm_rollout_state st;
    mdm_rollout_decision d;
    mdm_rollout_paths p;
    mdm_error err;
    char db[400];
    pol.min_comparisons = 10;
    pol.max_p99_latency_ratio = 1e6;
    mdm_rollout_paths_init(&p, f->dir);
    assert_int_equal(mkdir(p.dir, 0755), 0);
    memset(&st, 0, sizeof st);
    memset(&set, 0, sizeof set);
    set.backend = "sqlite";
    set.pool = (mdm_pool_opts)MDM_POOL_OPTS_INIT;
    set.faults = MDM_STORE_FAULT_NULLS_AS_EMPTY;   /* the planted bug: modern writes lose NULLs */
    mdm_flag_settings_init(&flags);
    assert_int_equal(mdm_rollout_decide(&flags, &st, &pol, p.evidence, false, &d, &err), MDM_OK);
    assert_int_equal(d.action, MDM_ROLLOUT_ADVANCE);   /* start: reads shadow */
    assert_int_equal(mdm_rollout_state_save(p.state, &d.next, &err), MDM_OK);
    for (int round = 0; round < 2; round++) {
        assert_int_equal(mdm_rollout_state_load(p.state, &st, &err), MDM_OK);
        mdm_flag_settings_init(&flags);
        assert_int_equal(mdm_rollout_state_apply(&st, p.state, &flags, &err), MDM_OK);
        flags.writes.mode = MDM_IMPL_MODERN;   /* the bug is in modern's writes */
        mdm_router *r = NULL;
        mdm_router_opts ro = {&set, &flags, f->out, NULL, p.evidence, NULL};
        assert_int_equal(mdm_router_new(&r, &ro, &err), MDM_OK);
        for (int i = 0; i < 12; i++) {
            mdm_route rt;
            mdm_table t, got;
            char name[16];
            snprintf(name, sizeof name, "p%d_%d", round, i);
            snprintf(db, sizeof db, "%s/%s.sqlite", f->dir, name);
            assert_int_equal(mdm_router_route(r, MDM_FLAG_OP_WRITE, name, &rt, &err), MDM_OK);
            assert_int_equal(mdm_csv_read_file(f->csv, NULL, &t, &err), MDM_OK);
            assert_int_equal(rt.serve->ops->db_create(rt.serve, db, &err), MDM_OK);
            assert_int_equal(rt.serve->ops->write(rt.serve, db, "train", &t, MDM_IF_EXISTS_FAIL,
                                                  NULL, NULL, &err), MDM_OK);
            assert_int_equal(mdm_router_route(r, MDM_FLAG_OP_READ, name, &rt, &err), MDM_OK);
            assert_int_equal(rt.d.impl, MDM_IMPL_SHADOW);   /* modern never served a read */
            mdm_router_read rd = {"load", name, "train", false, read_train, db};
            mdm_table_init(&got);
            assert_int_equal(mdm_router_run_read(r, &rt, &rd, &got, &err), MDM_OK);
            mdm_table_reset(&got);
            mdm_table_reset(&t);
        }
        mdm_router_free(r);
        mdm_flag_settings_init(&flags);
        assert_int_equal(mdm_rollout_state_apply(&st, p.state, &flags, &err), MDM_OK);
        assert_int_equal(mdm_rollout_decide(&flags, &st, &pol, p.evidence, false, &d, &err),
                         MDM_OK);
        assert_true(d.ev.mismatch_rate > pol.max_mismatch_rate);
        assert_int_equal(d.action, round == 0 ? MDM_ROLLOUT_HOLD : MDM_ROLLOUT_ROLLBACK);
        assert_true(d.write_state);
        assert_int_equal(mdm_rollout_state_save(p.state, &d.next, &err), MDM_OK);
        assert_int_equal(mdm_rollout_history_append(p.history, &d, d.next.generation, &err),
                         MDM_OK);
    }
    assert_non_null(strstr(d.reason, "failed check 2 of 2"));
    assert_true(d.next.kill_switch);
    assert_int_equal(d.next.reads, MDM_IMPL_SHADOW);   /* it never reached modern */
    /* held with the kill switch on until --resume */
    assert_int_equal(mdm_rollout_state_load(p.state, &st, &err), MDM_OK);
    mdm_flag_settings_init(&flags);
    assert_int_equal(mdm_rollout_state_apply(&st, p.state, &flags, &err), MDM_OK);
    assert_int_equal(mdm_rollout_decide(&flags, &st, &pol, p.evidence, false, &d, &err), MDM_OK);
    assert_int_equal(d.action, MDM_ROLLOUT_HOLD);
    assert_int_equal(mdm_rollout_decide(&flags, &st, &pol, p.evidence, true, &d, &err), MDM_OK);
    assert_int_equal(d.action, MDM_ROLLOUT_RESUME);
    assert_false(d.next.kill_switch);
}

/* n comparisons of flag with the given outcome, in generation g. */
static void evidence_of(const char *path, long g, const char *flag, mdm_outcome oc, int n)
{
    mdm_error err;
    for (int i = 0; i < n; i++) {
        char ds[16];
        snprintf(ds, sizeof ds, "d%d", i);
        mdm_evidence_rec rec = {g, flag, "write", ds, oc, NULL, 1.0, 1.0};
        assert_int_equal(mdm_evidence_record(path, &rec, &err), MDM_OK);
    }
}

/* One decision from a state with the given evidence of its generation. */
static void decide_on(const char *evidence, mdm_rollout_state *st, const mdm_rollout_policy *pol,
                      mdm_rollout_decision *d)
{
    mdm_flag_settings flags;
    mdm_error err;
    mdm_flag_settings_init(&flags);
    assert_int_equal(mdm_rollout_state_apply(st, "state", &flags, &err), MDM_OK);
    assert_int_equal(mdm_rollout_decide(&flags, st, pol, evidence, false, d, &err), MDM_OK);
}

static void rollout__step_back_lowers_the_failing_flag_one_step(void **state)
{
    fx *f = *state;
    mdm_rollout_policy pol = MDM_ROLLOUT_POLICY_INIT;
    mdm_rollout_state st;
    mdm_rollout_decision d;
    char evidence[400];
    snprintf(evidence, sizeof evidence, "%s/evidence.sqlite", f->dir);
    pol.step = 50;
    pol.min_comparisons = 10;
    pol.rollback_after = 1;
    pol.rollback = MDM_ROLLBACK_STEP_BACK;
    memset(&st, 0, sizeof st);
    st.exists = true;
    st.generation = 7;
    st.reads = st.writes = MDM_IMPL_MODERN;
    st.reads_percent = 100;
    st.writes_percent = 100;
    evidence_of(evidence, 7, "writes", MDM_OUTCOME_MISMATCH, 20);   /* at writes 100 % */
    decide_on(evidence, &st, &pol, &d);
    assert_int_equal(d.action, MDM_ROLLOUT_DONE);   /* nothing is compared any more */
    st.writes_percent = 50;   /* the rest of the writes are shadowed: they fail */
    decide_on(evidence, &st, &pol, &d);
    assert_int_equal(d.action, MDM_ROLLOUT_ROLLBACK);
    assert_non_null(strstr(d.reason, "one step back"));
    assert_false(d.next.kill_switch);
    assert_int_equal(d.next.writes, MDM_IMPL_SHADOW);   /* 50 - 50: back to shadow */
    assert_int_equal(d.next.reads, MDM_IMPL_MODERN);
    assert_int_equal(d.next.reads_percent, 100);        /* reads stay where they were */
    st = d.next;
    evidence_of(evidence, st.generation, "writes", MDM_OUTCOME_CANDIDATE_ERROR, 20);
    decide_on(evidence, &st, &pol, &d);
    assert_int_equal(d.action, MDM_ROLLOUT_ROLLBACK);   /* nothing under shadow: kill switch */
    assert_true(d.next.kill_switch);
    assert_non_null(strstr(d.reason, "kill switch on"));
    memset(&st, 0, sizeof st);
    st.exists = true;
    st.generation = 20;
    st.reads = MDM_IMPL_MODERN;
    st.reads_percent = 100;
    st.writes_percent = 100;
    pol.step = 30;
    st.reads_percent = 90;
    evidence_of(evidence, 20, "reads", MDM_OUTCOME_MISMATCH, 20);
    decide_on(evidence, &st, &pol, &d);
    assert_int_equal(d.action, MDM_ROLLOUT_ROLLBACK);
    assert_int_equal(d.next.reads, MDM_IMPL_MODERN);
    assert_int_equal(d.next.reads_percent, 60);   /* one step down, still on modern */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            rollout__a_clean_candidate_reaches_all_reads_in_the_policys_steps, setup, teardown),
        cmocka_unit_test_setup_teardown(
            rollout__a_clean_candidate_reaches_all_reads_in_the_policys_steps, setup_pg, teardown),
        cmocka_unit_test_setup_teardown(rollout__concurrent_advances_take_one_decision_each,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(rollout__a_broken_state_or_command_is_refused_clearly,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            rollout__a_planted_bug_is_held_then_rolled_back_before_any_step, setup, teardown),
        cmocka_unit_test_setup_teardown(rollout__step_back_lowers_the_failing_flag_one_step,
                                        setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
