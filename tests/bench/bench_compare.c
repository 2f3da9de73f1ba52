/* SPDX-License-Identifier: MIT */
/*
 * bench_compare.c - how fast the harness compares results: two equal
 * 1,000,000-row tables (INT64, FLOAT64, TEXT, BOOL, TIMESTAMP, with NULLs)
 * through mdm_table_equal, best of five, printed as rows/s against the
 * 2,000,000 rows/s target of issue 6 (and once more after the canonical
 * row sort that unordered reads go through).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmp_table.h"
#include "mdm_table.h"

#define BENCH_ROWS 1000000
#define BENCH_TARGET 2000000.0

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int push_row(mdm_table *t, uint64_t r, mdm_error *err)
{
    char text[32];
    int n = snprintf(text, sizeof text, "row-%llu", (unsigned long long)(r * 7919 % 1000003));
    mdm_status rc = mdm_table_push_int64(t, 0, (int64_t)r, err);
    if (rc == MDM_OK)
        rc = (r % 13 == 0) ? mdm_table_push_null(t, 1, err)
                           : mdm_table_push_float64(t, 1, (double)r * 0.1, err);
    if (rc == MDM_OK)
        rc = (r % 17 == 0) ? mdm_table_push_null(t, 2, err)
                           : mdm_table_push_text(t, 2, text, (size_t)n, err);
    if (rc == MDM_OK)
        rc = mdm_table_push_bool(t, 3, (r & 1) != 0, err);
    if (rc == MDM_OK)
        rc = mdm_table_push_timestamp(t, 4, (int64_t)r * 1000000, err);
    if (rc == MDM_OK)
        rc = mdm_table_end_row(t, err);
    return rc == MDM_OK ? 0 : -1;
}

static int build(mdm_table *t, mdm_error *err)
{
    static const char *const names[] = { "id", "x", "name", "flag", "ts" };
    static const mdm_type types[] = { MDM_INT64, MDM_FLOAT64, MDM_TEXT, MDM_BOOL, MDM_TIMESTAMP };
    mdm_table_init(t);
    for (size_t c = 0; c < 5; c++)
        if (mdm_table_add_column(t, names[c], types[c], err) != MDM_OK)
            return -1;
    if (mdm_table_reserve(t, BENCH_ROWS, (size_t)BENCH_ROWS * 12, err) != MDM_OK)
        return -1;
    for (uint64_t r = 0; r < BENCH_ROWS; r++)
        if (push_row(t, r, err) != 0)
            return -1;
    return 0;
}

/* Best of five full comparisons; returns rows/s (0 if they differ). */
static double measure(const mdm_table *a, const mdm_table *b)
{
    double best = 1e9;
    for (int i = 0; i < 5; i++) {
        mdm_table_diff d;
        double t0 = now_s();
        bool same = mdm_table_equal(a, b, NULL, &d);
        double dt = now_s() - t0;
        if (!same) {
            fprintf(stderr, "bench_compare: tables differ: %s\n", d.message);
            return 0;
        }
        if (dt < best)
            best = dt;
    }
    return (double)a->nrows / best;
}

int main(void)
{
    mdm_table a, b;
    mdm_error err;
    int code = 1;
    if (build(&a, &err) != 0 || build(&b, &err) != 0) {
        fprintf(stderr, "bench_compare: %s\n", err.message);
        goto done;
    }
    double rate = measure(&a, &b);
    printf("bench_compare: mdm_table_equal, 2 x %d rows x 5 columns: %.0f rows/s (target %.0f): %s\n",
           BENCH_ROWS, rate, BENCH_TARGET, rate >= BENCH_TARGET ? "ok" : "BELOW TARGET");
    double t0 = now_s();
    if (mdm_cmp_table_sort(&a, &err) != MDM_OK || mdm_cmp_table_sort(&b, &err) != MDM_OK) {
        fprintf(stderr, "bench_compare: sort: %s\n", err.message);
        goto done;
    }
    double sort_s = (now_s() - t0) / 2;
    printf("bench_compare: canonical row sort (rowsort reads): %.0f rows/s per table\n",
           BENCH_ROWS / sort_s);
    code = measure(&a, &b) > 0 ? 0 : 1;
done:
    mdm_table_reset(&a);
    mdm_table_reset(&b);
    return code;
}
