/* SPDX-License-Identifier: MIT */
/*
 * bench_csv.c - CSV read throughput: times mdm_csv_read_file over several
 * runs on a generated (or given) file and prints the median as MB/s and
 * rows/s. Throughput is checked here only, never in the unit tests, since
 * the number depends on the machine.
 *
 *   bench_csv [--rows N] [--runs K] [--seed S] [FILE]
 */
#include "mdm_gencsv.h"

#include "mdm_csv.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

typedef struct bench_opts {
    uint64_t rows, seed;
    int runs;
    const char *file;   /* NULL: generate one */
} bench_opts;

static int bench_usage(void)
{
    fprintf(stderr, "usage: bench_csv [--rows N] [--runs K] [--seed S] [FILE]\n");
    return 2;
}

static int bench_args(int argc, char **argv, bench_opts *o)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--rows") == 0 && i + 1 < argc)
            o->rows = strtoull(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc)
            o->runs = atoi(argv[++i]);
        else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
            o->seed = strtoull(argv[++i], NULL, 10);
        else if (argv[i][0] != '-' && o->file == NULL)
            o->file = argv[i];
        else
            return -1;
    }
    return o->runs > 0 ? 0 : -1;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int generate(const bench_opts *o, char *path, size_t n)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(path, n, "%s/bench_csv.XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
    int fd = mkstemp(path);
    FILE *f = fd >= 0 ? fdopen(fd, "wb") : NULL;
    if (f == NULL || mdm_gencsv_write(f, o->rows, o->seed) != 0) {
        fprintf(stderr, "bench_csv: cannot write %s\n", path);
        if (f != NULL)
            fclose(f);
        return -1;
    }
    return fclose(f) == 0 ? 0 : -1;
}

/* Times `runs` reads; fills times[] and the row count of the last read. */
static int time_reads(const char *path, int runs, double *times, size_t *rows)
{
    for (int i = 0; i < runs; i++) {
        mdm_table t;
        mdm_error err;
        mdm_table_init(&t);
        double t0 = now_seconds();
        mdm_status rc = mdm_csv_read_file(path, NULL, &t, &err);
        times[i] = now_seconds() - t0;
        *rows = t.nrows;
        mdm_table_reset(&t);
        if (rc != MDM_OK) {
            fprintf(stderr, "bench_csv: %s\n", err.message);
            return -1;
        }
        printf("run %d: %.3f s\n", i + 1, times[i]);
    }
    return 0;
}

int main(int argc, char **argv)
{
    bench_opts o = {1000000, 1, 5, NULL};
    char tmp[4096] = "";
    double times[64];
    size_t rows = 0;
    struct stat st;
    int rc = 1;
    if (bench_args(argc, argv, &o) != 0 || o.runs > 64)
        return bench_usage();
    if (o.file == NULL) {
        if (generate(&o, tmp, sizeof tmp) != 0)
            goto done;
        o.file = tmp;
    }
    if (stat(o.file, &st) != 0) {
        fprintf(stderr, "bench_csv: cannot stat %s\n", o.file);
        goto done;
    }
    if (time_reads(o.file, o.runs, times, &rows) != 0)
        goto done;
    qsort(times, (size_t)o.runs, sizeof times[0], cmp_double);
    double median = o.runs % 2 ? times[o.runs / 2] : (times[o.runs / 2 - 1] + times[o.runs / 2]) / 2;
    double mb = (double)st.st_size / 1e6;
    printf("bench_csv: %s: %.1f MB, %zu rows, %d runs: median %.3f s (min %.3f, max %.3f), "
           "%.0f MB/s, %.0f rows/s\n",
           o.file, mb, rows, o.runs, median, times[0], times[o.runs - 1], mb / median,
           (double)rows / median);
    rc = 0;
done:
    if (tmp[0] != '\0')
        unlink(tmp);
    return rc;
}
