/* SPDX-License-Identifier: MIT */
/*
 * fuzz_sqllogictest.c - libFuzzer target for mdm-compare's sqllogictest
 * parser and result checker (harness/cmp_slt.c). A parsed file must be well
 * formed; then every query's recorded values are turned into a small table
 * (column storage types vary with the column) and pushed through
 * formatting, sorting, hashing and checking, as a run would.
 * tests/unit/test_fuzz_regressions.c replays kept inputs through
 * mdm_fuzz_slt_one() (MDM_FUZZ_NO_MAIN).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmp_slt.h"
#include "cmp_script.h"

#include "fuzz_script_check.h"

/* A table whose column c has storage type (c + op line) % 4 and whose
 * cells come from the recorded values ("NULL" is NULL). */
static mdm_status fuzz_slt_table(const mdm_cmp_op *op, mdm_table *t, mdm_error *err)
{
    static const mdm_type kinds[4] = {MDM_INT64, MDM_FLOAT64, MDM_BOOL, MDM_TEXT};
    size_t ncols = strlen(op->types), nrows;
    mdm_status rc = MDM_OK;
    if (ncols == 0 || ncols > 16)
        return MDM_ERR_INVALID_ARG;
    for (size_t c = 0; c < ncols && rc == MDM_OK; c++) {
        char name[16];
        snprintf(name, sizeof name, "c%zu", c);
        rc = mdm_table_add_column(t, name, kinds[(c + (size_t)op->line) % 4], err);
    }
    nrows = op->nexpected / ncols;
    if (nrows > 64)
        nrows = 64;
    for (size_t r = 0; r < nrows && rc == MDM_OK; r++) {
        for (size_t c = 0; c < ncols && rc == MDM_OK; c++) {
            const char *v = op->expected[r * ncols + c];
            if (strcmp(v, "NULL") == 0) {
                rc = mdm_table_push_null(t, c, err);
                continue;
            }
            switch (t->cols[c].type) {
            case MDM_INT64: rc = mdm_table_push_int64(t, c, strtoll(v, NULL, 10), err); break;
            case MDM_FLOAT64: rc = mdm_table_push_float64(t, c, strtod(v, NULL), err); break;
            case MDM_BOOL: rc = mdm_table_push_bool(t, c, strcmp(v, "true") == 0, err); break;
            default: rc = mdm_table_push_text(t, c, v, strlen(v), err); break;
            }
        }
        if (rc == MDM_OK)
            rc = mdm_table_end_row(t, err);
    }
    return rc;
}

/* Formats, hashes and checks one query's recorded values. */
static int fuzz_slt_results(const mdm_cmp_op *op, char *why, size_t whyn)
{
    mdm_table t;
    mdm_cmp_slt_values v;
    mdm_error err;
    char msg[512], hex[33];
    int rc = 0;
    mdm_table_init(&t);
    mdm_cmp_slt_values_init(&v);
    if (fuzz_slt_table(op, &t, &err) != MDM_OK)
        goto done;  /* not a table this op can describe: nothing to run */
    if (mdm_cmp_slt_format(op, &t, &v, &err) != MDM_OK) {
        if (err.message[0] == '\0')
            rc = fuzz_scn_fail(why, whyn, "format failed silently", op->line);
        goto done;
    }
    if (v.count != t.nrows * t.ncols) {
        rc = fuzz_scn_fail(why, whyn, "formatted value count is not rows x columns", op->line);
        goto done;
    }
    mdm_cmp_slt_hash(&v, hex);
    if (strlen(hex) != 32) {
        rc = fuzz_scn_fail(why, whyn, "hash is not 32 hex digits", op->line);
        goto done;
    }
    msg[0] = '\0';
    if (!mdm_cmp_slt_check(op, &v, msg, sizeof msg) && msg[0] == '\0')
        rc = fuzz_scn_fail(why, whyn, "check failed without saying why", op->line);
    else if (!mdm_cmp_slt_equal(&v, &v, msg, sizeof msg))
        rc = fuzz_scn_fail(why, whyn, "a result differs from itself", op->line);
done:
    mdm_cmp_slt_values_reset(&v);
    mdm_table_reset(&t);
    return rc;
}

int mdm_fuzz_slt_one(const uint8_t *data, size_t size, char *why, size_t whyn)
{
    mdm_cmp_script s;
    mdm_error err;
    int rc;
    mdm_cmp_script_init(&s);
    mdm_error_clear(&err);
    mdm_status st = mdm_cmp_slt_parse("fuzz.test", (const char *)data, size, &s, &err);
    if (st != MDM_OK) {
        rc = fuzz_script_check_error(st, &err, "fuzz.test", why, whyn);
    } else {
        rc = fuzz_script_check(&s, why, whyn);
        for (size_t i = 0; i < s.nops && rc == 0; i++)
            if (s.ops[i].kind == MDM_CMP_OP_QUERY && s.ops[i].types != NULL)
                rc = fuzz_slt_results(&s.ops[i], why, whyn);
    }
    mdm_cmp_script_reset(&s);
    return rc;
}

#ifndef MDM_FUZZ_NO_MAIN
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char why[1024];
    if (mdm_fuzz_slt_one(data, size, why, sizeof why) != 0) {
        fprintf(stderr, "%s\n", why);
        abort();
    }
    return 0;
}
#endif
