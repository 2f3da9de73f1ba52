/* SPDX-License-Identifier: MIT */
/*
 * crash_vfs.h - a test-only SQLite VFS that simulates a power cut at the
 * Nth I/O point of a run (tests/integration/test_crash.c sweeps every N).
 *
 * The shim wraps the default VFS and is registered as the new default, so
 * every connection the code under test opens (modern's pools, legacy's
 * engine) goes through it without a change to that code. Between
 * crash_vfs_begin() and crash_vfs_crash() it
 *
 *   - counts I/O points: every xWrite, xTruncate, xSync and xDelete of a
 *     named file (temporary files have no name and are not durable);
 *   - remembers, per path, the durable image: the content as of the last
 *     xSync (or as found when the run first touched the path), whether the
 *     path durably exists, and the writes and truncations made since that
 *     sync, in order;
 *   - at the cut (the point numbered cut_at, which does not happen) turns
 *     the power off: that call and every later write, truncate, sync,
 *     delete, read and open fail with SQLITE_IOERR_*, so the writer gives
 *     up and nothing reaches the disk any more, including what connections
 *     do while they are closed after the cut.
 *
 * crash_vfs_crash() then makes the files what the disk would hold after
 * the power came back (the model), and ends the run:
 *
 *   CRASH_DROP_UNSYNCED  every write since a file's last xSync is lost
 *                        (SQLite's own crash tests' basic model);
 *   CRASH_KEEP_UNSYNCED  every write reached the disk (a killed process:
 *                        the operating system kept what it was given);
 *   CRASH_TORN           each unsynced write survives or not sector by
 *                        sector (xSectorSize units, a seeded coin per
 *                        sector), each unsynced truncate by a coin: writes
 *                        are never reordered across an xSync and bytes
 *                        outside a write are never touched (SQLite's
 *                        powersafe-overwrite assumption on unix).
 *
 * Names in a folder: creating and deleting a file changes the folder, and
 * that change is durable only after the folder is synced. The unix VFS
 * syncs the folder itself when it first syncs a journal or WAL it created
 * (and on xDelete with dirSync set, i.e. synchronous=EXTRA); the shim does
 * the same bookkeeping: at such a sync every tracked path's existence
 * becomes durable. So a deleted -journal that was never followed by a
 * folder sync comes back after the crash with its synced content (a hot
 * journal), as it can on a real file system, and a new database file whose
 * folder was never synced is gone.
 *
 * Not modelled: the -shm file (written through mmap, never durable, and
 * rebuilt by SQLite when the first connection opens the database), and
 * reordering of writes within one sync interval beyond what TORN covers.
 *
 * The shim's state lives in the crash_vfs object (the sqlite3_vfs's
 * pAppData), not in file-scope variables. It is single-threaded: the code
 * under test uses one connection at a time on the calling thread.
 */
#ifndef MDM_CRASH_VFS_H
#define MDM_CRASH_VFS_H

#include <stdbool.h>

typedef struct crash_vfs crash_vfs;

typedef enum crash_model {
    CRASH_DROP_UNSYNCED,
    CRASH_KEEP_UNSYNCED,
    CRASH_TORN,
} crash_model;

/* Wraps the current default VFS and registers the shim as the default.
 * NULL when out of memory or when SQLite refuses. */
crash_vfs *crash_vfs_install(void);
/* Unregisters (the wrapped VFS is the default again) and frees. */
void crash_vfs_uninstall(crash_vfs *v);

/* The wrapped VFS's name: open with it to bypass the shim. */
const char *crash_vfs_real_name(const crash_vfs *v);

/* Starts a run: points counted from 0, nothing tracked yet. cut_at > 0:
 * the power goes off at that point; 0: never (a counting run). */
void crash_vfs_begin(crash_vfs *v, long cut_at);
/* I/O points seen in this run (the cut point included). */
long crash_vfs_points(const crash_vfs *v);
/* Has the power gone off in this run? */
bool crash_vfs_is_cut(const crash_vfs *v);
/* Applies the model to every file the run touched (every connection must
 * be closed by now) and ends the run; the shim passes everything through
 * until the next begin. seed: CRASH_TORN's coins. 0 on success, -1 when a
 * file could not be written back (errno). */
int crash_vfs_crash(crash_vfs *v, crash_model m, unsigned seed);

const char *crash_model_name(crash_model m);

#endif
