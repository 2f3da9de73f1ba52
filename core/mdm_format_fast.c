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

/* "00" to "99": two digits a division. */
static const char two_digits[201] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

/* How many decimal digits d has (1 for 0): the count from the bit length
 * (log10(2) ~ 1233 / 4096), then one comparison to correct it. */
static int digit_count(uint64_t d)
{
    static const uint64_t pow10[20] = {
        1u, 10u, 100u, 1000u, 10000u, 100000u, 1000000u, 10000000u, 100000000u,
        1000000000u, UINT64_C(10000000000), UINT64_C(100000000000), UINT64_C(1000000000000),
        UINT64_C(10000000000000), UINT64_C(100000000000000), UINT64_C(1000000000000000),
        UINT64_C(10000000000000000), UINT64_C(100000000000000000),
        UINT64_C(1000000000000000000), UINT64_C(10000000000000000000)};
    int bits = 64 - __builtin_clzll(d | 1);
    int k = (bits * 1233) >> 12;
    k += k < 20 && d >= pow10[k];
    return k > 0 ? k : 1;
}

/* Writes the k decimal digits of d into out[0..k), from the last, two at
 * a time: a full-precision double has 17, and one division a digit was
 * the larger part of formatting it. */
static void write_digits(uint64_t d, int k, char *out)
{
    char *p = out + k;
    while (d >= 100000000) {   /* 8 digits at a time, then 32-bit arithmetic */
        uint32_t low = (uint32_t)(d % 100000000);
        d /= 100000000;
        for (int i = 0; i < 4; i++, low /= 100) {
            p -= 2;
            memcpy(p, two_digits + 2 * (low % 100), 2);
        }
    }
    uint32_t high = (uint32_t)d;
    while (high >= 100) {
        p -= 2;
        memcpy(p, two_digits + 2 * (high % 100), 2);
        high /= 100;
    }
    if (high >= 10) {
        p -= 2;
        memcpy(p, two_digits + 2 * high, 2);
    } else {
        *--p = (char)('0' + high);
    }
}

/* "%.*g" of d * 10^(x - k + 1), d of k digits, at precision p, whose digits
 * need no rounding (k <= p) and have no trailing zero. The digits are
 * written where they end up (buf has room for 40 bytes). */
static size_t g_format(uint64_t d, int k, int x, int p, char *buf)
{
    size_t len;
    if (x < -4 || x >= p) {
        write_digits(d, k, buf + 1);   /* then the first moves before the point */
        buf[0] = buf[1];
        len = 1;
        if (k > 1) {
            buf[1] = '.';
            len = (size_t)k + 1;
        }
        buf[len++] = 'e';
        buf[len++] = x < 0 ? '-' : '+';
        int ax = x < 0 ? -x : x;
        if (ax >= 100)
            buf[len++] = (char)('0' + ax / 100);
        buf[len++] = (char)('0' + ax / 10 % 10);
        buf[len++] = (char)('0' + ax % 10);
    } else if (x < 0) {
        buf[0] = '0';
        buf[1] = '.';
        len = 2;
        for (int i = -1; i > x; i--)
            buf[len++] = '0';
        write_digits(d, k, buf + len);
        len += (size_t)k;
    } else if (k > x + 1) {   /* a point inside the digits */
        write_digits(d, k, buf);
        memmove(buf + x + 2, buf + x + 1, (size_t)(k - x - 1));
        buf[x + 1] = '.';
        len = (size_t)k + 1;
    } else {   /* an integer: zeros after the digits */
        write_digits(d, k, buf);
        memset(buf + k, '0', (size_t)(x + 1 - k));
        len = (size_t)x + 1;
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
    int k = digit_count(d);
    if (k == 16 && pow2)
        return mdm_format_float64(v, buf, n);
    size_t len = 0;
    int x = e + k - 1, p = k <= 15 ? 15 : k;
    if (signbit(v))
        buf[len++] = '-';
    len += g_format(d, k, x, p, buf + len);
    if (x >= 0 && x < p && k <= x + 1) {   /* fixed notation, no fraction */
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
        int k = digit_count(d);
        len += g_format(d, k, e + k - 1, 15, buf + len);
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
