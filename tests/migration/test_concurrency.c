/* SPDX-License-Identifier: MIT */
/*
 * test_concurrency.c - the concurrency suite (issue 13): 2 to 8 `mdm`
 * processes started together on one dataset, over
 *   {legacy, modern, mixed} x {fail, replace, append} x {SQLite, PostgreSQL},
 * ROUNDS rounds each (the number of processes cycles through 2..8). Every
 * outcome must be a clean win or a clean error, and every row accounted for:
 *
 *   fail     a name nobody has yet (a new dataset on even rounds, a new table
 *            of an existing one on odd ones): exactly one process exits 0,
 *            every other exits 5 "already exists", and the table holds
 *            exactly the winner's rows;
 *   replace  every process exits 0 and the table is exactly one of the
 *            inputs of that round;
 *   append   every process exits 0 and the table holds, per input, exactly
 *            the rows of every append that succeeded so far.
 *
 * Processes are forked directly (the built mdm, as users run it); inputs are
 * small CSVs, input k holding 3 + k rows of tag k. "mixed" alternates legacy
 * and modern by process and round. Each cell prints its time. Nothing here
 * depends on timing: a round's checks hold for every interleaving.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "test_mdm_cli.h"
#include "test_support.h"

#define ROUNDS 20
#define MAX_PROCS 8

typedef struct fx {
    char dir[256], home[320], bin[PATH_MAX];
    char csv[MAX_PROCS + 1][320];    /* input k: 3 + k rows of tag k */
    char want[MAX_PROCS + 1][256];   /* input k as `SELECT id, tag ... ORDER BY id` */
    char conf[320];                  /* --config: the backend and its options */
    bool pg;
    char *out, *err;
} fx;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int rows_of(int k)
{
    return 3 + k;
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    if (f == NULL || mdm_test_tmpdir(f->dir, sizeof f->dir) != 0)
        return -1;
    *state = f;
    mdm_test_cli_bin(f->bin, sizeof f->bin);
    snprintf(f->home, sizeof f->home, "%s/home", f->dir);
    for (int k = 0; k <= MAX_PROCS; k++) {
        char data[256] = "id,tag\n", line[32];
        for (int r = 0; r < rows_of(k); r++) {
            snprintf(line, sizeof line, "%d,%d\n", k * 100 + r, k);
            strcat(data, line);
        }
        snprintf(f->want[k], sizeof f->want[k], "%s", data);
        snprintf(f->csv[k], sizeof f->csv[k], "%s/in%d.csv", f->dir, k);
        if (mdm_test_write_file(f->csv[k], data, strlen(data)) != 0)
            return -1;
    }
    /* Durability is not what this suite tests, and an fsync per commit of
     * ~1,500 serialized writers would be most of its time: SQLite runs
     * with synchronous OFF here (the throwaway PostgreSQL has fsync off). */
    static const char yaml[] = "storage:\n  default_backend: sqlite\n  backends:\n    sqlite:\n"
                               "      options:\n        synchronous: \"OFF\"\n";
    snprintf(f->conf, sizeof f->conf, "%s/sqlite.yaml", f->dir);
    if (mdm_test_write_file(f->conf, yaml, strlen(yaml)) != 0)
        return -1;
    return mkdir(f->home, 0755);
}

static int setup_pg(void **state)
{
    char yaml[1200];
    fx *f;
    if (setup(state) != 0)
        return -1;
    f = *state;
    if (mdm_test_pg_dsn() == NULL)
        return 0;   /* each test skips */
    f->pg = true;
    snprintf(f->conf, sizeof f->conf, "%s/pg.yaml", f->dir);
    snprintf(yaml, sizeof yaml,
             "storage:\n  default_backend: postgresql\n  backends:\n    postgresql:\n"
             "      path_template: \"mdmc%ld_{name}\"\n      options:\n        dsn: \"%s\"\n",
             (long)getpid(), mdm_test_pg_dsn());
    return mdm_test_write_file(f->conf, yaml, strlen(yaml));
}

/* mdm's args: --home H [--config C] --impl I, then rest; out/err by slot. */
static pid_t start(fx *f, const char *impl, int slot, const char *const *rest)
{
    const char *args[32];
    char out[400], err[400];
    size_t n = 0;
    args[n++] = "--home";
    args[n++] = f->home;
    args[n++] = "--config";
    args[n++] = f->conf;
    args[n++] = "--impl";
    args[n++] = impl;
    for (size_t i = 0; rest[i] != NULL && n < 31; i++)
        args[n++] = rest[i];
    args[n] = NULL;
    snprintf(out, sizeof out, "%s/out%d", f->dir, slot);
    snprintf(err, sizeof err, "%s/err%d", f->dir, slot);
    return mdm_test_spawn(f->bin, args, f->dir, out, err);
}

static void collect(fx *f, int slot)
{
    char out[400], err[400];
    snprintf(out, sizeof out, "%s/out%d", f->dir, slot);
    snprintf(err, sizeof err, "%s/err%d", f->dir, slot);
    free(f->out);
    free(f->err);
    f->out = mdm_test_slurp(out);
    f->err = mdm_test_slurp(err);
}

/* One mdm run to completion (modern), its exit code; f->out, f->err. */
static int run(fx *f, const char *const *rest)
{
    int rc = mdm_test_wait(start(f, "modern", MAX_PROCS, rest));
    collect(f, MAX_PROCS);
    return rc;
}

/* `SELECT id, tag FROM <table> ORDER BY id` of the dataset, as CSV. */
static char *table_rows(fx *f, const char *name, const char *table)
{
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT id, tag FROM %s ORDER BY id", table);
    const char *rest[] = {"query", name, sql, "--format", "csv", NULL};
    if (run(f, rest) != 0)
        fail_msg("query %s.%s: %s", name, table, f->err);
    return strdup(f->out);
}

typedef enum { IMPL_LEGACY, IMPL_MODERN, IMPL_MIXED } impl_kind;

static const char *impl_of(impl_kind k, int proc, int round)
{
    if (k == IMPL_MIXED)
        return (proc + round) % 2 == 0 ? "legacy" : "modern";
    return k == IMPL_LEGACY ? "legacy" : "modern";
}

/* Starts n registers of name (table, mode): process p writes input p + 1. */
static void race(fx *f, impl_kind ik, int round, int n, const char *name, const char *table,
                 const char *mode, int rc[MAX_PROCS], char *errs[MAX_PROCS])
{
    pid_t pid[MAX_PROCS];
    for (int p = 0; p < n; p++) {
        const char *rest[] = {"register", name, f->csv[p + 1], "--table", table,
                              "--if-exists", mode, NULL};
        pid[p] = start(f, impl_of(ik, p, round), p, rest);
    }
    for (int p = 0; p < n; p++) {
        rc[p] = mdm_test_wait(pid[p]);
        collect(f, p);
        errs[p] = strdup(f->err);
    }
}

static void free_errs(char *errs[MAX_PROCS], int n)
{
    for (int p = 0; p < n; p++)
        free(errs[p]);
}

/* Processes per round: every count from 2 to 8, pairs most often (the
 * commonest meeting, and the cheapest: 64 processes a cell). */
static int procs_of(int round)
{
    static const int plan[ROUNDS] = {2, 3, 2, 4, 2, 5, 2, 6, 2, 7,
                                     2, 8, 2, 2, 3, 2, 2, 4, 2, 2};
    return plan[round % ROUNDS];
}

/* fail: one winner, every other one a clean "already exists". */
static void round_fail(fx *f, impl_kind ik, int round, const char *cell)
{
    int n = procs_of(round), rc[MAX_PROCS], winner = -1;
    char *errs[MAX_PROCS], name[32], table[32];
    /* even rounds: a new dataset; odd: a new table of the cell's dataset */
    if (round % 2 == 0)
        snprintf(name, sizeof name, "f%d_%d", (int)ik, round);
    else
        snprintf(name, sizeof name, "f%d_base", (int)ik);
    snprintf(table, sizeof table, "t%d", round);
    race(f, ik, round, n, name, table, "fail", rc, errs);
    for (int p = 0; p < n; p++) {
        if (rc[p] == 0 && winner < 0)
            winner = p;
        else if (rc[p] == 0)
            fail_msg("%s round %d: two winners (%d and %d)", cell, round, winner, p);
        else if (rc[p] != 5 || strstr(errs[p], "already exists") == NULL)
            fail_msg("%s round %d: process %d: exit %d: %s", cell, round, p, rc[p], errs[p]);
    }
    if (winner < 0)
        fail_msg("%s round %d: no winner among %d", cell, round, n);
    char *got = table_rows(f, name, table);
    if (strcmp(got, f->want[winner + 1]) != 0)
        fail_msg("%s round %d: the table is not the winner's input:\n%s", cell, round, got);
    free(got);
    free_errs(errs, n);
}

/* replace: everyone succeeds, one after the other; one input remains. */
static void round_replace(fx *f, impl_kind ik, int round, const char *name, const char *cell)
{
    int n = procs_of(round), rc[MAX_PROCS];
    char *errs[MAX_PROCS];
    bool one = false;
    race(f, ik, round, n, name, "train", "replace", rc, errs);
    for (int p = 0; p < n; p++)
        if (rc[p] != 0)
            fail_msg("%s round %d: process %d: exit %d: %s", cell, round, p, rc[p], errs[p]);
    char *got = table_rows(f, name, "train");
    for (int p = 0; p < n && !one; p++)
        one = strcmp(got, f->want[p + 1]) == 0;
    if (!one)
        fail_msg("%s round %d: the table is no single input:\n%s", cell, round, got);
    free(got);
    free_errs(errs, n);
}

/* append: everyone succeeds; rows per tag add up to what succeeded. */
static void round_append(fx *f, impl_kind ik, int round, const char *name, long count[],
                         const char *cell)
{
    int n = procs_of(round), rc[MAX_PROCS];
    char *errs[MAX_PROCS], want[512] = "tag,n\n", line[32];
    race(f, ik, round, n, name, "train", "append", rc, errs);
    for (int p = 0; p < n; p++) {
        if (rc[p] != 0)
            fail_msg("%s round %d: process %d: exit %d: %s", cell, round, p, rc[p], errs[p]);
        count[p + 1] += rows_of(p + 1);
    }
    for (int k = 0; k <= MAX_PROCS; k++) {
        if (count[k] == 0)
            continue;
        snprintf(line, sizeof line, "%d,%ld\n", k, count[k]);
        strcat(want, line);
    }
    const char *rest[] = {"query", name, "SELECT tag, count(*) AS n FROM train GROUP BY tag "
                          "ORDER BY tag", "--format", "csv", NULL};
    if (run(f, rest) != 0)
        fail_msg("%s round %d: query: %s", cell, round, f->err);
    if (strcmp(f->out, want) != 0)
        fail_msg("%s round %d: rows per input:\n%s\nwant:\n%s", cell, round, f->out, want);
    free_errs(errs, n);
}

/* No staging table or half-made dataset is visible after the cell. */
static void check_clean(fx *f, const char *name, const char *cell)
{
    const char *rest[] = {"info", name, "--format", "csv", NULL};
    if (run(f, rest) != 0)
        fail_msg("%s: info %s: %s", cell, name, f->err);
    if (strstr(f->out, "mdm__stage") != NULL)
        fail_msg("%s: info shows a staging table:\n%s", cell, f->out);
}

static void cell(void **state, bool pg, impl_kind ik, const char *mode)
{
    fx *f = *state;
    static const char *const impl_names[] = {"legacy", "modern", "mixed"};
    char label[96], name[32];
    long count[MAX_PROCS + 1] = {0};
    int procs = 0;
    if (pg)
        MDM_TEST_REQUIRE_PG();
    snprintf(label, sizeof label, "%s/%s/%s", pg ? "postgresql" : "sqlite", impl_names[ik], mode);
    snprintf(name, sizeof name, "c%d_%s", (int)ik, mode);
    double t0 = now_s();
    if (strcmp(mode, "fail") != 0) {   /* the dataset the rounds replace or append to */
        const char *rest[] = {"register", name, f->csv[0], NULL};
        if (run(f, rest) != 0)
            fail_msg("%s: first register: %s", label, f->err);
        count[0] = rows_of(0);
    } else {
        const char *rest[] = {"register", "", f->csv[0], "--table", "seed", NULL};
        snprintf(name, sizeof name, "f%d_base", (int)ik);
        rest[1] = name;
        if (run(f, rest) != 0)
            fail_msg("%s: first register: %s", label, f->err);
    }
    for (int r = 0; r < ROUNDS; r++) {
        if (strcmp(mode, "fail") == 0)
            round_fail(f, ik, r, label);
        else if (strcmp(mode, "replace") == 0)
            round_replace(f, ik, r, name, label);
        else
            round_append(f, ik, r, name, count, label);
        procs += procs_of(r);
    }
    check_clean(f, name, label);
    print_message("concurrency: %-24s %d rounds, %d processes, %.1f s\n", label, ROUNDS, procs,
                  now_s() - t0);
}

/* Drops every database the PostgreSQL cells made (the list names them). */
static void drop_pg_datasets(fx *f)
{
    const char *rest[] = {"list", "--format", "csv", NULL};
    if (run(f, rest) != 0)
        return;
    for (char *line = strtok(f->out, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        char *loc = strrchr(line, ',');
        if (loc != NULL && strstr(line, ",postgresql,") != NULL)
            mdm_test_pg_drop_db(loc + 1);
    }
}

static int teardown(void **state)
{
    fx *f = *state;
    if (f == NULL)
        return 0;
    if (f->pg)
        drop_pg_datasets(f);
    mdm_test_rmrf(f->dir);
    free(f->out);
    free(f->err);
    free(f);
    return 0;
}

#define CELL(backend, pg, ik, mode)                                     \
    static void concurrency__##backend##_##ik##_##mode(void **state)    \
    {                                                                   \
        cell(state, pg, ik, #mode);                                     \
    }

#define CELLS(backend, pg)                \
    CELL(backend, pg, IMPL_LEGACY, fail)    \
    CELL(backend, pg, IMPL_LEGACY, replace) \
    CELL(backend, pg, IMPL_LEGACY, append)  \
    CELL(backend, pg, IMPL_MODERN, fail)    \
    CELL(backend, pg, IMPL_MODERN, replace) \
    CELL(backend, pg, IMPL_MODERN, append)  \
    CELL(backend, pg, IMPL_MIXED, fail)     \
    CELL(backend, pg, IMPL_MIXED, replace)  \
    CELL(backend, pg, IMPL_MIXED, append)

CELLS(sqlite, false)
CELLS(postgresql, true)

#define T(backend, ik, mode, su) \
    cmocka_unit_test_setup_teardown(concurrency__##backend##_##ik##_##mode, su, teardown)
#define TS(backend, su)                                                                     \
    T(backend, IMPL_LEGACY, fail, su), T(backend, IMPL_LEGACY, replace, su),                \
        T(backend, IMPL_LEGACY, append, su), T(backend, IMPL_MODERN, fail, su),             \
        T(backend, IMPL_MODERN, replace, su), T(backend, IMPL_MODERN, append, su),          \
        T(backend, IMPL_MIXED, fail, su), T(backend, IMPL_MIXED, replace, su),              \
        T(backend, IMPL_MIXED, append, su)

int main(void)
{
    const struct CMUnitTest tests[] = {TS(sqlite, setup), TS(postgresql, setup_pg)};
    double t0 = now_s();
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    fprintf(stderr, "concurrency: 18 cells x %d rounds of 2..%d processes in %.1f s\n", ROUNDS,
            MAX_PROCS, now_s() - t0);
    return rc;
}
