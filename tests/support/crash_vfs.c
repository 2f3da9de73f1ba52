/* SPDX-License-Identifier: MIT */
/*
 * crash_vfs.c - the power-cut VFS shim (crash_vfs.h). Test-only code.
 *
 * The idea is the one of SQLite's own crash tests (src/test6.c): keep what
 * is durable apart from what was merely written, and at the "crash" put
 * the durable part back. Here the durable image of each path is kept in
 * memory (the test databases are a few pages), with the writes since the
 * last sync as a list of operations, so that any subset of them can be
 * replayed onto the image.
 */
#include "crash_vfs.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* One write or truncate made since the path's last sync. */
typedef struct pending {
    bool truncate;
    int64_t off;            /* write: offset; truncate: the new size */
    size_t n;               /* write: bytes */
    unsigned char *data;    /* write: a copy */
    int sector;             /* the file's sector size when written (CRASH_TORN) */
} pending;

/* One file (an inode): its durable content and the changes since. A path
 * deleted and made again is a new file; the old one's content does not
 * mix with the new one's. */
typedef struct version {
    struct version *next;   /* every version of the run, for freeing */
    unsigned char *image;   /* durable content */
    size_t size;
    pending *ops;           /* unsynced changes, in order */
    size_t nops, cap;
} version;

/* What the run knows of one path: which file its name points to now, and
 * which one it points to durably (as of the last folder sync). */
typedef struct tracked {
    struct tracked *next;
    char *path;
    version *now;           /* NULL: no such file now */
    version *durable;       /* NULL: none after a crash */
} tracked;

struct crash_vfs {
    sqlite3_vfs base;       /* first: SQLite hands us &base; pAppData is this */
    sqlite3_vfs *real;
    bool active;            /* between begin and crash */
    bool cut;
    long points, cut_at;
    tracked *files;
    version *versions;
    uint64_t rng;
};

typedef struct cv_file {
    sqlite3_file base;
    crash_vfs *v;
    version *ver;           /* NULL: a temporary file or outside a run */
    bool dirsync;           /* first sync also syncs the folder (a new journal/WAL) */
    sqlite3_file *real;     /* the wrapped file, allocated right after this one */
} cv_file;

static crash_vfs *CV(sqlite3_vfs *vfs)
{
    return vfs->pAppData;
}

static cv_file *CF(sqlite3_file *f)
{
    return (cv_file *)f;
}

/* ---- bookkeeping ------------------------------------------------------------------ */

/* Reads a whole file as it is on disk now; *exists false when absent. */
static int slurp(const char *path, bool *exists, unsigned char **data, size_t *size)
{
    *exists = false;
    *data = NULL;
    *size = 0;
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return errno == ENOENT ? 0 : -1;
    *exists = true;
    size_t cap = 0;
    for (;;) {
        if (*size == cap) {
            cap = cap ? cap * 2 : 65536;
            unsigned char *grown = realloc(*data, cap);
            if (grown == NULL) {
                close(fd);
                return -1;
            }
            *data = grown;
        }
        ssize_t got = read(fd, *data + *size, cap - *size);
        if (got < 0) {
            close(fd);
            return -1;
        }
        if (got == 0)
            break;
        *size += (size_t)got;
    }
    close(fd);
    return 0;
}

static version *new_version(crash_vfs *v, unsigned char *image, size_t size)
{
    version *ver = calloc(1, sizeof *ver);
    if (ver == NULL)
        return NULL;
    ver->image = image;
    ver->size = size;
    ver->next = v->versions;
    v->versions = ver;
    return ver;
}

/* The path's record, made on first touch: what is on disk when the run
 * first meets a path is durable (the test wrote those files before the
 * run; they stand for data synced long ago). */
static tracked *track(crash_vfs *v, const char *path)
{
    for (tracked *t = v->files; t != NULL; t = t->next)
        if (strcmp(t->path, path) == 0)
            return t;
    bool exists = false;
    unsigned char *data = NULL;
    size_t size = 0;
    tracked *t = calloc(1, sizeof *t);
    if (t == NULL || (t->path = strdup(path)) == NULL || slurp(path, &exists, &data, &size) != 0 ||
        (exists && (t->now = new_version(v, data, size)) == NULL)) {
        free(data);
        if (t != NULL)
            free(t->path);
        free(t);
        return NULL;
    }
    t->durable = t->now;
    t->next = v->files;
    v->files = t;
    return t;
}

static void drop_ops(version *ver)
{
    for (size_t i = 0; i < ver->nops; i++)
        free(ver->ops[i].data);
    ver->nops = 0;
}

static void untrack_all(crash_vfs *v)
{
    while (v->files != NULL) {
        tracked *t = v->files;
        v->files = t->next;
        free(t->path);
        free(t);
    }
    while (v->versions != NULL) {
        version *ver = v->versions;
        v->versions = ver->next;
        drop_ops(ver);
        free(ver->ops);
        free(ver->image);
        free(ver);
    }
}

static int remember(version *ver, const pending *op)
{
    if (ver->nops == ver->cap) {
        size_t cap = ver->cap ? ver->cap * 2 : 16;
        pending *grown = realloc(ver->ops, cap * sizeof *grown);
        if (grown == NULL)
            return -1;
        ver->ops = grown;
        ver->cap = cap;
    }
    ver->ops[ver->nops++] = *op;
    return 0;
}

/* Resizes a buffer, zero-filling growth (a file extended by a write past
 * its end or by ftruncate reads back zeros in the gap). */
static int resize(unsigned char **buf, size_t *size, size_t want)
{
    if (want > *size) {
        unsigned char *grown = realloc(*buf, want ? want : 1);
        if (grown == NULL)
            return -1;
        memset(grown + *size, 0, want - *size);
        *buf = grown;
    }
    *size = want;
    return 0;
}

/* xorshift64*: the seeded coin of CRASH_TORN. */
static bool coin(crash_vfs *v)
{
    v->rng ^= v->rng >> 12;
    v->rng ^= v->rng << 25;
    v->rng ^= v->rng >> 27;
    return ((v->rng * 2685821657736338717ull) >> 63) != 0;
}

/* Applies op to buf: all of it, or (torn) a coin per sector. */
static int apply(crash_vfs *v, unsigned char **buf, size_t *size, const pending *op, bool torn)
{
    if (op->truncate)
        return torn && !coin(v) ? 0 : resize(buf, size, (size_t)op->off);
    size_t sector = op->sector > 0 ? (size_t)op->sector : 4096;
    size_t end = (size_t)op->off + op->n;
    for (size_t at = (size_t)op->off; at < end;) {
        size_t stop = (at / sector + 1) * sector;
        if (stop > end)
            stop = end;
        if (!torn || coin(v)) {
            if (*size < stop && resize(buf, size, stop) != 0)
                return -1;
            memcpy(*buf + at, op->data + (at - (size_t)op->off), stop - at);
        }
        at = stop;
    }
    return 0;
}

/* xSync: everything written to the file so far is durable now. */
static int synced(crash_vfs *v, version *ver)
{
    for (size_t i = 0; i < ver->nops; i++)
        if (apply(v, &ver->image, &ver->size, &ver->ops[i], false) != 0)
            return -1;
    drop_ops(ver);
    return 0;
}

/* A folder sync: every name created or removed so far is durable now. */
static void folder_synced(crash_vfs *v)
{
    for (tracked *t = v->files; t != NULL; t = t->next)
        t->durable = t->now;
}

/* One I/O point that changes a file: true when the power is off (it went
 * off before, or goes off now, and this call does not happen). */
static bool power_off(crash_vfs *v)
{
    if (!v->active)
        return false;
    if (v->cut)
        return true;
    v->points++;
    if (v->cut_at > 0 && v->points >= v->cut_at)
        v->cut = true;
    return v->cut;
}

/* Reads and opens after the cut fail too: the machine is off. */
static bool dark(const crash_vfs *v)
{
    return v->active && v->cut;
}

/* ---- the file methods ------------------------------------------------------------------ */

static int cv_close(sqlite3_file *f)
{
    cv_file *p = CF(f);
    int rc = p->real->pMethods != NULL ? p->real->pMethods->xClose(p->real) : SQLITE_OK;
    /* Closing writes nothing; after the cut it must still free the handle. */
    return dark(p->v) ? SQLITE_OK : rc;
}

static int cv_read(sqlite3_file *f, void *buf, int amt, sqlite3_int64 off)
{
    cv_file *p = CF(f);
    if (dark(p->v))
        return SQLITE_IOERR_READ;
    return p->real->pMethods->xRead(p->real, buf, amt, off);
}

static int cv_write(sqlite3_file *f, const void *buf, int amt, sqlite3_int64 off)
{
    cv_file *p = CF(f);
    if (power_off(p->v))
        return SQLITE_IOERR_WRITE;
    int rc = p->real->pMethods->xWrite(p->real, buf, amt, off);
    if (rc == SQLITE_OK && p->ver != NULL) {
        pending op = {false, off, (size_t)amt, malloc(amt > 0 ? (size_t)amt : 1),
                      p->real->pMethods->xSectorSize(p->real)};
        if (op.data == NULL)
            return SQLITE_IOERR_NOMEM;
        memcpy(op.data, buf, (size_t)amt);
        if (remember(p->ver, &op) != 0) {
            free(op.data);
            return SQLITE_IOERR_NOMEM;
        }
    }
    return rc;
}

static int cv_truncate(sqlite3_file *f, sqlite3_int64 size)
{
    cv_file *p = CF(f);
    if (power_off(p->v))
        return SQLITE_IOERR_TRUNCATE;
    int rc = p->real->pMethods->xTruncate(p->real, size);
    if (rc == SQLITE_OK && p->ver != NULL) {
        pending op = {true, size, 0, NULL, 0};
        if (remember(p->ver, &op) != 0)
            return SQLITE_IOERR_NOMEM;
    }
    return rc;
}

static int cv_sync(sqlite3_file *f, int flags)
{
    cv_file *p = CF(f);
    if (power_off(p->v))
        return SQLITE_IOERR_FSYNC;
    /* No fsync reaches the disk: durability is what the shim models, and
     * a real fsync per point would make the sweep wait on the device. */
    int rc = SQLITE_OK;
    (void)flags;
    if (p->ver != NULL) {
        if (synced(p->v, p->ver) != 0)
            return SQLITE_IOERR_NOMEM;
        if (p->dirsync)
            folder_synced(p->v);
    }
    p->dirsync = false;   /* the unix VFS syncs the folder once per new journal */
    return rc;
}

static int cv_file_size(sqlite3_file *f, sqlite3_int64 *out)
{
    cv_file *p = CF(f);
    return p->real->pMethods->xFileSize(p->real, out);
}

static int cv_lock(sqlite3_file *f, int level)
{
    return CF(f)->real->pMethods->xLock(CF(f)->real, level);
}

static int cv_unlock(sqlite3_file *f, int level)
{
    return CF(f)->real->pMethods->xUnlock(CF(f)->real, level);
}

static int cv_check_reserved(sqlite3_file *f, int *out)
{
    return CF(f)->real->pMethods->xCheckReservedLock(CF(f)->real, out);
}

static int cv_file_control(sqlite3_file *f, int op, void *arg)
{
    return CF(f)->real->pMethods->xFileControl(CF(f)->real, op, arg);
}

static int cv_sector_size(sqlite3_file *f)
{
    return CF(f)->real->pMethods->xSectorSize(CF(f)->real);
}

static int cv_device(sqlite3_file *f)
{
    return CF(f)->real->pMethods->xDeviceCharacteristics(CF(f)->real);
}

/* The wal-index (-shm) is shared memory, not durable data: passed through. */
static int cv_shm_map(sqlite3_file *f, int pg, int pgsz, int extend, void volatile **pp)
{
    return CF(f)->real->pMethods->xShmMap(CF(f)->real, pg, pgsz, extend, pp);
}

static int cv_shm_lock(sqlite3_file *f, int off, int n, int flags)
{
    return CF(f)->real->pMethods->xShmLock(CF(f)->real, off, n, flags);
}

static void cv_shm_barrier(sqlite3_file *f)
{
    CF(f)->real->pMethods->xShmBarrier(CF(f)->real);
}

static int cv_shm_unmap(sqlite3_file *f, int del)
{
    return CF(f)->real->pMethods->xShmUnmap(CF(f)->real, del);
}

/* Memory-mapped reads: after the cut none (SQLite falls back to xRead,
 * which fails). Writes never go through the map (no SQLITE_MMAP_READWRITE). */
static int cv_fetch(sqlite3_file *f, sqlite3_int64 off, int amt, void **pp)
{
    cv_file *p = CF(f);
    if (dark(p->v)) {
        *pp = NULL;
        return SQLITE_OK;
    }
    return p->real->pMethods->xFetch(p->real, off, amt, pp);
}

static int cv_unfetch(sqlite3_file *f, sqlite3_int64 off, void *ptr)
{
    return CF(f)->real->pMethods->xUnfetch(CF(f)->real, off, ptr);
}

static const sqlite3_io_methods cv_io = {
    3,
    cv_close, cv_read, cv_write, cv_truncate, cv_sync, cv_file_size,
    cv_lock, cv_unlock, cv_check_reserved, cv_file_control, cv_sector_size, cv_device,
    cv_shm_map, cv_shm_lock, cv_shm_barrier, cv_shm_unmap,
    cv_fetch, cv_unfetch,
};

/* ---- the VFS methods ------------------------------------------------------------------- */

/* A journal or WAL the unix VFS creates gets its folder synced at the
 * file's first xSync (unixOpen's syncDir). */
static bool syncs_folder(int flags)
{
    int type = flags & (SQLITE_OPEN_MAIN_JOURNAL | SQLITE_OPEN_SUPER_JOURNAL | SQLITE_OPEN_WAL);
    return (flags & SQLITE_OPEN_CREATE) != 0 && type != 0;
}

static int cv_open(sqlite3_vfs *vfs, sqlite3_filename name, sqlite3_file *f, int flags,
                   int *out_flags)
{
    crash_vfs *v = CV(vfs);
    cv_file *p = CF(f);
    memset(p, 0, sizeof *p);
    p->v = v;
    p->real = (sqlite3_file *)(p + 1);
    if (dark(v))
        return SQLITE_IOERR;
    bool durable = name != NULL && (flags & SQLITE_OPEN_DELETEONCLOSE) == 0;
    tracked *t = NULL;
    if (v->active && durable && (t = track(v, name)) == NULL)
        return SQLITE_IOERR_NOMEM;
    int rc = v->real->xOpen(v->real, name, p->real, flags, out_flags);
    if (rc != SQLITE_OK)
        return rc;   /* pMethods stays NULL: SQLite will not call xClose */
    if (t != NULL && t->now == NULL && (t->now = new_version(v, NULL, 0)) == NULL) {
        /* (a new file starts empty; its name is durable after a folder sync) */
        p->real->pMethods->xClose(p->real);
        return SQLITE_IOERR_NOMEM;
    }
    p->ver = t != NULL ? t->now : NULL;
    p->dirsync = syncs_folder(flags);
    p->base.pMethods = &cv_io;
    return SQLITE_OK;
}

static int cv_delete(sqlite3_vfs *vfs, const char *name, int dirsync)
{
    crash_vfs *v = CV(vfs);
    tracked *t = NULL;
    if (power_off(v))
        return SQLITE_IOERR_DELETE;
    if (v->active && (t = track(v, name)) == NULL)
        return SQLITE_IOERR_NOMEM;
    int rc = v->real->xDelete(v->real, name, 0);   /* the folder sync is modelled */
    if (rc == SQLITE_OK && t != NULL) {
        t->now = NULL;
        if (dirsync)
            folder_synced(v);
    }
    return rc;
}

static int cv_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
    return CV(vfs)->real->xAccess(CV(vfs)->real, name, flags, out);
}

static int cv_full_pathname(sqlite3_vfs *vfs, const char *name, int n, char *out)
{
    return CV(vfs)->real->xFullPathname(CV(vfs)->real, name, n, out);
}

static void *cv_dlopen(sqlite3_vfs *vfs, const char *name)
{
    return CV(vfs)->real->xDlOpen(CV(vfs)->real, name);
}

static void cv_dlerror(sqlite3_vfs *vfs, int n, char *out)
{
    CV(vfs)->real->xDlError(CV(vfs)->real, n, out);
}

static void (*cv_dlsym(sqlite3_vfs *vfs, void *h, const char *sym))(void)
{
    return CV(vfs)->real->xDlSym(CV(vfs)->real, h, sym);
}

static void cv_dlclose(sqlite3_vfs *vfs, void *h)
{
    CV(vfs)->real->xDlClose(CV(vfs)->real, h);
}

static int cv_randomness(sqlite3_vfs *vfs, int n, char *out)
{
    return CV(vfs)->real->xRandomness(CV(vfs)->real, n, out);
}

static int cv_sleep(sqlite3_vfs *vfs, int us)
{
    return CV(vfs)->real->xSleep(CV(vfs)->real, us);
}

static int cv_current_time(sqlite3_vfs *vfs, double *out)
{
    return CV(vfs)->real->xCurrentTime(CV(vfs)->real, out);
}

static int cv_last_error(sqlite3_vfs *vfs, int n, char *out)
{
    return CV(vfs)->real->xGetLastError(CV(vfs)->real, n, out);
}

static int cv_current_time64(sqlite3_vfs *vfs, sqlite3_int64 *out)
{
    return CV(vfs)->real->xCurrentTimeInt64(CV(vfs)->real, out);
}

/* ---- the public side ------------------------------------------------------------------- */

crash_vfs *crash_vfs_install(void)
{
    sqlite3_vfs *real = sqlite3_vfs_find(NULL);
    if (real == NULL || real->iVersion < 2)
        return NULL;
    crash_vfs *v = calloc(1, sizeof *v);
    if (v == NULL)
        return NULL;
    v->real = real;
    v->base.iVersion = 2;
    v->base.szOsFile = (int)sizeof(cv_file) + real->szOsFile;
    v->base.mxPathname = real->mxPathname;
    v->base.zName = "mdm-crash";
    v->base.pAppData = v;
    v->base.xOpen = cv_open;
    v->base.xDelete = cv_delete;
    v->base.xAccess = cv_access;
    v->base.xFullPathname = cv_full_pathname;
    v->base.xDlOpen = cv_dlopen;
    v->base.xDlError = cv_dlerror;
    v->base.xDlSym = cv_dlsym;
    v->base.xDlClose = cv_dlclose;
    v->base.xRandomness = cv_randomness;
    v->base.xSleep = cv_sleep;
    v->base.xCurrentTime = cv_current_time;
    v->base.xGetLastError = cv_last_error;
    v->base.xCurrentTimeInt64 = cv_current_time64;
    if (sqlite3_vfs_register(&v->base, 1) != SQLITE_OK) {
        free(v);
        return NULL;
    }
    return v;
}

void crash_vfs_uninstall(crash_vfs *v)
{
    if (v == NULL)
        return;
    untrack_all(v);
    (void)sqlite3_vfs_unregister(&v->base);
    (void)sqlite3_vfs_register(v->real, 1);
    free(v);
}

const char *crash_vfs_real_name(const crash_vfs *v)
{
    return v->real->zName;
}

void crash_vfs_begin(crash_vfs *v, long cut_at)
{
    untrack_all(v);
    v->active = true;
    v->cut = false;
    v->points = 0;
    v->cut_at = cut_at;
}

long crash_vfs_points(const crash_vfs *v)
{
    return v->points;
}

bool crash_vfs_is_cut(const crash_vfs *v)
{
    return v->cut;
}

/* Writes content back in place of whatever the run left there. */
static int put_file(const char *path, const unsigned char *data, size_t size)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return -1;
    size_t done = 0;
    while (done < size) {
        ssize_t n = write(fd, data + done, size - done);
        if (n <= 0) {
            close(fd);
            return -1;
        }
        done += (size_t)n;
    }
    return close(fd);
}

/* What one path holds after the power comes back: the file its name
 * durably points to (torn: maybe the newer one, the folder's own write
 * having reached the disk or not), with its durable content (torn: and
 * some sectors of its unsynced writes). */
static int restore(crash_vfs *v, tracked *t, crash_model m)
{
    bool torn = m == CRASH_TORN;
    version *ver = t->durable;
    if (torn && t->now != t->durable && coin(v))
        ver = t->now;
    if (ver == NULL)
        return unlink(t->path) != 0 && errno != ENOENT ? -1 : 0;
    size_t size = ver->size;
    unsigned char *buf = malloc(size ? size : 1);
    if (buf == NULL)
        return -1;
    if (size > 0)
        memcpy(buf, ver->image, size);
    for (size_t i = 0; torn && i < ver->nops; i++) {
        if (apply(v, &buf, &size, &ver->ops[i], true) != 0) {
            free(buf);
            return -1;
        }
    }
    int rc = put_file(t->path, buf, size);
    free(buf);
    return rc;
}

int crash_vfs_crash(crash_vfs *v, crash_model m, unsigned seed)
{
    int rc = 0;
    v->rng = 0x9e3779b97f4a7c15ull ^ ((uint64_t)seed * 0x100000001b3ull);
    if (v->rng == 0)
        v->rng = 1;
    for (tracked *t = v->files; m != CRASH_KEEP_UNSYNCED && t != NULL; t = t->next)
        if (restore(v, t, m) != 0)
            rc = -1;
    untrack_all(v);
    v->active = false;
    v->cut = false;
    return rc;
}

const char *crash_model_name(crash_model m)
{
    switch (m) {
    case CRASH_DROP_UNSYNCED: return "power cut, unsynced writes lost";
    case CRASH_KEEP_UNSYNCED: return "process killed, unsynced writes kept";
    case CRASH_TORN: return "power cut, unsynced sectors torn";
    }
    return "?";
}
