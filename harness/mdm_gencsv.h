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

#include "mdm_buf.h"
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
    MDM_GENCSV_PROFILE_BASIC,
    MDM_GENCSV_PROFILE_FEATURES,
    MDM_GENCSV_PROFILE_WIDE,
    MDM_GENCSV_PROFILE_TEXT,
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

/* ---- mdm-compare --random's pieces (cmp_rcase.c builds cases of them) ---- */

/* A seeded splitmix64; the state lives with the caller. */
typedef struct mdm_gencsv_rng {
    uint64_t state;
} mdm_gencsv_rng;

uint64_t mdm_gencsv_rng_next(mdm_gencsv_rng *g);
/* Uniform enough in [0, n); 0 when n is 0. */
uint64_t mdm_gencsv_rng_below(mdm_gencsv_rng *g, uint64_t n);

/* What a generated column is meant to hold (core's reader infers the type
 * the stores see from the text, as for any CSV). */
typedef enum mdm_gencsv_kind {
    MDM_GENCSV_INT = 0,
    MDM_GENCSV_FLOAT,
    MDM_GENCSV_BOOL,
    MDM_GENCSV_TS,
    MDM_GENCSV_TEXT,
    MDM_GENCSV_NKINDS
} mdm_gencsv_kind;

/* One value of a column of `kind` as text into out (replaced), or
 * *missing. Edge values come often: int64 extremes and 2^53 + 1,
 * -0.0, NaN, infinities, subnormals, 17-digit floats, 0.1, booleans in
 * every spelling pandas reads, timestamps at the edges of years 1 and
 * 9999, '' and spaces, quotes, line ends, multi-byte UTF-8, long text. */
MDM_NODISCARD mdm_status mdm_gencsv_value(mdm_gencsv_rng *g, mdm_gencsv_kind kind,
                                          mdm_buf *out, bool *missing);

/* A column name into out (replaced): ordinary, or hostile (reserved
 * words, mixed case, spaces, quotes, UTF-8, 63 bytes long). */
MDM_NODISCARD mdm_status mdm_gencsv_column_name(mdm_gencsv_rng *g, mdm_buf *out);

/* How a CSV's fields are quoted beyond what they need. */
typedef enum mdm_gencsv_quoting {
    MDM_GENCSV_QUOTE_MINIMAL = 0,   /* only where needed */
    MDM_GENCSV_QUOTE_ALL,           /* every value */
    MDM_GENCSV_QUOTE_RANDOM         /* needed ones, and a third of the rest */
} mdm_gencsv_quoting;

/* Appends value as one CSV field to out: quoted (quotes doubled) where it
 * must be (separators, quotes, line ends, '' and NA markers, which would
 * read as missing) or where quoting says; NULL (missing) as an empty
 * field or an unquoted NA marker. */
MDM_NODISCARD mdm_status mdm_gencsv_field(mdm_gencsv_rng *g, mdm_buf *out, const char *value,
                                          mdm_gencsv_quoting quoting);

#endif
