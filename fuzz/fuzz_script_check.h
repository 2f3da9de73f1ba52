/* SPDX-License-Identifier: MIT */
/*
 * fuzz_script_check.h - the checks fuzz_scenario.c and fuzz_sqllogictest.c
 * share on a parsed mdm_cmp_script: the shape every script must have, and
 * errors that are PARSE (or NOMEM) naming file:line. Header-only (static
 * functions) so that each fuzz target and the replay test build alone.
 */
#ifndef MDM_FUZZ_SCRIPT_CHECK_H
#define MDM_FUZZ_SCRIPT_CHECK_H

#include <stdio.h>
#include <string.h>

#include "cmp_script.h"

static int fuzz_scn_fail(char *why, size_t whyn, const char *what, int line)
{
    snprintf(why, whyn, "scenario: %s (op at line %d)", what, line);
    return -1;
}

/* The shape every parsed script has. */
static int fuzz_script_check(const mdm_cmp_script *s, char *why, size_t whyn)
{
    int last = 0;
    if (s->ndatasets < 1 || s->datasets == NULL || strcmp(s->datasets[0], "main") != 0)
        return fuzz_scn_fail(why, whyn, "'main' is not the first dataset", 0);
    if (s->nops > 0 && s->ops == NULL)
        return fuzz_scn_fail(why, whyn, "ops counted but missing", 0);
    for (size_t i = 0; i < s->nops; i++) {
        const mdm_cmp_op *op = &s->ops[i];
        if (op->line < 1 || op->line < last)
            return fuzz_scn_fail(why, whyn, "ops out of line order", op->line);
        last = op->line;
        if ((unsigned)op->kind > (unsigned)MDM_CMP_OP_HALT || op->verb == NULL)
            return fuzz_scn_fail(why, whyn, "op without a kind or verb", op->line);
        if ((op->ncolumns > 0 && op->columns == NULL) || (op->nparams > 0 && op->params == NULL) ||
            (op->nonlyif > 0 && op->onlyif == NULL) || (op->nskipif > 0 && op->skipif == NULL) ||
            (op->nexpected > 0 && op->expected == NULL))
            return fuzz_scn_fail(why, whyn, "array counted but missing", op->line);
        for (size_t k = 0; k < op->ncolumns; k++)
            if (op->columns[k] == NULL)
                return fuzz_scn_fail(why, whyn, "NULL column name", op->line);
        for (size_t k = 0; k < op->nparams; k++)
            if (op->params[k].name == NULL || op->params[k].text == NULL)
                return fuzz_scn_fail(why, whyn, "parameter without name or text", op->line);
        if ((op->kind == MDM_CMP_OP_QUERY || op->kind == MDM_CMP_OP_EXEC) && op->sql == NULL)
            return fuzz_scn_fail(why, whyn, "query or exec without SQL", op->line);
        if (op->expect_hash && strlen(op->hash) != 32)
            return fuzz_scn_fail(why, whyn, "hash that is not 32 characters", op->line);
        const char *name = mdm_cmp_op_name(op);
        if (name == NULL)
            return fuzz_scn_fail(why, whyn, "op without a name", op->line);
        (void)mdm_cmp_op_is_write(op);
        (void)mdm_cmp_op_applies(op, "sqlite", "legacy");
        (void)mdm_cmp_op_applies(op, "postgresql", "modern");
    }
    return 0;
}

/* Errors: PARSE (or NOMEM) naming "<path>:<line>". */
static int fuzz_script_check_error(mdm_status st, const mdm_error *err, const char *path,
                                   char *why, size_t whyn)
{
    size_t n = strlen(path);
    if (st != MDM_ERR_PARSE && st != MDM_ERR_NOMEM) {
        snprintf(why, whyn, "%s: error of an unexpected kind: %s", path, err->message);
        return -1;
    }
    if (strncmp(err->message, path, n) != 0 || err->message[n] != ':') {
        snprintf(why, whyn, "%s: error does not name file:line: %s", path, err->message);
        return -1;
    }
    return 0;
}

#endif
