/* SPDX-License-Identifier: MIT */
/*
 * fuzz_scenario.c - libFuzzer target for mdm-compare's scenario parser
 * (harness/cmp_scenario.c). Beyond "no crash, no leak, no undefined
 * behaviour" it checks that a parsed script is well formed (ops in line
 * order, every owned array consistent with its count, "main" the first
 * dataset) and that errors are PARSE errors naming file:line.
 * tests/unit/test_fuzz_regressions.c replays kept inputs through
 * mdm_fuzz_scenario_one() (MDM_FUZZ_NO_MAIN).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmp_script.h"
#include "fuzz_script_check.h"

int mdm_fuzz_scenario_one(const uint8_t *data, size_t size, char *why, size_t whyn)
{
    mdm_cmp_script s;
    mdm_error err;
    int rc;
    mdm_cmp_script_init(&s);
    mdm_error_clear(&err);
    mdm_status st = mdm_cmp_scenario_parse("fuzz.scn", (const char *)data, size, &s, &err);
    if (st != MDM_OK)
        rc = fuzz_script_check_error(st, &err, "fuzz.scn", why, whyn);
    else
        rc = fuzz_script_check(&s, why, whyn);
    mdm_cmp_script_reset(&s);
    return rc;
}

#ifndef MDM_FUZZ_NO_MAIN
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char why[1024];
    if (mdm_fuzz_scenario_one(data, size, why, sizeof why) != 0) {
        fprintf(stderr, "%s\n", why);
        abort();
    }
    return 0;
}
#endif
