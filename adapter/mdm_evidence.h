/* SPDX-License-Identifier: MIT */
/*
 * mdm_evidence.h - the rollout's evidence: every shadow comparison counted,
 * by outcome, in a small SQLite file (one row per generation, flag,
 * operation, dataset, outcome and expected-difference id; latencies as
 * histograms of quarter-octave buckets per side).
 *
 * Each comparison is recorded in one transaction (BEGIN IMMEDIATE, busy
 * timeout), so several mdm processes may record at once and a process
 * killed at any point leaves each comparison counted once or not at all:
 * no lost update (the counters are incremented inside the transaction), no
 * double count (the journal rolls back a half-written one). The file keeps
 * no state between calls; nothing here is global.
 */
#ifndef MDM_EVIDENCE_H
#define MDM_EVIDENCE_H

#include <stddef.h>
#include <stdint.h>

#include "mdm_status.h"

/* What one comparison showed. */
typedef enum mdm_outcome {
    MDM_OUTCOME_MATCH = 0,        /* same result, or errors of the same kind */
    MDM_OUTCOME_EXPECTED,         /* a difference fixtures/expected-differences lists */
    MDM_OUTCOME_MISMATCH,         /* any other difference (both ran, or both failed
                                     with different kinds) */
    MDM_OUTCOME_CANDIDATE_ERROR,  /* only the candidate (modern) failed */
    MDM_OUTCOME_CONTROL_ERROR,    /* only the control (legacy) failed */
    MDM_OUTCOME_COUNT
} mdm_outcome;

/* "match", "expected", "mismatch", "candidate_error", "control_error". */
const char *mdm_outcome_name(mdm_outcome o);

/* One comparison, as recorded. Strings are borrowed. */
typedef struct mdm_evidence_rec {
    long generation;         /* the rollout state's generation it ran under */
    const char *flag;        /* "reads" | "writes" */
    const char *operation;   /* "load", "query", "info", "register", ... */
    const char *dataset;
    mdm_outcome outcome;
    const char *expect_id;   /* MDM_OUTCOME_EXPECTED: the entry's id; else NULL */
    double control_ms, candidate_ms;
} mdm_evidence_rec;

/* Records one comparison in the evidence file at path (made, with its
 * tables, when missing; its folder must exist). IO naming the path when it
 * cannot be opened or written (busy for over 10 s included). */
MDM_NODISCARD mdm_status mdm_evidence_record(const char *path, const mdm_evidence_rec *rec,
                                             mdm_error *err);

/* The evidence of one flag in one generation (operation NULL: all). */
typedef struct mdm_evidence_summary {
    uint64_t total;                       /* comparisons */
    uint64_t n[MDM_OUTCOME_COUNT];        /* by outcome */
    uint64_t datasets;                    /* distinct datasets compared */
    double control_p50, control_p99;      /* ms, from the histograms; 0 when none */
    double candidate_p50, candidate_p99;
} mdm_evidence_summary;

/* Sums the evidence of flag in generation. A missing file is no evidence
 * (all zeros, OK). IO naming the path when it cannot be read. */
MDM_NODISCARD mdm_status mdm_evidence_summarize(const char *path, long generation,
                                                const char *flag, const char *operation,
                                                mdm_evidence_summary *out, mdm_error *err);

/* Histogram bucket of a latency in ms (quarter octaves of microseconds,
 * 0 for anything under 1 us) and the value a bucket stands for (its
 * geometric middle). */
int mdm_evidence_bucket(double ms);
double mdm_evidence_bucket_ms(int bucket);

#endif
