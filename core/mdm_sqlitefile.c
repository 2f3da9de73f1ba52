/* SPDX-License-Identifier: MIT */
/*
 * mdm_sqlitefile.c - an SQLite database's -wal file and `file:` URIs
 * (mdm_sqlitefile.h).
 */
#include "mdm_sqlitefile.h"

#include <sqlite3.h>
#include <stdio.h>
#include <sys/stat.h>

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
