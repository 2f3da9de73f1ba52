/* SPDX-License-Identifier: MIT */
/*
 * test_support.c - temporary folders, files and throwaway PostgreSQL
 * databases for the tests. Test-only code: never linked into mdm.
 */
#include "test_support.h"

#include <libpq-fe.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int mdm_test_tmpdir(char *out, size_t n)
{
    const char *base = getenv("TMPDIR");
    if (base == NULL || base[0] == '\0')
        base = "/tmp";
    if ((size_t)snprintf(out, n, "%s/mdm-test.XXXXXX", base) >= n)
        return -1;
    return mkdtemp(out) == NULL ? -1 : 0;
}

void mdm_test_rmrf(const char *path)
{
    char cmd[4200];
    if (path == NULL || path[0] == '\0' || strcmp(path, "/") == 0)
        return;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
    if (system(cmd) != 0)
        fprintf(stderr, "warning: could not remove %s\n", path);
}

int mdm_test_write_file(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        return -1;
    size_t w = fwrite(data, 1, len, f);
    int rc = fclose(f);
    return (w == len && rc == 0) ? 0 : -1;
}

int mdm_test_file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

const char *mdm_test_pg_dsn(void)
{
    const char *d = getenv("MDM_PG_DSN");
    return (d != NULL && d[0] != '\0') ? d : NULL;
}

int mdm_test_pg_config(const char *path, const char *prefix)
{
    char yaml[1200];
    if (mdm_test_pg_dsn() == NULL)
        return 0;
    snprintf(yaml, sizeof yaml,
             "storage:\n  default_backend: postgresql\n  backends:\n    postgresql:\n"
             "      path_template: \"%s{name}\"\n      options:\n        dsn: \"%s\"\n",
             prefix, mdm_test_pg_dsn());
    return mdm_test_write_file(path, yaml, strlen(yaml)) == 0 ? 1 : -1;
}

int mdm_test_pg_exec(const char *dsn, const char *sql)
{
    const char *use = dsn ? dsn : mdm_test_pg_dsn();
    if (use == NULL)
        return -1;
    PGconn *c = PQconnectdb(use);
    if (PQstatus(c) != CONNECTION_OK) {
        fprintf(stderr, "test_pg: connect: %s", PQerrorMessage(c));
        PQfinish(c);
        return -1;
    }
    PGresult *r = PQexec(c, sql);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
    if (!ok)
        fprintf(stderr, "test_pg: %s: %s", sql, PQerrorMessage(c));
    PQclear(r);
    PQfinish(c);
    return ok ? 0 : -1;
}

int mdm_test_pg_create_db(const char *prefix, char *dsn_out, size_t dsn_n,
                          char *db_out, size_t db_n)
{
    static unsigned counter; /* test-only helper; tests are single-threaded here */
    const char *base = mdm_test_pg_dsn();
    char sql[256];
    if (base == NULL)
        return -1;
    snprintf(db_out, db_n, "%s_%ld_%u", prefix ? prefix : "t", (long)getpid(), counter++);
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS \"%s\" WITH (FORCE)", db_out);
    (void)mdm_test_pg_exec(NULL, sql);
    snprintf(sql, sizeof sql, "CREATE DATABASE \"%s\"", db_out);
    if (mdm_test_pg_exec(NULL, sql) != 0)
        return -1;
    /* The base DSN ends with dbname=postgres; a later keyword wins in libpq. */
    if ((size_t)snprintf(dsn_out, dsn_n, "%s dbname=%s", base, db_out) >= dsn_n)
        return -1;
    return 0;
}

void mdm_test_pg_drop_db(const char *dbname)
{
    char sql[256];
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS \"%s\" WITH (FORCE)", dbname);
    (void)mdm_test_pg_exec(NULL, sql);
}

/* The top of the source tree: $MDM_SOURCE_DIR, the current folder, or the
 * first folder above this binary that holds ci/pg.sh. */
void mdm_test_source_dir(char *out, size_t n)
{
    char probe[PATH_MAX];
    const char *root = getenv("MDM_SOURCE_DIR");
    if (root != NULL && root[0] != '\0') {
        snprintf(out, n, "%s", root);
        return;
    }
    snprintf(out, n, ".");
    if (access("ci/pg.sh", R_OK) == 0)
        return;
    char self[PATH_MAX - 32];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (len <= 0)
        return;
    self[len] = '\0';
    for (int up = 0; up < 5; up++) {
        char *slash = strrchr(self, '/');
        if (slash == NULL)
            return;
        *slash = '\0';
        snprintf(probe, sizeof probe, "%s/ci/pg.sh", self);
        if (access(probe, R_OK) == 0) {
            snprintf(out, n, "%s", self);
            return;
        }
    }
}
