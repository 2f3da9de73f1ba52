/* SPDX-License-Identifier: MIT */
/*
 * mdm_format_fast.c - printf-free float and timestamp text for the hot
 * paths (CSV/JSON output, SQLite and PostgreSQL writes). Each gives exactly
 * the text of its mdm_format.c counterpart (checked against it on 100
 * million bit patterns, and on 300,000 plus the hard cases in make test)
 * and falls back to it outside the common case. legacy/ keeps
 * calling the mdm_format.c versions, so the baseline's speed is unchanged.
 */
#include "mdm_table.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "mdm_dtoa.h"

/* Writes the decimal digits of d (no leading zeros) into out; returns
 * their count. */
static int digits_of(uint64_t d, char out[20])
{
    char rev[20];
    int k = 0;
    do {
        rev[k++] = (char)('0' + d % 10);
        d /= 10;
    } while (d > 0);
    for (int i = 0; i < k; i++)
        out[i] = rev[k - 1 - i];
    return k;
}

/* "%.*g" of the decimal dig[0..k) * 10^(x - k + 1) at precision p, whose
 * digits need no rounding (k <= p) and have no trailing zero. */
static size_t g_format(const char *dig, int k, int x, int p, char *buf)
{
    size_t len = 0;
    if (x < -4 || x >= p) {
        buf[len++] = dig[0];
        if (k > 1) {
            buf[len++] = '.';
            memcpy(buf + len, dig + 1, (size_t)k - 1);
            len += (size_t)k - 1;
        }
        buf[len++] = 'e';
        buf[len++] = x < 0 ? '-' : '+';
        int ax = x < 0 ? -x : x;
        if (ax >= 100)
            buf[len++] = (char)('0' + ax / 100);
        buf[len++] = (char)('0' + ax / 10 % 10);
        buf[len++] = (char)('0' + ax % 10);
    } else if (x < 0) {
        buf[len++] = '0';
        buf[len++] = '.';
        for (int i = -1; i > x; i--)
            buf[len++] = '0';
        memcpy(buf + len, dig, (size_t)k);
        len += (size_t)k;
    } else {
        for (int i = 0; i <= x || i < k; i++) {
            if (i == x + 1)
                buf[len++] = '.';
            buf[len++] = i < k ? dig[i] : '0';
        }
    }
    buf[len] = '\0';
    return len;
}

/*
 * mdm_format_float64's text without printf or strtod. That function
 * prints "%.15g", "%.16g", then "%.17g", the first that reads back. For a
 * normal double the shortest digits S that read back (mdm_dtoa_shortest,
 * nearest to v) are exactly what it prints: with k <= 15 digits S lies
 * within half an ulp of v, closer than half a unit in the 15th digit, so
 * "%.15g" rounds v to S; with k = 16 or 17, "%.kg" is the k-digit decimal
 * nearest v, which lies in v's interval because S does, and so is S. The
 * exceptions fall back to the printf loop: subnormals (their precision is
 * below 15 digits, so "%.15g" prints digits S does not have) and 16 digits
 * at a power of two (the interval is narrower below v, so the nearest 16
 * digits may not read back there). The precision that printed decides
 * between fixed and exponent notation, as "%g" does.
 */
size_t mdm_format_float64_fast(double v, char *buf, size_t n)
{
    uint64_t d, bits;
    int e;
    memcpy(&bits, &v, sizeof bits);
    bool subnormal = (bits & (UINT64_C(0x7ff) << 52)) == 0;
    bool pow2 = (bits & ((UINT64_C(1) << 52) - 1)) == 0;
    if (n < 40 || subnormal || !mdm_dtoa_shortest(v, &d, &e))
        return mdm_format_float64(v, buf, n);
    char dig[20];
    int k = digits_of(d, dig);
    if (k == 16 && pow2)
        return mdm_format_float64(v, buf, n);
    size_t len = 0;
    if (signbit(v))
        buf[len++] = '-';
    len += g_format(dig, k, e + k - 1, k <= 15 ? 15 : k, buf + len);
    if (memchr(buf, '.', len) == NULL && memchr(buf, 'e', len) == NULL) {
        buf[len++] = '.';   /* integral values stay recognisable as floats */
        buf[len++] = '0';
        buf[len] = '\0';
    }
    return len;
}

size_t mdm_format_float64_shortest(double v, char *buf, size_t n)
{
    uint64_t d;
    int e;
    size_t len = 0;
    if (n < 32)
        return 0;
    if (signbit(v))
        buf[len++] = '-';
    if (!mdm_dtoa_shortest(v, &d, &e)) {   /* a zero: the caller keeps out NaN and infinities */
        buf[len++] = '0';
    } else {
        char dig[20];
        int k = digits_of(d, dig);
        len += g_format(dig, k, e + k - 1, 15, buf + len);
    }
    buf[len] = '\0';
    return len;
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
