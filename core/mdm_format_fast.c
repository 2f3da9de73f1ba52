/* SPDX-License-Identifier: MIT */
/*
 * mdm_format_fast.c - printf-free float and timestamp text for the hot
 * paths (CSV/JSON output, SQLite and PostgreSQL writes). Each gives exactly
 * the text of its mdm_format.c counterpart (checked against it on millions
 * of values) and falls back to it outside the common case. legacy/ keeps
 * calling the mdm_format.c versions, so the baseline's speed is unchanged.
 */
#include "mdm_table.h"

#include <math.h>
#include <stdint.h>

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
 * cost (full reads and registers format millions of floats). Returns 0
 * when v is not of that form.
 */
static size_t float_short(double v, char *buf, size_t n)
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

size_t mdm_format_float64_fast(double v, char *buf, size_t n)
{
    size_t len = float_short(v, buf, n);
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

/* mdm_format_timestamp's (or _full's) text with the digits written by
 * hand (snprintf dominated full reads of timestamp columns and a tenth of
 * a register); years outside 0..9999 go to the snprintf versions. */
size_t mdm_format_timestamp_fast(int64_t micros, bool always_frac, char *buf, size_t n)
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
        return always_frac ? mdm_format_timestamp_full(micros, buf, n) : mdm_format_timestamp(micros, buf, n);
    unsigned f[6] = {(unsigned)y, m, d, (unsigned)(secs / 3600), (unsigned)(secs / 60 % 60),
                     (unsigned)(secs % 60)};
    char *p = buf;
    *p++ = (char)('0' + f[0] / 1000), *p++ = (char)('0' + f[0] / 100 % 10);
    *p++ = (char)('0' + f[0] / 10 % 10), *p++ = (char)('0' + f[0] % 10);
    for (int k = 1; k < 6; k++) {
        *p++ = k == 1 || k == 2 ? '-' : k == 3 ? ' ' : ':';
        *p++ = (char)('0' + f[k] / 10), *p++ = (char)('0' + f[k] % 10);
    }
    if (always_frac || frac != 0) {
        *p++ = '.';
        for (int64_t div = 100000; div > 0; div /= 10)
            *p++ = (char)('0' + frac / div % 10);
    }
    *p = '\0';
    return (size_t)(p - buf);
}
