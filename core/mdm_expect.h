/* SPDX-License-Identifier: MIT */
/*
 * mdm_expect.h - the expected-differences list (fixtures/expected-
 * differences, installed with the program): one entry per known, intended
 * difference between legacy and modern, with an id, a matcher and the
 * reason. The one matcher of mdm-compare (differences that match an entry
 * are reported as expected; entries that match nothing are stale) and of
 * shadow mode (a matching mismatch is counted as that entry's expected
 * difference, not as an unexpected one).
 */
#ifndef MDM_EXPECT_H
#define MDM_EXPECT_H

#include <stdbool.h>
#include <stddef.h>

#include "mdm_status.h"

/* One entry. Matcher fields are glob lists ("a, b*"); NULL matches all. */
typedef struct mdm_expect {
    char *id;
    int line;
    char *scenario, *op, *backend, *cell, *kind;
    char *shadow_op;       /* shadow mode's operations ("write", "load", ...);
                              NULL: shadow mode matches `op` as the harness does */
    char *detail;          /* globs on the difference's message, one a line
                              (`detail` given several times: any matches) */
    char *quirk;           /* the LEGACY.md section it stems from */
    char *reason;
    size_t hits;           /* differences matched in this run */
} mdm_expect;

typedef struct mdm_expect_list {
    mdm_expect *items;
    size_t count;
} mdm_expect_list;

/* What a difference is matched on. A NULL field is one the difference
 * does not know (shadow mode runs no scenario): that matcher is not
 * checked. */
typedef struct mdm_expect_key {
    const char *scenario;  /* script name */
    const char *op;        /* op label or verb */
    const char *backend;   /* "sqlite" | "postgresql" */
    const char *cell;      /* "legacy", "modern", "legacy>modern", "modern>legacy" */
    const char *kind;      /* difference kind: "value", "error", ... */
    const char *detail;    /* the first-difference message */
    const char *shadow_op; /* shadow mode only: its operation, matched against
                              an entry's shadow_op when it has one (an entry
                              whose op names scenario labels says here which
                              shadow operations show the same difference) */
} mdm_expect_key;

void mdm_expect_list_init(mdm_expect_list *l);
void mdm_expect_list_reset(mdm_expect_list *l);   /* NULL is a no-op */

/* Parses the list (format in fixtures/README.md). PARSE errors name
 * file:line: unknown keys, duplicate ids, an entry without reason or
 * quirk. */
MDM_NODISCARD mdm_status mdm_expect_parse(const char *source, const char *text, size_t len,
                                          mdm_expect_list *out, mdm_error *err);
MDM_NODISCARD mdm_status mdm_expect_load(const char *path, mdm_expect_list *out,
                                         mdm_error *err);

/* Index of the first entry matching k, or -1. */
long mdm_expect_match(const mdm_expect_list *l, const mdm_expect_key *k);

/* True when a comma-separated glob list matches s (NULL list: always). */
bool mdm_glob_list_match(const char *globs, const char *s);

#endif
