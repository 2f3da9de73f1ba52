/* SPDX-License-Identifier: MIT */
/*
 * mdm_sqlitefile.h - what mdm knows about an SQLite database's files, for
 * whoever must open one for reading without writing beside it: the -wal
 * file beside the database, and `file:` URIs that open it read-only or
 * immutable. Used by modern's SQLite backend and by the legacy store, which
 * hands legacy/ such a URI when legacy's own read-write open cannot read.
 */
#ifndef MDM_SQLITEFILE_H
#define MDM_SQLITEFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "mdm_status.h"

/* Does path's -wal file exist and hold anything (changes that may not be
 * in the database file yet)? */
bool mdm_sqlite_wal_has_frames(const char *path);

/*
 * "file:<path, %-escaped>?<params>" into out (n bytes). A path too long
 * for out is cut short, and the URI then names no file. params: e.g.
 * "immutable=1", "mode=ro".
 */
void mdm_sqlite_file_uri(const char *path, const char *params, char *out, size_t n);

/* Does SQLite read a `file:` name as a URI even when the opener does not
 * ask for it (SQLITE_USE_URI, as Debian builds it)? legacy/ opens without
 * SQLITE_OPEN_URI. */
bool mdm_sqlite_uris_by_default(void);

/* mkdir -p of the folder that will hold path (a database file, or the lock
 * file beside it); the folder itself is not path's last part. */
MDM_NODISCARD mdm_status mdm_sqlite_make_parents(const char *path, mdm_error *err);

/* Removes what a dropped SQLite database may leave beside its file (-wal,
 * -shm, -journal); missing ones are fine. */
void mdm_sqlite_remove_leftovers(const char *path);

/* Removes a new database being built beside path ("<path>.build", and its
 * -wal, -shm, -journal): what a register that died while building leaves
 * (the modern store's build_rows). */
void mdm_sqlite_remove_build(const char *path);

#endif
