/* SPDX-License-Identifier: MIT */
/*
 * cmp_slt.c - sqllogictest (.test) files: the record parser (statement
 * ok/error, query with type string, sort mode and label, ----, hashed
 * results, hash-threshold, skipif/onlyif, halt) and the result side:
 * formatting by type string, sorting, MD5 hashing and checking.
 */
#include "cmp_slt.h"
#include "mdm_buf.h"

#include <ctype.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmp_md5.h"
#include "mdm_sqlscan.h"

/* ---- parser ------------------------------------------------------------- */

typedef struct slt {
    const char *path;
    const char *p, *end;   /* unread text */
    int line;              /* number of the line last read */
    mdm_cmp_script *s;
    char **onlyif, **skipif;
    size_t nonlyif, nskipif;
} slt;

/* Reads the next line (without its end, a trailing CR removed: CRLF and
 * LF files read alike); false at the end of the text. */
static bool next_raw_line(slt *c, const char **ls, size_t *ll)
{
    if (c->p >= c->end)
        return false;
    const char *nl = memchr(c->p, '\n', (size_t)(c->end - c->p));
    const char *le = nl ? nl : c->end;
    *ls = c->p;
    *ll = (size_t)(le - c->p);
    if (*ll > 0 && (*ls)[*ll - 1] == '\r')
        (*ll)--;
    c->p = nl ? nl + 1 : c->end;
    c->line++;
    return true;
}

/* The next line that is not a comment: as the reference runner's
 * nextLine(), a line whose first byte is '#' is skipped wherever it is
 * (between records, inside SQL, among results). */
static bool next_line(slt *c, const char **ls, size_t *ll)
{
    while (next_raw_line(c, ls, ll))
        if (*ll == 0 || (*ls)[0] != '#')
            return true;
    return false;
}

static bool blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isspace((unsigned char)s[i]))
            return false;
    return true;
}

static mdm_status serr(slt *c, mdm_error *err, const char *what)
{
    return mdm_error_set(err, MDM_ERR_PARSE, "%s:%d: %s", c->path, c->line, what);
}

/* Splits a header line into at most 8 words. A word starting with '#'
 * starts a comment (`onlyif sqlite # empty RHS`): it and the rest of the
 * line are dropped. The reference runner reads only the first words of a
 * line and ignores the rest, so this reads every published file alike. */
static size_t split_words(const char *s, size_t n, char words[8][128])
{
    size_t count = 0, i = 0;
    while (i < n && count < 8) {
        while (i < n && isspace((unsigned char)s[i]))
            i++;
        if (i < n && s[i] == '#')
            break;
        size_t start = i;
        while (i < n && !isspace((unsigned char)s[i]))
            i++;
        if (i > start) {
            size_t len = i - start < 127 ? i - start : 127;
            memcpy(words[count], s + start, len);
            words[count++][len] = '\0';
        }
    }
    return count;
}

/* SQL: lines up to a blank line, the end, or (queries) "----". */
static mdm_status read_sql(slt *c, mdm_cmp_op *op, bool *dashes, mdm_error *err)
{
    const char *ls;
    size_t ll;
    char *sql = NULL;
    size_t len = 0;
    *dashes = false;
    while (next_line(c, &ls, &ll) && !blank(ls, ll)) {
        if (ll >= 4 && strncmp(ls, "----", 4) == 0 && blank(ls + 4, ll - 4)) {
            *dashes = true;
            break;
        }
        char *grown = realloc(sql, len + ll + 2);
        if (grown == NULL) {
            free(sql);
            return mdm_error_set(err, MDM_ERR_NOMEM, "out of memory");
        }
        sql = grown;
        if (len > 0)
            sql[len++] = '\n';
        memcpy(sql + len, ls, ll);
        len += ll;
        sql[len] = '\0';
    }
    if (sql == NULL)
        return serr(c, err, "record without SQL");
    op->sql = sql;
    return MDM_OK;
}

/* "N values hashing to H" */
static bool parse_hash_line(const char *s, size_t n, mdm_cmp_op *op)
{
    char buf[160], hash[64];
    unsigned long long count;
    int used = 0;
    if (n >= sizeof buf)
        return false;
    memcpy(buf, s, n);
    buf[n] = '\0';
    if (sscanf(buf, "%llu values hashing to %63s%n", &count, hash, &used) != 2 ||
        (size_t)used != n || strlen(hash) != 32)
        return false;
    op->expect_hash = true;
    op->hash_count = (size_t)count;
    memcpy(op->hash, hash, 33);
    return true;
}

static mdm_status read_results(slt *c, mdm_cmp_op *op, mdm_error *err)
{
    const char *ls;
    size_t ll;
    op->has_expected = true;
    while (next_line(c, &ls, &ll) && !blank(ls, ll)) {
        if (op->nexpected == 0 && !op->expect_hash && parse_hash_line(ls, ll, op))
            continue;
        if (op->expect_hash)
            return serr(c, err, "values after a hash line");
        mdm_status rc = mdm_cmp__strv_push(&op->expected, &op->nexpected, ls, ll, err);
        if (rc != MDM_OK)
            return rc;
    }
    return MDM_OK;
}

static mdm_cmp_op *new_op(slt *c, mdm_cmp_op_kind kind, const char *verb, int line,
                          mdm_error *err)
{
    mdm_cmp_op *op = mdm_cmp__script_add_op(c->s, err);
    if (op == NULL)
        return NULL;
    op->kind = kind;
    op->line = line;
    op->slt = true;
    op->onlyif = c->onlyif, op->nonlyif = c->nonlyif;
    op->skipif = c->skipif, op->nskipif = c->nskipif;
    c->onlyif = c->skipif = NULL;
    c->nonlyif = c->nskipif = 0;
    op->verb = mdm_strndup(verb, strlen(verb), err);
    return op->verb ? op : NULL;
}

static mdm_status parse_statement(slt *c, char words[8][128], size_t nw, mdm_error *err)
{
    bool dashes;
    if (nw < 2 || (strcmp(words[1], "ok") != 0 && strcmp(words[1], "error") != 0))
        return serr(c, err, "expected 'statement ok' or 'statement error'");
    mdm_cmp_op *op = new_op(c, MDM_CMP_OP_EXEC, "statement", c->line, err);
    if (op == NULL)
        return MDM_ERR_NOMEM;
    op->expect_error = strcmp(words[1], "error") == 0;
    mdm_status rc = read_sql(c, op, &dashes, err);
    if (rc == MDM_OK && dashes)
        rc = serr(c, err, "'----' after a statement");
    return rc;
}

static mdm_status parse_query_options(slt *c, mdm_cmp_op *op, char words[8][128], size_t nw,
                                      mdm_error *err)
{
    op->sort = MDM_CMP_SORT_NONE;
    op->sort_explicit = true;
    for (size_t i = 2; i < nw; i++) {
        if (strcmp(words[i], "nosort") == 0) {
            op->sort = MDM_CMP_SORT_NONE;
        } else if (strcmp(words[i], "rowsort") == 0) {
            op->sort = MDM_CMP_SORT_ROWS;
        } else if (strcmp(words[i], "valuesort") == 0) {
            op->sort = MDM_CMP_SORT_VALUES;
        } else if (op->label == NULL) {
            op->label = mdm_strndup(words[i], strlen(words[i]), err);
            if (op->label == NULL)
                return MDM_ERR_NOMEM;
        } else {
            return serr(c, err, "too many words after 'query'");
        }
    }
    return MDM_OK;
}

static bool valid_types(const char *t)
{
    for (; *t; t++)
        if (*t != 'I' && *t != 'R' && *t != 'T')
            return false;
    return true;
}

static mdm_status parse_query(slt *c, char words[8][128], size_t nw, mdm_error *err)
{
    bool dashes;
    if (nw < 2 || !valid_types(words[1]))
        return serr(c, err, "expected 'query <types: I, R, T> [nosort|rowsort|valuesort] [label]'");
    mdm_cmp_op *op = new_op(c, MDM_CMP_OP_QUERY, "query", c->line, err);
    if (op == NULL)
        return MDM_ERR_NOMEM;
    op->types = mdm_strndup(words[1], strlen(words[1]), err);
    if (op->types == NULL)
        return MDM_ERR_NOMEM;
    mdm_status rc = parse_query_options(c, op, words, nw, err);
    if (rc == MDM_OK)
        rc = read_sql(c, op, &dashes, err);
    if (rc == MDM_OK && dashes)
        rc = read_results(c, op, err);
    return rc;
}

/* skipif/onlyif NAME: any engine name (the reference runner compares it
 * with its engine's name, ignoring case); words after NAME are ignored as
 * the reference runner ignores them. */
static mdm_status parse_condition(slt *c, char words[8][128], size_t nw, mdm_error *err)
{
    if (nw < 2)
        return serr(c, err, "expected 'skipif NAME' or 'onlyif NAME'");
    if (strcmp(words[0], "onlyif") == 0)
        return mdm_cmp__strv_push(&c->onlyif, &c->nonlyif, words[1], strlen(words[1]), err);
    return mdm_cmp__strv_push(&c->skipif, &c->nskipif, words[1], strlen(words[1]), err);
}

/* hash-threshold N: how the file's results were recorded (above N values
 * as a hash). Whichever form a record uses is what is checked, so the
 * number is only validated and kept. */
static mdm_status parse_hash_threshold(slt *c, char words[8][128], size_t nw, mdm_error *err)
{
    char *end = NULL;
    long v = nw >= 2 ? strtol(words[1], &end, 10) : -1;
    if (nw < 2 || end == words[1] || *end != '\0' || v < 0)
        return serr(c, err, "expected 'hash-threshold N'");
    c->s->hash_threshold = v;
    return MDM_OK;
}

static mdm_status parse_record(slt *c, const char *ls, size_t ll, mdm_error *err)
{
    char words[8][128];
    memset(words, 0, sizeof words);
    size_t nw = split_words(ls, ll, words);
    if (strcmp(words[0], "statement") == 0)
        return parse_statement(c, words, nw, err);
    if (strcmp(words[0], "query") == 0)
        return parse_query(c, words, nw, err);
    if (strcmp(words[0], "skipif") == 0 || strcmp(words[0], "onlyif") == 0)
        return parse_condition(c, words, nw, err);
    if (strcmp(words[0], "hash-threshold") == 0)
        return parse_hash_threshold(c, words, nw, err);
    if (strcmp(words[0], "halt") == 0)
        return new_op(c, MDM_CMP_OP_HALT, "halt", c->line, err) ? MDM_OK : MDM_ERR_NOMEM;
    return serr(c, err, "unknown record (expected statement, query, skipif, onlyif, "
                        "hash-threshold or halt)");
}

mdm_status mdm_cmp_slt_parse(const char *path, const char *text, size_t len, mdm_cmp_script *s,
                             mdm_error *err)
{
    slt c = { .path = path, .p = text, .end = text + len, .s = s };
    const char *ls;
    size_t ll;
    mdm_status rc = mdm_cmp__script_set_path(s, path, err);
    if (rc == MDM_OK)
        rc = mdm_cmp__script_add_dataset(s, "main", err);
    s->is_slt = true;
    while (rc == MDM_OK && next_line(&c, &ls, &ll)) {
        if (blank(ls, ll))
            continue;
        rc = parse_record(&c, ls, ll, err);
    }
    if (rc == MDM_OK && (c.nonlyif || c.nskipif))
        rc = serr(&c, err, "skipif/onlyif at the end of the file");
    mdm_cmp__strv_free(c.onlyif, c.nonlyif);
    mdm_cmp__strv_free(c.skipif, c.nskipif);
    return rc;
}

/* ---- results -------------------------------------------------------------- */

void mdm_cmp_slt_values_init(mdm_cmp_slt_values *v)
{
    memset(v, 0, sizeof *v);
}

void mdm_cmp_slt_values_reset(mdm_cmp_slt_values *v)
{
    if (v == NULL)
        return;
    mdm_cmp__strv_free(v->items, v->count);
    mdm_cmp_slt_values_init(v);
}

/* Every byte outside printable ASCII (' '..'~') prints as '@', as the
 * reference runner does to T values: control characters and each byte
 * of a UTF-8 sequence alike. */
static void scrub(char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < ' ' || (unsigned char)*s > '~')
            *s = '@';
}

/* sqlite3_column_int64's conversion of a REAL: clamped to the int64 range,
 * then truncated toward zero (NaN: 0). */
static long long real_to_int(double d)
{
    if (isnan(d))
        return 0;
    if (d <= -9223372036854775808.0)
        return LLONG_MIN;
    if (d >= 9223372036854775807.0)
        return LLONG_MAX;
    return (long long)d;
}

/* I: the value as SQLite's integer conversion gives it, in "%lld". (The
 * reference runner reads sqlite3_column_int, 32 bits; no published
 * record holds an integer beyond 32 bits, and the project's own files
 * record int64 extremes, so the full 64 bits are printed.) */
static void format_int(const mdm_table *t, size_t c, size_t r, char *buf, size_t n)
{
    const mdm_column *col = &t->cols[c];
    long long v;
    if (col->type == MDM_FLOAT64)
        v = real_to_int(col->v.f64[r]);
    else if (col->type == MDM_BOOL)
        v = col->v.b[r];
    else if (col->type == MDM_TEXT)
        v = strtoll(mdm_table_text(t, c, r, NULL), NULL, 10);
    else
        v = (long long)col->v.i64[r];
    snprintf(buf, n, "%lld", v);
}

/* Spells the 16 significant digits of |v| (v finite, |v| >= 1e13) in
 * fixed point with 3 decimals: the digits, then zeros. */
static void fixed_16_digits(double v, char *buf, size_t n)
{
    char e[40], digits[17];
    size_t k = 0, nd = 0;
    snprintf(e, sizeof e, "%.15e", fabs(v));   /* d.ddddddddddddddde+XX, rounded */
    for (const char *p = e; *p && *p != 'e'; p++)
        if (isdigit((unsigned char)*p) && nd < 16)
            digits[nd++] = *p;
    int exp10 = atoi(strchr(e, 'e') + 1);
    int intdigits = exp10 + 1;
    if (v < 0 && k + 1 < n)
        buf[k++] = '-';
    for (int i = 0; i < intdigits + 4 && k + 1 < n; i++) {
        if (i == intdigits)
            buf[k++] = '.';
        else {
            int d = i < intdigits ? i : i - 1;   /* digit index past the point */
            buf[k++] = d < (int)nd ? digits[d] : '0';
        }
    }
    buf[k] = '\0';
}

/*
 * "%.3f" as the reference runner's SQLite printed it: that printf kept at
 * most 16 significant digits (rounded) and wrote zeros after them, so
 * -9223372036854775808.0 is -9223372036854776000.000 and 1e300 a 1 and
 * 299 zeros more than the digits printf would give. Below 1e13 a "%.3f"
 * needs at most 16 digits and C's printf agrees. SQLite never printed
 * "-0.000" for a negative zero (it tests v < 0), and spelled the
 * non-finite values NaN, Inf and -Inf.
 */
void mdm_cmp_slt_format_real(double v, char *buf, size_t n)
{
    if (isnan(v))
        snprintf(buf, n, "NaN");
    else if (isinf(v))
        snprintf(buf, n, "%sInf", v < 0 ? "-" : "");
    else if (fabs(v) >= 1e13)
        fixed_16_digits(v, buf, n);
    else
        snprintf(buf, n, "%.3f", v == 0 ? 0.0 : v);
}

static void format_real(const mdm_table *t, size_t c, size_t r, char *buf, size_t n)
{
    const mdm_column *col = &t->cols[c];
    double v;
    if (col->type == MDM_FLOAT64)
        v = col->v.f64[r];
    else if (col->type == MDM_BOOL)
        v = col->v.b[r];
    else if (col->type == MDM_TEXT)
        v = strtod(mdm_table_text(t, c, r, NULL), NULL);
    else
        v = (double)col->v.i64[r];
    mdm_cmp_slt_format_real(v, buf, n);
}

/* T of a REAL: SQLite's text of a double ("%!.15g": 15 significant
 * digits, and always a '.' in the mantissa: 1.0, 1.0e+20). */
static void format_double_text(double v, char *buf, size_t n)
{
    char tmp[40];   /* "%.15g" needs at most 24 */
    if (!isfinite(v)) {
        mdm_cmp_slt_format_real(v, buf, n);
        return;
    }
    snprintf(tmp, sizeof tmp, "%.15g", v);
    char *e = strchr(tmp, 'e');
    if (strchr(tmp, '.') != NULL)
        snprintf(buf, n, "%s", tmp);
    else if (e != NULL)
        snprintf(buf, n, "%.*s.0%s", (int)(e - tmp), tmp, e);
    else
        snprintf(buf, n, "%s.0", tmp);
}

/* T: the value as text; returns a malloc'd string (text can be long). */
static char *format_text(const mdm_table *t, size_t c, size_t r, mdm_error *err)
{
    char buf[64];
    const mdm_column *col = &t->cols[c];
    if (col->type == MDM_TEXT) {
        size_t len;
        const char *s = mdm_table_text(t, c, r, &len);
        return len == 0 ? mdm_strndup("(empty)", 7, err) : mdm_strndup(s, len, err);
    }
    if (col->type == MDM_BOOL)
        snprintf(buf, sizeof buf, "%s", col->v.b[r] ? "true" : "false");
    else if (col->type == MDM_FLOAT64)
        format_double_text(col->v.f64[r], buf, sizeof buf);
    else if (col->type == MDM_TIMESTAMP)
        mdm_format_timestamp(col->v.i64[r], buf, sizeof buf);
    else
        snprintf(buf, sizeof buf, "%" PRId64, col->v.i64[r]);
    return mdm_strndup(buf, strlen(buf), err);
}

static char *format_cell(const mdm_table *t, size_t c, size_t r, char type, mdm_error *err)
{
    char buf[400];   /* "%.3f" of the largest double has 313 characters */
    char *out;
    if (mdm_table_is_null(t, c, r))
        return mdm_strndup("NULL", 4, err);
    if (type == 'I' || type == 'R') {
        if (type == 'I')
            format_int(t, c, r, buf, sizeof buf);
        else
            format_real(t, c, r, buf, sizeof buf);
        return mdm_strndup(buf, strlen(buf), err);
    }
    out = format_text(t, c, r, err);
    if (out != NULL)
        scrub(out);
    return out;
}

/* Row comparison for rowsort: column by column, strcmp. */
static int cmp_rows(char *const *a, char *const *b, size_t ncols)
{
    for (size_t i = 0; i < ncols; i++) {
        int d = strcmp(a[i], b[i]);
        if (d != 0)
            return d;
    }
    return 0;
}

static int cmp_values(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Insertion-merge sort of rows (stable, no global comparator state). */
static mdm_status sort_rows(mdm_cmp_slt_values *v, mdm_error *err)
{
    size_t nrows = v->ncols ? v->count / v->ncols : 0, w = v->ncols;
    char **tmp = malloc((v->count ? v->count : 1) * sizeof *tmp);
    if (tmp == NULL)
        return mdm_error_set(err, MDM_ERR_NOMEM, "out of memory");
    for (size_t width = 1; width < nrows; width *= 2) {
        for (size_t lo = 0; lo < nrows; lo += 2 * width) {
            size_t mid = lo + width < nrows ? lo + width : nrows;
            size_t hi = lo + 2 * width < nrows ? lo + 2 * width : nrows;
            size_t i = lo, j = mid, k = lo;
            while (i < mid || j < hi) {
                bool left = j >= hi || (i < mid && cmp_rows(&v->items[i * w], &v->items[j * w], w) <= 0);
                size_t src = left ? i++ : j++;
                memcpy(&tmp[k++ * w], &v->items[src * w], w * sizeof *tmp);
            }
        }
        memcpy(v->items, tmp, v->count * sizeof *tmp);
    }
    free(tmp);
    return MDM_OK;
}

mdm_status mdm_cmp_slt_format(const mdm_cmp_op *op, const mdm_table *t, mdm_cmp_slt_values *out,
                              mdm_error *err)
{
    mdm_cmp_slt_values v;
    mdm_status rc = MDM_OK;
    size_t ntypes = op->types ? strlen(op->types) : 0;
    mdm_cmp_slt_values_init(&v);
    v.ncols = t->ncols;
    v.items = calloc(t->nrows * t->ncols + 1, sizeof *v.items);
    if (v.items == NULL)
        return mdm_error_set(err, MDM_ERR_NOMEM, "out of memory");
    for (size_t r = 0; r < t->nrows && rc == MDM_OK; r++) {
        for (size_t c = 0; c < t->ncols; c++) {
            char type = c < ntypes ? op->types[c] : 'T';
            v.items[v.count] = format_cell(t, c, r, type, err);
            if (v.items[v.count] == NULL) {
                rc = MDM_ERR_NOMEM;
                break;
            }
            v.count++;
        }
    }
    if (rc == MDM_OK && op->sort == MDM_CMP_SORT_ROWS)
        rc = sort_rows(&v, err);
    if (rc == MDM_OK && op->sort == MDM_CMP_SORT_VALUES)
        qsort(v.items, v.count, sizeof *v.items, cmp_values);
    if (rc != MDM_OK) {
        mdm_cmp_slt_values_reset(&v);
        return rc;
    }
    mdm_cmp_slt_values_reset(out);
    *out = v;
    return MDM_OK;
}

void mdm_cmp_slt_hash(const mdm_cmp_slt_values *v, char hex[33])
{
    mdm_cmp_md5 m;
    mdm_cmp_md5_init(&m);
    for (size_t i = 0; i < v->count; i++) {
        mdm_cmp_md5_update(&m, v->items[i], strlen(v->items[i]));
        mdm_cmp_md5_update(&m, "\n", 1);
    }
    mdm_cmp_md5_final_hex(&m, hex);
}

/* "row r, column c" of value index i (or "value i" for valuesort). */
static void where(const mdm_cmp_op *op, size_t ncols, size_t i, char *buf, size_t n)
{
    if (op != NULL && op->sort == MDM_CMP_SORT_VALUES)
        snprintf(buf, n, "value %zu (valuesort)", i);
    else if (ncols == 0)
        snprintf(buf, n, "value %zu", i);
    else
        snprintf(buf, n, "row %zu, column %zu", i / ncols, i % ncols);
}

bool mdm_cmp_slt_check(const mdm_cmp_op *op, const mdm_cmp_slt_values *v, char *msg, size_t n)
{
    char hex[33], at[64];
    size_t ntypes = op->types ? strlen(op->types) : 0;
    if (op->types && v->ncols != ntypes && !(v->count == 0 && v->ncols == 0)) {
        snprintf(msg, n, "expected %zu columns (type string '%s'), got %zu", ntypes, op->types,
                 v->ncols);
        return false;
    }
    if (!op->has_expected)
        return true;
    if (op->expect_hash) {
        mdm_cmp_slt_hash(v, hex);
        if (v->count == op->hash_count && strcmp(hex, op->hash) == 0)
            return true;
        snprintf(msg, n, "expected %zu values hashing to %s, got %zu values hashing to %s",
                 op->hash_count, op->hash, v->count, hex);
        return false;
    }
    for (size_t i = 0; i < v->count && i < op->nexpected; i++) {
        if (strcmp(v->items[i], op->expected[i]) != 0) {
            where(op, ntypes, i, at, sizeof at);
            snprintf(msg, n, "%s: expected '%.150s', got '%.150s'", at, op->expected[i], v->items[i]);
            return false;
        }
    }
    if (v->count != op->nexpected) {
        snprintf(msg, n, "expected %zu values, got %zu", op->nexpected, v->count);
        return false;
    }
    return true;
}

bool mdm_cmp_slt_equal(const mdm_cmp_slt_values *a, const mdm_cmp_slt_values *b, char *msg,
                       size_t n)
{
    char at[64];
    if (a->ncols != b->ncols) {
        snprintf(msg, n, "column count: %zu vs %zu", a->ncols, b->ncols);
        return false;
    }
    for (size_t i = 0; i < a->count && i < b->count; i++) {
        if (strcmp(a->items[i], b->items[i]) != 0) {
            where(NULL, a->ncols, i, at, sizeof at);
            snprintf(msg, n, "%s: '%.150s' vs '%.150s'", at, a->items[i], b->items[i]);
            return false;
        }
    }
    if (a->count != b->count) {
        snprintf(msg, n, "value count: %zu vs %zu", a->count, b->count);
        return false;
    }
    return true;
}
