/* SPDX-License-Identifier: MIT */
/*
 * mdm_table.h - the table type both worlds share: a typed, columnar frame.
 *
 * A table has named columns of one type each (INT64, FLOAT64, BOOL, TEXT,
 * TIMESTAMP) and a NULL flag per cell. Values live in one array per column;
 * the text of a column lives in one growing buffer, so building a table does
 * not allocate per cell. Tables are caller-owned structs: mdm_table_init()
 * before use, mdm_table_reset() to free everything they hold.
 */
#ifndef MDM_TABLE_H
#define MDM_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "mdm_status.h"

typedef enum mdm_type {
    MDM_INT64 = 0,
    MDM_FLOAT64,
    MDM_BOOL,
    MDM_TEXT,
    MDM_TIMESTAMP  /* microseconds since 1970-01-01 00:00:00, no time zone */
} mdm_type;

/* "INT64", "FLOAT64", "BOOL", "TEXT", "TIMESTAMP". */
const char *mdm_type_name(mdm_type type);

typedef struct mdm_column {
    char *name;         /* owned */
    mdm_type type;
    char *decl_type;    /* declared SQL type when read from a database
                           ("BIGINT", "FLOAT", ...); owned; NULL if unknown */
    size_t count;       /* values pushed so far (== table nrows between rows) */
    size_t cap;         /* rows allocated */
    uint8_t *nulls;     /* 1 = NULL; cap entries */
    union {
        int64_t *i64;   /* INT64 and TIMESTAMP */
        double *f64;    /* FLOAT64 */
        uint8_t *b;     /* BOOL: 0 or 1 */
    } v;                /* NULL for TEXT */
    /* TEXT: cell r is the NUL-terminated string at text + off[r], of length
     * off[r + 1] - off[r] - 1. A NULL cell stores an empty string. */
    char *text;
    size_t text_len, text_cap;
    size_t *off;        /* cap + 1 entries */
} mdm_column;

typedef struct mdm_table {
    size_t ncols;
    size_t nrows;
    mdm_column *cols;   /* ncols entries, owned */
} mdm_table;

void mdm_table_init(mdm_table *t);
/* Frees everything the table holds and re-initialises it. NULL is a no-op. */
void mdm_table_reset(mdm_table *t);
/* Moves src into dst (dst is reset first); src is left empty. */
void mdm_table_move(mdm_table *dst, mdm_table *src);

/* Adds a column; only while the table has no rows. The name is copied.
 * Fails with INVALID_ARG if rows exist or the name is NULL. */
MDM_NODISCARD mdm_status mdm_table_add_column(mdm_table *t, const char *name,
                                              mdm_type type, mdm_error *err);
/* Sets a column's declared SQL type (copied; NULL clears it). */
MDM_NODISCARD mdm_status mdm_table_set_decl_type(mdm_table *t, size_t col,
                                                 const char *decl,
                                                 mdm_error *err);
/* Index of the column with exactly this name, or -1. */
long mdm_table_find_column(const mdm_table *t, const char *name);

/* Makes room for `rows` rows in every column and `text_bytes` bytes of text
 * in each TEXT column (a hint; appends grow as needed either way). */
MDM_NODISCARD mdm_status mdm_table_reserve(mdm_table *t, size_t rows,
                                           size_t text_bytes, mdm_error *err);

/*
 * Building rows: push exactly one value (or NULL) into every column, in any
 * order, then call mdm_table_end_row(), which checks that each column got
 * one value and makes the row visible in nrows. The push must match the
 * column's type (INVALID_ARG otherwise). A TEXT value must not contain NUL;
 * `len` is its length in bytes.
 */
MDM_NODISCARD mdm_status mdm_table_push_null(mdm_table *t, size_t col, mdm_error *err);
MDM_NODISCARD mdm_status mdm_table_push_int64(mdm_table *t, size_t col, int64_t v, mdm_error *err);
MDM_NODISCARD mdm_status mdm_table_push_float64(mdm_table *t, size_t col, double v, mdm_error *err);
MDM_NODISCARD mdm_status mdm_table_push_bool(mdm_table *t, size_t col, bool v, mdm_error *err);
MDM_NODISCARD mdm_status mdm_table_push_text(mdm_table *t, size_t col, const char *s, size_t len, mdm_error *err);
MDM_NODISCARD mdm_status mdm_table_push_timestamp(mdm_table *t, size_t col, int64_t micros, mdm_error *err);
MDM_NODISCARD mdm_status mdm_table_end_row(mdm_table *t, mdm_error *err);

/* Appends every row of src to t. Columns must match by count and type
 * (names are not checked). */
MDM_NODISCARD mdm_status mdm_table_append_table(mdm_table *t, const mdm_table *src, mdm_error *err);

/* Drops every row, keeping the columns (and their memory, for the next
 * rows): what a streamed read does after a chunk is handed over. */
void mdm_table_clear_rows(mdm_table *t);

/* Drops the values pushed for a row not ended yet (columns holding one
 * more value than nrows), so the row can be pushed again. */
void mdm_table_drop_partial_row(mdm_table *t);

/*
 * A streamed read: instead of holding every row, the reader hands its rows
 * over in chunks of at most chunk_rows (>= 1). `rows` gets the table with
 * the chunk's rows (columns, names and types as read; a chunk may hold no
 * row) and must not keep pointers into it; the reader then clears them
 * (mdm_table_clear_rows). What a read leaves in its output table when it
 * returns is the last chunk, which the caller hands over itself. An error
 * from `rows` stops the read and is its result. Borrowed by the read.
 */
typedef struct mdm_row_sink {
    size_t chunk_rows;
    mdm_status (*rows)(void *ctx, const mdm_table *t, mdm_error *err);
    void *ctx;
} mdm_row_sink;

/* Hands t's rows (possibly none) to sink and clears them. */
MDM_NODISCARD mdm_status mdm_row_sink_flush(const mdm_row_sink *sink, mdm_table *t,
                                            mdm_error *err);

/* Does t hold a whole chunk for sink? False without a sink. */
static inline bool mdm_row_sink_full(const mdm_row_sink *sink, const mdm_table *t)
{
    return sink != NULL && t->nrows >= sink->chunk_rows;
}

/* Cell accessors; col and row must be in range. */
static inline bool mdm_table_is_null(const mdm_table *t, size_t c, size_t r)
{ return t->cols[c].nulls[r] != 0; }
static inline int64_t mdm_table_int64(const mdm_table *t, size_t c, size_t r)
{ return t->cols[c].v.i64[r]; }
static inline double mdm_table_float64(const mdm_table *t, size_t c, size_t r)
{ return t->cols[c].v.f64[r]; }
static inline bool mdm_table_bool(const mdm_table *t, size_t c, size_t r)
{ return t->cols[c].v.b[r] != 0; }
static inline int64_t mdm_table_timestamp(const mdm_table *t, size_t c, size_t r)
{ return t->cols[c].v.i64[r]; }
/* Borrowed, NUL-terminated; valid until the table is next modified. */
static inline const char *mdm_table_text(const mdm_table *t, size_t c, size_t r, size_t *len)
{
    const mdm_column *col = &t->cols[c];
    if (len) *len = col->off[r + 1] - col->off[r] - 1;
    return col->text + col->off[r];
}

/* ---- Comparison ------------------------------------------------------- */

typedef enum mdm_diff_kind {
    MDM_DIFF_NONE = 0,
    MDM_DIFF_COLUMN_COUNT,
    MDM_DIFF_COLUMN_NAME,
    MDM_DIFF_COLUMN_TYPE,
    MDM_DIFF_DECL_TYPE,     /* only when opts.check_decl_types */
    MDM_DIFF_ROW_COUNT,
    MDM_DIFF_VALUE
} mdm_diff_kind;

typedef struct mdm_compare_opts {
    double float_tolerance;  /* 0: floats must have the same bits (NaN == NaN,
                                -0.0 != 0.0); > 0: |a-b| <= tol * max(1,|a|,|b|) */
    bool check_decl_types;   /* compare declared SQL types as well */
    bool zero_signs_equal;   /* -0.0 equals 0.0 (with tolerance 0): for results
                                in an ORDER BY's order, which ranks the two as
                                ties and so may return either first */
} mdm_compare_opts;

#define MDM_COMPARE_OPTS_INIT { 0.0, false, false }

typedef struct mdm_table_diff {
    mdm_diff_kind kind;
    size_t column;           /* index, when the kind concerns a column */
    size_t row;              /* index, for MDM_DIFF_VALUE */
    char column_name[128];
    char left[160];          /* rendered value or schema item of a, e.g. "1 (INT64)", "NULL" */
    char right[160];
    char message[640];       /* one line: "row 3, column 'x': 1 (INT64) vs 1.0 (FLOAT64)" */
} mdm_table_diff;

/* Compares a and b in row order; returns true when they are equal under
 * opts (NULL means MDM_COMPARE_OPTS_INIT). When they differ and diff is
 * not NULL, fills it with the first difference found: schema first
 * (column count, names, types, declared types), then row count, then
 * values row by row, column by column. NULL never equals a value: NULL
 * differs from "" and from 0; 1 (INT64) differs from 1.0 (FLOAT64). */
bool mdm_table_equal(const mdm_table *a, const mdm_table *b,
                     const mdm_compare_opts *opts, mdm_table_diff *diff);

/* Stable lowercase name of a difference kind ("value", "row_count", ...),
 * as reports and expected-differences entries write it. */
const char *mdm_diff_kind_name(mdm_diff_kind kind);

/* Renders one cell the way CSV output does ("" for NULL is replaced by
 * "NULL" here), into buf of size n. Returns buf. */
const char *mdm_table_render_cell(const mdm_table *t, size_t c, size_t r,
                                  char *buf, size_t n);

/* ---- Output ----------------------------------------------------------- */

/*
 * CSV: a header row, then one line per row, RFC 4180 quoting (a field with
 * a comma, quote, CR or LF, or leading/trailing space is quoted, quotes
 * doubled), "\n" line ends. NULL is an empty field. INT64 in decimal;
 * FLOAT64 in the shortest form that reads back to the same double, with
 * ".0" added to integral values ("1.0", "-0.0", "1e+308", "inf", "nan");
 * BOOL as True/False; TIMESTAMP as "YYYY-MM-DD HH:MM:SS" plus ".ffffff"
 * when the microseconds are not zero. Text that would read back as
 * something else is quoted (empty, a missing marker such as NA, edge white
 * space, a leading BOM). The output reads back through mdm_csv_read_* to an
 * equal table when each column's values infer to its type. In a table of
 * one column a NULL is written as an unquoted NA (an empty line would be
 * skipped as blank); with type inference off it reads back as the text NA.
 */
MDM_NODISCARD mdm_status mdm_table_write_csv(const mdm_table *t, FILE *out, mdm_error *err);

/*
 * JSON: {"columns":[{"name":"a","type":"INT64"},...],"rows":[[1,"x",null],...]}
 * Numbers as in CSV (non-finite floats as the strings "inf", "-inf", "nan"),
 * BOOL as true/false, TIMESTAMP as a string, NULL as null; one row a line.
 */
MDM_NODISCARD mdm_status mdm_table_write_json(const mdm_table *t, FILE *out, mdm_error *err);

/*
 * The same bytes in parts, for rows that come in chunks: the head (CSV:
 * the header line; JSON: the columns and the opening of "rows", from t's
 * columns and types), the rows of each chunk (JSON: `first` when no row
 * was written before), then (JSON) the tail. Head, chunks and tail give
 * exactly what mdm_table_write_csv/json give for the whole table.
 */
MDM_NODISCARD mdm_status mdm_table_write_csv_head(const mdm_table *t, FILE *out, mdm_error *err);
MDM_NODISCARD mdm_status mdm_table_write_csv_rows(const mdm_table *t, FILE *out, mdm_error *err);
MDM_NODISCARD mdm_status mdm_table_write_json_head(const mdm_table *t, FILE *out, mdm_error *err);
MDM_NODISCARD mdm_status mdm_table_write_json_rows(const mdm_table *t, bool first, FILE *out,
                                                   mdm_error *err);
MDM_NODISCARD mdm_status mdm_table_write_json_tail(FILE *out, mdm_error *err);

/* Formatting helpers shared with the backends. Each writes a NUL-terminated
 * string into buf (size >= 32 for numbers, >= 27 for timestamps) and
 * returns its length. */
size_t mdm_format_float64(double v, char *buf, size_t n);
size_t mdm_format_timestamp(int64_t micros, char *buf, size_t n);
/* Same, always with six fractional digits: "YYYY-MM-DD HH:MM:SS.ffffff". */
size_t mdm_format_timestamp_full(int64_t micros, char *buf, size_t n);

/* The same texts without snprintf in the common case (mdm_format_fast.c):
 * mdm_format_float64_fast gives mdm_format_float64's text, and
 * mdm_format_timestamp_fast that of mdm_format_timestamp, or of
 * mdm_format_timestamp_full when always_frac. For hot paths. */
size_t mdm_format_float64_fast(double v, char *buf, size_t n);
size_t mdm_format_timestamp_fast(int64_t micros, bool always_frac, char *buf, size_t n);
/* PostgreSQL's own text of a finite float8 (float8out since version 12):
 * the fewest digits that read back, nearest v, in exponent form below 1e-4
 * and from 1e15 ("1e+15", "-97526121739521", "0.1", "1e-05", "-0"). n >= 32. */
size_t mdm_format_float64_shortest(double v, char *buf, size_t n);

/* Parses "YYYY-MM-DD", "YYYY-MM-DD HH:MM[:SS[.f{1,9}]]" (also with 'T'
 * between date and time) into microseconds; extra fractional digits past
 * six are truncated. Returns false if s[0..len) is not such a date-time or
 * the date is not valid. */
bool mdm_parse_timestamp(const char *s, size_t len, int64_t *out);

#endif
