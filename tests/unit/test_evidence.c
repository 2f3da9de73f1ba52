/* SPDX-License-Identifier: MIT */
/*
 * test_evidence.c - the rollout's evidence file (adapter/mdm_evidence.c):
 * counts and histograms read back by generation, flag and operation; the
 * latency buckets; a missing file is no evidence; files it cannot use
 * (no folder, not a database, a foreign table, a write a trigger refuses)
 * are IO errors naming the path; many processes recording at once lose
 * nothing; a process killed while recording leaves every comparison
 * counted whole or not at all.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mdm_evidence.h"
#include "test_support.h"

typedef struct fx {
    char dir[256], path[320];
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    if (f == NULL || mdm_test_tmpdir(f->dir, sizeof f->dir) != 0)
        return -1;
    snprintf(f->path, sizeof f->path, "%s/evidence.sqlite", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    mdm_test_rmrf(f->dir);
    free(f);
    return 0;
}

static mdm_evidence_rec rec(long gen, const char *flag, const char *op, const char *ds,
                            mdm_outcome o, const char *id, double ctl, double cand)
{
    mdm_evidence_rec r = {gen, flag, op, ds, o, id, ctl, cand};
    return r;
}

static void put(const char *path, mdm_evidence_rec r)
{
    mdm_error err;
    assert_int_equal(mdm_evidence_record(path, &r, &err), MDM_OK);
}

/* Runs one SQL script on the file. */
static void sql(const char *path, const char *script)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, script, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

static void evidence__counts_read_back_by_generation_flag_and_operation(void **state)
{
    fx *f = *state;
    mdm_evidence_summary s;
    mdm_error err;
    for (int i = 0; i < 5; i++)
        put(f->path, rec(1, "reads", "load", i < 3 ? "a" : "b", MDM_OUTCOME_MATCH, NULL, 1, 2));
    put(f->path, rec(1, "reads", "query", "a", MDM_OUTCOME_EXPECTED, "sqlite-boolean", 1, 2));
    put(f->path, rec(1, "reads", "query", "c", MDM_OUTCOME_MISMATCH, NULL, 1, 2));
    put(f->path, rec(1, "reads", NULL, NULL, MDM_OUTCOME_CANDIDATE_ERROR, NULL, 1, 2));
    put(f->path, rec(2, "reads", "load", "a", MDM_OUTCOME_CONTROL_ERROR, NULL, 1, 2));
    put(f->path, rec(1, "writes", "register", "a", MDM_OUTCOME_MATCH, NULL, 1, 2));

    assert_int_equal(mdm_evidence_summarize(f->path, 1, "reads", NULL, &s, &err), MDM_OK);
    assert_int_equal(s.total, 8);
    assert_int_equal(s.n[MDM_OUTCOME_MATCH], 5);
    assert_int_equal(s.n[MDM_OUTCOME_EXPECTED], 1);
    assert_int_equal(s.n[MDM_OUTCOME_MISMATCH], 1);
    assert_int_equal(s.n[MDM_OUTCOME_CANDIDATE_ERROR], 1);
    assert_int_equal(s.n[MDM_OUTCOME_CONTROL_ERROR], 0);
    assert_int_equal(s.datasets, 4);   /* a, b, c and "" */
    /* 1 ms and 2 ms fall in buckets one octave apart: the ratio is 2 */
    assert_true(s.candidate_p50 / s.control_p50 > 1.99 && s.candidate_p50 / s.control_p50 < 2.01);
    assert_true(s.control_p99 >= s.control_p50);

    assert_int_equal(mdm_evidence_summarize(f->path, 1, "reads", "query", &s, &err), MDM_OK);
    assert_int_equal(s.total, 2);
    assert_int_equal(s.datasets, 2);
    assert_int_equal(mdm_evidence_summarize(f->path, 2, "reads", NULL, &s, &err), MDM_OK);
    assert_int_equal(s.total, 1);
    assert_int_equal(s.n[MDM_OUTCOME_CONTROL_ERROR], 1);
    assert_int_equal(mdm_evidence_summarize(f->path, 3, "reads", NULL, &s, &err), MDM_OK);
    assert_int_equal(s.total, 0);
    assert_true(s.control_p50 == 0.0 && s.candidate_p99 == 0.0);
}

static void evidence__outcome_names_and_buckets(void **state)
{
    (void)state;
    assert_string_equal(mdm_outcome_name(MDM_OUTCOME_MATCH), "match");
    assert_string_equal(mdm_outcome_name(MDM_OUTCOME_EXPECTED), "expected");
    assert_string_equal(mdm_outcome_name(MDM_OUTCOME_MISMATCH), "mismatch");
    assert_string_equal(mdm_outcome_name(MDM_OUTCOME_CANDIDATE_ERROR), "candidate_error");
    assert_string_equal(mdm_outcome_name(MDM_OUTCOME_CONTROL_ERROR), "control_error");
    assert_string_equal(mdm_outcome_name(MDM_OUTCOME_COUNT), "unknown");
    assert_int_equal(mdm_evidence_bucket(0.0), 0);
    assert_int_equal(mdm_evidence_bucket(-1.0), 0);
    assert_int_equal(mdm_evidence_bucket(0.0001), 0);
    assert_int_equal(mdm_evidence_bucket(0.001), 1);          /* 1 us */
    assert_int_equal(mdm_evidence_bucket(0.002), 5);          /* 2 us: one octave up */
    assert_int_equal(mdm_evidence_bucket(1e300), 127);        /* capped */
    assert_true(mdm_evidence_bucket_ms(0) < 0.001);
    for (int b = 1; b < 100; b++) {   /* a bucket's value falls back in it */
        double ms = mdm_evidence_bucket_ms(b);
        assert_int_equal(mdm_evidence_bucket(ms), b);
    }
}

static void evidence__a_missing_file_is_no_evidence(void **state)
{
    fx *f = *state;
    mdm_evidence_summary s;
    mdm_error err;
    memset(&s, 0xff, sizeof s);
    assert_int_equal(mdm_evidence_summarize(f->path, 1, "reads", NULL, &s, &err), MDM_OK);
    assert_int_equal(s.total, 0);
    assert_int_equal(s.datasets, 0);
    assert_false(mdm_test_file_exists(f->path));
}

static void evidence__unusable_files_are_io_errors_naming_the_path(void **state)
{
    fx *f = *state;
    mdm_error err;
    mdm_evidence_summary s;
    char nodir[400], junk[400], foreign[400], refused[400];
    mdm_evidence_rec r = rec(1, "reads", "load", "a", MDM_OUTCOME_MATCH, NULL, 1, 1);

    snprintf(nodir, sizeof nodir, "%s/no/such/evidence.sqlite", f->dir);
    assert_int_equal(mdm_evidence_record(nodir, &r, &err), MDM_ERR_IO);
    assert_non_null(strstr(err.message, nodir));
    assert_non_null(strstr(err.message, "open"));

    snprintf(junk, sizeof junk, "%s/junk.sqlite", f->dir);
    assert_int_equal(mdm_test_write_file(junk, "not a database at all, not at all....", 37), 0);
    assert_int_equal(mdm_evidence_record(junk, &r, &err), MDM_ERR_IO);
    assert_non_null(strstr(err.message, "begin"));
    assert_int_equal(mdm_evidence_summarize(junk, 1, "reads", NULL, &s, &err), MDM_ERR_IO);
    assert_non_null(strstr(err.message, junk));

    /* a counts table of another shape: the insert cannot be prepared */
    snprintf(foreign, sizeof foreign, "%s/foreign.sqlite", f->dir);
    sql(foreign, "CREATE TABLE counts(x)");
    assert_int_equal(mdm_evidence_record(foreign, &r, &err), MDM_ERR_IO);
    assert_non_null(strstr(err.message, "prepare"));
    assert_int_equal(mdm_evidence_summarize(foreign, 1, "reads", NULL, &s, &err), MDM_ERR_IO);

    /* a write refused while it runs: nothing of the comparison is kept */
    snprintf(refused, sizeof refused, "%s/refused.sqlite", f->dir);
    put(refused, r);
    sql(refused, "CREATE TRIGGER no_latency BEFORE INSERT ON latency "
                 "BEGIN SELECT RAISE(ABORT, 'refused'); END;");
    r.control_ms = 1000.0;   /* a bucket with no row yet: an INSERT */
    assert_int_equal(mdm_evidence_record(refused, &r, &err), MDM_ERR_IO);
    assert_non_null(strstr(err.message, "refused"));
    assert_int_equal(mdm_evidence_summarize(refused, 1, "reads", NULL, &s, &err), MDM_OK);
    assert_int_equal(s.total, 1);   /* the count of the refused one rolled back */
}

/* The three sums every comparison adds one to: they agree when no
 * comparison was half recorded. */
static void sums(const char *path, long long out[3])
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT (SELECT coalesce(sum(n),0) FROM counts),"
                                        " (SELECT coalesce(sum(n),0) FROM latency WHERE side='control'),"
                                        " (SELECT coalesce(sum(n),0) FROM latency WHERE side='candidate')",
                                        -1, &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    for (int i = 0; i < 3; i++)
        out[i] = sqlite3_column_int64(st, i);
    sqlite3_finalize(st);
    sqlite3_close(db);
}

static void recorder(const char *path, int n, int id)
{
    char ds[32];
    for (int i = 0; i < n; i++) {
        mdm_error err;
        snprintf(ds, sizeof ds, "d%d", (id + i) % 7);
        mdm_evidence_rec r = rec(1, "reads", "load", ds, (mdm_outcome)(i % MDM_OUTCOME_COUNT),
                                 NULL, 0.1 * (i % 13), 0.2 * (i % 11));
        if (mdm_evidence_record(path, &r, &err) != MDM_OK)
            _exit(1);
    }
}

static void evidence__concurrent_processes_lose_no_count(void **state)
{
    fx *f = *state;
    enum { PROCS = 4, EACH = 15 };
    pid_t pids[PROCS];
    long long s[3];
    for (int p = 0; p < PROCS; p++) {
        pids[p] = fork();
        assert_true(pids[p] >= 0);
        if (pids[p] == 0) {
            recorder(f->path, EACH, p);
            _exit(0);
        }
    }
    for (int p = 0; p < PROCS; p++) {
        int status = 0;
        assert_int_equal(waitpid(pids[p], &status, 0), pids[p]);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    sums(f->path, s);
    assert_int_equal(s[0], PROCS * EACH);
    assert_int_equal(s[1], PROCS * EACH);
    assert_int_equal(s[2], PROCS * EACH);
}

static void evidence__a_killed_recorder_leaves_whole_comparisons(void **state)
{
    fx *f = *state;
    long long s[3];
    /* kill recorders at several points of their work; whatever the point,
       each comparison is counted whole or not at all */
    for (int round = 0; round < 6; round++) {
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            recorder(f->path, 1000000, round);
            _exit(0);
        }
        usleep(20000 + 15000 * (useconds_t)round);
        assert_int_equal(kill(pid, SIGKILL), 0);
        assert_int_equal(waitpid(pid, NULL, 0), pid);
    }
    sums(f->path, s);
    assert_true(s[0] > 0);
    assert_int_equal(s[1], s[0]);
    assert_int_equal(s[2], s[0]);
    recorder(f->path, 3, 0);   /* and the file still takes more */
    long long t[3];
    sums(f->path, t);
    assert_int_equal(t[0], s[0] + 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(evidence__counts_read_back_by_generation_flag_and_operation,
                                        setup, teardown),
        cmocka_unit_test(evidence__outcome_names_and_buckets),
        cmocka_unit_test_setup_teardown(evidence__a_missing_file_is_no_evidence, setup, teardown),
        cmocka_unit_test_setup_teardown(evidence__unusable_files_are_io_errors_naming_the_path,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(evidence__concurrent_processes_lose_no_count, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(evidence__a_killed_recorder_leaves_whole_comparisons,
                                        setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
