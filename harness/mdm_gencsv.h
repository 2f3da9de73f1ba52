/* SPDX-License-Identifier: MIT */
/*
 * mdm_gencsv.h - the one deterministic CSV generator (see mdm_gencsv.c):
 * the seeded eight-column shape of mdm-gencsv, the benchmarks and the CSV
 * tests, and the named big fixtures of mdm-compare's `gen:NAME` sources.
 * The same inputs always give the same bytes.
 */
#ifndef MDM_GENCSV_H
#define MDM_GENCSV_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "mdm_status.h"

/* Writes the header and `rows` rows for `seed` to out: id (sequential
 * int64), big (wide-range int64), x (float64), y (float64, about 5 %
 * blank), category (20 values), text (10-40 chars with commas, quotes and
 * UTF-8), flag (True/False), ts (ISO date-time). Returns 0, or -1 (errno
 * set) on a write error. */
int mdm_gencsv_write(FILE *out, uint64_t rows, uint64_t seed);

/* Data shaped like real datasets (mdm-gencsv --profile NAME):
 * basic     mdm_gencsv_write's eight columns (short decimals);
 * features  the same columns with full-precision doubles (16-17 digits),
 *           true/false and timestamps with microseconds;
 * wide      200 columns of int64 and doubles;
 * text      an id, a category and two long (200-2,000 character) texts. */
typedef enum mdm_gencsv_profile {
    MDM_GENCSV_BASIC,
    MDM_GENCSV_FEATURES,
    MDM_GENCSV_WIDE,
    MDM_GENCSV_TEXT,
} mdm_gencsv_profile;

/* *out for a profile's name; false for an unknown name. */
bool mdm_gencsv_profile_parse(const char *name, mdm_gencsv_profile *out);

/* mdm_gencsv_write for a profile: the same seed gives the same bytes. */
int mdm_gencsv_write_profile(FILE *out, uint64_t rows, uint64_t seed, mdm_gencsv_profile p);

/* True when NAME (without "gen:") is a named fixture: `rows100k` (100,000
 * rows of mixed types), `wide200` (200 columns) or `toowide2001` (2,001
 * columns, more than SQLite and PostgreSQL allow in one table). */
bool mdm_gencsv_fixture_known(const char *name);

/* Writes <dir>/<name>.csv (creating dir, through a temporary file). */
MDM_NODISCARD mdm_status mdm_gencsv_fixture_write(const char *dir, const char *name,
                                                  mdm_error *err);

#endif
