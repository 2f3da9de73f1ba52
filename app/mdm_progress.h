/* SPDX-License-Identifier: MIT */
/*
 * mdm_progress.h - a progress bar on stderr for long registers. It draws
 * only when enabled (the program enables it when stderr is a terminal) and
 * only once the write has run for a moment, so short registers and scripts
 * see nothing. A caller-owned struct; no allocation.
 */
#ifndef MDM_PROGRESS_H
#define MDM_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef struct mdm_progress {
    FILE *out;
    bool enabled;
    double start_s;       /* monotonic, at init */
    double delay_s;       /* draw only after this long (0.3 s) */
    bool drawn;           /* something is on the line */
    int last_permille;
    char label[64];
} mdm_progress;

/* label: what is being done ("iris"), copied. */
void mdm_progress_init(mdm_progress *p, FILE *out, bool enabled, const char *label);

/* Matches mdm_progress_fn: ctx is the mdm_progress. Draws
 * "\r<label> [#####.....]  50%  500000/1000000 rows". */
void mdm_progress_update(void *ctx, uint64_t done, uint64_t total);

/* Clears the bar's line when one was drawn. */
void mdm_progress_finish(mdm_progress *p);

#endif
