/* SPDX-License-Identifier: MIT */
/*
 * bench_pool.c - pool throughput: T threads loan a SQLite connection from
 * one connection manager and give it back, as fast as they can, and the
 * program prints acquire/release pairs per second (median of several runs)
 * for each thread count. Numbers depend on the machine, so they are checked
 * here only, never in the unit tests.
 *
 *   bench_pool [--threads 1,4,16] [--ops N] [--runs K] [--no-pre-ping] [DIR]
 *
 * The pool has the defaults users get (MDM_POOL_OPTS_INIT: pool_size 5,
 * max_overflow 10, pre_ping on), so at 16 threads some acquires wait and
 * overflow connections are closed on return and reopened, as they would be
 * in the program. --ops is the total per run, shared by the threads. One
 * untimed warm-up run precedes the timed ones. Each result is one line:
 *   bench_pool: threads=4 ops=200000 runs=5 median_s=0.123 ops_per_s=1626016 ...
 */
#include "mdm_connmgr.h"
#include "mdm_registry.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_THREADS 256
#define MAX_RUNS 64

typedef struct bench_opts {
    int threads[16];
    int nthreads;
    long ops;
    int runs;
    bool pre_ping;
    const char *dir;   /* NULL: a temporary folder */
} bench_opts;

/* What the threads of one run share. */
typedef struct run_state {
    mdm_connmgr *mgr;
    long ops_per_thread;
    pthread_barrier_t start;
    int failures;              /* written once per failing thread, under mu */
    pthread_mutex_t mu;
    char message[600];        /* status name + ": " + mdm_error.message */
} run_state;

static int usage(void)
{
    fprintf(stderr, "usage: bench_pool [--threads 1,4,16] [--ops N] [--runs K] "
                    "[--no-pre-ping] [DIR]\n");
    return 2;
}

static int parse_threads(const char *s, bench_opts *o)
{
    o->nthreads = 0;
    while (*s != '\0') {
        char *end;
        long v = strtol(s, &end, 10);
        if (end == s || v < 1 || v > MAX_THREADS ||
            o->nthreads == (int)(sizeof o->threads / sizeof o->threads[0]))
            return -1;
        o->threads[o->nthreads++] = (int)v;
        s = *end == ',' ? end + 1 : end;
        if (*end != ',' && *end != '\0')
            return -1;
    }
    return o->nthreads > 0 ? 0 : -1;
}

static int parse_args(int argc, char **argv, bench_opts *o)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
            if (parse_threads(argv[++i], o) != 0)
                return -1;
        } else if (strcmp(argv[i], "--ops") == 0 && i + 1 < argc) {
            o->ops = strtol(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc) {
            o->runs = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--no-pre-ping") == 0) {
            o->pre_ping = false;
        } else if (argv[i][0] != '-' && o->dir == NULL) {
            o->dir = argv[i];
        } else {
            return -1;
        }
    }
    return o->ops > 0 && o->runs > 0 && o->runs <= MAX_RUNS ? 0 : -1;
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

static void *worker(void *arg)
{
    run_state *st = arg;
    mdm_error err;
    pthread_barrier_wait(&st->start);
    for (long i = 0; i < st->ops_per_thread; i++) {
        mdm_conn *c = NULL;
        mdm_status rc = mdm_connmgr_acquire(st->mgr, &c, &err);
        if (rc == MDM_OK)
            rc = mdm_connmgr_release(st->mgr, c);
        if (rc != MDM_OK) {
            pthread_mutex_lock(&st->mu);
            if (st->failures++ == 0)
                snprintf(st->message, sizeof st->message, "%s: %s", mdm_status_name(rc),
                         err.message);
            pthread_mutex_unlock(&st->mu);
            break;
        }
    }
    return NULL;
}

/* One run: T threads, ops_per_thread pairs each. Returns the wall time of
 * the run (from the barrier to the last join) or a negative value. */
static double one_run(mdm_connmgr *mgr, int nthreads, long ops_per_thread)
{
    pthread_t tids[MAX_THREADS];
    run_state st;
    double t0 = 0, elapsed = -1;
    int started = 0;

    memset(&st, 0, sizeof st);
    st.mgr = mgr;
    st.ops_per_thread = ops_per_thread;
    pthread_mutex_init(&st.mu, NULL);
    pthread_barrier_init(&st.start, NULL, (unsigned)nthreads + 1);
    for (; started < nthreads; started++) {
        if (pthread_create(&tids[started], NULL, worker, &st) != 0)
            break;
    }
    if (started < nthreads) {
        /* Cannot start them all: the barrier would never open. */
        fprintf(stderr, "bench_pool: cannot start %d threads\n", nthreads);
        exit(1);
    }
    t0 = now_seconds();
    pthread_barrier_wait(&st.start);
    for (int i = 0; i < started; i++)
        pthread_join(tids[i], NULL);
    elapsed = now_seconds() - t0;
    if (st.failures > 0) {
        fprintf(stderr, "bench_pool: %d thread(s) failed; first: %s\n", st.failures,
                st.message);
        elapsed = -1;
    }
    pthread_barrier_destroy(&st.start);
    pthread_mutex_destroy(&st.mu);
    return elapsed;
}

static int bench_threads(const bench_opts *o, const mdm_registry *reg, const char *db,
                         int nthreads)
{
    mdm_conn_config cfg = MDM_CONN_CONFIG_INIT;
    mdm_pool_opts popts = MDM_POOL_OPTS_INIT;
    mdm_connmgr *mgr = NULL;
    mdm_pool_status ps;
    mdm_error err;
    double times[MAX_RUNS];
    long per_thread = o->ops / nthreads;
    int rc = 1;

    cfg.backend = "sqlite";
    cfg.path = db;
    popts.pre_ping = o->pre_ping;
    if (per_thread < 1)
        per_thread = 1;
    if (mdm_connmgr_new(&mgr, reg, &cfg, &popts, &err) != MDM_OK) {
        fprintf(stderr, "bench_pool: %s\n", err.message);
        goto done;
    }
    if (one_run(mgr, nthreads, per_thread) < 0)   /* warm-up: opens the connections */
        goto done;
    for (int r = 0; r < o->runs; r++) {
        times[r] = one_run(mgr, nthreads, per_thread);
        if (times[r] < 0)
            goto done;
    }
    qsort(times, (size_t)o->runs, sizeof times[0], cmp_double);
    double median = o->runs % 2 ? times[o->runs / 2]
                                : (times[o->runs / 2 - 1] + times[o->runs / 2]) / 2;
    long total = per_thread * nthreads;
    mdm_pool_get_status(mdm_connmgr_pool(mgr), &ps);
    printf("bench_pool: threads=%d ops=%ld runs=%d median_s=%.6f min_s=%.6f max_s=%.6f "
           "ops_per_s=%.0f pre_ping=%d pool_size=%d max_overflow=%d checkouts=%llu "
           "waits=%llu created=%llu closed=%llu\n",
           nthreads, total, o->runs, median, times[0], times[o->runs - 1],
           (double)total / median, o->pre_ping ? 1 : 0, ps.pool_size, ps.max_overflow,
           (unsigned long long)ps.checkouts, (unsigned long long)ps.waits,
           (unsigned long long)ps.created, (unsigned long long)ps.closed);
    rc = 0;
done:
    mdm_connmgr_free(mgr);
    return rc;
}

int main(int argc, char **argv)
{
    bench_opts o = {{1, 4, 16}, 3, 200000, 5, true, NULL};
    mdm_registry *reg = NULL;
    mdm_error err;
    char tmp[4096] = "", db[4200];
    int rc = 1;

    if (parse_args(argc, argv, &o) != 0)
        return usage();
    if (o.dir == NULL) {
        const char *t = getenv("TMPDIR");
        snprintf(tmp, sizeof tmp, "%s/bench_pool.XXXXXX", t && t[0] ? t : "/tmp");
        if (mkdtemp(tmp) == NULL) {
            perror("bench_pool: mkdtemp");
            return 1;
        }
        o.dir = tmp;
    }
    snprintf(db, sizeof db, "%s/pool.sqlite", o.dir);
    if (mdm_registry_new(&reg, &err) != MDM_OK ||
        mdm_registry_add_builtins(reg, &err) != MDM_OK) {
        fprintf(stderr, "bench_pool: %s\n", err.message);
        goto done;
    }
    for (int i = 0; i < o.nthreads; i++) {
        if (bench_threads(&o, reg, db, o.threads[i]) != 0)
            goto done;
        fflush(stdout);
    }
    rc = 0;
done:
    mdm_registry_free(reg);
    if (tmp[0] != '\0') {
        const char *suffix[] = {"", "-wal", "-shm", "-journal"};
        for (size_t i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
            char f[4300];
            snprintf(f, sizeof f, "%s%s", db, suffix[i]);
            unlink(f);
        }
        rmdir(tmp);
    }
    return rc;
}
