/* SPDX-License-Identifier: MIT */
/*
 * mdm_stats.h - the one statistical bound the rollout decides on: the
 * exact (Clopper-Pearson) one-sided 95 % upper confidence bound of a
 * binomial rate. With 0 events in n trials it is 1 - 0.05^(1/n), about 3/n
 * (the "rule of three").
 */
#ifndef MDM_STATS_H
#define MDM_STATS_H

#include <stdint.h>

/* The one-sided upper bound, at confidence 1 - alpha, of the rate of
 * events given k events in n trials (0 <= k <= n). n == 0: 1 (nothing is
 * known); k == n: 1. alpha in (0, 1), e.g. 0.05. */
double mdm_stats_rate_upper(uint64_t k, uint64_t n, double alpha);

#endif
