/* SPDX-License-Identifier: MIT */
/*
 * mdm_flag.h - the storage feature flag: which implementation (legacy,
 * modern, or shadow) serves a dataset's reads and writes, with a sticky
 * percentage rollout and a kill switch.
 *
 * Settings are a caller-owned, fixed-size struct. Each value remembers where
 * it came from (default, config file, rollout state, environment, command
 * line); layers are
 * applied in that order, so a later layer wins. Nothing here reads the
 * process environment: callers pass an mdm_env lookup (main passes getenv).
 * A dataset is in a rollout when its bucket, murmur3("<flag>:<dataset>") %
 * 100 + 1 (Unleash's normalizedValue), is <= the percentage.
 */
#ifndef MDM_FLAG_H
#define MDM_FLAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mdm_env.h"
#include "mdm_status.h"

#ifndef MDM_WITH_LEGACY
#define MDM_WITH_LEGACY 1
#endif

/* Flag names: the hash's group id and the settings' keys. */
#define MDM_FLAG_READS "storage.reads"
#define MDM_FLAG_WRITES "storage.writes"

/* Which implementation serves an operation. */
typedef enum mdm_impl {
    MDM_IMPL_LEGACY = 0,
    MDM_IMPL_MODERN,
    MDM_IMPL_SHADOW   /* legacy serves; modern runs too and is compared (reads:
                         run dry; writes: into a scratch copy) */
} mdm_impl;

/* "legacy", "modern", "shadow". */
const char *mdm_impl_name(mdm_impl impl);
/* Parses one of the names above; INVALID_ARG naming the text otherwise.
 * Does not check availability (see mdm_impl_available). */
MDM_NODISCARD mdm_status mdm_impl_parse(const char *s, mdm_impl *out, mdm_error *err);
/* False for legacy and shadow in a build without legacy/ (LEGACY=0). */
bool mdm_impl_available(mdm_impl impl);

/* Where a setting's value came from, lowest precedence first. */
typedef enum mdm_flag_source {
    MDM_FLAG_SRC_DEFAULT = 0,
    MDM_FLAG_SRC_CONFIG,
    MDM_FLAG_SRC_ROLLOUT,   /* the rollout state `mdm rollout advance` writes */
    MDM_FLAG_SRC_ENV,
    MDM_FLAG_SRC_CLI
} mdm_flag_source;

/* "default", "config", "rollout", "env", "command line". */
const char *mdm_flag_source_name(mdm_flag_source src);

typedef struct mdm_flag_origin {
    mdm_flag_source source;
    char where[256];   /* "MDM_STORAGE_READS", "mdm.yaml:12", "--impl", "" */
} mdm_flag_origin;

/* One flag (reads or writes): the mode a dataset in the rollout gets, and
 * the percentage of datasets in the rollout (the rest get legacy). */
typedef struct mdm_flag_rollout {
    mdm_impl mode;
    int percent;                 /* 0..100 */
    mdm_impl rest;               /* what the other datasets get: legacy, or
                                    shadow, so a partial rollout keeps
                                    gathering evidence on the rest */
    mdm_flag_origin mode_from;
    mdm_flag_origin percent_from;
    mdm_flag_origin rest_from;
} mdm_flag_rollout;

typedef struct mdm_flag_settings {
    mdm_flag_rollout reads;      /* legacy | modern | shadow */
    mdm_flag_rollout writes;     /* legacy | modern | shadow */
    bool kill_switch;            /* true: everything goes to legacy */
    mdm_flag_origin kill_switch_from;
    char shadow_log[1024];       /* JSON Lines log; "" = <home>/shadow.jsonl */
    mdm_flag_origin shadow_log_from;
    char expected[1024];         /* expected-differences list; "" = the installed one */
    mdm_flag_origin expected_from;
    long generation;             /* the rollout state's generation (0: none);
                                    evidence is recorded under it */
} mdm_flag_settings;

/*
 * Defaults: reads and writes legacy at 100 % (modern when built without
 * legacy/), kill switch off, shadow log "" (the app puts it in its home).
 */
void mdm_flag_settings_init(mdm_flag_settings *s);

/*
 * mdm_flag_set - sets one setting from a layer.
 *   key:   "storage.impl" (reads and writes together, both at 100 %; for
 *          "shadow" writes go to legacy), "storage.reads", "storage.writes",
 *          "storage.reads.percent", "storage.writes.percent",
 *          "storage.reads.rest", "storage.writes.rest" (legacy or shadow),
 *          "storage.kill_switch", "storage.shadow_log",
 *          "storage.expected_differences".
 *   value: text as written by the user ("modern", "25", "on", ...).
 *   where: names the place for messages and `mdm flags` (copied).
 * A value from a lower-precedence layer than the one already set is
 * ignored (returns MDM_OK), so layers may be applied in any order.
 * Returns OK; CONFIG naming key, value and where for a bad value or an
 * unknown key; UNSUPPORTED for legacy, shadow or the kill switch in a build
 * without legacy/.
 */
MDM_NODISCARD mdm_status mdm_flag_set(mdm_flag_settings *s, const char *key,
                                      const char *value, mdm_flag_source src,
                                      const char *where, mdm_error *err);

/*
 * mdm_flag_apply_env - the environment layer: MDM_STORAGE_IMPL,
 * MDM_STORAGE_READS, MDM_STORAGE_WRITES, MDM_STORAGE_READS_PERCENT,
 * MDM_STORAGE_WRITES_PERCENT, MDM_STORAGE_KILL_SWITCH,
 * MDM_STORAGE_SHADOW_LOG (IMPL first, so the specific ones refine it).
 * An empty variable counts as unset. Errors as mdm_flag_set, naming the
 * variable.
 */
MDM_NODISCARD mdm_status mdm_flag_apply_env(mdm_flag_settings *s, const mdm_env *env,
                                            mdm_error *err);

/* The command-line layer: `--impl NAME` (as "storage.impl"). NULL: none. */
MDM_NODISCARD mdm_status mdm_flag_apply_cli(mdm_flag_settings *s, const char *impl,
                                            mdm_error *err);

/* ---- Buckets and decisions ---------------------------------------------- */

/* MurmurHash3 x86_32 of data[0..len) with the given seed. */
uint32_t mdm_murmur3_32(const void *data, size_t len, uint32_t seed);

/* Unleash's normalizedValue: murmur3("<flag>:<dataset>", seed 0) % 100 + 1,
 * in 1..100. */
int mdm_flag_bucket(const char *flag, const char *dataset);

typedef enum mdm_flag_op {
    MDM_FLAG_OP_READ = 0,
    MDM_FLAG_OP_WRITE
} mdm_flag_op;

typedef struct mdm_flag_decision {
    mdm_impl impl;       /* what serves the operation */
    int bucket;          /* the dataset's bucket for this flag (1..100) */
    char reason[96];     /* "kill switch", "mode legacy", "bucket 17 <= 25" */
} mdm_flag_decision;

/*
 * mdm_flag_decide - which implementation serves op on dataset (its
 * normalised name): legacy when the kill switch is on or the mode is
 * legacy; else the mode when bucket <= percent; else the flag's rest
 * (legacy unless set to shadow). Raising the
 * percentage never moves a dataset back (the bucket does not change).
 */
void mdm_flag_decide(const mdm_flag_settings *s, mdm_flag_op op, const char *dataset,
                     mdm_flag_decision *out);

/* Renders an origin as "default", "env MDM_STORAGE_READS",
 * "config mdm.yaml:12", "command line --impl" into buf; returns buf. */
const char *mdm_flag_origin_text(const mdm_flag_origin *o, char *buf, size_t n);

#endif
