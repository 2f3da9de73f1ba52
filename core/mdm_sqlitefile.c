/* SPDX-License-Identifier: MIT */
/*
 * mdm_sqlitefile.c - an SQLite database's -wal file and `file:` URIs
 * (mdm_sqlitefile.h).
 */
#include "mdm_sqlitefile.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

mdm_status mdm_sqlite_make_parents(const char *path, mdm_error *err)
{
    char *dir = strdup(path);
    mdm_status rc = MDM_OK;
    if (dir == NULL)
        return mdm_error_set(err, MDM_ERR_NOMEM, "out of memory");
    char *slash = strrchr(dir, '/');
    for (char *p = dir + 1; slash != NULL && slash != dir && rc == MDM_OK && p <= slash; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(dir, 0777) != 0 && errno != EEXIST)
            rc = mdm_error_set(err, MDM_ERR_IO, "cannot create folder '%s': %s", dir,
                               strerror(errno));
        *p = '/';
    }
    free(dir);
    return rc;
}

bool mdm_sqlite_wal_has_frames(const char *path)
{
    char wal[4096];
    struct stat st;
    int n = snprintf(wal, sizeof wal, "%s-wal", path);
    return n > 0 && (size_t)n < sizeof wal && stat(wal, &st) == 0 && st.st_size > 0;
}

void mdm_sqlite_file_uri(const char *path, const char *params, char *out, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t k = (size_t)snprintf(out, n, "file:");
    /* %, ? and # end or escape a URI's path; blanks and bytes outside
     * ASCII are escaped so the name survives as bytes. */
    for (const unsigned char *p = (const unsigned char *)path; *p && k + 4 < n; p++) {
        if (*p == '%' || *p == '?' || *p == '#' || *p <= ' ' || *p >= 0x7f) {
            out[k++] = '%';
            out[k++] = hex[*p >> 4];
            out[k++] = hex[*p & 15];
        } else {
            out[k++] = (char)*p;
        }
    }
    snprintf(out + k, n - k, "?%s", params);
}

bool mdm_sqlite_uris_by_default(void)
{
    return sqlite3_compileoption_used("USE_URI") != 0;
}

void mdm_sqlite_remove_leftovers(const char *path)
{
    static const char *const suffixes[] = {"-wal", "-shm", "-journal"};
    char p[4200];
    for (size_t i = 0; i < 3; i++)
        if ((size_t)snprintf(p, sizeof p, "%s%s", path, suffixes[i]) < sizeof p)
            (void)unlink(p);
}

void mdm_sqlite_remove_build(const char *path)
{
    char p[4200];
    if ((size_t)snprintf(p, sizeof p, "%s.build", path) >= sizeof p)
        return;
    (void)unlink(p);
    mdm_sqlite_remove_leftovers(p);
}
