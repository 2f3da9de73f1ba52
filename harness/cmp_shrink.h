/* SPDX-License-Identifier: MIT */
/*
 * cmp_shrink.h - delta debugging (Zeller and Hildebrandt's ddmin) over a
 * random case's pieces: rows, operations, columns, query clauses and read
 * columns, until removing any one piece makes the difference disappear.
 * The caller's test says whether a candidate still shows the difference
 * (cmp_random.c: the same cell, the same kind of first difference).
 */
#ifndef MDM_CMP_SHRINK_H
#define MDM_CMP_SHRINK_H

#include <stdbool.h>

#include "cmp_rcase.h"

/* Does candidate c still show the difference? */
typedef bool (*mdm_shrink_test)(void *ctx, const mdm_rc_case *c);

typedef struct mdm_shrink_stats {
    unsigned tests;              /* candidates tried */
    bool complete;               /* false: stopped at the deadline */
} mdm_shrink_stats;

/* Switches pieces of c off (c must show the difference) until it is
 * 1-minimal: no single piece can go. Stops early, with a smaller case that
 * still shows it, when mdm_clock_now_s() passes deadline. Deterministic:
 * the same case and the same test outcomes give the same result. */
void mdm_shrink_case(mdm_rc_case *c, mdm_shrink_test test, void *ctx, double deadline,
                     mdm_shrink_stats *stats);

#endif
