/* SPDX-License-Identifier: MIT */
/*
 * bench_load.c - the load test: N threads x M mixed operations (point and
 * count reads, limited table reads, inserts, updates, deletes) on one
 * dataset through one pool, for SQLite and PostgreSQL. Every thread keeps
 * the ledger of the rows it inserted and deleted; at the end every row must
 * be accounted for, and no error but the expected busy and pool-timeout
 * ones may have happened. Writes ops/s and p50/p99 latencies to
 * <report-dir>/load.json and load.md.
 *
 *   bench_load [--threads N] [--ops M] [--backend sqlite|postgresql|all]
 *              [--pool-size P] [--max-overflow O] [--max-seconds S]
 *              [--report-dir DIR]
 *
 * PostgreSQL runs on the server MDM_PG_DSN reaches (a Unix socket from
 * ci/pg.sh) in a database of its own, dropped afterwards; without
 * MDM_PG_DSN it is reported as skipped (and fails with --backend
 * postgresql). Bounded: M operations per thread, and --max-seconds (default
 * 120) stops the threads early, which is reported. Exit 0 only when every
 * run passed.
 */
#include "mdm_backend.h"
#include "mdm_conn.h"
#include "mdm_pool.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_THREADS 64
#define INITIAL_ROWS 1000
#define ID_BASE INT64_C(1000000000)

enum op_kind { OP_POINT_READ, OP_COUNT, OP_READ_TABLE, OP_INSERT, OP_UPDATE, OP_DELETE, OP_KINDS };
static const char *const OP_NAMES[OP_KINDS] = {"point_read", "count", "read_table",
                                               "insert", "update", "delete"};

typedef struct load_opts {
    int threads;
    long ops;
    int pool_size, max_overflow;
    double max_seconds;
    const char *backend;     /* "sqlite", "postgresql" or "all" */
    const char *report_dir;
} load_opts;

/* One thread's ledger and measurements. */
typedef struct worker {
    struct shared *sh;
    int index;
    uint64_t seed;
    int64_t *latency_ns;     /* one per attempted op */
    long nlat;
    long done[OP_KINDS];     /* successful ops by kind */
    long busy, pool_timeouts, unexpected;
    char first_error[600];
    int64_t *live;           /* ids this thread inserted and has not deleted */
    long nlive;
    long inserted, deleted;
    int64_t next_id;
    bool stopped_early;      /* hit the time limit */
} worker;

typedef struct shared {
    mdm_pool *pool;
    const load_opts *o;
    double deadline;         /* CLOCK_MONOTONIC seconds */
    pthread_barrier_t start;
} shared;

/* What one backend's run produced. */
typedef struct run_result {
    const char *backend;
    bool ran, passed;
    char why[700];
    double seconds;
    long ops, busy, pool_timeouts, unexpected;
    long done[OP_KINDS];
    double p50_ms, p99_ms, max_ms;
    int64_t rows_expected, rows_found;
    mdm_pool_status pool;
    bool stopped_early;
} run_result;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* xorshift64*: each thread its own generator, no shared state. */
static uint64_t next_rand(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * UINT64_C(2685821657736338717);
}

/* One statement with parameters on a loaned connection. */
static mdm_status run_sql(mdm_conn *c, const char *sql, const mdm_param *p, size_t n,
                          mdm_query_result *r, mdm_error *err)
{
    mdm_query_result_init(r);
    return mdm_conn_execute_query(c, sql, p, n, r, err);
}

/* Picks the next operation; writes only touch this thread's own rows, so
 * the ledger stays exact whatever the interleaving. */
static enum op_kind pick(worker *w)
{
    unsigned x = (unsigned)(next_rand(&w->seed) % 100);
    if (x < 25) return OP_POINT_READ;
    if (x < 35) return OP_COUNT;
    if (x < 45) return OP_READ_TABLE;
    if (x < 80) return OP_INSERT;
    if (x < 90) return w->nlive > 0 ? OP_UPDATE : OP_INSERT;
    return w->nlive > 0 ? OP_DELETE : OP_INSERT;
}

static mdm_status do_op(worker *w, mdm_conn *c, enum op_kind k, mdm_error *err)
{
    mdm_query_result r;
    mdm_status rc = MDM_OK;
    char val[48];
    switch (k) {
    case OP_POINT_READ: {
        mdm_param p = mdm_param_int64("id", (int64_t)(next_rand(&w->seed) % INITIAL_ROWS));
        rc = run_sql(c, "SELECT id, val FROM train WHERE id = :id", &p, 1, &r, err);
        if (rc == MDM_OK && r.table.nrows != 1)
            rc = mdm_error_set(err, MDM_ERR_INTERNAL, "point read found %zu rows", r.table.nrows);
        break;
    }
    case OP_COUNT:
        rc = run_sql(c, "SELECT count(*) AS n FROM train", NULL, 0, &r, err);
        if (rc == MDM_OK && (r.table.nrows != 1 || mdm_table_int64(&r.table, 0, 0) < INITIAL_ROWS))
            rc = mdm_error_set(err, MDM_ERR_INTERNAL, "count below the initial rows");
        break;
    case OP_READ_TABLE: {
        mdm_read_opts ro = MDM_READ_OPTS_INIT;
        ro.has_limit = true;
        ro.limit = 20;
        mdm_query_result_init(&r);
        rc = mdm_conn_read_table(c, "train", &ro, &r.table, err);
        if (rc == MDM_OK && (r.table.nrows != 20 || r.table.ncols != 4))
            rc = mdm_error_set(err, MDM_ERR_INTERNAL, "read_table gave %zu rows x %zu columns",
                               r.table.nrows, r.table.ncols);
        break;
    }
    case OP_INSERT: {
        int64_t id = w->next_id;
        snprintf(val, sizeof val, "t%d-%" PRId64, w->index, id);
        mdm_param p[4] = {mdm_param_int64("id", id), mdm_param_int64("t", w->index),
                          mdm_param_int64("s", w->inserted), mdm_param_text("v", val)};
        rc = run_sql(c, "INSERT INTO train (id, thread, seq, val) VALUES (:id, :t, :s, :v)", p, 4, &r, err);
        if (rc == MDM_OK && r.rows_affected != 1)
            rc = mdm_error_set(err, MDM_ERR_INTERNAL, "insert affected %" PRId64 " rows", r.rows_affected);
        if (rc == MDM_OK) {
            w->live[w->nlive++] = id;
            w->next_id++;
            w->inserted++;
        }
        break;
    }
    case OP_UPDATE: {
        int64_t id = w->live[next_rand(&w->seed) % (uint64_t)w->nlive];
        snprintf(val, sizeof val, "u%d-%" PRId64, w->index, id);
        mdm_param p[2] = {mdm_param_int64("id", id), mdm_param_text("v", val)};
        rc = run_sql(c, "UPDATE train SET val = :v WHERE id = :id", p, 2, &r, err);
        if (rc == MDM_OK && r.rows_affected != 1)
            rc = mdm_error_set(err, MDM_ERR_INTERNAL, "update of own row %" PRId64 " affected %" PRId64
                               " rows", id, r.rows_affected);
        break;
    }
    default: {
        long at = (long)(next_rand(&w->seed) % (uint64_t)w->nlive);
        int64_t id = w->live[at];
        mdm_param p = mdm_param_int64("id", id);
        rc = run_sql(c, "DELETE FROM train WHERE id = :id", &p, 1, &r, err);
        if (rc == MDM_OK && r.rows_affected != 1)
            rc = mdm_error_set(err, MDM_ERR_INTERNAL, "delete of own row %" PRId64 " affected %" PRId64
                               " rows", id, r.rows_affected);
        if (rc == MDM_OK) {
            w->live[at] = w->live[--w->nlive];
            w->deleted++;
        }
        break;
    }
    }
    mdm_query_result_reset(&r);
    return rc;
}

static void note_error(worker *w, const char *what, mdm_status rc, const mdm_error *err)
{
    if (w->first_error[0] == '\0')
        snprintf(w->first_error, sizeof w->first_error, "%s: %s: %s", what, mdm_status_name(rc),
                 err->message);
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    shared *sh = w->sh;
    pthread_barrier_wait(&sh->start);
    for (long i = 0; i < sh->o->ops; i++) {
        if (now_s() > sh->deadline) {
            w->stopped_early = true;
            break;
        }
        enum op_kind k = pick(w);
        mdm_conn *c = NULL;
        mdm_error err;
        int64_t t0 = now_ns();
        mdm_status rc = mdm_pool_acquire(sh->pool, &c, &err);
        if (rc == MDM_OK) {
            rc = do_op(w, c, k, &err);
            (void)mdm_pool_release(sh->pool, c);
        }
        w->latency_ns[w->nlat++] = now_ns() - t0;
        if (rc == MDM_OK) {
            w->done[k]++;
        } else if (rc == MDM_ERR_BUSY) {
            w->busy++;            /* expected under write contention */
        } else if (rc == MDM_ERR_POOL_EXHAUSTED) {
            w->pool_timeouts++;   /* expected when threads outnumber connections */
        } else {
            w->unexpected++;
            note_error(w, OP_NAMES[k], rc, &err);
        }
    }
    return NULL;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The initial table: ids 0..INITIAL_ROWS-1, thread -1. */
static mdm_status seed_table(mdm_conn *c, mdm_error *err)
{
    mdm_table t;
    mdm_status rc;
    mdm_table_init(&t);
    static const char *const names[4] = {"id", "thread", "seq", "val"};
    static const mdm_type types[4] = {MDM_INT64, MDM_INT64, MDM_INT64, MDM_TEXT};
    for (int k = 0; k < 4; k++)
        if ((rc = mdm_table_add_column(&t, names[k], types[k], err)) != MDM_OK)
            goto done;
    for (int64_t i = 0; i < INITIAL_ROWS; i++) {
        char v[32];
        int n = snprintf(v, sizeof v, "seed-%" PRId64, i);
        if ((rc = mdm_table_push_int64(&t, 0, i, err)) != MDM_OK ||
            (rc = mdm_table_push_int64(&t, 1, -1, err)) != MDM_OK ||
            (rc = mdm_table_push_int64(&t, 2, i, err)) != MDM_OK ||
            (rc = mdm_table_push_text(&t, 3, v, (size_t)n, err)) != MDM_OK ||
            (rc = mdm_table_end_row(&t, err)) != MDM_OK)
            goto done;
    }
    rc = mdm_conn_create_table(c, "train", &t, MDM_IF_EXISTS_REPLACE, err);
    if (rc == MDM_OK) {
        /* Point reads and own-row writes by id: index it, as users would. */
        mdm_query_result r;
        rc = run_sql(c, "CREATE UNIQUE INDEX train_id ON train (id)", NULL, 0, &r, err);
        mdm_query_result_reset(&r);
    }
done:
    mdm_table_reset(&t);
    return rc;
}

/* Every row accounted for: the total, each thread's count, and each
 * thread's live ids one by one. */
static bool audit(mdm_conn *c, worker *ws, int n, run_result *res)
{
    mdm_query_result r;
    mdm_error err;
    int64_t expected = INITIAL_ROWS;
    for (int i = 0; i < n; i++)
        expected += ws[i].inserted - ws[i].deleted;
    res->rows_expected = expected;
    if (run_sql(c, "SELECT count(*) AS n FROM train", NULL, 0, &r, &err) != MDM_OK) {
        snprintf(res->why, sizeof res->why, "audit count: %s", err.message);
        mdm_query_result_reset(&r);
        return false;
    }
    res->rows_found = mdm_table_int64(&r.table, 0, 0);
    mdm_query_result_reset(&r);
    if (res->rows_found != expected) {
        snprintf(res->why, sizeof res->why, "%" PRId64 " rows in the table, the ledgers say %" PRId64,
                 res->rows_found, expected);
        return false;
    }
    for (int i = 0; i < n; i++) {
        mdm_param p = mdm_param_int64("t", i);
        if (run_sql(c, "SELECT id FROM train WHERE thread = :t ORDER BY id", &p, 1, &r, &err) != MDM_OK) {
            snprintf(res->why, sizeof res->why, "audit thread %d: %s", i, err.message);
            mdm_query_result_reset(&r);
            return false;
        }
        qsort(ws[i].live, (size_t)ws[i].nlive, sizeof *ws[i].live, cmp_i64);
        size_t stored = r.table.nrows;
        bool same = (long)stored == ws[i].nlive;
        for (long k = 0; same && k < ws[i].nlive; k++)
            same = mdm_table_int64(&r.table, 0, (size_t)k) == ws[i].live[k];
        mdm_query_result_reset(&r);
        if (!same) {
            snprintf(res->why, sizeof res->why, "thread %d: stored rows differ from its ledger "
                     "(%zu stored, %ld expected)", i, stored, ws[i].nlive);
            return false;
        }
    }
    return true;
}

static void run_backend(const load_opts *o, const mdm_backend_ops *ops, mdm_conn_config *cfg,
                        run_result *res)
{
    shared sh;
    worker *ws = NULL;
    pthread_t tids[MAX_THREADS];
    mdm_pool_opts po = MDM_POOL_OPTS_INIT;
    mdm_conn *c = NULL;
    mdm_error err;
    int started = 0;
    memset(&sh, 0, sizeof sh);
    res->ran = true;
    po.pool_size = o->pool_size;
    po.max_overflow = o->max_overflow;
    po.timeout_s = 10;
    if (mdm_pool_new(&sh.pool, ops, cfg, &po, &err) != MDM_OK) {
        snprintf(res->why, sizeof res->why, "pool: %s", err.message);
        return;
    }
    if (mdm_pool_acquire(sh.pool, &c, &err) != MDM_OK || seed_table(c, &err) != MDM_OK) {
        snprintf(res->why, sizeof res->why, "seed: %s", err.message);
        if (c != NULL)
            (void)mdm_pool_release(sh.pool, c);
        goto done;
    }
    (void)mdm_pool_release(sh.pool, c);
    c = NULL;

    ws = calloc((size_t)o->threads, sizeof *ws);
    if (ws == NULL)
        goto nomem;
    for (int i = 0; i < o->threads; i++) {
        ws[i].sh = &sh;
        ws[i].index = i;
        ws[i].seed = UINT64_C(0x9E3779B97F4A7C15) * (uint64_t)(i + 1);
        ws[i].next_id = ID_BASE + (int64_t)i * (o->ops + 1);
        ws[i].latency_ns = calloc((size_t)o->ops + 1, sizeof *ws[i].latency_ns);
        ws[i].live = calloc((size_t)o->ops + 1, sizeof *ws[i].live);
        if (ws[i].latency_ns == NULL || ws[i].live == NULL)
            goto nomem;
    }
    sh.o = o;
    pthread_barrier_init(&sh.start, NULL, (unsigned)o->threads + 1);
    sh.deadline = now_s() + o->max_seconds;
    for (; started < o->threads; started++)
        if (pthread_create(&tids[started], NULL, worker_main, &ws[started]) != 0)
            break;
    if (started < o->threads) {
        /* Cannot happen at these sizes; fail rather than wait forever at
         * the barrier. */
        fprintf(stderr, "bench_load: could not start thread %d\n", started);
        exit(1);
    }
    double t0 = now_s();
    pthread_barrier_wait(&sh.start);
    for (int i = 0; i < started; i++)
        pthread_join(tids[i], NULL);
    res->seconds = now_s() - t0;
    pthread_barrier_destroy(&sh.start);

    long nlat = 0;
    for (int i = 0; i < o->threads; i++) {
        nlat += ws[i].nlat;
        res->busy += ws[i].busy;
        res->pool_timeouts += ws[i].pool_timeouts;
        res->unexpected += ws[i].unexpected;
        res->stopped_early |= ws[i].stopped_early;
        for (int k = 0; k < OP_KINDS; k++)
            res->done[k] += ws[i].done[k];
        if (ws[i].first_error[0] != '\0' && res->why[0] == '\0')
            snprintf(res->why, sizeof res->why, "thread %d: %s", i, ws[i].first_error);
    }
    res->ops = nlat;
    int64_t *all = calloc((size_t)nlat + 1, sizeof *all);
    if (all == NULL)
        goto nomem;
    for (int i = 0, at = 0; i < o->threads; i++) {
        memcpy(all + at, ws[i].latency_ns, (size_t)ws[i].nlat * sizeof *all);
        at += (int)ws[i].nlat;
    }
    qsort(all, (size_t)nlat, sizeof *all, cmp_i64);
    if (nlat > 0) {
        res->p50_ms = (double)all[(nlat - 1) / 2] / 1e6;
        res->p99_ms = (double)all[(long)((double)(nlat - 1) * 0.99)] / 1e6;
        res->max_ms = (double)all[nlat - 1] / 1e6;
    }
    free(all);
    mdm_pool_get_status(sh.pool, &res->pool);

    if (mdm_pool_acquire(sh.pool, &c, &err) != MDM_OK) {
        snprintf(res->why, sizeof res->why, "audit: %s", err.message);
        goto done;
    }
    bool accounted = audit(c, ws, o->threads, res);
    (void)mdm_pool_release(sh.pool, c);
    res->passed = accounted && res->unexpected == 0 && nlat > 0;
    if (accounted && res->unexpected > 0 && res->why[0] == '\0')
        snprintf(res->why, sizeof res->why, "%ld unexpected errors", res->unexpected);
    goto done;
nomem:
    snprintf(res->why, sizeof res->why, "out of memory");
done:
    if (ws != NULL) {
        for (int i = 0; i < o->threads; i++) {
            free(ws[i].latency_ns);
            free(ws[i].live);
        }
        free(ws);
    }
    mdm_pool_free(sh.pool);
}

static void run_sqlite(const load_opts *o, run_result *res)
{
    char dir[] = "/tmp/mdm-load.XXXXXX", path[64], cmd[128];
    mdm_conn_config cfg = MDM_CONN_CONFIG_INIT;
    res->backend = "sqlite";
    if (mkdtemp(dir) == NULL) {
        res->ran = true;
        snprintf(res->why, sizeof res->why, "mkdtemp: %s", strerror(errno));
        return;
    }
    snprintf(path, sizeof path, "%s/load.sqlite", dir);
    cfg.backend = "sqlite";
    cfg.path = path;
    run_backend(o, mdm_sqlite_backend(), &cfg, res);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "bench_load: could not remove %s\n", dir);
}

static void run_pg(const load_opts *o, run_result *res)
{
    const char *base = getenv("MDM_PG_DSN");
    char db[64], dsn[1024];
    mdm_conn_config cfg = MDM_CONN_CONFIG_INIT;
    mdm_error err;
    res->backend = "postgresql";
    if (base == NULL || base[0] == '\0')
        return;   /* not ran: reported as skipped */
    cfg.backend = "postgresql";
    cfg.dsn = base;
    snprintf(db, sizeof db, "mdm_load_%ld", (long)getpid());
    if (mdm_database_drop(mdm_pg_backend(), &cfg, db, true, &err) != MDM_OK) {
        /* a leftover from a killed run could not be dropped: create says why */
    }
    if (mdm_database_create(mdm_pg_backend(), &cfg, db, &err) != MDM_OK) {
        res->ran = true;
        snprintf(res->why, sizeof res->why, "create database: %s", err.message);
        return;
    }
    snprintf(dsn, sizeof dsn, "%s dbname=%s", base, db);
    mdm_conn_config dcfg = cfg;
    dcfg.dsn = dsn;
    run_backend(o, mdm_pg_backend(), &dcfg, res);
    if (mdm_database_drop(mdm_pg_backend(), &cfg, db, true, &err) != MDM_OK)
        fprintf(stderr, "bench_load: drop %s: %s\n", db, err.message);
}

static void write_reports(const load_opts *o, const run_result *rs, int n)
{
    char path[1024];
    FILE *f;
    mkdir(o->report_dir, 0755);
    snprintf(path, sizeof path, "%s/load.json", o->report_dir);
    if ((f = fopen(path, "w")) != NULL) {
        fprintf(f, "{\"threads\":%d,\"ops_per_thread\":%ld,\"pool_size\":%d,\"max_overflow\":%d,\"runs\":[",
                o->threads, o->ops, o->pool_size, o->max_overflow);
        for (int i = 0; i < n; i++) {
            const run_result *r = &rs[i];
            fprintf(f, "%s\n {\"backend\":\"%s\",\"ran\":%s", i ? "," : "", r->backend,
                    r->ran ? "true" : "false");
            if (r->ran) {
                fprintf(f, ",\"passed\":%s,\"seconds\":%.3f,\"ops\":%ld,\"ops_per_s\":%.1f,"
                           "\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f,\"busy\":%ld,"
                           "\"pool_timeouts\":%ld,\"unexpected\":%ld,\"rows_expected\":%" PRId64
                           ",\"rows_found\":%" PRId64 ",\"stopped_early\":%s,\"pool_waits\":%" PRIu64
                           ",\"pool_created\":%" PRIu64 ",\"done\":{",
                        r->passed ? "true" : "false", r->seconds, r->ops,
                        r->seconds > 0 ? (double)r->ops / r->seconds : 0.0, r->p50_ms, r->p99_ms,
                        r->max_ms, r->busy, r->pool_timeouts, r->unexpected, r->rows_expected,
                        r->rows_found, r->stopped_early ? "true" : "false", r->pool.waits,
                        r->pool.created);
                for (int k = 0; k < OP_KINDS; k++)
                    fprintf(f, "%s\"%s\":%ld", k ? "," : "", OP_NAMES[k], r->done[k]);
                fprintf(f, "}");
                if (!r->passed) {
                    fprintf(f, ",\"why\":\"");
                    for (const char *p = r->why; *p; p++) {
                        if (*p == '"' || *p == '\\')
                            fputc('\\', f);
                        fputc((unsigned char)*p < 0x20 ? ' ' : *p, f);
                    }
                    fprintf(f, "\"");
                }
            }
            fprintf(f, "}");
        }
        fprintf(f, "\n]}\n");
        fclose(f);
    }
    snprintf(path, sizeof path, "%s/load.md", o->report_dir);
    if ((f = fopen(path, "w")) != NULL) {
        fprintf(f, "# Load: %d threads x %ld mixed operations, one dataset, one pool "
                   "(pool_size %d + max_overflow %d)\n\n",
                o->threads, o->ops, o->pool_size, o->max_overflow);
        fprintf(f, "Mix: 25%% point reads, 10%% counts, 10%% read_table (limit 20), 35%% inserts, "
                   "10%% updates, 10%% deletes (writes on each thread's own rows; every row "
                   "audited at the end).\n\n");
        fprintf(f, "| backend | result | ops | seconds | ops/s | p50 ms | p99 ms | max ms | busy | "
                   "pool timeouts | unexpected | rows (expected = found) |\n");
        fprintf(f, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
        for (int i = 0; i < n; i++) {
            const run_result *r = &rs[i];
            if (!r->ran) {
                fprintf(f, "| %s | skipped (no MDM_PG_DSN) | | | | | | | | | | |\n", r->backend);
                continue;
            }
            fprintf(f, "| %s | %s%s | %ld | %.2f | %.0f | %.2f | %.2f | %.2f | %ld | %ld | %ld | "
                       "%" PRId64 " = %" PRId64 " |\n",
                    r->backend, r->passed ? "pass" : "FAIL", r->stopped_early ? " (time limit)" : "",
                    r->ops, r->seconds, r->seconds > 0 ? (double)r->ops / r->seconds : 0.0,
                    r->p50_ms, r->p99_ms, r->max_ms, r->busy, r->pool_timeouts, r->unexpected,
                    r->rows_expected, r->rows_found);
        }
        for (int i = 0; i < n; i++)
            if (rs[i].ran && !rs[i].passed)
                fprintf(f, "\n%s failed: %s\n", rs[i].backend, rs[i].why);
        fclose(f);
    }
}

static int usage(void)
{
    fprintf(stderr, "usage: bench_load [--threads N] [--ops M] [--backend sqlite|postgresql|all] "
                    "[--pool-size P] [--max-overflow O] [--max-seconds S] [--report-dir DIR]\n");
    return 2;
}

int main(int argc, char **argv)
{
    load_opts o = {16, 2000, 4, 4, 120.0, "all", "reports"};
    run_result rs[2];
    int n = 0, status = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (v == NULL)
            return usage();
        if (strcmp(a, "--threads") == 0) o.threads = atoi(v);
        else if (strcmp(a, "--ops") == 0) o.ops = atol(v);
        else if (strcmp(a, "--backend") == 0) o.backend = v;
        else if (strcmp(a, "--pool-size") == 0) o.pool_size = atoi(v);
        else if (strcmp(a, "--max-overflow") == 0) o.max_overflow = atoi(v);
        else if (strcmp(a, "--max-seconds") == 0) o.max_seconds = atof(v);
        else if (strcmp(a, "--report-dir") == 0) o.report_dir = v;
        else return usage();
        i++;
    }
    if (o.threads < 1 || o.threads > MAX_THREADS || o.ops < 1 || o.ops > 10000000 ||
        o.max_seconds <= 0 || (strcmp(o.backend, "all") != 0 && strcmp(o.backend, "sqlite") != 0 &&
                               strcmp(o.backend, "postgresql") != 0))
        return usage();
    memset(rs, 0, sizeof rs);
    if (strcmp(o.backend, "postgresql") != 0)
        run_sqlite(&o, &rs[n++]);
    if (strcmp(o.backend, "sqlite") != 0) {
        run_pg(&o, &rs[n]);
        if (!rs[n].ran && strcmp(o.backend, "postgresql") == 0) {
            fprintf(stderr, "bench_load: --backend postgresql needs MDM_PG_DSN\n");
            status = 1;
        }
        n++;
    }
    write_reports(&o, rs, n);
    for (int i = 0; i < n; i++) {
        const run_result *r = &rs[i];
        if (!r->ran) {
            printf("load %s: skipped (no MDM_PG_DSN)\n", r->backend);
            continue;
        }
        printf("load %s: %s: %ld ops in %.2f s (%.0f ops/s), p50 %.2f ms, p99 %.2f ms, "
               "busy %ld, pool timeouts %ld, unexpected %ld, rows %" PRId64 "/%" PRId64 "%s%s%s\n",
               r->backend, r->passed ? "pass" : "FAIL", r->ops, r->seconds,
               r->seconds > 0 ? (double)r->ops / r->seconds : 0.0, r->p50_ms, r->p99_ms, r->busy,
               r->pool_timeouts, r->unexpected, r->rows_found, r->rows_expected,
               r->stopped_early ? " (stopped at the time limit)" : "", r->passed ? "" : ": ",
               r->passed ? "" : r->why);
        if (!r->passed)
            status = 1;
    }
    printf("load: reports in %s/load.md and %s/load.json\n", o.report_dir, o.report_dir);
    return status;
}
