/* SPDX-License-Identifier: MIT */
/*
 * mdm_input.c - one input file's bytes: mapped, read, or decompressed
 * (mdm_input.h). The compressed side is read in CHUNK steps from the file
 * descriptor (a pipe works as well as a file); each stream format has one
 * step function over a small codec state, and one loop drives them all.
 */
#include "mdm_input.h"

#include "mdm_buf.h"

#include <archive.h>
#include <archive_entry.h>
#include <bzlib.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <lzma.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

enum { CHUNK = 1 << 16 };

/* The compressed side: a window of CHUNK bytes over the descriptor. */
typedef struct src {
    int fd;
    const char *name;
    unsigned char buf[CHUNK];
    size_t pos, len;   /* unread bytes are buf[pos..len) */
    uint64_t base;     /* input offset of buf[0] */
    bool eof;
} src;

/* Refills the window once it is used up; at the end of the input sets eof. */
static mdm_status src_fill(src *s, mdm_error *err)
{
    if (s->pos < s->len || s->eof)
        return MDM_OK;
    s->base += s->len;
    s->pos = s->len = 0;
    for (;;) {
        ssize_t n = read(s->fd, s->buf, sizeof s->buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return mdm_error_set(err, MDM_ERR_IO, "cannot read '%s': %s", s->name, strerror(errno));
        s->len = (size_t)n;
        s->eof = n == 0;
        return MDM_OK;
    }
}

static uint64_t src_offset(const src *s)
{
    return s->base + s->pos;
}

/* ---- Formats ---------------------------------------------------------- */

typedef struct format {
    mdm_compression comp;
    const char *name, *suffix;
    const char *magic;
    size_t magic_len;
} format;

static const format FORMATS[] = {
    {MDM_COMP_GZIP, "gzip", ".gz", "\x1f\x8b", 2},
    {MDM_COMP_BZIP2, "bzip2", ".bz2", "BZh", 3},
    {MDM_COMP_XZ, "xz", ".xz", "\xfd" "7zXZ\0", 6},
    {MDM_COMP_ZSTD, "zstd", ".zst", "\x28\xb5\x2f\xfd", 4},
    {MDM_COMP_ZIP, "zip", ".zip", "PK\x03\x04", 4},
};
enum { NFORMATS = sizeof FORMATS / sizeof FORMATS[0] };

const char *mdm_compression_name(mdm_compression c)
{
    for (size_t i = 0; i < NFORMATS; i++)
        if (FORMATS[i].comp == c)
            return FORMATS[i].name;
    return "none";
}

static bool ends_with(const char *s, size_t n, const char *suffix)
{
    size_t k = strlen(suffix);
    return n >= k && strncasecmp(s + n - k, suffix, k) == 0;
}

/* The format a name's suffix promises, or NULL. */
static const format *by_suffix(const char *path)
{
    for (size_t i = 0; i < NFORMATS; i++)
        if (ends_with(path, strlen(path), FORMATS[i].suffix))
            return &FORMATS[i];
    return NULL;
}

size_t mdm_input_inner_len(const char *path)
{
    const format *f = by_suffix(path);
    return strlen(path) - (f != NULL ? strlen(f->suffix) : 0);
}

/* The format the first bytes show, or NULL (plain text). */
static const format *by_magic(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < NFORMATS; i++)
        if (n >= FORMATS[i].magic_len && memcmp(p, FORMATS[i].magic, FORMATS[i].magic_len) == 0)
            return &FORMATS[i];
    return NULL;
}

/* ---- Stream codecs: gzip, bzip2, xz, zstd ------------------------------ */

typedef struct codec {
    mdm_compression comp;
    union {
        z_stream z;
        bz_stream bz;
        lzma_stream xz;
        ZSTD_DStream *zs;
    } u;
} codec;

/* What one step did. */
enum { STEP_ERROR = -1, STEP_MORE = 0, STEP_END = 1 };

static bool codec_init(codec *c)
{
    memset(&c->u, 0, sizeof c->u);
    switch (c->comp) {
    case MDM_COMP_GZIP:
        return inflateInit2(&c->u.z, 15 + 16) == Z_OK;
    case MDM_COMP_BZIP2:
        return BZ2_bzDecompressInit(&c->u.bz, 0, 0) == BZ_OK;
    case MDM_COMP_XZ: {
        lzma_stream init = LZMA_STREAM_INIT;
        c->u.xz = init;
        return lzma_stream_decoder(&c->u.xz, UINT64_MAX, LZMA_CONCATENATED) == LZMA_OK;
    }
    default:
        c->u.zs = ZSTD_createDStream();
        return c->u.zs != NULL && !ZSTD_isError(ZSTD_initDStream(c->u.zs));
    }
}

static void codec_end(codec *c)
{
    switch (c->comp) {
    case MDM_COMP_GZIP:
        inflateEnd(&c->u.z);
        break;
    case MDM_COMP_BZIP2:
        BZ2_bzDecompressEnd(&c->u.bz);
        break;
    case MDM_COMP_XZ:
        lzma_end(&c->u.xz);
        break;
    default:
        ZSTD_freeDStream(c->u.zs);
        break;
    }
}

/* Another stream follows the one that ended (gzip and bzip2 members;
 * liblzma and libzstd go on by themselves). */
static bool codec_restart(codec *c)
{
    if (c->comp == MDM_COMP_GZIP)
        return inflateReset(&c->u.z) == Z_OK;
    if (c->comp == MDM_COMP_BZIP2) {
        BZ2_bzDecompressEnd(&c->u.bz);
        memset(&c->u.bz, 0, sizeof c->u.bz);
        return BZ2_bzDecompressInit(&c->u.bz, 0, 0) == BZ_OK;
    }
    return true;
}

/* One step: decodes from in[0..*used) into out[0..*made); at_eof: no
 * input follows in. *why: the library's words on STEP_ERROR. */
static int codec_step(codec *c, const unsigned char *in, size_t in_len, bool at_eof, char *out,
                      size_t cap, size_t *used, size_t *made, const char **why)
{
    int r;
    switch (c->comp) {
    case MDM_COMP_GZIP: {
        z_stream *z = &c->u.z;
        z->next_in = (unsigned char *)in;
        z->avail_in = (uInt)in_len;
        z->next_out = (unsigned char *)out;
        z->avail_out = (uInt)cap;
        r = inflate(z, Z_NO_FLUSH);
        *used = in_len - z->avail_in;
        *made = cap - z->avail_out;
        *why = z->msg != NULL ? z->msg : "invalid data";
        return r == Z_STREAM_END ? STEP_END : r == Z_OK || r == Z_BUF_ERROR ? STEP_MORE : STEP_ERROR;
    }
    case MDM_COMP_BZIP2: {
        bz_stream *b = &c->u.bz;
        b->next_in = (char *)in;
        b->avail_in = (unsigned)in_len;
        b->next_out = out;
        b->avail_out = (unsigned)cap;
        r = BZ2_bzDecompress(b);
        *used = in_len - b->avail_in;
        *made = cap - b->avail_out;
        *why = r == BZ_DATA_ERROR_MAGIC ? "not bzip2 data" : "invalid data";
        return r == BZ_STREAM_END ? STEP_END : r == BZ_OK ? STEP_MORE : STEP_ERROR;
    }
    case MDM_COMP_XZ: {
        lzma_stream *x = &c->u.xz;
        x->next_in = in;
        x->avail_in = in_len;
        x->next_out = (uint8_t *)out;
        x->avail_out = cap;
        lzma_ret lr = lzma_code(x, at_eof ? LZMA_FINISH : LZMA_RUN);
        *used = in_len - x->avail_in;
        *made = cap - x->avail_out;
        *why = lr == LZMA_MEM_ERROR ? "out of memory" : "invalid data";
        return lr == LZMA_STREAM_END ? STEP_END
             : lr == LZMA_OK || lr == LZMA_BUF_ERROR ? STEP_MORE : STEP_ERROR;
    }
    default: {
        ZSTD_inBuffer zi = {in, in_len, 0};
        ZSTD_outBuffer zo = {out, cap, 0};
        size_t zr = ZSTD_decompressStream(c->u.zs, &zo, &zi);
        *used = zi.pos;
        *made = zo.pos;
        *why = ZSTD_isError(zr) ? ZSTD_getErrorName(zr) : "";
        return ZSTD_isError(zr) ? STEP_ERROR : zr == 0 ? STEP_END : STEP_MORE;
    }
    }
}

static mdm_status corrupt(const src *s, const format *f, const char *why, mdm_error *err)
{
    return mdm_error_set(err, MDM_ERR_PARSE, "%s: corrupt %s data at byte %" PRIu64 ": %s",
                         s->name, f->name, src_offset(s), why);
}

static mdm_status truncated(const src *s, const format *f, mdm_error *err)
{
    return mdm_error_set(err, MDM_ERR_PARSE,
                         "%s: truncated %s data: the input ends at byte %" PRIu64
                         " inside a compressed stream", s->name, f->name, src_offset(s));
}

/* ---- The decompressed side: memory, then a temporary file ------------------ */

/*
 * Decompressed text (and text from a pipe) collects in memory up to
 * SPOOL_AT bytes; past that it goes on into an unlinked temporary file in
 * $TMPDIR (or /tmp), which is mapped at the end like a regular input. So a
 * 10 GB .csv.gz or a pipe needs disk, not memory: the CSV reader gives the
 * pages of a mapping back behind it (mdm_csv.c), and the kernel drops the
 * file when the mapping goes.
 */
enum { SPOOL_AT = 8 << 20 };

typedef struct spool {
    mdm_buf buf;     /* bytes not yet in the file (all of them, while fd < 0) */
    int fd;          /* the temporary file, or -1 */
    uint64_t in_file;
    const char *name;
} spool;

static const char *spool_dir(void)
{
    const char *d = getenv("TMPDIR");
    return d != NULL && d[0] != '\0' ? d : "/tmp";
}

/* An unlinked file in the temporary folder: O_TMPFILE where the file
 * system has it, else a named one removed at once. */
static int spool_file(void)
{
    const char *dir = spool_dir();
#ifdef O_TMPFILE
    int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd >= 0)
        return fd;
#endif
    char path[4096];
    if (snprintf(path, sizeof path, "%s/mdm-input-XXXXXX", dir) >= (int)sizeof path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    int tmp = mkstemp(path);
    if (tmp >= 0)
        (void)unlink(path);
    return tmp;
}

static mdm_status spool_flush(spool *sp, mdm_error *err)
{
    if (sp->fd < 0 && (sp->fd = spool_file()) < 0)
        return mdm_error_set(err, MDM_ERR_IO, "%s: cannot make a temporary file in %s: %s",
                             sp->name, spool_dir(), strerror(errno));
    for (size_t done = 0; done < sp->buf.len;) {
        ssize_t n = write(sp->fd, sp->buf.data + done, sp->buf.len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return mdm_error_set(err, MDM_ERR_IO, "%s: cannot write the decompressed text to %s: %s",
                                 sp->name, spool_dir(), strerror(errno));
        done += (size_t)n;
    }
    sp->in_file += sp->buf.len;
    mdm_buf_clear(&sp->buf);
    return MDM_OK;
}

/* Room for CHUNK more bytes at buf.data + buf.len (and a NUL). */
static mdm_status grow(spool *sp, const src *s, mdm_error *err)
{
    (void)s;
    if (sp->buf.len >= SPOOL_AT) {
        mdm_status rc = spool_flush(sp, err);
        if (rc != MDM_OK)
            return rc;
    }
    if (mdm_buf_reserve(&sp->buf, CHUNK) != MDM_OK)
        return mdm_error_set(err, MDM_ERR_NOMEM, "%s: out of memory after %" PRIu64 " bytes",
                             sp->name, sp->in_file + sp->buf.len);
    return MDM_OK;
}

/* The collected text into in: the memory itself, or the file mapped. */
static mdm_status spool_finish(spool *sp, mdm_input *in, mdm_error *err)
{
    if (sp->fd < 0) {
        in->heap_ = sp->buf.data;
        in->data = sp->buf.data != NULL ? sp->buf.data : "";
        in->len = sp->buf.len;
        mdm_buf_init(&sp->buf);
        return MDM_OK;
    }
    mdm_status rc = spool_flush(sp, err);
    if (rc != MDM_OK)
        return rc;
    void *m = mmap(NULL, (size_t)sp->in_file, PROT_READ, MAP_PRIVATE, sp->fd, 0);
    if (m == MAP_FAILED)
        return mdm_error_set(err, MDM_ERR_IO, "%s: cannot map the decompressed text: %s",
                             sp->name, strerror(errno));
    in->map_ = m;
    in->map_len_ = (size_t)sp->in_file;
    in->data = m;
    in->len = (size_t)sp->in_file;
    in->mapped = 1;
    return MDM_OK;
}

static void spool_reset(spool *sp)
{
    mdm_buf_reset(&sp->buf);
    if (sp->fd >= 0)
        close(sp->fd);
    sp->fd = -1;
}

static mdm_status decode_stream(src *s, const format *f, spool *sp, mdm_error *err)
{
    codec c = {.comp = f->comp};
    if (!codec_init(&c)) {
        codec_end(&c);
        return mdm_error_set(err, MDM_ERR_NOMEM, "%s: cannot start the %s decoder", s->name,
                             f->name);
    }
    bool boundary = false;   /* the last step ended a stream */
    mdm_status rc = MDM_OK;
    while (rc == MDM_OK) {
        if ((rc = src_fill(s, err)) != MDM_OK || (rc = grow(sp, s, err)) != MDM_OK)
            break;
        bool at_eof = s->eof && s->pos == s->len;
        if (at_eof && boundary)
            break;
        if (boundary && !codec_restart(&c)) {
            rc = corrupt(s, f, "cannot restart the decoder", err);
            break;
        }
        size_t used = 0, made = 0;
        const char *why = NULL;
        mdm_buf *out = &sp->buf;
        int r = codec_step(&c, s->buf + s->pos, s->len - s->pos, at_eof, out->data + out->len,
                           out->cap - out->len - 1, &used, &made, &why);
        s->pos += used;
        out->len += made;
        if (r == STEP_ERROR)
            rc = corrupt(s, f, why, err);
        else if (r == STEP_MORE && at_eof && made == 0)
            rc = truncated(s, f, err);
        boundary = r == STEP_END;
    }
    codec_end(&c);
    return rc;
}

/* ---- zip (libarchive) ---------------------------------------------------- */

typedef struct zip_ctx {
    src *s;
    mdm_error *err;
    mdm_status rc;   /* a read error of the source */
} zip_ctx;

static la_ssize_t zip_read(struct archive *a, void *arg, const void **buf)
{
    zip_ctx *z = arg;
    src *s = z->s;
    (void)a;
    if ((z->rc = src_fill(s, z->err)) != MDM_OK)   /* the window first, then more */
        return -1;
    *buf = s->buf + s->pos;
    la_ssize_t n = (la_ssize_t)(s->len - s->pos);
    s->pos = s->len;
    return n;
}

static mdm_status zip_error(struct archive *a, const src *s, const char *what, mdm_error *err)
{
    const char *why = archive_error_string(a);
    return mdm_error_set(err, MDM_ERR_PARSE, "%s: %s zip data at byte %" PRId64 ": %s", s->name,
                         what, (int64_t)archive_filter_bytes(a, -1), why != NULL ? why : "invalid");
}

static mdm_status zip_body(struct archive *a, src *s, spool *sp, mdm_error *err)
{
    struct archive_entry *e = NULL;
    int r = archive_read_next_header(a, &e);
    if (r == ARCHIVE_EOF)
        return mdm_error_set(err, MDM_ERR_PARSE, "%s: the zip archive holds no file", s->name);
    if (r != ARCHIVE_OK)
        return zip_error(a, s, "corrupt", err);
    char first[256];
    snprintf(first, sizeof first, "%s", archive_entry_pathname(e));
    for (;;) {
        mdm_status rc = grow(sp, s, err);
        if (rc != MDM_OK)
            return rc;
        mdm_buf *out = &sp->buf;
        la_ssize_t n = archive_read_data(a, out->data + out->len, out->cap - out->len - 1);
        if (n < 0)
            return zip_error(a, s, "corrupt or truncated", err);
        if (n == 0)
            break;
        out->len += (size_t)n;
    }
    r = archive_read_next_header(a, &e);
    if (r == ARCHIVE_OK)
        return mdm_error_set(err, MDM_ERR_PARSE,
                             "%s: the zip archive holds more than one file ('%s', '%s', ...); "
                             "mdm reads a zip of one file", s->name, first,
                             archive_entry_pathname(e));
    return r == ARCHIVE_EOF ? MDM_OK : zip_error(a, s, "corrupt", err);
}

static mdm_status decode_zip(src *s, spool *sp, mdm_error *err)
{
    zip_ctx z = {s, err, MDM_OK};
    struct archive *a = archive_read_new();
    if (a == NULL)
        return mdm_error_set(err, MDM_ERR_NOMEM, "%s: cannot start the zip reader", s->name);
    mdm_status rc = MDM_OK;
    if (archive_read_support_format_zip(a) != ARCHIVE_OK ||
        archive_read_open(a, &z, NULL, zip_read, NULL) != ARCHIVE_OK)
        rc = z.rc != MDM_OK ? z.rc : zip_error(a, s, "corrupt", err);
    else
        rc = zip_body(a, s, sp, err);
    if (z.rc != MDM_OK)
        rc = z.rc;
    archive_read_free(a);
    return rc;
}

/* ---- Opening ---------------------------------------------------------------- */

/* Plain text from a pipe or device: the window, then the rest. */
static mdm_status read_rest(src *s, spool *sp, mdm_error *err)
{
    mdm_status rc = MDM_OK;
    while (rc == MDM_OK && (rc = src_fill(s, err)) == MDM_OK && !s->eof) {
        if ((rc = grow(sp, s, err)) == MDM_OK)
            rc = mdm_buf_append(&sp->buf, (const char *)s->buf + s->pos, s->len - s->pos);
        s->pos = s->len;
    }
    return rc;
}

/* Maps a regular file of plain text; false when it cannot be mapped. */
static bool map_file(int fd, const struct stat *st, mdm_input *in)
{
    if (!S_ISREG(st->st_mode) || st->st_size <= 0)
        return false;
    /* Not MAP_POPULATE: the CSV reader gives pages back behind it, so
     * memory stays bounded however big the file; the kernel's read-ahead
     * keeps the faults few. */
    void *m = mmap(NULL, (size_t)st->st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (m == MAP_FAILED)
        return false;
    (void)madvise(m, (size_t)st->st_size, MADV_SEQUENTIAL);
    in->map_ = m;
    in->map_len_ = (size_t)st->st_size;
    in->data = m;
    in->len = (size_t)st->st_size;
    in->mapped = 1;
    return true;
}

static mdm_status open_fd(const char *path, int *fd, struct stat *st, mdm_error *err)
{
    if (strcmp(path, "-") == 0)
        *fd = dup(0);
    else
        *fd = open(path, O_RDONLY | O_CLOEXEC);
    if (*fd < 0)
        return mdm_error_set(err, errno == ENOENT ? MDM_ERR_NOT_FOUND : MDM_ERR_IO,
                             "cannot read '%s': %s", path, strerror(errno));
    if (fstat(*fd, st) == 0 && !S_ISDIR(st->st_mode))
        return MDM_OK;
    int e = S_ISDIR(st->st_mode) ? EISDIR : errno;
    close(*fd);
    *fd = -1;
    return mdm_error_set(err, MDM_ERR_IO, "cannot read '%s': %s", path, strerror(e));
}

static mdm_status read_input(src *s, const char *path, const struct stat *st, mdm_input *in,
                             spool *out, mdm_error *err)
{
    /* A pipe can deliver the first bytes in small pieces: gather enough
     * for the longest magic before looking. */
    mdm_status rc = src_fill(s, err);
    while (rc == MDM_OK && s->len < 8 && !s->eof) {
        ssize_t n = read(s->fd, s->buf + s->len, sizeof s->buf - s->len);
        if (n < 0 && errno != EINTR)
            return mdm_error_set(err, MDM_ERR_IO, "cannot read '%s': %s", s->name, strerror(errno));
        if (n >= 0)
            s->len += (size_t)n;
        if (n == 0)
            break;   /* short input: the plain-text path reads on and meets the end */
    }
    if (rc != MDM_OK)
        return rc;
    const format *magic = by_magic(s->buf, s->len), *named = by_suffix(path);
    if (named != NULL && magic != named)
        return mdm_error_set(err, MDM_ERR_PARSE,
                             "%s: the name says %s but the first bytes are %s%s", s->name,
                             named->name, magic != NULL ? magic->name : "not compressed",
                             magic != NULL ? " data" : " (a renamed or damaged file?)");
    in->comp = magic != NULL ? magic->comp : MDM_COMP_NONE;
    if (magic == NULL)
        return map_file(s->fd, st, in) ? MDM_OK : read_rest(s, out, err);
    return magic->comp == MDM_COMP_ZIP ? decode_zip(s, out, err) : decode_stream(s, magic, out, err);
}

mdm_status mdm_input_open(const char *path, mdm_input *in, mdm_error *err)
{
    struct stat st;
    int fd = -1;
    if (path == NULL || in == NULL)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "mdm_input_open: no path or input");
    memset(in, 0, sizeof *in);
    in->name = strcmp(path, "-") == 0 ? MDM_INPUT_STDIN_NAME : path;
    mdm_status rc = open_fd(path, &fd, &st, err);
    if (rc != MDM_OK)
        return rc;
    src *s = calloc(1, sizeof *s);
    spool out = {.fd = -1, .name = in->name};
    mdm_buf_init(&out.buf);
    if (s == NULL) {
        rc = mdm_error_set(err, MDM_ERR_NOMEM, "%s: out of memory", in->name);
    } else {
        s->fd = fd;
        s->name = in->name;
        rc = read_input(s, path, &st, in, &out, err);
    }
    free(s);
    close(fd);
    if (rc == MDM_OK && !in->mapped)
        rc = spool_finish(&out, in, err);
    spool_reset(&out);
    if (rc != MDM_OK)
        mdm_input_close(in);
    return rc;
}

void mdm_input_close(mdm_input *in)
{
    if (in == NULL)
        return;
    if (in->map_ != NULL)
        munmap(in->map_, in->map_len_);
    free(in->heap_);
    in->map_ = NULL;
    in->heap_ = NULL;
    in->data = NULL;
    in->len = 0;
    in->mapped = 0;
}
