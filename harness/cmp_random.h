/* SPDX-License-Identifier: MIT */
/*
 * cmp_random.h - `mdm-compare --random`: generated cases (cmp_rcase.h) run
 * through the whole matrix like scenario files, every difference matched
 * against the expected-differences list, each unexpected one shrunk
 * (cmp_shrink.h) and written as a replayable scenario
 * <report-dir>/random/<seed>-<case>.scn with its CSV files, and the
 * reports <report-dir>/random.md and random.json.
 */
#ifndef MDM_CMP_RANDOM_H
#define MDM_CMP_RANDOM_H

#include "cmp_run.h"

/* Runs the random cases with base's options (seed, time or cases, -j,
 * backends, mutations) and its loaded expected-differences list. Returns
 * the exit status: 0 nothing unexpected, 1 unexpected differences; 2 with
 * err set on a setup error. */
int mdm_cmp_random_main(mdm_cmp_run *base, mdm_error *err);

#endif
