/* SPDX-License-Identifier: MIT */
/*
 * mdm_clock.h - the one monotonic clock (CLOCK_MONOTONIC) for timing and
 * timeouts everywhere outside legacy/ (which keeps its own, replaceable
 * cache clock). Not the time of day: only differences mean anything.
 */
#ifndef MDM_CLOCK_H
#define MDM_CLOCK_H

#include <stdint.h>

/* Nanoseconds on the monotonic clock. */
int64_t mdm_clock_now_ns(void);

/* Seconds on the monotonic clock (mdm_clock_now_ns() / 1e9). */
double mdm_clock_now_s(void);

#endif
