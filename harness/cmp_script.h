/* SPDX-License-Identifier: MIT */
/*
 * cmp_script.h - what mdm-compare runs: a script of operations parsed from a
 * scenario file (.scn, see fixtures/README.md) or a sqllogictest file
 * (.test). Both parsers produce the same mdm_cmp_script so that the cell
 * runner and the comparison need not know which file a step came from.
 */
#ifndef MDM_CMP_SCRIPT_H
#define MDM_CMP_SCRIPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mdm_status.h"
#include "mdm_table.h"

typedef enum mdm_cmp_op_kind {
    MDM_CMP_OP_CREATE = 0, /* create/register/append/replace: writer */
    MDM_CMP_OP_READ,       /* read a table: reader */
    MDM_CMP_OP_QUERY,      /* query (rows back): reader */
    MDM_CMP_OP_EXEC,       /* exec / slt statement: writer */
    MDM_CMP_OP_DROP,       /* drop a table: writer */
    MDM_CMP_OP_INFO,       /* table info: reader */
    MDM_CMP_OP_EXISTS,     /* table exists: reader */
    MDM_CMP_OP_LIST,       /* list tables: reader */
    MDM_CMP_OP_DATASET,    /* switch to another database: both */
    MDM_CMP_OP_CLOSE,      /* legacy close_connections(): both */
    MDM_CMP_OP_HALT        /* slt halt: stop the cell here */
} mdm_cmp_op_kind;

/* Row order a comparison may rely on. */
typedef enum mdm_cmp_sort {
    MDM_CMP_SORT_NONE = 0, /* order as returned: the operation promises one */
    MDM_CMP_SORT_ROWS,     /* rows sorted before comparing */
    MDM_CMP_SORT_VALUES    /* slt valuesort: every value sorted on its own */
} mdm_cmp_sort;

/* A query parameter as written: `param NAME TYPE VALUE`. */
typedef struct mdm_cmp_param {
    char *name;
    mdm_type type;
    bool is_null;
    char *text;            /* the value as written (owned, "" for NULL) */
    int64_t i64;           /* INT64, TIMESTAMP (micros), BOOL (0/1) */
    double f64;            /* FLOAT64 */
} mdm_cmp_param;

typedef struct mdm_cmp_op {
    mdm_cmp_op_kind kind;
    int line;              /* 1-based line of the op in its file */
    char *verb;            /* as written: "create", "read", "statement", ... */
    char *label;           /* @label, or NULL */
    char *table;           /* table (DATASET: dataset name) */
    char *source;          /* CREATE: CSV path relative to the file, or gen:NAME */
    int if_exists;         /* CREATE: mdm_if_exists value */
    char **columns;        /* READ: projection, owned */
    size_t ncolumns;
    bool has_limit;
    int64_t limit;
    char *sql;             /* QUERY, EXEC */
    mdm_cmp_param *params;
    size_t nparams;
    mdm_cmp_sort sort;
    bool sort_explicit;    /* sort given in the file (else a default) */
    char **onlyif, **skipif;   /* conditions: backend or implementation names */
    size_t nonlyif, nskipif;
    /* sqllogictest records */
    bool slt;
    bool expect_error;     /* statement error */
    char *types;           /* query type string: I, R, T per column */
    bool has_expected;     /* a "----" block was given */
    char **expected;       /* recorded values, one per entry */
    size_t nexpected;
    bool expect_hash;      /* "N values hashing to H" */
    size_t hash_count;
    char hash[33];
} mdm_cmp_op;

typedef struct mdm_cmp_script {
    char *path;            /* as given */
    char *name;            /* file name without folder and extension */
    char *dir;             /* folder of the file, for relative CSV paths */
    bool is_slt;
    double tolerance;      /* float tolerance for comparisons (0: exact bits) */
    long hash_threshold;   /* sqllogictest: the last hash-threshold (0: none) */
    mdm_cmp_op *ops;
    size_t nops, capops;
    char **datasets;       /* dataset names used, "main" first */
    size_t ndatasets;
} mdm_cmp_script;

void mdm_cmp_script_init(mdm_cmp_script *s);
void mdm_cmp_script_reset(mdm_cmp_script *s);   /* NULL is a no-op */

/* Parses a scenario file (.scn) or, by extension, a sqllogictest file
 * (.test) into s (initialised by the caller). PARSE errors name
 * file:line. */
MDM_NODISCARD mdm_status mdm_cmp_script_load(const char *path, mdm_cmp_script *s,
                                             mdm_error *err);

/* Same from memory; `path` names the source (and sets name/dir); is_slt
 * picks the parser. */
MDM_NODISCARD mdm_status mdm_cmp_scenario_parse(const char *path, const char *text,
                                                size_t len, mdm_cmp_script *s,
                                                mdm_error *err);
MDM_NODISCARD mdm_status mdm_cmp_slt_parse(const char *path, const char *text, size_t len,
                                           mdm_cmp_script *s, mdm_error *err);

/* Who runs an op in a cross cell: true for the writer's ops. */
bool mdm_cmp_op_is_write(const mdm_cmp_op *op);
/* The op's name for reports and matchers: its label, else its verb. */
const char *mdm_cmp_op_name(const mdm_cmp_op *op);
/* Should the op run on this backend with this implementation? */
bool mdm_cmp_op_applies(const mdm_cmp_op *op, const char *backend, const char *impl);

/* ---- helpers the parsers share (cmp_script.c) ---------------------------- */

/* Appends a zeroed op and returns it (NULL and NOMEM in err on failure). */
mdm_cmp_op *mdm_cmp__script_add_op(mdm_cmp_script *s, mdm_error *err);
/* Records a dataset name once. */
MDM_NODISCARD mdm_status mdm_cmp__script_add_dataset(mdm_cmp_script *s, const char *name,
                                                     mdm_error *err);
/* Appends a copy of s[0..len) to a string array. */
MDM_NODISCARD mdm_status mdm_cmp__strv_push(char ***v, size_t *n, const char *s, size_t len,
                                            mdm_error *err);
void mdm_cmp__strv_free(char **v, size_t n);
/* Sets path, name and dir from a file path. */
MDM_NODISCARD mdm_status mdm_cmp__script_set_path(mdm_cmp_script *s, const char *path,
                                                  mdm_error *err);

#endif
