/* SPDX-License-Identifier: MIT */
/*
 * test_cli_pgbouncer.c - `mdm` through pgbouncer in transaction pooling
 * mode (issue 13): the pgbouncer that ci/run-tests.sh starts in front of
 * the throwaway PostgreSQL (ci/pgbouncer.sh; MDM_PGBOUNCER_DSN), skipped
 * without one.
 *
 * Under transaction pooling each transaction may run on another server
 * connection, shared with other clients: a named prepared statement is
 * missing there or is someone else's ("mdm_s1" already exists: every
 * command of modern failed after the first), and pgbouncer keeps idle
 * server connections to a dataset's database, so a DROP DATABASE without
 * FORCE (legacy's) failed with "being accessed by other users".
 *
 * 1. Every command (register, append, replace, load, query, info, list,
 *    remove) on each --impl, outputs checked, a float that needs 17
 *    digits read back exactly.
 * 2. Three waves of 16 `mdm` processes at once: registers of distinct
 *    datasets, appends to a shared one, loads and queries of it, legacy
 *    and modern mixed. Readers must succeed; a writer may fail only
 *    cleanly (one line, exit 1 or 5). Afterwards every registered dataset
 *    holds exactly its rows, and the shared one exactly its first rows
 *    plus those of every append that succeeded: nothing lost, nothing
 *    extra.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <libpq-fe.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test_mdm_cli.h"
#include "test_support.h"

#define WAVES 3
#define PROCS 16
#define APPEND_ROWS 5

typedef struct fx {
    char dir[256], home[320], cfg[320], bin[PATH_MAX], prefix[64];
    int status;
    char *out, *err;
} fx;

static const char *bouncer_dsn(void)
{
    const char *d = getenv("MDM_PGBOUNCER_DSN");
    return d != NULL && d[0] != '\0' ? d : NULL;
}

static void write_text(const char *path, const char *text)
{
    assert_int_equal(mdm_test_write_file(path, text, strlen(text)), 0);
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    char yaml[1200];
    assert_non_null(f);
    assert_int_equal(mdm_test_tmpdir(f->dir, sizeof f->dir), 0);
    snprintf(f->home, sizeof f->home, "%s/home", f->dir);
    snprintf(f->cfg, sizeof f->cfg, "%s/pgbouncer.yaml", f->dir);
    snprintf(f->prefix, sizeof f->prefix, "mdmpgb%ld_", (long)getpid());
    assert_int_equal(mkdir(f->home, 0755), 0);
    snprintf(yaml, sizeof yaml,
             "storage:\n  default_backend: postgresql\n  backends:\n    postgresql:\n"
             "      path_template: \"%s{name}\"\n      options:\n        dsn: \"%s\"\n",
             f->prefix, bouncer_dsn() != NULL ? bouncer_dsn() : "");
    write_text(f->cfg, yaml);
    mdm_test_cli_bin(f->bin, sizeof f->bin);
    *state = f;
    return 0;
}

/* Drops every database the test made, straight on the server. */
static void drop_databases(const char *prefix)
{
    char sql[256];
    PGconn *c = mdm_test_pg_dsn() != NULL ? PQconnectdb(mdm_test_pg_dsn()) : NULL;
    if (c == NULL || PQstatus(c) != CONNECTION_OK) {
        PQfinish(c);
        return;
    }
    snprintf(sql, sizeof sql, "SELECT datname FROM pg_database WHERE datname LIKE '%s%%'",
             prefix);
    PGresult *r = PQexec(c, sql);
    for (int i = 0; PQresultStatus(r) == PGRES_TUPLES_OK && i < PQntuples(r); i++)
        mdm_test_pg_drop_db(PQgetvalue(r, i, 0));
    PQclear(r);
    PQfinish(c);
}

static int teardown(void **state)
{
    fx *f = *state;
    drop_databases(f->prefix);
    mdm_test_rmrf(f->dir);
    free(f->out);
    free(f->err);
    free(f);
    return 0;
}

/* Starts mdm --home H --config C --impl I args... (NULL-terminated list)
 * with its output in <dir>/<tag>.out and .err. */
static pid_t start(fx *f, const char *tag, const char *impl, const char *const *args)
{
    const char *argv[40];
    char out[400], err[400];
    size_t n = 0;
    argv[n++] = "--home";
    argv[n++] = f->home;
    argv[n++] = "--config";
    argv[n++] = f->cfg;
    argv[n++] = "--impl";
    argv[n++] = impl;
    for (size_t i = 0; args[i] != NULL && n < 39; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    snprintf(out, sizeof out, "%s/%s.out", f->dir, tag);
    snprintf(err, sizeof err, "%s/%s.err", f->dir, tag);
    pid_t pid = mdm_test_spawn(f->bin, argv, f->dir, out, err);
    assert_true(pid > 0);
    return pid;
}

/* Reads back what the process of tag wrote. */
static void collect(fx *f, const char *tag, int status)
{
    char path[400];
    f->status = status;
    free(f->out);
    free(f->err);
    snprintf(path, sizeof path, "%s/%s.out", f->dir, tag);
    f->out = mdm_test_slurp(path);
    snprintf(path, sizeof path, "%s/%s.err", f->dir, tag);
    f->err = mdm_test_slurp(path);
}

/* Runs one mdm command to its end: args NULL-terminated after impl. */
static int run(fx *f, const char *impl, ...)
{
    const char *args[32];
    size_t n = 0;
    va_list ap;
    va_start(ap, impl);
    for (const char *a; (a = va_arg(ap, const char *)) != NULL && n < 31;)
        args[n++] = a;
    va_end(ap);
    args[n] = NULL;
    collect(f, "run", mdm_test_wait(start(f, "run", impl, args)));
    return f->status;
}

static void ok(const fx *f, const char *what)
{
    if (f->status != 0)
        fail_msg("%s: exit %d, stderr: %s", what, f->status, f->err);
}

#define REQUIRE_BOUNCER()                                                \
    do {                                                                 \
        MDM_TEST_REQUIRE_PG();                                           \
        if (bouncer_dsn() == NULL) {                                     \
            print_message("MDM_PGBOUNCER_DSN not set: skipping\n");      \
            skip();                                                      \
        }                                                                \
    } while (0)

/* ---- every command --------------------------------------------------------------------- */

static const char base_csv[] = "id,name,score\n1,a,0.1\n2,b,2.5\n3,c,0.30000000000000004\n";

static void pgbouncer__every_command_works_on_every_impl(void **state)
{
    fx *f = *state;
    static const char *const impls[] = {"modern", "legacy", "shadow"};
    char csv[400], app[400];
    REQUIRE_BOUNCER();
    snprintf(csv, sizeof csv, "%s/d.csv", f->dir);
    snprintf(app, sizeof app, "%s/more.csv", f->dir);
    write_text(csv, base_csv);
    write_text(app, "id,name,score\n4,d,1e-300\n");
    for (size_t i = 0; i < (MDM_WITH_LEGACY ? 3u : 1u); i++) {
        const char *im = impls[i];
        run(f, im, "register", "every", csv, NULL);
        ok(f, "register");
        run(f, im, "load", "every", "--format", "csv", NULL);
        ok(f, "load");
        assert_string_equal(f->out, base_csv);
        run(f, im, "query", "every", "SELECT name FROM train WHERE id > :x ORDER BY id",
            "--param", "x=1", "--format", "csv", NULL);
        ok(f, "query");
        assert_string_equal(f->out, "name\nb\nc\n");
        run(f, im, "register", "every", app, "--if-exists", "append", NULL);
        ok(f, "append");
        run(f, im, "info", "every", "--format", "csv", NULL);
        ok(f, "info");
        assert_non_null(strstr(f->out, "train,4,id,BIGINT"));
        run(f, im, "register", "every", csv, "--if-exists", "replace", NULL);
        ok(f, "replace");
        run(f, im, "query", "every", "SELECT count(*) AS n FROM train", "--format", "csv", NULL);
        ok(f, "query after replace");
        assert_string_equal(f->out, "n\n3\n");
        run(f, im, "register", "every", csv, NULL);
        assert_int_equal(f->status, 5);   /* --if-exists fail: already exists */
        run(f, im, "list", "--format", "csv", NULL);
        ok(f, "list");
        assert_non_null(strstr(f->out, "\nevery,postgresql,"));
        /* pgbouncer holds idle server connections to the database: the
         * drop must still go through, on legacy's path too. */
        run(f, im, "remove", "every", NULL);
        ok(f, "remove");
        run(f, im, "load", "every", NULL);
        assert_int_equal(f->status, 3);
    }
}

/* ---- 16 processes at once -------------------------------------------------------------- */

typedef enum { REGISTER, APPEND, LOAD, QUERY } job_kind;

typedef struct job {
    job_kind kind;
    const char *impl;
    char tag[32], name[32], csv[400];
    int rows, first_id;   /* register: rows; append: its ids first_id.. */
    pid_t pid;
    int status;
} job;

/* A CSV of n rows with ids first.. into path; its text into want (may be NULL). */
static void make_csv(const char *path, int first, int n, char *want, size_t cap)
{
    char text[4096];
    size_t len = (size_t)snprintf(text, sizeof text, "id,name,score\n");
    for (int k = 0; k < n; k++)
        len += (size_t)snprintf(text + len, sizeof text - len, "%d,n%d,%d.25\n", first + k,
                                first + k, first + k);
    write_text(path, text);
    if (want != NULL)
        snprintf(want, cap, "%s", text);
}

static void plan_wave(fx *f, int wave, job *jobs)
{
    for (int i = 0; i < PROCS; i++) {
        job *j = &jobs[i];
        memset(j, 0, sizeof *j);
        j->kind = (job_kind)(i % 4);
        j->impl = MDM_WITH_LEGACY && (i / 4 + wave) % 2 == 0 ? "legacy" : "modern";
        snprintf(j->tag, sizeof j->tag, "w%d_p%d", wave, i);
        snprintf(j->csv, sizeof j->csv, "%s/%s.csv", f->dir, j->tag);
        if (j->kind == REGISTER) {
            snprintf(j->name, sizeof j->name, "r%d_%d", wave, i);
            j->rows = 1 + i + wave;
            make_csv(j->csv, 1, j->rows, NULL, 0);
        } else if (j->kind == APPEND) {
            j->first_id = 1000 * (wave + 1) + 10 * i;
            make_csv(j->csv, j->first_id, APPEND_ROWS, NULL, 0);
        }
    }
}

static void start_job(fx *f, job *j)
{
    const char *reg[] = {"register", j->name, j->csv, NULL};
    const char *app[] = {"register", "shared", j->csv, "--if-exists", "append", NULL};
    const char *load[] = {"load", "shared", "--format", "csv", NULL};
    const char *query[] = {"query", "shared", "SELECT count(*) AS n FROM train", "--format", "csv",
                           NULL};
    const char *const *args[] = {reg, app, load, query};
    j->pid = start(f, j->tag, j->impl, args[j->kind]);
}

static size_t count_lines(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

/* A writer that lost: one line on stderr, exit 1 or 5. */
static void assert_clean_failure(const fx *f, const job *j)
{
    const char *nl = strchr(f->err, '\n');
    if ((f->status != 1 && f->status != 5) || strncmp(f->err, "mdm: register: ", 15) != 0 ||
        nl == NULL || nl[1] != '\0')
        fail_msg("%s (%s): not a clean failure: exit %d, stderr: %s", j->tag, j->impl,
                 f->status, f->err);
}

/* Checks one finished process; counts successful writers. */
static void check_job(fx *f, job *j, int *writes_ok, int *writes_failed)
{
    collect(f, j->tag, j->status);
    if (j->kind == LOAD || j->kind == QUERY) {
        if (f->status != 0)
            fail_msg("%s (%s): a reader failed: exit %d, stderr: %s", j->tag, j->impl,
                     f->status, f->err);
        /* A reader sees the first rows and whole appends, never part of one. */
        long rows = j->kind == LOAD ? (long)count_lines(f->out) - 1
                                    : (strncmp(f->out, "n\n", 2) == 0 ? atol(f->out + 2) : -1);
        if (rows < 3 || (rows - 3) % APPEND_ROWS != 0)
            fail_msg("%s (%s): read %ld rows of shared: %s", j->tag, j->impl, rows, f->out);
        return;
    }
    if (f->status == 0) {
        (*writes_ok)++;
        return;
    }
    assert_clean_failure(f, j);
    (*writes_failed)++;
    j->status = -1;   /* lost cleanly: its rows must not be there */
}

/* Does the CSV text hold the row of id exactly once? */
static int count_id(const char *csv, int id)
{
    char needle[32];
    int n = 0;
    snprintf(needle, sizeof needle, "\n%d,n%d,", id, id);
    for (const char *p = csv; (p = strstr(p, needle)) != NULL; p++)
        n++;
    return n;
}

static void pgbouncer__sixteen_processes_lose_nothing(void **state)
{
    fx *f = *state;
    static job jobs[WAVES][PROCS];
    char base[400], want[4096];
    int writes_ok = 0, writes_failed = 0;
    REQUIRE_BOUNCER();
    snprintf(base, sizeof base, "%s/shared.csv", f->dir);
    make_csv(base, 1, 3, NULL, 0);
    run(f, "modern", "register", "shared", base, NULL);
    ok(f, "register shared");
    for (int w = 0; w < WAVES; w++) {
        plan_wave(f, w, jobs[w]);
        for (int i = 0; i < PROCS; i++)
            start_job(f, &jobs[w][i]);
        for (int i = 0; i < PROCS; i++)
            jobs[w][i].status = mdm_test_wait(jobs[w][i].pid);
        for (int i = 0; i < PROCS; i++)
            check_job(f, &jobs[w][i], &writes_ok, &writes_failed);
    }
    print_message("pgbouncer: %d writes succeeded, %d failed cleanly\n", writes_ok,
                  writes_failed);
    assert_true(writes_ok > 0);

    /* Every registered dataset: exactly its rows. */
    int appended = 0;
    for (int w = 0; w < WAVES; w++) {
        for (int i = 0; i < PROCS; i++) {
            const job *j = &jobs[w][i];
            if (j->kind == APPEND && j->status == 0)
                appended++;
            if (j->kind != REGISTER || j->status != 0)
                continue;
            make_csv(j->csv, 1, j->rows, want, sizeof want);
            run(f, "modern", "load", j->name, "--format", "csv", NULL);
            ok(f, j->tag);
            assert_string_equal(f->out, want);
        }
    }
    /* The shared one: its first rows, every successful append once, no
     * row of an append that failed, nothing else. */
    run(f, MDM_WITH_LEGACY ? "legacy" : "modern", "load", "shared", "--format", "csv", NULL);
    ok(f, "load shared");
    for (int id = 1; id <= 3; id++)
        assert_int_equal(count_id(f->out, id), 1);
    for (int w = 0; w < WAVES; w++) {
        for (int i = 0; i < PROCS; i++) {
            const job *j = &jobs[w][i];
            for (int k = 0; j->kind == APPEND && k < APPEND_ROWS; k++)
                if (count_id(f->out, j->first_id + k) != (j->status == 0 ? 1 : 0))
                    fail_msg("%s (%s, exit %d): id %d is there %d times", j->tag, j->impl,
                             j->status, j->first_id + k, count_id(f->out, j->first_id + k));
        }
    }
    assert_int_equal(count_lines(f->out), 1 + 3 + (size_t)appended * APPEND_ROWS);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(pgbouncer__every_command_works_on_every_impl),
        T(pgbouncer__sixteen_processes_lose_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
