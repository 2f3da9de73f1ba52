/* SPDX-License-Identifier: MIT */
/*
 * legacy_singleton.c - the process-wide backend instances of the old design
 * and their cleanup. THIS FILE HOLDS THE ONLY MUTABLE FILE-SCOPE STATE IN
 * THE PROJECT: one backend per type (each caching one engine and a read
 * cache) and the clock the cache reads. modern/ removes exactly this, and
 * ci/no-globals.sh checks that no object outside legacy/ has any.
 */
#include "legacy_internal.h"

#include <time.h>

/* The singletons: one backend per backend type, created on first use by
 * legacy_backend_get() and destroyed by legacy_reset_all(). Mutable
 * file-scope state, on purpose: this is the design being replaced. */
static legacy_backend *g_backends[LEGACY_KIND_COUNT];

/* The cache's clock; tests replace it to step past the 300 s expiry. */
static double (*g_clock)(void);

legacy_backend **legacy__slot(legacy_kind kind)
{
    return &g_backends[kind];
}

static double monotonic_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double legacy__now(void)
{
    return g_clock != NULL ? g_clock() : monotonic_seconds();
}

void legacy_set_clock(double (*now)(void))
{
    g_clock = now;
}

void legacy_reset_all(void)
{
    for (int k = 0; k < LEGACY_KIND_COUNT; k++) {
        legacy__backend_free(g_backends[k]);
        g_backends[k] = NULL;
    }
    g_clock = NULL;
}
