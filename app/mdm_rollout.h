/* SPDX-License-Identifier: MIT */
/*
 * mdm_rollout.h - the phased rollout, run on evidence: its policy (the
 * config's rollout.policy), its state (one file flag resolution reads, a
 * layer between the config file and the environment), the append-only
 * history of its decisions, and the decision `mdm rollout advance` takes.
 *
 * Files, under <home>/rollout/: `state` (key = value lines, replaced
 * atomically: written to a temporary file, fsynced, renamed), `history.jsonl`
 * (one JSON line per decision, appended with one write(2)), `lock` (flock
 * held by `advance` from reading the state to appending the history, so
 * two advances run one after the other), `evidence.sqlite` (shadow runs'
 * counts, adapter/mdm_evidence.h).
 *
 * Phases, in order: reads shadow; reads modern from one step to the
 * maximum (the datasets not yet moved stay in shadow, so evidence keeps
 * coming); writes shadow (legacy writes the dataset, modern a scratch copy
 * that is reconciled with it); writes modern from one step to the maximum
 * (the rest in shadow);
 * then done ("legacy can be removed"). Each change starts a new generation:
 * evidence is counted per generation, so a decision only looks at what
 * happened since the last change.
 */
#ifndef MDM_ROLLOUT_H
#define MDM_ROLLOUT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "mdm_buf.h"
#include "mdm_evidence.h"
#include "mdm_flag.h"
#include "mdm_status.h"

/* What a rollback does (rollout.policy.rollback). */
typedef enum mdm_rollback_kind {
    MDM_ROLLBACK_KILL_SWITCH = 0,   /* kill_switch: everything back to legacy at once */
    MDM_ROLLBACK_STEP_BACK          /* step_back: the failing flag one step down (its
                                       percent less one step; from the first step back to
                                       shadow; from shadow, the kill switch) */
} mdm_rollback_kind;

/* rollout.policy in the config. */
typedef struct mdm_rollout_policy {
    int step;                        /* percent points per advance (1..100) */
    int maximum;                     /* the percent a phase ends at (1..100) */
    int64_t min_comparisons;         /* evidence needed before any verdict */
    double max_mismatch_rate;        /* unexpected mismatches per comparison */
    double max_candidate_error_rate; /* candidate errors per comparison */
    double max_p99_latency_ratio;    /* candidate p99 / control p99 */
    int rollback_after;              /* failed checks in a row that roll back */
    mdm_rollback_kind rollback;      /* what a rollback does */
} mdm_rollout_policy;

#define MDM_ROLLOUT_POLICY_INIT { 10, 100, 300, 0.01, 0.01, 2.0, 2, MDM_ROLLBACK_KILL_SWITCH }

/* The state file. */
typedef struct mdm_rollout_state {
    bool exists;                     /* false: no file (nothing decided yet) */
    long generation;                 /* 0 before the first change */
    mdm_impl reads, writes;          /* modes */
    int reads_percent, writes_percent;
    bool kill_switch;
    int failed_checks;               /* failed checks in a row, this generation */
    char changed[40];                /* UTC time of the last change */
} mdm_rollout_state;

/* The paths of the rollout's files for a home. */
typedef struct mdm_rollout_paths {
    char dir[2100], state[2100], history[2100], lock[2100], evidence[2100];
} mdm_rollout_paths;

void mdm_rollout_paths_init(mdm_rollout_paths *p, const char *home);

/* Reads the state file (a missing one: exists false, OK). CONFIG naming
 * "<file>:<line>" for a line it cannot read. */
MDM_NODISCARD mdm_status mdm_rollout_state_load(const char *path, mdm_rollout_state *out,
                                                mdm_error *err);

/* Applies a state that exists to the flag as its rollout layer (above the
 * config file, below the environment and the command line) and sets the
 * flag's generation. */
MDM_NODISCARD mdm_status mdm_rollout_state_apply(const mdm_rollout_state *st, const char *path,
                                                 mdm_flag_settings *f, mdm_error *err);

/* The phase a flag setting is in, for people: "reads shadow",
 * "reads modern 20%", "done: legacy can be removed", ... */
void mdm_rollout_phase_text(const mdm_flag_settings *f, char *buf, size_t n);

/* The evidence of one flag, with its bounds. */
typedef struct mdm_rollout_evidence {
    mdm_evidence_summary s;
    double mismatch_rate, mismatch_upper;      /* Clopper-Pearson, one-sided 95 % */
    double cand_error_rate, cand_error_upper;
    double p50_ratio, p99_ratio;               /* candidate / control; 0: no data */
} mdm_rollout_evidence;

MDM_NODISCARD mdm_status mdm_rollout_evidence_read(const char *path, long generation,
                                                   const char *flag, mdm_rollout_evidence *out,
                                                   mdm_error *err);

typedef enum mdm_rollout_action {
    MDM_ROLLOUT_HOLD = 0,
    MDM_ROLLOUT_ADVANCE,
    MDM_ROLLOUT_ROLLBACK,
    MDM_ROLLOUT_RESUME,
    MDM_ROLLOUT_DONE
} mdm_rollout_action;

const char *mdm_rollout_action_name(mdm_rollout_action a);

typedef struct mdm_rollout_decision {
    mdm_rollout_action action;
    const char *flag;                /* "reads" | "writes": whose evidence */
    mdm_rollout_evidence ev;
    mdm_rollout_state next;          /* the state to write (action != HOLD/DONE;
                                        a HOLD with a failed check writes it too) */
    bool write_state;
    char from[64], to[64];
    char reason[400];
} mdm_rollout_decision;

/*
 * mdm_rollout_decide - what one `advance` does, from the effective flag
 * (state layer included), the state file, the policy and the evidence file.
 * resume: clear a kill switch a rollback set (and nothing else).
 * Exactly one action: advance one step, hold, roll back, resume, or done.
 */
MDM_NODISCARD mdm_status mdm_rollout_decide(const mdm_flag_settings *f,
                                            const mdm_rollout_state *st,
                                            const mdm_rollout_policy *pol,
                                            const char *evidence, bool resume,
                                            mdm_rollout_decision *out, mdm_error *err);

/* Writes the state file atomically (temporary file, fsync, rename). */
MDM_NODISCARD mdm_status mdm_rollout_state_save(const char *path, const mdm_rollout_state *st,
                                                mdm_error *err);

/* Appends one decision to the history (one JSON line, one write). */
MDM_NODISCARD mdm_status mdm_rollout_history_append(const char *path,
                                                    const mdm_rollout_decision *d,
                                                    long generation, mdm_error *err);

/* The text of "key":"..." or "key":number in one history line, into out
 * ("" when absent; the history's strings hold no quote or backslash). */
void mdm_rollout_history_field(const char *line, const char *key, char *out, size_t n);

/* Writes the report: one self-contained HTML page (inline SVG, no script,
 * nothing fetched) of the history at path (none yet: a page that says so),
 * with phase (the current one) in its heading. IO when writing fails. */
MDM_NODISCARD mdm_status mdm_rollout_report(const char *history, const char *phase, FILE *out,
                                            mdm_error *err);

/* Takes the rollout lock (made with its folder); returns the descriptor
 * to close, or -1 with err set (IO). */
int mdm_rollout_lock(const mdm_rollout_paths *p, mdm_error *err);

/* UTC now as 2026-12-03T16:44:00Z (n >= 24). */
void mdm_rollout_now(char *buf, size_t n);

#endif
