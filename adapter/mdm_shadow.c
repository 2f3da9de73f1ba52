/* SPDX-License-Identifier: MIT */
/*
 * mdm_shadow.c - shadow runs: control then candidate, timed; comparison in
 * order or as a multiset of rows; one JSON line per mismatch appended with a
 * single write(2) on an O_APPEND descriptor, so lines from several processes
 * never interleave. A candidate's failure is logged, never returned.
 */
#include "mdm_shadow.h"
#include "mdm_buf.h"
#include "mdm_clock.h"
#include "mdm_table_ops.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

mdm_status mdm_shadow_init(mdm_shadow *sh, const char *log_path, FILE *warn, mdm_error *err)
{
    mdm_compare_opts exact = MDM_COMPARE_OPTS_INIT;
    if (sh == NULL || log_path == NULL || log_path[0] == '\0')
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "shadow: no log path");
    memset(sh, 0, sizeof *sh);
    if (strlen(log_path) >= sizeof sh->log_path)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "shadow: log path too long");
    memcpy(sh->log_path, log_path, strlen(log_path) + 1);
    sh->compare = exact;
    sh->warn = warn;
    return MDM_OK;
}

mdm_status mdm_shadow_set_evidence(mdm_shadow *sh, const char *path, long generation,
                                   const mdm_expect_list *expect, const char *backend,
                                   mdm_error *err)
{
    const char *p = path != NULL ? path : "";
    if (strlen(p) >= sizeof sh->evidence_path)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "shadow: evidence path too long");
    memcpy(sh->evidence_path, p, strlen(p) + 1);
    sh->generation = generation;
    sh->expect = expect;
    sh->backend = backend;
    return MDM_OK;
}

/* ---- Unordered comparison ------------------------------------------------ */

typedef struct row_key {
    char *s;
    size_t len;
    size_t row;   /* the row it was made from */
} row_key;

static int key_cmp(const void *pa, const void *pb)
{
    const row_key *a = pa, *b = pb;
    size_t n = a->len < b->len ? a->len : b->len;
    int c = memcmp(a->s, b->s, n);
    if (c != 0)
        return c;
    return a->len < b->len ? -1 : a->len > b->len;
}

/* One cell's canonical form: a type tag ('N' for NULL) into *tag and the
 * value as rendered (cell: room for a value that is not text). */
static const char *cell_form(const mdm_table *t, size_t c, size_t r, char cell[64], char *tag,
                             size_t *len)
{
    *tag = (char)('0' + t->cols[c].type);
    *len = 0;
    if (mdm_table_is_null(t, c, r)) {
        *tag = 'N';
        return "";
    }
    if (t->cols[c].type == MDM_TEXT)
        return mdm_table_text(t, c, r, len);
    const char *s = mdm_table_render_cell(t, c, r, cell, 64);
    *len = strlen(s);
    return s;
}

/* One cell as bytes: its tag, its value, a separator. */
static mdm_status cell_bytes(const mdm_table *t, size_t c, size_t r, mdm_buf *b)
{
    char cell[64], tag;
    size_t len;
    const char *s = cell_form(t, c, r, cell, &tag, &len);
    mdm_status rc = mdm_buf_putc(b, tag);
    if (rc == MDM_OK)
        rc = mdm_buf_append(b, s, len);
    return rc == MDM_OK ? mdm_buf_putc(b, '\x1f') : rc;
}

static mdm_status row_bytes(const mdm_table *t, size_t r, mdm_buf *b)
{
    mdm_status rc = MDM_OK;
    for (size_t c = 0; rc == MDM_OK && c < t->ncols; c++)
        rc = cell_bytes(t, c, r, b);
    return rc;
}

/* Sorted row keys of t, or NULL without memory. Free with free_keys. */
static row_key *sorted_keys(const mdm_table *t)
{
    row_key *keys = calloc(t->nrows ? t->nrows : 1, sizeof *keys);
    mdm_buf b;
    mdm_buf_init(&b);
    for (size_t r = 0; keys != NULL && r < t->nrows; r++) {
        mdm_buf_clear(&b);
        if (row_bytes(t, r, &b) != MDM_OK || (keys[r].s = malloc(b.len + 1)) == NULL) {
            for (size_t i = 0; i < r; i++)
                free(keys[i].s);
            free(keys);
            keys = NULL;
            break;
        }
        memcpy(keys[r].s, mdm_buf_str(&b), b.len + 1);
        keys[r].len = b.len;
        keys[r].row = r;
    }
    mdm_buf_reset(&b);
    if (keys != NULL)
        qsort(keys, t->nrows, sizeof *keys, key_cmp);
    return keys;
}

static void free_keys(row_key *keys, size_t n)
{
    for (size_t i = 0; keys != NULL && i < n; i++)
        free(keys[i].s);
    free(keys);
}

bool mdm_table_equal_unordered(const mdm_table *a, const mdm_table *b,
                               const mdm_compare_opts *opts)
{
    mdm_table_diff diff;
    if (mdm_table_equal(a, b, opts, &diff))
        return true;
    if (diff.kind != MDM_DIFF_VALUE)
        return false;
    row_key *ka = sorted_keys(a), *kb = sorted_keys(b);
    bool same = ka != NULL && kb != NULL;
    for (size_t r = 0; same && r < a->nrows; r++)
        same = key_cmp(&ka[r], &kb[r]) == 0;
    free_keys(ka, a->nrows);
    free_keys(kb, b->nrows);
    return same;
}

/* ---- Reconciliation of written tables ---------------------------------------- */

#define FNV_BASIS 0xcbf29ce484222325u

static uint64_t fnv1a(uint64_t h, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 0x100000001b3u;
    return h;
}

/* h carried on over one cell's bytes (cell_bytes, without a buffer). */
static uint64_t cell_hash(const mdm_table *t, size_t c, size_t r, uint64_t h)
{
    char cell[64], tag;
    size_t len;
    const char *s = cell_form(t, c, r, cell, &tag, &len);
    h = fnv1a(h, &tag, 1);
    h = fnv1a(h, s, len);
    return fnv1a(h, "\x1f", 1);
}

/* An order-independent checksum of t, as pt-table-checksum takes them but
 * without sorting: for column c, the wrapping sum over rows of the FNV-1a
 * hash of the cell's canonical bytes; for c == ncols, the same of whole
 * rows (so a value moved to another row is seen). Rows in any order give
 * the same sums. */
static uint64_t checksum(const mdm_table *t, size_t c)
{
    uint64_t sum = 0;
    size_t first = c < t->ncols ? c : 0, end = c < t->ncols ? c + 1 : t->ncols;
    for (size_t r = 0; r < t->nrows; r++) {
        uint64_t h = FNV_BASIS;
        for (size_t k = first; k < end; k++)
            h = cell_hash(t, k, r, h);
        sum += h;
    }
    return sum;
}

/* Two written tables (read back): equal in order, or the same schema and
 * row count with the same checksums. */
static bool same_written(const mdm_shadow *sh, const mdm_table *a, const mdm_table *b,
                         mdm_table_diff *diff)
{
    if (mdm_table_equal(a, b, &sh->compare, diff))
        return true;
    if (diff->kind != MDM_DIFF_VALUE)
        return false;
    for (size_t c = 0; c <= a->ncols; c++)
        if (checksum(a, c) != checksum(b, c))
            return false;
    return true;
}

/* ---- JSON ---------------------------------------------------------------- */

static mdm_status json_str(mdm_buf *b, const char *s)
{
    mdm_status rc = mdm_buf_putc(b, '"');
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); rc == MDM_OK && *p; p++) {
        if (*p == '"' || *p == '\\')
            rc = mdm_buf_printf(b, "\\%c", *p);
        else if (*p == '\n')
            rc = mdm_buf_puts(b, "\\n");
        else if (*p == '\t')
            rc = mdm_buf_puts(b, "\\t");
        else if (*p == '\r')
            rc = mdm_buf_puts(b, "\\r");
        else if (*p < 0x20)
            rc = mdm_buf_printf(b, "\\u%04x", *p);
        else
            rc = mdm_buf_putc(b, (char)*p);
    }
    return rc == MDM_OK ? mdm_buf_putc(b, '"') : rc;
}

static mdm_status json_field(mdm_buf *b, const char *key, const char *value)
{
    mdm_status rc = mdm_buf_printf(b, ",\"%s\":", key);
    return rc == MDM_OK ? json_str(b, value) : rc;
}

/* ,"checksums":{"rows":"<hex>","<column>":"<hex>",...}: a written table's
 * checksums (checksum()), whole rows first. */
static mdm_status json_checksums(mdm_buf *b, const mdm_table *t)
{
    mdm_status rc = mdm_buf_printf(b, ",\"checksums\":{\"rows\":\"%016llx\"",
                                   (unsigned long long)checksum(t, t->ncols));
    for (size_t c = 0; rc == MDM_OK && c < t->ncols; c++) {
        rc = mdm_buf_putc(b, ',');
        if (rc == MDM_OK)
            rc = json_str(b, t->cols[c].name);
        if (rc == MDM_OK)
            rc = mdm_buf_printf(b, ":\"%016llx\"", (unsigned long long)checksum(t, c));
    }
    return rc == MDM_OK ? mdm_buf_putc(b, '}') : rc;
}

/* Row r of t as one JSON string: its values as rendered, NULL as NULL,
 * separated by ", ". */
static mdm_status json_row(mdm_buf *b, const mdm_table *t, size_t r)
{
    mdm_buf text;
    char cell[64];
    size_t len = 0;
    mdm_status rc = MDM_OK;
    mdm_buf_init(&text);
    for (size_t c = 0; rc == MDM_OK && c < t->ncols; c++) {
        char tag;
        const char *v = cell_form(t, c, r, cell, &tag, &len);
        rc = mdm_buf_puts(&text, c > 0 ? ", " : "");
        if (rc == MDM_OK)
            rc = tag == 'N' ? mdm_buf_puts(&text, "NULL") : mdm_buf_append(&text, v, len);
    }
    if (rc == MDM_OK)
        rc = json_str(b, mdm_buf_str(&text));
    mdm_buf_reset(&text);
    return rc;
}

/* ,"first_differing_rows":{"control":"...","candidate":"..."}: of two
 * written tables with the same schema and row count, the first rows, in
 * sorted order, where they part (written rows have no order to go by). */
static mdm_status json_first_rows(mdm_buf *b, const mdm_table *ctl, const mdm_table *cand)
{
    row_key *ka = sorted_keys(ctl), *kb = sorted_keys(cand);
    size_t r = 0;
    mdm_status rc = ka != NULL && kb != NULL ? MDM_OK : MDM_ERR_NOMEM;
    while (rc == MDM_OK && r < ctl->nrows && key_cmp(&ka[r], &kb[r]) == 0)
        r++;
    if (rc == MDM_OK && r < ctl->nrows) {
        rc = mdm_buf_puts(b, ",\"first_differing_rows\":{\"control\":");
        if (rc == MDM_OK)
            rc = json_row(b, ctl, ka[r].row);
        if (rc == MDM_OK)
            rc = mdm_buf_puts(b, ",\"candidate\":");
        if (rc == MDM_OK)
            rc = json_row(b, cand, kb[r].row);
        if (rc == MDM_OK)
            rc = mdm_buf_putc(b, '}');
    }
    free_keys(ka, ctl->nrows);
    free_keys(kb, cand->nrows);
    return rc;
}

/* {"status":"ok","rows":N,"columns":N} or {"status":"<kind>","message":...};
 * a written table (sums) with its checksums. */
static mdm_status json_side(mdm_buf *b, const char *key, mdm_status rc, const mdm_table *t,
                            const mdm_error *e, bool sums)
{
    mdm_status w = mdm_buf_printf(b, ",\"%s\":{\"status\":", key);
    if (w == MDM_OK)
        w = json_str(b, rc == MDM_OK ? "ok" : mdm_status_name(rc));
    if (w == MDM_OK && rc == MDM_OK)
        w = mdm_buf_printf(b, ",\"rows\":%zu,\"columns\":%zu", t->nrows, t->ncols);
    if (w == MDM_OK && rc == MDM_OK && sums)
        w = json_checksums(b, t);
    if (w == MDM_OK && rc != MDM_OK)
        w = json_field(b, "message", e->message);
    return w == MDM_OK ? mdm_buf_putc(b, '}') : w;
}

static mdm_status json_diff(mdm_buf *b, const mdm_table_diff *d)
{
    mdm_status rc = mdm_buf_puts(b, ",\"first_difference\":{\"kind\":");
    if (rc == MDM_OK)
        rc = json_str(b, mdm_diff_kind_name(d->kind));
    if (rc == MDM_OK && d->kind == MDM_DIFF_VALUE)
        rc = mdm_buf_printf(b, ",\"row\":%zu", d->row);
    if (rc == MDM_OK && d->kind != MDM_DIFF_ROW_COUNT && d->kind != MDM_DIFF_COLUMN_COUNT)
        rc = json_field(b, "column", d->column_name);
    if (rc == MDM_OK)
        rc = json_field(b, "control", d->left);
    if (rc == MDM_OK)
        rc = json_field(b, "candidate", d->right);
    if (rc == MDM_OK)
        rc = json_field(b, "message", d->message);
    return rc == MDM_OK ? mdm_buf_putc(b, '}') : rc;
}

/* UTC, ISO 8601 with milliseconds: 2025-01-01T12:00:00.123Z (n >= 32). */
static void iso_time(char *buf, size_t n)
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t len = strftime(buf, n, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + len, n - len, ".%03dZ", (int)(ts.tv_nsec / 1000000L) % 1000);
}

/* ---- One experiment ------------------------------------------------------- */

typedef struct side {
    mdm_status rc;
    mdm_table *table;
    mdm_error *err;
    double ms;
} side;

static void run_side(mdm_shadow_fn fn, void *arg, side *s)
{
    double t0 = mdm_clock_now_s();
    mdm_error_clear(s->err);
    s->rc = fn(arg, s->table, s->err);
    s->ms = (mdm_clock_now_s() - t0) * 1e3;
}

/* After a write side that succeeded: reads back what it wrote into its
 * table (untimed: the side's time is its write's), into s with its own
 * error (e), so a read-back failure is compared, never returned. */
static void check_side(mdm_shadow_fn fn, void *arg, side *s, mdm_error *e)
{
    if (s->rc != MDM_OK)
        return;
    s->err = e;
    mdm_error_clear(e);
    s->rc = fn(arg, s->table, e);
}

static const char *outcome_of(const side *ctl, const side *cand)
{
    if (ctl->rc == MDM_OK && cand->rc != MDM_OK)
        return "candidate_error";
    if (ctl->rc != MDM_OK && cand->rc == MDM_OK)
        return "control_error";
    if (ctl->rc != MDM_OK)
        return "error_mismatch";
    return "mismatch";
}

static mdm_status build_line(mdm_buf *b, const mdm_shadow_call *call, const side *ctl,
                             const side *cand, const mdm_table_diff *diff)
{
    char when[40];
    iso_time(when, sizeof when);
    mdm_status rc = mdm_buf_puts(b, "{\"time\":");
    if (rc == MDM_OK)
        rc = json_str(b, when);
    if (rc == MDM_OK)
        rc = json_field(b, "operation", call->operation);
    if (rc == MDM_OK)
        rc = json_field(b, "dataset", call->dataset);
    if (rc == MDM_OK && call->detail != NULL)
        rc = json_field(b, "detail", call->detail);
    if (rc == MDM_OK)
        rc = json_field(b, "outcome", outcome_of(ctl, cand));
    if (rc == MDM_OK)
        rc = mdm_buf_printf(b, ",\"control_ms\":%.3f,\"candidate_ms\":%.3f", ctl->ms, cand->ms);
    bool written = call->control_check != NULL;
    if (rc == MDM_OK)
        rc = json_side(b, "control", ctl->rc, ctl->table, ctl->err, written);
    if (rc == MDM_OK)
        rc = json_side(b, "candidate", cand->rc, cand->table, cand->err, written);
    if (rc == MDM_OK && diff != NULL)
        rc = json_diff(b, diff);
    if (rc == MDM_OK && written && diff != NULL && diff->kind == MDM_DIFF_VALUE)
        rc = json_first_rows(b, ctl->table, cand->table);
    return rc == MDM_OK ? mdm_buf_puts(b, "}\n") : rc;
}

static void log_failed(mdm_shadow *sh, const char *why)
{
    sh->stats.log_failures++;
    if (sh->warn != NULL && !sh->warned)
        fprintf(sh->warn, "mdm: warning: cannot append to shadow log '%s': %s\n", sh->log_path,
                why);
    sh->warned = true;
}

static void append_line(mdm_shadow *sh, const mdm_buf *line)
{
    int fd = open(sh->log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        log_failed(sh, strerror(errno));
        return;
    }
    ssize_t n = write(fd, mdm_buf_str(line), line->len);
    if (n < 0 || (size_t)n != line->len)
        log_failed(sh, n < 0 ? strerror(errno) : "short write");
    (void)close(fd);
}

static void log_mismatch(mdm_shadow *sh, const mdm_shadow_call *call, const side *ctl,
                         const side *cand, const mdm_table_diff *diff)
{
    mdm_buf line;
    mdm_buf_init(&line);
    sh->stats.mismatches++;
    if (build_line(&line, call, ctl, cand, diff) == MDM_OK)
        append_line(sh, &line);
    else
        log_failed(sh, "out of memory");
    mdm_buf_reset(&line);
}

/* Same tables? Fills diff (in order; kind NONE when there is nothing to show). */
static bool same_tables(const mdm_shadow *sh, const mdm_shadow_call *call, const mdm_table *a,
                        const mdm_table *b, mdm_table_diff *diff)
{
    memset(diff, 0, sizeof *diff);
    if (mdm_table_equal(a, b, &sh->compare, diff))
        return true;
    return !call->ordered && mdm_table_equal_unordered(a, b, &sh->compare);
}

/* Same result? Fills diff (kind NONE when there is nothing to show). */
static bool same_result(const mdm_shadow *sh, const mdm_shadow_call *call, const side *ctl,
                        const side *cand, mdm_table_diff *diff)
{
    memset(diff, 0, sizeof *diff);
    if (ctl->rc != MDM_OK || cand->rc != MDM_OK)
        return ctl->rc == cand->rc;
    if (call->control_check != NULL)
        return same_written(sh, ctl->table, cand->table, diff);
    return same_tables(sh, call, ctl->table, cand->table, diff);
}

/* ---- Expected differences --------------------------------------------------- */

/* The harness's op name for a shadow operation. */
static const char *harness_op(const char *operation)
{
    if (strncmp(operation, "load", 4) == 0 || strcmp(operation, "read_table") == 0)
        return "read";   /* load, load_limit_zero */
    if (strcmp(operation, "info") == 0 || strcmp(operation, "table_info") == 0)
        return "info";
    return operation;
}

static long match_key(const mdm_shadow *sh, const mdm_shadow_call *call, const char *kind,
                      const char *detail)
{
    mdm_expect_key k = {NULL, harness_op(call->operation), sh->backend, call->cell, kind, detail,
                        call->operation};
    return mdm_expect_match(sh->expect, &k);
}

/* A table difference: expected when it and, after a column type
 * difference, the first difference among the agreeing columns are. */
static long match_tables(const mdm_shadow *sh, const mdm_shadow_call *call, const mdm_table *a,
                         const mdm_table *b, const mdm_table_diff *d)
{
    long id = match_key(sh, call, mdm_diff_kind_name(d->kind), d->message);
    if (id < 0 || d->kind != MDM_DIFF_COLUMN_TYPE)
        return id;
    mdm_table pa, pb;
    mdm_table_diff rest;
    mdm_table_init(&pa);
    mdm_table_init(&pb);
    if (mdm_table_agreeing(a, b, &pa, &pb, NULL) && !same_tables(sh, call, &pa, &pb, &rest))
        id = match_tables(sh, call, &pa, &pb, &rest);
    mdm_table_reset(&pa);
    mdm_table_reset(&pb);
    return id;
}

/* "error sql: ..." or "ok, 3 rows x 2 columns", as the harness writes it. */
static void describe(const side *s, char *buf, size_t n)
{
    if (s->rc != MDM_OK)
        snprintf(buf, n, "error %s: %.300s", mdm_status_name(s->rc), s->err->message);
    else
        snprintf(buf, n, "ok, %zu rows x %zu columns", s->table->nrows, s->table->ncols);
}

/* The expected-differences entry this difference is, or -1. */
static long expected_entry(const mdm_shadow *sh, const mdm_shadow_call *call, const side *ctl,
                           const side *cand, const mdm_table_diff *diff)
{
    char dc[400], dd[400], msg[900];
    if (sh->expect == NULL)
        return -1;
    if (ctl->rc == MDM_OK && cand->rc == MDM_OK)
        return match_tables(sh, call, ctl->table, cand->table, diff);
    describe(ctl, dc, sizeof dc);
    describe(cand, dd, sizeof dd);
    snprintf(msg, sizeof msg, "legacy: %s | %s: %s", dc, call->cell ? call->cell : "modern", dd);
    return match_key(sh, call, ctl->rc != MDM_OK && cand->rc != MDM_OK ? "error_kind" : "error",
                     msg);
}

static mdm_outcome outcome_kind(const side *ctl, const side *cand)
{
    if (ctl->rc == MDM_OK && cand->rc != MDM_OK)
        return MDM_OUTCOME_CANDIDATE_ERROR;
    if (ctl->rc != MDM_OK && cand->rc == MDM_OK)
        return MDM_OUTCOME_CONTROL_ERROR;
    return MDM_OUTCOME_MISMATCH;
}

static void record(mdm_shadow *sh, const mdm_shadow_call *call, mdm_outcome oc, long id,
                   const side *ctl, const side *cand)
{
    mdm_error e;
    if (sh->evidence_path[0] == '\0')
        return;
    mdm_evidence_rec rec = {sh->generation, call->flag ? call->flag : "reads", call->operation,
                            call->dataset, oc, id >= 0 ? sh->expect->items[id].id : NULL,
                            ctl->ms, cand->ms};
    if (mdm_evidence_record(sh->evidence_path, &rec, &e) != MDM_OK)
        log_failed(sh, e.message);
}

mdm_status mdm_shadow_run(mdm_shadow *sh, const mdm_shadow_call *call, mdm_table *out,
                          mdm_error *err)
{
    mdm_table cand_table;
    mdm_error cand_err, ctl_err;
    mdm_table_diff diff;
    mdm_outcome oc = MDM_OUTCOME_MATCH;
    long id = -1;
    if (sh == NULL || call == NULL || call->control == NULL || out == NULL)
        return mdm_error_set(err, MDM_ERR_INVALID_ARG, "shadow: NULL argument");
    side ctl = {MDM_OK, out, err != NULL ? err : &ctl_err, 0.0};
    side cand = {MDM_OK, &cand_table, &cand_err, 0.0};
    mdm_table_init(&cand_table);
    sh->stats.runs++;
    run_side(call->control, call->control_arg, &ctl);
    if (call->candidate == NULL) {
        cand.rc = mdm_error_set(&cand_err, MDM_ERR_NOT_IMPLEMENTED, "no candidate");
    } else {
        run_side(call->candidate, call->candidate_arg, &cand);
    }
    mdm_status served = ctl.rc;
    mdm_error ctl_check_err;
    if (call->control_check != NULL) {   /* writes: compare what each side wrote */
        check_side(call->control_check, call->control_arg, &ctl, &ctl_check_err);
        check_side(call->candidate_check, call->candidate_arg, &cand, &cand_err);
    }
    if (ctl.rc == MDM_OK && cand.rc != MDM_OK)
        sh->stats.candidate_errors++;
    if (same_result(sh, call, &ctl, &cand, &diff)) {
        sh->stats.matches++;
    } else if ((id = expected_entry(sh, call, &ctl, &cand, &diff)) >= 0) {
        oc = MDM_OUTCOME_EXPECTED;
        sh->stats.expected++;
    } else {
        oc = outcome_kind(&ctl, &cand);
        log_mismatch(sh, call, &ctl, &cand, diff.kind != MDM_DIFF_NONE ? &diff : NULL);
    }
    record(sh, call, oc, id, &ctl, &cand);
    mdm_table_reset(&cand_table);
    return served;
}
