/* SPDX-License-Identifier: MIT */
/*
 * cmp_result.h - what one operation of one cell produced (an error kind
 * and message, a table, a count), and the small binary file a cell's child
 * process writes them to so that the parent can compare them. A record
 * marks each op as started before it runs, so a crash or a hang is pinned
 * to the op it happened in.
 */
#ifndef MDM_CMP_RESULT_H
#define MDM_CMP_RESULT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "mdm_status.h"
#include "mdm_table.h"

typedef enum mdm_cmp_state {
    MDM_CMP_NOT_RUN = 0,   /* never reached (halt, crash, timeout) */
    MDM_CMP_RAN,
    MDM_CMP_SKIPPED        /* onlyif/skipif said no */
} mdm_cmp_state;

typedef struct mdm_cmp_result {
    mdm_cmp_state state;
    mdm_status status;     /* MDM_OK or the error kind */
    char message[512];     /* error message */
    bool has_table;
    mdm_table table;       /* rows of read/query/list/exists, info's columns */
    bool has_count;
    int64_t count;         /* info: row_count */
    double seconds;        /* wall time of the op */
} mdm_cmp_result;

void mdm_cmp_result_init(mdm_cmp_result *r);
void mdm_cmp_result_reset(mdm_cmp_result *r);   /* NULL is a no-op */

/* Child side: the "op started" marker, then the op's result. Both flush. */
MDM_NODISCARD mdm_status mdm_cmp_result_write_start(FILE *f, uint32_t op, mdm_error *err);
MDM_NODISCARD mdm_status mdm_cmp_result_write(FILE *f, uint32_t op, const mdm_cmp_result *r,
                                              mdm_error *err);

/* Parent side: reads every record of the file into results[0..nops)
 * (initialised by the caller). *unfinished is the op that was started and
 * never finished, or -1. A truncated last record counts as unfinished. */
MDM_NODISCARD mdm_status mdm_cmp_results_read(const char *path, mdm_cmp_result *results,
                                              size_t nops, long *unfinished, mdm_error *err);

#endif
