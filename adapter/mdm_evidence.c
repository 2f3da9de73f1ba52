/* SPDX-License-Identifier: MIT */
/*
 * mdm_evidence.c - the evidence file (mdm_evidence.h): one SQLite
 * transaction per comparison that increments its counters, and the sums
 * `mdm rollout` reads back.
 */
#include "mdm_evidence.h"

#include <errno.h>
#include <math.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>

#define BUSY_MS 10000
#define NBUCKETS 128

static const char SCHEMA[] =
    "CREATE TABLE IF NOT EXISTS counts(generation INTEGER NOT NULL, flag TEXT NOT NULL,"
    " operation TEXT NOT NULL, dataset TEXT NOT NULL, outcome TEXT NOT NULL,"
    " expect_id TEXT NOT NULL, n INTEGER NOT NULL,"
    " PRIMARY KEY(generation, flag, operation, dataset, outcome, expect_id));"
    "CREATE TABLE IF NOT EXISTS latency(generation INTEGER NOT NULL, flag TEXT NOT NULL,"
    " operation TEXT NOT NULL, side TEXT NOT NULL, bucket INTEGER NOT NULL,"
    " n INTEGER NOT NULL, PRIMARY KEY(generation, flag, operation, side, bucket));";

static const char COUNT_SQL[] =
    "INSERT INTO counts VALUES(?1, ?2, ?3, ?4, ?5, ?6, 1)"
    " ON CONFLICT DO UPDATE SET n = n + 1";
static const char LATENCY_SQL[] =
    "INSERT INTO latency VALUES(?1, ?2, ?3, ?4, ?5, 1) ON CONFLICT DO UPDATE SET n = n + 1";
static const char OUTCOMES_SQL[] =
    "SELECT outcome, sum(n), 0 FROM counts WHERE generation = ?1 AND flag = ?2"
    " AND (?3 IS NULL OR operation = ?3) GROUP BY outcome";
static const char DATASETS_SQL[] =
    "SELECT 'datasets', count(DISTINCT dataset), 0 FROM counts WHERE generation = ?1"
    " AND flag = ?2 AND (?3 IS NULL OR operation = ?3)";
static const char BUCKETS_SQL[] =
    "SELECT side, sum(n), bucket FROM latency WHERE generation = ?1 AND flag = ?2"
    " AND (?3 IS NULL OR operation = ?3) GROUP BY side, bucket ORDER BY side, bucket";

const char *mdm_outcome_name(mdm_outcome o)
{
    static const char *const names[MDM_OUTCOME_COUNT] = {
        "match", "expected", "mismatch", "candidate_error", "control_error"};
    return (unsigned)o < MDM_OUTCOME_COUNT ? names[o] : "unknown";
}

int mdm_evidence_bucket(double ms)
{
    double us = ms * 1000.0;
    if (!(us >= 1.0))
        return 0;
    int b = (int)floor(log2(us) * 4.0) + 1;
    return b < NBUCKETS ? b : NBUCKETS - 1;
}

double mdm_evidence_bucket_ms(int bucket)
{
    if (bucket <= 0)
        return 0.0005;
    return pow(2.0, ((double)bucket - 0.5) / 4.0) / 1000.0;
}

/* A bound value: text when s is not NULL, else the integer. */
typedef struct bindv {
    const char *s;
    sqlite3_int64 i;
} bindv;

static mdm_status db_fail(sqlite3 *db, const char *path, const char *what, mdm_error *err)
{
    return mdm_error_set(err, MDM_ERR_IO, "evidence file '%s': %s: %s", path, what,
                         db != NULL ? sqlite3_errmsg(db) : "out of memory");
}

/* Prepares sql with the values bound; NULL on failure (err set). */
static sqlite3_stmt *prepare(sqlite3 *db, const char *path, const char *sql, const bindv *v,
                             size_t nv, mdm_error *err)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    for (size_t i = 0; rc == SQLITE_OK && i < nv; i++)
        rc = v[i].s != NULL ? sqlite3_bind_text(st, (int)i + 1, v[i].s, -1, SQLITE_STATIC)
                            : sqlite3_bind_int64(st, (int)i + 1, v[i].i);
    if (rc != SQLITE_OK) {
        (void)db_fail(db, path, "prepare", err);
        (void)sqlite3_finalize(st);
        return NULL;
    }
    return st;
}

/* Steps st to its end (handing each row to take, when given) and
 * finalises it; NULL st: the prepare failed (err set). */
static mdm_status step_all(sqlite3 *db, const char *path, sqlite3_stmt *st,
                           void (*take)(sqlite3_stmt *, void *), void *ctx, mdm_error *err)
{
    int rc = st != NULL ? SQLITE_ROW : SQLITE_MISUSE;
    while (rc == SQLITE_ROW && (rc = sqlite3_step(st)) == SQLITE_ROW)
        take(st, ctx);
    (void)sqlite3_finalize(st);
    return st == NULL ? MDM_ERR_IO : rc == SQLITE_DONE ? MDM_OK : db_fail(db, path, "step", err);
}

static mdm_status run(sqlite3 *db, const char *path, const char *sql, const bindv *v, size_t nv,
                      mdm_error *err)
{
    return step_all(db, path, prepare(db, path, sql, v, nv, err), NULL, NULL, err);
}

static mdm_status exec(sqlite3 *db, const char *path, const char *sql, const char *what,
                       mdm_error *err)
{
    return sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? MDM_OK
                                                                : db_fail(db, path, what, err);
}

static mdm_status open_db(const char *path, int flags, sqlite3 **db, mdm_error *err)
{
    if (sqlite3_open_v2(path, db, flags, NULL) != SQLITE_OK)
        return db_fail(*db, path, "open", err);
    (void)sqlite3_busy_timeout(*db, BUSY_MS);
    return MDM_OK;
}

mdm_status mdm_evidence_record(const char *path, const mdm_evidence_rec *r, mdm_error *err)
{
    sqlite3 *db = NULL;
    char ctl[8] = "control", cand[10] = "candidate";
    const char *op = r->operation != NULL ? r->operation : "";
    mdm_status rc = open_db(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, &db, err);
    if (rc == MDM_OK)
        rc = exec(db, path, "BEGIN IMMEDIATE", "begin", err);
    if (rc == MDM_OK)
        rc = exec(db, path, SCHEMA, "schema", err);
    bindv count[] = {{NULL, r->generation}, {r->flag, 0}, {op, 0},
                     {r->dataset != NULL ? r->dataset : "", 0}, {mdm_outcome_name(r->outcome), 0},
                     {r->expect_id != NULL ? r->expect_id : "", 0}};
    bindv lat_ctl[] = {{NULL, r->generation}, {r->flag, 0}, {op, 0}, {ctl, 0},
                       {NULL, mdm_evidence_bucket(r->control_ms)}};
    bindv lat_cand[] = {{NULL, r->generation}, {r->flag, 0}, {op, 0}, {cand, 0},
                        {NULL, mdm_evidence_bucket(r->candidate_ms)}};
    if (rc == MDM_OK)
        rc = run(db, path, COUNT_SQL, count, 6, err);
    if (rc == MDM_OK)
        rc = run(db, path, LATENCY_SQL, lat_ctl, 5, err);
    if (rc == MDM_OK)
        rc = run(db, path, LATENCY_SQL, lat_cand, 5, err);
    if (rc == MDM_OK)
        rc = exec(db, path, "COMMIT", "commit", err);
    if (rc != MDM_OK && db != NULL)
        (void)sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    (void)sqlite3_close(db);
    return rc;
}

/* ---- Summaries ------------------------------------------------------------------------------- */

typedef struct hist {
    uint64_t n[NBUCKETS];
    uint64_t total;
} hist;

/* The value below which a fraction q of the histogram lies. */
static double quantile(const hist *h, double q)
{
    uint64_t want = (uint64_t)ceil(q * (double)h->total), seen = 0;
    for (int b = 0; h->total > 0 && b < NBUCKETS; b++) {
        seen += h->n[b];
        if (seen >= want && seen > 0)
            return mdm_evidence_bucket_ms(b);
    }
    return 0.0;
}

typedef struct sums {
    mdm_evidence_summary *out;
    hist *ctl, *cand;
} sums;

/* One row of a summary query: (name, count, bucket). */
static void take_row(sqlite3_stmt *st, void *ctx)
{
    sums *x = ctx;
    mdm_evidence_summary *out = x->out;
    hist *ctl = x->ctl, *cand = x->cand;
    const char *name = (const char *)sqlite3_column_text(st, 0);
    uint64_t n = (uint64_t)sqlite3_column_int64(st, 1);
    int b = sqlite3_column_int(st, 2);
    hist *h = strcmp(name, "control") == 0 ? ctl : strcmp(name, "candidate") == 0 ? cand : NULL;
    if (h != NULL && b >= 0 && b < NBUCKETS) {
        h->n[b] += n;
        h->total += n;
        return;
    }
    if (strcmp(name, "datasets") == 0)
        out->datasets = n;
    for (int o = 0; o < MDM_OUTCOME_COUNT; o++)
        if (strcmp(name, mdm_outcome_name((mdm_outcome)o)) == 0) {
            out->n[o] += n;
            out->total += n;
        }
}

/* v: generation, flag, operation (when NULL it is left unbound: SQL NULL). */
static mdm_status read_rows(sqlite3 *db, const char *path, const char *sql, const bindv *v,
                            sums *x, mdm_error *err)
{
    sqlite3_stmt *st = prepare(db, path, sql, v, v[2].s != NULL ? 3 : 2, err);
    return step_all(db, path, st, take_row, x, err);
}

mdm_status mdm_evidence_summarize(const char *path, long generation, const char *flag,
                                  const char *operation, mdm_evidence_summary *out,
                                  mdm_error *err)
{
    struct stat stb;
    hist ctl, cand;
    sqlite3 *db = NULL;
    memset(out, 0, sizeof *out);
    memset(&ctl, 0, sizeof ctl);
    memset(&cand, 0, sizeof cand);
    if (stat(path, &stb) != 0 && errno == ENOENT)
        return MDM_OK;
    bindv v[] = {{NULL, generation}, {flag, 0}, {operation, 0}};
    sums x = {out, &ctl, &cand};
    mdm_status rc = open_db(path, SQLITE_OPEN_READONLY, &db, err);
    if (rc == MDM_OK)
        rc = read_rows(db, path, OUTCOMES_SQL, v, &x, err);
    if (rc == MDM_OK)
        rc = read_rows(db, path, DATASETS_SQL, v, &x, err);
    if (rc == MDM_OK)
        rc = read_rows(db, path, BUCKETS_SQL, v, &x, err);
    (void)sqlite3_close(db);
    out->control_p50 = quantile(&ctl, 0.50);
    out->control_p99 = quantile(&ctl, 0.99);
    out->candidate_p50 = quantile(&cand, 0.50);
    out->candidate_p99 = quantile(&cand, 0.99);
    return rc;
}
