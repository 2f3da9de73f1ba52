/* SPDX-License-Identifier: MIT */
/*
 * mdm_gencsv.c - the deterministic CSV generator for tests, benchmarks and
 * mdm-compare: a seeded splitmix64 whose state lives on the caller's stack,
 * field writers (RFC 4180 quoting, timestamps, booleans) shared by every
 * shape, and the shapes: mdm-gencsv's eight typed columns, and the big
 * fixtures of `gen:NAME` sources. Each writes a CSV that core's reader
 * infers to the intended types; a seed always gives the same bytes.
 */
#include "mdm_gencsv.h"

#include <errno.h>
#include <math.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "mdm_buf.h"
#include "mdm_csv.h"
#include "mdm_table.h"

/* splitmix64: tiny, fast, and good enough for test data. */
typedef struct gen_rng {
    uint64_t state;
} gen_rng;

static uint64_t rng_next(gen_rng *g)
{
    uint64_t z = (g->state += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

static uint64_t rng_below(gen_rng *g, uint64_t n)
{
    return rng_next(g) % n;
}

/* ---- output: a row is formatted, then written ---------------------------- */

typedef struct gen_out {
    FILE *f;
    mdm_buf row;
    bool failed;   /* out of memory or a short write; errno says which */
} gen_out;

static void out_put(gen_out *o, const char *s, size_t n)
{
    if (mdm_buf_append(&o->row, s, n) != MDM_OK)
        o->failed = true;
}

static void out_puts(gen_out *o, const char *s)
{
    out_put(o, s, strlen(s));
}

/* Every field formatted here is a number or a date: short. */
static void out_printf(gen_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void out_printf(gen_out *o, const char *fmt, ...)
{
    char tmp[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0 && (size_t)n < sizeof tmp)
        out_put(o, tmp, (size_t)n);
}

/* Ends a row: writes it out. */
static void out_end_row(gen_out *o)
{
    out_put(o, "\n", 1);
    if (!o->failed && fwrite(o->row.data, 1, o->row.len, o->f) != o->row.len)
        o->failed = true;
    mdm_buf_clear(&o->row);
}

/* A text field, quoted per RFC 4180 when it has a comma, a quote or a
 * newline (quotes doubled). */
static void put_text(gen_out *o, const char *s)
{
    if (strpbrk(s, ",\"\n") == NULL) {
        out_puts(o, s);
        return;
    }
    out_put(o, "\"", 1);
    for (; *s; s++) {
        if (*s == '"')
            out_put(o, "\"", 1);
        out_put(o, s, 1);
    }
    out_put(o, "\"", 1);
}

/* "YYYY-MM-DD HH:MM:SS[.ffffff]" for seconds since 1970 (UTC; H. Hinnant's
 * civil_from_days) into buf; the fraction only when micros is not 0. */
static void fmt_ts(char *buf, size_t n, int64_t secs, unsigned micros)
{
    int64_t days = secs / 86400, sod = secs % 86400;
    if (sod < 0) {   /* before 1970: floor, not truncation */
        sod += 86400;
        days--;
    }
    int64_t z = days + 719468;
    int64_t era = z / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    unsigned d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
    int64_t y = (int64_t)yoe + era * 400 + (m <= 2);
    int k = snprintf(buf, n, "%04" PRId64 "-%02u-%02u %02u:%02u:%02u", y, m, d,
                     (unsigned)(sod / 3600), (unsigned)(sod / 60 % 60), (unsigned)(sod % 60));
    if (micros && k > 0 && (size_t)k < n)
        snprintf(buf + k, n - (size_t)k, ".%06u", micros);
}

static void put_ts(gen_out *o, int64_t secs, unsigned micros)
{
    char buf[48];
    fmt_ts(buf, sizeof buf, secs, micros);
    out_puts(o, buf);
}

static void put_bool(gen_out *o, bool v)
{
    out_puts(o, v ? "True" : "False");
}

/* ---- mdm-gencsv: eight typed columns -------------------------------------- */

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

/* Wide-range int64 of every magnitude and both signs, plus the extremes
 * now and then. */
static int64_t gen_big(gen_rng *g, uint64_t row)
{
    if (row % 100000 == 7)
        return INT64_MIN;
    if (row % 100000 == 8)
        return INT64_MAX;
    uint64_t mag = rng_next(g) >> (1 + rng_below(g, 63));
    return (rng_next(g) & 1) ? -(int64_t)mag : (int64_t)mag;
}

/* A float written from integers, so the text is exact and portable:
 * six decimals mostly, an exponent form every 50th row. */
static void gen_x(gen_out *o, gen_rng *g)
{
    int64_t m = (int64_t)rng_below(g, UINT64_C(2000000000001)) - INT64_C(1000000000000);
    uint64_t a = (uint64_t)(m < 0 ? -m : m);
    if (rng_below(g, 50) == 0)
        out_printf(o, "%s%" PRIu64 ".%02" PRIu64 "e-%02u", m < 0 ? "-" : "", a % 10,
                   a / 10 % 100, (unsigned)rng_below(g, 20));
    else
        out_printf(o, "%s%" PRIu64 ".%06" PRIu64, m < 0 ? "-" : "", a / 1000000, a % 1000000);
}

/* Three decimals, blank about 5 % of the time. */
static void gen_y(gen_out *o, gen_rng *g)
{
    if (rng_below(g, 20) == 0)
        return;
    int64_t m = (int64_t)rng_below(g, 200001) - 100000;
    uint64_t a = (uint64_t)(m < 0 ? -m : m);
    out_printf(o, "%s%" PRIu64 ".%03" PRIu64, m < 0 ? "-" : "", a / 1000, a % 1000);
}

/* 10 to 40 characters starting and ending with a letter. */
static void gen_text(gen_out *o, gen_rng *g)
{
    char raw[200];
    size_t len = 0;
    size_t nchars = 10 + (size_t)rng_below(g, 31);
    for (size_t i = 0; i < nchars; i++) {
        size_t npieces = i == 0 || i + 1 == nchars ? 20 : sizeof GENCSV_PIECES / sizeof GENCSV_PIECES[0];
        const char *piece = GENCSV_PIECES[rng_below(g, npieces)];
        size_t n = strlen(piece);
        memcpy(raw + len, piece, n);
        len += n;
    }
    raw[len] = '\0';
    put_text(o, raw);
}

/* Between 2000 and 2029. */
static void gen_ts(gen_out *o, gen_rng *g)
{
    put_ts(o, INT64_C(946684800) + (int64_t)rng_below(g, UINT64_C(946080000)), 0);
}

static void gen_row(gen_out *o, gen_rng *g, uint64_t row)
{
    out_printf(o, "%" PRIu64 ",%" PRId64 ",", row + 1, gen_big(g, row));
    gen_x(o, g);
    out_put(o, ",", 1);
    gen_y(o, g);
    out_put(o, ",", 1);
    out_puts(o, GENCSV_CATEGORIES[rng_below(g, 20)]);
    out_put(o, ",", 1);
    gen_text(o, g);
    out_put(o, ",", 1);
    put_bool(o, rng_next(g) & 1);
    out_put(o, ",", 1);
    gen_ts(o, g);
    out_end_row(o);
}

/* ---- profiles: data shaped like real datasets ------------------------------ */

/* A computed feature: a double with all 53 bits of mantissa in use and a
 * magnitude between 2^-20 and 2^20, so its shortest text has 16 or 17
 * significant digits (what pandas writes for model outputs). */
static void gen_feature(gen_out *o, gen_rng *g)
{
    uint64_t bits = (rng_next(g) & UINT64_C(0x800fffffffffffff)) |
                    (uint64_t)(1023 - 20 + (int)rng_below(g, 41)) << 52;
    double v;
    char buf[40];
    memcpy(&v, &bits, sizeof v);
    out_put(o, buf, mdm_format_float64_fast(v, buf, sizeof buf));
}

/* "features": the eight columns of mdm-gencsv with full-precision doubles
 * (y blank about 5 %), lower-case booleans and timestamps with
 * microseconds, as the 124 MB benchmark file has them. */
static void gen_features_row(gen_out *o, gen_rng *g, uint64_t row)
{
    out_printf(o, "%" PRIu64 ",%" PRId64 ",", row + 1, gen_big(g, row));
    gen_feature(o, g);
    out_put(o, ",", 1);
    if (rng_below(g, 20) != 0)
        gen_feature(o, g);
    out_put(o, ",", 1);
    out_puts(o, GENCSV_CATEGORIES[rng_below(g, 20)]);
    out_put(o, ",", 1);
    gen_text(o, g);
    out_put(o, ",", 1);
    out_puts(o, rng_next(g) & 1 ? "true" : "false");
    out_put(o, ",", 1);
    put_ts(o, INT64_C(946684800) + (int64_t)rng_below(g, UINT64_C(946080000)),
           (unsigned)rng_below(g, 1000000));
    out_end_row(o);
}

/* "wide": 200 columns: an id, then int64, full-precision and short
 * doubles in turn (a one-hot-encoded or embedding table). */
#define GEN_WIDE_COLUMNS 200
static void gen_wide_row(gen_out *o, gen_rng *g, uint64_t row)
{
    out_printf(o, "%" PRIu64, row + 1);
    for (int c = 1; c < GEN_WIDE_COLUMNS; c++) {
        out_put(o, ",", 1);
        if (c % 3 == 0)
            out_printf(o, "%" PRId64, (int64_t)rng_below(g, 2000001) - 1000000);
        else if (c % 3 == 1)
            gen_feature(o, g);
        else
            gen_y(o, g);
    }
    out_end_row(o);
}

/* "text": an id, a category and two long text fields (200 to 2,000
 * characters, quoted, UTF-8): documents, reviews. */
static void gen_long_text(gen_out *o, gen_rng *g)
{
    mdm_buf raw;
    mdm_buf_init(&raw);
    size_t nchars = 200 + (size_t)rng_below(g, 1801);
    size_t npieces = sizeof GENCSV_PIECES / sizeof GENCSV_PIECES[0];
    for (size_t i = 0; i < nchars; i++) {
        const char *piece = GENCSV_PIECES[rng_below(g, i == 0 || i + 1 == nchars ? 20 : npieces)];
        if (mdm_buf_puts(&raw, piece) != MDM_OK)
            o->failed = true;
    }
    if (!o->failed)
        put_text(o, raw.data);
    mdm_buf_reset(&raw);
}

static void gen_text_row(gen_out *o, gen_rng *g, uint64_t row)
{
    out_printf(o, "%" PRIu64 ",", row + 1);
    out_puts(o, GENCSV_CATEGORIES[rng_below(g, 20)]);
    out_put(o, ",", 1);
    gen_long_text(o, g);
    out_put(o, ",", 1);
    gen_long_text(o, g);
    out_end_row(o);
}

static const char *const GEN_PROFILE_NAMES[] = {"basic", "features", "wide", "text"};

bool mdm_gencsv_profile_parse(const char *name, mdm_gencsv_profile *out)
{
    for (size_t i = 0; i < sizeof GEN_PROFILE_NAMES / sizeof GEN_PROFILE_NAMES[0]; i++) {
        if (strcmp(name, GEN_PROFILE_NAMES[i]) == 0) {
            *out = (mdm_gencsv_profile)i;
            return true;
        }
    }
    return false;
}

/* The header of a profile's CSV. */
static void profile_header(gen_out *o, mdm_gencsv_profile p)
{
    if (p == MDM_GENCSV_PROFILE_WIDE) {
        out_puts(o, "id");
        for (int c = 1; c < GEN_WIDE_COLUMNS; c++)
            out_printf(o, ",c%03d", c);
    } else {
        out_puts(o, p == MDM_GENCSV_PROFILE_TEXT ? "id,category,title,body" : "id,big,x,y,category,text,flag,ts");
    }
    out_end_row(o);
}

typedef void (*gen_row_fn)(gen_out *o, gen_rng *g, uint64_t row);

int mdm_gencsv_write_profile(FILE *out, uint64_t rows, uint64_t seed, mdm_gencsv_profile p)
{
    gen_rng g = {seed};
    gen_out o = {out, {0}, false};
    gen_row_fn row = p == MDM_GENCSV_PROFILE_FEATURES ? gen_features_row
                   : p == MDM_GENCSV_PROFILE_WIDE     ? gen_wide_row
                   : p == MDM_GENCSV_PROFILE_TEXT ? gen_text_row
                                              : gen_row;
    mdm_buf_init(&o.row);
    profile_header(&o, p);
    for (uint64_t r = 0; r < rows && !o.failed; r++)
        row(&o, &g, r);
    mdm_buf_reset(&o.row);
    if (o.failed)
        return -1;
    return fflush(out) == 0 ? 0 : -1;
}

int mdm_gencsv_write(FILE *out, uint64_t rows, uint64_t seed)
{
    return mdm_gencsv_write_profile(out, rows, seed, MDM_GENCSV_PROFILE_BASIC);
}

/* ---- the named fixtures of mdm-compare ------------------------------------ */

static const char *const GEN_WORDS[] = {
    "setosa", "versicolor", "virginica", "caf\xC3\xA9", "na\xC3\xAFve", "\xE6\xBC\xA2\xE5\xAD\x97",
    "comma, inside", "quote \"q\"", "plain", "with space",
};

/* 2024-01-01 00:00:00 UTC */
#define GEN_EPOCH_2024 INT64_C(1704067200)

/* id,category,value,amount,flag,ts,note: note is NULL on every 7th row,
 * amount (a float column) on every 11th. */
static void gen_rows(gen_out *o, uint64_t rows)
{
    gen_rng g = { 42 };
    out_puts(o, "id,category,value,amount,flag,ts,note");
    out_end_row(o);
    for (uint64_t r = 0; r < rows && !o->failed; r++) {
        uint64_t x = rng_next(&g);
        out_printf(o, "%" PRIu64 ",%s,%" PRId64 ",", r + 1, GEN_WORDS[x % 3],
                   (int64_t)(x >> 20) - (INT64_C(1) << 42));
        if (r % 11 != 3)
            out_printf(o, "%.3f", (double)(x % 2000000) / 1000.0 - 1000.0);
        out_put(o, ",", 1);
        put_bool(o, (x >> 7) & 1);
        out_put(o, ",", 1);
        put_ts(o, GEN_EPOCH_2024 + (int64_t)(r * 37 % (86400 * 300)),
               (unsigned)(x % 3 == 0 ? x % 1000000 : 0));
        out_put(o, ",", 1);
        if (r % 7 != 5)
            put_text(o, GEN_WORDS[(x >> 11) % 10]);
        out_end_row(o);
    }
}

/* ncols columns c000.., types by c % 5 (int, float, text, bool,
 * timestamp). */
static void gen_wide(gen_out *o, unsigned ncols, unsigned rows)
{
    gen_rng g = { 200 };
    for (unsigned c = 0; c < ncols; c++)
        out_printf(o, "%sc%03u", c ? "," : "", c);
    out_end_row(o);
    for (unsigned r = 0; r < rows; r++) {
        for (unsigned c = 0; c < ncols; c++) {
            uint64_t x = rng_next(&g);
            if (c)
                out_put(o, ",", 1);
            switch (c % 5) {
            case 0: out_printf(o, "%" PRId64, (int64_t)(x % 100000) - 50000); break;
            case 1: out_printf(o, "%.2f", (double)(x % 100000) / 100.0); break;
            case 2: put_text(o, GEN_WORDS[x % 10]); break;
            case 3: put_bool(o, x & 1); break;
            default: put_ts(o, GEN_EPOCH_2024 + (int64_t)(x % (86400 * 200)), 0); break;
            }
        }
        out_end_row(o);
    }
}

/* Integer columns only: too many for one table on either backend. */
static void gen_ints(gen_out *o, unsigned ncols, unsigned rows)
{
    for (unsigned c = 0; c < ncols; c++)
        out_printf(o, "%sc%04u", c ? "," : "", c);
    out_end_row(o);
    for (unsigned r = 0; r < rows; r++) {
        for (unsigned c = 0; c < ncols; c++)
            out_printf(o, "%s%u", c ? "," : "", r * ncols + c);
        out_end_row(o);
    }
}

static const char *const GEN_NAMES[] = { "rows100k", "wide200", "toowide2001" };

bool mdm_gencsv_fixture_known(const char *name)
{
    for (size_t i = 0; i < sizeof GEN_NAMES / sizeof GEN_NAMES[0]; i++)
        if (strcmp(GEN_NAMES[i], name) == 0)
            return true;
    return false;
}

mdm_status mdm_gencsv_fixture_write(const char *dir, const char *name, mdm_error *err)
{
    char path[4096], tmp[4200];
    if (!mdm_gencsv_fixture_known(name))
        return mdm_error_set(err, MDM_ERR_NOT_FOUND, "unknown generated fixture gen:%s", name);
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return mdm_error_set(err, MDM_ERR_IO, "%s: %s", dir, strerror(errno));
    snprintf(path, sizeof path, "%s/%s.csv", dir, name);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    gen_out o = {fopen(tmp, "w"), {0}, false};
    if (o.f == NULL)
        return mdm_error_set(err, MDM_ERR_IO, "%s: %s", tmp, strerror(errno));
    mdm_buf_init(&o.row);
    if (strcmp(name, "rows100k") == 0)
        gen_rows(&o, 100000);
    else if (strcmp(name, "wide200") == 0)
        gen_wide(&o, 200, 50);
    else
        gen_ints(&o, 2001, 2);
    mdm_buf_reset(&o.row);
    if (fclose(o.f) != 0 || o.failed || rename(tmp, path) != 0)
        return mdm_error_set(err, MDM_ERR_IO, "%s: %s", path, strerror(errno));
    return MDM_OK;
}

/* ---- mdm-compare --random: typed edge values, hostile names, fields ------- */

uint64_t mdm_gencsv_rng_next(mdm_gencsv_rng *g)
{
    gen_rng r = {g->state};
    uint64_t v = rng_next(&r);
    g->state = r.state;
    return v;
}

uint64_t mdm_gencsv_rng_below(mdm_gencsv_rng *g, uint64_t n)
{
    return n == 0 ? 0 : mdm_gencsv_rng_next(g) % n;
}

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* The edges per kind: where implementations disagree if they ever do. */
static const char *const EDGE_INT[] = {
    "0", "1", "-1", "9223372036854775807", "-9223372036854775808", "9007199254740993",
    "-9007199254740993", "2147483648", "-2147483649", "007", "42",
};
static const char *const EDGE_FLOAT[] = {
    "0.1", "-0.0", "0.0", "inf", "-inf", "NaN", "5e-324", "2.2250738585072014e-308",
    "2.225073858507201e-308", "1.7976931348623157e+308", "1e308", "-1e-300",
    "0.30000000000000004", "3.141592653589793", "1.5", "100.0", "-2.5", "1e16",
};
static const char *const EDGE_BOOL[] = { "True", "False", "TRUE", "FALSE", "true", "false" };
static const char *const EDGE_TS[] = {
    "0001-01-01 00:00:00", "0001-01-01 00:00:00.000001", "0001-12-31 23:59:59",
    "9999-12-31 23:59:59", "9999-12-31 23:59:59.999999", "9999-01-01 00:00:00",
    "1970-01-01 00:00:00", "1969-12-31 23:59:59.999999", "2000-02-29 00:00:00",
    "2024-06-15T08:30:00", "1900-01-01 00:00:00",
};
static const char *const EDGE_TEXT[] = {
    "", " ", " lead", "trail ", "  both  ", "a,b", "say \"hi\"", "line\nbreak", "cr\r\nlf",
    "caf\xC3\xA9", "\xE6\xBC\xA2\xE5\xAD\x97", "\xF0\x9F\x98\x80 smile", "NULL", "NA", "null",
    "None", "nan", "0", "1.5", "True", "O'Brien", "50%_off", "back\\slash", "tab\there", "abc",
    "ABC", "a", "b",
};

static mdm_status buf_set(mdm_buf *out, const char *s)
{
    mdm_buf_clear(out);
    return mdm_buf_puts(out, s);
}

static mdm_status value_int(mdm_gencsv_rng *g, mdm_buf *out)
{
    uint64_t mag = mdm_gencsv_rng_next(g) >> (1 + mdm_gencsv_rng_below(g, 63));
    mdm_buf_clear(out);
    return mdm_buf_printf(out, "%s%" PRIu64, mdm_gencsv_rng_below(g, 2) ? "-" : "", mag);
}

/* Floats written with 17 significant digits (the ones a lossy format
 * breaks), or short decimals; never a NaN or an infinity here (the edge
 * pool has them). */
static mdm_status value_float(mdm_gencsv_rng *g, mdm_buf *out)
{
    double v;
    mdm_buf_clear(out);
    if (mdm_gencsv_rng_below(g, 2)) {
        uint64_t bits = mdm_gencsv_rng_next(g);
        memcpy(&v, &bits, sizeof v);
        if (!isfinite(v))
            v = (double)(bits >> 11) / 9007199254740992.0;
        mdm_status rc = mdm_buf_printf(out, "%.17g", v);
        if (rc == MDM_OK && strpbrk(mdm_buf_str(out), ".en") == NULL)
            rc = mdm_buf_puts(out, ".0");   /* keep it a float for the reader */
        return rc;
    }
    int64_t m = (int64_t)mdm_gencsv_rng_below(g, 2000001) - 1000000, a = m < 0 ? -m : m;
    return mdm_buf_printf(out, "%s%" PRId64 ".%03" PRId64, m < 0 ? "-" : "", a / 1000, a % 1000);
}

/* Any second of years 1 to 9999, microseconds now and then. */
static mdm_status value_ts(mdm_gencsv_rng *g, mdm_buf *out)
{
    char buf[48];
    const int64_t first = INT64_C(-62135596800), last = INT64_C(253402300799);
    int64_t secs = first + (int64_t)mdm_gencsv_rng_below(g, (uint64_t)(last - first + 1));
    unsigned micros = mdm_gencsv_rng_below(g, 3) == 0 ? (unsigned)mdm_gencsv_rng_below(g, 1000000)
                                                       : 0;
    fmt_ts(buf, sizeof buf, secs, micros);
    return buf_set(out, buf);
}

/* Pieces of GENCSV_PIECES; long (up to 3,000 pieces) now and then. */
static mdm_status value_text(mdm_gencsv_rng *g, mdm_buf *out)
{
    size_t n = mdm_gencsv_rng_below(g, 20) == 0 ? 200 + mdm_gencsv_rng_below(g, 2800)
                                                : 1 + mdm_gencsv_rng_below(g, 12);
    mdm_status rc = MDM_OK;
    mdm_buf_clear(out);
    for (size_t i = 0; i < n && rc == MDM_OK; i++)
        rc = mdm_buf_puts(out, GENCSV_PIECES[mdm_gencsv_rng_below(g, NELEM(GENCSV_PIECES))]);
    return rc;
}

mdm_status mdm_gencsv_value(mdm_gencsv_rng *g, mdm_gencsv_kind kind, mdm_buf *out,
                            bool *missing)
{
    static const char *const *const EDGES[] = { EDGE_INT, EDGE_FLOAT, EDGE_BOOL, EDGE_TS,
                                                EDGE_TEXT };
    static const size_t NEDGES[] = { NELEM(EDGE_INT), NELEM(EDGE_FLOAT), NELEM(EDGE_BOOL),
                                     NELEM(EDGE_TS), NELEM(EDGE_TEXT) };
    uint64_t pick = mdm_gencsv_rng_below(g, 10);
    *missing = pick == 0;
    if (*missing)
        return MDM_OK;
    if (pick <= 4 || kind == MDM_GENCSV_BOOL)
        return buf_set(out, EDGES[kind][mdm_gencsv_rng_below(g, NEDGES[kind])]);
    switch (kind) {
    case MDM_GENCSV_INT: return value_int(g, out);
    case MDM_GENCSV_FLOAT: return value_float(g, out);
    case MDM_GENCSV_TS: return value_ts(g, out);
    default: return value_text(g, out);
    }
}

/* Column names: ordinary ones, and the hostile ones (reserved words, mixed
 * case, spaces, quotes, UTF-8, a 63-byte name: PostgreSQL's limit). */
static const char *const NAMES_ORDINARY[] = {
    "id", "value", "name", "x", "y", "amount", "category", "flag", "ts", "note", "price", "qty",
    "score", "city", "code", "total",
};
static const char *const NAMES_HOSTILE[] = {
    "select", "order", "group", "from", "table", "where", "limit", "user", "Amount", "MixedCase",
    "UPPER", "My Col", " lead", "trail ", "it's", "quote\"d", "caf\xC3\xA9",
    "\xE5\x90\x8D\xE5\x89\x8D", "a_very_long_column_name_that_is_exactly_sixty_three_bytes_long_",
    "with,comma", "dash-name", "1starts_with_digit",
};

mdm_status mdm_gencsv_column_name(mdm_gencsv_rng *g, mdm_buf *out)
{
    if (mdm_gencsv_rng_below(g, 3) == 0)
        return buf_set(out, NAMES_HOSTILE[mdm_gencsv_rng_below(g, NELEM(NAMES_HOSTILE))]);
    return buf_set(out, NAMES_ORDINARY[mdm_gencsv_rng_below(g, NELEM(NAMES_ORDINARY))]);
}

/* What an unquoted empty field may be written as: each reads as missing. */
static const char *const NA_MARKERS[] = { "", "", "", "NA", "null", "NaN", "None", "N/A" };

static mdm_status put_quoted(mdm_buf *out, const char *value)
{
    mdm_status rc = mdm_buf_putc(out, '"');
    for (const char *p = value; *p && rc == MDM_OK; p++) {
        if (*p == '"')
            rc = mdm_buf_putc(out, '"');
        if (rc == MDM_OK)
            rc = mdm_buf_putc(out, *p);
    }
    return rc == MDM_OK ? mdm_buf_putc(out, '"') : rc;
}

mdm_status mdm_gencsv_field(mdm_gencsv_rng *g, mdm_buf *out, const char *value,
                            mdm_gencsv_quoting quoting)
{
    if (value == NULL)
        return mdm_buf_puts(out, NA_MARKERS[mdm_gencsv_rng_below(g, NELEM(NA_MARKERS))]);
    /* quoted when it must be: separators, quotes, line ends, and text that
     * would otherwise read as missing (empty, NA markers) */
    bool must = strpbrk(value, ",\"\r\n") != NULL || mdm_csv_is_na(value, strlen(value));
    bool quote = must || quoting == MDM_GENCSV_QUOTE_ALL ||
                 (quoting == MDM_GENCSV_QUOTE_RANDOM && mdm_gencsv_rng_below(g, 3) == 0);
    return quote ? put_quoted(out, value) : mdm_buf_puts(out, value);
}
