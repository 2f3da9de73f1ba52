/* SPDX-License-Identifier: MIT */
/*
 * mdm_output.h - how the program prints tables: an aligned text table for
 * people, CSV (exactly mdm_table_write_csv) and JSON (mdm_table_write_json)
 * for scripts.
 */
#ifndef MDM_OUTPUT_H
#define MDM_OUTPUT_H

#include <stdbool.h>
#include <stdio.h>

#include "mdm_status.h"
#include "mdm_table.h"

typedef enum mdm_out_format {
    MDM_OUT_TABLE = 0,
    MDM_OUT_CSV,
    MDM_OUT_JSON
} mdm_out_format;

/* "table" | "csv" | "json"; INVALID_ARG naming the text otherwise. */
MDM_NODISCARD mdm_status mdm_out_format_parse(const char *s, mdm_out_format *out,
                                              mdm_error *err);

/*
 * The aligned table: a header, a rule, one line per row; numbers right
 * aligned, NULL shown as NULL, control characters escaped (\n, \t), cells
 * cut at 80 characters with "...". With footer: "(N rows)" after.
 * IO when writing fails.
 */
MDM_NODISCARD mdm_status mdm_output_pretty(const mdm_table *t, bool footer, FILE *out,
                                           mdm_error *err);

/* Writes t in the format (TABLE: mdm_output_pretty with the footer). */
MDM_NODISCARD mdm_status mdm_output_write(const mdm_table *t, mdm_out_format f, FILE *out,
                                          mdm_error *err);

#endif
