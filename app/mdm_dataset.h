/* SPDX-License-Identifier: MIT */
/*
 * mdm_dataset.h - the DatasetManager: register, load, query, info, list and
 * remove datasets, built on connection managers (the brief's step 4).
 *
 * A dataset is one database: SQLite `<home>/datasets/<name>/dataset.sqlite`
 * (table `train` by default) or PostgreSQL database `mdm_<name>`; names
 * follow LEGACY.md section 9. For each operation the feature flag picks the
 * implementation for that dataset: modern (connection managers), legacy
 * (through the legacy path) or, for reads, shadow (legacy
 * answers, modern is compared and mismatches are logged). The manager is a
 * caller-owned object; it keeps pools open until it is freed.
 */
#ifndef MDM_DATASET_H
#define MDM_DATASET_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "mdm_appconfig.h"
#include "mdm_buf.h"
#include "mdm_csv.h"
#include "mdm_values.h"
#include "mdm_flag.h"
#include "mdm_shadow.h"
#include "mdm_status.h"
#include "mdm_table.h"

#define MDM_DATASET_NAME_MAX 100
#define MDM_DEFAULT_TABLE "train"
/* PostgreSQL keeps this many bytes of a database name (NAMEDATALEN - 1). */
#define MDM_PG_DBNAME_MAX 63

/*
 * Normalises a dataset name (LEGACY.md 9): lowercase, '-' becomes '_';
 * then only [a-z0-9_] and 1..100 characters. out needs
 * MDM_DATASET_NAME_MAX + 1 bytes. INVALID_ARG naming the name otherwise.
 */
MDM_NODISCARD mdm_status mdm_dataset_normalize_name(const char *name, char *out,
                                                    mdm_error *err);

typedef struct mdm_dsm mdm_dsm;

typedef struct mdm_dsm_opts {
    const char *home;                /* the mdm home; required */
    const char *user_home;           /* $HOME, for "~/" in templates; may be NULL */
    const mdm_app_config *config;    /* borrowed; must outlive the manager */
    const mdm_flag_settings *flags;  /* copied: the effective flag */
    FILE *warn;                      /* warnings; NULL: stderr */
} mdm_dsm_opts;

/* The expected-differences list shadow runs match against: the configured
 * one (storage.expected_differences), else the installed one
 * (MDM_DATADIR/expected-differences) when it exists, else "" (none: every
 * difference counts as unexpected). */
const char *mdm_dsm_expected_list(const mdm_flag_settings *f);

MDM_NODISCARD mdm_status mdm_dsm_new(mdm_dsm **out, const mdm_dsm_opts *opts, mdm_error *err);
void mdm_dsm_free(mdm_dsm *m);   /* NULL is a no-op */

/* What served an operation, for messages. */
typedef struct mdm_dsm_result {
    char name[MDM_DATASET_NAME_MAX + 1];   /* normalised */
    mdm_impl impl;
    char reason[96];                       /* the flag's reason */
    size_t rows, columns;                  /* register: written */
    bool created;                          /* register: a new dataset */
} mdm_dsm_result;

/* Progress of a long write: done of total rows. */
typedef void (*mdm_progress_fn)(void *ctx, uint64_t done, uint64_t total);

typedef struct mdm_register_opts {
    const char *table;          /* NULL: "train" */
    mdm_if_exists if_exists;    /* FAIL by default */
    mdm_progress_fn progress;   /* may be NULL */
    void *progress_ctx;
    int sep;                    /* field separator; MDM_CSV_SEP_SNIFF (default):
                                 * sniffed, tab for a .tsv name (mdm_csv.h) */
    size_t chunk_bytes;         /* CSV bytes converted and written at a time;
                                 * 0: MDM_REGISTER_CHUNK_BYTES */
} mdm_register_opts;

#define MDM_REGISTER_OPTS_INIT { NULL, MDM_IF_EXISTS_FAIL, NULL, NULL, MDM_CSV_SEP_SNIFF, 0 }
#define MDM_REGISTER_CHUNK_BYTES ((size_t)8 << 20)

/*
 * Checks the whole CSV file first (pass 1: a parse error changes nothing;
 * "-" is standard input; compressed files are decompressed, mdm_input.h),
 * makes the dataset's database when missing, and writes the table with
 * if_exists. Where the modern store serves (no shadow), the rows are
 * converted and written a chunk at a time (o->chunk_bytes of the CSV)
 * inside one transaction, one progress report a chunk, so memory stays
 * about one chunk whatever the file's size; legacy and shadow writes get
 * the whole table. A failure never damages an existing dataset on modern
 * (the transaction rolls back; replace is atomic); a new dataset whose
 * write failed is removed again. On PostgreSQL the dataset's
 * database is created while the CSV is parsed (and dropped again when the
 * CSV fails). Errors: NOT_FOUND (no such
 * CSV file), PARSE (CSV, naming file:line:column), EXISTS, ...
 */
MDM_NODISCARD mdm_status mdm_dsm_register(mdm_dsm *m, const char *name, const char *csv_path,
                                          const mdm_register_opts *o, mdm_dsm_result *res,
                                          mdm_error *err);

/* One table of a register with several: the file it is read from, and
 * (on success) its size. */
typedef struct mdm_register_input {
    const char *table;
    const char *path;
    size_t rows, columns;   /* out */
} mdm_register_input;

/*
 * Registers n tables of one dataset in one step, each as mdm_dsm_register
 * does one (o->table is not used). Every file is checked before anything
 * is written; with --if-exists fail a table that exists stops it before
 * any write (EXISTS, naming the table). Where the route writes at once
 * (modern, mdm_router_writes_at_once) every table goes in one transaction:
 * all or none, whatever if_exists says. Else (legacy, shadow) one table at
 * a time: a write that fails drops the tables this call created before it,
 * and a table already replaced or appended to keeps its new rows. A new
 * dataset whose write failed is removed.
 */
MDM_NODISCARD mdm_status mdm_dsm_register_many(mdm_dsm *m, const char *name,
                                               mdm_register_input *in, size_t n,
                                               const mdm_register_opts *o, mdm_dsm_result *res,
                                               mdm_error *err);

typedef struct mdm_load_opts {
    const char *table;              /* NULL: "train" */
    const char *const *columns;     /* NULL or ncolumns 0: all */
    size_t ncolumns;
    bool has_limit;
    int64_t limit;                  /* modern: 0 = zero rows; legacy: 0 = all */
    const mdm_row_sink *sink;       /* NULL: every row in out; else rows may be
                                       handed over in chunks as they come
                                       (modern; not under shadow, which
                                       compares whole results) */
} mdm_load_opts;

#define MDM_LOAD_OPTS_INIT { NULL, NULL, 0, false, 0, NULL }

/* Reads a table. NOT_FOUND for a missing dataset, table or column.
 * out: initialised; replaced on success. With o->sink, out holds the last
 * rows, which were not handed over (mdm_row_sink). */
MDM_NODISCARD mdm_status mdm_dsm_load(mdm_dsm *m, const char *name, const mdm_load_opts *o,
                                      mdm_table *out, mdm_dsm_result *res, mdm_error *err);

/* Runs one SQL statement on the dataset. Statements that read (SELECT,
 * WITH, VALUES, EXPLAIN, SHOW, TABLE) follow the reads flag, others the
 * writes flag. Parameters (`:name`) are bound on modern; legacy's
 * query(sql) binds none, so its path writes them in as quoted literals.
 * out: the result rows (zero columns for DML). */
MDM_NODISCARD mdm_status mdm_dsm_query(mdm_dsm *m, const char *name, const char *sql,
                                       const mdm_param *params, size_t nparams,
                                       mdm_table *out, mdm_dsm_result *res, mdm_error *err);
/* The same; a statement that reads has its rows handed over to sink (may
 * be NULL) as they come, as mdm_dsm_load's (out then holds the last ones). */
MDM_NODISCARD mdm_status mdm_dsm_query_rows(mdm_dsm *m, const char *name, const char *sql,
                                            const mdm_param *params, size_t nparams,
                                            const mdm_row_sink *sink, mdm_table *out,
                                            mdm_dsm_result *res, mdm_error *err);

/* One row per column of each table: table (TEXT), rows (INT64), column
 * (TEXT), type (TEXT, the declared type). */
MDM_NODISCARD mdm_status mdm_dsm_info(mdm_dsm *m, const char *name, mdm_table *out,
                                      mdm_dsm_result *res, mdm_error *err);

/* Registered datasets, sorted: name, backend, location. */
MDM_NODISCARD mdm_status mdm_dsm_list(mdm_dsm *m, mdm_table *out, mdm_error *err);

/* Drops the dataset's database (SQLite: its file, -wal and -shm, and the
 * folder when empty). NOT_FOUND when it does not exist. */
MDM_NODISCARD mdm_status mdm_dsm_remove(mdm_dsm *m, const char *name, mdm_dsm_result *res,
                                        mdm_error *err);

/* The dataset's file or database name, appended to out. */
MDM_NODISCARD mdm_status mdm_dsm_location(const mdm_dsm *m, const char *name, mdm_buf *out,
                                          mdm_error *err);

/* "sqlite" or "postgresql". */
const char *mdm_dsm_backend(const mdm_dsm *m);
/* The shadow log this manager appends to (borrowed). */
const char *mdm_dsm_shadow_log(const mdm_dsm *m);
void mdm_dsm_shadow_stats(const mdm_dsm *m, mdm_shadow_stats *out);

#endif
