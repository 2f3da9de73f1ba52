/* SPDX-License-Identifier: MIT */
/*
 * main_mdm_gencsv.c - mdm-gencsv, the command-line face of mdm_gencsv.c:
 *
 *   mdm-gencsv ROWS [--seed N] [--profile basic|features|wide|text] [-o FILE]
 */
#include "mdm_gencsv.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int usage(void)
{
    fprintf(stderr, "usage: mdm-gencsv ROWS [--seed N] [--profile basic|features|wide|text] [-o FILE]\n");
    return 2;
}

static int parse_u64(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || s[0] == '-')
        return -1;
    *out = v;
    return 0;
}

int main(int argc, char **argv)
{
    uint64_t rows = 0, seed = 1;
    mdm_gencsv_profile profile = MDM_GENCSV_PROFILE_BASIC;
    const char *path = NULL;
    int have_rows = 0, rc = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
            if (parse_u64(argv[++i], &seed) != 0)
                return usage();
        } else if (strcmp(argv[i], "--profile") == 0 && i + 1 < argc) {
            if (!mdm_gencsv_profile_parse(argv[++i], &profile)) {
                fprintf(stderr, "mdm-gencsv: unknown profile '%s'\n", argv[i]);
                return usage();
            }
        } else if (strcmp(argv[i], "-o") == 0 && i + 1 < argc) {
            path = argv[++i];
        } else if (!have_rows && parse_u64(argv[i], &rows) == 0) {
            have_rows = 1;
        } else {
            return usage();
        }
    }
    if (!have_rows)
        return usage();
    FILE *out = path ? fopen(path, "wb") : stdout;
    if (out == NULL) {
        fprintf(stderr, "mdm-gencsv: cannot open '%s': %s\n", path, strerror(errno));
        return 1;
    }
    if (mdm_gencsv_write_profile(out, rows, seed, profile) != 0) {
        fprintf(stderr, "mdm-gencsv: cannot write '%s': %s\n", path ? path : "<stdout>", strerror(errno));
        rc = 1;
    }
    if (path != NULL && fclose(out) != 0 && rc == 0) {
        fprintf(stderr, "mdm-gencsv: cannot write '%s': %s\n", path, strerror(errno));
        rc = 1;
    }
    return rc;
}

