/* SPDX-License-Identifier: MIT */
/*
 * bench_register.c - `register` throughput, legacy against modern, on SQLite
 * and PostgreSQL, measured in one run: a generated CSV (mdm-gencsv's generator,
 * 1M rows by default) is parsed once, then stored as a new table by each
 * implementation into a fresh database of each backend, and the program
 * prints rows/s for the store alone and for parse + store (what `mdm
 * register` does). PostgreSQL runs when MDM_PG_DSN is set (ci/pg.sh).
 *
 *   bench_register [--rows N] [--seed S] [--runs K] [--only sqlite|postgresql] [FILE]
 *
 * Runs alternate legacy and modern (K = 3 by default; best run per cell).
 *
 * One line per cell, then a Markdown table for the README:
 *   bench_register: impl=modern backend=sqlite rows=1000000 store_s=1.234 ...
 */
#include "mdm_conf.h"
#include "mdm_connmgr.h"
#include "mdm_csv.h"
#include "mdm_gencsv.h"
#include "mdm_registry.h"
#if MDM_WITH_LEGACY
#include "legacy_db.h"
#endif

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct bench_opts {
    uint64_t rows, seed;
    int runs;
    const char *only;
    const char *file;
} bench_opts;

typedef struct cell {
    const char *impl, *backend;
    double store_s;      /* best of the runs */
    int64_t stored;      /* row count read back */
    bool ran;
    char note[600];
} cell;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Extracts `key=value` from a libpq keyword DSN into out ("" if absent). */
static void dsn_get(const char *dsn, const char *key, char *out, size_t n)
{
    size_t kl = strlen(key);
    out[0] = '\0';
    for (const char *p = dsn; p && *p;) {
        while (*p == ' ')
            p++;
        if (strncmp(p, key, kl) == 0 && p[kl] == '=') {
            const char *v = p + kl + 1;
            size_t len = strcspn(v, " ");
            snprintf(out, n, "%.*s", (int)(len < n ? len : n - 1), v);
        }
        p = strchr(p, ' ');
    }
}

/* ---- modern ---- */

static int store_modern(const mdm_registry *reg, const char *backend, const char *path,
                        const char *dsn, const mdm_table *t, cell *c)
{
    mdm_conn_config cfg = MDM_CONN_CONFIG_INIT;
    mdm_connmgr *m = NULL;
    mdm_conn *conn = NULL;
    mdm_table_info ti;
    mdm_error err;
    cfg.backend = backend;
    cfg.path = path;
    cfg.dsn = dsn;
    mdm_table_info_init(&ti);
    if (mdm_connmgr_new(&m, reg, &cfg, NULL, &err) != MDM_OK ||
        mdm_connmgr_acquire(m, &conn, &err) != MDM_OK) {
        snprintf(c->note, sizeof c->note, "%s", err.message);
        mdm_connmgr_free(m);
        return -1;
    }
    double t0 = now_s();
    mdm_status rc = mdm_conn_create_table(conn, "train", t, MDM_IF_EXISTS_REPLACE, &err);
    double dt = now_s() - t0;
    if (rc == MDM_OK)
        rc = mdm_conn_table_info(conn, "train", &ti, &err);
    if (rc != MDM_OK)
        snprintf(c->note, sizeof c->note, "%s", err.message);
    c->stored = ti.row_count;
    (void)mdm_connmgr_release(m, conn);
    mdm_connmgr_free(m);
    mdm_table_info_reset(&ti);
    if (rc != MDM_OK)
        return -1;
    if (!c->ran || dt < c->store_s)
        c->store_s = dt;
    c->ran = true;
    return 0;
}

/* ---- legacy ---- */

#if MDM_WITH_LEGACY
static int store_legacy(const char *backend, const char *path, const char *pg_dsn,
                        const mdm_table *t, cell *c)
{
    mdm_error err;
    mdm_conf *conf = NULL;
    legacy_engine *e = NULL;
    legacy_table_info ti;
    int ret = -1;

    legacy_reset_all();
    legacy_backend *b = legacy_backend_get(backend, &err);
    legacy_table_info_init(&ti);
    if (b == NULL)
        goto done;
    if (strcmp(backend, "postgresql") == 0) {
        char host[512], port[32], user[64];
        mdm_conf_node *pg = NULL;
        dsn_get(pg_dsn, "host", host, sizeof host);
        dsn_get(pg_dsn, "port", port, sizeof port);
        dsn_get(pg_dsn, "user", user, sizeof user);
        if (mdm_conf_new("bench", &conf, &err) != MDM_OK ||
            mdm_conf_add(&conf->root, "postgresql", MDM_CONF_MAP, NULL, &pg, &err) != MDM_OK ||
            mdm_conf_add(pg, "host", MDM_CONF_SCALAR, host[0] ? host : "localhost", NULL, &err) != MDM_OK ||
            mdm_conf_add(pg, "port", MDM_CONF_SCALAR, port[0] ? port : "5432", NULL, &err) != MDM_OK ||
            mdm_conf_add(pg, "user", MDM_CONF_SCALAR, user[0] ? user : "postgres", NULL, &err) != MDM_OK ||
            legacy_backend_configure(b, &conf->root, &err) != MDM_OK)
            goto done;
    }
    if (legacy_get_engine(b, path, &e, &err) != MDM_OK)
        goto done;
    double t0 = now_s();
    mdm_status rc = legacy_create_table_from_dataframe(b, t, "train", e, "replace", &err);
    double dt = now_s() - t0;
    if (rc != MDM_OK || legacy_get_table_info(b, "train", e, &ti, &err) != MDM_OK)
        goto done;
    c->stored = ti.row_count;
    if (!c->ran || dt < c->store_s)
        c->store_s = dt;
    c->ran = true;
    ret = 0;
done:
    if (ret != 0)
        snprintf(c->note, sizeof c->note, "%s", err.message);
    legacy_table_info_reset(&ti);
    legacy_reset_all();
    mdm_conf_free(conf);
    return ret;
}
#endif

/* ---- driver ---- */

static int usage(void)
{
    fprintf(stderr, "usage: bench_register [--rows N] [--seed S] [--runs K] "
                    "[--only sqlite|postgresql] [FILE]\n");
    return 2;
}

int main(int argc, char **argv)
{
    bench_opts o = {1000000, 42, 3, NULL, NULL};
    char dir[256], csv[320], path[400], dsn[1024], db[64];
    mdm_registry *reg = NULL;
    mdm_table t;
    mdm_error err;
    cell cells[4];
    int ncells = 0, failed = 0;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--rows") == 0 && i + 1 < argc)
            o.rows = strtoull(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
            o.seed = strtoull(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc)
            o.runs = atoi(argv[++i]);
        else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc)
            o.only = argv[++i];
        else if (argv[i][0] != '-' && o.file == NULL)
            o.file = argv[i];
        else
            return usage();
    }
    if (o.runs < 1)
        return usage();
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/bench_register.XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
    if (mkdtemp(dir) == NULL) {
        perror("bench_register: mkdtemp");
        return 1;
    }
    if (o.file == NULL) {
        snprintf(csv, sizeof csv, "%s/data.csv", dir);
        FILE *f = fopen(csv, "wb");
        if (f == NULL || mdm_gencsv_write(f, o.rows, o.seed) != 0 || fclose(f) != 0) {
            fprintf(stderr, "bench_register: cannot write %s\n", csv);
            return 1;
        }
        o.file = csv;
    }
    mdm_table_init(&t);
    double t0 = now_s();
    if (mdm_csv_read_file(o.file, NULL, &t, &err) != MDM_OK) {
        fprintf(stderr, "bench_register: %s\n", err.message);
        return 1;
    }
    double parse_s = now_s() - t0;
    printf("bench_register: parse rows=%zu cols=%zu parse_s=%.3f rows_per_s=%.0f\n", t.nrows,
           t.ncols, parse_s, (double)t.nrows / parse_s);
    if (mdm_registry_new(&reg, &err) != MDM_OK || mdm_registry_add_builtins(reg, &err) != MDM_OK)
        return 1;

    const char *pg = getenv("MDM_PG_DSN");
    const mdm_backend_ops *sqlite_ops = mdm_registry_find(reg, "sqlite");
    const mdm_backend_ops *pg_ops = mdm_registry_find(reg, "postgresql");
    const char *backends[] = {"sqlite", "postgresql"};
    const char *impls[] = {"legacy", "modern"};
    for (int bi = 0; bi < 2; bi++) {
        const char *backend = backends[bi];
        if (o.only != NULL && strcmp(o.only, backend) != 0)
            continue;
        if (bi == 1 && (pg == NULL || pg[0] == '\0')) {
            printf("bench_register: backend=postgresql skipped (MDM_PG_DSN not set)\n");
            continue;
        }
        cell *pair = &cells[ncells];
        ncells += 2;
        for (int ii = 0; ii < 2; ii++) {
            memset(&pair[ii], 0, sizeof pair[ii]);
            pair[ii].impl = impls[ii];
            pair[ii].backend = backend;
        }
        bool broken[2] = {false, false};
        /* Runs alternate legacy and modern (and which goes first), so a
         * change in machine load hits both alike; each cell keeps its best. */
        for (int run = 0; run < o.runs; run++) {
            for (int k = 0; k < 2; k++) {
                int ii = (run % 2 == 0) ? k : 1 - k;
                cell *c = &pair[ii];
                int rc = -1;
                if (broken[ii])
                    continue;
                mdm_conn_config server = MDM_CONN_CONFIG_INIT;
                server.dsn = pg;
                if (bi == 0) {
                    snprintf(path, sizeof path, "%s/%s-%d.sqlite", dir, c->impl, run);
                } else {
                    snprintf(db, sizeof db, "mdm_bench_%s_%ld_%d", c->impl, (long)getpid(), run);
                    if (mdm_database_drop(pg_ops, &server, db, true, &err) != MDM_OK ||
                        mdm_database_create(pg_ops, &server, db, &err) != MDM_OK) {
                        snprintf(c->note, sizeof c->note, "%s", err.message);
                        broken[ii] = true;
                        continue;
                    }
                    snprintf(dsn, sizeof dsn, "%s dbname=%s", pg, db);
                }
                if (ii == 1)
                    rc = store_modern(reg, backend, path, dsn, &t, c);
#if MDM_WITH_LEGACY
                else
                    rc = store_legacy(backend, bi == 0 ? path : db, pg, &t, c);
#else
                else
                    snprintf(c->note, sizeof c->note, "built without legacy");
#endif
                mdm_status drc = bi == 0 ? mdm_database_drop(sqlite_ops, &server, path, true, &err)
                                         : mdm_database_drop(pg_ops, &server, db, true, &err);
                if (drc != MDM_OK)
                    fprintf(stderr, "bench_register: cleanup: %s\n", err.message);
                if (rc != 0)
                    broken[ii] = true;
            }
        }
        for (int ii = 0; ii < 2; ii++) {
            cell *c = &pair[ii];
            if (!c->ran || c->stored != (int64_t)t.nrows) {
                printf("bench_register: impl=%s backend=%s FAILED: %s (stored %lld of %zu)\n",
                       c->impl, backend, c->note, (long long)c->stored, t.nrows);
                failed++;
                continue;
            }
            printf("bench_register: impl=%s backend=%s rows=%zu store_s=%.3f "
                   "store_rows_per_s=%.0f register_rows_per_s=%.0f\n",
                   c->impl, backend, t.nrows, c->store_s, (double)t.nrows / c->store_s,
                   (double)t.nrows / (c->store_s + parse_s));
            fflush(stdout);
        }
    }

    printf("\n| backend | rows | legacy rows/s (store) | modern rows/s (store) | modern/legacy "
           "| legacy rows/s (register) | modern rows/s (register) |\n"
           "|---|---:|---:|---:|---:|---:|---:|\n");
    for (int i = 0; i + 1 < ncells; i += 2) {
        cell *l = &cells[i], *m = &cells[i + 1];
        if (!l->ran || !m->ran)
            continue;
        double n = (double)t.nrows;
        printf("| %s | %zu | %.0f | %.0f | %.2fx | %.0f | %.0f |\n", l->backend, t.nrows,
               n / l->store_s, n / m->store_s, l->store_s / m->store_s,
               n / (l->store_s + parse_s), n / (m->store_s + parse_s));
    }
    printf("(parse of the CSV, shared: %.3f s; best of %d run(s) per cell)\n", parse_s, o.runs);
    mdm_table_reset(&t);
    mdm_registry_free(reg);
    if (o.file == csv)
        unlink(csv);
    rmdir(dir);
    return failed ? 1 : 0;
}
