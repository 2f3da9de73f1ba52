/* SPDX-License-Identifier: MIT */
/*
 * mdm_store_lock.c - the dataset write lock (mdm_store.h, mdm_store_lock):
 * one writer per dataset at a time, across processes and implementations.
 *
 * SQLite: flock() on "<db>.lock", a file beside the database. The file is
 * unlinked by whoever releases the lock (still holding it), so nothing is
 * left behind after a clean run; a waiter that was blocked on the unlinked
 * file then holds a lock nobody else can see, so after every flock() the
 * open file is checked to still be the one the path names, else it tries
 * again. The kernel drops the lock of a process that dies.
 *
 * PostgreSQL: pg_advisory_xact_lock on a key made from the database's name,
 * in a transaction held open on a session of its own to the server's
 * maintenance database (the dataset's database may not exist yet, or be
 * about to be dropped). The server drops it when that transaction or
 * session ends, however the process ended.
 */
#include "mdm_sqlitefile.h"
#include "mdm_store_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

struct mdm_store_lock {
    int fd;           /* SQLite: the locked file; -1 on PostgreSQL */
    char *path;       /* SQLite: its path */
    mdm_conn *conn;   /* PostgreSQL: the session holding the advisory lock */
};

/* Tries for a lock on a file that vanished under us this many times before
 * giving up (each try means another writer released and unlinked it). */
#define LOCK_TRIES 1000

/* One try: open (creating) and flock the path; *held when the locked file
 * is still the one the path names. */
static mdm_status flock_once(const char *path, int *fd_out, bool *held, mdm_error *err)
{
    struct stat by_fd, by_path;
    *held = false;
    mdm_status rc = mdm_sqlite_make_parents(path, err);
    if (rc != MDM_OK)
        return rc;
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0666);
    /* ENOENT: a releaser removed the folder between mkdir and open; like a
     * file replaced while we waited, that is one more try, not an error */
    bool gone = fd < 0 && errno == ENOENT;
    int r = gone ? 0 : -1;
    if (fd >= 0)
        do
            r = flock(fd, LOCK_EX);
        while (r != 0 && errno == EINTR);
    if (r != 0) {   /* the lock file cannot be opened (or, never seen, locked) */
        rc = mdm_error_set(err, MDM_ERR_IO, "cannot lock '%s': %s", path, strerror(errno));
        (void)close(fd);   /* fd -1 when open failed: EBADF, harmless */
        return rc;
    }
    *held = !gone && fstat(fd, &by_fd) == 0 && stat(path, &by_path) == 0 &&
            by_fd.st_dev == by_path.st_dev && by_fd.st_ino == by_path.st_ino;
    if (*held)
        *fd_out = fd;
    else
        (void)close(fd);   /* released and unlinked while we waited (or gone): try again */
    return MDM_OK;
}

mdm_status mdm_store_lock_file(const char *db, mdm_store_lock **out, mdm_error *err)
{
    mdm_store_lock *l = calloc(1, sizeof *l);
    size_t n = strlen(db) + sizeof ".lock";
    if (l == NULL || (l->path = malloc(n)) == NULL) {
        free(l);
        return mdm_error_set(err, MDM_ERR_NOMEM, "out of memory");
    }
    snprintf(l->path, n, "%s.lock", db);
    l->fd = -1;
    bool held = false;
    mdm_status rc = MDM_OK;
    for (int i = 0; rc == MDM_OK && !held; i++)
        rc = i < LOCK_TRIES ? flock_once(l->path, &l->fd, &held, err)
                            : mdm_error_set(err, MDM_ERR_BUSY, "cannot lock '%s': it kept being "
                                            "replaced", l->path);
    if (rc != MDM_OK) {
        mdm_store_unlock(l);
        return rc;
    }
    *out = l;
    return MDM_OK;
}

/* 64-bit FNV-1a of the database name: the advisory lock's key. Computed
 * here rather than by the server (hashtext) so that it never changes with
 * the server's version; a collision only makes two datasets wait for each
 * other. */
static int64_t lock_key(const char *db)
{
    uint64_t h = 14695981039346656037u;
    for (const unsigned char *p = (const unsigned char *)"mdm-dataset:"; *p; p++)
        h = (h ^ *p) * 1099511628211u;
    for (const unsigned char *p = (const unsigned char *)db; *p; p++)
        h = (h ^ *p) * 1099511628211u;
    return (int64_t)h;
}

mdm_status mdm_store_lock_pg(const mdm_backend_ops *ops, const mdm_conn_config *server,
                             const char *db, mdm_store_lock **out, mdm_error *err)
{
    mdm_query_result qr;
    mdm_param key = mdm_param_int64("key", lock_key(db));
    mdm_store_lock *l = calloc(1, sizeof *l);
    if (l == NULL)
        return mdm_error_set(err, MDM_ERR_NOMEM, "out of memory");
    l->fd = -1;
    mdm_query_result_init(&qr);
    mdm_status rc = mdm_conn_open(ops, server, &l->conn, err);
    /* a transaction-level lock in a transaction kept open until release:
     * it pins one server connection even behind a transaction pooler
     * (pgbouncer), where a session-level lock could stay with another
     * client's session */
    if (rc == MDM_OK)
        rc = mdm_conn_begin(l->conn, err);
    if (rc == MDM_OK)
        rc = mdm_conn_execute_query(l->conn, "SELECT pg_advisory_xact_lock(:key)", &key, 1, &qr,
                                    err);
    mdm_query_result_reset(&qr);
    if (rc != MDM_OK) {
        mdm_error_prefix(err, "cannot take the write lock of database '%s'", db);
        mdm_store_unlock(l);
        return rc;
    }
    *out = l;
    return MDM_OK;
}

void mdm_store_unlock(mdm_store_lock *l)
{
    struct stat by_fd, by_path;
    if (l == NULL)
        return;
    /* Unlinked while still held, and only if the path is still our file:
     * the next writer then makes a fresh one. */
    if (l->fd >= 0 && fstat(l->fd, &by_fd) == 0 && stat(l->path, &by_path) == 0 &&
        by_fd.st_dev == by_path.st_dev && by_fd.st_ino == by_path.st_ino)
        (void)unlink(l->path);
    if (l->fd >= 0)
        close(l->fd);
    mdm_conn_close(l->conn);   /* rolls back and ends the session: the lock goes with it */
    free(l->path);
    free(l);
}

bool mdm_store_is_staging(const char *table)
{
    return strncmp(table, MDM_STORE_STAGE_PREFIX, strlen(MDM_STORE_STAGE_PREFIX)) == 0 ||
           strcmp(table, MDM_STORE_SCRATCH_TABLE) == 0;
}
