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
#include <string.h>

enum { FLUSH_AT = 1 << 16 };

typedef struct writer {
    FILE *out;
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

static void w_put(writer *w, const char *s, size_t n)
{
    if (w->len + n > w->cap) {
        w_flush(w);
        if (n > w->cap) {
            if (!w->failed && fwrite(s, 1, n, w->out) != n)
                w->failed = true;
            return;
        }
    }
    memcpy(w->buf + w->len, s, n);
    w->len += n;
}

static void w_putc(writer *w, char c)
{
    if (w->len == w->cap)
        w_flush(w);
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

/* Powers of ten that are exact doubles and fit in uint64_t. */
static const uint64_t pow10_u64[19] = {
    1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull, 10000000ull, 100000000ull,
    1000000000ull, 10000000000ull, 100000000000ull, 1000000000000ull, 10000000000000ull,
    100000000000000ull, 1000000000000000ull, 10000000000000000ull, 100000000000000000ull,
    1000000000000000000ull};

/*
 * The common case without printf: v is r / 10^d for an integer r below
 * 10^15 and a value at least 1e-4. Dividing two exact doubles is
 * correctly rounded, so r / 10^d == v means the decimal reads back as v,
 * and since v lies within half an ulp of it (less than half a unit in the
 * 15th digit), it is also what "%.15g" prints: the output is identical to
 * mdm_format_float64's loop of snprintf and strtod, at a fraction of the
 * cost (full reads print millions of floats). mdm_format_float64 itself is
 * left alone because legacy/ calls it and must keep its speed. Returns 0
 * when v is not of that form.
 */
static size_t format_float_short(double v, char *buf, size_t n)
{
    double a = fabs(v);
    if (n < 40 || !(a >= 1e-4 && a < 1e15))
        return 0;
    for (int d = 0; d <= 18; d++) {
        double m = a * (double)pow10_u64[d];
        if (m >= 1e15)
            return 0;
        uint64_t r = (uint64_t)(m + 0.5);
        if ((double)r / (double)pow10_u64[d] != a)
            continue;
        if (d > 4 && r < pow10_u64[d - 4])
            return 0;   /* below 1e-4 after rounding: "%g" uses an exponent */
        while (d > 0 && r % 10 == 0) {
            r /= 10;
            d--;
        }
        char digits[24];
        int nd = 0;
        do {
            digits[nd++] = (char)('0' + r % 10);
            r /= 10;
        } while (r > 0);
        while (nd <= d)
            digits[nd++] = '0';   /* a leading "0." and zeros after the point */
        size_t len = 0;
        if (signbit(v))
            buf[len++] = '-';
        for (int k = nd - 1; k >= 0; k--) {
            buf[len++] = digits[k];
            if (k == d && d > 0)
                buf[len++] = '.';
        }
        if (d == 0) {
            buf[len++] = '.';
            buf[len++] = '0';
        }
        buf[len] = '\0';
        return len;
    }
    return 0;
}

static size_t format_float(double v, char *buf, size_t n)
{
    size_t len = format_float_short(v, buf, n);
    return len > 0 ? len : mdm_format_float64(v, buf, n);
}

/* Days since 1970-01-01 to a civil date (H. Hinnant's algorithm, as in
 * mdm_format.c). */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/* mdm_format_timestamp's text with the digits written by hand (its
 * snprintf dominated full reads of timestamp columns); years outside
 * 0..9999 go to it. */
static size_t format_timestamp_fast(int64_t micros, char *buf, size_t n)
{
    const int64_t per_day = INT64_C(86400000000);
    int64_t days = micros / per_day, rem = micros % per_day, y;
    unsigned m, d;
    if (rem < 0) {
        rem += per_day;
        days--;
    }
    int64_t secs = rem / 1000000, frac = rem % 1000000;
    civil_from_days(days, &y, &m, &d);
    if (y < 0 || y > 9999 || n < 27)
        return mdm_format_timestamp(micros, buf, n);
    unsigned f[6] = {(unsigned)y, m, d, (unsigned)(secs / 3600), (unsigned)(secs / 60 % 60),
                     (unsigned)(secs % 60)};
    char *p = buf;
    *p++ = (char)('0' + f[0] / 1000), *p++ = (char)('0' + f[0] / 100 % 10);
    *p++ = (char)('0' + f[0] / 10 % 10), *p++ = (char)('0' + f[0] % 10);
    for (int k = 1; k < 6; k++) {
        *p++ = k == 1 || k == 2 ? '-' : k == 3 ? ' ' : ':';
        *p++ = (char)('0' + f[k] / 10), *p++ = (char)('0' + f[k] % 10);
    }
    if (frac != 0) {
        *p++ = '.';
        for (int64_t div = 100000; div > 0; div /= 10)
            *p++ = (char)('0' + frac / div % 10);
    }
    *p = '\0';
    return (size_t)(p - buf);
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
        return format_float(mdm_table_float64(t, c, r), buf, n);
    case MDM_BOOL:
        if (mdm_table_bool(t, c, r)) {
            memcpy(buf, "True", 5);
            return 4;
        }
        memcpy(buf, "False", 6);
        return 5;
    case MDM_TIMESTAMP:
        return format_timestamp_fast(mdm_table_timestamp(t, c, r), buf, n);
    case MDM_TEXT:
        break;
    }
    return 0;
}

mdm_status mdm_table_write_csv(const mdm_table *t, FILE *out, mdm_error *err)
{
    char block[FLUSH_AT], num[64];
    writer w = {out, block, 0, sizeof block, false};
    for (size_t c = 0; c < t->ncols; c++) {
        if (c > 0)
            w_putc(&w, ',');
        csv_text(&w, t->cols[c].name, strlen(t->cols[c].name));
    }
    w_putc(&w, '\n');
    for (size_t r = 0; r < t->nrows && !w.failed; r++) {
        for (size_t c = 0; c < t->ncols; c++) {
            if (c > 0)
                w_putc(&w, ',');
            if (mdm_table_is_null(t, c, r)) {
                /* An empty line would be skipped as blank by readers (ours
                 * and pandas'), losing the row; NA reads back as NULL. */
                if (t->ncols == 1)
                    w_put(&w, "NA", 2);
                continue;
            }
            if (t->cols[c].type == MDM_TEXT) {
                size_t n;
                const char *s = mdm_table_text(t, c, r, &n);
                csv_text(&w, s, n);
            } else {
                w_put(&w, num, scalar_text(t, c, r, num, sizeof num));
            }
        }
        w_putc(&w, '\n');
    }
    return w_finish(&w, err);
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
        size_t n = format_timestamp_fast(mdm_table_timestamp(t, c, r), num, sizeof num);
        json_string(w, num, n);
        return;
    }
    case MDM_FLOAT64: {
        size_t n = format_float(mdm_table_float64(t, c, r), num, sizeof num);
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

mdm_status mdm_table_write_json(const mdm_table *t, FILE *out, mdm_error *err)
{
    char block[FLUSH_AT];
    writer w = {out, block, 0, sizeof block, false};
    w_put(&w, "{\"columns\":[", 12);
    for (size_t c = 0; c < t->ncols; c++) {
        if (c > 0)
            w_putc(&w, ',');
        w_put(&w, "{\"name\":", 8);
        json_string(&w, t->cols[c].name, strlen(t->cols[c].name));
        w_put(&w, ",\"type\":\"", 9);
        w_put(&w, mdm_type_name(t->cols[c].type), strlen(mdm_type_name(t->cols[c].type)));
        w_put(&w, "\"}", 2);
    }
    w_put(&w, "],\n\"rows\":[", 11);
    for (size_t r = 0; r < t->nrows && !w.failed; r++) {
        w_put(&w, r == 0 ? "\n[" : ",\n[", r == 0 ? 2 : 3);
        for (size_t c = 0; c < t->ncols; c++) {
            if (c > 0)
                w_putc(&w, ',');
            json_cell(&w, t, c, r);
        }
        w_putc(&w, ']');
    }
    w_put(&w, "]}\n", 3);
    return w_finish(&w, err);
}
