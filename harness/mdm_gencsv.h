/* SPDX-License-Identifier: MIT */
/*
 * mdm_gencsv.h - the seeded benchmark/test CSV generator (see mdm_gencsv.c):
 * id (sequential int64), big (wide-range int64), x (float64), y (float64,
 * about 5 % blank), category (20 values), text (10-40 chars with commas,
 * quotes and UTF-8), flag (True/False), ts (ISO date-time).
 */
#ifndef MDM_GENCSV_H
#define MDM_GENCSV_H

#include <stdint.h>
#include <stdio.h>

/* Writes the header and `rows` rows for `seed` to out. Returns 0, or -1 on
 * a write error. */
int mdm_gencsv_write(FILE *out, uint64_t rows, uint64_t seed);

#endif
