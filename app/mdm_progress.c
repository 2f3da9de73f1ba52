/* SPDX-License-Identifier: MIT */
/*
 * mdm_progress.c - draws the register progress bar with carriage returns
 * on one line, at most once per 0.1 % step, and erases it at the end.
 */
#include "mdm_progress.h"
#include "mdm_clock.h"

#include <string.h>

#define BAR_WIDTH 30

void mdm_progress_init(mdm_progress *p, FILE *out, bool enabled, const char *label)
{
    memset(p, 0, sizeof *p);
    p->out = out;
    p->enabled = enabled && out != NULL;
    p->start_s = mdm_clock_now_s();
    p->delay_s = 0.3;
    p->last_permille = -1;
    snprintf(p->label, sizeof p->label, "%s", label != NULL ? label : "");
}

void mdm_progress_update(void *ctx, uint64_t done, uint64_t total)
{
    mdm_progress *p = ctx;
    char bar[BAR_WIDTH + 1];
    if (p == NULL || !p->enabled || total == 0 || mdm_clock_now_s() - p->start_s < p->delay_s)
        return;
    int permille = (int)(done >= total ? 1000 : done * 1000 / total);
    if (permille == p->last_permille)
        return;
    p->last_permille = permille;
    int filled = permille * BAR_WIDTH / 1000;
    memset(bar, '#', (size_t)filled);
    memset(bar + filled, '.', (size_t)(BAR_WIDTH - filled));
    bar[BAR_WIDTH] = '\0';
    fprintf(p->out, "\r%s [%s] %3d%%  %llu/%llu rows", p->label, bar, permille / 10,
            (unsigned long long)done, (unsigned long long)total);
    fflush(p->out);
    p->drawn = true;
}

void mdm_progress_finish(mdm_progress *p)
{
    if (p == NULL || !p->drawn)
        return;
    fputs("\r\033[K", p->out);
    fflush(p->out);
    p->drawn = false;
}
