/* SPDX-License-Identifier: MIT */
/*
 * mdm_shadow.h - shadow mode for reads, as GitHub's Scientist does it: the
 * control (legacy) answers the caller, the candidate (modern) runs as well,
 * the two results are compared, every unexpected mismatch is appended to a
 * JSON Lines log, differences the expected-differences list names are
 * counted as expected, and (with an evidence file) every run is counted by
 * outcome (mdm_evidence.h).
 *
 * A shadow runner is a caller-owned struct holding the log path, the
 * comparison options and counters; it keeps no file open between calls.
 * Whatever the candidate does (fails, returns other rows), the caller gets
 * exactly the control's status, table and error.
 */
#ifndef MDM_SHADOW_H
#define MDM_SHADOW_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "mdm_evidence.h"
#include "mdm_expect.h"
#include "mdm_status.h"
#include "mdm_table.h"

/* One side of an experiment: fills out (initialised, empty) or fails. */
typedef mdm_status (*mdm_shadow_fn)(void *arg, mdm_table *out, mdm_error *err);

typedef struct mdm_shadow_stats {
    uint64_t runs;             /* experiments run */
    uint64_t matches;          /* same result (or same error kind) */
    uint64_t expected;         /* differences fixtures/expected-differences lists
                                  (counted as evidence, not logged) */
    uint64_t mismatches;       /* logged lines: every other difference */
    uint64_t candidate_errors; /* candidate failed where control did not */
    uint64_t log_failures;     /* log lines or evidence records that could not
                                  be written */
} mdm_shadow_stats;

typedef struct mdm_shadow {
    char log_path[1024];       /* JSON Lines file, appended to */
    mdm_compare_opts compare;  /* MDM_COMPARE_OPTS_INIT: exact */
    FILE *warn;                /* where a log failure is reported once; NULL: silent */
    bool warned;
    mdm_shadow_stats stats;
    /* Evidence (mdm_shadow_set_evidence); all empty: none recorded and
       every difference is unexpected. */
    char evidence_path[1024];  /* mdm_evidence.h file; "" : none */
    long generation;           /* the rollout state's generation */
    const mdm_expect_list *expect;  /* borrowed; NULL: no list */
    const char *backend;       /* borrowed: the matcher's backend; NULL: any */
} mdm_shadow;

/* Initialises sh for the given log path (copied; INVALID_ARG if it is NULL
 * or too long). warn: borrowed, may be NULL. */
MDM_NODISCARD mdm_status mdm_shadow_init(mdm_shadow *sh, const char *log_path, FILE *warn,
                                         mdm_error *err);

/* Records every comparison from now on in the evidence file at path
 * (copied; NULL or "": none) under generation, and matches differences
 * against expect (borrowed, may be NULL) for backend (borrowed, may be
 * NULL). INVALID_ARG when the path is too long. */
MDM_NODISCARD mdm_status mdm_shadow_set_evidence(mdm_shadow *sh, const char *path,
                                                 long generation, const mdm_expect_list *expect,
                                                 const char *backend, mdm_error *err);

/* One experiment. */
typedef struct mdm_shadow_call {
    const char *operation;     /* "load", "query", "info", "read_table", ... */
    const char *dataset;       /* dataset or database the call concerns */
    const char *detail;        /* table name or SQL text; may be NULL */
    bool ordered;              /* the operation promises a row order; when
                                  false, rows are compared as a multiset */
    mdm_shadow_fn control;     /* legacy: its answer is returned */
    void *control_arg;
    mdm_shadow_fn candidate;   /* modern: compared, never returned */
    void *candidate_arg;
    const char *flag;          /* the evidence's flag: "reads" (NULL) or "writes" */
    const char *cell;          /* the matcher's cell: "legacy>modern" when legacy
                                  wrote what both read, "modern" when modern did;
                                  NULL: not checked */
    /* Writes (both set, or neither): control and candidate wrote and left
     * their tables empty; each of these then reads back what its side wrote
     * (with the side's arg, untimed: a side's time is its write's), and the
     * two tables are reconciled: schema, row count, and order-independent
     * checksums per column and of whole rows; the log line of a difference
     * carries both sides' checksums and the first rows, in sorted order,
     * where they part. A read-back that fails counts as that side's error
     * but is never returned: mdm_shadow_run returns the control's write. */
    mdm_shadow_fn control_check;
    mdm_shadow_fn candidate_check;
} mdm_shadow_call;

/*
 * mdm_shadow_run - runs the control, then the candidate, compares them with
 * mdm_table_equal (schema, row count, values; NULL is not ""), and appends
 * one line to the log when they differ:
 *   {"time":"2025-01-01T12:00:00.123Z","operation":"load","dataset":"d",
 *    "detail":"train","outcome":"mismatch","control_ms":1.234,
 *    "candidate_ms":0.456,"control":{"status":"ok","rows":3,"columns":2},
 *    "candidate":{...},"first_difference":{"kind":"value","row":0,
 *    "column":"x","control":"1 (INT64)","candidate":"2 (INT64)",
 *    "message":"..."}}
 * outcome: "mismatch" (both succeeded, results differ), "candidate_error"
 * (only the candidate failed; its error is under "candidate"),
 * "control_error" (only the control failed), "error_mismatch" (both failed
 * with different kinds). Errors of the same kind on both sides match.
 * A difference the expected list names (matched as mdm-compare matches it:
 * op "read" for load/read_table, "info" for info/table_info, else the
 * operation; no scenario; the call's cell; kind and message as the harness
 * writes them; after an expected column type difference the columns that
 * agree are compared again) is not logged. With an evidence file, every
 * run is recorded there with its mdm_outcome (an error mismatch counts as
 * a mismatch) and both timings.
 *   out: initialised by the caller; receives the control's table.
 * Returns the control's status, with err set by the control only.
 */
MDM_NODISCARD mdm_status mdm_shadow_run(mdm_shadow *sh, const mdm_shadow_call *call,
                                        mdm_table *out, mdm_error *err);

/* True when a and b hold the same rows in any order (same schema and row
 * count required); used by mdm_shadow_run for unordered operations. */
bool mdm_table_equal_unordered(const mdm_table *a, const mdm_table *b,
                               const mdm_compare_opts *opts);

#endif
