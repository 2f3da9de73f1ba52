/* SPDX-License-Identifier: MIT */
/*
 * mdm_clock.c - the monotonic clock of mdm_clock.h: one clock_gettime
 * call, in nanoseconds or seconds.
 */
#include "mdm_clock.h"

#include <time.h>

int64_t mdm_clock_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

double mdm_clock_now_s(void)
{
    return (double)mdm_clock_now_ns() / 1e9;
}
