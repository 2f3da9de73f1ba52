/* SPDX-License-Identifier: MIT */
/*
 * cmp_gen.h - the large fixtures, generated deterministically at run time
 * into the build folder instead of being committed: `gen:rows100k` (100,000
 * rows of mixed types), `gen:wide200` (200 columns) and `gen:toowide2001`
 * (2,001 columns, more than SQLite and PostgreSQL allow in one table).
 */
#ifndef MDM_CMP_GEN_H
#define MDM_CMP_GEN_H

#include <stdbool.h>

#include "mdm_status.h"

/* True when NAME (without "gen:") is a generator. */
bool mdm_cmp_gen_known(const char *name);

/* Writes <dir>/<name>.csv (creating dir). Same bytes on every run. */
MDM_NODISCARD mdm_status mdm_cmp_gen_write(const char *dir, const char *name, mdm_error *err);

#endif
