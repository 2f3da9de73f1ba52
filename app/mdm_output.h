/* SPDX-License-Identifier: MIT */
/*
 * mdm_output.h - how the program prints tables: an aligned text table for
 * people, CSV (exactly mdm_table_write_csv) and JSON (mdm_table_write_json)
 * for scripts.
 */
#ifndef MDM_OUTPUT_H
#define MDM_OUTPUT_H

#include <stdbool.h>
#include <stdint.h>
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

/*
 * Streamed output (CSV and JSON only): rows written as they come, in the
 * same bytes mdm_output_write gives for the whole table. The head is
 * written with the first chunk (from its columns and types), so a read
 * that fails before its first chunk writes nothing.
 *
 *     mdm_output_stream os; mdm_row_sink sink;
 *     mdm_output_stream_init(&os, fmt, out, &sink);
 *     ... a read with sink, leaving its last rows in t ...
 *     rc = mdm_output_stream_end(&os, &t, err);
 */
#define MDM_OUTPUT_CHUNK_ROWS 65536   /* rows held at most by a streamed read */

typedef struct mdm_output_stream {
    mdm_out_format format;   /* MDM_OUT_CSV or MDM_OUT_JSON */
    FILE *out;               /* borrowed */
    bool head;               /* the head is written */
    uint64_t rows;           /* rows written so far */
} mdm_output_stream;

/* Sets up os and a sink (chunks of MDM_OUTPUT_CHUNK_ROWS) that writes to it. */
void mdm_output_stream_init(mdm_output_stream *os, mdm_out_format f, FILE *out,
                            mdm_row_sink *sink);
/* The sink's callback: writes t's rows (and the head before the first). */
MDM_NODISCARD mdm_status mdm_output_stream_rows(void *os, const mdm_table *t, mdm_error *err);
/* Writes the last rows (rest, as the read left them) and the end. */
MDM_NODISCARD mdm_status mdm_output_stream_end(mdm_output_stream *os, const mdm_table *rest,
                                               mdm_error *err);

#endif
