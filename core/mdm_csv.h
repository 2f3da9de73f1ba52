/* SPDX-License-Identifier: MIT */
/*
 * mdm_csv.h - CSV in: RFC 4180 parsing and pandas-compatible type inference.
 *
 * The reader takes the whole input (a file it maps, or a caller's buffer),
 * infers each column's type in a first pass and fills typed columns in a
 * second, so memory stays proportional to the data. Errors name the source,
 * line and column (1-based) and leave `out` untouched.
 */
#ifndef MDM_CSV_H
#define MDM_CSV_H

#include <stdbool.h>
#include <stddef.h>

#include "mdm_status.h"
#include "mdm_table.h"

/*
 * Inference, per column, over its non-missing cells (pandas read_csv defaults):
 *   all integers that fit int64              -> INT64 (leading zeros allowed)
 *   integers and missing cells, or decimals  -> FLOAT64 (inf/-inf accepted)
 *   True/TRUE/true and False/FALSE/false     -> BOOL
 *   ISO 8601 date-times (mdm_parse_timestamp) -> TIMESTAMP
 *   otherwise (including integers past int64) -> TEXT
 *   no non-missing cell at all                -> FLOAT64 (pandas: all NaN),
 *                                                TEXT when there are no rows
 * Missing (NULL): an unquoted empty field and pandas' default markers
 *   #N/A, #N/A N/A, #NA, -1.#IND, -1.#QNAN, -NaN, -nan, 1.#IND, 1.#QNAN,
 *   <NA>, N/A, NA, NULL, NaN, None, n/a, nan, null, when unquoted.
 *   A quoted field is always a value: `""` is the empty string and `"NA"`
 *   the text NA (pandas would read both as missing; we keep them so that
 *   mdm_table_write_csv output reads back without losing empty strings).
 *   A quoted field still takes part in inference ("1" counts as an integer).
 * Header: duplicate names get ".1", ".2", ... (pandas' mangling); an empty
 *   name becomes "Unnamed: <index>". Blank lines are skipped. A UTF-8 BOM is
 *   skipped. CRLF and LF line ends.
 * Errors (PARSE, naming source:line:column): empty input (no header), a row
 *   with more or fewer fields than the header, an unterminated quote, a
 *   character after a closing quote, invalid UTF-8, a NUL byte.
 */

typedef struct mdm_csv_opts {
    unsigned version;   /* MDM_CSV_OPTS_VERSION */
    int infer_types;    /* 0: every column TEXT, no missing markers but "" */
    int sep;            /* the field separator: a byte other than '"', CR and
                         * LF; 0 is ','; MDM_CSV_SEP_SNIFF: mdm_csv_sniff_sep
                         * (mdm_csv_read_file: a .tsv name means tab) */
} mdm_csv_opts;

#define MDM_CSV_SEP_SNIFF (-1)
#define MDM_CSV_OPTS_VERSION 2
#define MDM_CSV_OPTS_INIT { MDM_CSV_OPTS_VERSION, 1, ',' }

/* Reads a CSV file into out (which must be initialised; on success its old
 * contents are replaced). opts may be NULL for the defaults. The file goes
 * through mdm_input_open: "-" is standard input, and gzip, bzip2, xz, zstd
 * and single-file zip inputs are decompressed (a corrupt one is a PARSE
 * error naming the file and byte offset). */
MDM_NODISCARD mdm_status mdm_csv_read_file(const char *path, const mdm_csv_opts *opts,
                                           mdm_table *out, mdm_error *err);

/* Same, from memory. `source` names the input in error messages. */
MDM_NODISCARD mdm_status mdm_csv_read_buffer(const char *data, size_t len,
                                             const char *source,
                                             const mdm_csv_opts *opts,
                                             mdm_table *out, mdm_error *err);

/*
 * A file read in chunks, for a caller that writes rows as they come (a
 * register in bounded memory). Open runs the header and pass 1 over the
 * whole file: every error mdm_csv_read_file would report is reported
 * here, before any row is handed over, and each column's type is the one
 * mdm_csv_read_file gives. Each next then converts the following rows into
 * chunk: about max_bytes of the input (at least one row), or all the rest
 * (SIZE_MAX). A mapped file's pages are given back behind both passes and
 * non-file input is spooled to a temporary file (mdm_input.h), so memory
 * is about one chunk whatever the file's size. chunk must be initialised
 * and, from the second call, be the table the last call filled: its
 * columns are kept and its rows replaced; zero rows means the end.
 */
typedef struct mdm_csv_stream mdm_csv_stream;
MDM_NODISCARD mdm_status mdm_csv_stream_open(const char *path, const mdm_csv_opts *opts,
                                             mdm_csv_stream **out, mdm_error *err);
/* The number of data rows pass 1 counted. */
size_t mdm_csv_stream_rows(const mdm_csv_stream *s);
/* The number of columns of the header. */
size_t mdm_csv_stream_columns(const mdm_csv_stream *s);
MDM_NODISCARD mdm_status mdm_csv_stream_next(mdm_csv_stream *s, size_t max_bytes,
                                             mdm_table *chunk, mdm_error *err);
void mdm_csv_stream_close(mdm_csv_stream *s);   /* NULL is a no-op */
/* The separator of a CSV text as pandas' sniffing finds it, among ',', ';',
 * TAB and '|': the one that splits the header and the first complete lines
 * (up to 20; quoted parts do not count) into the same number of fields, at
 * least two; of several, the one giving the most fields (ties in the order
 * listed); ',' when none does. */
int mdm_csv_sniff_sep(const char *data, size_t len);

/* A name for sep in messages: "','", "tab", ... (static storage). */
const char *mdm_csv_sep_name(int sep);

/* True when s[0..len) is one of pandas' default missing-value markers
 * listed above, or empty (defined in mdm_csv_na.c; the CSV writer quotes
 * text cells for which this is true, so they read back as text). */
bool mdm_csv_is_na(const char *s, size_t len);

#endif
