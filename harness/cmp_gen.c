/* SPDX-License-Identifier: MIT */
/*
 * cmp_gen.c - deterministic generators of the big fixtures (a seeded
 * splitmix64 whose state lives on the caller's stack). Each writes a CSV
 * that core's reader infers to the intended types: integers, floats with
 * exact decimal forms, text with quotes, commas and UTF-8, booleans,
 * timestamps, and NULLs (empty fields) here and there.
 */
#include "cmp_gen.h"

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

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

static const char *const GEN_WORDS[] = {
    "setosa", "versicolor", "virginica", "caf\xC3\xA9", "na\xC3\xAFve", "\xE6\xBC\xA2\xE5\xAD\x97",
    "comma, inside", "quote \"q\"", "plain", "with space",
};

/* A timestamp field: 2024-01-01 plus `sec` seconds (UTC arithmetic). */
static void put_ts(FILE *f, uint64_t sec, unsigned micros)
{
    uint64_t day = sec / 86400, rem = sec % 86400;
    int y = 2024, m = 1;
    static const int mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    while (day >= (uint64_t)mdays[m - 1] && m < 12)
        day -= (uint64_t)mdays[m++ - 1];
    fprintf(f, "%04d-%02d-%02d %02u:%02u:%02u", y, m, (int)day + 1, (unsigned)(rem / 3600),
            (unsigned)(rem / 60 % 60), (unsigned)(rem % 60));
    if (micros)
        fprintf(f, ".%06u", micros);
}

/* A text field, quoted per RFC 4180. */
static void put_text(FILE *f, const char *s)
{
    if (strpbrk(s, ",\"\n") == NULL) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

/* id,category,value,amount,flag,ts,note: 100,000 rows; note is NULL on
 * every 7th row, amount (a float column) on every 11th. */
static void gen_rows(FILE *f, uint64_t rows)
{
    gen_rng g = { 42 };
    fputs("id,category,value,amount,flag,ts,note\n", f);
    for (uint64_t r = 0; r < rows; r++) {
        uint64_t x = rng_next(&g);
        fprintf(f, "%" PRIu64 ",%s,%" PRId64 ",", r + 1, GEN_WORDS[x % 3],
                (int64_t)(x >> 20) - (INT64_C(1) << 42));
        if (r % 11 != 3)
            fprintf(f, "%.3f", (double)(x % 2000000) / 1000.0 - 1000.0);
        fprintf(f, ",%s,", (x >> 7) & 1 ? "True" : "False");
        put_ts(f, r * 37 % (86400 * 300), (unsigned)(x % 3 == 0 ? x % 1000000 : 0));
        fputc(',', f);
        if (r % 7 != 5)
            put_text(f, GEN_WORDS[(x >> 11) % 10]);
        fputc('\n', f);
    }
}

/* 200 columns c000..c199, types by c % 5 (int, float, text, bool,
 * timestamp), 50 rows. */
static void gen_wide(FILE *f, unsigned ncols, unsigned rows)
{
    gen_rng g = { 200 };
    for (unsigned c = 0; c < ncols; c++)
        fprintf(f, "%sc%03u", c ? "," : "", c);
    fputc('\n', f);
    for (unsigned r = 0; r < rows; r++) {
        for (unsigned c = 0; c < ncols; c++) {
            uint64_t x = rng_next(&g);
            if (c)
                fputc(',', f);
            switch (c % 5) {
            case 0: fprintf(f, "%" PRId64, (int64_t)(x % 100000) - 50000); break;
            case 1: fprintf(f, "%.2f", (double)(x % 100000) / 100.0); break;
            case 2: put_text(f, GEN_WORDS[x % 10]); break;
            case 3: fputs(x & 1 ? "True" : "False", f); break;
            default: put_ts(f, x % (86400 * 200), 0); break;
            }
        }
        fputc('\n', f);
    }
}

/* Integer columns only: too many for one table on either backend. */
static void gen_ints(FILE *f, unsigned ncols, unsigned rows)
{
    for (unsigned c = 0; c < ncols; c++)
        fprintf(f, "%sc%04u", c ? "," : "", c);
    fputc('\n', f);
    for (unsigned r = 0; r < rows; r++) {
        for (unsigned c = 0; c < ncols; c++)
            fprintf(f, "%s%u", c ? "," : "", r * ncols + c);
        fputc('\n', f);
    }
}

static const char *const GEN_NAMES[] = { "rows100k", "wide200", "toowide2001" };

bool mdm_cmp_gen_known(const char *name)
{
    for (size_t i = 0; i < sizeof GEN_NAMES / sizeof GEN_NAMES[0]; i++)
        if (strcmp(GEN_NAMES[i], name) == 0)
            return true;
    return false;
}

mdm_status mdm_cmp_gen_write(const char *dir, const char *name, mdm_error *err)
{
    char path[4096], tmp[4200];
    if (!mdm_cmp_gen_known(name))
        return mdm_error_set(err, MDM_ERR_NOT_FOUND, "unknown generated fixture gen:%s", name);
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return mdm_error_set(err, MDM_ERR_IO, "%s: %s", dir, strerror(errno));
    snprintf(path, sizeof path, "%s/%s.csv", dir, name);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (f == NULL)
        return mdm_error_set(err, MDM_ERR_IO, "%s: %s", tmp, strerror(errno));
    if (strcmp(name, "rows100k") == 0)
        gen_rows(f, 100000);
    else if (strcmp(name, "wide200") == 0)
        gen_wide(f, 200, 50);
    else
        gen_ints(f, 2001, 2);
    if (fclose(f) != 0 || rename(tmp, path) != 0)
        return mdm_error_set(err, MDM_ERR_IO, "%s: %s", path, strerror(errno));
    return MDM_OK;
}
