/* SPDX-License-Identifier: MIT */
/*
 * mdm_csv.c - the CSV reader: RFC 4180 tokenizing, pandas-style type
 * inference and the filling of a typed mdm_table. The input is scanned
 * twice: pass 1 checks it, infers each column's type and counts rows and
 * text bytes without storing a cell; pass 2 converts every cell straight
 * into a table reserved to size. Large inputs use a second thread (byte
 * checks run beside pass 1; pass 2 fills two halves of the rows). Files
 * are mapped rather than read, and every error names source:line:column
 * (the column counts bytes, from 1); when there are several, the first.
 */
#include "mdm_csv.h"

#include "mdm_buf.h"
#include "mdm_dtoa.h"
#include "mdm_input.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* Types a column can still take; each value narrows the set. */
enum {
    CAND_INT = 1,
    CAND_FLOAT = 2,
    CAND_BOOL = 4,
    CAND_TS = 8,
    CAND_ALL = CAND_INT | CAND_FLOAT | CAND_BOOL | CAND_TS
};

/* Inputs of at least PARALLEL_MIN_BYTES use a second thread. Pass 1 notes
 * where every MARK_EVERY-th row starts, so pass 2 can split the rows. */
enum { PARALLEL_MIN_BYTES = 4 << 20, MARK_EVERY = 1 << 14 };

/* How next_field() ended: more fields follow, the record ended, or error. */
enum { FIELD_NEXT = 0, FIELD_LAST = 1, FIELD_ERROR = -1 };

/* What a cell's text is as a number. */
typedef enum num_kind { NUM_NONE = 0, NUM_INT, NUM_BIG, NUM_FLOAT } num_kind;


/* Powers of ten that a double holds exactly (Clinger's fast path). */

typedef struct csv_input {
    const char *data;    /* the whole input, BOM included */
    size_t len;
    size_t body;         /* offset of the first byte after a BOM */
    const char *source;  /* name for messages */
    char sep;            /* the field separator */
    bool mapped;         /* data is a read-only private file mapping */
} csv_input;

typedef struct csv_cursor {
    const char *p, *end;
    char sep;              /* the field separator */
    const char *stop;      /* where the last field ended (separator or line end) */
    const char *err_at;    /* on FIELD_ERROR: the offending byte */
    const char *err_what;  /* on FIELD_ERROR: what is wrong */
} csv_cursor;

/* One field as it sits in the input: for a quoted field, the bytes between
 * the quotes, where each of `nesc` doubled quotes stands for one quote. */
typedef struct csv_field {
    const char *p;
    size_t n;
    size_t nesc;
    bool quoted;
} csv_field;

/* What pass 1 learns about a column. */
typedef struct col_scan {
    unsigned cand;       /* CAND_* still possible */
    size_t nvalues;      /* non-missing cells */
    size_t nmissing;
    size_t text_bytes;   /* unquoted bytes plus one NUL per cell */
    mdm_type type;       /* decided after pass 1 */
    bool may_miss;       /* pass 2 must test cells for missing markers */
} col_scan;

typedef struct csv_reader {
    csv_input in;
    bool infer;
    size_t ncols, nrows;
    char **names;        /* ncols header names, after mangling; owned */
    bool *unnamed;       /* ncols flags: the name was empty in the header */
    size_t names_cap;
    col_scan *scan;      /* ncols entries */
    const char *rows_at; /* first byte after the header row */
    const char **marks;  /* marks[i]: start of row (i + 1) * MARK_EVERY */
    size_t nmarks, marks_cap;
    const char *fail_at; /* position of a header or pass 1 error, if any */
    mdm_buf scratch;     /* unquotes header names */
    mdm_table table;     /* built here, moved to the caller on success */
} csv_reader;

/* ---- Positions and errors ---------------------------------------------- */

/* Line and byte column (both from 1) of `at`; LF, CRLF and a lone CR each
 * end a line. Only called on error, so a plain rescan is fine. */
static void locate(const csv_input *in, const char *at, size_t *line, size_t *col)
{
    size_t off = (size_t)(at - in->data), start = in->body, ln = 1;
    for (size_t i = in->body; i < off; i++) {
        char c = in->data[i];
        if (c == '\n' || (c == '\r' && !(i + 1 < in->len && in->data[i + 1] == '\n'))) {
            ln++;
            start = i + 1;
        }
    }
    *line = ln;
    *col = off - start + 1;
}

static mdm_status parse_error(const csv_input *in, const char *at, mdm_error *err,
                              const char *fmt, ...) MDM_PRINTF(4, 5);
static mdm_status parse_error(const csv_input *in, const char *at, mdm_error *err,
                              const char *fmt, ...)
{
    char what[400];
    size_t line, col;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    locate(in, at, &line, &col);
    return mdm_error_set(err, MDM_ERR_PARSE, "%s:%zu:%zu: %s", in->source, line, col, what);
}

/* ---- Byte checks: UTF-8 and NUL ---------------------------------------- */

/* Length of the valid UTF-8 sequence starting at non-ASCII p[0], or 0.
 * Rejects overlong forms, surrogates and code points past U+10FFFF. */
static size_t utf8_seq(const unsigned char *p, const unsigned char *end)
{
    unsigned c = p[0];
    unsigned char lo = 0x80, hi = 0xBF;
    size_t n;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        lo = c == 0xE0 ? 0xA0 : 0x80;
        hi = c == 0xED ? 0x9F : 0xBF;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        lo = c == 0xF0 ? 0x90 : 0x80;
        hi = c == 0xF4 ? 0x8F : 0xBF;
    } else {
        return 0;
    }
    if ((size_t)(end - p) < n || p[1] < lo || p[1] > hi)
        return 0;
    for (size_t k = 2; k < n; k++)
        if ((p[k] & 0xC0) != 0x80)
            return 0;
    return n;
}

/* True when the 8 bytes of w are all ASCII and none is NUL. */
static inline bool plain_ascii8(uint64_t w)
{
    const uint64_t ones = UINT64_C(0x0101010101010101), highs = UINT64_C(0x8080808080808080);
    return ((w & highs) | ((w - ones) & ~w & highs)) == 0;
}

/*
 * Each pass reads a byte once, so the pages of a mapped file behind it are
 * given back as it goes: memory stays bounded whatever the file's size
 * (pass 2 of a whole read still builds the table; a stream builds chunks).
 * The mapping is private and never written, so a page read again (by the
 * other pass, the other thread, or an error message locating a byte) is
 * simply loaded from the file again.
 */
enum { RELEASE_EVERY = 4 << 20 };

/* *done: the first page not given back yet (page aligned). */
static void release_behind(const csv_input *in, uintptr_t *done, const char *upto)
{
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE), end = (uintptr_t)upto & ~(page - 1);
    if (!in->mapped || page == 0 || end < *done + RELEASE_EVERY)
        return;
    (void)madvise((void *)*done, end - *done, MADV_DONTNEED);
    *done = end;
}

/* The first whole page at or after p. */
static uintptr_t page_after(const char *p)
{
    long pagesize = sysconf(_SC_PAGESIZE);
    uintptr_t page = pagesize > 0 ? (uintptr_t)pagesize : 1;
    return ((uintptr_t)p + page - 1) & ~(page - 1);
}

/* Checks the whole input once, apart from the tokenizer (which only looks
 * at ASCII separators, so it is safe on bad bytes), on its own thread for
 * large inputs. ASCII runs are skipped eight bytes at a time. */
static mdm_status check_bytes(const csv_input *in, const char **fail_at, mdm_error *err)
{
    const unsigned char *p = (const unsigned char *)in->data + in->body;
    const unsigned char *end = (const unsigned char *)in->data + in->len;
    uintptr_t done = page_after(in->data);
    while (p < end) {
        /* a block at a time, so that pages behind can be given back */
        const unsigned char *lim = (size_t)(end - p) > RELEASE_EVERY ? p + RELEASE_EVERY : end;
        while (p < lim) {
            uint64_t w;
            while (lim - p >= 8 && (memcpy(&w, p, 8), plain_ascii8(w)))
                p += 8;
            if (p == lim)
                break;
            *fail_at = (const char *)p;
            if (*p == '\0')
                return parse_error(in, (const char *)p, err, "NUL byte in input");
            if (*p < 0x80) {
                p++;
                continue;
            }
            size_t n = utf8_seq(p, end);
            if (n == 0)
                return parse_error(in, (const char *)p, err, "invalid UTF-8 (byte 0x%02X)", *p);
            p += n;
        }
        release_behind(in, &done, (const char *)p);
    }
    return MDM_OK;
}

/* ---- Tokenizer --------------------------------------------------------- */

#if defined(__GNUC__)
#define HOT_INLINE inline __attribute__((always_inline))
#else
#define HOT_INLINE inline
#endif

/* Consumes the separator or line end at p (if any) after a field. */
static HOT_INLINE int field_end(csv_cursor *cur, const char *p)
{
    cur->stop = p;
    if (p == cur->end) {
        cur->p = p;
        return FIELD_LAST;
    }
    if (*p == cur->sep) {
        cur->p = p + 1;
        return FIELD_NEXT;
    }
    if (*p == '\r' && p + 1 < cur->end && p[1] == '\n')
        p++;
    cur->p = p + 1;
    return FIELD_LAST;
}

static int quoted_field(csv_cursor *cur, csv_field *f)
{
    const char *open = cur->p, *q = open + 1, *end = cur->end;
    f->p = q;
    f->nesc = 0;
    f->quoted = true;
    for (;;) {
        const char *close = memchr(q, '"', (size_t)(end - q));
        if (close == NULL) {
            cur->err_at = open;
            cur->err_what = "unterminated quoted field";
            return FIELD_ERROR;
        }
        if (close + 1 < end && close[1] == '"') {
            f->nesc++;
            q = close + 2;
            continue;
        }
        f->n = (size_t)(close - f->p);
        if (close + 1 < end && close[1] != cur->sep && close[1] != '\n' && close[1] != '\r') {
            cur->err_at = close + 1;
            cur->err_what = "unexpected character after a closing quote";
            return FIELD_ERROR;
        }
        return field_end(cur, close + 1);
    }
}

#define BYTES8(c) (UINT64_C(0x0101010101010101) * (unsigned char)(c))

/* Bits 7, 15, ... set for the bytes of w equal to c; the lowest set bit is
 * always a true match (a borrow can only flag bytes above one). */
static inline uint64_t bytes_equal(uint64_t w, uint64_t c8)
{
    uint64_t x = w ^ c8;
    return (x - BYTES8(1)) & ~x & BYTES8(0x80);
}

/* First separator, LF or CR in [p, end), or end. Fields are short, but
 * testing eight bytes per step still halves the time of the tokenizer. */
static HOT_INLINE const char *find_stop(const char *p, const char *end, char sep)
{
#if defined(__GNUC__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    const uint64_t sep8 = BYTES8(sep);
    while (end - p >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        uint64_t m = bytes_equal(w, sep8) | bytes_equal(w, BYTES8('\n')) |
                     bytes_equal(w, BYTES8('\r'));
        if (m != 0)
            return p + (__builtin_ctzll(m) >> 3);
        p += 8;
    }
#endif
    while (p < end && *p != sep && *p != '\n' && *p != '\r')
        p++;
    return p;
}

/* Reads one field at cur->p. A quote only opens a quoted field as the
 * field's first byte; elsewhere it is an ordinary character, as in pandas. */
static HOT_INLINE int next_field(csv_cursor *cur, csv_field *f)
{
    const char *p = cur->p, *end = cur->end;
    if (p < end && *p == '"')
        return quoted_field(cur, f);
    f->p = p;
    f->nesc = 0;
    f->quoted = false;
    p = find_stop(p, end, cur->sep);
    f->n = (size_t)(p - f->p);
    return field_end(cur, p);
}

/* Skips empty and whitespace-only lines (pandas' skip_blank_lines). */
static const char *skip_blank_lines(const char *p, const char *end)
{
    for (;;) {
        const char *q = p;
        while (q < end && (*q == ' ' || *q == '\t'))
            q++;
        if (q == end)
            return end;
        if (*q == '\n') {
            p = q + 1;
        } else if (*q == '\r') {
            p = q + 1 + (q + 1 < end && q[1] == '\n');
        } else {
            return p;
        }
    }
}

/* The field's value: the input itself, or (when it has doubled quotes)
 * its unescaped copy in the scratch buffer. NULL when out of memory. */
static const char *field_text(const csv_field *f, mdm_buf *scratch, size_t *len)
{
    if (f->nesc == 0) {
        *len = f->n;
        return f->p;
    }
    mdm_buf_clear(scratch);
    if (mdm_buf_reserve(scratch, f->n) != MDM_OK)
        return NULL;
    char *d = scratch->data;
    size_t k = 0;
    for (size_t i = 0; i < f->n; i++) {
        d[k++] = f->p[i];
        if (f->p[i] == '"')
            i++;  /* the second quote of a doubled pair */
    }
    d[k] = '\0';
    *len = k;
    return d;
}

/* ---- Cell classification ----------------------------------------------- */

/* pandas' markers start with one of a few patterns; this check lets most
 * values (numbers above all) skip the marker list. */
static bool is_marker(const char *p, size_t n)
{
    if (n == 0 || n > 8)
        return n == 0;
    switch (p[0]) {
    case '-':
        if (n < 4 || !(p[1] == 'N' || p[1] == 'n' || (p[1] == '1' && p[2] == '.' && p[3] == '#')))
            return false;
        break;
    case '1':
        if (n < 6 || p[1] != '.' || p[2] != '#')
            return false;
        break;
    case '#':
    case '<':
    case 'N':
    case 'n':
        break;
    default:
        return false;
    }
    return mdm_csv_is_na(p, n);
}

/* Missing cells: unquoted empty fields and (when inferring) unquoted
 * markers. A quoted field is always a value, so written text reads back. */
static bool cell_missing(const csv_field *f, bool infer)
{
    if (f->quoted)
        return false;
    return f->n == 0 || (infer && is_marker(f->p, f->n));
}

static inline bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Case-insensitive [+-]?(inf|infinity), which pandas reads as a float. */
static bool is_infinity(const char *p, size_t n)
{
    if (n > 0 && (p[0] == '+' || p[0] == '-')) {
        p++;
        n--;
    }
    return (n == 3 && strncasecmp(p, "inf", 3) == 0) || (n == 8 && strncasecmp(p, "infinity", 8) == 0);
}

/* Float syntax after an optional sign and integer digits:
 * [. digits] [(e|E) [+-] digits], with at least one mantissa digit. */
static bool float_tail(const char *s, const char *e, bool had_digits)
{
    if (s < e && *s == '.') {
        s++;
        while (s < e && is_digit(*s)) {
            s++;
            had_digits = true;
        }
    }
    if (!had_digits)
        return false;
    if (s < e && (*s == 'e' || *s == 'E')) {
        s++;
        if (s < e && (*s == '+' || *s == '-'))
            s++;
        if (s == e || !is_digit(*s))
            return false;
        while (s < e && is_digit(*s))
            s++;
    }
    return s == e;
}

/* Classifies p[0..n) as a number; for NUM_INT also gives its value. */
static num_kind scan_number(const char *p, size_t n, int64_t *value)
{
    const char *s = p, *e = p + n;
    bool neg = false;
    if (s < e && (*s == '+' || *s == '-'))
        neg = *s++ == '-';
    const char *digits = s;
    while (s < e && *s == '0')
        s++;
    /* Up to 19 significant digits fit a uint64_t, and 20 or more exceed
     * int64 anyway, so the loop needs no overflow test (acc may wrap). */
    const char *sig = s;
    uint64_t acc = 0;
    for (; s < e && is_digit(*s); s++)
        acc = acc * 10 + (uint64_t)(*s - '0');
    if (s == e && s > digits) {
        uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
        if (s - sig > 19 || acc > limit)
            return NUM_BIG;
        /* acc may be 2^63 when negative: negate in unsigned arithmetic. */
        *value = neg ? (int64_t)(0 - acc) : (int64_t)acc;
        return NUM_INT;
    }
    if (float_tail(s, e, s > digits) || is_infinity(p, n))
        return NUM_FLOAT;
    return NUM_NONE;
}

static bool is_bool_text(const char *p, size_t n)
{
    switch (n) {
    case 4:
        return memcmp(p, "True", 4) == 0 || memcmp(p, "TRUE", 4) == 0 || memcmp(p, "true", 4) == 0;
    case 5:
        return memcmp(p, "False", 5) == 0 || memcmp(p, "FALSE", 5) == 0 || memcmp(p, "false", 5) == 0;
    default:
        return false;
    }
}

static bool parse_ts(const char *p, size_t n, int64_t *out)
{
    /* Cheap shape test first: "YYYY-" opens every accepted form. */
    if (n < 10 || p[4] != '-' || !is_digit(p[0]))
        return false;
    return mdm_parse_timestamp(p, n, out);
}

/* The subset of `alive` that the value p[0..n) is compatible with. */
static unsigned value_kinds(const char *p, size_t n, unsigned alive)
{
    if (alive & (CAND_INT | CAND_FLOAT)) {
        int64_t iv;
        switch (scan_number(p, n, &iv)) {
        case NUM_INT:
            return alive & (CAND_INT | CAND_FLOAT);
        case NUM_FLOAT:
            return alive & CAND_FLOAT;
        case NUM_BIG:
            return 0;  /* integers past int64 make the column text */
        case NUM_NONE:
            break;
        }
    }
    int64_t ts;
    if ((alive & CAND_BOOL) && is_bool_text(p, n))
        return CAND_BOOL;
    if ((alive & CAND_TS) && parse_ts(p, n, &ts))
        return CAND_TS;
    return 0;
}

/* Pass 1 work for one cell: missing or not, type narrowing, text size. */
static void scan_cell(col_scan *s, const csv_field *f, bool infer)
{
    s->text_bytes += f->n - f->nesc + 1;
    /* Once a column is text, only its size matters: skip the marker test. */
    if (s->cand == 0 && s->nvalues > 0)
        return;
    if (cell_missing(f, infer)) {
        s->nmissing++;
        return;
    }
    s->nvalues++;
    if (s->cand != 0)
        s->cand &= f->nesc != 0 ? 0 : value_kinds(f->p, f->n, s->cand);
}

static mdm_type decide_type(const col_scan *s, size_t nrows, bool infer)
{
    if (!infer)
        return MDM_TEXT;
    if (s->nvalues == 0)
        return nrows > 0 ? MDM_FLOAT64 : MDM_TEXT;  /* pandas: all-NaN is float */
    if (s->cand & CAND_INT)
        return s->nmissing > 0 ? MDM_FLOAT64 : MDM_INT64;
    if (s->cand & CAND_FLOAT)
        return MDM_FLOAT64;
    if (s->cand & CAND_BOOL)
        return MDM_BOOL;
    if (s->cand & CAND_TS)
        return MDM_TIMESTAMP;
    return MDM_TEXT;
}

/* ---- Float conversion -------------------------------------------------- */

/* Converts text that pass 1 accepted as a number. strtod needs a
 * terminated string, and the mapped input has none, hence the copy. */
static mdm_status to_double(const char *p, size_t n, mdm_buf *scratch, double *out)
{
    if (mdm_dtoa_parse(p, n, out))
        return MDM_OK;
    mdm_buf_clear(scratch);
    if (mdm_buf_append(scratch, p, n) != MDM_OK)
        return MDM_ERR_NOMEM;
    *out = strtod(scratch->data, NULL);  /* ERANGE gives inf or 0, as pandas */
    return MDM_OK;
}

/* ---- Header ------------------------------------------------------------ */

/* An error of the header or pass 1. Its position decides whether it or a
 * byte-check error is reported: the one met first in the input is. */
static mdm_status reader_error(csv_reader *r, const char *at, mdm_error *err, const char *fmt, ...)
    MDM_PRINTF(4, 5);
static mdm_status reader_error(csv_reader *r, const char *at, mdm_error *err, const char *fmt, ...)
{
    char what[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    r->fail_at = at;
    return parse_error(&r->in, at, err, "%s", what);
}

static mdm_status add_name(csv_reader *r, const char *s, size_t len, bool unnamed)
{
    if (r->ncols == r->names_cap) {
        size_t cap = r->names_cap ? r->names_cap * 2 : 16;
        char **names = realloc(r->names, cap * sizeof *names);
        if (names != NULL)
            r->names = names;
        bool *flags = realloc(r->unnamed, cap * sizeof *flags);
        if (flags != NULL)
            r->unnamed = flags;
        if (names == NULL || flags == NULL)
            return MDM_ERR_NOMEM;
        r->names_cap = cap;
    }
    char *copy = malloc(len + 1);
    if (copy == NULL)
        return MDM_ERR_NOMEM;
    memcpy(copy, s, len);
    copy[len] = '\0';
    r->unnamed[r->ncols] = unnamed;
    r->names[r->ncols++] = copy;
    return MDM_OK;
}

/* Names seen so far and how often, for pandas' duplicate mangling. */
typedef struct name_slot {
    char *name;  /* owned; NULL = free slot */
    size_t count;
} name_slot;

typedef struct name_map {
    name_slot *slots;
    size_t cap, used;  /* cap is a power of two */
} name_map;

static size_t name_hash(const char *s)
{
    uint64_t h = UINT64_C(14695981039346656037);  /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * UINT64_C(1099511628211);
    return (size_t)h;
}

static name_slot *map_slot(const name_map *m, const char *name)
{
    size_t i = name_hash(name) & (m->cap - 1);
    while (m->slots[i].name != NULL && strcmp(m->slots[i].name, name) != 0)
        i = (i + 1) & (m->cap - 1);
    return &m->slots[i];
}

static size_t map_get(const name_map *m, const char *name)
{
    return map_slot(m, name)->count;
}

static mdm_status map_grow(name_map *m)
{
    name_map bigger = {calloc(m->cap * 2, sizeof(name_slot)), m->cap * 2, m->used};
    if (bigger.slots == NULL)
        return MDM_ERR_NOMEM;
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i].name != NULL)
            *map_slot(&bigger, m->slots[i].name) = m->slots[i];
    free(m->slots);
    *m = bigger;
    return MDM_OK;
}

static mdm_status map_set(name_map *m, const char *name, size_t count)
{
    if (2 * (m->used + 1) > m->cap && map_grow(m) != MDM_OK)
        return MDM_ERR_NOMEM;
    name_slot *s = map_slot(m, name);
    if (s->name == NULL) {
        if ((s->name = strdup(name)) == NULL)
            return MDM_ERR_NOMEM;
        m->used++;
    }
    s->count = count;
    return MDM_OK;
}

static void map_reset(name_map *m)
{
    for (size_t i = 0; i < m->cap; i++)
        free(m->slots[i].name);
    free(m->slots);
}

/* "<name>.<n>", newly allocated (free() it), or NULL. */
static char *suffixed(const char *name, size_t n)
{
    size_t len = strlen(name) + 24;
    char *s = malloc(len);
    if (s != NULL)
        snprintf(s, len, "%s.%zu", name, n);
    return s;
}

/* Renames column i if its name was seen before: "<name>.<n>", with n
 * counting on past every name the header holds at that moment. */
static mdm_status mangle_one(csv_reader *r, size_t i, name_map *seen, name_map *present)
{
    const char *old = r->names[i];
    char *col = NULL;
    mdm_status rc = MDM_OK;
    size_t cur = map_get(seen, old);
    while (cur > 0) {
        free(col);
        if ((rc = map_set(seen, old, cur + 1)) != MDM_OK || (col = suffixed(old, cur)) == NULL) {
            rc = MDM_ERR_NOMEM;
            goto done;
        }
        cur = map_get(present, col) > 0 ? cur + 1 : map_get(seen, col);
    }
    if (col != NULL) {
        if (map_set(present, old, map_get(present, old) - 1) != MDM_OK ||
            map_set(present, col, map_get(present, col) + 1) != MDM_OK) {
            rc = MDM_ERR_NOMEM;
            goto done;
        }
        free(r->names[i]);
        r->names[i] = col;
        col = NULL;
    }
    rc = map_set(seen, r->names[i], cur + 1);
done:
    free(col);
    return rc;
}

/* pandas' header mangling (its C engine, read_csv's default): named
 * columns first, then the "Unnamed: <i>" ones, each through mangle_one,
 * so "a,a,a.1,a" gives a, a.2, a.1, a.3 and every name ends up unique. */
static mdm_status mangle_names(csv_reader *r)
{
    mdm_status rc = MDM_OK;
    name_map seen = {calloc(16, sizeof(name_slot)), 16, 0};
    name_map present = {calloc(16, sizeof(name_slot)), 16, 0};
    if (seen.slots == NULL || present.slots == NULL) {
        rc = MDM_ERR_NOMEM;
        goto done;
    }
    for (size_t i = 0; i < r->ncols && rc == MDM_OK; i++)
        rc = map_set(&present, r->names[i], map_get(&present, r->names[i]) + 1);
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < r->ncols && rc == MDM_OK; i++)
            if (r->unnamed[i] == (pass == 1))
                rc = mangle_one(r, i, &seen, &present);
done:
    if (seen.slots != NULL)
        map_reset(&seen);
    if (present.slots != NULL)
        map_reset(&present);
    return rc;
}

/* Reads the header row: names unquoted, empty ones "Unnamed: <index>". */
static mdm_status read_header(csv_reader *r, mdm_error *err)
{
    const char *end = r->in.data + r->in.len;
    csv_cursor cur = {.p = skip_blank_lines(r->in.data + r->in.body, end), .end = end,
                      .sep = r->in.sep};
    mdm_status rc = MDM_OK;
    int how;
    if (cur.p == end)
        return reader_error(r, cur.p, err, "empty input: no header row");
    do {
        csv_field f;
        size_t len;
        char unnamed[48];
        if ((how = next_field(&cur, &f)) == FIELD_ERROR)
            return reader_error(r, cur.err_at, err, "%s", cur.err_what);
        const char *s = field_text(&f, &r->scratch, &len);
        bool empty = s != NULL && len == 0;
        if (empty) {
            len = (size_t)snprintf(unnamed, sizeof unnamed, "Unnamed: %zu", r->ncols);
            s = unnamed;
        }
        rc = s == NULL ? MDM_ERR_NOMEM : add_name(r, s, len, empty);
    } while (rc == MDM_OK && how == FIELD_NEXT);
    if (rc == MDM_OK)
        rc = mangle_names(r);
    if (rc != MDM_OK)
        return mdm_error_set(err, rc, "%s: out of memory reading the header", r->in.source);
    r->rows_at = cur.p;
    return MDM_OK;
}

/* ---- Pass 1: check, infer, count --------------------------------------- */

static mdm_status ragged_error(csv_reader *r, const char *at, size_t nfields, mdm_error *err)
{
    return reader_error(r, at, err, "row has %zu field%s, the header has %zu", nfields,
                        nfields == 1 ? "" : "s", r->ncols);
}

/* Remembers where row number `row` (a multiple of MARK_EVERY) starts. */
static mdm_status add_mark(csv_reader *r, const char *at)
{
    if (r->nmarks == r->marks_cap) {
        size_t cap = r->marks_cap ? 2 * r->marks_cap : 64;
        const char **marks = realloc(r->marks, cap * sizeof *marks);
        if (marks == NULL)
            return MDM_ERR_NOMEM;
        r->marks = marks;
        r->marks_cap = cap;
    }
    r->marks[r->nmarks++] = at;
    return MDM_OK;
}

static mdm_status scan_rows(csv_reader *r, mdm_error *err)
{
    const char *end = r->in.data + r->in.len;
    csv_cursor cur = {.p = r->rows_at, .end = end, .sep = r->in.sep};
    size_t nrows = 0;
    uintptr_t done = page_after(r->rows_at);
    for (;;) {
        if ((nrows & 1023) == 0)
            release_behind(&r->in, &done, cur.p);
        cur.p = skip_blank_lines(cur.p, end);
        if (cur.p == end)
            break;
        if (nrows > 0 && nrows % MARK_EVERY == 0 && add_mark(r, cur.p) != MDM_OK)
            return mdm_error_set(err, MDM_ERR_NOMEM, "%s: out of memory", r->in.source);
        const char *extra_at = NULL;
        size_t col = 0;
        int how;
        do {
            const char *start = cur.p;
            csv_field f;
            if ((how = next_field(&cur, &f)) == FIELD_ERROR)
                return reader_error(r, cur.err_at, err, "%s", cur.err_what);
            if (col < r->ncols)
                scan_cell(&r->scan[col], &f, r->infer);
            else if (extra_at == NULL)
                extra_at = start;
            col++;
        } while (how == FIELD_NEXT);
        if (col != r->ncols)  /* more: point at the first extra field; fewer: at the line end */
            return ragged_error(r, extra_at != NULL ? extra_at : cur.stop, col, err);
        nrows++;
    }
    r->nrows = nrows;
    return MDM_OK;
}

/* The header, then pass 1. */
static mdm_status scan_all(csv_reader *r, mdm_error *err)
{
    mdm_status rc = read_header(r, err);
    if (rc != MDM_OK)
        return rc;
    r->scan = calloc(r->ncols, sizeof *r->scan);
    if (r->scan == NULL)
        return mdm_error_set(err, MDM_ERR_NOMEM, "%s: out of memory", r->in.source);
    for (size_t c = 0; c < r->ncols; c++)
        r->scan[c].cand = r->infer ? CAND_ALL : 0;
    return scan_rows(r, err);
}

/* ---- A second thread --------------------------------------------------- */

typedef struct csv_job {
    pthread_t tid;
    bool threaded;
} csv_job;

/* Runs fn(arg) on a second thread when `parallel` and a thread can be had,
 * else at once on this one: the outcome is the same either way. */
static void job_start(csv_job *j, void *(*fn)(void *), void *arg, bool parallel)
{
    j->threaded = parallel && pthread_create(&j->tid, NULL, fn, arg) == 0;
    if (!j->threaded)
        (void)fn(arg);
}

static void job_join(csv_job *j)
{
    if (j->threaded)
        (void)pthread_join(j->tid, NULL);
}

typedef struct check_job {
    const csv_input *in;
    mdm_status rc;
    const char *fail_at;
    mdm_error err;
} check_job;

static void *check_main(void *arg)
{
    check_job *j = arg;
    j->rc = check_bytes(j->in, &j->fail_at, &j->err);
    return NULL;
}

/* ---- Pass 2: convert --------------------------------------------------- */

/* One range of rows converted into one table, by one thread. */
typedef struct fill_job {
    const csv_reader *r;
    const char *from;   /* start of the first row to convert */
    size_t nrows;
    size_t max_bytes;   /* SIZE_MAX: all nrows */
    uintptr_t released; /* pages before this were given back (0: none yet) */
    mdm_table *table;   /* columns made, rows reserved */
    mdm_buf scratch;    /* unquoting and number text, reused for every cell */
    mdm_status rc;
    mdm_error err;
} fill_job;

static void decide_types(csv_reader *r, size_t *text_hint)
{
    *text_hint = SIZE_MAX;
    for (size_t c = 0; c < r->ncols; c++) {
        col_scan *s = &r->scan[c];
        s->type = decide_type(s, r->nrows, r->infer);
        /* Counts stop once a column is known to be text (see scan_cell). */
        s->may_miss = s->type == MDM_TEXT || s->nmissing > 0;
        if (s->type == MDM_TEXT && s->text_bytes < *text_hint)
            *text_hint = s->text_bytes;
    }
    /* The hint applies to every TEXT column, so give the smallest need:
     * no column is over-reserved, and larger ones grow by doubling. */
    if (*text_hint == SIZE_MAX)
        *text_hint = 0;
}

static mdm_status make_columns(const csv_reader *r, mdm_table *t, size_t rows, size_t text_hint,
                               mdm_error *err)
{
    for (size_t c = 0; c < r->ncols; c++) {
        mdm_status rc = mdm_table_add_column(t, r->names[c], r->scan[c].type, err);
        if (rc != MDM_OK)
            return rc;
    }
    return mdm_table_reserve(t, rows, text_hint, err);
}

static mdm_status store_cell(fill_job *j, size_t c, const csv_field *f)
{
    const csv_reader *r = j->r;
    mdm_table *t = j->table;
    mdm_error *err = &j->err;
    if (r->scan[c].may_miss && cell_missing(f, r->infer))
        return mdm_table_push_null(t, c, err);
    int64_t iv = 0;
    double dv;
    size_t len;
    const char *s;
    switch (r->scan[c].type) {
    case MDM_INT64:
        (void)scan_number(f->p, f->n, &iv);
        return mdm_table_push_int64(t, c, iv, err);
    case MDM_FLOAT64:
        if (to_double(f->p, f->n, &j->scratch, &dv) != MDM_OK)
            break;
        return mdm_table_push_float64(t, c, dv, err);
    case MDM_BOOL:
        return mdm_table_push_bool(t, c, f->p[0] == 'T' || f->p[0] == 't', err);
    case MDM_TIMESTAMP:
        (void)parse_ts(f->p, f->n, &iv);
        return mdm_table_push_timestamp(t, c, iv, err);
    case MDM_TEXT:
        if ((s = field_text(f, &j->scratch, &len)) == NULL)
            break;
        return mdm_table_push_text(t, c, s, len, err);
    }
    return mdm_error_set(err, MDM_ERR_NOMEM, "%s: out of memory", r->in.source);
}

/* Converts rows from j->from until j->nrows are done or, once at least
 * one is, j->max_bytes of input are behind; j->from and j->nrows then say
 * where it stopped and how many it converted. */
static mdm_status fill_rows(fill_job *j)
{
    const csv_reader *r = j->r;
    csv_cursor cur = {.p = j->from, .end = r->in.data + r->in.len, .sep = r->in.sep};
    mdm_status rc = MDM_OK;
    if (j->released == 0)
        j->released = page_after(j->from);   /* from the first whole page of this job's rows */
    size_t row = 0;
    for (; row < j->nrows && rc == MDM_OK; row++) {
        if (row > 0 && (size_t)(cur.p - j->from) >= j->max_bytes)
            break;
        if ((row & 1023) == 0)
            release_behind(&r->in, &j->released, cur.p);
        cur.p = skip_blank_lines(cur.p, cur.end);
        for (size_t c = 0; c < r->ncols && rc == MDM_OK; c++) {
            csv_field f;
            int how = next_field(&cur, &f);
            /* Pass 1 accepted this input, so each row has ncols fields. */
            if (how == FIELD_ERROR || (how == FIELD_LAST) != (c + 1 == r->ncols))
                return mdm_error_set(&j->err, MDM_ERR_INTERNAL, "%s: a row changed between passes",
                                     r->in.source);
            rc = store_cell(j, c, &f);
        }
        if (rc == MDM_OK)
            rc = mdm_table_end_row(j->table, &j->err);
    }
    j->from = cur.p;
    j->nrows = row;
    return rc;
}

static void *fill_main(void *arg)
{
    fill_job *j = arg;
    j->rc = fill_rows(j);
    return NULL;
}

/* A mark near the middle of the rows, or none (0) for small inputs. */
static size_t split_mark(const csv_reader *r)
{
    if (r->in.len < PARALLEL_MIN_BYTES || r->nmarks < 2)
        return 0;
    return (r->nmarks + 1) / 2;  /* mark k starts row k * MARK_EVERY */
}

/* Pass 2: the first rows into r->table here, the rest (if the input is
 * large) into a second table on another thread, appended afterwards. */
static mdm_status fill_all(csv_reader *r, mdm_error *err)
{
    size_t hint, k;
    decide_types(r, &hint);
    mdm_status rc = make_columns(r, &r->table, r->nrows, hint, err);
    if (rc != MDM_OK)
        return rc;
    k = split_mark(r);
    size_t split = k > 0 ? k * MARK_EVERY : r->nrows;
    fill_job head = {.r = r, .from = r->rows_at, .nrows = split, .max_bytes = SIZE_MAX,
                     .table = &r->table};
    fill_job tail = {.r = r, .nrows = r->nrows - split, .max_bytes = SIZE_MAX};
    mdm_table tail_table;
    csv_job job = {.threaded = false};
    mdm_table_init(&tail_table);
    mdm_buf_init(&head.scratch);
    mdm_buf_init(&tail.scratch);
    if (k > 0) {
        tail.from = r->marks[k - 1];
        tail.table = &tail_table;
        if ((rc = make_columns(r, &tail_table, tail.nrows, 0, err)) != MDM_OK)
            goto done;
        job_start(&job, fill_main, &tail, true);
    }
    (void)fill_main(&head);
    job_join(&job);
    if (head.rc != MDM_OK || tail.rc != MDM_OK) {
        const fill_job *bad = head.rc != MDM_OK ? &head : &tail;
        rc = bad->rc;
        if (err != NULL)
            *err = bad->err;
        goto done;
    }
    if (k > 0)
        rc = mdm_table_append_table(&r->table, &tail_table, err);
done:
    mdm_table_reset(&tail_table);
    mdm_buf_reset(&head.scratch);
    mdm_buf_reset(&tail.scratch);
    return rc;
}

/* ---- Entry points ------------------------------------------------------ */

static void reader_reset(csv_reader *r)
{
    for (size_t i = 0; i < r->ncols; i++)
        free(r->names[i]);
    free(r->names);
    free(r->unnamed);
    free(r->scan);
    free(r->marks);
    mdm_buf_reset(&r->scratch);
    mdm_table_reset(&r->table);
}

/* The header and pass 1, with the byte check beside it on a second thread
 * for large inputs. */
static mdm_status pass1(csv_reader *r, mdm_error *err)
{
    check_job check = {.in = &r->in, .rc = MDM_OK};
    csv_job job;
    job_start(&job, check_main, &check, r->in.len >= PARALLEL_MIN_BYTES);
    mdm_status rc = scan_all(r, err);
    job_join(&job);
    /* Of a byte error and a syntax error, report the one met first. */
    if (check.rc != MDM_OK && (rc == MDM_OK || (r->fail_at != NULL && check.fail_at < r->fail_at))) {
        rc = check.rc;
        if (err != NULL)
            *err = check.err;
    }
    return rc;
}

/* The separator opts ask for: ',' by default, a sniffed one, or the given
 * byte; false when it cannot separate fields. */
static bool opts_sep(const mdm_csv_opts *opts, const char *data, size_t len, char *out)
{
    int sep = opts != NULL ? opts->sep : ',';
    if (sep == 0)
        sep = ',';
    if (sep == MDM_CSV_SEP_SNIFF)
        sep = mdm_csv_sniff_sep(data, len);
    *out = (char)sep;
    return sep > 0 && sep < 256 && sep != '"' && sep != '\n' && sep != '\r';
}

/* A reader over data[0..len), ready for pass 1. */
static mdm_status reader_setup(csv_reader *r, const char *data, size_t len, bool mapped,
                               const char *source, const mdm_csv_opts *opts, mdm_error *err)
{
    if (opts != NULL && opts->version != MDM_CSV_OPTS_VERSION)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "mdm_csv_opts: unknown version %u",
                             opts->version);
    memset(r, 0, sizeof *r);
    r->in.data = data != NULL ? data : "";
    r->in.len = len;
    if (!opts_sep(opts, r->in.data, len, &r->in.sep))
        return mdm_error_set(err, MDM_ERR_INVALID_ARG,
                             "mdm_csv_opts: separator %d cannot separate fields", opts->sep);
    r->in.source = source != NULL ? source : "<buffer>";
    r->in.mapped = mapped;
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
        r->in.body = 3;
    r->infer = opts == NULL || opts->infer_types != 0;
    mdm_buf_init(&r->scratch);
    mdm_table_init(&r->table);
    return MDM_OK;
}

static mdm_status read_buffer(const char *data, size_t len, bool mapped, const char *source,
                              const mdm_csv_opts *opts, mdm_table *out, mdm_error *err)
{
    if (out == NULL || (data == NULL && len > 0))
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "mdm_csv_read_buffer: no input or output");
    csv_reader r;
    mdm_status rc = reader_setup(&r, data, len, mapped, source, opts, err);
    if (rc != MDM_OK)
        return rc;
    rc = pass1(&r, err);
    if (rc == MDM_OK)
        rc = fill_all(&r, err);
    if (rc == MDM_OK)
        mdm_table_move(out, &r.table);
    reader_reset(&r);
    return rc;
}

mdm_status mdm_csv_read_buffer(const char *data, size_t len, const char *source,
                               const mdm_csv_opts *opts, mdm_table *out, mdm_error *err)
{
    return read_buffer(data, len, false, source, opts, out, err);
}

/* ---- Separator sniffing ------------------------------------------------- */

enum { SNIFF_LINES = 20, NSEPS = 4 };
static const char SNIFF_SEPS[NSEPS] = {',', ';', '\t', '|'};

/* Counts each candidate outside quotes on the line at p; returns the start
 * of the next line, or NULL when the line does not end inside the input
 * (a partial last line, or an open quote). */
static const char *sniff_line(const char *p, const char *end, size_t counts[NSEPS])
{
    bool quoted = false;
    memset(counts, 0, NSEPS * sizeof counts[0]);
    for (; p < end; p++) {
        char c = *p;
        if (c == '"')
            quoted = !quoted;
        else if (!quoted && (c == '\n' || c == '\r'))
            return p + 1;
        else if (!quoted)
            for (size_t i = 0; i < NSEPS; i++)
                counts[i] += c == SNIFF_SEPS[i];
    }
    return NULL;
}

int mdm_csv_sniff_sep(const char *data, size_t len)
{
    const char *p = data, *end = data + len;
    size_t head[NSEPS], cur[NSEPS];
    bool ok[NSEPS];
    if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
        p += 3;
    p = skip_blank_lines(p, end);
    const char *next = sniff_line(p, end, head);
    for (size_t i = 0; i < NSEPS; i++)
        ok[i] = head[i] > 0;
    for (int line = 0; next != NULL && line < SNIFF_LINES; line++) {
        p = skip_blank_lines(next, end);
        next = sniff_line(p, end, cur);
        if (next == NULL)
            break;   /* a line cut by the end of a sample is no evidence */
        for (size_t i = 0; i < NSEPS; i++)
            ok[i] = ok[i] && cur[i] == head[i];
    }
    int best = -1;
    for (size_t i = 0; i < NSEPS; i++)
        if (ok[i] && (best < 0 || head[i] > head[best]))
            best = (int)i;
    return best < 0 ? ',' : SNIFF_SEPS[best];
}

const char *mdm_csv_sep_name(int sep)
{
    switch (sep) {
    case ',': return "','";
    case ';': return "';'";
    case '\t': return "tab";
    case '|': return "'|'";
    default: return "another byte";
    }
}

/* opts with a .tsv name's tab for a sniffed separator. */
static mdm_csv_opts file_opts(const char *path, const mdm_csv_opts *opts)
{
    mdm_csv_opts o = MDM_CSV_OPTS_INIT;
    if (opts != NULL)
        o = *opts;
    size_t inner = mdm_input_inner_len(path);
    if (o.sep == MDM_CSV_SEP_SNIFF && inner >= 4 && strncasecmp(path + inner - 4, ".tsv", 4) == 0)
        o.sep = '\t';
    return o;
}

mdm_status mdm_csv_read_file(const char *path, const mdm_csv_opts *opts, mdm_table *out,
                             mdm_error *err)
{
    mdm_input in;
    if (path == NULL || out == NULL)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "mdm_csv_read_file: no path or output");
    mdm_csv_opts o = file_opts(path, opts);
    mdm_status rc = mdm_input_open(path, &in, err);
    if (rc != MDM_OK)
        return rc;
    rc = read_buffer(in.data, in.len, in.mapped != 0, in.name, &o, out, err);
    mdm_input_close(&in);
    return rc;
}

/* ---- A file in chunks ---------------------------------------------------- */

/*
 * A stream converts the next chunk on a second thread while the caller
 * writes the one it was given (inputs of PARALLEL_MIN_BYTES or more): the
 * parse and the database's work overlap, as pass 2's two halves do in a
 * whole read. Only one conversion runs at a time, so they share `at`.
 */
struct mdm_csv_stream {
    mdm_input in;
    csv_reader r;
    fill_job at;        /* where pass 2 stands (from), and its scratch */
    size_t rows_done;
    bool ahead;         /* convert the next chunk while the caller works */
    bool running;       /* `next_rows` is being filled on `thread` */
    pthread_t thread;
    mdm_table next_rows;
    size_t next_bytes;
    mdm_status next_rc;
    mdm_error next_err;
};

mdm_status mdm_csv_stream_open(const char *path, const mdm_csv_opts *opts, mdm_csv_stream **out,
                               mdm_error *err)
{
    if (path == NULL || out == NULL)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "mdm_csv_stream_open: no path or output");
    mdm_csv_opts o = file_opts(path, opts);
    mdm_csv_stream *s = calloc(1, sizeof *s);
    if (s == NULL)
        return mdm_error_set(err, MDM_ERR_NOMEM, "%s: out of memory", path);
    mdm_buf_init(&s->at.scratch);
    mdm_table_init(&s->next_rows);
    mdm_status rc = mdm_input_open(path, &s->in, err);
    if (rc == MDM_OK) {
        rc = reader_setup(&s->r, s->in.data, s->in.len, s->in.mapped != 0, s->in.name, &o, err);
        if (rc != MDM_OK)
            mdm_input_close(&s->in);
    }
    if (rc != MDM_OK) {
        free(s);
        return rc;
    }
    if ((rc = pass1(&s->r, err)) != MDM_OK) {
        mdm_csv_stream_close(s);
        return rc;
    }
    size_t hint;
    decide_types(&s->r, &hint);
    s->at.r = &s->r;
    s->at.from = s->r.rows_at;
    s->ahead = s->in.len >= PARALLEL_MIN_BYTES;
    *out = s;
    return MDM_OK;
}

size_t mdm_csv_stream_rows(const mdm_csv_stream *s)
{
    return s->r.nrows;
}

size_t mdm_csv_stream_columns(const mdm_csv_stream *s)
{
    return s->r.ncols;
}

/* The next rows, about max_bytes of the input, into chunk. */
static mdm_status fill_next(mdm_csv_stream *s, size_t max_bytes, mdm_table *chunk,
                           mdm_error *err)
{
    mdm_status rc = MDM_OK;
    if (chunk->ncols == 0)
        rc = make_columns(&s->r, chunk, 0, 0, err);
    else
        mdm_table_clear_rows(chunk);
    if (rc != MDM_OK || s->rows_done == s->r.nrows)
        return rc;
    fill_job *j = &s->at;
    j->nrows = s->r.nrows - s->rows_done;
    j->max_bytes = max_bytes;
    j->table = chunk;
    mdm_error_clear(&j->err);
    if ((rc = fill_rows(j)) != MDM_OK) {
        if (err != NULL)
            *err = j->err;
        return rc;
    }
    s->rows_done += j->nrows;
    return MDM_OK;
}

static void *ahead_main(void *arg)
{
    mdm_csv_stream *s = arg;
    s->next_rc = fill_next(s, s->next_bytes, &s->next_rows, &s->next_err);
    return NULL;
}

/* Starts converting the chunk after this one, if there is one. */
static void start_ahead(mdm_csv_stream *s, size_t max_bytes)
{
    if (!s->ahead || s->rows_done == s->r.nrows)
        return;
    s->next_bytes = max_bytes;
    s->running = pthread_create(&s->thread, NULL, ahead_main, s) == 0;
    s->ahead = s->running;   /* no thread to be had: on this one from now on */
}

static void swap_tables(mdm_table *a, mdm_table *b)
{
    mdm_table t = *a;
    *a = *b;
    *b = t;
}

mdm_status mdm_csv_stream_next(mdm_csv_stream *s, size_t max_bytes, mdm_table *chunk,
                               mdm_error *err)
{
    mdm_status rc;
    if (!s->running) {
        rc = fill_next(s, max_bytes, chunk, err);
    } else {
        (void)pthread_join(s->thread, NULL);
        s->running = false;
        rc = s->next_rc;
        if (rc != MDM_OK && err != NULL)
            *err = s->next_err;
        if (rc == MDM_OK)
            swap_tables(chunk, &s->next_rows);
    }
    if (rc == MDM_OK)
        start_ahead(s, max_bytes);
    return rc;
}

void mdm_csv_stream_close(mdm_csv_stream *s)
{
    if (s == NULL)
        return;
    if (s->running)
        (void)pthread_join(s->thread, NULL);
    mdm_table_reset(&s->next_rows);
    mdm_buf_reset(&s->at.scratch);
    reader_reset(&s->r);
    mdm_input_close(&s->in);
    free(s);
}
