/* SPDX-License-Identifier: MIT */
/*
 * bench_format.c - doubles per second in both directions, on
 * full-precision values (random 52-bit mantissas, exponents within 2^±60,
 * as computed features are): text from a double by the printf-free
 * formatter (mdm_format_float64_fast) and by the printf loop it replaces
 * (mdm_format_float64); a double from text by the printf-free conversion
 * the CSV reader calls on each cell (mdm_dtoa_parse, strtod when it cannot
 * decide), by the whole CSV reader (one FLOAT64 column: scanning, type
 * inference and the conversion) and by strtod. Median of --runs.
 *
 *   bench_format [--values N] [--runs K]
 */
#include "mdm_buf.h"
#include "mdm_clock.h"
#include "mdm_csv.h"
#include "mdm_dtoa.h"
#include "mdm_table.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct values {
    double *v;
    mdm_buf csv;       /* "x\n" then one "%.17g" text a line */
    char **texts;
    size_t *lens;
    size_t n;
} values;

static int make_values(values *s, size_t n)
{
    uint64_t x = UINT64_C(0x2545f4914f6cdd1d);
    s->n = n;
    s->v = malloc(n * sizeof *s->v);
    s->texts = calloc(n, sizeof *s->texts);
    s->lens = calloc(n, sizeof *s->lens);
    mdm_buf_init(&s->csv);
    if (s->v == NULL || s->texts == NULL || s->lens == NULL || mdm_buf_puts(&s->csv, "x\n") != MDM_OK)
        return -1;
    for (size_t i = 0; i < n; i++) {
        char t[40];
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        uint64_t bits = (x & UINT64_C(0x800fffffffffffff)) |
                        (uint64_t)(1023 + (int)((x >> 20) % 120) - 60) << 52;
        memcpy(&s->v[i], &bits, sizeof bits);
        snprintf(t, sizeof t, "%.17g", s->v[i]);
        s->lens[i] = strlen(t);
        if ((s->texts[i] = strdup(t)) == NULL || mdm_buf_printf(&s->csv, "%s\n", t) != MDM_OK)
            return -1;
    }
    return 0;
}

static void free_values(values *s)
{
    for (size_t i = 0; s->texts != NULL && i < s->n; i++)
        free(s->texts[i]);
    free(s->texts);
    free(s->lens);
    free(s->v);
    mdm_buf_reset(&s->csv);
}

typedef enum kind { FORMAT_FAST, FORMAT_PRINTF, PARSE_FAST, PARSE_CSV, PARSE_STRTOD, NKINDS } kind;
static const char *const kind_names[NKINDS] = {
    "format (printf-free)", "format (printf loop)", "parse (printf-free)", "parse (CSV reader)",
    "parse (strtod)"};

/* One timed pass; returns seconds, or a negative number on failure. */
static double run_once(const values *s, kind k)
{
    char buf[64];
    volatile double sink = 0;
    size_t bytes = 0;
    double t0 = mdm_clock_now_s();
    if (k == FORMAT_FAST || k == FORMAT_PRINTF) {
        for (size_t i = 0; i < s->n; i++)
            bytes += k == FORMAT_FAST ? mdm_format_float64_fast(s->v[i], buf, sizeof buf)
                                      : mdm_format_float64(s->v[i], buf, sizeof buf);
    } else if (k == PARSE_STRTOD) {
        for (size_t i = 0; i < s->n; i++)
            sink += strtod(s->texts[i], NULL);
    } else if (k == PARSE_FAST) {   /* the CSV reader's conversion of one cell */
        for (size_t i = 0; i < s->n; i++) {
            double d;
            if (!mdm_dtoa_parse(s->texts[i], s->lens[i], &d))
                d = strtod(s->texts[i], NULL);
            sink += d;
        }
    } else {
        mdm_table t;
        mdm_error e;
        mdm_table_init(&t);
        if (mdm_csv_read_buffer(s->csv.data, s->csv.len, "bench.csv", NULL, &t, &e) != MDM_OK ||
            t.cols[0].type != MDM_FLOAT64)
            return -1;
        mdm_table_reset(&t);
    }
    (void)sink;
    (void)bytes;
    return mdm_clock_now_s() - t0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    size_t n = 1000000;
    int runs = 5;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--values") == 0 && i + 1 < argc)
            n = strtoull(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc)
            runs = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: bench_format [--values N] [--runs K]\n");
            return 2;
        }
    }
    if (n == 0 || runs < 1 || runs > 100) {
        fprintf(stderr, "bench_format: --values must be > 0, --runs 1..100\n");
        return 2;
    }
    values s = {0};
    if (make_values(&s, n) != 0) {
        fprintf(stderr, "bench_format: out of memory\n");
        free_values(&s);
        return 1;
    }
    printf("bench_format: %zu full-precision doubles, median of %d runs\n", n, runs);
    int rc = 0;
    for (int k = 0; k < NKINDS; k++) {
        double t[100];
        for (int r = 0; r < runs; r++)
            if ((t[r] = run_once(&s, (kind)k)) < 0)
                rc = 1;
        qsort(t, (size_t)runs, sizeof t[0], cmp_double);
        printf("%-22s %8.1f M doubles/s\n", kind_names[k], (double)n / t[runs / 2] / 1e6);
    }
    free_values(&s);
    return rc;
}
