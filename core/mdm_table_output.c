/* SPDX-License-Identifier: MIT */
/*
 * mdm_table_output.c - deterministic CSV and JSON forms of a table, as
 * `mdm load --format csv|json` prints them. Output goes through one buffer
 * flushed in large blocks, since a full read of a million rows is a
 * benchmark and stdio per-field calls would dominate it.
 */
#include "mdm_csv.h"
#include "mdm_table.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { FLUSH_AT = 1 << 16 };

typedef struct writer {
    FILE *out;       /* NULL: the writer only collects into buf, growing it */
    char *buf;
    size_t len, cap;
    bool failed;
} writer;

static void w_flush(writer *w)
{
    if (w->len > 0 && !w->failed && fwrite(w->buf, 1, w->len, w->out) != w->len)
        w->failed = true;
    w->len = 0;
}

/* Room for n more bytes in a collecting writer (out == NULL). */
static bool w_grow(writer *w, size_t n)
{
    size_t cap = w->cap > 0 ? w->cap : FLUSH_AT;
    while (cap < w->len + n)
        cap *= 2;
    char *p = w->failed ? NULL : realloc(w->buf, cap);
    if (p == NULL) {
        w->failed = true;
        return false;
    }
    w->buf = p;
    w->cap = cap;
    return true;
}

static void w_put(writer *w, const char *s, size_t n)
{
    if (w->len + n > w->cap) {
        if (w->out == NULL) {
            if (!w_grow(w, n))
                return;
        } else {
            w_flush(w);
            if (n > w->cap) {
                if (!w->failed && fwrite(s, 1, n, w->out) != n)
                    w->failed = true;
                return;
            }
        }
    }
    memcpy(w->buf + w->len, s, n);
    w->len += n;
}

static void w_putc(writer *w, char c)
{
    if (w->len == w->cap) {
        if (w->out == NULL) {
            if (!w_grow(w, 1))
                return;
        } else {
            w_flush(w);
        }
    }
    w->buf[w->len++] = c;
}

static mdm_status w_finish(writer *w, mdm_error *err)
{
    w_flush(w);
    if (!w->failed && fflush(w->out) != 0)
        w->failed = true;
    if (w->failed)
        return mdm_error_set(err, MDM_ERR_IO, "cannot write output: %s", strerror(errno));
    return MDM_OK;
}

static bool edge_space(char c)
{
    return c == ' ' || c == '\t' || c == '\v' || c == '\f';
}

/* A CSV field needs quotes when it would otherwise read back differently:
 * separators, quotes, line breaks, edge white space (a line of only tabs
 * would read as blank), a leading byte-order mark, or a missing marker. */
static bool csv_needs_quotes(const char *s, size_t n)
{
    if (mdm_csv_is_na(s, n) || edge_space(s[0]) || edge_space(s[n - 1]))
        return true;
    if (n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
        return true;
    return strpbrk(s, ",\"\r\n") != NULL;
}

static void csv_text(writer *w, const char *s, size_t n)
{
    if (!csv_needs_quotes(s, n)) {
        w_put(w, s, n);
        return;
    }
    w_putc(w, '"');
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"')
            w_putc(w, '"');
        w_putc(w, s[i]);
    }
    w_putc(w, '"');
}

/* Decimal digits of v without snprintf, which cost more than the rest of
 * a full read of an integer column. */
static size_t format_int64(int64_t v, char *buf, size_t n)
{
    char tmp[24];
    size_t len = 0, k = 0;
    uint64_t u = v < 0 ? 0u - (uint64_t)v : (uint64_t)v;   /* INT64_MIN too */
    if (n < 21)
        return (size_t)snprintf(buf, n, "%lld", (long long)v);
    do {
        tmp[k++] = (char)('0' + u % 10);
        u /= 10;
    } while (u > 0);
    if (v < 0)
        buf[len++] = '-';
    while (k > 0)
        buf[len++] = tmp[--k];
    buf[len] = '\0';
    return len;
}

/* Writes a non-text, non-NULL cell in its CSV/JSON number form. */
static size_t scalar_text(const mdm_table *t, size_t c, size_t r, char *buf, size_t n)
{
    switch (t->cols[c].type) {
    case MDM_INT64:
        return format_int64(mdm_table_int64(t, c, r), buf, n);
    case MDM_FLOAT64:
        return mdm_format_float64_fast(mdm_table_float64(t, c, r), buf, n);
    case MDM_BOOL:
        if (mdm_table_bool(t, c, r)) {
            memcpy(buf, "True", 5);
            return 4;
        }
        memcpy(buf, "False", 6);
        return 5;
    case MDM_TIMESTAMP:
        return mdm_format_timestamp_fast(mdm_table_timestamp(t, c, r), false, buf, n);
    case MDM_TEXT:
        break;
    }
    return 0;
}

/* Rows [r0, r1) of t as CSV lines. */
static void csv_rows(writer *w, const mdm_table *t, size_t r0, size_t r1)
{
    char num[64];
    for (size_t r = r0; r < r1 && !w->failed; r++) {
        for (size_t c = 0; c < t->ncols; c++) {
            if (c > 0)
                w_putc(w, ',');
            if (mdm_table_is_null(t, c, r)) {
                /* An empty line would be skipped as blank by readers (ours
                 * and pandas'), losing the row; NA reads back as NULL. */
                if (t->ncols == 1)
                    w_put(w, "NA", 2);
                continue;
            }
            if (t->cols[c].type == MDM_TEXT) {
                size_t n;
                const char *s = mdm_table_text(t, c, r, &n);
                csv_text(w, s, n);
            } else {
                w_put(w, num, scalar_text(t, c, r, num, sizeof num));
            }
        }
        w_putc(w, '\n');
    }
}

/*
 * Large tables are formatted by several threads: formatting numbers and
 * dates costs far more than writing the bytes, and after a full read the
 * other cores are idle. Each round, CSV_THREADS workers format one block
 * of CSV_BLOCK rows each into a buffer of their own (kept from round to
 * round) and the blocks are then written in order, so the output is byte
 * for byte what one thread writes and memory stays bounded (a few blocks,
 * not the whole output).
 */
enum { CSV_BLOCK = 16384, CSV_THREADS = 4 };

typedef struct csv_part {
    const mdm_table *t;
    size_t r0, r1;
    writer w;        /* collecting: out == NULL */
    pthread_t th;
} csv_part;

static void *csv_part_run(void *arg)
{
    csv_part *p = arg;
    p->w.len = 0;
    csv_rows(&p->w, p->t, p->r0, p->r1);
    return NULL;
}

static size_t csv_threads(const mdm_table *t)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    if (t->nrows < 2 * (size_t)CSV_BLOCK || cpus < 2)
        return 1;
    return cpus < CSV_THREADS ? (size_t)cpus : CSV_THREADS;
}

/* The rows of t in rounds of n blocks formatted at once, appended to w in
 * order. Block 0 of a round is formatted on this thread, the others on
 * threads of their own (or here as well when no thread can be had). */
static mdm_status csv_rows_parallel(writer *w, const mdm_table *t, size_t n, mdm_error *err)
{
    csv_part parts[CSV_THREADS];
    bool started[CSV_THREADS];
    bool nomem = false;
    memset(parts, 0, sizeof parts);
    for (size_t r = 0; r < t->nrows && !w->failed && !nomem;) {
        size_t k = 0;
        for (; k < n && r < t->nrows; k++, r += CSV_BLOCK) {
            parts[k].t = t;
            parts[k].r0 = r;
            parts[k].r1 = r + CSV_BLOCK < t->nrows ? r + CSV_BLOCK : t->nrows;
            started[k] = k > 0 && pthread_create(&parts[k].th, NULL, csv_part_run,
                                                 &parts[k]) == 0;
        }
        for (size_t i = 0; i < k; i++) {
            if (started[i])
                (void)pthread_join(parts[i].th, NULL);
            else
                csv_part_run(&parts[i]);
        }
        for (size_t i = 0; i < k && !nomem; i++) {
            nomem = parts[i].w.failed;
            if (!nomem)
                w_put(w, parts[i].w.buf, parts[i].w.len);
        }
    }
    for (size_t i = 0; i < n; i++)
        free(parts[i].w.buf);
    if (nomem)
        return mdm_error_set(err, MDM_ERR_NOMEM, "out of memory formatting CSV");
    return MDM_OK;
}

static void csv_head(writer *w, const mdm_table *t)
{
    for (size_t c = 0; c < t->ncols; c++) {
        if (c > 0)
            w_putc(w, ',');
        csv_text(w, t->cols[c].name, strlen(t->cols[c].name));
    }
    w_putc(w, '\n');
}

static mdm_status csv_body(writer *w, const mdm_table *t, mdm_error *err)
{
    size_t threads = csv_threads(t);
    if (threads > 1)
        return csv_rows_parallel(w, t, threads, err);
    csv_rows(w, t, 0, t->nrows);
    return MDM_OK;
}

mdm_status mdm_table_write_csv(const mdm_table *t, FILE *out, mdm_error *err)
{
    char block[FLUSH_AT];
    writer w = {out, block, 0, sizeof block, false};
    csv_head(&w, t);
    mdm_status rc = csv_body(&w, t, err);
    return rc == MDM_OK ? w_finish(&w, err) : rc;
}

mdm_status mdm_table_write_csv_head(const mdm_table *t, FILE *out, mdm_error *err)
{
    char block[FLUSH_AT];
    writer w = {out, block, 0, sizeof block, false};
    csv_head(&w, t);
    return w_finish(&w, err);
}

mdm_status mdm_table_write_csv_rows(const mdm_table *t, FILE *out, mdm_error *err)
{
    char block[FLUSH_AT];
    writer w = {out, block, 0, sizeof block, false};
    mdm_status rc = csv_body(&w, t, err);
    return rc == MDM_OK ? w_finish(&w, err) : rc;
}

static void json_string(writer *w, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    w_putc(w, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '"' || ch == '\\') {
            w_putc(w, '\\');
            w_putc(w, (char)ch);
        } else if (ch == '\n') {
            w_put(w, "\\n", 2);
        } else if (ch == '\r') {
            w_put(w, "\\r", 2);
        } else if (ch == '\t') {
            w_put(w, "\\t", 2);
        } else if (ch < 0x20) {
            char esc[6] = {'\\', 'u', '0', '0', hex[ch >> 4], hex[ch & 15]};
            w_put(w, esc, sizeof esc);
        } else {
            w_putc(w, (char)ch);
        }
    }
    w_putc(w, '"');
}

static void json_cell(writer *w, const mdm_table *t, size_t c, size_t r)
{
    char num[64];
    if (mdm_table_is_null(t, c, r)) {
        w_put(w, "null", 4);
        return;
    }
    switch (t->cols[c].type) {
    case MDM_TEXT: {
        size_t n;
        const char *s = mdm_table_text(t, c, r, &n);
        json_string(w, s, n);
        return;
    }
    case MDM_BOOL:
        w_put(w, mdm_table_bool(t, c, r) ? "true" : "false", mdm_table_bool(t, c, r) ? 4 : 5);
        return;
    case MDM_TIMESTAMP: {
        size_t n = mdm_format_timestamp_fast(mdm_table_timestamp(t, c, r), false, num, sizeof num);
        json_string(w, num, n);
        return;
    }
    case MDM_FLOAT64: {
        size_t n = mdm_format_float64_fast(mdm_table_float64(t, c, r), num, sizeof num);
        /* JSON has no inf or nan: give them as strings. */
        if (strpbrk(num, "in") != NULL)
            json_string(w, num, n);
        else
            w_put(w, num, n);
        return;
    }
    case MDM_INT64:
        w_put(w, num, scalar_text(t, c, r, num, sizeof num));
        return;
    }
}

static void json_head(writer *w, const mdm_table *t)
{
    w_put(w, "{\"columns\":[", 12);
    for (size_t c = 0; c < t->ncols; c++) {
        if (c > 0)
            w_putc(w, ',');
        w_put(w, "{\"name\":", 8);
        json_string(w, t->cols[c].name, strlen(t->cols[c].name));
        w_put(w, ",\"type\":\"", 9);
        w_put(w, mdm_type_name(t->cols[c].type), strlen(mdm_type_name(t->cols[c].type)));
        w_put(w, "\"}", 2);
    }
    w_put(w, "],\n\"rows\":[", 11);
}

/* The rows of t; first: no row was written before them. */
static void json_rows(writer *w, const mdm_table *t, bool first)
{
    for (size_t r = 0; r < t->nrows && !w->failed; r++) {
        bool lead = first && r == 0;
        w_put(w, lead ? "\n[" : ",\n[", lead ? 2 : 3);
        for (size_t c = 0; c < t->ncols; c++) {
            if (c > 0)
                w_putc(w, ',');
            json_cell(w, t, c, r);
        }
        w_putc(w, ']');
    }
}

mdm_status mdm_table_write_json(const mdm_table *t, FILE *out, mdm_error *err)
{
    char block[FLUSH_AT];
    writer w = {out, block, 0, sizeof block, false};
    json_head(&w, t);
    json_rows(&w, t, true);
    w_put(&w, "]}\n", 3);
    return w_finish(&w, err);
}

mdm_status mdm_table_write_json_head(const mdm_table *t, FILE *out, mdm_error *err)
{
    char block[FLUSH_AT];
    writer w = {out, block, 0, sizeof block, false};
    json_head(&w, t);
    return w_finish(&w, err);
}

mdm_status mdm_table_write_json_rows(const mdm_table *t, bool first, FILE *out, mdm_error *err)
{
    char block[FLUSH_AT];
    writer w = {out, block, 0, sizeof block, false};
    json_rows(&w, t, first);
    return w_finish(&w, err);
}

mdm_status mdm_table_write_json_tail(FILE *out, mdm_error *err)
{
    char block[16];
    writer w = {out, block, 0, sizeof block, false};
    w_put(&w, "]}\n", 3);
    return w_finish(&w, err);
}
