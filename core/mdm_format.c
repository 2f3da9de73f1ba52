/* SPDX-License-Identifier: MIT */
/*
 * mdm_format.c - text forms of floats and timestamps, shared by the CSV and
 * JSON writers, the backends and the harness. Floats get the shortest text
 * that reads back to the same double; timestamps are proleptic Gregorian,
 * microseconds since 1970-01-01 with no time zone.
 */
#include "mdm_table.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

size_t mdm_format_float64(double v, char *buf, size_t n)
{
    if (isnan(v))
        return (size_t)snprintf(buf, n, "nan");
    if (isinf(v))
        return (size_t)snprintf(buf, n, v < 0 ? "-inf" : "inf");
    int len = 0;
    /* Try the shortest precisions first; 17 digits always round-trip. */
    for (int prec = 15; prec <= 17; prec++) {
        len = snprintf(buf, n, "%.*g", prec, v);
        if (prec == 17 || strtod(buf, NULL) == v)
            break;
    }
    /* Keep integral values recognisable as floats: "1.0", "-0.0". */
    if ((size_t)len + 2 < n && strpbrk(buf, ".e") == NULL) {
        buf[len++] = '.';
        buf[len++] = '0';
        buf[len] = '\0';
    }
    return (size_t)len;
}

/* Days since 1970-01-01 of a civil date (H. Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

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

/* Splits micros into date and time of day (floor division for negatives). */
static void split_micros(int64_t micros, int64_t *days, int64_t *secs, int64_t *frac)
{
    const int64_t per_day = INT64_C(86400000000);
    int64_t d = micros / per_day, rem = micros % per_day;
    if (rem < 0) {
        rem += per_day;
        d--;
    }
    *days = d;
    *secs = rem / 1000000;
    *frac = rem % 1000000;
}

static size_t format_ts(int64_t micros, bool always_frac, char *buf, size_t n)
{
    int64_t days, secs, frac, y;
    unsigned m, d;
    split_micros(micros, &days, &secs, &frac);
    civil_from_days(days, &y, &m, &d);
    int len = snprintf(buf, n, "%04lld-%02u-%02u %02lld:%02lld:%02lld", (long long)y, m, d,
                       (long long)(secs / 3600), (long long)(secs / 60 % 60), (long long)(secs % 60));
    if ((always_frac || frac != 0) && len >= 0 && (size_t)len < n)
        len += snprintf(buf + len, n - (size_t)len, ".%06lld", (long long)frac);
    return len < 0 ? 0 : (size_t)len;
}

size_t mdm_format_timestamp(int64_t micros, char *buf, size_t n)
{
    return format_ts(micros, false, buf, n);
}

size_t mdm_format_timestamp_full(int64_t micros, char *buf, size_t n)
{
    return format_ts(micros, true, buf, n);
}

/* Reads exactly `w` digits at s[*i]; advances *i. */
static bool digits(const char *s, size_t len, size_t *i, int w, int *out)
{
    int v = 0;
    for (int k = 0; k < w; k++) {
        if (*i >= len || s[*i] < '0' || s[*i] > '9')
            return false;
        v = v * 10 + (s[(*i)++] - '0');
    }
    *out = v;
    return true;
}

static bool expect(const char *s, size_t len, size_t *i, char c)
{
    if (*i < len && s[*i] == c) {
        (*i)++;
        return true;
    }
    return false;
}

static int days_in_month(int y, int m)
{
    static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : dm[m - 1];
}

/* Parses ".f{1,9}" into microseconds (digits past six are truncated). */
static bool fraction(const char *s, size_t len, size_t *i, int64_t *us)
{
    int nd = 0;
    int64_t v = 0;
    while (*i < len && s[*i] >= '0' && s[*i] <= '9') {
        if (nd < 6)
            v = v * 10 + (s[*i] - '0');
        nd++;
        (*i)++;
    }
    if (nd == 0 || nd > 9)
        return false;
    for (int k = nd; k < 6; k++)
        v *= 10;
    *us = v;
    return true;
}

bool mdm_parse_timestamp(const char *s, size_t len, int64_t *out)
{
    size_t i = 0;
    int y, mo, d, h = 0, mi = 0, se = 0;
    int64_t us = 0;
    if (len < 10 || !digits(s, len, &i, 4, &y) || !expect(s, len, &i, '-') ||
        !digits(s, len, &i, 2, &mo) || !expect(s, len, &i, '-') || !digits(s, len, &i, 2, &d))
        return false;
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
        return false;
    if (i < len) {
        if (!(expect(s, len, &i, ' ') || expect(s, len, &i, 'T')) || !digits(s, len, &i, 2, &h) ||
            !expect(s, len, &i, ':') || !digits(s, len, &i, 2, &mi))
            return false;
        if (expect(s, len, &i, ':')) {
            if (!digits(s, len, &i, 2, &se))
                return false;
            if (expect(s, len, &i, '.') && !fraction(s, len, &i, &us))
                return false;
        }
        if (i != len || h > 23 || mi > 59 || se > 59)
            return false;
    }
    int64_t days = days_from_civil(y, (unsigned)mo, (unsigned)d);
    *out = ((days * 86400 + h * 3600 + mi * 60 + se) * 1000000) + us;
    return true;
}
