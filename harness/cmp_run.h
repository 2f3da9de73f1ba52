/* SPDX-License-Identifier: MIT */
/*
 * cmp_run.h - one run of mdm-compare: its options, the scripts, the matrix
 * of cells (script x backend x {legacy, modern, legacy>modern,
 * modern>legacy}), running them in forked children (-j N, a time limit
 * each), analysing them against the control cell and the expected-
 * differences list, and the totals the reports print.
 */
#ifndef MDM_CMP_RUN_H
#define MDM_CMP_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cmp_diff.h"
#include "mdm_expect.h"
#include "cmp_script.h"

typedef enum mdm_cmp_verdict {
    MDM_CMP_MATCHED = 0,
    MDM_CMP_EXPECTED,
    MDM_CMP_UNEXPECTED
} mdm_cmp_verdict;

/* sqllogictest records (statement and query) of a cell, or summed. A
 * record that ran is passed (no difference), failed (a difference that
 * fails the run) or noted (only expected or reported differences). */
typedef struct mdm_cmp_records {
    size_t run, passed, skipped, failed, noted;
} mdm_cmp_records;

typedef struct mdm_cmp_cell {
    size_t script;             /* index into run->scripts */
    const char *backend;       /* "sqlite" | "postgresql" */
    const char *writer, *reader;
    char name[32];             /* "legacy", "modern", "legacy>modern", ... */
    size_t control;            /* index of the group's control cell */
    /* running */
    pid_t pid;
    int phase;                 /* 0 waiting, 1 running, 2 finished */
    double started, seconds;
    bool timed_out;
    int exit_code, term_signal;
    char dir[512];
    /* outcome */
    long unfinished;           /* op started but not finished, or -1 */
    mdm_cmp_diffs diffs;
    mdm_cmp_verdict verdict;
    mdm_cmp_records records;   /* sqllogictest files only */
    size_t reported;           /* differences reported only (--slt-engine) */
} mdm_cmp_cell;

typedef struct mdm_cmp_totals {
    size_t cells, matched, expected, unexpected;
} mdm_cmp_totals;

typedef struct mdm_cmp_opts {
    const char *backend;       /* "sqlite" | "postgresql" | "all" */
    const char *report_dir;
    const char *fixtures_dir;
    const char *expected_path;
    const char *gen_dir;
    int jobs;
    double timeout_s;
    bool cross;
    bool keep;
    bool verbose;
    const char *slt_engine;    /* engine the .test results were recorded with, or
                                  NULL: binding on every backend */
    unsigned mutate;           /* MDM_CMP_MUTATE_* */
    /* --random (cmp_random.c) */
    bool random;
    uint64_t seed;             /* --seed */
    double random_time_s;      /* --time: seconds of cases (when no --cases) */
    uint64_t random_cases;     /* --cases: this many cases; 0: --time decides */
    char **files;              /* explicit files, or none: all under fixtures */
    size_t nfiles;
} mdm_cmp_opts;

typedef struct mdm_cmp_run {
    mdm_cmp_opts opts;
    const char *pg_dsn;        /* when PostgreSQL is used */
    char pg_version[32];
    bool pg_missing;           /* wanted (all) but not reachable */
    const char *backends[2];
    size_t nbackends;
    mdm_cmp_script *scripts;
    size_t nscripts;
    mdm_expect_list expect;
    bool *stale;               /* per expected entry, after analysis */
    size_t nstale;
    mdm_cmp_cell *cells;
    size_t ncells;
    char tmp_dir[400];
    long run_id;
    double seconds;
    mdm_cmp_totals total, per_backend[2];
    mdm_cmp_records records;           /* every cell */
    mdm_cmp_records records_by[2][4];  /* [backend][cell of the group] */
    size_t reported;
} mdm_cmp_run;

/* Index of a cell in its group of four: 0 legacy, 1 modern, 2
 * legacy>modern, 3 modern>legacy; and the backend index (0 sqlite, 1
 * postgresql) of totals. */
size_t mdm_cmp_cell_slot(const mdm_cmp_run *r, const mdm_cmp_cell *c);
size_t mdm_cmp_backend_slot(const char *backend);

void mdm_cmp_run_init(mdm_cmp_run *r);
void mdm_cmp_run_reset(mdm_cmp_run *r);

/* Builds the matrix from the loaded scripts and backends. */
MDM_NODISCARD mdm_status mdm_cmp_run_plan(mdm_cmp_run *r, mdm_error *err);
/* Runs every cell in children, then analyses them (diffs, verdicts,
 * stale entries, totals). */
MDM_NODISCARD mdm_status mdm_cmp_run_execute(mdm_cmp_run *r, mdm_error *err);

/* Where op i of a cell's script is: "read (line 12)". */
void mdm_cmp_op_where(const mdm_cmp_script *s, size_t op, char *buf, size_t n);

#endif
