/* SPDX-License-Identifier: MIT */
/*
 * fuzz_csv.c - libFuzzer target for the CSV reader (core/mdm_csv.c). Every
 * input is read with and without type inference; beyond "no crash, no leak,
 * no undefined behaviour" it checks the reader's promises: a consistent
 * table, unique column names, valid UTF-8 text, an untouched table on error,
 * and that mdm_table_write_csv output reads back to an equal table.
 * tests/unit/test_fuzz_regressions.c includes this file with
 * MDM_FUZZ_NO_MAIN defined and replays the kept inputs through
 * mdm_fuzz_csv_one().
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mdm_csv.h"
#include "mdm_sql.h"
#include "mdm_table.h"

/* Fills why and returns -1: the fuzzer aborts on it, the replay test fails. */
static int fuzz_csv_fail(char *why, size_t whyn, const char *what, const char *detail)
{
    snprintf(why, whyn, "csv: %s%s%s", what, detail ? ": " : "", detail ? detail : "");
    return -1;
}

/* A table must be internally consistent whatever the input was. */
static int fuzz_csv_check_table(const mdm_table *t, char *why, size_t whyn)
{
    for (size_t c = 0; c < t->ncols; c++) {
        const mdm_column *col = &t->cols[c];
        if (col->name == NULL || col->name[0] == '\0')
            return fuzz_csv_fail(why, whyn, "column without a name", NULL);
        if (!mdm_utf8_valid(col->name, strlen(col->name)))
            return fuzz_csv_fail(why, whyn, "column name is not valid UTF-8", NULL);
        if (col->count != t->nrows)
            return fuzz_csv_fail(why, whyn, "column length differs from nrows", col->name);
        for (size_t k = 0; k < c; k++)
            if (strcmp(t->cols[k].name, col->name) == 0)
                return fuzz_csv_fail(why, whyn, "duplicate column name after mangling", col->name);
        if (col->type == MDM_TEXT) {
            for (size_t r = 0; r < t->nrows; r++) {
                size_t len;
                const char *s = mdm_table_text(t, c, r, &len);
                if (strlen(s) != len)
                    return fuzz_csv_fail(why, whyn, "text cell length disagrees with its NUL", col->name);
                if (!mdm_utf8_valid(s, len))
                    return fuzz_csv_fail(why, whyn, "text cell is not valid UTF-8", col->name);
            }
        }
    }
    return 0;
}

/* In a one-column table the writer gives a NULL as NA (an empty line
 * would be skipped as blank); with inference off NA reads back as text, as
 * mdm_table.h documents, so such tables round-trip only with inference. */
static bool fuzz_csv_one_column_null(const mdm_table *t)
{
    if (t->ncols == 1)
        for (size_t r = 0; r < t->nrows; r++)
            if (mdm_table_is_null(t, 0, r))
                return true;
    return false;
}

/* Writes t as CSV and reads it back with the same options; the two tables
 * must be equal (mdm_table.h: "The output reads back through
 * mdm_csv_read_* to an equal table"). */
static int fuzz_csv_round_trip(const mdm_table *t, const mdm_csv_opts *opts, char *why, size_t whyn)
{
    char *text = NULL;
    size_t len = 0;
    int rc = 0;
    mdm_error err;
    mdm_table back;
    mdm_table_diff diff;
    FILE *f;
    if (!opts->infer_types && fuzz_csv_one_column_null(t))
        return 0;
    f = open_memstream(&text, &len);
    if (f == NULL)
        return 0;  /* out of memory in the harness: not a finding */
    mdm_table_init(&back);
    mdm_status st = mdm_table_write_csv(t, f, &err);
    fclose(f);
    if (st != MDM_OK) {
        rc = fuzz_csv_fail(why, whyn, "write_csv failed on a table the reader made", err.message);
        goto done;
    }
    if (mdm_csv_read_buffer(text, len, "round-trip", opts, &back, &err) != MDM_OK) {
        rc = fuzz_csv_fail(why, whyn, "written CSV does not read back", err.message);
        goto done;
    }
    if (!mdm_table_equal(t, &back, NULL, &diff)) {
        char detail[1200];
        snprintf(detail, sizeof detail, "%s; written text: %.400s", diff.message, text);
        rc = fuzz_csv_fail(why, whyn, "written CSV reads back different", detail);
    }
done:
    mdm_table_reset(&back);
    free(text);
    return rc;
}

/* One input: 0 when every promise held, -1 with why filled otherwise. */
int mdm_fuzz_csv_one(const uint8_t *data, size_t size, char *why, size_t whyn)
{
    for (int infer = 1; infer >= 0; infer--) {
        mdm_csv_opts opts = MDM_CSV_OPTS_INIT;
        mdm_table t;
        mdm_error err;
        int rc = 0;
        opts.infer_types = infer;
        mdm_table_init(&t);
        mdm_error_clear(&err);
        mdm_status st = mdm_csv_read_buffer((const char *)data, size, "fuzz.csv", &opts, &t, &err);
        if (st != MDM_OK) {
            if (st != MDM_ERR_PARSE && st != MDM_ERR_NOMEM)
                rc = fuzz_csv_fail(why, whyn, "error of an unexpected kind", err.message);
            else if (err.code != st || err.message[0] == '\0')
                rc = fuzz_csv_fail(why, whyn, "error without a message", NULL);
            else if (strncmp(err.message, "fuzz.csv:", 9) != 0)
                rc = fuzz_csv_fail(why, whyn, "error does not name source:line:column", err.message);
            else if (t.ncols != 0 || t.nrows != 0)
                rc = fuzz_csv_fail(why, whyn, "table changed although reading failed", NULL);
        } else {
            rc = fuzz_csv_check_table(&t, why, whyn);
            if (rc == 0)
                rc = fuzz_csv_round_trip(&t, &opts, why, whyn);
        }
        mdm_table_reset(&t);
        if (rc != 0)
            return rc;
    }
    return 0;
}

#ifndef MDM_FUZZ_NO_MAIN
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char why[1024];
    if (mdm_fuzz_csv_one(data, size, why, sizeof why) != 0) {
        fprintf(stderr, "%s\n", why);
        abort();
    }
    return 0;
}
#endif
