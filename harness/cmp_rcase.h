/* SPDX-License-Identifier: MIT */
/*
 * cmp_rcase.h - one case of `mdm-compare --random`: CSV files and a list of
 * operations on them, generated from (seed, case number) alone, with a
 * switch on every piece that shrinking may remove (rows, columns,
 * operations, query clauses, read columns). A case becomes a scenario
 * script (fixtures/README.md) plus its CSV files: rendered as text and
 * parsed by the scenario parser, so what runs is exactly what a written
 * file replays.
 */
#ifndef MDM_CMP_RCASE_H
#define MDM_CMP_RCASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mdm_buf.h"
#include "mdm_gencsv.h"
#include "mdm_status.h"

#define MDM_RC_MAX_COLS 12

/* One CSV file: raw values (NULL = missing) and the field text each was
 * written as (the quoting chosen when generated). */
typedef struct mdm_rc_csv {
    size_t ncols, nrows;
    char **head;                 /* ncols header fields, as written */
    char **name;                 /* ncols raw column names */
    mdm_gencsv_kind kind[MDM_RC_MAX_COLS];
    char **value;                /* nrows * ncols raw values, NULL = missing */
    char **field;                /* nrows * ncols fields as written */
    bool crlf, final_eol;
    bool *col_on, *row_on;       /* shrinking's switches */
} mdm_rc_csv;

typedef enum mdm_rc_op_kind {
    MDM_RC_REGISTER = 0, MDM_RC_LOAD, MDM_RC_QUERY, MDM_RC_INFO, MDM_RC_LIST, MDM_RC_EXISTS,
    MDM_RC_REMOVE
} mdm_rc_op_kind;

typedef enum mdm_rc_role {
    MDM_RC_SELECT = 0, MDM_RC_WHERE, MDM_RC_GROUP, MDM_RC_ORDER, MDM_RC_LIMIT
} mdm_rc_role;

/* A removable piece of a generated SELECT, with its parameter lines. */
typedef struct mdm_rc_part {
    mdm_rc_role role;
    char *sql;                   /* SELECT item, WHERE conjunct, GROUP BY item, "N" (LIMIT) */
    char *params;                /* "  param ...\n" lines, or NULL */
    unsigned desc_mask;          /* ORDER: which output columns sort descending */
    bool on;
} mdm_rc_part;

typedef struct mdm_rc_op {
    mdm_rc_op_kind kind;
    bool on;
    char *table;                 /* raw table name */
    size_t csv;                  /* REGISTER: which file */
    int if_exists;               /* REGISTER: 0 fail, 1 replace, 2 append */
    char **cols;                 /* LOAD: projection (raw names) */
    size_t ncols;
    bool *col_on;
    int64_t limit;               /* LOAD: 0 = none */
    mdm_rc_part *parts;          /* QUERY */
    size_t nparts;
    size_t star_cols;            /* QUERY: columns of SELECT * (for ORDER BY) */
    bool grouped;
} mdm_rc_op;

typedef struct mdm_rc_case {
    uint64_t seed;
    uint64_t index;
    mdm_rc_csv *csv;
    size_t ncsv;
    mdm_rc_op *ops;
    size_t nops;
} mdm_rc_case;

void mdm_rc_case_init(mdm_rc_case *c);
void mdm_rc_case_reset(mdm_rc_case *c);   /* NULL is a no-op */

/* Case `index` of run `seed`: the same on every machine. max_rows bounds
 * the rows of every file (the generator picks 0..max_rows, mostly few). */
MDM_NODISCARD mdm_status mdm_rc_generate(uint64_t seed, uint64_t index, size_t max_rows,
                                         mdm_rc_case *out, mdm_error *err);

/* The scenario text of the case's switched-on pieces into out; CSV file i
 * is named "<base>.d<i>.csv" beside the scenario. `comment` (may be NULL)
 * opens the file as # lines. */
MDM_NODISCARD mdm_status mdm_rc_render(const mdm_rc_case *c, const char *base,
                                       const char *comment, mdm_buf *out, mdm_error *err);

/* Writes the CSV files the rendered scenario names into dir. */
MDM_NODISCARD mdm_status mdm_rc_write_csvs(const mdm_rc_case *c, const char *dir,
                                           const char *base, mdm_error *err);

/* Counts of switched-on pieces: rows and columns (the largest file the
 * switched-on ops use), operations. */
void mdm_rc_size(const mdm_rc_case *c, size_t *rows, size_t *cols, size_t *ops);

#endif
