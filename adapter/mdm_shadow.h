/* SPDX-License-Identifier: MIT */
/*
 * mdm_shadow.h - shadow mode for reads, as GitHub's Scientist does it: the
 * control (legacy) answers the caller, the candidate (modern) runs as well,
 * the two results are compared, and every mismatch is appended to a JSON
 * Lines log.
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

#include "mdm_status.h"
#include "mdm_table.h"

/* One side of an experiment: fills out (initialised, empty) or fails. */
typedef mdm_status (*mdm_shadow_fn)(void *arg, mdm_table *out, mdm_error *err);

typedef struct mdm_shadow_stats {
    uint64_t runs;             /* experiments run */
    uint64_t matches;          /* same result (or same error kind) */
    uint64_t mismatches;       /* logged lines, candidate errors included */
    uint64_t candidate_errors; /* candidate failed where control did not */
    uint64_t log_failures;     /* lines that could not be written */
} mdm_shadow_stats;

typedef struct mdm_shadow {
    char log_path[1024];       /* JSON Lines file, appended to */
    mdm_compare_opts compare;  /* MDM_COMPARE_OPTS_INIT: exact */
    FILE *warn;                /* where a log failure is reported once; NULL: silent */
    bool warned;
    mdm_shadow_stats stats;
} mdm_shadow;

/* Initialises sh for the given log path (copied; INVALID_ARG if it is NULL
 * or too long). warn: borrowed, may be NULL. */
MDM_NODISCARD mdm_status mdm_shadow_init(mdm_shadow *sh, const char *log_path, FILE *warn,
                                         mdm_error *err);

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
 *   out: initialised by the caller; receives the control's table.
 * Returns the control's status, with err set by the control only.
 */
MDM_NODISCARD mdm_status mdm_shadow_run(mdm_shadow *sh, const mdm_shadow_call *call,
                                        mdm_table *out, mdm_error *err);

/* Stable lowercase name of a difference kind ("value", "row_count", ...). */
const char *mdm_diff_kind_name(mdm_diff_kind kind);

/* True when a and b hold the same rows in any order (same schema and row
 * count required); used by mdm_shadow_run for unordered operations. */
bool mdm_table_equal_unordered(const mdm_table *a, const mdm_table *b,
                               const mdm_compare_opts *opts);

#endif
