/* SPDX-License-Identifier: MIT */
/*
 * mdm_gencsv.c - a deterministic CSV generator for tests and benchmarks:
 * ROWS rows of eight typed columns (id, big, x, y, category, text, flag,
 * ts) from a seeded PRNG, so a seed always gives the same bytes. Used by
 * mdm-gencsv, the CSV tests and the benchmarks.
 */
#include "mdm_gencsv.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* splitmix64: tiny, fast, and good enough for test data. The state lives
 * with the caller, so two generators never interfere. */
typedef struct gencsv_rng {
    uint64_t state;
} gencsv_rng;

static uint64_t gencsv_next(gencsv_rng *g)
{
    uint64_t z = (g->state += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

static uint64_t gencsv_below(gencsv_rng *g, uint64_t n)
{
    return gencsv_next(g) % n;
}

static const char GENCSV_HEADER[] = "id,big,x,y,category,text,flag,ts\n";

static const char GENCSV_CATEGORIES[20][12] = {
    "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliett",
    "kilo", "lima", "mike", "november", "oscar", "papa", "quebec", "romeo", "sierra", "tango",
};

/* Pieces the text column is made of: mostly letters, some spaces,
 * separators and quotes to exercise quoting, and 2- and 3-byte UTF-8. */
static const char GENCSV_PIECES[][4] = {
    "a", "b", "c", "d", "e", "f", "g", "h", "i", "k", "l", "m", "n", "o", "p", "r", "s",
    "t", "u", "w", " ", " ", " ", ",", "\"", "\xC3\xA9" /* é */, "\xC3\xBC" /* ü */,
    "\xE6\xBC\xA2" /* 漢 */,
};

/* A small growable line; the generator formats a row, then writes it. */
typedef struct gencsv_line {
    char buf[512];
    size_t len;
} gencsv_line;

static void line_put(gencsv_line *l, const char *s, size_t n)
{
    if (l->len + n < sizeof l->buf) {
        memcpy(l->buf + l->len, s, n);
        l->len += n;
    }
}

static void line_printf(gencsv_line *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void line_printf(gencsv_line *l, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(l->buf + l->len, sizeof l->buf - l->len, fmt, ap);
    va_end(ap);
    if (n > 0 && (size_t)n < sizeof l->buf - l->len)
        l->len += (size_t)n;
}

/* Wide-range int64 of every magnitude and both signs, plus the extremes
 * now and then. */
static int64_t gen_big(gencsv_rng *g, uint64_t row)
{
    if (row % 100000 == 7)
        return INT64_MIN;
    if (row % 100000 == 8)
        return INT64_MAX;
    uint64_t mag = gencsv_next(g) >> (1 + gencsv_below(g, 63));
    return (gencsv_next(g) & 1) ? -(int64_t)mag : (int64_t)mag;
}

/* A float written from integers, so the text is exact and portable:
 * six decimals mostly, an exponent form every 50th row. */
static void gen_x(gencsv_line *l, gencsv_rng *g)
{
    int64_t m = (int64_t)gencsv_below(g, UINT64_C(2000000000001)) - INT64_C(1000000000000);
    uint64_t a = (uint64_t)(m < 0 ? -m : m);
    if (gencsv_below(g, 50) == 0)
        line_printf(l, "%s%" PRIu64 ".%02" PRIu64 "e-%02u", m < 0 ? "-" : "", a % 10, a / 10 % 100,
                    (unsigned)gencsv_below(g, 20));
    else
        line_printf(l, "%s%" PRIu64 ".%06" PRIu64, m < 0 ? "-" : "", a / 1000000, a % 1000000);
}

/* Three decimals, blank about 5 % of the time. */
static void gen_y(gencsv_line *l, gencsv_rng *g)
{
    if (gencsv_below(g, 20) == 0)
        return;
    int64_t m = (int64_t)gencsv_below(g, 200001) - 100000;
    uint64_t a = (uint64_t)(m < 0 ? -m : m);
    line_printf(l, "%s%" PRIu64 ".%03" PRIu64, m < 0 ? "-" : "", a / 1000, a % 1000);
}

/* 10 to 40 characters starting with a letter, quoted when it has a comma
 * or a quote (quotes doubled). */
static void gen_text(gencsv_line *l, gencsv_rng *g)
{
    char raw[200], *q = raw;
    bool quote = false;
    size_t nchars = 10 + (size_t)gencsv_below(g, 31);
    for (size_t i = 0; i < nchars; i++) {
        size_t npieces = i == 0 || i + 1 == nchars ? 20 : sizeof GENCSV_PIECES / sizeof GENCSV_PIECES[0];
        const char *piece = GENCSV_PIECES[gencsv_below(g, npieces)];
        for (; *piece; piece++) {
            if (*piece == '"')
                *q++ = '"';
            quote |= *piece == '"' || *piece == ',';
            *q++ = *piece;
        }
    }
    if (quote)
        line_put(l, "\"", 1);
    line_put(l, raw, (size_t)(q - raw));
    if (quote)
        line_put(l, "\"", 1);
}

/* "YYYY-MM-DD HH:MM:SS" between 2000 and 2029 (H. Hinnant's civil_from_days). */
static void gen_ts(gencsv_line *l, gencsv_rng *g)
{
    int64_t secs = INT64_C(946684800) + (int64_t)gencsv_below(g, UINT64_C(946080000));
    int64_t z = secs / 86400 + 719468, sod = secs % 86400;
    int64_t era = z / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    unsigned d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
    int64_t y = (int64_t)yoe + era * 400 + (m <= 2);
    line_printf(l, "%04" PRId64 "-%02u-%02u %02u:%02u:%02u", y, m, d, (unsigned)(sod / 3600),
                (unsigned)(sod / 60 % 60), (unsigned)(sod % 60));
}

static void gen_row(gencsv_line *l, gencsv_rng *g, uint64_t row)
{
    l->len = 0;
    line_printf(l, "%" PRIu64 ",%" PRId64 ",", row + 1, gen_big(g, row));
    gen_x(l, g);
    line_put(l, ",", 1);
    gen_y(l, g);
    line_put(l, ",", 1);
    const char *cat = GENCSV_CATEGORIES[gencsv_below(g, 20)];
    line_put(l, cat, strlen(cat));
    line_put(l, ",", 1);
    gen_text(l, g);
    bool flag = gencsv_next(g) & 1;
    line_put(l, flag ? ",True," : ",False,", flag ? 6 : 7);
    gen_ts(l, g);
    line_put(l, "\n", 1);
}

/* Writes the header and `rows` rows. Returns 0, or -1 with errno set. */
int mdm_gencsv_write(FILE *out, uint64_t rows, uint64_t seed)
{
    gencsv_rng g = {seed};
    gencsv_line line;
    if (fputs(GENCSV_HEADER, out) == EOF)
        return -1;
    for (uint64_t r = 0; r < rows; r++) {
        gen_row(&line, &g, r);
        if (fwrite(line.buf, 1, line.len, out) != line.len)
            return -1;
    }
    return fflush(out) == 0 ? 0 : -1;
}

